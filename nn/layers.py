"""Layers: Linear, Flatten, the activations, Dropout, Embedding, Identity, and MLP (a whole network in one line).

Each layer is a few lines around a function of `nn.functional`; the derivatives live in the engine's
primitives, so reading `forward` is reading the whole layer.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from nn import functional as F
from nn import functional_layers as FL
from nn import init
from nn.containers import Sequential
from nn.module import Module, Parameter

WeightInit = float | Callable[[Tensor], Any] | None


class Linear(Module):
    """The affine layer y = x @ W + b, with W of shape (in_features, out_features) and b of (out_features,).

    Default initialisation: W and b uniform in [-1/sqrt(in_features), 1/sqrt(in_features)], the same
    distribution as PyTorch's `nn.Linear`, so a model ported from PyTorch starts and trains alike. The
    bound shrinks with the fan-in, so a unit's summed input has about the same spread whatever the width;
    for deep ReLU stacks `init.kaiming_normal_` keeps signals from fading, for tanh/sigmoid
    `init.xavier_uniform_`.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn the additive b (True) or not.
        weight_init: instead of the default, a float std for a zero-mean normal (the textbook's
            `weight_init_std=0.01`) or a function applied to W (e.g. `nn.init.kaiming_normal_`); either way
            the bias then starts at zero, as the textbook and the Glorot/He papers do.
        dtype: parameter dtype (the default float dtype, float32, unless given).

    Note that W is stored (in, out), the transpose of PyTorch's (out, in): `x @ W` reads like the maths
    and the textbook's Affine layer. Transpose when copying weights from PyTorch.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, weight_init: WeightInit = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.in_features, self.out_features), dtype=dtype))
        self.bias = Parameter(np.empty((self.out_features,), dtype=dtype)) if bias else None
        self.reset_parameters(weight_init)

    def reset_parameters(self, weight_init: WeightInit = None) -> None:
        """(Re)draw the weights: the default uniform init, or `weight_init` as described in the class."""
        if weight_init is None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.weight, -bound, bound)
            if self.bias is not None:
                init.uniform_(self.bias, -bound, bound)
            return
        if isinstance(weight_init, (int, float)) and not isinstance(weight_init, bool):
            init.normal_(self.weight, std=float(weight_init))
        elif callable(weight_init):
            weight_init(self.weight)
        else:
            raise TypeError(
                f"Linear: weight_init must be None, a float std or a function of the weight, got {weight_init!r}"
            )
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def short_description(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge all axes from `start_axis` on: (N, 1, 28, 28) images become (N, 784) vectors.

    The textbook's Affine layer does this reshape itself; here it is its own layer, so Linear stays simple.
    """

    def __init__(self, start_axis: int = 1) -> None:
        super().__init__()
        self.start_axis = start_axis

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else F._as_input(x, None)
        return x.flatten(self.start_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}"


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of `weight` (num_embeddings, embedding_dim).

    `Embedding(10, 3)(np.array([[1, 2], [2, 9]]))` has shape (2, 2, 3). The backward adds each output row's
    gradient into the weight row it was read from, so an index used twice receives both gradients.
    The weight starts as N(0, 1) samples (PyTorch's default); with `padding_idx`, that row starts at zero
    and never receives a gradient (for padding tokens in sequences of unequal length).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"Embedding: padding_idx must be in [{-num_embeddings}, {num_embeddings - 1}], got "
                             f"{padding_idx!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx if padding_idx is None or padding_idx >= 0 else padding_idx + num_embeddings
        dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype))
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with autograd.no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, indices: Any) -> Tensor:
        op = f"Embedding {self.path!r}" if self.path else "Embedding"
        return FL._embedding(indices, self.weight, self.padding_idx, None, False, False, op)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. "no output activation")."""

    def forward(self, x: Any) -> Any:
        return x


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """Probabilities along `axis`. For training, feed logits to CrossEntropyLoss instead (it is stabler)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """Inverted dropout (see `nn.functional.dropout`): drops with probability p in training, no-op in eval.

    Args:
        p: probability of zeroing each element.
        seed: give the layer its own generator seeded with this, for a reproducible mask sequence
            independent of other random draws; by default it draws from autograd's global generator, which
            `autograd.manual_seed` reseeds.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        super().__init__()
        F._check_probability(p, "Dropout")
        self.p = float(p)
        self.seed = seed
        self.generator = np.random.default_rng(seed) if seed is not None else None

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def short_description(self) -> str:
        return f"Dropout(p={self.p})"

    def extra_repr(self) -> str:
        return f"p={self.p}"


_ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax,
    "identity": Identity,
}


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers of the given sizes with an activation between them.

    `MLP([784, 100, 10], activation=nn.Sigmoid)` is Linear(784, 100), Sigmoid, Linear(100, 10). Children
    are named like the textbook's layers: fc1, act1, fc2, ... (so parameters are fc1.weight, fc1.bias, ...).

    Args:
        sizes: input size, hidden sizes, output size (at least two positive integers).
        activation: after every hidden Linear layer: a Module class (`nn.ReLU`), a parameter-free module
            (`nn.LeakyReLU(0.2)`, copied per layer), a function making a module (`lambda: nn.LeakyReLU(0.2)`),
            a function of one tensor (`F.relu`, wrapped as a module), or a name ("relu", "sigmoid", "tanh",
            "leaky_relu").
        output_activation: optional activation after the last layer (leave None when a loss takes logits).
        dropout: if > 0, a Dropout(dropout) after each hidden activation (named drop1, drop2, ...).
        weight_init, bias, dtype: passed to every Linear layer.
    """

    def __init__(self, sizes: Sequence[int], activation: Any = ReLU, output_activation: Any = None,
                 dropout: float = 0.0, weight_init: WeightInit = None, bias: bool = True,
                 dtype: Any = None) -> None:
        sizes = _layer_sizes(sizes)
        layers: dict[str, Module] = {}
        last = len(sizes) - 1
        for i in range(1, last + 1):
            layers[f"fc{i}"] = Linear(sizes[i - 1], sizes[i], bias=bias, weight_init=weight_init, dtype=dtype)
            if i < last:
                layers[f"act{i}"] = _make_activation(activation)
                if dropout > 0:
                    layers[f"drop{i}"] = Dropout(dropout)
        if output_activation is not None:
            layers["output_activation"] = _make_activation(output_activation)
        super().__init__(layers)
        self.sizes = sizes

    def short_description(self) -> str:
        return "MLP(" + " -> ".join(str(s) for s in self.sizes) + ")"


def _layer_sizes(sizes: Any) -> list[int]:
    """The widths as ints, refusing what a width cannot be (3.7, True, 0, "8") instead of truncating it."""
    try:
        if isinstance(sizes, (str, bytes)):
            raise TypeError
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"MLP: sizes must be a list of layer widths such as [784, 100, 10], got {sizes!r}") from None
    for i, size in enumerate(sizes):
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(
                f"MLP: every size must be a positive integer, got {size!r} ({type(size).__name__}) at position "
                f"{i} of {sizes}"
            )
    if len(sizes) < 2:
        raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
    return [int(size) for size in sizes]


class _ActivationFunction(Module):
    """A function of one tensor (e.g. `F.relu`) as a parameter-free layer, so MLP can place it like ReLU()."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        super().__init__()
        self.function = function

    def forward(self, x: Any) -> Any:
        return self.function(x)

    def short_description(self) -> str:
        return getattr(self.function, "__name__", type(self.function).__name__)

    def extra_repr(self) -> str:
        return self.short_description()


def _make_activation(spec: Any) -> Module:
    if isinstance(spec, str):
        if spec.lower() not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {spec!r}; choose one of {sorted(_ACTIVATIONS)}")
        return _ACTIVATIONS[spec.lower()]()
    if isinstance(spec, Module):
        if any(True for _ in spec.parameters()):
            raise TypeError(
                f"MLP: the activation {type(spec).__name__} has parameters, so each layer needs its own: pass its "
                "class or a function making one, not an instance"
            )
        return copy.deepcopy(spec)  # a parameter-free activation (ReLU(), LeakyReLU(0.2)): one copy per layer
    if isinstance(spec, type):
        if issubclass(spec, Module):
            return spec()
        raise TypeError(f"MLP: the activation class {spec.__name__} is not an nn.Module")
    if isinstance(spec, np.ufunc):
        raise TypeError(
            f"MLP: NumPy's {spec.__name__} works on arrays, not tensors, so gradients could not flow through it; "
            "use a function of tensors (autograd.tanh, F.relu, ...) or a layer such as nn.Tanh"
        )
    if callable(spec):
        # A function is either a factory (called with nothing, it makes a module) or the activation itself
        # (called with a tensor): its signature tells which, without calling it on a guess.
        try:
            signature = inspect.signature(spec)
        except (TypeError, ValueError):
            signature = None
        if signature is not None and _binds(signature):
            module = spec()
            if isinstance(module, Module):
                return module
            raise TypeError(
                f"MLP: the activation factory {spec!r} returned {type(module).__name__}, not an nn.Module"
            )
        if signature is not None and _binds(signature, None):
            return _ActivationFunction(spec)
    raise TypeError(
        f"MLP: activation must be a Module class, a module, a function returning a module, a function of one "
        f"tensor (like F.relu), or a name; got {spec!r}"
    )


def _binds(signature: inspect.Signature, *args: Any) -> bool:
    try:
        signature.bind(*args)
    except TypeError:
        return False
    return True
