"""The default floating dtype, and turning user data into arrays of the right dtype.

Python floats become float32 by default (like PyTorch), because float32 halves memory and doubles BLAS
speed; `set_default_dtype(np.float64)` switches to float64, e.g. for numerical gradient checks.
NumPy arrays keep the dtype they have: we never upcast a float32 array behind the user's back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DTypeLike = Any  # anything np.dtype() accepts

_default_float = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype given to Python floats (and lists of them): float32 unless changed."""
    return _default_float


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the dtype given to Python floats: float32 or float64 (float16 is accepted too)."""
    global _default_float
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype (float32 or float64), got {d}")
    _default_float = d


def is_differentiable_dtype(dtype: np.dtype) -> bool:
    """Only floating tensors carry gradients: integers and booleans have no infinitesimal steps."""
    return dtype.kind == "f"


def to_array(data: Any, dtype: DTypeLike | None = None, copy: bool = False) -> np.ndarray:
    """Convert `data` to an ndarray, applying the default float dtype to Python floats.

    NumPy arrays and scalars keep their dtype unless `dtype` is given; Python floats and nested lists of
    them get the default float dtype; Python ints stay int64 and bools stay bool.
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray):
        if dtype is None or data.dtype == dtype:
            return data.copy() if copy else data
        return data.astype(dtype)
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    if isinstance(data, complex) or (isinstance(data, (str, bytes)) or data is None):
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} {data!r}")
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"tensor: cannot make a tensor from {type(data).__name__}: {error}"
        ) from None
    if dtype is None and array.dtype == np.float64:
        array = array.astype(_default_float, copy=False)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor: unsupported data of dtype {array.dtype} (from {type(data).__name__}); "
            "expected numbers (bool, int or float)"
        )
    return array
