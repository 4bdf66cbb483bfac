"""The convolutional networks of `python -m demos.mnist`: the textbook's SimpleConvNet and our best CNN.

    python -m demos.mnist --config simple-cnn   # chapter 7: conv 30x5x5 - ReLU - pool - Affine 100 - ReLU - Affine 10
    python -m demos.mnist --config cnn          # ours: two conv blocks with batch norm, shifted digits, one cycle

The demo's data are flat rows of 784 pixels; each model starts by viewing them as (N, 1, 28, 28) images.
Also here: random shifts of the training digits (augmentation) and the picture of the first layer's filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autograd
import nn
from autograd import Tensor
from demos import common


class Images(nn.Module):
    """(N, 784) rows -> (N, 1, 28, 28) images: the flat MNIST rows as one-channel pictures."""

    def forward(self, x: Any) -> Tensor:
        return autograd.as_tensor(x).reshape(-1, 1, 28, 28)


def simple_convnet(init_std: float = 0.01) -> nn.Sequential:
    """The textbook's SimpleConvNet (chapter 7): conv 30 filters 5x5, stride 1, pad 0 - ReLU - 2x2 max pool
    (stride 2) - Affine 100 - ReLU - Affine 10, every weight N(0, 0.01^2) and every bias 0, as in the book."""
    return nn.Sequential({
        "images": Images(),
        "conv1": nn.Conv2d(1, 30, 5, stride=1, padding=0, weight_init=init_std),  # (N, 30, 24, 24)
        "relu1": nn.ReLU(),
        "pool1": nn.MaxPool2d(2, stride=2),                                       # (N, 30, 12, 12)
        "flatten": nn.Flatten(),
        "affine1": nn.Linear(30 * 12 * 12, 100, weight_init=init_std),
        "relu2": nn.ReLU(),
        "affine2": nn.Linear(100, 10, weight_init=init_std),
    })


def best_cnn(dropout: float = 0.25) -> nn.Sequential:
    """Our best CNN within the time budget: two conv blocks (conv - ReLU - 2x2 max pool - batch norm; 32
    filters 5x5, then 64 filters 3x3, padded to keep the size), then Linear 3136 -> 128 - ReLU - dropout -
    Linear 128 -> 10. Batch norm after pooling normalizes a quarter of the values, for the same benefit.
    Default (PyTorch-like) initialisation; 421,834 parameters."""
    return nn.Sequential({
        "images": Images(),
        "conv1": nn.Conv2d(1, 32, 5, padding=2), "relu1": nn.ReLU(), "pool1": nn.MaxPool2d(2),
        "norm1": nn.BatchNorm2d(32),                                              # (N, 32, 14, 14)
        "conv2": nn.Conv2d(32, 64, 3, padding=1), "relu2": nn.ReLU(), "pool2": nn.MaxPool2d(2),
        "norm2": nn.BatchNorm2d(64),                                              # (N, 64, 7, 7)
        "flatten": nn.Flatten(),
        "fc1": nn.Linear(64 * 7 * 7, 128), "relu3": nn.ReLU(), "dropout": nn.Dropout(dropout),
        "fc2": nn.Linear(128, 10),
    })


ARCHITECTURES = {"simple-cnn": simple_convnet, "cnn": best_cnn}


def build_model(architecture: str) -> nn.Module:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown CNN architecture {architecture!r}; choose one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[architecture]()


def shift_images(x: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    """Each flat 28x28 digit moved by its own random offset of up to max_shift pixels in each direction.

    One vectorised gather: pad every image, view all (2s+1)^2 crops of it (no copy), pick one per image.
    """
    n = len(x)
    padded = np.pad(x.reshape(n, 28, 28), ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    crops = sliding_window_view(padded, (28, 28), axis=(1, 2))  # (N, 2s+1, 2s+1, 28, 28)
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    return crops[np.arange(n), dy, dx].reshape(n, 784)


def first_conv_weight(model: nn.Module) -> np.ndarray | None:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.weight.data
    return None


def plot_filters(path: Path, weight: np.ndarray, title: str) -> bool:
    """The first layer's filters (out_channels of shape kH x kW) as small grey images, as the book's
    visualize_filter.py draws them: each filter scaled to its own range, white = most positive."""
    plt = common.pyplot()
    if plt is None:
        return False
    filters = weight[:, 0]
    count = len(filters)
    columns = min(count, 10)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.5), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < count:
            ax.imshow(filters[k], cmap="gray", interpolation="nearest")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
