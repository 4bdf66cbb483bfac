"""Feeding data to a model: datasets, mini-batches, shuffling, splits.

A `Dataset` is anything with `len(ds)` and `ds[i]` (one sample). A `DataLoader` cuts a dataset into
mini-batches and yields them as Tensors:

    loader = DataLoader(TensorDataset(x, t), batch_size=100, shuffle=True, seed=0)
    for xb, tb in loader:          # xb: (100, 784) float32 Tensor, tb: (100,) int64 Tensor
        ...

Speed. A batch of an array-backed dataset is one fancy-indexing call per array (`x[indices]`), never a
Python loop over samples: the loader asks the dataset for `get_batch(indices)`, which `TensorDataset` and
`Subset` implement with NumPy indexing. Any other dataset gets the generic `get_batch` of the `Dataset`
base class (one `ds[i]` per sample, then `np.stack`), which is correct but slower.

Dtypes. Batches become Tensors by wrapping the freshly indexed arrays (no second copy): floating arrays
take `autograd.get_default_dtype()` (float32 unless changed), integer arrays become int64 (class labels,
token ids: what losses and indexing expect), booleans stay bool. Image bytes (uint8) are therefore not
features as they are: scale them to floats first (`nn.datasets.load_mnist` does).

Randomness. `shuffle=True` draws a new permutation each epoch, so each sample is seen exactly once per
epoch. With `seed` the loader owns a generator seeded once, so two loaders built with the same seed give
the same sequence of epochs; without a seed it uses the global generator that `autograd.manual_seed`
resets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, as_tensor, default_generator, dtypes

Batch = Any  # a Tensor, or a tuple / dict of Tensors, shaped like one sample of the dataset
SeedLike = int | np.random.Generator | None


def _generator(seed: SeedLike) -> np.random.Generator:
    """A generator from a seed, the generator itself, or the global one (looked up now, after manual_seed)."""
    if seed is None:
        return default_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _as_array(data: Any) -> np.ndarray:
    return data.data if isinstance(data, Tensor) else np.asarray(data)


class Dataset:
    """The protocol: `__len__` and `__getitem__(i)` returning one sample (an array, a tuple or a dict).

    Subclasses that hold arrays should also override `get_batch(indices)` with vectorised indexing.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def get_batch(self, indices: np.ndarray) -> Any:
        """The samples at `indices` stacked into one batch of arrays: one `self[i]` per sample (slow path)."""
        return collate([self[int(i)] for i in indices])


def collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples field by field: [(x0, t0), (x1, t1)] -> (stack([x0, x1]), stack([t0, t1]))."""
    if not samples:
        raise ValueError("collate: cannot make a batch from zero samples")
    first = samples[0]
    if isinstance(first, Mapping):
        return {key: collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, tuple | list):
        lengths = {len(sample) for sample in samples}
        if len(lengths) != 1:
            raise ValueError(f"collate: samples have different numbers of fields: {sorted(lengths)}")
        return tuple(collate([sample[k] for sample in samples]) for k in range(len(first)))
    arrays = [_as_array(sample) for sample in samples]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(f"collate: samples have different shapes {sorted(shapes)}; a batch needs one shape")
    return np.stack(arrays)


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: `TensorDataset(x, t)[i] == (x[i], t[i])`.

    Arrays (or Tensors, or lists) are stored without copying. Batches come from fancy indexing, so one
    MNIST epoch of batching costs milliseconds.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(_as_array(array) for array in arrays)
        shapes = [array.shape for array in self.arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(f"TensorDataset: arrays must have a first (sample) dimension, got shapes {shapes}")
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(f"TensorDataset: all arrays must have the same first dimension, got shapes {shapes}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(array[index] for array in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.take(array, indices, axis=0) for array in self.arrays)

    def __repr__(self) -> str:
        fields = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"TensorDataset({fields})"


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (what `random_split` returns)."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be one-dimensional, got shape {self.indices.shape}")
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [{-n}, {n}) for a dataset of {n} samples")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray) -> Any:
        inner = self.indices[indices]
        get_batch = getattr(self.dataset, "get_batch", None)
        return get_batch(inner) if get_batch is not None else collate([self.dataset[int(i)] for i in inner])


def to_tensor(array: np.ndarray) -> Tensor:
    """Wrap a freshly built batch array as a Tensor: floats -> default float dtype, integers -> int64.

    The array is wrapped, not copied (it was just made by indexing), and converted only if its dtype differs.
    """
    kind = array.dtype.kind
    if kind == "f":
        target = dtypes.get_default_dtype()
    elif kind in "iu":
        target = np.dtype(np.int64)
    elif kind == "b":
        target = array.dtype
    else:
        raise TypeError(f"DataLoader: cannot batch dtype {array.dtype} (shape {array.shape}) into a Tensor; "
                        "expected numbers (bool, int or float)")
    return as_tensor(array.astype(target, copy=False))  # shares the array's memory: no second copy


def _to_tensors(batch: Any) -> Batch:
    if isinstance(batch, Mapping):
        return {key: _to_tensors(value) for key, value in batch.items()}
    if isinstance(batch, tuple | list):
        return tuple(_to_tensors(value) for value in batch)
    return to_tensor(np.asarray(batch))


class DataLoader:
    """Iterate over `dataset` in mini-batches of Tensors.

    Args:
        dataset: a `Dataset` (or anything with `__len__` and `__getitem__`).
        batch_size: samples per batch; the last batch may be smaller unless `drop_last`.
        shuffle: visit the samples in a new random order every epoch (each exactly once).
        drop_last: skip the final incomplete batch, so every batch has exactly `batch_size` samples.
        seed: an int or a `np.random.Generator` for reproducible shuffling; None uses the global generator
            (`autograd.manual_seed`).
        num_workers: must be 0 (batches are made in the calling process; see below).
        collate_fn: `collate_fn(list of samples)` makes each batch, from `dataset[i]` for every index, and
            the loader yields exactly what it returns (no conversion to Tensors), as in PyTorch. Without
            it, array datasets are batched by fancy indexing and the batch arrays become Tensors.

    Why no worker processes: a batch of an array dataset is one fancy-indexing call (microseconds per
    sample), which worker processes would only slow down by copying batches between processes; and
    NumPy already uses every core for the model's matrix products. Prepare expensive samples ahead
    of time (or in the dataset) instead.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: SeedLike = None, num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None
                 ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if num_workers != 0:
            raise ValueError(
                f"DataLoader: num_workers={num_workers!r} is not supported, only 0: batches are made in this "
                "process, since for array datasets a batch is one fancy-indexing call that worker processes "
                "would only slow down (they would copy every batch between processes), and NumPy's matrix "
                "products already use all the cores"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of a list of samples, got {collate_fn!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must define __len__ and __getitem__, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.num_workers, self.collate_fn = 0, collate_fn
        # A seeded loader owns its generator (seeded once): epochs differ from each other, yet the whole
        # sequence of epochs is reproducible. Unseeded loaders look the global generator up per epoch.
        self._generator = _generator(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        generator = self._generator if self._generator is not None else default_generator()
        return generator.permutation(n)

    def __iter__(self) -> Iterator[Batch]:
        order = self._order()
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        get_batch = getattr(self.dataset, "get_batch", None)
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.collate_fn is not None:  # the user's batches, exactly as collate_fn makes them
                yield self.collate_fn([self.dataset[int(i)] for i in indices])
                continue
            if get_batch is not None:
                batch = get_batch(indices)
            else:
                batch = collate([self.dataset[int(i)] for i in indices])
            yield _to_tensors(batch)

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed!r})")


def random_split(dataset: Any, lengths: Sequence[int | float], seed: SeedLike = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths.

    `lengths` are counts summing to `len(dataset)`, or fractions summing to 1; fractions are floored and the
    samples left over are handed out one at a time from the first subset on (as PyTorch does).
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(length, int | np.integer) for length in lengths):
        counts = [int(length) for length in lengths]
    elif math.isclose(sum(lengths), 1.0) and all(0 <= length <= 1 for length in lengths):
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: lengths must be counts summing to {n} or fractions summing to 1, "
                         f"got {lengths}")
    if any(count < 0 for count in counts) or sum(counts) != n:
        raise ValueError(f"random_split: lengths {lengths} give {counts}, which do not sum to the dataset's {n}")
    order = _generator(seed).permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def train_test_split(*arrays: Any, test_size: float | int = 0.25, seed: SeedLike = None,
                     shuffle: bool = True) -> list[Any]:
    """Split equally long arrays into train and test parts: returns [a_train, a_test, b_train, b_test, ...].

    `test_size` is a fraction in (0, 1) (rounded up, like scikit-learn) or a count. Tensors come back as
    Tensors, anything else as NumPy arrays.
    """
    if not arrays:
        raise ValueError("train_test_split: needs at least one array")
    data = [_as_array(array) for array in arrays]
    lengths = {array.shape[0] if array.ndim else None for array in data}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(f"train_test_split: arrays must share their first dimension, got shapes "
                         f"{[array.shape for array in data]}")
    n = data[0].shape[0]
    if isinstance(test_size, float) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, int | np.integer) and not isinstance(test_size, bool) and 0 < test_size < n:
        n_test = int(test_size)
    else:
        raise ValueError(f"train_test_split: test_size must be a fraction in (0, 1) or a count in [1, {n - 1}], "
                         f"got {test_size!r}")
    if n_test >= n:
        raise ValueError(f"train_test_split: test_size={test_size} leaves no training samples out of {n}")
    order = _generator(seed).permutation(n) if shuffle else np.arange(n)
    train_idx, test_idx = order[:n - n_test], order[n - n_test:]
    parts: list[Any] = []
    for original, array in zip(arrays, data, strict=True):
        for idx in (train_idx, test_idx):
            part = np.take(array, idx, axis=0)
            parts.append(as_tensor(part) if isinstance(original, Tensor) else part)
    return parts
