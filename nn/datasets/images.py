"""Turning stored image bytes and labels into model inputs, shared by MNIST, Fashion-MNIST and CIFAR-10.

The data sets are stored as they are published (uint8 pixels, uint8 labels); these helpers apply the
choices of the textbook's `load_mnist(normalize, flatten, one_hot_label)` on the way out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd import dtypes
from nn.data import TensorDataset


def format_images(images: np.ndarray, normalize: bool, flatten: bool, channels: int) -> np.ndarray:
    """uint8 images (N, H, W) or (N, C, H, W) -> (N, C*H*W) if `flatten` else (N, C, H, W).

    `normalize` scales to [0, 1] in the default float dtype; otherwise the uint8 bytes are kept (0..255).
    """
    n = images.shape[0]
    shaped = images.reshape(n, -1) if flatten else images.reshape(n, channels, *images.shape[-2:])
    if not normalize:
        return shaped
    dtype = dtypes.get_default_dtype()
    return np.divide(shaped, dtype.type(255), dtype=dtype)  # one pass: cast and divide, no uint8->float copy


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (N,) -> (N, num_classes) rows with a single 1, in the default float dtype."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got [{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.shape[0], num_classes), dtype=dtypes.get_default_dtype())
    out[np.arange(labels.shape[0]), labels] = 1
    return out


def format_labels(labels: np.ndarray, one_hot_label: bool, num_classes: int) -> np.ndarray:
    """uint8 labels -> int64 class indices, or one-hot rows with `one_hot_label`."""
    return one_hot(labels, num_classes) if one_hot_label else labels.astype(np.int64)


class ImageDataset(TensorDataset):
    """A labelled image data set: samples are (image, label) pairs ready for a model.

    Attributes:
        images: the stored uint8 pixels, (N, H, W) or (N, C, H, W), unchanged.
        labels: class indices, int64 (N,).
        classes: the name of each class index.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, classes: Sequence[str], normalize: bool = True,
                 flatten: bool = True, channels: int = 1) -> None:
        self.images = images
        self.labels = labels.astype(np.int64)
        self.classes = tuple(classes)
        super().__init__(format_images(images, normalize, flatten, channels), self.labels)

    def __repr__(self) -> str:
        x, _ = self.arrays
        return f"{type(self).__name__}({len(self)} images, features {x.dtype}{list(x.shape[1:])}, " \
               f"{len(self.classes)} classes)"
