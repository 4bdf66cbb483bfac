"""In-place updates: `x += y`, `x[i] = v`, `zero_()`, and the rule that keeps gradients right.

Outside a recorded graph an update writes into the tensor's memory and bumps the memory's version
(`autograd.versions`), which every view shares: a node that saved any view of that memory before the
change then refuses to backward instead of computing with the new values. Inside a recorded graph
(the tensor or the value requires grad, grad mode on) `x += y` is recorded like `x = x + y`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import versions
from autograd.errors import DtypeError, GraphError, ShapeError
from autograd.mode import state as _state
from autograd.ops import _raw, add, as_tensor_arg, div, mul, operands, sub
from autograd.shape_ops import to_index
from autograd.tensor import Tensor

__all__ = ["add_", "div_", "fill_", "mul_", "setitem", "sub_", "zero_"]


def _update_in_place(x: Tensor, other: Any, op: Any, ufunc: np.ufunc, name: str) -> Tensor:
    """x op= other. Outside a recorded graph: on x's memory, bumping its version (and its views').

    Inside a recorded graph (x or other requires grad, grad mode on) the update is recorded like
    `x = x op other` and x is rebound to the result: the old array is untouched, so nodes that saved it
    stay valid. (Unlike PyTorch, views taken from x before keep the old values.)
    """
    target = x.data
    if type(other) is np.ndarray and other.dtype == target.dtype and not _state.flags.grad_enabled:
        # The optimizers' case (`p -= update` under no_grad, an array of the parameter's dtype): no operand
        # conversion or dtype rule needed.
        if target.flags.writeable and other.shape == target.shape:
            ufunc(target, other, out=target)
            versions.note_change(target)
            if _state.flags.tracer is not None:
                _state.flags.tracer.inplace(x, ufunc, other)
            return x
    y = operands(x, other, name, real=ufunc is np.true_divide)[1]
    recording = _state.flags.grad_enabled and (x.requires_grad or (isinstance(y, Tensor) and y.requires_grad))
    if recording:
        if x.requires_grad and x.grad_fn is None:
            raise GraphError(
                f"{name}: a leaf tensor that requires grad (shape {x.shape}) cannot be modified in place "
                "while the graph is recorded; do it inside `with autograd.no_grad():` (as optimizers do) "
                "or write `x = x + ...` to make a new tensor"
            )
        result = op(x, y)
        if result.shape != x.shape:
            raise ShapeError(f"{name}: the result of shape {result.shape} does not fit the tensor of shape {x.shape}")
        old_version = x._version
        x.data, x.grad_fn, x._output_index, x.requires_grad = (result.data, result.grad_fn,
                                                               result._output_index, result.requires_grad)
        versions.note_change(x.data, old_version + 1)
        return x
    target = x.data
    if not target.flags.writeable:  # e.g. a broadcast view: give this tensor its own memory
        x.data = target = target.copy()
    try:
        ufunc(target, _raw(y), out=target, casting="same_kind")
    except ValueError:
        raise ShapeError(f"{name}: cannot update a tensor of shape {x.shape} in place with shape "
                         f"{np.shape(_raw(y))}: the result must keep shape {x.shape}") from None
    except TypeError:
        raise DtypeError(f"{name}: cannot update a {x.dtype} tensor in place with "
                         f"{np.asarray(_raw(y)).dtype} values") from None
    versions.note_change(target)
    if _state.flags.tracer is not None:  # autograd.compile: a replay repeats the update
        _state.flags.tracer.inplace(x, ufunc, y)
    return x


def add_(x: Tensor, other: Any) -> Tensor:
    """x += other, in place."""
    return _update_in_place(x, other, add, np.add, "add_ (+=)")


def sub_(x: Tensor, other: Any) -> Tensor:
    """x -= other, in place."""
    return _update_in_place(x, other, sub, np.subtract, "sub_ (-=)")


def mul_(x: Tensor, other: Any) -> Tensor:
    """x *= other, in place."""
    return _update_in_place(x, other, mul, np.multiply, "mul_ (*=)")


def div_(x: Tensor, other: Any) -> Tensor:
    """x /= other, in place."""
    return _update_in_place(x, other, div, np.true_divide, "div_ (/=)")


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """x[index] = value, outside a recorded graph (inside one, build the result with where/concatenate)."""
    value_array = _raw(value) if isinstance(value, Tensor) else as_tensor_arg(value, "setitem").data
    if _state.flags.grad_enabled and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        raise GraphError(
            f"setitem: assigning into a tensor inside a recorded graph is not supported (target "
            f"requires_grad={x.requires_grad}, value requires_grad={getattr(value, 'requires_grad', False)});"
            " build the result with autograd.where() or autograd.concatenate() instead"
        )
    if not x.data.flags.writeable:
        x.data = x.data.copy()
    try:
        x.data[to_index(index)] = value_array
    except ValueError as error:
        raise ShapeError(f"setitem: cannot assign a value of shape {np.shape(value_array)} to index {index!r} "
                         f"of a tensor of shape {x.shape}: {error}") from None
    versions.note_change(x.data)
    if _state.flags.tracer is not None:  # autograd.compile: a replay repeats the assignment
        _state.flags.tracer.setitem(x, index, value if isinstance(value, Tensor) else value_array)


def zero_(x: Tensor) -> Tensor:
    """Fill with zeros in place (outside the graph) and return x."""
    setitem(x, Ellipsis, 0)
    return x


def fill_(x: Tensor, value: Any) -> Tensor:
    """Fill with `value` in place (outside the graph) and return x."""
    setitem(x, Ellipsis, value)
    return x
