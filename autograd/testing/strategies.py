"""Hypothesis strategies for tensors, shapes and axes, to property-test gradients.

Import it like `hypothesis.strategies`:

    from hypothesis import given
    from autograd.testing import strategies as ags

    @given(ags.tensors(shape=ags.shapes(max_dims=2)))
    def test_my_op(x): ...

Defaults suit gradient checks: float64, shapes of 0 to 3 dimensions with sides 1 to 4 (so 0-d tensors
and size-1 axes, the usual broadcasting corner cases, come up often), and elements in [-3, 3], where
exp, products and powers stay far from overflow. Options keep elements away from points where a
function is not differentiable (`avoid=(0.0,)` for relu and abs) and apart from each other (`min_gap`,
for max/min, whose gradient jumps where two elements tie).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from autograd.tensor import Tensor
from autograd.testing.requirements import require_hypothesis

with require_hypothesis("autograd.testing.strategies"):
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

__all__ = [
    "DEFAULT_MAX_VALUE", "DEFAULT_MIN_VALUE", "arrays", "axes", "broadcastable_shapes", "broadcastable_tensors",
    "elements", "matmul_shapes", "matmul_tensors", "shapes", "tensors", "tensors_and_axes",
]

DEFAULT_MIN_VALUE = -3.0
DEFAULT_MAX_VALUE = 3.0
Shape = tuple[int, ...]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy[Shape]:
    """Array shapes; by default 0-d to 3-d with sides 1 to 4 (so up to 64 elements).

    Shrinks towards 0-d, the simplest tensor. Pass min_side=0 to include empty tensors.
    """
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[Shape, ...]]:
    """Tuples of `n` shapes that broadcast together (NumPy rules): different ranks, size-1 axes, equal ones."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda result: result.input_shapes)


def matmul_shapes(min_batch_dims: int = 0, max_batch_dims: int = 2, min_side: int = 1, max_side: int = 4,
                  vectors: bool = True) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs of shapes valid for `a @ b` with NumPy's rules: broadcast batch axes and, when `vectors`,
    1-D operands (a row vector on the left, a column vector on the right)."""
    signature = "(m?,n),(n,p?)->(m?,p?)" if vectors else "(m,n),(n,p)->(m,p)"
    return hnp.mutually_broadcastable_shapes(
        signature=signature, min_dims=min_batch_dims, max_dims=max_batch_dims, min_side=min_side, max_side=max_side
    ).map(lambda result: result.input_shapes)


def axes(ndim: int, allow_none: bool = True, single: bool = False) -> st.SearchStrategy[Any]:
    """`axis` arguments for a reduction over a tensor with `ndim` dimensions.

    Draws None (all axes; unless `allow_none=False`), one axis as an int (negative ones too), or a tuple of
    distinct axes (possibly empty). With `single=True`, only one int axis, as softmax takes.
    """
    if single:
        if ndim == 0:
            raise ValueError("axes: a 0-d tensor has no axis to pick (single=True needs ndim >= 1)")
        return st.integers(-ndim, ndim - 1)
    options = [st.none()] if allow_none else []
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
    options.append(hnp.valid_tuple_axes(ndim))
    return st.one_of(*options)


def _push_away(x: float, avoid: Sequence[float], margin: float, lo: float, hi: float) -> float:
    """Move x at least `margin` away from each avoided point, staying inside [lo, hi] when possible."""
    for point in avoid:
        if abs(x - point) < margin:
            up, down = point + margin, point - margin
            x = up if (x >= point and up <= hi) or down < lo else down
    return x


def elements(dtype: Any = np.float64, min_value: float = DEFAULT_MIN_VALUE, max_value: float = DEFAULT_MAX_VALUE,
             avoid: Iterable[float] = (), margin: float = 1e-2, grid: float | None = None) -> st.SearchStrategy[Any]:
    """Numbers for tensor elements: finite, in [min_value, max_value], no subnormals.

    Args:
        avoid: points to stay at least `margin` away from (0.0 for relu and abs, the bounds of clip).
            Values are moved, not filtered, so hypothesis never runs out of examples.
        grid: draw multiples of this step only (exact in binary when it is a power of two); with
            `unique=True` arrays, elements then differ by at least one step.
    """
    return _elements(dtype, min_value, max_value, avoid, margin, grid)


def _elements(dtype: Any, min_value: float, max_value: float, avoid: Iterable[float], margin: float,
              grid: float | None) -> st.SearchStrategy[Any]:
    dtype = np.dtype(dtype)
    avoid = tuple(float(p) for p in avoid)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(max(int(math.ceil(min_value)), info.min), min(int(math.floor(max_value)), info.max))
    if dtype.kind != "f":
        raise TypeError(f"elements: unsupported dtype {dtype}; use a float, integer or bool dtype")
    if min_value > max_value:
        raise ValueError(f"elements: min_value {min_value} is larger than max_value {max_value}")
    if grid is not None:
        low, high = math.ceil(min_value / grid), math.floor(max_value / grid)
        values = st.integers(low, high).map(lambda k: k * grid)
        if avoid:
            values = values.filter(lambda x: all(abs(x - p) >= margin for p in avoid))
        return values
    values = st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False, width=min(dtype.itemsize * 8, 64))
    if avoid:
        values = values.map(lambda x: _push_away(x, avoid, margin, min_value, max_value))
    return values


def arrays(shape: Shape | st.SearchStrategy[Shape] | None = None, dtype: Any = np.float64,
           elements: st.SearchStrategy[Any] | None = None, *, min_value: float = DEFAULT_MIN_VALUE,
           max_value: float = DEFAULT_MAX_VALUE, avoid: Iterable[float] = (), margin: float = 1e-2,
           min_gap: float | None = None) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays with the same options as `tensors` (for references and non-differentiable inputs)."""
    dtype = np.dtype(dtype)
    if shape is None:
        shape = shapes()
    if elements is None:
        elements = _elements(dtype, min_value, max_value, avoid, margin, grid=min_gap)
    return hnp.arrays(dtype, shape, elements=elements, unique=min_gap is not None)


def tensors(shape: Shape | st.SearchStrategy[Shape] | None = None, dtype: Any = np.float64,
            elements: st.SearchStrategy[Any] | None = None, requires_grad: bool = True, *,
            min_value: float = DEFAULT_MIN_VALUE, max_value: float = DEFAULT_MAX_VALUE,
            avoid: Iterable[float] = (), margin: float = 1e-2,
            min_gap: float | None = None) -> st.SearchStrategy[Tensor]:
    """Tensors for property tests.

    Args:
        shape: a fixed shape, a strategy of shapes (e.g. `shapes(max_dims=2)`), or None for `shapes()`.
        dtype: float64 by default, so numerical gradients are accurate; float32 works too.
        elements: a strategy for the elements; overrides the bounds below.
        requires_grad: whether the tensors require grad (floating dtypes only).
        min_value, max_value: element bounds, [-3, 3] by default (no overflow in exp or products).
        avoid, margin: keep elements at least `margin` from these points (see `elements`).
        min_gap: make all elements distinct and at least this far apart (drawn from a grid of that step),
            so max, min and sorting have no ties within the finite-difference step. The tensor must have
            fewer elements than the grid has points.
    """
    dtype = np.dtype(dtype)
    if requires_grad and dtype.kind != "f":
        raise TypeError(f"tensors: a {dtype} tensor cannot require grad; pass requires_grad=False")
    return arrays(shape, dtype, elements, min_value=min_value, max_value=max_value, avoid=avoid, margin=margin,
                  min_gap=min_gap).map(lambda array: Tensor._make(array).requires_grad_(requires_grad))


def broadcastable_tensors(n: int = 2, shapes: st.SearchStrategy[tuple[Shape, ...]] | None = None,
                          **tensor_options: Any) -> st.SearchStrategy[tuple[Tensor, ...]]:
    """Tuples of `n` tensors whose shapes broadcast together (options as in `tensors`)."""
    shape_tuples = broadcastable_shapes(n) if shapes is None else shapes
    return shape_tuples.flatmap(lambda shs: st.tuples(*(tensors(s, **tensor_options) for s in shs)))


def matmul_tensors(shapes: st.SearchStrategy[tuple[Shape, Shape]] | None = None,
                   **tensor_options: Any) -> st.SearchStrategy[tuple[Tensor, Tensor]]:
    """Pairs `(a, b)` of tensors that can be multiplied, `a @ b` (see `matmul_shapes`)."""
    pairs = matmul_shapes() if shapes is None else shapes
    return pairs.flatmap(lambda shs: st.tuples(tensors(shs[0], **tensor_options), tensors(shs[1], **tensor_options)))


def tensors_and_axes(shape: Shape | st.SearchStrategy[Shape] | None = None, allow_none: bool = True,
                     single: bool = False, **tensor_options: Any) -> st.SearchStrategy[tuple[Tensor, Any]]:
    """Pairs `(x, axis)`: a tensor and a valid reduction axis for it (see `axes`).

    With `single=True` the tensors have at least one dimension and the axis is one int.
    """
    if shape is None:
        shape = shapes(min_dims=1 if single else 0)
    shape_strategy = shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))
    return shape_strategy.flatmap(
        lambda s: st.tuples(tensors(s, **tensor_options), axes(len(s), allow_none=allow_none, single=single))
    )
