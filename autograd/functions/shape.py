"""Primitives that move values around without arithmetic: reshape, transpose, broadcast, repeat,
indexing and concatenation. Their backward moves the gradient back the same way, in reverse.

Also home of `sum_to`, the one place where broadcasting is undone: the engine calls it on every
gradient whose shape differs from its input's.
"""

from __future__ import annotations

import numpy as np

from autograd.errors import ShapeError
from autograd.function import Function


class Reshape(Function):
    """y = x viewed with a new shape.  Backward: reshape the gradient back to x's shape."""

    array_backward = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.input_shape)


class Transpose(Function):
    """y = x with permuted axes.  Backward: permute the gradient with the inverse permutation."""

    array_backward = True

    def forward(self, x, axes):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        return gy.transpose(tuple(np.argsort(self.axes)))


class BroadcastTo(Function):
    """y = x broadcast to `shape` (a read-only view).  Backward: sum the gradient back to x's shape."""

    array_backward = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.input_shape)


def sum_to(grad, shape: tuple[int, ...]):
    """Sum `grad` (a Tensor) over the axes that broadcasting added or stretched, giving `shape`.

    The chain rule for broadcasting: a value copied to k places receives the sum of the k gradients.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[lead:], strict=True)):
        raise ShapeError(f"sum_to: a gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


class Repeat(Function):
    """y = np.repeat(x, repeats, axis): each element copied `repeats` times.

    Backward: a copied value receives the sum of its copies' gradients (the textbook's Repeat node).
    """

    array_backward = True

    def forward(self, x, repeats, axis):
        self.input_shape = x.shape
        self.axis = axis
        self.repeats = repeats
        return np.repeat(x, repeats, axis=axis)

    def backward(self, gy):
        shape, axis, repeats = self.input_shape, self.axis, self.repeats
        if axis is None:
            flat_len = int(np.prod(shape))
            gy_axis, n = gy, flat_len
            axis_ = 0
        else:
            gy_axis, n, axis_ = gy, shape[axis], axis
        if np.ndim(repeats) == 0 or len(repeats) == 1:
            r = int(np.reshape(repeats, -1)[0]) if np.ndim(repeats) else int(repeats)
            split = gy_axis.shape[:axis_] + (n, r) + gy_axis.shape[axis_ + 1:]
            g = gy_axis.reshape(split).sum(axis=axis_ + 1)
        else:
            g = SumSegments.apply(gy_axis, np.asarray(repeats), axis_)
        return g.reshape(shape)


class SumSegments(Function):
    """y[i] = sum of consecutive segments of x along `axis`, segment i having repeats[i] elements.

    The backward of Repeat with uneven counts; its own backward is Repeat, so both are differentiable.
    """

    array_backward = True

    def forward(self, x, repeats, axis):
        self.repeats, self.axis = repeats, axis
        ends = np.cumsum(repeats)
        zeros = np.zeros(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype)
        padded = np.concatenate([zeros, np.cumsum(x, axis=axis)], axis=axis)  # prefix sums, 0 first
        return np.take(padded, ends, axis=axis) - np.take(padded, ends - repeats, axis=axis)

    def backward(self, gy):
        return Repeat.apply(gy, self.repeats, self.axis)


def _is_advanced(index) -> bool:
    """True if the index contains integer arrays (which may repeat positions, so gradients must add)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(
        isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype.kind != "b" for i in items
    )


class GetItem(Function):
    """y = x[index].  Backward: scatter the gradient into zeros of x's shape, adding where positions repeat."""

    array_backward = True

    def forward(self, x, index):
        self.index = index
        self.input_shape = x.shape
        return x[index]

    def backward(self, gy):
        return IndexAdd.apply(gy, self.index, self.input_shape)


class IndexAdd(Function):
    """y = zeros(shape); y[index] += x (accumulating repeats, like np.add.at).  Backward: x's gradient is gy[index]."""

    array_backward = True

    def forward(self, x, index, shape):
        self.index = index
        out = np.zeros(shape, dtype=x.dtype)
        if _is_advanced(index):
            np.add.at(out, index, x)
        else:
            out[index] = x  # basic slices and masks select each position once: plain assignment is exact
        return out

    def backward(self, gy):
        return GetItem.apply(gy, self.index)


class Concatenate(Function):
    """y = concatenate(xs, axis).  Backward: cut the gradient into the pieces' sizes along the axis."""

    array_backward = True

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    def backward(self, gy):
        grads = []
        start = 0
        index = [slice(None)] * gy.ndim
        for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):
            if needed:
                index[self.axis] = slice(start, start + size)
                grads.append(gy[tuple(index)])
            else:
                grads.append(None)
            start += size
        return tuple(grads)
