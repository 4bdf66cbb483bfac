"""Softmax and log-softmax, fused for numerical stability.

softmax(x) = exp(x - max) / sum(exp(x - max)): subtracting the row maximum changes nothing
mathematically and keeps exp from overflowing, so logits of +-1000 are fine.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function
from autograd.functions import dispatch


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along `axis`.  dL/dx = y * (g - sum(g * y)), the softmax Jacobian-vector product."""

    array_backward = True

    def forward(self, x, axis):
        self.axis = axis
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        y = e / np.sum(e, axis=axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        gy_y = gy * y
        return gy_y - y * gy_y.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - logsumexp(x) along `axis`.  dL/dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)."""

    array_backward = True

    def forward(self, x, axis):
        self.axis = axis
        shifted = x - np.max(x, axis=axis, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy - dispatch.exp(y) * gy.sum(axis=self.axis, keepdims=True)
