"""PyTorch eager versions of the benchmarked computations (imported only when torch is installed).

They are written the way a PyTorch user would write them (nn.Linear, F.cross_entropy, optim.SGD), on
float32 tensors sharing the NumPy references' initial values, with the same thread count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own idiom


def _linear_stack(params: list[np.ndarray], activation: type[torch.nn.Module],
                  activate_output: bool) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    pairs = list(zip(params[0::2], params[1::2], strict=True))
    for i, (W, b) in enumerate(pairs):
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores (out, in)
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(pairs) - 1 or activate_output:
            layers.append(activation())
    return torch.nn.Sequential(*layers)


def mlp_classifier_step(params: list[np.ndarray], lr: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """One step of the ReLU MLP with softmax cross-entropy and plain SGD."""
    model = _linear_stack(params, torch.nn.ReLU, activate_output=False)
    return _training_step(model, torch.optim.SGD(model.parameters(), lr=lr), F.cross_entropy)


def tanh_adam_step(params: list[np.ndarray], lr: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """One full-batch step of the tanh MLP with softmax cross-entropy and Adam (the modern two-moons run)."""
    model = _linear_stack(params, torch.nn.Tanh, activate_output=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(x: np.ndarray, labels: np.ndarray) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(labels))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def sigmoid_mse_step(params: list[np.ndarray], lr: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """One per-sample step of the sigmoid MLP with mean squared error and SGD (the two-moons run)."""
    model = _linear_stack(params, torch.nn.Sigmoid, activate_output=True)
    return _training_step(model, torch.optim.SGD(model.parameters(), lr=lr), F.mse_loss)


def _training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                   loss_fn: Callable[..., torch.Tensor]) -> Callable[[np.ndarray, np.ndarray], float]:
    """step(x, target): zero the gradients, forward, loss, backward, update; returns the loss."""
    def step(x: np.ndarray, target: np.ndarray) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(target))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def chain(x: np.ndarray, n_ops: int, factor: float) -> tuple[Callable[[], object], Callable[[object], None]]:
    """The per-op chain: `forward()` builds y = x * factor * ... (n_ops times), `backward(y)` runs it back."""
    leaf = torch.from_numpy(x.copy()).requires_grad_(True)

    def forward() -> torch.Tensor:
        y = leaf
        for _ in range(n_ops):
            y = y * factor
        return y.sum()

    def backward(y: torch.Tensor) -> None:
        leaf.grad = None
        y.backward()

    return forward, backward


def configure(threads: int) -> str:
    """Use `threads` intra-op threads (as NumPy's BLAS does) and return a version string."""
    torch.set_num_threads(threads)
    return f"torch {torch.__version__} ({torch.get_num_threads()} threads)"


def simple_convnet_step(params: list[np.ndarray], lr: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """One Adam step of the textbook's SimpleConvNet, written with torch.nn layers."""
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 30, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(4320, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    with torch.no_grad():
        for param, value in zip(model.parameters(), params, strict=True):
            param.copy_(torch.from_numpy(value.T.copy() if value.ndim == 2 else value))  # torch Linear: (out, in)
    return _training_step(model, torch.optim.Adam(model.parameters(), lr=lr), F.cross_entropy)
