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


def to_array(data: Any, dtype: DTypeLike | None = None, copy: bool = False, op: str = "tensor") -> np.ndarray:
    """Convert `data` to an ndarray of booleans, integers or floats, applying the default float dtype.

    NumPy arrays and scalars keep their dtype unless `dtype` is given; Python floats and nested lists of
    them get the default float dtype; Python ints stay int64 and bools stay bool. Strings, objects,
    complex numbers and dates are refused (TypeError naming `op` and the dtype), whatever the container.
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
        _check_numeric(dtype, op, "requested dtype")
    if isinstance(data, (np.ndarray, np.generic)):
        _check_numeric(data.dtype, op, f"data of type {type(data).__name__}")
        if isinstance(data, np.generic):
            return np.array(data, dtype=dtype)
        if dtype is None or data.dtype == dtype:
            return data.copy() if copy else data
        return data.astype(dtype)
    if isinstance(data, complex) or (isinstance(data, (str, bytes)) or data is None):
        raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__} {data!r}")
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}: {error}") from None
    if dtype is None and array.dtype == np.float64:
        array = array.astype(_default_float, copy=False)
    _check_numeric(array.dtype, op, f"data of type {type(data).__name__}")
    return array


def _check_numeric(dtype: np.dtype, op: str, what: str) -> None:
    if dtype.kind not in "biuf":
        raise TypeError(
            f"{op}: unsupported dtype {dtype} ({what}); tensors hold booleans, integers or real floats"
            + (" (complex numbers are not supported)" if dtype.kind == "c" else "")
        )


# ---------------------------------------------------------------------- the promotion rule
# One rule for every operation that combines dtypes (as PyTorch's):
#   * floats among the operands decide: an integer or boolean operand takes the float operand's dtype
#     (int64 tensor * float32 tensor -> float32; NumPy would give float64);
#   * two floats give the wider (float32 with float64 -> float64, even for a 0-d operand, as in NumPy);
#   * an operation that only makes sense on real numbers (exp, division, mean, ...) applied to integers
#     alone gives the default float dtype (float32);
#   * Python numbers are "weak": they take the tensor's dtype (a float32 tensor * 0.5 stays float32),
#     except that a Python float meeting an integer tensor gives the default float dtype.


def promote_types(*types: np.dtype) -> np.dtype:
    """The dtype an operation on operands of these dtypes computes in (see the rule above)."""
    floats = [t for t in types if t.kind == "f"]
    if floats:
        return floats[0] if len(floats) == 1 or all(t == floats[0] for t in floats) else np.result_type(*floats)
    return np.result_type(*types)


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of a real-valued operation (exp, division, mean) on `dtype`: itself if floating, else the default."""
    return dtype if dtype.kind == "f" else _default_float
