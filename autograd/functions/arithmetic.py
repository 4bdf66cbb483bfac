"""Arithmetic primitives: + - * / ** and negation.

Binary ops broadcast like NumPy. Their backward returns gradients of the *output's* shape; the engine
sums each back to its input's shape in one place (`autograd.functions.shape.sum_to`), so no op here
handles broadcasting itself. Each saves only what its backward reads: `x * 3` keeps the 3, not x.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Primitive
from autograd.functions.elementwise import log_of, where_of


class Add(Primitive):
    """z = a + b.  dz/da = 1, dz/db = 1: the gradient passes through unchanged to both inputs."""

    def forward(self, a, b):
        return a + b

    def backward(self, gz):
        return gz, gz


class Sub(Primitive):
    """z = a - b.  dz/da = 1, dz/db = -1."""

    def forward(self, a, b):
        return a - b

    def backward(self, gz):
        return gz, (-gz if self.needs_input_grad[1] else None)


class Neg(Primitive):
    """z = -a.  dz/da = -1."""

    def forward(self, a):
        return -a

    def backward(self, gz):
        return -gz


class Mul(Primitive):
    """z = a * b.  dz/da = b, dz/db = a: each input's gradient is the upstream gradient times the other."""

    def forward(self, a, b):
        needs_a, needs_b = self.needs_input_grad
        self.save_for_backward(b if needs_a else None, a if needs_b else None)
        return a * b

    def backward(self, gz):
        b, a = self.saved_tensors
        return (gz * b if b is not None else None), (gz * a if a is not None else None)


class Div(Primitive):
    """z = a / b.  dz/da = 1/b, dz/db = -a/b**2 (written as -(dz/da) * a / b to reuse the first term)."""

    def forward(self, a, b):
        self.save_for_backward(b, a if self.needs_input_grad[1] else None)
        return a / b  # x / 0 is +-inf or nan, as in PyTorch (and, as there, without a warning)

    def backward(self, gz):
        b, a = self.saved_tensors
        ga = gz / b
        gb = -ga * a / b if a is not None else None
        return (ga if self.needs_input_grad[0] else None), gb


class PowConstant(Primitive):
    """z = a ** c for a constant number c.  dz/da = c * a ** (c - 1) (and 0 for c = 0, as in PyTorch)."""

    def forward(self, a, c):
        self.c = c
        self.save_for_backward(a)
        return a ** c  # 0 ** -1 = inf, (-1) ** 0.5 = nan

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


class Pow(Primitive):
    """z = a ** b for tensors.  dz/da = b * a ** (b - 1);  dz/db = z * ln(a).

    At the edges we take PyTorch's limits: dz/da = 0 at a == b == 0 (where the formula gives 0 * inf);
    dz/db = 0 where a == 0 and b >= 0 (z * ln(a) -> 0), and -inf for 0 ** b with b < 0.
    """

    def forward(self, a, b):
        z = np.power(a, b)
        needs_a, needs_b = self.needs_input_grad
        self.save_for_backward(a, b, z if needs_b else None)
        return z

    def backward(self, gz):
        a, b, z = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = gz * b * a ** (b - 1.0)
            zero_to_zero = (_raw(a) == 0) & (_raw(b) == 0)
            if np.any(zero_to_zero):
                ga = where_of(zero_to_zero, 0.0, ga)
        if z is not None:
            a_raw, b_raw = _raw(a), _raw(b)
            limit_zero = (a_raw == 0) & (b_raw >= 0)
            gb = gz * z * log_of(where_of(limit_zero, 1.0, a) if np.any(limit_zero) else a)
        return ga, gb


def _raw(x):
    """The array behind an array or a Tensor: for masks, which are constants of the graph."""
    return x if isinstance(x, np.ndarray) else x.data
