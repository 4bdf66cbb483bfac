"""The functional API: every operation on tensors, as a function.

Each function checks its arguments (so errors name the operation and the shapes), then applies a
primitive from `autograd.functions` or composes several. Tensor methods and operators call these.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import dtypes
from autograd.errors import DtypeError, ShapeError
from autograd.functions import (
    Abs,
    BroadcastTo,
    Cast,
    Clip,
    Concatenate,
    Exp,
    GetItem,
    LeakyReLU,
    Linear,
    Log,
    LogSoftmax,
    LogSumExp,
    MatMul,
    Max,
    Maximum,
    Min,
    Minimum,
    ReLU,
    Repeat,
    Reshape,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Sqrt,
    Sum,
    Tanh,
    Transpose,
    Where,
)
from autograd.functions.reduction import normalize_axes
from autograd.tensor import Tensor, _operand

__all__ = [
    "abs", "add", "broadcast_to", "cast", "clip", "concatenate", "div", "exp", "expand_dims", "flatten",
    "getitem", "leaky_relu", "linear", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mul", "neg", "pow", "relu", "repeat", "reshape", "sigmoid", "softmax",
    "softmax_cross_entropy", "sqrt", "squeeze", "stack", "sub", "sum", "swapaxes", "tanh", "to_index",
    "transpose", "var", "where",
]


def as_tensor_arg(value: Any, op: str) -> Tensor:
    """Accept a Tensor, ndarray, number or nested list as an operand of `op`; name the type otherwise."""
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor._wrap(dtypes.to_array(value))
    except TypeError:
        raise TypeError(
            f"{op}: expected a Tensor, NumPy array or number, got {type(value).__name__}"
        ) from None


def _binary(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        b_t = _operand(b, a)
        if b_t is NotImplemented:
            raise TypeError(f"{op}: unsupported operand type {type(b).__name__}")
        return a, b_t
    if isinstance(b, Tensor):
        a_t = _operand(a, b)
        if a_t is NotImplemented:
            raise TypeError(f"{op}: unsupported operand type {type(a).__name__}")
        return a_t, b
    return as_tensor_arg(a, op), as_tensor_arg(b, op)


# ---------------------------------------------------------------------- arithmetic
def add(a: Any, b: Any) -> Tensor:
    a, b = _binary(a, b, "add")
    return a + b


def sub(a: Any, b: Any) -> Tensor:
    a, b = _binary(a, b, "sub")
    return a - b


def mul(a: Any, b: Any) -> Tensor:
    a, b = _binary(a, b, "mul")
    return a * b


def div(a: Any, b: Any) -> Tensor:
    a, b = _binary(a, b, "div")
    return a / b


def neg(a: Any) -> Tensor:
    return -as_tensor_arg(a, "neg")


def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - mirrors torch.pow
    return as_tensor_arg(a, "pow") ** exponent


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy semantics (1-D operands, batched and broadcast batch dimensions)."""
    a, b = _binary(a, b, "matmul")
    return MatMul.apply_binary(a, b)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias, the affine layer, as one fused node (weight (in, out), bias (out,) or None).

    Same result and gradients as `x @ weight + bias`; faster, since the bias is added in place into the
    product. Other shapes (a broadcast bias) or mixed dtypes fall back to exactly that.
    """
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        x, weight = _binary(x, weight, "linear")
    if bias is not None and not isinstance(bias, Tensor):
        bias = _operand(bias, weight)
    x_data, w_data = x.data, weight.data
    if x_data.ndim == 0 or w_data.ndim != 2 or x_data.shape[-1] != w_data.shape[0]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape}: the input's "
            f"last dimension must equal the weight's first (in_features)"
        )
    same_dtype = x_data.dtype == w_data.dtype
    if bias is None:
        return Linear.apply(x, weight, None) if same_dtype else MatMul.apply_binary(x, weight)
    if same_dtype and bias.data.dtype == w_data.dtype and bias.data.shape == (w_data.shape[1],):
        return Linear.apply(x, weight, bias)
    return MatMul.apply_binary(x, weight) + bias


def softmax_cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of integer class `labels` (N,) under softmax(`logits`) (N, C), as one fused node.

    loss_i = -log softmax(logits_i)[labels_i], reduced by "mean" (default), "sum" or "none". Stable for
    any logits, and its gradient with respect to the logits is (softmax - onehot(labels)) / N for the
    mean. A single sample may be given as logits (C,) and a scalar label.
    """
    z = as_tensor_arg(logits, "softmax_cross_entropy")
    t = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    single = z.ndim == 1
    if single:
        z = reshape(z, (1, -1))
        t = t.reshape(-1)
    if z.ndim != 2 or t.shape != (z.shape[0],):
        raise ShapeError(
            f"softmax_cross_entropy: expected logits (N, C) with labels (N,), got logits of shape "
            f"{tuple(logits.shape) if hasattr(logits, 'shape') else z.shape} and labels of shape {t.shape}"
        )
    if t.dtype.kind not in "iu":
        raise DtypeError(f"softmax_cross_entropy: labels must be integers, got dtype {t.dtype}")
    check_float(z, "softmax_cross_entropy")
    if t.size and (t.min() < 0 or t.max() >= z.shape[1]):
        raise IndexError(
            f"softmax_cross_entropy: labels must lie in [0, {z.shape[1] - 1}] for logits of shape "
            f"{z.shape}; got {t[(t < 0) | (t >= z.shape[1])][:5].tolist()}"
        )
    loss = SoftmaxCrossEntropy.apply(z, t, reduction)
    return reshape(loss, ()) if single and reduction == "none" else loss


# ---------------------------------------------------------------------- elementwise
def exp(x: Any) -> Tensor:
    return Exp.apply_unary(as_tensor_arg(x, "exp"))


def log(x: Any) -> Tensor:
    """Natural logarithm (log of 0 is -inf and of a negative number nan, as in NumPy, without warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return Log.apply_unary(as_tensor_arg(x, "log"))


def sqrt(x: Any) -> Tensor:
    with np.errstate(invalid="ignore"):
        return Sqrt.apply_unary(as_tensor_arg(x, "sqrt"))


def abs(x: Any) -> Tensor:  # noqa: A001 - mirrors np.abs / torch.abs
    return Abs.apply_unary(as_tensor_arg(x, "abs"))


def tanh(x: Any) -> Tensor:
    return Tanh.apply_unary(as_tensor_arg(x, "tanh"))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable for any input (see `autograd.functions.elementwise.Sigmoid`)."""
    return Sigmoid.apply_unary(as_tensor_arg(x, "sigmoid"))


def relu(x: Any) -> Tensor:
    return ReLU.apply_unary(as_tensor_arg(x, "relu"))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply_binary(as_tensor_arg(x, "leaky_relu"), float(negative_slope))


def clip(x: Any, lo: Any = None, hi: Any = None) -> Tensor:
    """Limit values to [lo, hi] (either may be None); the gradient flows where lo <= x <= hi."""
    if lo is None and hi is None:
        raise ValueError("clip: at least one of lo and hi must be given")
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"clip: lo ({lo}) must not exceed hi ({hi})")
    return Clip.apply(as_tensor_arg(x, "clip"), lo, hi)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; where a == b the gradient is split equally."""
    a, b = _binary(a, b, "maximum")
    return Maximum.apply_binary(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; where a == b the gradient is split equally."""
    a, b = _binary(a, b, "minimum")
    return Minimum.apply_binary(a, b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Pick `a` where `condition` holds, else `b` (broadcasting all three); gradients follow the pick."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor_arg(a, "where")
    if isinstance(a, Tensor):
        b = b if isinstance(b, Tensor) else _scalar_or_tensor(b, a, "where")
    else:
        a = _scalar_or_tensor(a, b, "where")
    return Where.apply(cond, a, b)


def _scalar_or_tensor(value: Any, like: Tensor, op: str) -> Any:
    if isinstance(value, (int, float)) and like.data.dtype.kind == "f":
        return value  # a Python scalar is passed through as a constant and stays 'weak' in NumPy
    result = _operand(value, like)
    if result is NotImplemented:
        raise TypeError(f"{op}: unsupported operand type {type(value).__name__}")
    return result


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to `dtype`. Differentiable between floating dtypes; to integers it leaves the graph."""
    x = as_tensor_arg(x, "cast")
    target = np.dtype(dtype)
    if target == x.dtype:
        return x
    if target.kind == "f" and x.dtype.kind == "f":
        return Cast.apply_binary(x, target)
    return Tensor._wrap(x.data.astype(target))


# ---------------------------------------------------------------------- reductions
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    x = as_tensor_arg(x, "sum")
    return Sum.apply(x, normalize_axes(axis, x.ndim, "sum"), keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum divided by the number of elements reduced."""
    x = as_tensor_arg(x, "mean")
    axes = normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[a] for a in axes)
    if count == 0:
        raise ShapeError(f"mean: cannot average over zero elements (shape {x.shape}, axis {axis})")
    return Sum.apply(x, axes, keepdims) * (1.0 / count)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance: mean squared deviation from the mean, divided by (n - ddof) instead of n."""
    x = as_tensor_arg(x, "var")
    axes = normalize_axes(axis, x.ndim, "var")
    count = math.prod(x.shape[a] for a in axes)
    if count - ddof <= 0:
        raise ShapeError(f"var: {count} elements are too few for ddof={ddof} (shape {x.shape})")
    deviation = x - mean(x, axes, keepdims=True)
    return Sum.apply(deviation * deviation, axes, keepdims) * (1.0 / (count - ddof))


def _reduce_nonempty(x: Tensor, axis: Any, op: str) -> tuple[int, ...]:
    axes = normalize_axes(axis, x.ndim, op)
    if any(x.shape[a] == 0 for a in axes) or (x.size == 0 and not axes):
        raise ShapeError(f"{op}: cannot reduce an empty axis (shape {x.shape}, axis {axis})")
    return axes


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over `axis`; when several elements tie, each receives an equal share of the gradient."""
    x = as_tensor_arg(x, "max")
    return Max.apply(x, _reduce_nonempty(x, axis, "max"), keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over `axis`; when several elements tie, each receives an equal share of the gradient."""
    x = as_tensor_arg(x, "min")
    return Min.apply(x, _reduce_nonempty(x, axis, "min"), keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed stably (finite for inputs like +-1000)."""
    x = as_tensor_arg(x, "logsumexp")
    return LogSumExp.apply(x, _reduce_nonempty(x, axis, "logsumexp"), keepdims)


def _one_axis(x: Tensor, axis: int, op: str) -> int:
    if x.ndim == 0:
        raise ShapeError(f"{op}: needs at least 1 dimension, got a 0-d tensor")
    return normalize_axes(axis, x.ndim, op)[0]


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, stable for large inputs."""
    x = as_tensor_arg(x, "softmax")
    return Softmax.apply_binary(x, _one_axis(x, axis, "softmax"))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large inputs (prefer it to log(softmax(x)))."""
    x = as_tensor_arg(x, "log_softmax")
    return LogSoftmax.apply_binary(x, _one_axis(x, axis, "log_softmax"))


# ---------------------------------------------------------------------- shapes
def reshape(x: Any, shape: Any) -> Tensor:
    x = as_tensor_arg(x, "reshape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape == x.shape:
        return x
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (
        x.size != known if -1 not in shape else (known == 0 or x.size % known != 0)
    ):
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) to {shape}")
    return Reshape.apply_binary(x, shape)


def flatten(x: Any, start_axis: int = 0) -> Tensor:
    """Merge the axes from `start_axis` to the end into one."""
    x = as_tensor_arg(x, "flatten")
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_axes(start_axis, x.ndim, "flatten")[0]
    return reshape(x, x.shape[:start] + (math.prod(x.shape[start:]),))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when `axes` is None)."""
    x = as_tensor_arg(x, "transpose")
    if axes is not None:
        axes = tuple(int(a) % builtins.max(x.ndim, 1) for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ShapeError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    elif x.ndim < 2:
        return x
    return Transpose.apply_binary(x, axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    x = as_tensor_arg(x, "swapaxes")
    a, b = normalize_axes(axis1, x.ndim, "swapaxes")[0], normalize_axes(axis2, x.ndim, "swapaxes")[0]
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of size 1 (all of them, or the given ones)."""
    x = as_tensor_arg(x, "squeeze")
    axes = normalize_axes(axis, x.ndim, "squeeze") if axis is not None else None
    if axes is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ShapeError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def expand_dims(x: Any, axis: int) -> Tensor:
    """Insert an axis of size 1 at `axis`."""
    x = as_tensor_arg(x, "expand_dims")
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"expand_dims: axis {axis} is out of range for a result with {ndim} dimensions")
    axis %= ndim
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    x = as_tensor_arg(x, "broadcast_to")
    shape = tuple(shape)
    if shape == x.shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return BroadcastTo.apply_binary(x, shape)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element `repeats` times along `axis`, exactly like `np.repeat` (flattened if None)."""
    x = as_tensor_arg(x, "repeat")
    if axis is not None:
        axis = normalize_axes(axis, x.ndim, "repeat")[0]
    if isinstance(repeats, Tensor):
        repeats = repeats.data
    reps = np.asarray(repeats)
    if reps.dtype.kind not in "iu" or np.any(reps < 0):
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    length = x.size if axis is None else x.shape[axis]
    if reps.ndim > 1 or (reps.ndim == 1 and reps.size not in (1, length)):
        raise ShapeError(
            f"repeat: {reps.size} repeat counts do not match the {length} elements along axis {axis} "
            f"of shape {x.shape}"
        )
    return Repeat.apply(x, int(reps) if reps.ndim == 0 else reps, axis)


def to_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays (tensors may index tensors)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: basic slices, integer arrays (repeats accumulate gradient) and boolean masks."""
    x = as_tensor_arg(x, "getitem")
    index = to_index(index)
    try:
        return GetItem.apply_binary(x, index)
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {x.shape}: {error}") from None


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; all other axes must match."""
    items = [as_tensor_arg(t, "concatenate") for t in tensors]
    if not items:
        raise ValueError("concatenate: need at least one tensor")
    ndim = items[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in items):
        raise ShapeError(
            f"concatenate: all tensors need the same number (>= 1) of dimensions, got shapes "
            f"{[t.shape for t in items]}"
        )
    axis = normalize_axes(axis, ndim, "concatenate")[0]
    rest = {t.shape[:axis] + t.shape[axis + 1:] for t in items}
    if len(rest) > 1:
        raise ShapeError(
            f"concatenate: shapes {[t.shape for t in items]} differ outside the concatenation axis {axis}"
        )
    return Concatenate.apply(*items, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (concatenate of tensors with an extra size-1 axis)."""
    items = [as_tensor_arg(t, "stack") for t in tensors]
    if not items:
        raise ValueError("stack: need at least one tensor")
    if len({t.shape for t in items}) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {[t.shape for t in items]}")
    ndim = items[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"stack: axis {axis} is out of range for a result with {ndim} dimensions")
    return concatenate([expand_dims(t, axis) for t in items], axis=axis)


def check_float(x: Tensor, op: str) -> None:
    """Raise a clear error if `x` is not floating (for ops that only make sense on real numbers)."""
    if x.dtype.kind != "f":
        raise DtypeError(f"{op}: expected a floating tensor, got dtype {x.dtype} (shape {x.shape})")
