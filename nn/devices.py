"""Devices and dtypes as `Module.to` accepts them, PyTorch's spellings included.

scratchgrad computes with NumPy arrays in main memory: "cpu" is the one device there is. Accepting it
lets PyTorch code (`model.to("cpu")`, `model.to(torch.device("cpu"))`) run unchanged; any other device
is an error that says so, instead of a confusing failure to parse it as a dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def device_name(value: Any) -> str | None:
    """'cuda:0' for a device given as a string or a torch.device; None for anything else (a dtype)."""
    if type(value).__name__ == "device":  # torch.device, without importing torch
        return str(value)
    if isinstance(value, str):
        try:
            np.dtype(value)
        except TypeError:
            return value
    return None


def check_device(device: Any, op: str) -> None:
    """Accept the CPU ("cpu", "cpu:0", torch.device("cpu")); refuse any other device, saying why."""
    name = device_name(device) or repr(device)
    if name.split(":")[0] != "cpu":
        raise ValueError(f"{op}: device {name!r} is not available: scratchgrad computes with NumPy on the CPU, "
                         "so 'cpu' is the only device (and model.to('cpu') changes nothing)")


def as_dtype(dtype: Any, op: str) -> np.dtype:
    """A NumPy dtype from a NumPy/Python dtype, a name ("float64"), or a torch dtype (torch.float64)."""
    if type(dtype).__name__ == "dtype" and str(dtype).startswith("torch."):
        dtype = str(dtype).removeprefix("torch.")
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: expected a dtype (np.float32, 'float64') or a device ('cpu'), got {dtype!r}") from None
