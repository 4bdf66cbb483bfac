"""The failure report of a gradient check: where backward and central differences disagree, and why.

`autograd.gradcheck` computes the two gradients; this module compares them element by element and, when
they disagree, writes the report: the worst element, both values, the tolerance it broke, and hints
that recognise the usual mistakes (a sign error, a constant factor, no gradient at all, a kink).
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

TINY = np.finfo(np.float64).tiny
MAX_PRINTED = 24  # arrays with more elements are summarised instead of printed


def fmt(value: float) -> str:
    return f"{value:.6g}"


def format_array(array: np.ndarray) -> str:
    if array.size > MAX_PRINTED:
        return f"<{array.size} values; min {fmt(np.min(array))}, max {fmt(np.max(array))}>"
    return np.array2string(np.asarray(array), precision=6, separator=", ", max_line_width=100,
                           prefix="  numerical: ")


def mismatch(analytic: np.ndarray, numerical: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """Where the check fails: |a - n| > atol + rtol * |n| (NaN anywhere fails)."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.abs(analytic - numerical) <= atol + rtol * np.abs(numerical))
    return bad


def worst_index(analytic: np.ndarray, numerical: np.ndarray, atol: float, rtol: float) -> int:
    """Flat index of the element that exceeds its tolerance by the largest factor (NaN first)."""
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(analytic - numerical) / (atol + rtol * np.abs(numerical))
    excess = np.where(np.isnan(excess), np.inf, excess).reshape(-1)
    return int(np.argmax(excess))


def relative_error(a: float, n: float) -> float:
    with np.errstate(invalid="ignore", over="ignore"):
        return float(abs(a - n) / max(abs(a) + abs(n), TINY))


def pattern_hints(analytic: np.ndarray, numerical: np.ndarray, atol: float, rtol: float) -> list[str]:
    """Recognise the common shapes of a wrong backward: a sign error, a constant factor, no gradient."""
    hints = []
    if not np.all(np.isfinite(numerical)):
        hints.append("the numerical gradient is NaN or Inf: f is undefined or infinite within eps of this "
                     "point (log or sqrt of a value near 0?); test on inputs inside the domain")
        return hints
    if not np.all(np.isfinite(analytic)):
        hints.append("backward produced NaN or Inf; run it inside `with autograd.detect_anomaly():` to find "
                     "the op and the line of forward code responsible")
        return hints
    significant = np.abs(numerical) > max(atol, 1e-8)
    if np.all(analytic == 0) and np.any(significant):
        hints.append("the analytic gradient is exactly zero: does backward return a gradient for this input "
                     "(one per input of apply, in order)? Did the computation leave the graph (a NumPy call "
                     "on .data or .numpy(), .item(), .detach()) so no gradient can flow?")
    elif np.any(significant) and not np.any(mismatch(analytic, -numerical, atol, rtol)):
        hints.append("analytic == -numerical: a sign error in backward")
    elif np.count_nonzero(significant) >= 1:
        ratios = analytic[significant] / numerical[significant]
        ratio = float(np.median(ratios))
        if abs(ratio - 1) > rtol and np.allclose(ratios, ratio, rtol=1e-3) and not np.any(
            mismatch(analytic, ratio * numerical, atol, rtol)
        ):
            hints.append(f"analytic == {ratio:.6g} * numerical everywhere: a constant factor is off "
                         "(a missing 2 in d(x**2) = 2x? a mean where a sum was meant, or the reverse?)")
    return hints


def format_failure(header: str, what: str, analytic: np.ndarray, numerical: np.ndarray, atol: float,
                    rtol: float, hints: list[str], worst: int | None) -> str:
    lines = [header]
    if worst is not None:
        index = tuple(int(i) for i in np.unravel_index(worst, analytic.shape)) if analytic.ndim else ()
        bad = int(np.count_nonzero(mismatch(analytic, numerical, atol, rtol)))
        a, n = float(analytic.reshape(-1)[worst]), float(numerical.reshape(-1)[worst])
        lines.append(f"  {bad} of {analytic.size} elements disagree; the worst is at index {index}:")
    else:
        a, n = float(analytic), float(numerical)
    lines += [
        f"    analytic  (backward):            {fmt(a)}",
        f"    numerical (central differences): {fmt(n)}",
        f"    relative error {fmt(relative_error(a, n))} = |a - n| / max(|a| + |n|, tiny)",
        f"    allowed: |a - n| <= atol + rtol * |n| = {atol:g} + {rtol:g} * {fmt(abs(n))} = "
        f"{fmt(atol + rtol * abs(n))}, but |a - n| = {fmt(abs(a - n))}",
    ]
    if worst is not None:
        lines += [f"  analytic:  {format_array(analytic)}", f"  numerical: {format_array(numerical)}"]
    lines.append(f"  how: {what}")
    if not hints:
        hints = ["compare backward with the derivative of forward term by term: is the incoming gradient "
                 "multiplied in, is the right saved value used (x or the output y), is every sign right?"]
    lines.append("  hints:")
    lines += [textwrap.fill(hint, width=100, initial_indent="    - ", subsequent_indent="      ") for hint in hints]
    return "\n".join(lines)


def kink_hint(evaluator: Any, i: int, j: int, weights: list[np.ndarray | None], eps: float,
               atol: float) -> str | None:
    """Is f non-differentiable next to element j (relu or abs at 0, max with a tie, clip at a bound)?

    One-sided slopes that disagree by about the same amount for two step sizes mean a kink: for a smooth
    f the disagreement shrinks in proportion to the step.
    """
    base = evaluator.loss(weights)

    def gap(step: float) -> tuple[float, float, float]:
        right = (evaluator.partial(i, j, weights, step) - base) / step
        left = (base - evaluator.partial(i, j, weights, -step)) / step
        return abs(right - left), left, right

    big, left, right = gap(eps)
    small, _, _ = gap(eps / 10)
    if big > max(atol, 1e-8) and not 3 < big / max(small, TINY) < 30:
        x = float(evaluator.work[i].reshape(-1)[j])  # type: ignore[union-attr]
        return (f"f is not differentiable within eps of this element (value {fmt(x)}): the slope of <v, f> "
                f"from the left is {fmt(left)}, from the right {fmt(right)}. Central differences straddle the "
                "kink (relu or abs at 0, max/min with a tie, clip at a bound): test away from such points, e.g. "
                "with strategies.tensors(avoid=(0.0,)) or min_gap=...")
    return None
