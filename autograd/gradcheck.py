"""Is a backward pass right? Compare it with central differences.

The numerical derivative of a function L along one input element x_j is

    dL/dx_j  ~=  (L(x + eps e_j) - L(x - eps e_j)) / (2 eps)

whose error shrinks like eps**2 (the one-sided version only like eps). Each element costs two evaluations
of the function, so a check costs O(number of input elements) forward passes: fine for the small inputs
that tests use. All numerical work is done in float64, whatever the inputs' dtype, so that rounding
(about 1e-16 / eps = 1e-10 here) stays far below the tolerances.

`gradcheck` does not differentiate `sum(f(x))`: with an upstream gradient of all ones, a backward that
forgets to multiply by its incoming gradient, or that mixes up two output elements, still passes.
Instead it draws a random upstream gradient v and compares the vector-Jacobian product v^T J from one
backward pass with the numerical gradient of <v, f(x)>. Every entry of the Jacobian takes part: a wrong
entry J[o, i] changes component i of v^T J unless v happens to cancel it, which has probability zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import graph, mode
from autograd.gradcheck_report import (
    TINY,
    format_failure,
    kink_hint,
    mismatch,
    pattern_hints,
    worst_index,
)
from autograd.tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]



class GradcheckError(AssertionError):
    """A gradient check failed. An AssertionError, so pytest shows the full report."""


# ---------------------------------------------------------------------- evaluating f numerically
def _function_name(f: Callable[..., Any]) -> str:
    owner = getattr(f, "__self__", None)
    if isinstance(owner, type):  # MyOp.apply: a classmethod bound to the user's Function class
        return f"{owner.__name__}.{f.__name__}"
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _is_float_array_like(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray)) and np.asarray(value).dtype.kind == "f"


def _output_arrays(result: Any) -> list[np.ndarray]:
    """f's result as a list of arrays: one per output (f may return a tensor, a tuple, arrays or numbers)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(item.data if isinstance(item, Tensor) else item) for item in items]


class _Float64Evaluator:
    """Calls f on float64 copies of its inputs, perturbing one element at a time.

    Floating tensors and arrays are copied to float64 once; a perturbation edits the copy in place and
    restores it. Tensors keep their `requires_grad`, so a function that differentiates inside (as
    gradgradcheck's does) still works; the calls themselves run under `no_grad` unless f turns it on.
    """

    def __init__(self, f: Callable[..., Any], inputs: Sequence[Any], arrays_as_tensors: bool = False) -> None:
        self.f = f
        self.inputs = list(inputs)
        self.arrays_as_tensors = arrays_as_tensors
        self.work: list[np.ndarray | None] = []
        for value in inputs:
            if _is_float_array_like(value):
                self.work.append(np.array(np.asarray(value), dtype=np.float64, copy=True))
            else:
                self.work.append(None)

    def __call__(self) -> list[np.ndarray]:
        args = []
        for value, array in zip(self.inputs, self.work, strict=True):
            if array is None:
                args.append(value)
            elif isinstance(value, Tensor) or self.arrays_as_tensors:
                # A fresh wrapper each call: nothing from a previous call can hold on to it.
                requires_grad = isinstance(value, Tensor) and value.requires_grad
                args.append(Tensor._make(array.copy()).requires_grad_(requires_grad))
            else:
                args.append(array.copy())
        with mode.no_grad():
            return _output_arrays(self.f(*args))

    def loss(self, weights: Sequence[np.ndarray | None]) -> float:
        """<v, f(x)> summed over the outputs, in float64 (outputs with weight None are skipped)."""
        total = 0.0
        for out, v in zip(self(), weights, strict=True):
            if v is not None:
                total += float(np.sum(v * out.astype(np.float64)))
        return total

    def partial(self, i: int, flat_index: int, weights: Sequence[np.ndarray | None], step: float) -> float:
        """loss with element `flat_index` of input i moved by `step` (then restored)."""
        flat = self.work[i].reshape(-1)  # type: ignore[union-attr]  (a view: edits reach the work array)
        original = flat[flat_index]
        flat[flat_index] = original + step
        try:
            return self.loss(weights)
        finally:
            flat[flat_index] = original

    def directional(self, i: int, direction: np.ndarray, weights: Sequence[np.ndarray | None],
                    step: float) -> float:
        """loss with input i moved by `step * direction` (then restored)."""
        array = self.work[i]
        original = array.copy()  # type: ignore[union-attr]
        array += step * direction  # type: ignore[operator]
        try:
            return self.loss(weights)
        finally:
            array[...] = original  # type: ignore[index]

    def numerical_vjp(self, i: int, weights: Sequence[np.ndarray | None], eps: float) -> np.ndarray:
        """Central differences of <v, f> w.r.t. every element of input i."""
        array = self.work[i]
        result = np.empty(array.shape, dtype=np.float64)  # type: ignore[union-attr]
        flat = result.reshape(-1)
        for j in range(flat.size):
            flat[j] = (self.partial(i, j, weights, eps) - self.partial(i, j, weights, -eps)) / (2 * eps)
        return result


def _as_weights(grad_output: Any, outputs: list[np.ndarray], op: str) -> list[np.ndarray | None]:
    """The upstream gradient for each output, float64; ones when not given (the gradient of a sum)."""
    if grad_output is None:
        return [np.ones(o.shape) if o.dtype.kind == "f" else None for o in outputs]
    # A tuple holds one gradient per output; a list is one too when there are several outputs, else data.
    per_output = isinstance(grad_output, tuple) or (isinstance(grad_output, list) and len(outputs) > 1)
    items = list(grad_output) if per_output else [grad_output]
    if len(items) != len(outputs):
        raise ValueError(f"{op}: got {len(items)} grad_outputs for {len(outputs)} outputs")
    weights: list[np.ndarray | None] = []
    for k, (v, out) in enumerate(zip(items, outputs, strict=True)):
        if v is None:
            weights.append(None)
            continue
        array = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
        if array.shape != out.shape:
            raise ValueError(f"{op}: grad_output {k} has shape {array.shape}, but output {k} has shape {out.shape}")
        weights.append(array)
    return weights


def numerical_grad(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6,
                   grad_output: Any = None) -> tuple[np.ndarray | None, ...]:
    """The gradient of f by central differences, in float64, for each floating input.

    Args:
        f: a function of tensors (or arrays) returning a tensor, or a tuple of tensors.
        inputs: f's arguments. Every floating Tensor or ndarray is differentiated, whether or not it
            requires grad, and reaches f as a float64 Tensor; other arguments (ints, axes, integer
            tensors) are passed unchanged and get None.
        eps: the step. 1e-6 balances truncation error (eps**2) against rounding (1e-16 / eps).
        grad_output: the upstream gradient v (one per output for several outputs); the result is the
            gradient of sum(v * f(inputs)). Defaults to ones: for a single-value f, its plain gradient.

    Returns:
        a tuple with one float64 array (or None) per input, like `autograd.grad`.

        >>> import numpy as np
        >>> from autograd import Tensor, numerical_grad
        >>> (g,) = numerical_grad(lambda x: (x ** 3).sum(), Tensor(np.array([1.0, 2.0])))
        >>> np.round(g, 6)
        array([ 3., 12.])
    """
    evaluator = _Float64Evaluator(f, inputs, arrays_as_tensors=True)
    weights = _as_weights(grad_output, evaluator(), "numerical_grad")
    return tuple(
        evaluator.numerical_vjp(i, weights, eps) if evaluator.work[i] is not None else None
        for i in range(len(inputs))
    )


# ---------------------------------------------------------------------- the analytic side
def _analytic_vjp(outputs: list[Any], weights: list[np.ndarray | None], wrt: list[Tensor],
                  op: str) -> list[Tensor | None]:
    """v^T J by one backward pass (graph retained so hints may run a second one). None: no gradient."""
    outs, gouts = [], []
    for out, v in zip(outputs, weights, strict=True):
        if v is not None and isinstance(out, Tensor) and out.requires_grad:
            outs.append(out)
            gouts.append(Tensor._make(v.astype(out.dtype)))
    if not outs:
        return [None] * len(wrt)
    return list(graph.grad(outs, wrt, grad_outputs=gouts, retain_graph=True, allow_unused=True))


def _check_gradient_type(grad: Tensor | None, x: Tensor, name: str, op: str) -> str | None:
    """A gradient must have its input's shape and dtype; return what is wrong, if anything."""
    if grad is None:
        return None
    if not isinstance(grad, Tensor):
        return f"{op}: the gradient of {name} is a {type(grad).__name__}, expected a Tensor"
    if grad.shape != x.shape:
        return f"{op}: the gradient of {name} has shape {grad.shape}, but {name} has shape {x.shape}"
    if grad.dtype != x.dtype:
        return f"{op}: the gradient of {name} has dtype {grad.dtype}, but {name} has dtype {x.dtype}"
    return None


def _gradcheck_impl(f: Callable[..., Any], inputs: Any, eps: float, atol: float, rtol: float,
                    raise_exception: bool, fast_mode: bool, grad_outputs: Any, seed: int, op: str,
                    names: Sequence[str] | None = None) -> bool:
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not diff:
        raise ValueError(f"{op}: none of the {len(args)} inputs requires grad, so there is nothing to check; "
                         "pass tensors created with requires_grad=True")
    names = list(names) if names is not None else [f"input {i}" for i in range(len(args))]
    fname = _function_name(f)
    rng = np.random.default_rng(seed)

    with mode.enable_grad():
        result = f(*args)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    out_arrays = _output_arrays(result)
    if grad_outputs is None:
        # Random signs and magnitudes in [0.5, 1.5]: no entry is tiny, none are alike (see module doc).
        weights: list[np.ndarray | None] = [
            (rng.choice([-1.0, 1.0], o.shape) * rng.uniform(0.5, 1.5, o.shape)) if o.dtype.kind == "f" else None
            for o in out_arrays
        ]
        v_text = f"a random upstream gradient v (seed {seed})"
    else:
        weights = _as_weights(grad_outputs, out_arrays, op)
        v_text = "the given upstream gradient v"
    # The analytic side receives v in each output's dtype (float32 rounds it): use exactly that v here too.
    weights = [v.astype(out.dtype).astype(np.float64) if v is not None and isinstance(out, Tensor) else v
               for v, out in zip(weights, outputs, strict=True)]

    wrt = [args[i] for i in diff]
    analytic_t = _analytic_vjp(outputs, weights, wrt, op)
    for k, i in enumerate(diff):
        problem = _check_gradient_type(analytic_t[k], args[i], names[i], op)
        if problem:
            if raise_exception:
                raise GradcheckError(f"{problem} (function {fname})")
            return False
    analytic = [np.zeros(args[i].shape) if g is None else g.data.astype(np.float64)
                for g, i in zip(analytic_t, diff, strict=True)]

    upstream_check = None
    if grad_outputs is None:
        def upstream_check(k: int) -> bool:
            return _ignores_upstream(outputs, weights, wrt, k, analytic[k])

    message = compare_with_numerical(
        f, args, diff, analytic, weights, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, rng=rng,
        names=names, op=op, v_text=v_text, ignores_upstream=upstream_check,
        non_tensor_output=any(not isinstance(out, Tensor) for out in outputs),
    )
    if message is None:
        return True
    if raise_exception:
        raise GradcheckError(message)
    return False


def compare_with_numerical(
    f: Callable[..., Any], args: Sequence[Any], diff: Sequence[int], analytic: Sequence[np.ndarray],
    weights: list[np.ndarray | None], *, eps: float, atol: float, rtol: float, fast_mode: bool = False,
    rng: np.random.Generator | None = None, names: Sequence[str] | None = None, op: str = "gradcheck",
    v_text: str = "the upstream gradient v", ignores_upstream: Callable[[int], bool] | None = None,
    non_tensor_output: bool = False,
) -> str | None:
    """Compare analytic v^T J (one array per input in `diff`) with central differences of <v, f>.

    Returns None when all agree, else the failure report for the first input that does not. Shared by
    `gradcheck` and `autograd.testing.check_backprop`, so both explain failures the same way.
    """
    fname = _function_name(f)
    names = list(names) if names is not None else [f"input {i}" for i in range(len(args))]
    rng = rng if rng is not None else np.random.default_rng(0)
    evaluator = _Float64Evaluator(f, args)
    for k, i in enumerate(diff):
        x = args[i]
        hints = []
        if fast_mode:
            u = rng.standard_normal(x.shape)
            u /= max(float(np.linalg.norm(u)), TINY)  # a unit direction: the result is on the gradient's scale
            n = (evaluator.directional(i, u, weights, eps) - evaluator.directional(i, u, weights, -eps)) / (2 * eps)
            a = float(np.sum(analytic[k] * u))
            if not mismatch(np.asarray(a), np.asarray(n), atol, rtol):
                continue
            a_show, n_show, worst = np.asarray(a), np.asarray(n), None
            what = (f"fast mode: (v^T J) . u for {v_text} and a random unit direction u, from backward vs.\n"
                    f"       central differences along u, eps = {eps:g}, in float64. Rerun with fast_mode=False to "
                    "see which element is wrong.")
        else:
            numerical = evaluator.numerical_vjp(i, weights, eps)
            if not np.any(mismatch(analytic[k], numerical, atol, rtol)):
                continue
            a_show, n_show = analytic[k], numerical
            worst = worst_index(analytic[k], numerical, atol, rtol)
            what = (f"v^T J for {v_text}, from backward vs. central differences\n"
                    f"       (f(x + eps) - f(x - eps)) / (2 eps), eps = {eps:g}, in float64")
            hints += pattern_hints(analytic[k], numerical, atol, rtol)
            kink = kink_hint(evaluator, i, worst, weights, eps, atol)
            if kink:
                hints.append(kink)
        if x.dtype != np.float64:
            hints.append(f"{names[i]} is {x.dtype}: its analytic gradient is computed in {x.dtype} "
                         f"(relative precision about {np.finfo(x.dtype).eps:.0e}); check in float64 "
                         "(x.astype(np.float64)) or loosen atol and rtol")
        if non_tensor_output:
            hints.append("f returned something that is not a Tensor (a NumPy array or a number): that output left "
                         "the graph, so backward cannot reach it; build it with Tensor operations")
        if ignores_upstream is not None and ignores_upstream(k):
            hints.append("backward gives the same gradient for this random upstream gradient as for an all-ones "
                         "one: it probably ignores its incoming gradient (multiply the local derivative by "
                         "the gradient backward receives)")
        header = (f"{op} failed for {fname}: the gradient of {names[i]} (shape {x.shape}, dtype {x.dtype})\n"
                  "from backward does not match central differences.")
        return format_failure(header, what, a_show, n_show, atol, rtol, hints, worst)
    return None


def _ignores_upstream(outputs: list[Any], weights: list[np.ndarray | None], wrt: list[Tensor], k: int,
                      analytic: np.ndarray) -> bool:
    """Would backward have returned the same gradient for v = ones? (Then it never looked at v.)"""
    if not np.any(analytic):  # a zero gradient is the same for every v: no evidence either way
        return False
    ones = [None if v is None else np.ones_like(v) for v in weights]
    if all(v is None or np.array_equal(v, o) for v, o in zip(weights, ones, strict=True)):
        return False
    try:
        with_ones = _analytic_vjp(outputs, ones, wrt, "gradcheck")[k]
    except Exception:  # the hint is best effort: never hide the real failure behind another error
        return False
    return with_ones is not None and np.allclose(with_ones.data, analytic, rtol=1e-12, atol=0)


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    grad_outputs: Any = None,
    seed: int = 0,
) -> bool:
    """Check f's analytic gradients (from backward) against central differences.

    For a random upstream gradient v (deterministic: drawn from `seed`), one backward pass gives
    v^T J for every input that requires grad; central differences of <v, f(x)> in float64 give the
    same numbers numerically. They must agree elementwise: |a - n| <= atol + rtol * |n|.

    Args:
        f: a function of tensors returning a tensor or a tuple of tensors (for instance `MyOp.apply`).
        inputs: a tensor or a tuple of f's arguments. Tensors with requires_grad=True are checked; the
            others (constants, axes, integer indices) are passed through unchanged.
        eps: central-difference step.
        atol, rtol: tolerances of the elementwise comparison.
        raise_exception: raise `GradcheckError` with a full report on failure (else return False).
        fast_mode: compare one directional derivative per input (along a random direction) instead of
            every element: two evaluations of f per input instead of two per element, for large inputs.
        grad_outputs: use this upstream gradient instead of a random one.
        seed: seed of the random upstream gradient and directions.

    Returns:
        True when every checked gradient agrees.

    The report names the input, the worst element, both values, the relative error
    |a - n| / max(|a| + |n|, tiny), and hints: float32 inputs, points where f has a kink (relu at 0),
    a sign error or a constant factor, a backward that ignores its incoming gradient.

        >>> import numpy as np
        >>> from autograd import Tensor, gradcheck
        >>> x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        >>> gradcheck(lambda t: t.tanh() * t, (x,))
        True
    """
    return _gradcheck_impl(f, inputs, eps, atol, rtol, raise_exception, fast_mode, grad_outputs, seed,
                           "gradcheck")


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck applied to the backward pass itself.

    The first-order gradient g(x, v) = v^T J(x) is computed with `create_graph=True`, which records the
    backward pass as a graph; gradcheck then differentiates g with respect to x and to v. This catches
    a backward written with raw NumPy (its result is a constant, so second derivatives are zero) or
    with a wrong derivative of the derivative.

    Args:
        f, inputs, eps, atol, rtol, raise_exception, fast_mode, seed: as in `gradcheck`.
        grad_outputs: the upstream gradient v of the first-order pass (random by default).
    """
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not diff:
        raise ValueError(f"gradgradcheck: none of the {len(args)} inputs requires grad, so there is nothing "
                         "to check; pass tensors created with requires_grad=True")
    with mode.enable_grad():
        result = f(*args)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    out_index = [k for k, out in enumerate(outputs) if isinstance(out, Tensor) and out.dtype.kind == "f"]
    rng = np.random.default_rng(seed + 1)  # not the v that gradcheck draws for the second-order pass
    if grad_outputs is None:
        vs = [Tensor._make(rng.standard_normal(outputs[k].shape).astype(outputs[k].dtype)) for k in out_index]
    else:
        given = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
        if len(given) != len(out_index):
            raise ValueError(f"gradgradcheck: got {len(given)} grad_outputs for {len(out_index)} floating outputs")
        vs = [g.detach() if isinstance(g, Tensor) else Tensor._make(np.asarray(g, dtype=outputs[k].dtype))
              for g, k in zip(given, out_index, strict=True)]
    vs = [v.requires_grad_(True) for v in vs]
    n_args = len(args)

    def first_order(*all_args: Any) -> tuple[Tensor, ...]:
        xs, v_args = all_args[:n_args], all_args[n_args:]
        with mode.enable_grad():
            res = f(*xs)
            outs = list(res) if isinstance(res, (tuple, list)) else [res]
            pairs = [(outs[k], v) for k, v in zip(out_index, v_args, strict=True)
                     if isinstance(outs[k], Tensor) and outs[k].requires_grad]
            wrt = [xs[i] for i in diff]
            if pairs:
                grads = graph.grad([o for o, _ in pairs], wrt, grad_outputs=[v for _, v in pairs],
                                   create_graph=True, allow_unused=True)
            else:
                grads = (None,) * len(wrt)
        return tuple(Tensor._make(np.zeros(w.shape, dtype=w.dtype)) if g is None else g
                     for g, w in zip(grads, wrt, strict=True))

    first_order.__qualname__ = f"first-order gradient of {_function_name(f)}"
    names = [f"input {i}" for i in range(n_args)] + [f"grad_output {k}" for k in out_index]
    return _gradcheck_impl(first_order, (*args, *vs), eps, atol, rtol, raise_exception, fast_mode, None,
                           seed, "gradgradcheck", names)
