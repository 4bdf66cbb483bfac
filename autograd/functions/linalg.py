"""Matrix multiplication, with NumPy's rules (1-D operands, batches and broadcast batch dimensions), and
the affine map x @ W + b fused into one primitive."""

from __future__ import annotations

import math

import numpy as np

from autograd.errors import ShapeError
from autograd.function import Primitive
from autograd.functions.reduction import sum_over


class MatMul(Primitive):
    """C = A @ B.  dL/dA = dL/dC @ B^T,  dL/dB = A^T @ dL/dC.

    A 1-D operand is treated as a row (left) or column (right) vector, as NumPy does; backward adds the
    missing axis to the gradient, multiplies, and removes it again. Broadcast batch axes are summed back
    by the engine like any other broadcast.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        k_a = a.shape[-1]
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: {k_a} != {k_b}")
        needs_a, needs_b = self.needs_input_grad
        self.a_vector, self.b_vector = a.ndim == 1, b.ndim == 1
        self.save_for_backward(a if needs_b else None, b if needs_a else None)
        return np.matmul(a, b)

    def backward(self, gc):
        a, b = self.saved_tensors
        a_vec, b_vec = self.a_vector, self.b_vector
        if a_vec and b_vec:  # inner product: C is a scalar
            return (gc * b if b is not None else None), (gc * a if a is not None else None)
        if a_vec:  # C lost the row axis of A: put it back in the gradient
            gc = gc.reshape(gc.shape[:-1] + (1, gc.shape[-1]))
        if b_vec:  # C lost the column axis of B
            gc = gc.reshape(gc.shape + (1,))
        ga = gb = None
        if b is not None:
            ga = gc @ (b.reshape(-1, 1) if b_vec else b).swapaxes(-1, -2)
            if a_vec:
                ga = ga.reshape(ga.shape[:-2] + (ga.shape[-1],))
        if a is not None:
            gb = (a.reshape(1, -1) if a_vec else a).swapaxes(-1, -2) @ gc
            if b_vec:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb


class Linear(Primitive):
    """y = x @ W + b for x of shape (..., in), W (in, out) and b (out,) or None: the affine layer.

    dL/dx = g @ W^T,  dL/dW = x^T @ g (batch axes flattened into one),  dL/db = g summed over all axes
    but the last. Fused for speed: the bias is added in place into the fresh product, saving a pass over
    the output and an allocation, and one node replaces two. (`autograd.ops.linear` uses it only for
    exactly these shapes and a bias of the product's dtype; anything else is x @ W + b.)
    """

    def forward(self, x, w, b):
        y = np.matmul(x, w)
        if b is not None:
            y += b
        needs = self.needs_input_grad
        self.save_for_backward(x if needs[1] else None, w if needs[0] else None)
        self.weight_shape = w.shape
        return y

    def backward(self, g):
        x, w = self.saved_tensors
        fan_in, fan_out = self.weight_shape
        gx = g @ w.T if w is not None else None
        rows = math.prod(g.shape[:-1])  # the batch axes, flattened into one
        gw = x.reshape(rows, fan_in).T @ g.reshape(rows, fan_out) if x is not None else None
        gb = None
        if self.needs_input_grad[2]:
            gb = sum_over(g, tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return gx, gw, gb
