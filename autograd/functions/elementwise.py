"""Elementwise primitives: exp, log, sqrt, abs, tanh, sigmoid, relu, clip, maximum/minimum, where, cast.

Each backward multiplies the upstream gradient by the local derivative, evaluated elementwise.
Masks (where relu passes, where clip passes) are constants: their derivative is zero almost everywhere,
so treating them as constants keeps second-order gradients right. Masks are saved with
`save_for_backward` like any other value, so they are freed after backward.
"""

from __future__ import annotations

import numpy as np

from autograd.creation import default_generator
from autograd.function import Primitive, either


class Exp(Primitive):
    """y = e**x.  dy/dx = e**x = y, so we keep y, not x."""

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


class Log(Primitive):
    """y = ln x.  dy/dx = 1 / x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)  # ln 0 = -inf, ln -1 = nan, as in PyTorch

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / x


class Sqrt(Primitive):
    """y = sqrt(x).  dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)."""

    def forward(self, x):
        y = np.sqrt(x)  # sqrt(-1) = nan, as in PyTorch
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy / (2.0 * y)


class Abs(Primitive):
    """y = |x|.  dy/dx = sign(x) (0 at x = 0, as in PyTorch and NumPy's sign)."""

    def forward(self, x):
        self.save_for_backward(np.sign(x))
        return np.abs(x)

    def backward(self, gy):
        (sign,) = self.saved_tensors
        return gy * sign


class Tanh(Primitive):
    """y = tanh x.  dy/dx = 1 - tanh(x)**2 = 1 - y*y."""

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (1.0 - y * y)


class Sigmoid(Primitive):
    """y = 1 / (1 + e**-x).  dy/dx = y (1 - y).

    Stable as written: for very negative x, e**-x overflows to inf and y is exactly 0 (its limit); for
    moderately negative x, 1 / (1 + big) keeps full relative precision (no 1 - tanh cancellation). The
    overflow raises no warning (forward runs with NumPy's floating-point warnings off, see Function).
    """

    def forward(self, x):
        y = 1.0 / (1.0 + np.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (y * (1.0 - y))


class Softplus(Primitive):
    """y = log(1 + e**x), a smooth relu.  dy/dx = e**x / (1 + e**x) = sigmoid(x) = 1 - e**-y.

    Forward is logaddexp(0, x), which never overflows; backward reads y, which forward returns anyway.
    """

    def forward(self, x):
        y = np.logaddexp(0.0, x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (1.0 - exp_of(-y))


class ReLU(Primitive):
    """y = max(x, 0).  dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch).

    Backward selects (a switched-off unit gets exactly 0, even from an infinite upstream gradient).
    """

    def forward(self, x):
        mask = x > 0
        self.save_for_backward(mask)
        return np.maximum(x, 0)

    def backward(self, gy):
        (mask,) = self.saved_tensors
        return selected(gy * mask, mask)


class LeakyReLU(Primitive):
    """y = x if x > 0 else slope * x.  dy/dx = 1 where x > 0, else slope (slope at x = 0, as in PyTorch)."""

    def forward(self, x, slope):
        positive = x > 0
        self.save_for_backward(np.where(positive, 1.0, slope).astype(x.dtype, copy=False))
        return np.where(positive, x, x * slope)

    def backward(self, gy):
        (local,) = self.saved_tensors
        return gy * local


class Clip(Primitive):
    """y = min(max(x, lo), hi).  dy/dx = 1 where lo <= x <= hi (boundaries included, like PyTorch), else 0."""

    def forward(self, x, lo, hi):
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        self.save_for_backward(inside)
        return np.clip(x, lo, hi)

    def backward(self, gy):
        (inside,) = self.saved_tensors
        return gy * inside


class Maximum(Primitive):
    """z = max(a, b) elementwise.  The gradient goes to the larger input; ties split it half and half."""

    def forward(self, a, b):
        self.save_for_backward(_share_of_first(a > b, a == b, np.result_type(a, b)))
        return np.maximum(a, b)

    def backward(self, gz):
        (share,) = self.saved_tensors
        return _shares(gz, share)


def _shares(gz, share):
    """gz split by `share` (1, 1/2 or 0 for the first operand); a losing side gets exactly 0, as in PyTorch."""
    other = 1.0 - share
    return selected(gz * share, share != 0), selected(gz * other, other != 0)


class Minimum(Primitive):
    """z = min(a, b) elementwise.  The gradient goes to the smaller input; ties split it half and half."""

    def forward(self, a, b):
        self.save_for_backward(_share_of_first(a < b, a == b, np.result_type(a, b)))
        return np.minimum(a, b)

    def backward(self, gz):
        (share,) = self.saved_tensors
        return _shares(gz, share)


def _share_of_first(wins, ties, dtype):
    """1 where the first operand wins, 1/2 where it ties, 0 where it loses: its share of the gradient."""
    return (wins + 0.5 * ties).astype(dtype, copy=False)


class Where(Primitive):
    """z = a where cond else b.  dz/da = cond, dz/db = not cond (cond itself gets no gradient)."""

    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return np.where(cond, a, b)

    def backward(self, gz):
        (cond,) = self.saved_tensors
        ga = where_of(cond, gz, 0.0) if self.needs_input_grad[1] else None
        gb = where_of(cond, 0.0, gz) if self.needs_input_grad[2] else None
        return None, ga, gb


class Dropout(Primitive):
    """y = x * mask / (1 - p), each mask element 1 with probability 1 - p.  dy/dx = mask / (1 - p).

    The mask is drawn in forward, from `generator` or else the global one (`autograd.manual_seed`) as it
    is at that moment, so every call (and every replay of a compiled step) gets fresh random numbers.
    """

    def forward(self, x, p, generator):
        rng = generator if generator is not None else default_generator()
        keep = rng.random(x.shape, dtype=np.float32) >= p  # float32 draws: half the cost of float64
        scale = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
        self.save_for_backward(scale)
        return x * scale

    def backward(self, gy):
        (scale,) = self.saved_tensors
        return gy * scale


class Compare(Primitive):
    """z = a < b (or <=, >, >=, ==, != : the NumPy comparison `ufunc`).  Booleans: no gradient flows."""

    def forward(self, a, b, ufunc):
        return ufunc(a, b)

    def backward(self, gz):
        return None, None


class Cast(Primitive):
    """y = x converted to another dtype.  dy/dx = 1; the engine casts the gradient back to x's dtype."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, gy):
        return gy


# For backward code that must run on arrays and on Tensors (see `autograd.function.either`).
exp_of = either(np.exp, Exp)
log_of = either(np.log, Log)
where_of = either(np.where, Where)


def selected(product, keep):
    """`product` (a gradient times a mask or a share) made exactly 0 wherever `keep` is False.

    A selection's gradient (relu, maximum, minimum) must be exactly 0 where the input lost, even when the
    upstream gradient is infinite or nan there (PyTorch's rule). `g * mask` gives that everywhere except
    there (inf * 0 is nan), and costs a fifteenth of `np.where` on NumPy 2; so the product is used, and
    `np.where` only when a nan shows up (one cheap reduction finds it).
    """
    if not isinstance(product, (np.ndarray, np.generic)):  # a Tensor, under create_graph: record the selection
        return where_of(keep, product, 0.0)
    if product.size and np.isnan(np.minimum.reduce(product, axis=None)):
        product = np.where(keep, product, 0.0)  # a float's dtype is kept: the Python 0.0 adapts to it
    return np.asarray(product)  # NumPy gives scalars for 0-d operands; an array comes back as it is
