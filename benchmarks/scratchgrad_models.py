"""Our engine's versions of the benchmarked computations, written as a user would write them.

When the `nn` library provides what a model needs (`nn.Linear`, `nn.functional.cross_entropy`,
`nn.optim.SGD`/`Adam`), the model uses it, since that is what users run; otherwise it is spelled out
with `autograd` operations and an in-place SGD update. `implementation()` says which one ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor


def _nn() -> Any:
    """The `nn` package if it has everything the models use, else None."""
    try:
        import nn
        import nn.functional
        import nn.optim
    except ImportError:
        return None
    needed = (getattr(nn, "Linear", None), getattr(nn.functional, "cross_entropy", None),
              getattr(nn.functional, "mse_loss", None), getattr(nn.optim, "SGD", None),
              getattr(nn.optim, "Adam", None))
    return nn if all(item is not None for item in needed) else None


def implementation() -> str:
    """'nn' when the models use the nn library, 'autograd' when they are written with autograd ops."""
    return "nn" if _nn() is not None else "autograd"


# ---------------------------------------------------------------------- models with nn
def _nn_stack(nn: Any, params: list[np.ndarray], activation: str, activate_output: bool) -> Any:
    """nn.Linear layers holding copies of `params` (W stored as nn.Linear stores it)."""
    layers = []
    pairs = list(zip(params[0::2], params[1::2], strict=True))
    for i, (W, b) in enumerate(pairs):
        linear = nn.Linear(W.shape[0], W.shape[1])
        weight = W if linear.weight.shape == W.shape else W.T
        with ag.no_grad():
            linear.weight.data[...] = weight
            linear.bias.data[...] = b
        layers.append(linear)
        if i < len(pairs) - 1 or activate_output:
            layers.append(getattr(nn, activation)())
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------- models with autograd ops
class _Layers:
    """A stack of affine layers as plain leaf tensors, with an activation between them."""

    def __init__(self, params: list[np.ndarray], activation: str, activate_output: bool) -> None:
        self.params = [Tensor(p, requires_grad=True) for p in params]
        self.activation = activation
        self.activate_output = activate_output

    def __call__(self, x: Tensor) -> Tensor:
        pairs = list(zip(self.params[0::2], self.params[1::2], strict=True))
        h = x
        for i, (W, b) in enumerate(pairs):
            h = h @ W + b
            if i < len(pairs) - 1 or self.activate_output:
                h = getattr(h, self.activation)()
        return h

    def sgd(self, lr: float) -> None:
        with ag.no_grad():
            for p in self.params:
                p -= lr * p.grad
                p.grad = None


def _cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    log_p = logits.log_softmax(axis=1)
    return -log_p[np.arange(labels.shape[0]), labels].mean()


def _mse(y: Tensor, target: np.ndarray) -> Tensor:
    diff = y - target
    return (diff * diff).mean()


# ---------------------------------------------------------------------- the steps
def _step(params: list[np.ndarray], lr: float, activation: tuple[str, str], activate_output: bool,
          nn_loss: Callable[[Any, Tensor, Tensor], Tensor],
          layers_loss: Callable[[Tensor, np.ndarray], Tensor],
          compiled: bool = False) -> Callable[[np.ndarray, np.ndarray], float]:
    """One training step as a user writes it: with nn (modules, functional loss, SGD) when importable,
    else with bare autograd ops and a hand-written SGD update. `activation`: (nn class name, ops name).
    `compiled`: the same step wrapped in `autograd.compile` (traced twice, then replayed)."""
    nn = _nn()
    if nn is not None:
        model = _nn_stack(nn, params, activation[0], activate_output)
        optimizer = nn.optim.SGD(model.parameters(), lr=lr)

        def nn_step(x: Any, target: Any) -> Tensor:
            optimizer.zero_grad()
            loss = nn_loss(nn, model(x), target)
            loss.backward()
            optimizer.step()
            return loss

        run = ag.compile(nn_step) if compiled else nn_step
        return lambda x, target: run(ag.as_tensor(x), ag.as_tensor(target)).item()

    layers = _Layers(params, activation[1], activate_output=activate_output)

    def step(x: np.ndarray, target: np.ndarray) -> float:
        loss = layers_loss(layers(ag.as_tensor(x)), target)
        loss.backward()
        layers.sgd(lr)
        return loss.item()

    return step


def mlp_classifier_step(params: list[np.ndarray], lr: float,
                        compiled: bool = False) -> Callable[[np.ndarray, np.ndarray], float]:
    """One step of the ReLU MLP: forward, softmax cross-entropy, backward, SGD."""
    return _step(params, lr, ("ReLU", "relu"), False,
                 lambda nn, y, t: nn.functional.cross_entropy(y, t), _cross_entropy, compiled)


def tanh_adam_step(params: list[np.ndarray], lr: float,
                   compiled: bool = False) -> Callable[[np.ndarray, np.ndarray], float]:
    """One full-batch step of the tanh MLP with softmax cross-entropy and Adam (the modern two-moons run)."""
    import nn

    model = _nn_stack(nn, params, "Tanh", False)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)

    def step(x: Any, labels: Any) -> Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss

    run = ag.compile(step) if compiled else step
    return lambda x, labels: run(ag.as_tensor(x), ag.as_tensor(labels)).item()


def sigmoid_mse_step(params: list[np.ndarray], lr: float,
                     compiled: bool = False) -> Callable[[np.ndarray, np.ndarray], float]:
    """One per-sample step of the sigmoid MLP with mean squared error and SGD (the two-moons run)."""
    return _step(params, lr, ("Sigmoid", "sigmoid"), True, lambda nn, y, t: nn.functional.mse_loss(y, t), _mse,
                 compiled)


def chain(x: np.ndarray, n_ops: int, factor: float) -> tuple[Callable[[], Tensor], Callable[[Tensor], None]]:
    """The per-op chain: `forward()` builds y = x * factor * ... (n_ops times), `backward(y)` runs it back."""
    leaf = Tensor(x, requires_grad=True)

    def forward() -> Tensor:
        y = leaf
        for _ in range(n_ops):
            y = y * factor
        return y.sum()

    def backward(y: Tensor) -> None:
        leaf.grad = None
        y.backward()

    return forward, backward


def compiled_chain(x: np.ndarray, n_ops: int, factor: float) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    """The per-op chain compiled: forward and backward of the whole chain replayed as one plan."""
    leaf = Tensor(x, requires_grad=True)

    def chain_step() -> Tensor:
        leaf.grad = None
        y = leaf
        for _ in range(n_ops):
            y = y * factor
        loss = y.sum()
        loss.backward()
        return loss

    step = ag.compile(chain_step)
    return step, lambda _: None


def simple_convnet_step(params: list[np.ndarray], lr: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """One Adam step of the textbook's SimpleConvNet built from nn layers (conv 30x5x5 - ReLU - max pool 2 -
    Linear 100 - ReLU - Linear 10), on `params` = [W1 (30, 1, 5, 5), b1, W2 (4320, 100), b2, W3, b3]."""
    import nn
    import nn.functional as F

    model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    with ag.no_grad():
        for param, value in zip(model.parameters(), params, strict=True):
            param[...] = value
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(ag.as_tensor(x)), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step
