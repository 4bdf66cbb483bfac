"""Assertions for gradient tests: `assert_grads_close` and `check_backprop` (one example of backprop_test).

These need only NumPy; the hypothesis-driven property tests built on them live in `properties.py`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import graph, mode
from autograd.errors import GraphError
from autograd.gradcheck import compare_with_numerical, gradcheck, gradgradcheck
from autograd.tensor import Tensor

__all__ = ["assert_grads_close", "check_backprop"]


def assert_grads_close(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                       rtol: float = 1e-3, second_order: bool = False, fast_mode: bool = False,
                       seed: int = 0) -> None:
    """Assert that f's gradients w.r.t. the inputs that require grad match central differences.

    `gradcheck(f, inputs)` that raises `GradcheckError` (an AssertionError) with the full report; with
    `second_order=True` also `gradgradcheck`. Inputs that do not require grad are passed through.
    """
    gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, seed=seed)
    if second_order:
        gradgradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, seed=seed)


def _as_tuple(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _check_forward(name: str, outputs: Sequence[np.ndarray], expected: Any, rtol: float, atol: float) -> None:
    expected_items = _as_tuple(expected)
    if len(expected_items) != len(outputs):
        raise AssertionError(f"{name}: returned {len(outputs)} outputs, the reference {len(expected_items)}")
    for k, (out, ref) in enumerate(zip(outputs, expected_items, strict=True)):
        ref_array = np.asarray(ref)
        label = f"{name}: output {k}" if len(outputs) > 1 else f"{name}"
        if out.shape != ref_array.shape:
            raise AssertionError(f"{label} has shape {out.shape}, the NumPy reference {ref_array.shape}")
        if isinstance(ref, (np.ndarray, np.generic)) and out.dtype != ref_array.dtype:
            raise AssertionError(f"{label} has dtype {out.dtype}, the NumPy reference {ref_array.dtype}")
        if not np.allclose(out, ref_array, rtol=rtol, atol=atol, equal_nan=True):
            with np.errstate(invalid="ignore"):
                diff = np.abs(out.astype(np.float64) - ref_array.astype(np.float64))
            worst = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.ndim else ()
            raise AssertionError(
                f"{label} differs from the NumPy reference (rtol={rtol:g}, atol={atol:g}); the largest "
                f"difference is at index {tuple(int(i) for i in worst)}: {out[worst]!r} vs {ref_array[worst]!r}"
                f"\n  ours:      {out!r}\n  reference: {ref_array!r}"
            )


def _backward_and_release(func: Callable[..., Any], leaves: list[Any], upstream: Callable[[list[Any]], list]
                          ) -> tuple[list[np.ndarray], list[Tensor | None], list[weakref.ref], list[str]]:
    """Run forward and backward; report nodes that kept their saved values.

    Kept in its own function so that, when it returns, nothing but the caller's weak references points
    to the graph: the caller then checks that the nodes were freed.
    """
    with mode.enable_grad():
        outputs = _as_tuple(func(*leaves))
    arrays = [np.array(o.data if isinstance(o, Tensor) else o, copy=True) for o in outputs]
    vs = upstream(list(outputs))
    roots = [(o, v) for o, v in zip(outputs, vs, strict=True) if v is not None and o.requires_grad]
    nodes = graph.topological_order(o.grad_fn for o, _ in roots if o.grad_fn is not None)
    if roots:
        graph.backward_pass([o for o, _ in roots], [v for _, v in roots])
    kept = [node.name for node in nodes if _holds_saved_values(node)]
    return arrays, vs, [weakref.ref(node) for node in nodes], kept


def _holds_saved_values(node: Any) -> bool:
    """Does the node still hold what it saved for backward? A released one raises when asked."""
    try:
        return len(node.saved_tensors) > 0
    except GraphError:
        return False


def _shares_memory(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.may_share_memory(a, b) and np.shares_memory(a, b))


def check_backprop(
    func: Callable[..., Any],
    args: Sequence[Any],
    reference: Callable[..., Any] | None = None,
    grad_output: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    forward_rtol: float = 1e-7,
    forward_atol: float = 1e-12,
    second_order: bool = False,
    seed: int = 0,
) -> None:
    """Check one call of `func` completely; raise AssertionError naming what is wrong.

    1. forward: equal to `reference` (a NumPy function of the same arguments, given ndarrays) in value,
       shape and dtype;
    2. backward with an upstream gradient v (random from `seed` unless `grad_output` is given): the
       `.grad` of every input that requires grad has the input's shape and dtype and matches central
       differences of <v, func> (see `autograd.gradcheck`);
    3. hygiene: the inputs and v were not modified, no two gradients (nor a gradient and v or an input)
       share memory, every node released its saved arrays, and the graph was freed as soon as its
       outputs were dropped (no reference cycles);
    4. with `second_order=True`, `gradgradcheck` too.

    The inputs themselves are not touched: the check runs on fresh leaves sharing their data.
    """
    args = tuple(args)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    leaves = [Tensor._make(a.data).requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in args]
    snapshots = [np.array(a.data if isinstance(a, Tensor) else a, copy=True)
                 if isinstance(a, (Tensor, np.ndarray)) else None for a in args]
    rng = np.random.default_rng(seed)
    given = None if grad_output is None else _as_tuple(grad_output)
    upstream_copies: list[np.ndarray | None] = []

    def upstream(outputs: list[Any]) -> list[Tensor | None]:
        vs: list[Tensor | None] = []
        for k, out in enumerate(outputs):
            if not isinstance(out, Tensor) or out.dtype.kind != "f":
                vs.append(None)
                continue
            if given is not None:
                array = np.array(given[k].data if isinstance(given[k], Tensor) else given[k], dtype=out.dtype)
            else:
                array = rng.standard_normal(out.shape).astype(out.dtype)
            vs.append(Tensor._make(array))
            upstream_copies.append(array.copy())
        return vs

    out_arrays, vs, node_refs, kept = _backward_and_release(func, leaves, upstream)

    # Hygiene of inputs first: a forward that modifies its input would also fail the forward check, less clearly.
    for i, (a, snap) in enumerate(zip(args, snapshots, strict=True)):
        current = a.data if isinstance(a, Tensor) else a
        if snap is not None and not np.array_equal(current, snap, equal_nan=snap.dtype.kind == "f"):
            raise AssertionError(f"{name}: input {i} (shape {snap.shape}) was modified by forward or backward")
    for v, copy in zip([v for v in vs if v is not None], upstream_copies, strict=True):
        if not np.array_equal(v.data, copy, equal_nan=True):
            raise AssertionError(f"{name}: backward modified the upstream gradient it was given (shape {v.shape})")

    # Forward, on copies of the inputs as they were.
    if reference is not None:
        ref_args = [snap.copy() if snap is not None else a for a, snap in zip(args, snapshots, strict=True)]
        _check_forward(name, out_arrays, reference(*ref_args), forward_rtol, forward_atol)

    if kept:
        raise AssertionError(f"{name}: after backward (retain_graph=False) these nodes still hold their saved "
                             f"arrays: {kept}; the graph must be released")
    alive = [ref() for ref in node_refs if ref() is not None]
    if alive:
        raise AssertionError(
            f"{name}: the graph is still alive after its outputs were dropped ({[n.name for n in alive]}): "
            "a reference cycle keeps it (does a node store a Tensor that points back to it?)"
        )

    diff = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor) and leaf.requires_grad]
    grads = []
    for i in diff:
        leaf, g = leaves[i], leaves[i].grad
        if g is None:
            grads.append(np.zeros(leaf.shape, dtype=np.float64))
            continue
        if g.shape != leaf.shape or g.dtype != leaf.dtype:
            raise AssertionError(f"{name}: the gradient of input {i} has shape {g.shape} and dtype {g.dtype}, "
                                 f"but the input has shape {leaf.shape} and dtype {leaf.dtype}")
        others = [("the upstream gradient", v.data) for v in vs if v is not None]
        others += [(f"input {j}", leaves[j].data) for j in diff]
        others += [(f"the gradient of input {j}", leaves[j].grad.data) for j in diff
                   if j != i and leaves[j].grad is not None]
        for label, array in others:
            if _shares_memory(g.data, array):
                raise AssertionError(f"{name}: the gradient of input {i} shares memory with {label}; gradients "
                                     "are accumulated in place, so this would corrupt it")
        grads.append(g.data.astype(np.float64))

    # Gradients against central differences, with exactly the v that backward received.
    weights = [None if v is None else v.data.astype(np.float64) for v in vs]
    if diff:
        message = compare_with_numerical(
            func, args, diff, grads, weights, eps=eps, atol=atol, rtol=rtol, op="check_backprop",
            v_text="a random upstream gradient v" if given is None else "the given upstream gradient v",
        )
        if message is not None:
            raise AssertionError(message)

    if second_order and diff:
        gradgradcheck(func, args, eps=eps, atol=atol, rtol=rtol, seed=seed)
