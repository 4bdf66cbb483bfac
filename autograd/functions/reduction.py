"""Reductions: sum, max/min and logsumexp over axes.

A reduction maps many inputs to one output, so its backward copies ("repeats") the output gradient back
over the reduced axes: the Sum node's backward is a broadcast, just as the Repeat node's is a sum.
"""

from __future__ import annotations

import numpy as np

from autograd.errors import ShapeError
from autograd.function import Primitive
from autograd.functions.elementwise import exp_of, where_of
from autograd.functions.shape import broadcast_of


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """Turn `axis` (None, an int or a sequence of ints, negatives allowed) into a sorted tuple of axes.

    A 0-d tensor accepts axis 0 and -1, as in PyTorch: reducing its one element over "axis 0" leaves it.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        items = (axis,)
    elif isinstance(axis, (tuple, list)):
        items = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {type(axis).__name__} {axis!r}")
    axes = []
    for a in items:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        if ndim:
            axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the result with keepdims=True: the reduced axes become size 1."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Primitive):
    """y = sum of x over `axes`.  dy/dx = 1 for every element: the gradient is repeated over the axes."""

    def forward(self, x, axes, keepdims):
        self.input_shape = x.shape
        self.kept = kept_shape(x.shape, axes)
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # np.sum without its Python wrapper

    def backward(self, gy):
        return broadcast_of(gy.reshape(self.kept), self.input_shape)


def sum_over(x, axes: tuple[int, ...], keepdims: bool = False):
    """For backward code: the sum over `axes`, as `np.add.reduce` on arrays (no Python wrapper, unlike
    np.sum) and as the differentiable Sum on Tensors."""
    if isinstance(x, np.ndarray):
        return np.add.reduce(x, axis=axes, keepdims=keepdims)
    return Sum.apply(x, axes, keepdims)


class Max(Primitive):
    """y = max of x over `axes`.  dy/dx = 1/k at the k positions that attain the max, 0 elsewhere.

    Splitting ties equally (rather than picking one winner) keeps the gradient symmetric and matches
    the subgradient average; PyTorch's `amax` does the same.
    """

    reduce = np.maximum.reduce

    def forward(self, x, axes, keepdims):
        y_kept = self.reduce(x, axis=axes, keepdims=True)
        winners = x == y_kept
        self.save_for_backward(winners / np.add.reduce(winners, axis=axes, keepdims=True, dtype=x.dtype))
        self.kept = kept_shape(x.shape, axes)
        return y_kept if keepdims else y_kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])

    def backward(self, gy):
        (share,) = self.saved_tensors
        return gy.reshape(self.kept) * share


class Min(Max):
    """y = min of x over `axes`.  dy/dx = 1/k at the k positions that attain the min, 0 elsewhere."""

    reduce = np.minimum.reduce


class ArgReduce(Primitive):
    """i = argmax (or argmin: `reduce`) of x along `axis`.  Integers: no gradient flows."""

    def forward(self, x, reduce, axis, keepdims):
        return np.asarray(reduce(x, axis=axis, keepdims=keepdims))

    def backward(self, gi):
        return None


class LogSumExp(Primitive):
    """y = log(sum(exp(x))) over `axes`.  dy/dx = exp(x - y) = softmax(x).

    Fused for stability: subtracting the max before exp means nothing overflows, so inputs of +-1000
    give finite values and gradients. A slice of all -inf has y = -inf and gradient 0 (not nan).
    """

    def forward(self, x, axes, keepdims):
        m = np.maximum.reduce(x, axis=axes, keepdims=True, initial=-np.inf)  # -inf over an empty axis
        m = np.where(np.isfinite(m), m, 0)  # rows of all -inf (or inf) must not make inf - inf = nan
        y_kept = np.log(np.add.reduce(np.exp(x - m), axis=axes, keepdims=True)) + m  # log(0) = -inf: right
        self.kept = kept_shape(x.shape, axes)
        y = y_kept if keepdims else y_kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        y_kept = y.reshape(self.kept)
        empty = (y_kept.data if not isinstance(y_kept, np.ndarray) else y_kept) == -np.inf
        if np.any(empty):  # exp(-inf - (-inf)) is nan; the limit of the softmax weights there is 0
            y_kept = where_of(empty, 0.0, y_kept)
        return gy.reshape(self.kept) * exp_of(x - y_kept)
