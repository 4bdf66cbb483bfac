"""nn: neural networks on top of autograd: modules, layers, losses, optimizers, initialisation, checkpoints.

    import nn
    model = nn.MLP([784, 256, 256, 10])                 # Linear-ReLU-Linear-ReLU-Linear
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    loss = nn.CrossEntropyLoss()(model(x), labels)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    nn.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "checkpoint.npz")

Only autograd's public API is used here: nothing in the engine knows about layers. `nn.functional` (also
importable as `from nn import functional as F`) has the stateless versions of the layers and losses;
`nn.data` (datasets and loaders) and `nn.datasets` are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from nn import functional, init, optim, utils
from nn.containers import ModuleList, Sequential
from nn.conv import AvgPool2d, Conv2d, MaxPool2d
from nn.layers import (
    MLP,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.module import IncompatibleKeys, Module, Parameter
from nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from nn.serialization import CheckpointError, load, save

__all__ = [
    "MLP", "BCELoss", "BCEWithLogitsLoss", "CheckpointError", "CrossEntropyLoss", "Dropout", "Flatten",
    "Identity", "IncompatibleKeys", "LeakyReLU", "Linear", "MSELoss", "Module", "ModuleList", "NLLLoss",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init", "load", "optim",
    "save",
]
__all__ += ["AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Embedding", "LayerNorm", "MaxPool2d", "utils"]

_LAZY_SUBMODULES = ("data", "datasets")


def __getattr__(name: str) -> Any:
    """Import `nn.data` and `nn.datasets` on first access, so `import nn` stays light and never fails on them."""
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"nn.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_SUBMODULES])
