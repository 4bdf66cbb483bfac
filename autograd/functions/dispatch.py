"""The few operations a primitive's backward needs that NumPy arrays and Tensors spell differently.

A primitive's backward runs on raw ndarrays in an ordinary backward pass (fast: no Tensor per
intermediate gradient) and on Tensors under `create_graph=True` (recorded, so it can be differentiated
again). Arithmetic, `reshape`, `transpose`, `swapaxes`, `squeeze`, `sum(axis=, keepdims=)` and
indexing read the same on both; for the rest, backward code calls these, which pick NumPy for arrays
and the differentiable `autograd.ops` function for Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import ops
from autograd.tensor import Tensor


def _is_array(x: Any) -> bool:
    return type(x) is np.ndarray or isinstance(x, np.generic)


def where(condition: np.ndarray, a: Any, b: Any) -> Any:
    """`a` where `condition` holds, else `b` (a Python scalar keeps the other operand's dtype)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return ops.where(condition, a, b)
    return np.where(condition, a, b)


def exp(x: Any) -> Any:
    if _is_array(x):
        return np.exp(x)
    return x.exp()


def log(x: Any) -> Any:
    if _is_array(x):
        return np.log(x)
    return x.log()


def expand_dims(x: Any, axis: int) -> Any:
    """Insert an axis of size 1 (Tensor.unsqueeze)."""
    if _is_array(x):
        return np.expand_dims(x, axis)
    return x.unsqueeze(axis)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """A read-only broadcast view for arrays; a differentiable broadcast for Tensors."""
    if _is_array(x):
        return np.broadcast_to(x, shape)
    return x.broadcast_to(shape)


def raw(x: Any) -> np.ndarray:
    """The ndarray behind `x` (the array itself, or a Tensor's data): for masks and comparisons."""
    return x if _is_array(x) else x.data
