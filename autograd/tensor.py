"""Tensor: a NumPy array that remembers how it was computed.

A Tensor holds `data` (always an ndarray) and, if a recorded operation produced it, `grad_fn`: the node
of that operation in the graph (which output of it is `_output_index`). `backward()` walks the graph
from a tensor back to the leaves and leaves d(tensor)/d(leaf) in each leaf's `.grad`.

This file is the data and the graph fields. The operators and methods (`+`, `@`, `sum`, `backward`,
...) are bound to the class in one table, in `autograd/methods.py`; no derivative lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import dtypes, mode, versions
from autograd.errors import DtypeError, GraphError, ShapeError

_state = mode.state


class Tensor:
    """An n-dimensional array with automatic differentiation.

    Args:
        data: array-like (nested lists, NumPy array, number, or another Tensor) of booleans, integers or
            floats. NumPy arrays are copied (like `torch.tensor`); `autograd.as_tensor` shares memory.
        requires_grad: record operations on this tensor so gradients can flow to it. Floating dtypes only.
        dtype: NumPy dtype; by default NumPy arrays keep theirs and Python floats get
            `autograd.get_default_dtype()` (float32).
        name: optional label shown in reprs and graph pictures (`nn` names parameters automatically).
    """

    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "_output_index", "name", "_hooks", "__weakref__")

    # NumPy must not treat a Tensor as an array in `ndarray + Tensor`: returning NotImplemented from
    # NumPy's side lets Python call our reflected operator, so the result is a Tensor in the graph.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        _fill(self, dtypes.to_array(data, dtype, copy=True, op="tensor"), None, 0)
        self.name = name
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array: np.ndarray, grad_fn: Any = None, output_index: int = 0) -> Tensor:
        """The engine's constructor: wrap an ndarray, no copy, no checks; output `output_index` of `grad_fn`."""
        return _fill(_new(cls), array, grad_fn, output_index)

    # ------------------------------------------------------------------ what it is
    @property
    def grad(self) -> Tensor | None:
        """d(loss)/d(this tensor), filled by backward (for leaves, and tensors that called retain_grad)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        tracer = _state.flags.tracer
        if tracer is not None:  # autograd.compile must repeat this assignment in every replay
            tracer.grad_assigned(self, value)
        self._grad = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements (NumPy's attribute; PyTorch's `x.size(0)` is `x.shape[0]` here)."""
        return _Size(self.data.size)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (inputs, parameters, constants)."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (shared with its views and base)."""
        return versions.version(self.data)

    # ------------------------------------------------------------------ autograd switches
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place (leaves only) and return self."""
        if requires_grad and not dtypes.is_differentiable_dtype(self.data.dtype):
            raise DtypeError(
                f"requires_grad: only floating tensors can require gradients, got dtype {self.data.dtype}"
                f" (shape {self.data.shape}); convert with .astype(np.float32) first"
            )
        if not requires_grad and self.grad_fn is not None:
            raise GraphError(
                "requires_grad_(False): this tensor was computed by a recorded op "
                f"(grad_fn=<{self.grad_fn.name}>); use .detach() to get a tensor outside the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph (no grad_fn, no requires_grad)."""
        t = Tensor._make(self.data)
        t.name = self.name
        return t

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise GraphError("retain_grad: this tensor does not require grad, so it will get no gradient")
        if self.grad_fn is not None:
            self.grad_fn.retain_output_grad(self)

    def register_hook(self, hook: Any) -> Any:
        """Call `hook(grad)` when this tensor's gradient is computed; a non-None return replaces it.

        The replacement must have this tensor's shape. Returns a handle whose `remove()` unregisters it.
        """
        if not self.requires_grad:
            raise GraphError("register_hook: cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is not None:
            return self.grad_fn.register_output_hook(self._output_index, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    # ------------------------------------------------------------------ NumPy interop and conversions
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied: writing into it bypasses autograd's checks)."""
        _leaving_the_graph(self, "numpy()")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        _leaving_the_graph(self, "np.asarray()")
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        _leaving_the_graph(self, "item()")
        return self.data.item()

    def tolist(self) -> Any:
        _leaving_the_graph(self, "tolist()")
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, got {self!r}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        _leaving_the_graph(self, "bool()")
        return bool(self.data)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    # __eq__ is elementwise (methods.py), so keep identity hashing for dicts and sets (C-level: optimizers
    # look parameters up by tensor at every step).
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype not in (dtypes.get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


_new = object.__new__


def _leaving_the_graph(tensor: Tensor, how: str) -> None:
    """While autograd.compile traces a call, a traced value must not turn into Python data (a replay
    could not repeat what the Python code then decides): the tracer refuses it with an explanation."""
    tracer = _state.flags.tracer
    if tracer is not None:
        tracer.leaving_the_graph(tensor, how)


def _fill(t: Tensor, data: np.ndarray, grad_fn: Any, output_index: int) -> Tensor:
    """Set every field of a new tensor: the one list of them."""
    t.data = data
    t._grad = None
    # An op's integer or boolean output (a comparison, an index) carries no gradient.
    t.requires_grad = grad_fn is not None and data.dtype.kind == "f"
    t.grad_fn = grad_fn if t.requires_grad else None
    t._output_index = output_index
    t.name = None
    t._hooks = None
    return t


class _Size(int):
    """`Tensor.size`: NumPy's element count, an int; calling it like PyTorch's `size(0)` explains the difference."""

    def __call__(self, dim: Any = None) -> Any:
        raise TypeError(
            f"Tensor.size is NumPy's attribute, the number of elements ({int(self)}), not a method: for "
            f"PyTorch's x.size() write x.shape, and for x.size({'dim' if dim is None else dim}) write "
            f"x.shape[{'dim' if dim is None else dim}]"
        )


class HookHandle:
    """Returned by `register_hook`: call `remove()` to unregister the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
