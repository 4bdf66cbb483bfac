"""Layers for images (N, C, H, W): Conv2d, MaxPool2d, AvgPool2d.

Each is a few lines around a function of `nn.functional` (conv2d, max_pool2d, avg_pool2d), whose
derivatives live in the engine's primitives (`autograd.functions.conv`: im2col, one matrix product,
col2im). Errors name the layer (its class and its place in the model) and the shapes involved.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from nn import functional_layers as FL
from nn import init
from nn.layers import WeightInit
from nn.module import Module, Parameter

IntPair = int | tuple[int, int]


def layer_name(module: Module) -> str:
    """How errors name a layer: "Conv2d" or "Conv2d 'features.conv1'"."""
    return f"{type(module).__name__} {module.path!r}" if module.path else type(module).__name__


class Conv2d(Module):
    """2-d convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW), as in PyTorch.

    weight: (out_channels, in_channels, kH, kW), the layout of PyTorch and of the textbook's (FN, C, FH, FW)
    filters, so weights copy over unchanged; bias: (out_channels,). OH = (H + 2 * padding -
    dilation * (kH - 1) - 1) // stride + 1, and the same for OW.

    Default initialisation: weight and bias uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in =
    in_channels * kH * kW (PyTorch's default). `weight_init` as in `Linear`: a float std for N(0, std^2)
    (the textbook's weight_init_std) or a function of the weight (`nn.init.kaiming_normal_`); the bias
    then starts at zero.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, padding, dilation: an int or a pair (height, width); padding also "valid"
            or "same" (stride 1).
        bias: learn a bias per output channel.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 weight_init: WeightInit = None, dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Conv2d: {name} must be a positive integer, got {value!r}")
        if groups != 1:
            raise NotImplementedError(f"Conv2d: groups={groups} is not supported (only groups=1)")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = FL.pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = FL.pair(stride, "stride", "Conv2d", 1)
        self.dilation = FL.pair(dilation, "dilation", "Conv2d", 1)
        self.padding = padding if isinstance(padding, str) else FL.pair(padding, "padding", "Conv2d", 0)
        if padding == "same" and self.stride != (1, 1):
            raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride {self.stride}")
        dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty((self.out_channels,), dtype=dtype)) if bias else None
        self.reset_parameters(weight_init)

    def reset_parameters(self, weight_init: WeightInit = None) -> None:
        """(Re)draw the weights: the default uniform init, or `weight_init` as described in the class."""
        if weight_init is None:
            bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
            init.uniform_(self.weight, -bound, bound)
            if self.bias is not None:
                init.uniform_(self.bias, -bound, bound)
            return
        if isinstance(weight_init, int | float) and not isinstance(weight_init, bool):
            init.normal_(self.weight, std=float(weight_init))
        elif callable(weight_init):
            weight_init(self.weight)
        else:
            raise TypeError(f"Conv2d: weight_init must be None, a float std or a function of the weight, got "
                            f"{weight_init!r}")
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        return FL._conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, 1, layer_name(self))

    def short_description(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels} -> {self.out_channels}, {kh}x{kw})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """The largest value in each window: (N, C, H, W) -> (N, C, OH, OW). No parameters.

    stride defaults to kernel_size (windows side by side); padding (at most half the kernel) never wins.
    The gradient flows only to each window's maximum. See `nn.functional.max_pool2d`.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = FL.pair(kernel_size, "kernel_size", "MaxPool2d", 1)
        self.stride = self.kernel_size if stride is None else FL.pair(stride, "stride", "MaxPool2d", 1)
        self.padding = FL.pair(padding, "padding", "MaxPool2d", 0)
        self.dilation = FL.pair(dilation, "dilation", "MaxPool2d", 1)
        self.return_indices, self.ceil_mode = return_indices, bool(ceil_mode)

    def forward(self, x: Any) -> Tensor:
        return FL._max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices, layer_name(self))

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + (", ceil_mode=True" if self.ceil_mode else "")


class AvgPool2d(Module):
    """The mean of each window: (N, C, H, W) -> (N, C, OH, OW). No parameters.

    See `nn.functional.avg_pool2d` for padding, count_include_pad, ceil_mode and divisor_override.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = FL.pair(kernel_size, "kernel_size", "AvgPool2d", 1)
        self.stride = self.kernel_size if stride is None else FL.pair(stride, "stride", "AvgPool2d", 1)
        self.padding = FL.pair(padding, "padding", "AvgPool2d", 0)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        return FL._avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                              self.divisor_override, layer_name(self))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
