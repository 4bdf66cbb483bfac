"""Making tensors: from data, filled with constants, or random (from one seedable generator).

Random tensors and everything in `nn` that draws random numbers (initialisation, dropout, shuffling
without an explicit seed) use the generator that `manual_seed` resets, so a seed gives a reproducible run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import dtypes
from autograd.tensor import Tensor

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator (used by `rand`, `randn`, `nn.init`, dropout) and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The global NumPy generator behind random tensors; `manual_seed` replaces it."""
    return _generator


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Same as `Tensor(...)`: copies `data` into a new tensor."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """A tensor sharing memory with `data` when it already is an array of the right dtype (no copy)."""
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == np.dtype(dtype) else data.astype(dtype)
    return Tensor._make(dtypes.to_array(data, dtype))


def _shape(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        return tuple(shape[0])
    return tuple(shape)


def _float(dtype: Any) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.zeros(_shape(shape), dtype=_float(dtype))).requires_grad_(requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.ones(_shape(shape), dtype=_float(dtype))).requires_grad_(requires_grad)


def full(shape: Sequence[int], value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.full(tuple(shape), value, dtype=_float(dtype))).requires_grad_(requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.zeros_like(t.data if isinstance(t, Tensor) else np.asarray(t))).requires_grad_(requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor._make(np.ones_like(t.data if isinstance(t, Tensor) else np.asarray(t))).requires_grad_(requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    return Tensor._make(np.eye(n, m, dtype=_float(dtype)))


def arange(*args: Any, dtype: Any = None) -> Tensor:
    """Like `np.arange`; float results get the default float dtype."""
    array = np.arange(*args, dtype=dtype)
    if dtype is None and array.dtype.kind == "f":
        array = array.astype(dtypes.get_default_dtype())
    return Tensor._make(array)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    array = _generator.random(_shape(shape)).astype(_float(dtype), copy=False)
    return Tensor._make(array).requires_grad_(requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator."""
    array = _generator.standard_normal(_shape(shape)).astype(_float(dtype), copy=False)
    return Tensor._make(array).requires_grad_(requires_grad)
