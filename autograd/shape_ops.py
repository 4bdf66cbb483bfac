"""The functional API, shape part: reshape, transpose, broadcast, repeat and tile, indexing, joining.

Each function checks its arguments, so that a wrong axis or shape is reported naming the operation,
the shapes and what was expected, then applies a primitive from `autograd.functions.shape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import dtypes
from autograd.errors import ShapeError
from autograd.functions import BroadcastTo, Concatenate, GetItem, Repeat, Reshape, Transpose
from autograd.functions.reduction import normalize_axes
from autograd.ops import as_tensor_arg, axis_arg
from autograd.tensor import Tensor

__all__ = [
    "broadcast_to", "concatenate", "expand", "expand_dims", "flatten", "getitem", "permute", "repeat",
    "reshape", "squeeze", "stack", "swapaxes", "tile", "to_index", "transpose",
]


def _shape_arg(shape: Any) -> tuple[Any, ...]:
    """A shape given as one sequence or as separate ints: `reshape(x, (2, 3))` or `x.reshape(2, 3)`."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(shape)


def reshape(x: Any, shape: Any) -> Tensor:
    """Same data, new shape; one size may be -1 (inferred)."""
    x = as_tensor_arg(x, "reshape")
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"reshape: a shape is a sequence of ints, got {shape!r}")
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or any(s < -1 for s in shape) or (
        x.size != known if -1 not in shape else (known == 0 or x.size % known != 0)
    ):
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) to {shape}")
    return Reshape.apply(x, shape)


def flatten(x: Any, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes from `start_axis` to `end_axis` (the last, by default) into one."""
    x = as_tensor_arg(x, "flatten")
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_axes(start_axis, x.ndim, "flatten")[0]
    end = normalize_axes(end_axis, x.ndim, "flatten")[0]
    if end < start:
        raise ShapeError(f"flatten: start axis {start_axis} comes after end axis {end_axis} (shape {x.shape})")
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when `axes` is None).

    Two axes on a tensor of other than two dimensions swap those two (PyTorch's `transpose(dim0, dim1)`;
    NumPy would refuse them as an incomplete permutation).
    """
    x = as_tensor_arg(x, "transpose")
    if axes is None:
        return x if x.ndim < 2 else Transpose.apply(x, None)
    axes = tuple(axes)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -max(x.ndim, 1) <= a < max(x.ndim, 1):
            raise ShapeError(
                f"transpose: axis {a!r} does not exist in a tensor with {x.ndim} dimensions (shape {x.shape}); "
                f"axes run from {-x.ndim} to {x.ndim - 1}"
            )
    if len(axes) == 2 and x.ndim != 2:
        return swapaxes(x, axes[0], axes[1])
    perm = tuple(int(a) % max(x.ndim, 1) for a in axes)
    if sorted(perm) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return x if perm == tuple(range(x.ndim)) else Transpose.apply(x, perm)


def permute(x: Any, *dims: Any) -> Tensor:
    """PyTorch's name for a full permutation of the axes: `x.permute(2, 0, 1)`."""
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    x = as_tensor_arg(x, "permute")
    if len(dims) != x.ndim:
        raise ShapeError(f"permute: got {len(dims)} axes {dims} for a tensor with {x.ndim} dimensions "
                         f"(shape {x.shape})")
    return transpose(x, dims)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = as_tensor_arg(x, "swapaxes")
    a, b = normalize_axes(axis1, x.ndim, "swapaxes")[0], normalize_axes(axis2, x.ndim, "swapaxes")[0]
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return x if a == b else Transpose.apply(x, tuple(perm))


def squeeze(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Remove axes of size 1 (all of them, or the given ones; a 0-d tensor accepts axis 0 and -1)."""
    x = as_tensor_arg(x, "squeeze")
    axis = axis_arg(axis, dim, "squeeze")
    if axis is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axes = normalize_axes(axis, x.ndim, "squeeze")
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def expand_dims(x: Any, axis: int | None = None, *, dim: Any = None) -> Tensor:
    """Insert an axis of size 1 at `axis` (`unsqueeze` in PyTorch)."""
    x = as_tensor_arg(x, "expand_dims")
    axis = axis_arg(axis, dim, "expand_dims")
    ndim = x.ndim + 1
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ShapeError(f"expand_dims: axis {axis!r} is out of range for a result with {ndim} dimensions")
    axis %= ndim
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """A read-only view of `x` repeated to `shape` by NumPy's broadcasting rules."""
    x = as_tensor_arg(x, "broadcast_to")
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return BroadcastTo.apply(x, shape)


def expand(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's `expand`: `broadcast_to` where -1 keeps that axis's size."""
    x = as_tensor_arg(x, "expand")
    sizes = _shape_arg(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)) else sizes
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes {tuple(sizes)} are fewer than the {x.ndim} axes of {x.shape}")
    return broadcast_to(x, tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)))


def repeat(x: Any, repeats: Any, *more: Any, axis: int | None = None) -> Tensor:
    """Repeat each element `repeats` times along `axis`, exactly like `np.repeat` (flattened if None).

    The axis is keyword-only: PyTorch's `x.repeat(7, 1)` means something else (it tiles), so a second
    positional number is refused with a pointer to `tile`, instead of being silently read as an axis.
    """
    if more:
        raise TypeError(
            f"repeat: got {1 + len(more)} positional arguments {(repeats, *more)}. Here repeat is NumPy's "
            f"(each element copied, e.g. x.repeat(2, axis=1)); for PyTorch's x.repeat{(repeats, *more)}, "
            f"which tiles the whole tensor, write x.tile({(repeats, *more)})"
        )
    x = as_tensor_arg(x, "repeat")
    if axis is not None:
        axis = normalize_axes(axis, x.ndim, "repeat")[0] if x.ndim else None
    if isinstance(repeats, Tensor):
        repeats = repeats.data
    reps = np.asarray(repeats)
    if reps.dtype.kind not in "iu" or np.any(reps < 0):
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    length = x.size if axis is None else x.shape[axis]
    if reps.ndim > 1 or (reps.ndim == 1 and reps.size not in (1, length)):
        raise ShapeError(
            f"repeat: {reps.size} repeat counts do not match the {length} elements along axis {axis} of shape {x.shape}"
        )
    return Repeat.apply(x, int(reps) if reps.ndim == 0 else reps, axis)


def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor `reps[i]` times along axis i (`np.tile`, PyTorch's `repeat`).

    Built from primitives: insert a size-1 axis before each axis, broadcast it to the count, merge the
    pairs. Its backward is therefore the sum over the copies, as it should be.
    """
    x = as_tensor_arg(x, "tile")
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetition counts must be non-negative, got {reps}")
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    x = reshape(x, (1,) * (ndim - x.ndim) + x.shape)
    paired = reshape(x, tuple(d for s in x.shape for d in (1, s)))
    stretched = broadcast_to(paired, tuple(d for r, s in zip(reps, x.shape, strict=True) for d in (r, s)))
    return reshape(stretched, tuple(r * s for r, s in zip(reps, x.shape, strict=True)))


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: basic slices, integer arrays and nested sequences (repeats add up), boolean masks."""
    x = as_tensor_arg(x, "getitem")
    index = to_index(index)
    try:
        return GetItem.apply(x, index)
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {x.shape}: {error}") from None


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: Any = None) -> Tensor:
    """Join tensors along an existing axis; all other axes must match (mixed dtypes follow the dtype rule)."""
    axis = axis_arg(None if dim is not None else axis, dim, "concatenate")
    items = [as_tensor_arg(t, "concatenate") for t in tensors]
    if not items:
        raise ValueError("concatenate: need at least one tensor")
    ndim = items[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in items):
        raise ShapeError(
            f"concatenate: all tensors need the same number (>= 1) of dimensions, got shapes {[t.shape for t in items]}"
        )
    axis = normalize_axes(axis, ndim, "concatenate")[0]
    if len({t.shape[:axis] + t.shape[axis + 1:] for t in items}) > 1:
        raise ShapeError(f"concatenate: shapes {[t.shape for t in items]} differ outside the concatenation axis {axis}")
    if len({t.dtype for t in items}) > 1:
        items = [_promoted(t, items) for t in items]
    return Concatenate.apply(*items, axis=axis)


def _promoted(t: Tensor, items: list[Tensor]) -> Tensor:
    """`t` in the dtype the dtype rule gives the joined tensors (integers join floats as those floats)."""
    target = dtypes.promote_types(*[item.dtype for item in items])
    return t if t.dtype == target or t.dtype.kind == "f" else Tensor._make(t.data.astype(target))


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: Any = None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    axis = axis_arg(None if dim is not None else axis, dim, "stack")
    items = [as_tensor_arg(t, "stack") for t in tensors]
    if not items:
        raise ValueError("stack: need at least one tensor")
    if len({t.shape for t in items}) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {[t.shape for t in items]}")
    ndim = items[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"stack: axis {axis} is out of range for a result with {ndim} dimensions")
    return concatenate([expand_dims(t, axis) for t in items], axis=axis)


def to_index(index: Any) -> Any:
    """An index as NumPy reads it: Tensors inside it become their arrays, and nested sequences arrays.

    NumPy treats a list or a tuple inside an index tuple as an integer (or boolean) array, which may
    select a position several times (`x[(0, 0, 1), :]`); converting them here lets the GetItem node see
    that it is advanced indexing. An empty list selects nothing (an integer index, not a float one).
    """
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return _index_array(index)
    if isinstance(index, tuple):
        return tuple(_index_item(item) for item in index)
    return index


def _index_item(item: Any) -> Any:
    if isinstance(item, Tensor):
        return item.data
    if isinstance(item, (list, tuple)):
        return _index_array(item)
    return item


def _index_array(items: Any) -> np.ndarray:
    array = np.asarray([i.data if isinstance(i, Tensor) else i for i in items] if isinstance(items, list) else items)
    return array.astype(np.intp) if array.size == 0 else array
