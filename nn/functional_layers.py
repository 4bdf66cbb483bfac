"""Convolution, pooling, normalization and embedding as functions; `nn.functional` re-exports them.

Names, arguments and defaults are PyTorch's (`F.conv2d(input, weight, bias=None, stride=1, padding=0,
dilation=1, groups=1)`, ...). This module checks the arguments and says what is wrong in the caller's
terms (the layer, the shapes, what was expected); the arithmetic and the derivatives live in the
engine's primitives (`autograd.functions.conv` and `autograd.functions.normalization`).

Images are (N, C, H, W). Geometry arguments take an int or a pair (height, width); padding also takes
"valid" (none) and "same" (output as large as the input, stride 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd
from autograd import DtypeError, ShapeError, Tensor
from autograd.functions import AvgPool2d, Conv2d, MaxPool2d, Normalize
from autograd.functions.conv import output_size, windows

IntPair = int | tuple[int, int]

__all__ = ["avg_pool2d", "batch_norm", "conv2d", "embedding", "layer_norm", "max_pool2d"]


# ---------------------------------------------------------------------- convolution and pooling
def conv2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,  # noqa: A002
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation, as in every deep-learning library) of images (N, C, H, W).

    weight: (out_channels, in_channels, kH, kW), the layout of PyTorch and of the textbook's (FN, C, FH,
    FW); bias: (out_channels,) or None. The output is (N, out_channels, OH, OW) with
    OH = (H + 2 * padding - dilation * (kH - 1) - 1) // stride + 1 (and the same for OW).
    Computed as im2col and one matrix product; see `autograd.functions.conv.Conv2d` for the backward.
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def _conv2d(input: Any, weight: Tensor, bias: Tensor | None, stride: IntPair, padding: IntPair | str,  # noqa: A002
            dilation: IntPair, groups: int, op: str) -> Tensor:
    """conv2d, with errors naming `op` (the function, or the layer that calls it)."""
    if groups != 1:
        raise NotImplementedError(f"{op}: groups={groups} is not supported (only groups=1)")
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ShapeError(f"{op}: weight must be a 4-d Tensor (out_channels, in_channels, kH, kW), got "
                         f"{_describe(weight)}")
    x = _image_input(input, weight.dtype, op)
    out_channels, in_channels, kh, kw = weight.shape
    if x.shape[1] != in_channels:
        raise ShapeError(
            f"{op}: expected an input with {in_channels} channel{'s' if in_channels != 1 else ''} (N, "
            f"{in_channels}, H, W), got shape {x.shape} with {x.shape[1]}; the weight {weight.shape} is "
            "(out_channels, in_channels, kH, kW)"
        )
    if bias is not None and (not isinstance(bias, Tensor) or bias.shape != (out_channels,)):
        raise ShapeError(f"{op}: bias must be a Tensor of shape ({out_channels},) (one per output channel), got "
                         f"{_describe(bias)}")
    stride_ = pair(stride, "stride", op, 1)
    dilation_ = pair(dilation, "dilation", op, 1)
    pads = _conv_padding(padding, (kh, kw), stride_, dilation_, op)
    _check_fits(x.shape, (kh, kw), stride_, pads, dilation_, op)
    return Conv2d.apply(x, weight, bias, stride_, pads, dilation_)


def max_pool2d(input: Any, kernel_size: IntPair, stride: IntPair | None = None,  # noqa: A002
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The largest value of each kernel_size window (stride defaults to kernel_size: non-overlapping).

    Padding counts as -inf (it never wins) and may be at most half the kernel. ceil_mode=True keeps a
    last, partial window at the bottom and right (PyTorch's rule: it must start inside the input or the
    left padding). The gradient goes to the first maximum of each window.
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def _max_pool2d(input: Any, kernel_size: IntPair, stride: IntPair | None, padding: IntPair,  # noqa: A002
                dilation: IntPair, ceil_mode: bool, return_indices: bool, op: str) -> Tensor:
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported (there is no max_unpool2d to use them)")
    x = _image_input(input, None, op)
    kernel, stride_, dilation_, pads = _pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, op)
    return MaxPool2d.apply(x, kernel, stride_, pads, dilation_)


def avg_pool2d(input: Any, kernel_size: IntPair, stride: IntPair | None = None,  # noqa: A002
               padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window (stride defaults to kernel_size).

    Padding is zeros; count_include_pad=True (the default) divides by the whole window, padding
    included, False by the number of input pixels in it; divisor_override divides every window by that
    number instead. ceil_mode as in `max_pool2d`.
    """
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                       "avg_pool2d")


def _avg_pool2d(input: Any, kernel_size: IntPair, stride: IntPair | None, padding: IntPair,  # noqa: A002
                ceil_mode: bool, count_include_pad: bool, divisor_override: int | None, op: str) -> Tensor:
    x = _image_input(input, None, op)
    kernel, stride_, _, pads = _pool_geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode, op)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int | np.integer) \
                or divisor_override < 1:
            raise ValueError(f"{op}: divisor_override must be a positive integer or None, got {divisor_override!r}")
        divisor: Any = float(divisor_override)
    elif count_include_pad and not (pads[0][1] > pads[0][0] or pads[1][1] > pads[1][0]):
        divisor = float(kernel[0] * kernel[1])
    else:  # per-window counts: the pixels (or pixels and padding) that each window covers
        (top, bottom), (left, right) = pads
        h, w = x.shape[2:]
        covered = np.zeros((1, 1, h + top + bottom, w + left + right))
        if count_include_pad:  # the symmetric padding counts, the extra ceil_mode margin does not
            covered[:, :, :h + 2 * top, :w + 2 * left] = 1.0
        else:
            covered[:, :, top:top + h, left:left + w] = 1.0
        divisor = windows(covered, kernel, stride_, ((0, 0), (0, 0)), (1, 1)).sum(axis=(2, 3))[0, 0]
    return AvgPool2d.apply(x, kernel, stride_, pads, divisor)


# ---------------------------------------------------------------------- normalization and embedding
def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalization of (N, C) or (N, C, ...) inputs, per channel C.

    Training (or no running statistics): normalize with the batch's mean and (biased) variance over N
    and the spatial axes, and, if running_mean/running_var are given, update them in place:
    running = (1 - momentum) * running + momentum * batch statistic, with the unbiased variance (as
    PyTorch does). Evaluation: normalize with the running statistics, a fixed affine map of the input.
    Then y = weight * x_hat + bias per channel.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, "batch_norm")


def _batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Tensor | None,  # noqa: A002
                bias: Tensor | None, training: bool, momentum: float, eps: float, op: str) -> Tensor:
    dtype = weight.dtype if isinstance(weight, Tensor) else None
    x = _float_input(input, dtype, op)
    if x.ndim < 2:
        raise ShapeError(f"{op}: expected an input (N, C) or (N, C, ...) with channels on axis 1, got shape {x.shape}")
    channels = x.shape[1]
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and (not isinstance(value, Tensor) or value.shape != (channels,)):
            raise ShapeError(f"{op}: {name} must be a Tensor of shape ({channels},) for an input of shape "
                             f"{x.shape} ({channels} channels), got {_describe(value)}")
    stats = [_running_array(value, name, channels, op)
             for name, value in (("running_mean", running_mean), ("running_var", running_var))]
    param_shape = (1, channels) + (1,) * (x.ndim - 2)
    if training or stats[0] is None or stats[1] is None:
        axes = (0,) + tuple(range(2, x.ndim))
        if x.size // max(channels, 1) <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input of shape "
                             f"{x.shape}")
        running = None
        if training and stats[0] is not None and stats[1] is not None:
            running = (stats[0], stats[1], float(momentum))
        return Normalize.apply(x, weight, bias, axes, float(eps), param_shape, running)
    # Evaluation: a fixed affine map per channel, x * scale + shift, written with tensor operations on the
    # running statistics themselves, so that a compiled step reads them afresh at each replay.
    mean, var = (value if isinstance(value, Tensor) else autograd.as_tensor(value)
                 for value in (running_mean, running_var))
    scale = ((var + eps) ** -0.5).astype(x.dtype)
    if weight is not None:
        scale = weight * scale
    shift = -(scale * mean.astype(x.dtype))
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(param_shape) + shift.reshape(param_shape)


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each sample over its last axes (`normalized_shape`, e.g. the features), then
    y = weight * x_hat + bias with weight and bias of shape normalized_shape. Same in training and eval."""
    return _layer_norm(input, normalized_shape, weight, bias, eps, "layer_norm")


def _layer_norm(input: Any, normalized_shape: int | tuple[int, ...], weight: Tensor | None,  # noqa: A002
                bias: Tensor | None, eps: float, op: str) -> Tensor:
    shape = normalized_shape_tuple(normalized_shape, op)
    dtype = weight.dtype if isinstance(weight, Tensor) else None
    x = _float_input(input, dtype, op)
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ShapeError(f"{op}: normalized_shape {shape} must be the last axes of the input, got an input of shape "
                         f"{x.shape}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and (not isinstance(value, Tensor) or value.shape != shape):
            raise ShapeError(f"{op}: {name} must be a Tensor of shape {shape} (normalized_shape), got "
                             f"{_describe(value)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return Normalize.apply(x, weight, bias, axes, float(eps), shape, None)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by integer indices: output input.shape + (dim,).

    The gradient of a row is the sum over every place it was picked (repeated indices accumulate).
    With padding_idx, that row receives no gradient (it stays what it is, zeros by default in the layer).
    """
    return _embedding(input, weight, padding_idx, max_norm, scale_grad_by_freq, sparse, "embedding")


def _embedding(input: Any, weight: Tensor, padding_idx: int | None, max_norm: float | None,  # noqa: A002
               scale_grad_by_freq: bool, sparse: bool, op: str) -> Tensor:
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{op}: max_norm, scale_grad_by_freq and sparse are not supported")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ShapeError(f"{op}: weight must be a 2-d Tensor (num_embeddings, embedding_dim), got {_describe(weight)}")
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    count = weight.shape[0]
    if indices.dtype.kind not in "iu":
        raise DtypeError(f"{op}: indices must be integers, got dtype {indices.dtype} (shape {indices.shape}); "
                         "convert them with .astype(np.int64)")
    if indices.size and (indices.min() < -count or indices.max() >= count):
        bad = indices[(indices < -count) | (indices >= count)]
        raise IndexError(f"{op}: indices must lie in [0, {count - 1}] for a weight of shape {weight.shape} "
                         f"({count} embeddings); got {bad[:5].tolist()}")
    rows = weight[indices.astype(np.intp, copy=False)]  # backward: rows' gradients added back, repeats accumulate
    if padding_idx is not None:
        pad = padding_idx + count if padding_idx < 0 else padding_idx
        keep = (indices != pad)[..., None]
        rows = autograd.where(keep, rows, rows.detach())  # the padding row gets no gradient
    return rows


# ---------------------------------------------------------------------- argument checks
def pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair (height, width)."""
    items = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(items) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= minimum
                                  for v in items):
        raise ValueError(f"{op}: {name} must be an integer >= {minimum} or a pair of them, got {value!r}")
    return int(items[0]), int(items[1])


def normalized_shape_tuple(normalized_shape: Any, op: str) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, int | np.integer) else tuple(normalized_shape)
    if not shape or not all(isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in shape):
        raise ValueError(f"{op}: normalized_shape must be a positive integer or a tuple of them, got "
                         f"{normalized_shape!r}")
    return tuple(int(s) for s in shape)


def _conv_padding(padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                  op: str) -> tuple[tuple[int, int], tuple[int, int]]:
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)  # odd totals: the extra row at the bottom, as PyTorch
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an integer, a pair, 'valid' or 'same', got {padding!r}")
    ph, pw = pair(padding, "padding", op, 0)
    return (ph, ph), (pw, pw)


def _pool_geometry(shape: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool, op: str) -> tuple[Any, Any, Any, Any]:
    kernel = pair(kernel_size, "kernel_size", op, 1)
    stride_ = kernel if stride is None or stride == () else pair(stride, "stride", op, 1)
    dilation_ = pair(dilation, "dilation", op, 1)
    padding_ = pair(padding, "padding", op, 0)
    if any(p > k // 2 for p, k in zip(padding_, kernel, strict=True)):
        raise ValueError(f"{op}: padding {padding_} must be at most half the kernel size {kernel}")
    pads = []
    for size, k, s, p, d in zip(shape[2:], kernel, stride_, padding_, dilation_, strict=True):
        span = size + 2 * p - d * (k - 1) - 1
        if span < 0:
            _check_fits(shape, kernel, stride_, ((padding_[0],) * 2, (padding_[1],) * 2), dilation_, op)
        out = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside the input or left pad
            out -= 1
        pads.append((p, p + max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))))
    return kernel, stride_, dilation_, tuple(pads)


def _check_fits(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                pads: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int], op: str) -> None:
    sizes = [output_size(n, k, s, p, d) for n, k, s, p, d in zip(shape[2:], kernel, stride, pads, dilation,
                                                                    strict=True)]
    if min(sizes) < 1:
        padded = tuple(n + p[0] + p[1] for n, p in zip(shape[2:], pads, strict=True))
        effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
        raise ShapeError(
            f"{op}: the kernel {kernel[0]}x{kernel[1]}"
            + (f" (dilation {dilation}, spanning {effective[0]}x{effective[1]})" if dilation != (1, 1) else "")
            + f" is larger than the padded input {padded[0]}x{padded[1]} (input of shape {shape}, padding "
            f"{tuple(p[0] for p in pads)}); use a smaller kernel, more padding or a larger image"
        )


def _image_input(x: Any, dtype: Any, op: str) -> Tensor:
    """x as a floating Tensor (N, C, H, W); data outside the graph is converted to `dtype` when given."""
    tensor = _float_input(x, dtype, op)
    if tensor.ndim != 4:
        hint = ""
        if tensor.ndim == 3:
            hint = ("; for a single image (C, H, W) add the batch axis: x.reshape(1, *x.shape); for a batch of "
                    "one-channel images (N, H, W): x.reshape(N, 1, H, W)")
        elif tensor.ndim == 2:
            hint = "; flat images (N, H*W) need x.reshape(N, C, H, W) first"
        raise ShapeError(f"{op}: expected a 4-d input (N, C, H, W), got shape {tensor.shape}{hint}")
    return tensor


def _float_input(x: Any, dtype: Any, op: str) -> Tensor:
    """`as_input`, also accepting integer Tensors outside the graph (images of uint8 pixels)."""
    if isinstance(x, Tensor) and x.dtype.kind != "f":
        if x.requires_grad:
            raise DtypeError(f"{op}: expected a floating input, got dtype {x.dtype}")
        x = x.data
    return as_input(x, dtype, op)


def as_input(x: Any, dtype: Any, op: str | None = None) -> Tensor:
    """A Tensor for `x`; data outside the graph is converted to `dtype` (when given) or to a float.

    (nn.functional's `_as_input` too: one conversion rule for every layer.)
    """
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != dtype and not x.requires_grad:
            return autograd.as_tensor(x.data.astype(dtype))
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise DtypeError(f"{op + ': ' if op else ''}expected a Tensor or numeric array, got {type(x).__name__} of "
                         f"dtype {array.dtype}")
    if dtype is None:
        dtype = array.dtype if array.dtype.kind == "f" else autograd.get_default_dtype()
    return autograd.as_tensor(array.astype(dtype, copy=False))


def _running_array(value: Any, name: str, channels: int, op: str) -> np.ndarray | None:
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.shape != (channels,) or array.dtype.kind != "f":
        raise ShapeError(f"{op}: {name} must be a floating array of shape ({channels},) (updated in place), got "
                         f"{_describe(value)}")
    return array


def _describe(value: Any) -> str:
    if isinstance(value, Tensor | np.ndarray):
        return f"{type(value).__name__} of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}" if not hasattr(value, "shape") else f"shape {value.shape}"

