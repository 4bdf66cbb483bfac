"""The functional API, math part: every arithmetic, elementwise and reducing operation, as a function.

Each function checks its arguments (so errors name the operation, the argument and what was expected),
applies the dtype rule (`autograd.dtypes`), then applies a primitive from `autograd.functions` or
composes several. The Tensor operators and methods are these functions, bound in `autograd/methods.py`.
Shape operations (reshape, indexing, concatenation, ...) are in `autograd/shape_ops.py`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import dtypes
from autograd.errors import DtypeError, ShapeError
from autograd.functions import (
    Abs,
    Add,
    ArgReduce,
    Cast,
    Clip,
    Div,
    Exp,
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
    Mul,
    Neg,
    Pow,
    PowConstant,
    ReLU,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Sqrt,
    Sub,
    Sum,
    Tanh,
    Where,
)
from autograd.functions.reduction import normalize_axes
from autograd.tensor import Tensor

__all__ = [
    "abs", "add", "argmax", "argmin", "cast", "clip", "div", "exp", "leaky_relu",
    "linear", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum",
    "mul", "neg", "pow", "relu", "sigmoid", "softmax", "softmax_cross_entropy", "sqrt", "sub", "sum",
    "tanh", "var", "where",
]


class ForeignOperand(TypeError):
    """An operand that is not a tensor, an array or a number (the operators then return NotImplemented)."""


# ---------------------------------------------------------------------- operands and the dtype rule
def as_tensor_arg(value: Any, op: str) -> Tensor:
    """Accept a Tensor, ndarray, number or nested list as an operand of `op`; name the type otherwise."""
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor._make(dtypes.to_array(value, op=op))
    except TypeError as error:
        raise ForeignOperand(f"{op}: expected a Tensor, NumPy array or number, got {type(value).__name__}"
                             f" ({error})") from None


def float_arg(value: Any, op: str) -> Tensor:
    """An operand of a real-valued operation (exp, log, softmax, ...): integers become the default float."""
    x = as_tensor_arg(value, op)
    if x.data.dtype.kind != "f":
        return Tensor._make(x.data.astype(dtypes.float_dtype(x.data.dtype)))
    return x


def operands(a: Any, b: Any, op: str, real: bool = False) -> tuple[Any, Any]:
    """The two operands of a binary op, brought to one dtype by the dtype rule (`autograd.dtypes`).

    Tensors stay Tensors (those that need a gradient are floating and never cast); other operands become
    constant arrays. Python numbers are weak: they take the other operand's dtype. `real`: the op gives
    real numbers (division), so integers alone compute in the default float dtype.
    """
    if type(b) is float or type(b) is int:  # the usual `x * 0.5`, `x + 1`: a cached constant
        if isinstance(a, Tensor) and a.data.dtype.kind == "f":
            return a, _constant(b, a.data.dtype)
    a_num, b_num = _is_number(a), _is_number(b)
    if a_num and b_num:
        a = as_tensor_arg(a, op)
    x = a if a_num else _array_or_tensor(a, op)
    y = b if b_num else _array_or_tensor(b, op)
    if a_num or b_num:
        tensor, number = (y, a) if a_num else (x, b)
        dtype = tensor.dtype
        if dtype.kind != "f" and (real or isinstance(number, float)):
            dtype = dtypes.get_default_dtype()
            tensor = _cast_constant(tensor, dtype)
        elif dtype.kind != "f":
            dtype = np.result_type(dtype, number)
        constant = _constant(number, dtype)
        return (constant, tensor) if a_num else (tensor, constant)
    target = dtypes.promote_types(x.dtype, y.dtype)
    if real and target.kind != "f":
        target = dtypes.get_default_dtype()
    if x.dtype.kind != "f" and x.dtype != target:
        x = _cast_constant(x, target)
    if y.dtype.kind != "f" and y.dtype != target:
        y = _cast_constant(y, target)
    return x, y


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, np.generic)


def _array_or_tensor(value: Any, op: str) -> Any:
    if isinstance(value, (Tensor, np.ndarray)):
        if value.dtype.kind not in "biuf":
            raise ForeignOperand(f"{op}: unsupported operand dtype {value.dtype}")
        return value
    return as_tensor_arg(value, op).data


def _cast_constant(value: Any, dtype: np.dtype) -> np.ndarray:
    """An integer or boolean operand (never one that needs a gradient) as an array of `dtype`."""
    return (value.data if isinstance(value, Tensor) else value).astype(dtype)


_constants: dict[np.dtype, dict[Any, np.ndarray]] = {}


def _constant(value: Any, dtype: np.dtype) -> np.ndarray:
    """A Python number as a read-only 0-d array of `dtype` (what NumPy 2's weak-scalar rule gives).

    Cached: NumPy multiplies a small array by a 0-d array of its own dtype in about half the time it
    takes for a Python float, and the backward pass multiplies by it again. Zero (whose sign a cache
    keyed by value would lose) and NaN (which never equals itself) are not cached.
    """
    cache = _constants.get(dtype)
    if cache is None:
        cache = _constants[dtype] = {}
    array = cache.get(value)
    if array is None:
        array = np.array(value, dtype=dtype)
        array.flags.writeable = False
        if value == value and value != 0:
            if len(cache) >= 1024:  # bounded: a program using many distinct constants just starts over
                cache.clear()
            cache[value] = array
    return array


# ---------------------------------------------------------------------- arithmetic
def add(a: Any, b: Any) -> Tensor:
    """a + b, elementwise with broadcasting."""
    return Add.apply(*operands(a, b, "add"))


def sub(a: Any, b: Any) -> Tensor:
    """a - b, elementwise with broadcasting."""
    return Sub.apply(*operands(a, b, "sub"))


def mul(a: Any, b: Any) -> Tensor:
    """a * b, elementwise with broadcasting."""
    return Mul.apply(*operands(a, b, "mul"))


def div(a: Any, b: Any) -> Tensor:
    """a / b, elementwise with broadcasting (true division: integers give the default float dtype)."""
    return Div.apply(*operands(a, b, "div", real=True))


def neg(a: Any) -> Tensor:
    """-a."""
    return Neg.apply(as_tensor_arg(a, "neg"))


def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - mirrors torch.pow
    """a ** exponent. A Python-number exponent is a constant (its own primitive, no gradient for it)."""
    if _is_number(exponent) and not isinstance(exponent, bool) and isinstance(a, Tensor):
        if a.data.dtype.kind != "f" and (isinstance(exponent, float) or exponent < 0):
            a = float_arg(a, "pow")
        return PowConstant.apply(a, exponent)
    return Pow.apply(*operands(a, exponent, "pow"))


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy semantics (1-D operands, batched and broadcast batch dimensions)."""
    return MatMul.apply(*operands(a, b, "matmul"))


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias, the affine layer, as one fused node (weight (in, out), bias (out,) or None).

    Same result and gradients as `x @ weight + bias`; faster, since the bias is added in place into the
    product. Other shapes (a broadcast bias) or mixed dtypes fall back to exactly that.
    """
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor) and x.data.dtype == weight.data.dtype):
        x, weight = (v if isinstance(v, Tensor) else Tensor._make(np.asarray(v)) for v in operands(x, weight, "linear"))
    if bias is not None and not isinstance(bias, Tensor):
        bias = as_tensor_arg(bias, "linear")
    x_data, w_data = x.data, weight.data
    if x_data.ndim == 0 or w_data.ndim != 2 or x_data.shape[-1] != w_data.shape[0]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape}: the input's "
            f"last dimension must equal the weight's first (in_features)"
        )
    same_dtype = x_data.dtype == w_data.dtype
    if bias is None:
        return Linear.apply(x, weight, None) if same_dtype else matmul(x, weight)
    if same_dtype and bias.data.dtype == w_data.dtype and bias.data.shape == (w_data.shape[1],):
        return Linear.apply(x, weight, bias)
    return add(matmul(x, weight), bias)


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
        z = Tensor.reshape(z, (1, -1))
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
    return Tensor.reshape(loss, ()) if single and reduction == "none" else loss


# ---------------------------------------------------------------------- elementwise
def exp(x: Any) -> Tensor:
    """e ** x."""
    return Exp.apply(float_arg(x, "exp"))


def log(x: Any) -> Tensor:
    """Natural logarithm (log of 0 is -inf and of a negative number nan, as in NumPy, without warnings)."""
    return Log.apply(float_arg(x, "log"))


def sqrt(x: Any) -> Tensor:
    """Square root (nan for negative numbers, without warnings)."""
    return Sqrt.apply(float_arg(x, "sqrt"))


def abs(x: Any) -> Tensor:  # noqa: A001 - mirrors np.abs / torch.abs
    """|x|; its gradient at 0 is 0."""
    return Abs.apply(as_tensor_arg(x, "abs"))


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(float_arg(x, "tanh"))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable for any input (see `autograd.functions.elementwise.Sigmoid`)."""
    return Sigmoid.apply(float_arg(x, "sigmoid"))


def relu(x: Any) -> Tensor:
    """max(x, 0); its gradient at 0 is 0."""
    return ReLU.apply(as_tensor_arg(x, "relu"))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(float_arg(x, "leaky_relu"), float(negative_slope))


def clip(x: Any, lo: Any = None, hi: Any = None) -> Tensor:
    """Limit values to [lo, hi] (either may be None); the gradient flows where lo <= x <= hi."""
    if lo is None and hi is None:
        raise ValueError("clip: at least one of lo and hi must be given")
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"clip: lo ({lo}) must not exceed hi ({hi})")
    x = as_tensor_arg(x, "clip")
    if x.data.dtype.kind != "f" and any(isinstance(b, float) or np.asarray(b).dtype.kind == "f" for b in (lo, hi)
                                        if b is not None):
        x = float_arg(x, "clip")  # integers clipped to float bounds: the dtype rule's default float
    return Clip.apply(x, lo, hi)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; where a == b the gradient is split equally."""
    return Maximum.apply(*operands(a, b, "maximum"))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; where a == b the gradient is split equally."""
    return Minimum.apply(*operands(a, b, "minimum"))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Pick `a` where `condition` holds, else `b` (broadcasting all three); gradients follow the pick."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    a, b = operands(a, b, "where")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._make(np.asarray(a))
    return Where.apply(cond, a, b)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to `dtype`. Differentiable between floating dtypes; to integers it leaves the graph."""
    x = as_tensor_arg(x, "cast")
    target = np.dtype(dtype)
    if target == x.dtype:
        return x
    dtypes.to_array(np.empty(0, target), op="astype")  # refuses strings, complex, ... by name
    return Cast.apply(x, target)  # differentiable between floating dtypes; to integers, outside the graph


# ---------------------------------------------------------------------- reductions
def axis_arg(axis: Any, dim: Any, op: str) -> Any:
    """`axis`, or PyTorch's spelling `dim` (one of the two)."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; they are the same argument")
        return dim
    return axis


def keep_arg(keepdims: bool, keepdim: bool | None) -> bool:
    """`keepdims`, or PyTorch's spelling `keepdim`."""
    return bool(keepdim) if keepdim is not None else bool(keepdims)


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum over `axis` (all axes by default); `dim`/`keepdim` are accepted as PyTorch spells them."""
    x = as_tensor_arg(x, "sum")
    axes = normalize_axes(axis_arg(axis, dim, "sum"), x.ndim, "sum")
    return Sum.apply(x, axes, keep_arg(keepdims, keepdim))


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
    """Sum divided by the number of elements reduced (integers give the default float dtype)."""
    x = float_arg(x, "mean")
    axes = normalize_axes(axis_arg(axis, dim, "mean"), x.ndim, "mean")
    count = math.prod(x.shape[a] for a in axes)
    if count == 0:
        raise ShapeError(f"mean: cannot average over zero elements (shape {x.shape}, axis {axis})")
    return mul(Sum.apply(x, axes, keep_arg(keepdims, keepdim)), 1.0 / count)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Variance: mean squared deviation from the mean, divided by (n - ddof) instead of n."""
    x = float_arg(x, "var")
    axes = normalize_axes(axis_arg(axis, dim, "var"), x.ndim, "var")
    count = math.prod(x.shape[a] for a in axes)
    if count - ddof <= 0:
        raise ShapeError(f"var: {count} elements are too few for ddof={ddof} (shape {x.shape})")
    deviation = sub(x, mean(x, axes, keepdims=True))
    return mul(Sum.apply(mul(deviation, deviation), axes, keep_arg(keepdims, keepdim)), 1.0 / (count - ddof))


def _nonempty_axes(x: Tensor, axis: Any, op: str) -> tuple[int, ...]:
    axes = normalize_axes(axis, x.ndim, op)
    if any(x.shape[a] == 0 for a in axes) or (x.size == 0 and not axes):
        raise ShapeError(f"{op}: cannot reduce an empty axis (shape {x.shape}, axis {axis})")
    return axes


def _no_dim(op: str, dim: Any) -> None:
    if dim is not None:
        raise TypeError(
            f"{op}(dim={dim}) in PyTorch returns (values, indices); here {op}(axis={dim}) returns the values "
            f"and arg{op}(axis={dim}) the indices (tied elements share the gradient, as torch.a{op} does)"
        )


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Maximum over `axis`; when several elements tie, each receives an equal share of the gradient."""
    _no_dim("max", dim)
    x = as_tensor_arg(x, "max")
    return Max.apply(x, _nonempty_axes(x, axis, "max"), keep_arg(keepdims, keepdim))


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Minimum over `axis`; when several elements tie, each receives an equal share of the gradient."""
    _no_dim("min", dim)
    x = as_tensor_arg(x, "min")
    return Min.apply(x, _nonempty_axes(x, axis, "min"), keep_arg(keepdims, keepdim))


def argmax(x: Any, axis: int | None = None, *, dim: Any = None, keepdims: bool = False) -> Tensor:
    """Indices of the maxima along `axis` (of the flattened tensor if None); not differentiable."""
    x = as_tensor_arg(x, "argmax")
    axis = axis_arg(axis, dim, "argmax")
    axes = normalize_axes(axis, x.ndim, "argmax") if axis is not None else None
    return ArgReduce.apply(x, np.argmax, axes[0] if axes else None, keepdims)


def argmin(x: Any, axis: int | None = None, *, dim: Any = None, keepdims: bool = False) -> Tensor:
    """Indices of the minima along `axis` (of the flattened tensor if None); not differentiable."""
    x = as_tensor_arg(x, "argmin")
    axis = axis_arg(axis, dim, "argmin")
    axes = normalize_axes(axis, x.ndim, "argmin") if axis is not None else None
    return ArgReduce.apply(x, np.argmin, axes[0] if axes else None, keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed stably (finite for inputs like +-1000); -inf over nothing."""
    x = float_arg(x, "logsumexp")
    axes = normalize_axes(axis_arg(axis, dim, "logsumexp"), x.ndim, "logsumexp")
    return LogSumExp.apply(x, axes, keep_arg(keepdims, keepdim))


def _one_axis(x: Tensor, axis: int, op: str) -> int:
    if x.ndim == 0:
        if axis not in (0, -1):
            raise ShapeError(f"{op}: axis {axis} is out of range for a 0-d tensor (use 0 or -1)")
        return -1
    return normalize_axes(axis, x.ndim, op)[0]


def softmax(x: Any, axis: int = -1, *, dim: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, stable for large inputs. An empty axis gives an empty result."""
    x = float_arg(x, "softmax")
    axis = _one_axis(x, axis_arg(axis, dim, "softmax"), "softmax")
    if x.ndim == 0:  # one element: the softmax of a vector of one, as a 0-d tensor
        return Softmax.apply(x.reshape(1), 0).reshape(())
    if x.size == 0:
        return mul(x, 1.0)
    return Softmax.apply(x, axis)


def log_softmax(x: Any, axis: int = -1, *, dim: Any = None) -> Tensor:
    """x - logsumexp(x) along `axis`, stable for large inputs (prefer it to log(softmax(x)))."""
    x = float_arg(x, "log_softmax")
    axis = _one_axis(x, axis_arg(axis, dim, "log_softmax"), "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0).reshape(())
    if x.size == 0:
        return mul(x, 1.0)
    return LogSoftmax.apply(x, axis)


def check_float(x: Tensor, op: str) -> None:
    """Raise a clear error if `x` is not floating (for ops that only make sense on real numbers)."""
    if x.dtype.kind != "f":
        raise DtypeError(f"{op}: expected a floating tensor, got dtype {x.dtype} (shape {x.shape})")
