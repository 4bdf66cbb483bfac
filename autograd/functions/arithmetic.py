"""Arithmetic primitives: + - * / ** and negation.

Binary ops broadcast like NumPy. Their backward returns gradients of the *output's* shape; the engine
sums each back to its input's shape in one place (`autograd.functions.shape.sum_to`), so no op here
handles broadcasting itself. Every backward here is plain arithmetic, which reads the same on NumPy
arrays (an ordinary backward pass) and on Tensors (`create_graph=True`): `array_backward = True`.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function
from autograd.functions import dispatch


class Add(Function):
    """z = a + b.  dz/da = 1, dz/db = 1: the gradient passes through unchanged to both inputs."""

    array_backward = True

    def forward(self, a, b):
        return a + b

    def backward(self, gz):
        return gz, gz


class Sub(Function):
    """z = a - b.  dz/da = 1, dz/db = -1."""

    array_backward = True

    def forward(self, a, b):
        return a - b

    def backward(self, gz):
        return gz, (-gz if self.needs_input_grad[1] else None)


class Neg(Function):
    """z = -a.  dz/da = -1."""

    array_backward = True

    def forward(self, a):
        return -a

    def backward(self, gz):
        return -gz


class Mul(Function):
    """z = a * b.  dz/da = b, dz/db = a: each input's gradient is the upstream gradient times the other."""

    array_backward = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gz):
        a, b = self.saved_tensors
        ga = gz * b if self.needs_input_grad[0] else None
        gb = gz * a if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """z = a / b.  dz/da = 1/b, dz/db = -a/b**2 (written as -(dz/da) * a / b to reuse the first term)."""

    array_backward = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, gz):
        a, b = self.saved_tensors
        ga = gz / b
        gb = -ga * a / b if self.needs_input_grad[1] else None
        return (ga if self.needs_input_grad[0] else None), gb


class PowConstant(Function):
    """z = a ** c for a constant number c.  dz/da = c * a ** (c - 1)."""

    array_backward = True

    def forward(self, a, c):
        self.c = c
        self.save_for_backward(a)
        return a ** c

    def backward(self, gz):
        (a,) = self.saved_tensors
        c = self.c
        if c == 0:
            return gz * 0.0, None
        if c == 1:
            return gz, None
        if c == 2:
            return gz * (2.0 * a), None  # the common square: skip the power
        return gz * (c * a ** (c - 1)), None


class Pow(Function):
    """z = a ** b for tensors.  dz/da = b * a ** (b - 1);  dz/db = z * ln(a) (taken as 0 where a == 0)."""

    array_backward = True

    def forward(self, a, b):
        z = np.power(a, b)
        self.save_for_backward(a, b, z)
        return z

    def backward(self, gz):
        a, b, z = self.saved_tensors
        ga = gz * b * a ** (b - 1.0) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            # ln(a) is -inf at a == 0, where z * ln(a) has the limit 0 for b > 0: substitute a = 1 there.
            safe_a = dispatch.where(dispatch.raw(a) == 0, 1.0, a)
            gb = gz * z * dispatch.log(safe_a)
        return ga, gb
