"""Property tests in one line: hypothesis draws the inputs, our checks judge the gradients.

    test_softplus = gradcheck_property(softplus, tensors())          # gradients vs central differences
    test_exp = backprop_test(autograd.exp, np.exp)                     # ... plus forward vs NumPy and hygiene

Each call returns a test function that pytest collects under the name it is assigned to. The examples
come from the active hypothesis profile (derandomized by `use_hypothesis_profiles()`, so failures reproduce);
`max_examples` overrides the count for one test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd.testing.checks import assert_grads_close, check_backprop
from autograd.testing.requirements import require_hypothesis

with require_hypothesis("autograd.testing.gradcheck_property and backprop_test"):
    from hypothesis import given, settings
    from hypothesis import strategies as st

from autograd.testing import strategies as ags  # noqa: E402  (after the check, which names what needs it)

__all__ = ["backprop_test", "gradcheck_property"]


def _name(func: Callable[..., Any]) -> str:
    owner = getattr(func, "__self__", None)
    if isinstance(owner, type):
        return owner.__name__
    return getattr(func, "__name__", "func").strip("<>")


def _finish(test: Callable[..., Any], name: str, max_examples: int | None) -> Callable[..., Any]:
    test.__name__ = test.__qualname__ = name
    if max_examples is not None:
        test = settings(max_examples=max_examples)(test)
    return test


def gradcheck_property(f: Callable[..., Any], *input_strategies: st.SearchStrategy[Any],
                       second_order: bool = False, max_examples: int | None = None,
                       **gradcheck_options: Any) -> Callable[[], None]:
    """A property test: for all inputs drawn from the strategies (one per argument of f), f's
    gradients match central differences (`assert_grads_close`; with `second_order`, also second order).

        test_my_op = gradcheck_property(my_op, tensors(), tensors(shape=(3,)))

    `gradcheck_options` (eps, atol, rtol, fast_mode) go to `gradcheck`.
    """
    if not input_strategies:
        raise ValueError("gradcheck_property: give one strategy per argument of f, e.g. tensors()")

    @given(st.tuples(*input_strategies))
    def test(inputs: tuple[Any, ...]) -> None:
        assert_grads_close(f, *inputs, second_order=second_order, **gradcheck_options)

    return _finish(test, f"test_{_name(f)}_gradients", max_examples)


def _positional_arity(func: Callable[..., Any]) -> int:
    owner = getattr(func, "__self__", None)
    from_forward = isinstance(owner, type) and hasattr(owner, "forward")  # MyOp.apply takes what forward takes
    try:
        signature = inspect.signature(owner.forward if from_forward else func)
    except (TypeError, ValueError):
        raise TypeError(f"backprop_test: cannot read the signature of {func!r}; pass nargs= or inputs=") from None
    required = [p for p in signature.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if from_forward:
        required = required[1:]  # self
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()) or not required:
        raise TypeError(f"backprop_test: cannot tell how many tensors {_name(func)} takes; pass nargs= or inputs=")
    return len(required)


def backprop_test(
    func: Callable[..., Any],
    reference: Callable[..., Any] | None = None,
    *,
    inputs: st.SearchStrategy[Any] | Sequence[st.SearchStrategy[Any]] | None = None,
    nargs: int | None = None,
    broadcast: bool = True,
    shapes: st.SearchStrategy[Any] | None = None,
    dtype: Any = np.float64,
    min_value: float = ags.DEFAULT_MIN_VALUE,
    max_value: float = ags.DEFAULT_MAX_VALUE,
    avoid: Iterable[float] = (),
    margin: float = 1e-2,
    min_gap: float | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    forward_rtol: float = 1e-7,
    forward_atol: float = 1e-12,
    second_order: bool = False,
    max_examples: int | None = None,
) -> Callable[[], None]:
    """Build a complete property test of a differentiable function (see `check_backprop` for the checks).

    For every example: the inputs come from strategies, a random upstream gradient is drawn, the
    forward is compared with `reference` (a NumPy function of the same arguments), the gradients with
    central differences, and afterwards the inputs and upstream gradient must be unmodified, the
    gradients must not share memory, and the graph must have been released.

    Args:
        func: the function under test, taking tensors (and possibly other arguments).
        reference: optional NumPy implementation of the forward, called with ndarrays.
        inputs: a strategy drawing the tuple of arguments, or a sequence of strategies, one per argument.
            By default `nargs` tensors (counted from func's signature) with mutually broadcastable shapes
            (`broadcast=True`) or one shared shape, drawn with the element options below.
        shapes: for the default inputs, a strategy of one shape (one argument) or of a tuple of shapes.
        dtype, min_value, max_value, avoid, margin, min_gap: element options (see `strategies.tensors`).
        eps, atol, rtol: gradient comparison (see `gradcheck`); forward_rtol, forward_atol: forward.
        second_order: also run `gradgradcheck` on every example.
        max_examples: override the profile's number of examples for this test.

        test_exp = backprop_test(autograd.exp, np.exp)
        test_log = backprop_test(autograd.log, np.log, min_value=0.1)
        test_sum = backprop_test(lambda x, axis: x.sum(axis), lambda x, axis: np.sum(x, axis),
                                 inputs=strategies.tensors_and_axes())
    """
    options = {"dtype": dtype, "min_value": min_value, "max_value": max_value, "avoid": avoid, "margin": margin,
               "min_gap": min_gap}
    if inputs is None:
        n = nargs if nargs is not None else _positional_arity(func)
        if n == 1:
            arguments = st.tuples(ags.tensors(shapes if shapes is not None else ags.shapes(), **options))
        elif broadcast:
            arguments = ags.broadcastable_tensors(n, shapes=shapes, **options)
        else:
            base = shapes if shapes is not None else ags.shapes()
            arguments = base.flatmap(lambda s: st.tuples(*(ags.tensors(s, **options) for _ in range(n))))
    elif isinstance(inputs, st.SearchStrategy):
        arguments = inputs.map(lambda drawn: drawn if isinstance(drawn, tuple) else (drawn,))
    else:
        arguments = st.tuples(*inputs)

    @given(arguments, st.integers(0, 2**32 - 1))
    def test(args: tuple[Any, ...], seed: int) -> None:
        check_backprop(func, args, reference, eps=eps, atol=atol, rtol=rtol, forward_rtol=forward_rtol,
                       forward_atol=forward_atol, second_order=second_order, seed=seed)

    return _finish(test, f"test_{_name(func)}_backprop", max_examples)
