"""Primitives that move values around without arithmetic: reshape, transpose, broadcast, repeat,
indexing and concatenation. Their backward moves the gradient back the same way, in reverse.

Also home of `sum_to`, the one place where broadcasting is undone: the engine calls it on every
gradient whose shape differs from its input's.
"""

from __future__ import annotations

import numpy as np

from autograd.errors import ShapeError
from autograd.function import Primitive, either


class Reshape(Primitive):
    """y = x viewed with a new shape.  Backward: reshape the gradient back to x's shape."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.input_shape)


class Transpose(Primitive):
    """y = x with permuted axes.  Backward: permute the gradient with the inverse permutation."""

    def forward(self, x, axes):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        return gy.transpose(tuple(np.argsort(self.axes)))


class BroadcastTo(Primitive):
    """y = x broadcast to `shape` (a read-only view).  Backward: sum the gradient back to x's shape."""

    def forward(self, x, shape):
        self.input_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.input_shape)


broadcast_of = either(np.broadcast_to, BroadcastTo)  # for backward code on arrays or Tensors


def sum_to(grad, shape: tuple[int, ...]):
    """Sum `grad` (an array or a Tensor) over the axes that broadcasting added or stretched, giving `shape`.

    The chain rule for broadcasting: a value copied to k places receives the sum of the k gradients.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != g for s, g in zip(shape, grad.shape[lead:], strict=True)):
        raise ShapeError(f"sum_to: a gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
    if axes:  # ufunc.reduce on arrays: np.sum's Python wrapper costs as much as a small sum
        grad = np.add.reduce(grad, axis=axes, keepdims=True) if isinstance(grad, np.ndarray) else \
            grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


class Repeat(Primitive):
    """y = np.repeat(x, repeats, axis): each element copied `repeats` times.

    Backward: a copied value receives the sum of its copies' gradients (the textbook's Repeat node).
    """

    def forward(self, x, repeats, axis):
        self.input_shape = x.shape
        self.axis = axis
        self.save_for_backward(repeats)
        return np.repeat(x, repeats, axis=axis)

    def backward(self, gy):
        (repeats,) = self.saved_tensors
        shape, axis = self.input_shape, self.axis
        n, axis_ = (int(np.prod(shape)), 0) if axis is None else (shape[axis], axis)
        if np.ndim(repeats) == 0 or len(repeats) == 1:
            r = int(np.reshape(repeats, -1)[0])
            g = gy.reshape(gy.shape[:axis_] + (n, r) + gy.shape[axis_ + 1:]).sum(axis=axis_ + 1)
        else:
            g = SumSegments.apply(gy, np.asarray(repeats), axis_)
        return g.reshape(shape)


class SumSegments(Primitive):
    """y[i] = sum of consecutive segments of x along `axis`, segment i having repeats[i] elements.

    The backward of Repeat with uneven counts; its own backward is Repeat, so both are differentiable.
    """

    def forward(self, x, repeats, axis):
        self.axis = axis
        self.save_for_backward(repeats)
        ends = np.cumsum(repeats)
        zeros = np.zeros(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x.dtype)
        padded = np.concatenate([zeros, np.cumsum(x, axis=axis)], axis=axis)  # prefix sums, 0 first
        return np.take(padded, ends, axis=axis) - np.take(padded, ends - repeats, axis=axis)

    def backward(self, gy):
        (repeats,) = self.saved_tensors
        return Repeat.apply(gy, repeats, self.axis)


def is_basic_index(index) -> bool:
    """True if `index` is NumPy basic indexing (ints, slices, None, ...): each position selected once.

    Anything else (integer arrays, lists, nested tuples, boolean masks) is advanced indexing, which may
    select a position several times, so its backward must add the gradients up.
    """
    items = index if type(index) is tuple else (index,)
    return all(
        item is None or item is Ellipsis or isinstance(item, (slice, int, np.integer)) and not isinstance(item, bool)
        for item in items
    )


class GetItem(Primitive):
    """y = x[index].  Backward: scatter the gradient into zeros of x's shape, adding where positions repeat."""

    def forward(self, x, index):
        self.input_shape = x.shape
        self.save_for_backward(index)
        return x[index]

    def backward(self, gy):
        (index,) = self.saved_tensors
        return IndexAdd.apply(gy, index, self.input_shape)


class IndexAdd(Primitive):
    """y = zeros(shape); y[index] += x (accumulating repeats, like np.add.at).  Backward: x's gradient is gy[index]."""

    def forward(self, x, index, shape):
        self.save_for_backward(index)
        out = np.zeros(shape, dtype=x.dtype)
        if is_basic_index(index):
            out[index] = x  # basic indexing selects each position once: plain assignment is exact
        else:
            np.add.at(out, index, x)
        return out

    def backward(self, gy):
        (index,) = self.saved_tensors
        return GetItem.apply(gy, index)


class Concatenate(Primitive):
    """y = concatenate(xs, axis).  Backward: cut the gradient into the pieces' sizes along the axis."""

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
