"""Elementwise primitives: exp, log, sqrt, abs, tanh, sigmoid, relu, clip, maximum/minimum, where, cast.

Each backward multiplies the upstream gradient by the local derivative, evaluated elementwise.
Masks (where relu passes, where clip passes) are constants: their derivative is zero almost everywhere,
so treating them as constants keeps second-order gradients right. Every backward reads the same on NumPy
arrays and Tensors (with `autograd.functions.dispatch` for `where`), so all set `array_backward = True`.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function
from autograd.functions import dispatch


class Exp(Function):
    """y = e**x.  dy/dx = e**x = y, so we keep y, not x."""

    array_backward = True

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


class Log(Function):
    """y = ln x.  dy/dx = 1 / x."""

    array_backward = True

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / x


class Sqrt(Function):
    """y = sqrt(x).  dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)."""

    array_backward = True

    def forward(self, x):
        y = np.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy / (2.0 * y)


class Abs(Function):
    """y = |x|.  dy/dx = sign(x) (0 at x = 0, as in PyTorch and NumPy's sign)."""

    array_backward = True

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, gy):
        return gy * self.sign


class Tanh(Function):
    """y = tanh x.  dy/dx = 1 - tanh(x)**2 = 1 - y*y."""

    array_backward = True

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (1.0 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e**-x).  dy/dx = y (1 - y).

    Fused for stability: e**-|x| never overflows, so +-1000 gives exactly 1 and 0 without warnings,
    and small values keep full relative precision (no 1 - tanh cancellation).
    """

    array_backward = True

    def forward(self, x):
        e = np.exp(-np.abs(x))
        r = 1.0 / (1.0 + e)
        y = np.where(x >= 0, r, e * r)
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (y * (1.0 - y))


class ReLU(Function):
    """y = max(x, 0).  dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch).

    Backward multiplies by the boolean mask, which NumPy does several times faster than a masked
    select (`where`); the one difference is that a NaN or infinite gradient arriving at a switched-off
    unit stays NaN there instead of becoming 0.
    """

    array_backward = True

    def forward(self, x):
        y = np.maximum(x, 0)
        self.mask = x > 0
        return y

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.  dy/dx = 1 or slope."""

    array_backward = True

    def forward(self, x, slope):
        self.mask = x > 0
        self.slope = slope
        return np.where(self.mask, x, x * slope)

    def backward(self, gy):
        return dispatch.where(self.mask, gy, gy * self.slope)


class Clip(Function):
    """y = min(max(x, lo), hi).  dy/dx = 1 where lo <= x <= hi (boundaries included, like PyTorch), else 0."""

    array_backward = True

    def forward(self, x, lo, hi):
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        self.inside = inside
        return np.clip(x, lo, hi)

    def backward(self, gy):
        return dispatch.where(self.inside, gy, 0.0)


class Maximum(Function):
    """z = max(a, b) elementwise.  The gradient goes to the larger input; ties split it half and half."""

    array_backward = True

    def forward(self, a, b):
        self.a_wins = np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b))
        return np.maximum(a, b)

    def backward(self, gz):
        return gz * self.a_wins, gz * (1.0 - self.a_wins)


class Minimum(Function):
    """z = min(a, b) elementwise.  The gradient goes to the smaller input; ties split it half and half."""

    array_backward = True

    def forward(self, a, b):
        self.a_wins = np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(a, b))
        return np.minimum(a, b)

    def backward(self, gz):
        return gz * self.a_wins, gz * (1.0 - self.a_wins)


class Where(Function):
    """z = a where cond else b.  dz/da = cond, dz/db = not cond (cond itself gets no gradient)."""

    array_backward = True

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, gz):
        ga = dispatch.where(self.cond, gz, 0.0) if self.needs_input_grad[1] else None
        gb = dispatch.where(self.cond, 0.0, gz) if self.needs_input_grad[2] else None
        return None, ga, gb


class Cast(Function):
    """y = x converted to another dtype.  dy/dx = 1; the gradient is converted back (by the engine)."""

    array_backward = True

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, gy):
        return gy
