"""Convolution and pooling on images (N, C, H, W): im2col, col2im, Conv2d, MaxPool2d, AvgPool2d.

The one idea behind all of them is im2col: every window the kernel visits becomes a column, so that a
convolution is a single matrix product. We lay the columns out as (N, C, KH, KW, OH, OW):

    cols[n, c, i, j, oh, ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]

where xpad is x with the padding added, (sh, sw) the stride and (dh, dw) the dilation. Read as a strided
view of xpad (`as_strided`: no copy), this is the array of all windows; one copy makes it contiguous,
and with the innermost axis running along the image rows that copy moves whole rows at a time. Then
cols.reshape(N, C*KH*KW, OH*OW) is, per image, the textbook's column matrix (transposed), and

    y[n] = W.reshape(O, C*KH*KW) @ cols[n]          (one batched matrix product, output already NCHW)

col2im is the adjoint of im2col: it adds every column entry back onto the pixel it was read from. It
loops over the KH*KW kernel offsets (never over pixels or images); each step adds one strided slab of
shape (N, C, OH, OW), so overlapping windows accumulate exactly as the chain rule says they must.

Geometry arguments are always tuples here (nn.functional checks and expands the user's ints):
kernel (KH, KW), stride (sh, sw), padding ((top, bottom), (left, right)), dilation (dh, dw).

Each primitive's backward runs on ndarrays in an ordinary backward pass and on Tensors under
create_graph=True: `im2col`/`col2im` below are NumPy for arrays and the Im2Col/Col2Im primitives (each
the other's backward) for Tensors, so every backward here is itself differentiable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.errors import ShapeError
from autograd.function import Primitive
from autograd.functions.shape import broadcast_of

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


# ---------------------------------------------------------------------- geometry and the NumPy kernels
def output_size(size: int, kernel: int, stride: int, pad: Pair, dilation: int) -> int:
    """How many windows fit along one axis: floor((size + pads - dilation*(kernel-1) - 1) / stride) + 1."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def pad_images(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with `value` rows and columns added around (x itself when there is no padding)."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _output_hw(padded_hw: Pair, kernel: Pair, stride: Pair, dilation: Pair) -> Pair:
    """(OH, OW) for a padded image of size padded_hw; a ShapeError if the kernel does not fit."""
    oh = output_size(padded_hw[0], kernel[0], stride[0], (0, 0), dilation[0])
    ow = output_size(padded_hw[1], kernel[1], stride[1], (0, 0), dilation[1])
    if oh < 1 or ow < 1:
        raise ShapeError(f"im2col: a {kernel[0]}x{kernel[1]} kernel (dilation {dilation[0]}x{dilation[1]}) does not "
                         f"fit the padded input of size {padded_hw[0]}x{padded_hw[1]}")
    return oh, ow


def windows(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair,
            pad_value: float = 0.0) -> np.ndarray:
    """The read-only strided view (N, C, KH, KW, OH, OW) of every window of the padded x (no copy of x)."""
    xp = pad_images(x, padding, pad_value)
    n, c = xp.shape[:2]
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = _output_hw(xp.shape[2:], kernel, stride, dilation)
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(xp, (n, c, kh, kw, oh, ow), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
                      writeable=False)


def kernel_slabs(image: np.ndarray, kernel: Pair, out_hw: Pair, stride: Pair,
                 dilation: Pair) -> Iterator[tuple[int, np.ndarray]]:
    """For each kernel offset (i, j), in order: (k = i*KW + j, the view slab[n, c, oh, ow] =
    image[n, c, oh*sh + i*dh, ow*sw + j*dw]). The pooling kernels and col2im loop over these KH*KW slabs."""
    (kh, kw), (oh, ow), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield i * kw + j, image[:, :, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw]


def im2col_array(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair,
                 pad_value: float = 0.0) -> np.ndarray:
    """The windows of x as a contiguous array (N, C, KH, KW, OH, OW): one copy of the strided view."""
    return np.ascontiguousarray(windows(x, kernel, stride, padding, dilation, pad_value))


def col2im_array(cols: np.ndarray, input_shape: tuple[int, ...], stride: Pair, padding: Padding,
                 dilation: Pair) -> np.ndarray:
    """The adjoint of im2col: add cols (N, C, KH, KW, OH, OW) back onto an image of `input_shape`.

    One strided slab per kernel offset (KH*KW steps); where windows overlap, contributions add up.
    """
    n, c, kh, kw, oh, ow = cols.shape
    image = _zero_image(input_shape, padding, cols.dtype)
    flat = cols.reshape(n, c, kh * kw, oh, ow)
    for k, slab in kernel_slabs(image, (kh, kw), (oh, ow), stride, dilation):
        slab += flat[:, :, k]
    return _unpad(image, input_shape, padding)


def _zero_image(input_shape: tuple[int, ...], padding: Padding, dtype: Any) -> np.ndarray:
    (top, bottom), (left, right) = padding
    n, c, h, w = input_shape
    return np.zeros((n, c, h + top + bottom, w + left + right), dtype=dtype)


def _unpad(image: np.ndarray, input_shape: tuple[int, ...], padding: Padding) -> np.ndarray:
    (top, _), (left, _) = padding
    return image[:, :, top:top + input_shape[2], left:left + input_shape[3]]


def im2col(x: Any, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> Any:
    """im2col of an ndarray (NumPy) or of a Tensor (the differentiable Im2Col primitive)."""
    if isinstance(x, np.ndarray):
        return im2col_array(x, kernel, stride, padding, dilation)
    return Im2Col.apply(x, kernel, stride, padding, dilation)


def col2im(cols: Any, input_shape: tuple[int, ...], stride: Pair, padding: Padding, dilation: Pair) -> Any:
    """col2im of an ndarray (NumPy) or of a Tensor (the differentiable Col2Im primitive)."""
    if isinstance(cols, np.ndarray):
        return col2im_array(cols, input_shape, stride, padding, dilation)
    return Col2Im.apply(cols, input_shape, stride, padding, dilation)


# ---------------------------------------------------------------------- the primitives
class Im2Col(Primitive):
    """cols[n, c, i, j, oh, ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw] (zero padding).

    Backward: each column entry is a copy of one pixel, so a pixel receives the sum of the gradients of
    its copies: dL/dx = col2im(dL/dcols). (And col2im's backward is im2col: the pair is closed.)
    """


    def forward(self, x, kernel, stride, padding, dilation):
        self.input_shape, self.stride, self.padding, self.dilation = x.shape, stride, padding, dilation
        return im2col_array(x, kernel, stride, padding, dilation)

    def backward(self, gcols):
        return col2im(gcols, self.input_shape, self.stride, self.padding, self.dilation)


class Col2Im(Primitive):
    """image = the sum of every column entry onto the pixel im2col read it from (the adjoint of im2col).

    Backward: each image pixel's gradient goes to every column entry that was added into it, which is
    reading the windows of the gradient image: dL/dcols = im2col(dL/dimage).
    """


    def forward(self, cols, input_shape, stride, padding, dilation):
        self.kernel = cols.shape[2:4]
        self.stride, self.padding, self.dilation = stride, padding, dilation
        return col2im_array(cols, input_shape, stride, padding, dilation)

    def backward(self, gimage):
        return im2col(gimage, self.kernel, self.stride, self.padding, self.dilation)


class Conv2d(Primitive):
    """y[n, o] = sum over c, i, j of w[o, c, i, j] * xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]  +  b[o].

    Forward, as one matrix product: cols = im2col(x) viewed as (N, C*KH*KW, OH*OW), W = w viewed as
    (O, C*KH*KW), y[n] = W @ cols[n] + b. Backward, the matrix-product rule and im2col's adjoint:

        dL/dcols[n] = W^T @ g[n]       ->  dL/dx = col2im(dL/dcols)
        dL/dW       = sum_n g[n] @ cols[n]^T
        dL/db       = g summed over n, oh, ow

    with g = dL/dy viewed as (N, O, OH*OW). The columns are kept for dL/dW (an ordinary backward reuses
    them); under create_graph they are rebuilt from x by the Im2Col primitive, so dL/dW depends on x in
    the graph and second derivatives are right.
    """


    def forward(self, x, w, b, stride, padding, dilation):
        n, o = x.shape[0], w.shape[0]
        cols = im2col_array(x, w.shape[2:], stride, padding, dilation)
        oh, ow = cols.shape[4:]
        cols = cols.reshape(n, -1, oh * ow)
        y = np.matmul(w.reshape(o, -1), cols)  # (N, O, OH*OW): already laid out as NCHW
        if b is not None:
            y += b.reshape(o, 1)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.save_for_backward(x, w, cols if self.needs_input_grad[1] else None)
        return y.reshape(n, o, oh, ow)

    def backward(self, g):
        x, w, cols = self.saved_tensors
        needs = self.needs_input_grad
        n, o, oh, ow = g.shape
        c, kh, kw = w.shape[1:]
        g = g.reshape(n, o, oh * ow)
        w2 = w.reshape(o, c * kh * kw)
        gx = gw = gb = None
        if needs[0]:
            gcols = (w2.T @ g).reshape(n, c, kh, kw, oh, ow)
            gx = col2im(gcols, x.shape, self.stride, self.padding, self.dilation)
        if needs[1]:
            if not isinstance(g, np.ndarray):  # create_graph: columns as a function of x
                cols = im2col(x, (kh, kw), self.stride, self.padding, self.dilation).reshape(n, -1, oh * ow)
            gw = (g @ cols.swapaxes(1, 2)).sum(axis=0).reshape(w.shape)
        if len(needs) > 2 and needs[2]:
            gb = g.sum(axis=(0, 2))
        return gx, gw, gb


class MaxPool2d(Primitive):
    """y[n, c, oh, ow] = the largest entry of its window (padding counts as -inf, so it never wins).

    Backward: the whole gradient of an output goes to the one input that won its window (the first of
    equal maxima, as in PyTorch): dL/dcols = onehot(winner) * g, then dL/dx = col2im(dL/dcols). The
    winners are fixed by the forward pass (kept as small integers), so the backward is linear in g and
    differentiable again.
    """


    def forward(self, x, kernel, stride, padding, dilation):
        xp = pad_images(x, padding, -np.inf)
        out_hw = _output_hw(xp.shape[2:], kernel, stride, dilation)
        # A running maximum over the kernel offsets (strided views of x: no im2col copy), remembering
        # where it was last raised: the first maximum wins (strict >), as with argmax.
        y = winner = None
        for k, candidate in kernel_slabs(xp, kernel, out_hw, stride, dilation):
            if y is None:
                y = candidate.copy()
                winner = np.zeros(y.shape, dtype=np.uint8 if kernel[0] * kernel[1] <= 256 else np.int32)
                continue
            np.putmask(winner, candidate > y, k)
            np.maximum(y, candidate, out=y)
        self.input_shape, self.kernel = x.shape, kernel
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.save_for_backward(winner)
        return y

    def backward(self, g):
        (winner,) = self.saved_tensors
        winner = (winner if isinstance(winner, np.ndarray) else winner.data)
        n, c, oh, ow = winner.shape
        kh, kw = self.kernel
        if isinstance(g, np.ndarray):  # straight into the image, one kernel offset at a time
            image = _zero_image(self.input_shape, self.padding, g.dtype)
            for k, slab in kernel_slabs(image, self.kernel, (oh, ow), self.stride, self.dilation):
                slab += g * (winner == k)
            return _unpad(image, self.input_shape, self.padding)
        onehot = winner.reshape(n, c, 1, oh, ow) == np.arange(kh * kw, dtype=winner.dtype).reshape(kh * kw, 1, 1)
        gcols = (g.reshape(n, c, 1, oh, ow) * onehot).reshape(n, c, kh, kw, oh, ow)
        return col2im(gcols, self.input_shape, self.stride, self.padding, self.dilation)


class AvgPool2d(Primitive):
    """y[n, c, oh, ow] = (sum of its window) / divisor.

    `divisor` is a number (the window size, padding zeros included: PyTorch's count_include_pad=True)
    or an (OH, OW) array of per-window counts (count_include_pad=False, or windows cut short by
    ceil_mode). Backward: every entry of a window gets g / divisor: dL/dx = col2im(broadcast(g / divisor)).
    """


    def forward(self, x, kernel, stride, padding, divisor):
        divisor = np.asarray(divisor, dtype=x.dtype)
        xp = pad_images(x, padding)
        out_hw = _output_hw(xp.shape[2:], kernel, stride, (1, 1))
        y = None
        for _, slab in kernel_slabs(xp, kernel, out_hw, stride, (1, 1)):
            y = slab.copy() if y is None else np.add(y, slab, out=y)
        y /= divisor
        self.input_shape, self.kernel, self.stride, self.padding = x.shape, kernel, stride, padding
        self.save_for_backward(divisor)
        return y

    def backward(self, g):
        (divisor,) = self.saved_tensors
        n, c, oh, ow = g.shape
        kh, kw = self.kernel
        share = g / divisor  # arrays, or Tensors under create_graph (the divisor is a constant then)
        if isinstance(g, np.ndarray):
            image = _zero_image(self.input_shape, self.padding, g.dtype)
            for _, slab in kernel_slabs(image, self.kernel, (oh, ow), self.stride, (1, 1)):
                slab += share
            return _unpad(image, self.input_shape, self.padding)
        gcols = broadcast_of(share.reshape(n, c, 1, 1, oh, ow), (n, c, kh, kw, oh, ow))
        return col2im(gcols, self.input_shape, self.stride, self.padding, (1, 1))
