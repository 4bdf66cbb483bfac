"""Weight initialisation: fill a parameter in place with numbers drawn so that training can start well.

Why it matters: with weights too small every layer shrinks the signal (and its gradient) until nothing
is left; too large and sigmoids saturate or ReLU activations explode. The schemes below choose the spread
from the layer's fan-in / fan-out so the variance of activations stays about constant through the layers:

* Xavier/Glorot (tanh, sigmoid): Var(W) = gain**2 * 2 / (fan_in + fan_out).
* Kaiming/He (ReLU): Var(W) = gain**2 / fan_in with gain sqrt(2), since ReLU zeroes half of its inputs.

Fans follow this library's weight layout (in_features, out_features): for a 2-D weight fan_in = shape[0]
and fan_out = shape[1] (PyTorch stores the transpose, and reads them the other way round). Convolution
weights (out_channels, in_channels, kH, kW) share PyTorch's layout and its fans: fan_in = in * kH * kW,
fan_out = out * kH * kW.

Every function draws from `generator` if given, else from autograd's global generator (reseeded by
`autograd.manual_seed`), writes outside the graph, and returns the tensor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd
from autograd import Tensor, default_generator

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "uniform_",
    "xavier_normal_", "xavier_uniform_", "zeros_",
]


def _fill(tensor: Tensor, values: Any, op: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{op}: expected a Tensor (e.g. layer.weight), got {type(tensor).__name__}")
    with autograd.no_grad():  # initialising is not part of any computation to differentiate
        tensor[...] = values  # in place: same array, cast to the tensor's dtype
    return tensor


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples from U(a, b)."""
    if a > b:
        raise ValueError(f"init.uniform_: need a <= b, got a={a}, b={b}")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples from N(mean, std**2); `normal_(w, std=0.01)` is the textbook's weight_init_std=0.01."""
    if std < 0:
        raise ValueError(f"init.normal_: std must be >= 0, got {std}")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape), "normal_")


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with `value`."""
    return _fill(tensor, value, "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the usual start for biases)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which an activation changes the spread of its input, compensated by the init.

    linear/identity/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope**2)) with
    slope `param` (default 0.01). The same values as `torch.nn.init.calculate_gain`.
    """
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(
        f"init.calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of linear, identity, sigmoid, "
        "tanh, relu, leaky_relu"
    )


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    if tensor.ndim > 2:  # a convolution's (out_channels, in_channels, kH, kW): each output sees in * kH * kW
        receptive = int(np.prod(tensor.shape[2:]))
        return tensor.shape[1] * receptive, tensor.shape[0] * receptive
    if tensor.ndim != 2:
        raise ValueError(
            f"init.{op}: fan-in and fan-out are defined for 2-D weights (in_features, out_features) and "
            f"convolution weights (out_channels, in_channels, kH, kW), got shape {tensor.shape}"
        )
    return tensor.shape[0], tensor.shape[1]


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), so Var = gain**2 * 2 / (in + out)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, op)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    With the defaults (a=0, leaky_relu) the gain is sqrt(2): the ReLU case. `mode="fan_in"` keeps the
    forward activations' variance; "fan_out" keeps the backward gradients' variance.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan); std = sqrt(2 / fan_in) for ReLU (the textbook's "He")."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), generator)
