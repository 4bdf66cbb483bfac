"""Tensor: a NumPy array that remembers how it was computed.

A Tensor holds `data` (an ndarray), and, if it was produced by a recorded operation, `grad_fn` (the node
of that operation in the graph). `backward()` walks the graph from this tensor back to the leaves and
leaves d(this)/d(leaf) in each leaf's `.grad`.

Operators and methods delegate to the functions in `autograd.ops`, which apply the primitives in
`autograd.functions`; this file holds no derivative.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autograd import dtypes, mode
from autograd.errors import DtypeError, GraphError, ShapeError

_state = mode.state
_SCALAR_TYPES = (int, float, bool, np.generic)


class Tensor:
    """An n-dimensional array with automatic differentiation.

    Args:
        data: array-like (nested lists, NumPy array, number, or another Tensor). NumPy arrays are copied
            (like `torch.tensor`); use `autograd.as_tensor` to share memory instead.
        requires_grad: record operations on this tensor so gradients can flow to it. Floating dtypes only.
        dtype: NumPy dtype; by default NumPy arrays keep theirs and Python floats get
            `autograd.get_default_dtype()` (float32).
        name: optional label shown in reprs and graph pictures (`nn` names parameters automatically).
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_output_index", "_version", "name",
                 "_hooks", "_modified_at", "__weakref__")

    # NumPy must not treat a Tensor as an array in `ndarray + Tensor`: returning NotImplemented from
    # NumPy's side lets Python call our reflected operator, so the result is a Tensor in the graph.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = dtypes.to_array(data, dtype, copy=True)
        self.grad: Tensor | None = None
        self.requires_grad = False
        self.grad_fn = None
        self._output_index = 0
        self._version = 0  # how many times it was modified in place
        self._modified_at = 0  # the graph's sequence number at the last in-place change (see function.py)
        self.name = name
        self._hooks: list[Any] | None = None
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ fast internal constructors
    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """Wrap an ndarray without copying or checking (the engine's hot path)."""
        t = object.__new__(cls)
        t.data = array
        t.grad = None
        t.requires_grad = False
        t.grad_fn = None
        t._output_index = 0
        t._version = 0
        t._modified_at = 0
        t.name = None
        t._hooks = None
        return t

    @classmethod
    def _from_node(cls, array: np.ndarray, node: Any, index: int) -> Tensor:
        """The `index`-th output of a recorded node."""
        t = object.__new__(cls)
        t.data = array
        t.grad = None
        t.requires_grad = array.dtype.kind == "f"
        t.grad_fn = node if t.requires_grad else None
        t._output_index = index
        t._version = 0
        t._modified_at = 0
        t.name = None
        t._hooks = None
        return t

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (inputs, parameters, constants)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """The tensor with its axes reversed (a view; differentiable)."""
        return ops.transpose(self)

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
        t = Tensor._wrap(self.data)
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

        Returns a handle whose `remove()` unregisters the hook.
        """
        if not self.requires_grad:
            raise GraphError("register_hook: cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is not None:
            return self.grad_fn.register_output_hook(self._output_index, hook)
        from autograd.function import _HookHandle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def backward(self, grad: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        Args:
            grad: d(loss)/d(self), same shape as self. Optional only when self holds a single element.
            retain_graph: keep the saved arrays so backward can run through this graph again
                (defaults to `create_graph`).
            create_graph: record the backward pass itself, so gradients can be differentiated again.
        """
        from autograd.graph import run_backward

        run_backward((self,), (grad,), retain_graph=retain_graph, create_graph=create_graph)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (outside the graph) and return self."""
        return self._inplace_assign(slice(None), 0, "zero_")

    # ------------------------------------------------------------------ NumPy interop & conversions
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied: mutate it only outside the graph)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to `dtype`; differentiable between floating dtypes."""
        return ops.cast(self, dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
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

    def __hash__(self) -> int:  # __eq__ is elementwise, so keep identity hashing for dicts and sets
        return id(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        default = dtypes.get_default_dtype()
        if self.data.dtype not in (default, np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ arithmetic operators
    def __add__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Add.apply_binary(self, _constant(other, dtype))
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Add.apply_binary(self, other)

    def __radd__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Add.apply_binary(_constant(other, dtype), self)
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Add.apply_binary(other, self)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Sub.apply_binary(self, _constant(other, dtype))
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Sub.apply_binary(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Sub.apply_binary(_constant(other, dtype), self)
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Sub.apply_binary(other, self)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Mul.apply_binary(self, _constant(other, dtype))
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Mul.apply_binary(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Mul.apply_binary(_constant(other, dtype), self)
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Mul.apply_binary(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Div.apply_binary(self, _constant(other, dtype))
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Div.apply_binary(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if type(other) is float or type(other) is int:
            dtype = self.data.dtype
            if dtype.kind == "f":
                return _arith.Div.apply_binary(_constant(other, dtype), self)
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Div.apply_binary(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            return _arith.PowConstant.apply_binary(self, exponent)
        other = _operand(exponent, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Pow.apply(self, other)

    def __rpow__(self, base: Any) -> Tensor:
        other = _operand(base, self)
        if other is NotImplemented:
            return NotImplemented
        return _arith.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _linalg.MatMul.apply_binary(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        return _linalg.MatMul.apply_binary(other, self)

    def __neg__(self) -> Tensor:
        return _arith.Neg.apply_unary(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    # ------------------------------------------------------------------ comparisons (no gradient)
    def _compare(self, other: Any, ufunc: np.ufunc) -> Tensor:
        other = _operand(other, self)
        if other is NotImplemented:
            return NotImplemented
        try:
            return Tensor._wrap(np.asarray(ufunc(self.data, other.data)))
        except ValueError:
            raise ShapeError(
                f"{ufunc.__name__}: cannot compare shapes {self.shape} and {other.shape}: not broadcastable"
            ) from None

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace_assign(index, value, "setitem")

    # ------------------------------------------------------------------ in-place updates
    def _check_inplace_allowed(self, op_name: str, other: Tensor | None) -> bool:
        """Return True when the update must be recorded in the graph instead of done on the array."""
        if not _state.flags.grad_enabled:
            return False
        if self.requires_grad and self.grad_fn is None:
            raise GraphError(
                f"{op_name}: a leaf tensor that requires grad (shape {self.shape}) cannot be modified in "
                "place while the graph is recorded; do it inside `with autograd.no_grad():` (as "
                "optimizers do) or write `x = x + ...` to make a new tensor"
            )
        return self.requires_grad or (other is not None and other.requires_grad)

    def _mark_modified(self) -> None:
        """Record an in-place change: nodes that saved this tensor before now will refuse to backward."""
        self._version += 1
        self._modified_at = _function.stamp_modification()

    def _inplace(self, other: Any, ufunc: np.ufunc, op_name: str) -> Tensor:
        other_t = _operand(other, self)
        if other_t is NotImplemented:
            return NotImplemented
        if self._check_inplace_allowed(op_name, other_t):
            # Inside a graph the update is recorded out of place and this tensor is rebound to the
            # result; bumping the version makes any node that saved the old value refuse to backward.
            result = _INPLACE_FALLBACK[ufunc](self, other_t)
            self.data, self.grad_fn = result.data, result.grad_fn
            self._output_index, self.requires_grad = result._output_index, result.requires_grad
            self._mark_modified()
            return self
        target = self.data
        if not target.flags.writeable:  # e.g. a broadcast view: give this tensor its own memory
            self.data = target = target.copy()
        try:
            ufunc(target, other_t.data, out=target, casting="same_kind")
        except ValueError:
            raise ShapeError(
                f"{op_name}: cannot update a tensor of shape {self.shape} in place with shape "
                f"{other_t.shape}: the result must keep shape {self.shape}"
            ) from None
        except TypeError:
            raise DtypeError(
                f"{op_name}: cannot update a {self.dtype} tensor in place with {other_t.dtype} values"
            ) from None
        self._mark_modified()
        return self

    def _inplace_assign(self, index: Any, value: Any, op_name: str) -> Tensor:
        value_t = value if isinstance(value, Tensor) else _operand(value, self)
        if value_t is NotImplemented:
            raise TypeError(f"{op_name}: cannot assign a value of type {type(value).__name__} to a tensor")
        if self._check_inplace_allowed(op_name, value_t):
            raise GraphError(
                f"{op_name}: assigning into a tensor inside a recorded graph is not supported "
                f"(target requires_grad={self.requires_grad}, value requires_grad={value_t.requires_grad});"
                " build the result with autograd.where() or autograd.concatenate() instead"
            )
        if not self.data.flags.writeable:
            self.data = self.data.copy()
        try:
            self.data[ops.to_index(index)] = value_t.data
        except ValueError as error:
            raise ShapeError(
                f"{op_name}: cannot assign a value of shape {value_t.shape} to index {index!r} of a "
                f"tensor of shape {self.shape}: {error}"
            ) from None
        self._mark_modified()
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(other, np.add, "iadd (+=)")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(other, np.subtract, "isub (-=)")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(other, np.multiply, "imul (*=)")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(other, np.true_divide, "itruediv (/=)")

    # ------------------------------------------------------------------ methods (see autograd.ops)
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (all axes by default). Backward: the gradient is repeated over the summed axes."""
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Arithmetic mean over `axis`."""
        return ops.mean(self, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over `axis` (`ddof=0`, NumPy's default)."""
        return ops.var(self, axis, keepdims, ddof)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; tied maxima share the gradient equally."""
        return ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over `axis`; tied minima share the gradient equally."""
        return ops.min(self, axis, keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Indices of the maxima (not differentiable)."""
        return Tensor._wrap(np.asarray(np.argmax(self.data, axis=axis)))

    def argmin(self, axis: int | None = None) -> Tensor:
        """Indices of the minima (not differentiable)."""
        return Tensor._wrap(np.asarray(np.argmin(self.data, axis=axis)))

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def clip(self, lo: Any = None, hi: Any = None) -> Tensor:
        """Limit values to [lo, hi]; the gradient passes where lo <= x <= hi."""
        return ops.clip(self, lo, hi)

    clamp = clip

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape: `t.reshape(2, 3)` or `t.reshape((2, 3))`; -1 infers one size."""
        return ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    view = reshape

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from `start_axis` on into one (`flatten(1)` turns images into vectors)."""
        return ops.flatten(self, start_axis)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes (reverse them when none are given): `t.transpose(1, 0, 2)`."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return ops.transpose(self, axes or None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return ops.swapaxes(self, axis1, axis2)

    def squeeze(self, axis: Any = None) -> Tensor:
        return ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return ops.expand_dims(self, axis)

    expand_dims = unsqueeze

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, shape)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        """NumPy `np.repeat`: repeat each element `repeats` times along `axis` (flattened if None)."""
        return ops.repeat(self, repeats, axis)

    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    dot = matmul


_constants: dict[np.dtype, dict[float, np.ndarray]] = {}


def _constant(value: float, dtype: np.dtype) -> np.ndarray:
    """A Python number as a read-only 0-d array of a floating tensor's dtype, for the operators' other side.

    Same value and dtype as `_operand` gives (NumPy 2 treats Python scalars as 'weak'), but cached and
    without a Tensor around it: NumPy multiplies a small array by a 0-d array of its own dtype in about
    half the time it takes for a Python float, and the backward pass multiplies by it again. Zero (whose
    sign the cache would lose) and NaN (which never equals itself) are not cached.
    """
    cache = _constants.get(dtype)
    if cache is None:
        cache = _constants[dtype] = {}
    array = cache.get(value)
    if array is None:
        array = np.array(value, dtype=dtype)
        array.flags.writeable = False
        if value == value and value != 0:
            if len(cache) >= 1024:  # bounded: a program using many distinct constants just starts over
                cache.clear()
            cache[value] = array
    return array


def _operand(value: Any, like: Tensor) -> Any:
    """Turn the other operand of a binary operator into a Tensor, or NotImplemented for foreign types.

    Python numbers take the dtype of the tensor they meet (a float32 tensor times 0.5 stays float32),
    following NumPy 2's rule that Python scalars are 'weak'. (The arithmetic operators take a shortcut
    for a Python number meeting a floating tensor: `_constant`.)
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (float, int)):
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and type(value) is int) or (kind == "b" and type(value) is bool):
            return Tensor._wrap(np.array(value, dtype=like.data.dtype))
        return Tensor._wrap(np.array(value, dtype=np.result_type(like.data.dtype, value)))
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in "biuf":
            return NotImplemented
        return Tensor._wrap(np.asarray(value))
    if isinstance(value, (list, tuple)):
        try:
            return Tensor._wrap(dtypes.to_array(value))
        except TypeError:
            return NotImplemented
    return NotImplemented


from autograd import function as _function  # noqa: E402  (function.py needs the Tensor class defined above)
from autograd import ops  # noqa: E402  (ops needs the Tensor class defined above)
from autograd.functions import arithmetic as _arith  # noqa: E402
from autograd.functions import linalg as _linalg  # noqa: E402

_INPLACE_FALLBACK = {
    np.add: _arith.Add.apply,
    np.subtract: _arith.Sub.apply,
    np.multiply: _arith.Mul.apply,
    np.true_divide: _arith.Div.apply,
}
