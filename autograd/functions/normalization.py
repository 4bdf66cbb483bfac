"""Normalization: y = weight * (x - mean) / sqrt(var + eps) + bias, the statistics taken over some axes.

Batch normalization takes them over every axis but the channels (the batch, and the pixels of images);
layer normalization over the last axes of each sample. One fused primitive serves both: written as ten
Tensor operations it would record ten nodes and pass over the activations about twenty times in
forward and backward; fused it needs no graph inside and about half the passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import Primitive


def standardize(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any, Any, Any]:
    """(x_hat, 1/sigma, mean, var): x_hat = (x - mean) / sigma, sigma = sqrt(var + eps), over `axes`.

    The variance is the biased one (divided by the count), as normalization uses it. Written with
    operations that ndarrays and Tensors share, so the same lines serve forward (on arrays) and a
    create_graph backward (on Tensors, where x_hat must stay a function of x).
    """
    scale = 1.0 / (x.size // _kept_size(x.shape, axes))
    mean = x.sum(axis=axes, keepdims=True) * scale
    centered = x - mean
    var = (centered * centered).sum(axis=axes, keepdims=True) * scale
    inv_std = (var + eps) ** -0.5
    return centered * inv_std, inv_std, mean, var


def _kept_size(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([size for i, size in enumerate(shape) if i not in axes]))


class Normalize(Primitive):
    """y = weight * x_hat + bias, x_hat = (x - mean) / sqrt(var + eps), mean and var over `axes`.

    weight and bias (or None) are reshaped to `param_shape`, which broadcasts against x: (1, C, 1, 1)
    for batch norm of images, the normalized shape for layer norm. With M values per statistic and
    g_hat = g * weight, the backward (the mean and variance depend on every x they summarise):

        dL/dx      = (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)) / sqrt(var + eps)
        dL/dweight = sum(g * x_hat),   dL/dbias = sum(g)     (over the axes weight is broadcast along)

    `running` = (running_mean, running_var, momentum), ndarrays updated in place in forward as PyTorch's
    kernel does: running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
    variance (var * M / (M - 1)). Backward keeps x_hat and 1/sigma from forward; under create_graph it
    recomputes them from x with Tensor operations, so second derivatives are right.
    """


    def forward(self, x, weight, bias, axes, eps, param_shape, running=None):
        x_hat, inv_std, mean, var = standardize(x, axes, eps)
        y = x_hat * weight.reshape(param_shape) if weight is not None else x_hat.copy()  # never x_hat itself
        if bias is not None:
            y += bias.reshape(param_shape)
        if running is not None:
            running_mean, running_var, momentum = running
            count = x.size // mean.size
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean.reshape(running_mean.shape)
            running_var *= 1.0 - momentum
            running_var += (momentum * count / max(count - 1, 1)) * var.reshape(running_var.shape)
        self.axes, self.eps, self.param_shape = axes, eps, param_shape
        self.bias_shape = None if bias is None else bias.shape
        padded = (1,) * (x.ndim - len(param_shape)) + tuple(param_shape)
        self.param_axes = tuple(i for i, size in enumerate(padded) if size == 1 and x.shape[i] != 1)
        self.save_for_backward(x, weight, x_hat, inv_std)
        return y

    def backward(self, g):
        x, weight, x_hat, inv_std = self.saved_tensors
        if not isinstance(g, np.ndarray):  # create_graph: the statistics as functions of x
            x_hat, inv_std, _, _ = standardize(x, self.axes, self.eps)
        needs = self.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            scale = 1.0 / (x.size // _kept_size(x.shape, self.axes))
            g_hat = g if weight is None else g * weight.reshape(self.param_shape)
            mean_g = g_hat.sum(axis=self.axes, keepdims=True) * scale
            mean_gx = (g_hat * x_hat).sum(axis=self.axes, keepdims=True) * scale
            gx = (g_hat - mean_g - x_hat * mean_gx) * inv_std
        if len(needs) > 1 and needs[1]:
            gw = (g * x_hat).sum(axis=self.param_axes, keepdims=True).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            gb = g.sum(axis=self.param_axes, keepdims=True).reshape(self.bias_shape)
        return gx, gw, gb
