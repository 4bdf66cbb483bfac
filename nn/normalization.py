"""Normalization layers: BatchNorm1d, BatchNorm2d and LayerNorm.

Batch normalization (Ioffe & Szegedy, 2015; the textbook's chapter 6) standardizes each channel with the
statistics of the current mini-batch while training, and keeps exponential moving averages of them,
`running_mean` and `running_var`, as buffers: saved in the state dict, not trained. In `eval()` mode those
averages replace the batch statistics, so a prediction does not depend on the rest of its batch.
Layer normalization standardizes each sample over its own last axes, the same in training and eval.

The arithmetic and derivatives are in `autograd.functions.normalization.Normalize` (one fused node).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd
from autograd import ShapeError, Tensor
from nn import functional_layers as FL
from nn.conv import layer_name
from nn.module import Module, Parameter


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept.

    Args:
        num_features: C, the number of channels (axis 1 of the input).
        eps: added to the variance before the square root.
        momentum: weight of the new batch in the running averages; None means a plain average over all
            batches seen so far (using the `num_batches_tracked` buffer), as in PyTorch.
        affine: learn a per-channel scale `weight` (starting at 1) and shift `bias` (starting at 0).
        track_running_stats: keep running averages (and use them in eval); if False, every call
            normalizes with its own batch's statistics, in eval too.
    """

    expected_ndims: tuple[int, ...] = ()
    expected_layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, int | np.integer) or isinstance(num_features, bool) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive integer, got {num_features!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None (a cumulative average), got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        """Forget the running averages: mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Any) -> Tensor:
        op = layer_name(self)
        shape = x.shape if isinstance(x, Tensor | np.ndarray) else np.shape(x)
        if len(shape) not in self.expected_ndims or shape[1] != self.num_features:
            raise ShapeError(f"{op}: expected an input {self.expected_layout} with C = {self.num_features} "
                             f"channels, got shape {tuple(shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with autograd.no_grad():
                self.num_batches_tracked += 1  # through the tensor: a compiled step repeats it
            if self.momentum is None:  # a cumulative average: the n-th batch gets weight 1/n
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch_statistics = self.training or not self.track_running_stats
        keep = not self.training or self.track_running_stats
        return FL._batch_norm(x, self.running_mean if keep else None, self.running_var if keep else None,
                              self.weight, self.bias, use_batch_statistics, momentum, self.eps, op)

    def short_description(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) sequences, per channel C (see `_BatchNorm`)."""

    expected_ndims = (2, 3)
    expected_layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of images (N, C, H, W), per channel C over N, H and W (see `_BatchNorm`)."""

    expected_ndims = (4,)
    expected_layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalize each sample over its last axes, `normalized_shape` (e.g. the features, or (C, H, W)).

    y = weight * (x - mean) / sqrt(var + eps) + bias, with weight (ones) and bias (zeros) of shape
    normalized_shape when `elementwise_affine`. No running statistics: the same in train and eval.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = FL.normalized_shape_tuple(normalized_shape, "LayerNorm")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
        with_bias = self.elementwise_affine and bias
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype=dtype))
                                if self.elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if with_bias else None)

    def forward(self, x: Any) -> Tensor:
        return FL._layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, layer_name(self))

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
