"""Softmax, log-softmax and softmax cross-entropy, fused for numerical stability.

softmax(x) = exp(x - max) / sum(exp(x - max)): subtracting the row maximum changes nothing
mathematically and keeps exp from overflowing, so logits of +-1000 are fine.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Primitive
from autograd.functions.elementwise import exp_of


class Softmax(Primitive):
    """y = exp(x) / sum(exp(x)) along `axis`.  dL/dx = y * (g - sum(g * y)), the softmax Jacobian-vector product."""

    def forward(self, x, axis):
        self.axis = axis
        e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
        y = e / np.add.reduce(e, axis=axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        gy_y = gy * y
        return gy_y - y * gy_y.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Primitive):
    """y = x - logsumexp(x) along `axis`.  dL/dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)."""

    def forward(self, x, axis):
        self.axis = axis
        shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True)
        y = shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy - exp_of(y) * gy.sum(axis=self.axis, keepdims=True)


class SoftmaxCrossEntropy(Primitive):
    """loss_i = -log softmax(z_i)[t_i] = logsumexp(z_i) - z_i[t_i] for logits z (N, C) and labels t (N,),
    then the mean over i (or the sum, or none).  dloss_i/dz_i = softmax(z_i) - onehot(t_i).

    Fused for speed and stability: one exp pass gives both the loss (through the shifted logsumexp, so
    logits of +-1000 are fine) and the probabilities the gradient needs; no (N, C) log-probability graph,
    no gather and no scatter-add in backward. Under create_graph the gradient is rebuilt from a
    differentiable softmax of z, so second derivatives are right.
    """

    def forward(self, z, labels, reduction):
        # ufunc.reduce directly: np.max/np.sum/np.mean add Python-level wrappers that cost as much as
        # the arithmetic on a typical (batch, classes) array.
        n = z.shape[0]
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
        e = np.exp(shifted)
        total = np.add.reduce(e, axis=1, keepdims=True)
        losses = np.log(total.reshape(n)) - shifted[np.arange(n), labels]
        e /= total  # the probabilities, in place
        self.reduction = reduction
        self.save_for_backward(z, e, labels)
        if reduction == "mean":
            return np.add.reduce(losses) / n
        if reduction == "sum":
            return np.add.reduce(losses)
        return losses

    def backward(self, g):
        z, p, labels = self.saved_tensors
        n = p.shape[0]
        rows = np.arange(n)
        if isinstance(g, np.ndarray):
            grad = p.copy()
            grad[rows, labels] -= 1
        else:  # create_graph: softmax(z) - onehot, written with differentiable ops
            onehot = np.zeros(p.shape, dtype=p.dtype)
            onehot[rows, labels] = 1
            grad = Softmax.apply(z, 1) - onehot
        if self.reduction == "mean":
            scale = g / float(n) if not isinstance(g, np.ndarray) else g / p.dtype.type(n)
        elif self.reduction == "sum":
            scale = g
        else:
            scale = g.reshape(n, 1)
        if isinstance(g, np.ndarray):
            grad *= scale
            return grad, None, None
        return grad * scale, None, None
