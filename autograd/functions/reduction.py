"""Reductions: sum, max/min and logsumexp over axes.

A reduction maps many inputs to one output, so its backward copies ("repeats") the output gradient back
over the reduced axes: the Sum node's backward is a broadcast, just as the Repeat node's is a sum.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function
from autograd.functions import dispatch


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """Turn `axis` (None, int or sequence, negatives allowed) into a sorted tuple of axes."""
    from autograd.errors import ShapeError

    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = []
    for a in items:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise ShapeError(f"{op}: axis {a!r} is out of range for a tensor with {ndim} dimensions")
        axes.append(int(a) % ndim if ndim else 0)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=True: the reduced axes become size 1."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    """y = sum of x over `axes`.  dy/dx = 1 for every element: the gradient is repeated over the axes."""

    array_backward = True

    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        self.kept = kept_shape(x.shape, axes)
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # np.sum without its Python wrapper

    def backward(self, gy):
        return dispatch.broadcast_to(gy.reshape(self.kept), self.input_shape)


class Max(Function):
    """y = max of x over `axes`.  dy/dx = 1/k at the k positions that attain the max, 0 elsewhere.

    Splitting ties equally (rather than picking one winner) keeps the gradient symmetric and matches
    the subgradient average; PyTorch's `amax` does the same.
    """

    array_backward = True

    reduce = np.maximum.reduce

    def forward(self, x, axes, keepdims):
        y_kept = self.reduce(x, axis=axes, keepdims=True)
        winners = x == y_kept
        self.share = winners / np.add.reduce(winners, axis=axes, keepdims=True, dtype=x.dtype)
        self.kept = kept_shape(x.shape, axes)
        return y_kept if keepdims else y_kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    def backward(self, gy):
        return gy.reshape(self.kept) * self.share


class Min(Max):
    """y = min of x over `axes`.  dy/dx = 1/k at the k positions that attain the min, 0 elsewhere."""

    reduce = np.minimum.reduce


class LogSumExp(Function):
    """y = log(sum(exp(x))) over `axes`.  dy/dx = exp(x - y) = softmax(x).

    Fused for stability: subtracting the max before exp means nothing overflows, so inputs of +-1000
    give finite values and gradients.
    """

    array_backward = True

    def forward(self, x, axes, keepdims):
        m = np.maximum.reduce(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # rows of all -inf (or inf) must not make inf - inf = nan
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for an all -inf row
            y_kept = np.log(np.add.reduce(np.exp(x - m), axis=axes, keepdims=True)) + m
        self.kept = kept_shape(x.shape, axes)
        y = y_kept if keepdims else y_kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        return gy.reshape(self.kept) * dispatch.exp(x - y.reshape(self.kept))
