"""Tensor's operators and methods, bound in one table: each row names the function it runs.

`tensor.py` defines the data; `ops.py` and `shape_ops.py` the operations; `graph.py` the backward pass.
This module joins them (as DeZero binds its operators): `x + y` runs `ops.add(x, y)`, `x.sum(1)` runs
`ops.sum(x, 1)`. An operator meeting an operand it does not know returns NotImplemented, so Python can
ask the other operand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import compare, graph, inplace, ops, shape_ops
from autograd.function import _apply_two
from autograd.functions import Add, Div, MatMul, Mul, Sub
from autograd.functions.elementwise import Softplus
from autograd.ops import ForeignOperand, _constant
from autograd.tensor import Tensor


def _operator(function: Any, reflected: bool = False) -> Any:
    """A binary operator method running `function(self, other)` (or `function(other, self)`)."""
    if reflected:
        def method(self: Tensor, other: Any) -> Any:
            try:
                return function(other, self)
            except ForeignOperand:
                return NotImplemented
    else:
        def method(self: Tensor, other: Any) -> Any:
            try:
                return function(self, other)
            except ForeignOperand:
                return NotImplemented
    method.__name__ = function.__name__
    method.__doc__ = function.__doc__
    return method


def _arithmetic(function: Any, primitive: type, reflected: bool = False) -> Any:
    """An arithmetic operator: `_operator(function)`, with the common cases sent straight to `primitive`.

    The fast path (a floating tensor meeting a Python number or a tensor of its own dtype) skips the
    general operand handling of `function`; it builds exactly the node `function` would.
    """
    general = _operator(function, reflected)

    def method(self: Tensor, other: Any) -> Any:
        dtype = self.data.dtype
        if dtype.kind == "f":
            if type(other) is float or type(other) is int:
                other = _constant(other, dtype)
            elif not (isinstance(other, Tensor) and other.data.dtype == dtype):
                return general(self, other)
            return _apply_two(primitive, other, self) if reflected else _apply_two(primitive, self, other)
        return general(self, other)

    method.__name__ = function.__name__
    method.__doc__ = function.__doc__
    return method


def _primitive(primitive: type) -> Any:
    """A method applying `primitive` to the tensor (and any further arguments): `x.softplus()`."""

    def method(self: Tensor, *args: Any) -> Any:
        return primitive.apply(self, *args)

    method.__name__ = primitive.__name__.lower()
    method.__doc__ = primitive.__doc__
    return method


def _with_shape_arguments(function: Any) -> Any:
    """A method taking a shape or axes either as one sequence or spread out: `x.reshape(2, 3)`."""

    def method(self: Tensor, *shape: Any) -> Any:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        return function(self, shape)

    method.__name__ = function.__name__
    method.__doc__ = function.__doc__
    return method


def _transpose(self: Tensor, *axes: Any) -> Tensor:
    """Permute axes (reverse them when none are given): `t.transpose(1, 0, 2)`; two axes on a tensor of
    other than two dimensions swap those two, as PyTorch's `transpose(dim0, dim1)`."""
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return shape_ops.transpose(self, tuple(axes) if axes else None)


def _to(self: Tensor, target: Any) -> Tensor:
    """`x.to("cpu")` (a no-op: every tensor is on the CPU) or `x.to(dtype)` (same as astype)."""
    if isinstance(target, str) and not _is_dtype_name(target):
        if target.split(":")[0] == "cpu":
            return self
        raise ValueError(
            f"to: scratchgrad runs on the CPU with NumPy; there is no device {target!r} (use 'cpu' or a dtype)"
        )
    return ops.cast(self, target)


def _is_dtype_name(name: str) -> bool:
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def _clone(self: Tensor) -> Tensor:
    """A copy that stays in the graph (its gradient flows back to this tensor)."""
    return ops.mul(self, 1.0) if self.dtype.kind == "f" else Tensor._make(self.data.copy())


_METHODS: dict[str, Any] = {
    # arithmetic operators
    "__add__": _arithmetic(ops.add, Add), "__radd__": _arithmetic(ops.add, Add, reflected=True),
    "__sub__": _arithmetic(ops.sub, Sub), "__rsub__": _arithmetic(ops.sub, Sub, reflected=True),
    "__mul__": _arithmetic(ops.mul, Mul), "__rmul__": _arithmetic(ops.mul, Mul, reflected=True),
    "__truediv__": _arithmetic(ops.div, Div), "__rtruediv__": _arithmetic(ops.div, Div, reflected=True),
    "__pow__": _operator(ops.pow), "__rpow__": _operator(ops.pow, reflected=True),
    "__matmul__": _arithmetic(ops.matmul, MatMul), "__rmatmul__": _arithmetic(ops.matmul, MatMul, reflected=True),
    "__neg__": ops.neg, "__pos__": lambda self: self, "__abs__": ops.abs,
    # comparisons (no gradient)
    "__lt__": _operator(compare.lt), "__le__": _operator(compare.le), "__gt__": _operator(compare.gt),
    "__ge__": _operator(compare.ge), "__eq__": _operator(compare.eq), "__ne__": _operator(compare.ne),
    # indexing and in-place updates
    "__getitem__": shape_ops.getitem, "__setitem__": inplace.setitem,
    "__iadd__": _operator(inplace.add_), "__isub__": _operator(inplace.sub_),
    "__imul__": _operator(inplace.mul_), "__itruediv__": _operator(inplace.div_),
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "zero_": inplace.zero_, "fill_": inplace.fill_,
    # the backward pass
    "backward": graph.backward,
    # reductions
    "sum": ops.sum, "mean": ops.mean, "var": ops.var, "max": ops.max, "min": ops.min,
    "argmax": ops.argmax, "argmin": ops.argmin, "logsumexp": ops.logsumexp,
    # elementwise
    "exp": ops.exp, "log": ops.log, "sqrt": ops.sqrt, "abs": ops.abs, "tanh": ops.tanh, "sigmoid": ops.sigmoid,
    "relu": ops.relu, "clip": ops.clip, "clamp": ops.clip, "pow": ops.pow, "maximum": ops.maximum,
    "minimum": ops.minimum, "softmax": ops.softmax, "log_softmax": ops.log_softmax, "softplus": _primitive(Softplus),
    "matmul": ops.matmul, "dot": ops.matmul,
    # dtypes and devices
    "astype": ops.cast, "to": _to, "float": lambda self: ops.cast(self, np.float32),
    "double": lambda self: ops.cast(self, np.float64), "cpu": lambda self: self, "clone": _clone,
    # shapes
    "reshape": _with_shape_arguments(shape_ops.reshape), "view": _with_shape_arguments(shape_ops.reshape),
    "flatten": shape_ops.flatten, "transpose": _transpose, "permute": shape_ops.permute,
    "swapaxes": shape_ops.swapaxes, "squeeze": shape_ops.squeeze, "unsqueeze": shape_ops.expand_dims,
    "expand_dims": shape_ops.expand_dims, "broadcast_to": shape_ops.broadcast_to, "expand": shape_ops.expand,
    "repeat": shape_ops.repeat, "tile": _with_shape_arguments(shape_ops.tile),
    "T": property(lambda self: shape_ops.transpose(self), doc="The tensor with its axes reversed (a view)."),
    "dim": lambda self: self.data.ndim, "numel": lambda self: self.data.size,
}

for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)
