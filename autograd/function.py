"""Function: one differentiable operation, and the node it leaves in the graph.

An operation is a subclass with two methods side by side:

* `forward(self, *arrays)` computes the result on plain NumPy arrays, and keeps what backward will need
  with `self.save_for_backward(...)`;
* `backward(self, *grads)` turns the gradient of the loss w.r.t. each output into the gradient w.r.t.
  each input (the chain rule: upstream gradient times local derivative).

`MyOp.apply(*args)` is the one way to run an operation. It calls `forward` and, when an input requires
grad and grad mode is on, records a node: the `Function` object itself, holding an edge to the node
that made each input, the inputs' shapes and dtypes, and what forward saved. Tensor arguments are
inputs; any other argument (an axis, a constant) is passed to `forward` unchanged and gets no gradient.

Two dialects of backward:

* `Function` (users' operations): backward receives and returns Tensors, and is written with Tensor
  operations, so it is itself recorded under `create_graph=True` (higher-order gradients for free).
* `Primitive` (our operations, and users' that want their speed): backward is written with operations
  that NumPy arrays and Tensors share (arithmetic, `reshape`, `sum(axis=, keepdims=)`, indexing, and
  other primitives' `apply`). An ordinary backward pass runs it on raw arrays, with no Tensor per
  intermediate gradient; under `create_graph=True` the same code runs on Tensors and is recorded.
"""

from __future__ import annotations

import functools
import traceback
import weakref
from typing import Any

import numpy as np

from autograd import mode, versions
from autograd.errors import GraphError, ShapeError
from autograd.tensor import HookHandle, Tensor, _fill

_state = mode.state
_RELEASED: Any = object()


def _quiet_floating_point() -> tuple[Any, Any]:
    """NumPy's floating-point error state "ignore everything", as (set, reset) functions.

    0 / 0, log(0), inf - inf and float32 overflow give nan and inf as IEEE says, and, like PyTorch, we do
    not warn about them (`detect_anomaly()` finds where a NaN comes from). Every forward runs under this
    state. `np.errstate` costs microseconds per use; the context variable behind it (NumPy >= 2) costs
    nanoseconds, so we set that when it exists.
    """
    try:
        from numpy._core._ufunc_config import _extobj_contextvar as state  # noqa: PLC0415
    except ImportError:  # another NumPy: the public, slower way
        def enter() -> Any:
            context = np.errstate(all="ignore")
            context.__enter__()
            return context

        return enter, lambda context: context.__exit__(None, None, None)
    with np.errstate(all="ignore"):
        quiet = state.get()
    return functools.partial(state.set, quiet), state.reset


quiet_numpy, restore_numpy = _quiet_floating_point()  # `_saved` of a node whose saved values backward already freed


class Function:
    """Base class of every differentiable operation. Subclass it, write `forward` and `backward`, call `apply`.

    Inside `forward`, `self.save_for_backward(*values)` keeps what backward needs (arrays, masks,
    indices) and backward reads them back from `self.saved_tensors`; `self.needs_input_grad[i]` says
    whether input i needs a gradient, so backward can skip work. Whatever backward reads is saved this
    way, so that it is freed after backward and a second backward through a freed graph is an error.
    """

    __slots__ = (
        "__dict__",  # subclasses keep small attributes of their own (an axis, a shape)
        "__weakref__",
        "needs_input_grad",  # per input: does it need a gradient?
        "next_edges",  # per input: (node that made it, output index), (leaf tensor, 0), or None
        "input_shapes",  # per input: its shape (to undo broadcasting) or None
        "input_dtypes",  # per input: its dtype (gradients are cast back to it) or None
        "output_specs",  # per output: (shape, dtype)
        "sequence_number",  # when it was recorded, on the engine's clock: consumers have larger numbers
        "scope",  # labels of the enclosing autograd.scope blocks (nn.Module calls), outermost first
        "_saved",  # what forward saved, None if nothing, _RELEASED once freed
        "_saved_inputs",  # (saved index, input index) of each saved value that is an input array
        "_saved_outputs",  # (saved index, output index) of each saved value that is an output
    )

    # The dialect of backward (see the module docstring); `Primitive` sets it to True.
    backward_on_arrays = False
    # Rarely set, so kept at class level (an instance sets its own in its __dict__ when needed).
    creation_trace: str | None = None  # the stack that created the node, recorded under detect_anomaly()
    _hooks: dict[int, list[Any]] | None = None  # output index -> hooks called with its gradient
    _retained: dict[int, Any] | None = None  # output index -> weak reference to a tensor that keeps .grad

    # ---------------------------------------------------------------- what subclasses write
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def save_for_backward(self, *values: Any) -> None:
        """Keep values (inputs, outputs, masks, indices, ...) for backward; they are freed after it."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What `save_for_backward` kept. Raises if backward already freed it or it was changed in place.

        Inputs and outputs come back as the graph's tensors, so a backward written with Tensor ops
        connects to the graph under `create_graph=True`. Anything else comes back as it was saved, except
        that a `Function` (Tensor dialect) gets arrays as constant Tensors. In an ordinary backward pass,
        a `Primitive` gets everything as raw arrays.
        """
        saved = self._saved
        if saved is None:
            return ()
        if saved is _RELEASED:
            raise GraphError(
                f"{type(self).__name__}: trying to backward through the graph a second time, but the values "
                "saved for backward were already freed. Pass retain_graph=True to the first backward() "
                "(or autograd.grad) if you need to backward twice."
            )
        if versions.last_change > self.sequence_number:  # something changed in place since: look closer
            self._check_saved_unchanged()
        if self.backward_on_arrays and _state.flags.arrays_in_backward:
            return saved
        return tuple([self._graph_value(i, value) for i, value in enumerate(saved)])

    def _graph_value(self, i: int, value: Any) -> Any:
        """Saved value i as the graph sees it: an output or input tensor, or a constant."""
        for saved_index, output_index in self._saved_outputs or ():
            if saved_index == i:
                return Tensor._make(value, self, output_index)
        for saved_index, input_index in self._saved_inputs or ():
            edge = self.next_edges[input_index] if saved_index == i else None
            if edge is not None:
                source, index = edge
                # A leaf is itself; an intermediate input is rebuilt on its producer's output (the tensor
                # object may have been rebound since, by a recorded in-place op).
                return source if isinstance(source, Tensor) else Tensor._make(value, source, index)
        if isinstance(value, np.ndarray) and not self.backward_on_arrays:
            return Tensor._make(value)  # computed in forward: a constant of the graph
        return value

    def _check_saved_unchanged(self) -> None:
        """Refuse to backward if the memory of a saved array was changed in place after this node was made.

        Views share their base's version (autograd.versions), so a change through a transpose, a slice
        or an array shared with `as_tensor` is seen too.
        """
        for i, value in enumerate(self._saved):
            if isinstance(value, np.ndarray) and versions.changed_after(value, self.sequence_number):
                raise GraphError(
                    f"{type(self).__name__}: one of the arrays saved for backward (saved value {i}, shape "
                    f"{value.shape}) was modified by an in-place operation after it was used (its memory is "
                    f"now at version {versions.version(value)}). Gradients would be wrong; make a copy "
                    "before modifying it, or do the in-place change before the op."
                )

    def release(self) -> None:
        """Free what forward saved (backward does this unless retain_graph=True)."""
        if self._saved is not None:
            self._saved = _RELEASED

    # ---------------------------------------------------------------- running and recording
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the operation on `args` and, if a gradient will be needed, record it in the graph."""
        if not kwargs and 0 < len(args) <= 2:  # most ops: the same steps with less argument handling
            return _apply_one(cls, args[0]) if len(args) == 1 else _apply_two(cls, args[0], args[1])
        return _apply_general(cls, args, kwargs)

    # ---------------------------------------------------------------- hooks and retained gradients
    @property
    def num_outputs(self) -> int:
        """How many outputs the operation has (most have one)."""
        return len(self.output_specs)

    @property
    def name(self) -> str:
        """The operation's name in reprs, errors and pictures: the class name."""
        return type(self).__name__

    def register_output_hook(self, index: int, hook: Any) -> Any:
        """Call `hook(grad)` when the gradient of output `index` is complete; it may return a replacement."""
        if self._hooks is None:
            self._hooks = {}
        self._hooks.setdefault(index, []).append(hook)
        return HookHandle(self._hooks[index], hook)

    def retain_output_grad(self, tensor: Tensor) -> None:
        """Store the gradient of `tensor` (an output of this node) in its `.grad` during backward."""
        if self._retained is None:
            self._retained = {}
        self._retained[tensor._output_index] = weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class Primitive(Function):
    """A Function whose backward is written with operations NumPy arrays and Tensors share.

    An ordinary backward pass calls it with raw ndarrays (gradients and saved values alike), skipping a
    Tensor per intermediate gradient; `create_graph=True` calls the same code with Tensors, recorded.
    Subclass this instead of `Function` to make an operation of your own fast (docs/testing.md).
    """

    __slots__ = ()
    backward_on_arrays = True


# -------------------------------------------------------------------- the steps of apply
_new = object.__new__


def _apply_general(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`apply`, step by step: forward on the arrays, then, if an input needs a gradient, record the node."""
    node = _new(cls)
    arrays = [arg.data if isinstance(arg, Tensor) else arg for arg in args]
    flags = _state.flags
    needs = tuple([flags.grad_enabled and isinstance(arg, Tensor) and arg.requires_grad for arg in args])
    node.needs_input_grad = needs
    result = _run_forward(node, arrays, kwargs)
    if not any(needs):
        return _detached(result) if flags.tracer is None else _traced(node, args, arrays, kwargs, _detached(result))
    node.next_edges = tuple([_edge_to(arg) if need else None for arg, need in zip(args, needs, strict=True)])
    node.input_shapes = tuple([a.shape if need else None for a, need in zip(arrays, needs, strict=True)])
    node.input_dtypes = tuple([a.dtype if need else None for a, need in zip(arrays, needs, strict=True)])
    if kwargs:
        return _record(node, args, arrays, kwargs, result)
    return _record_fast(node, args, arrays, result, flags)  # e.g. Linear(x, W, b): one output, the usual case


def _edge_to(tensor: Tensor) -> tuple[Any, int]:
    """The edge from a consumer to `tensor`: the node that made it (and which output), or the leaf itself."""
    node = tensor.grad_fn
    return (node, tensor._output_index) if node is not None else (tensor, 0)


def _run_forward(node: Function, arrays: Any, kwargs: dict[str, Any] | None) -> Any:
    """Call forward; NumPy's ValueErrors come back naming the op and the input shapes."""
    node._saved = None
    token = quiet_numpy()
    try:
        return node.forward(*arrays, **kwargs) if kwargs else node.forward(*arrays)
    except (ShapeError, GraphError):
        raise
    except ValueError as error:
        raise _forward_error(type(node), arrays, error) from None
    finally:
        restore_numpy(token)


def _forward_error(cls: type, arrays: Any, error: ValueError) -> ValueError:
    shapes = ", ".join(str(a.shape) for a in arrays if isinstance(a, np.ndarray))
    message = f"{cls.__name__}: {error} (input shapes {shapes})"
    text = str(error)
    if "broadcast" in text or "shape" in text or "align" in text or "dimension" in text:
        return ShapeError(message)
    return ValueError(message)


def _record(node: Function, args: Any, arrays: Any, kwargs: dict[str, Any] | None, result: Any) -> Any:
    """The end of every recorded apply: number the node, make its output tensors, keep what backward needs."""
    flags = _state.flags
    node.scope = flags.scope
    node.sequence_number = versions.tick()
    if flags.anomaly_enabled:
        node.creation_trace = "".join(traceback.format_stack()[:-3])
    results = result if type(result) is tuple else (result,)
    outputs = tuple([Tensor._make(_as_array(r), node, i) for i, r in enumerate(results)])
    node.output_specs = tuple([(out.data.shape, out.data.dtype) for out in outputs])
    saved = node._saved
    if saved is not None:
        # saved_tensors finds the graph's tensors again: remember which saved values are outputs (NumPy
        # may have returned a scalar, which became a new array) and which are inputs. Only the positions:
        # an input that backward does not need is not kept alive by the node.
        saved = list(saved)
        pairs = []
        for k, value in enumerate(saved):
            for j, r in enumerate(results):
                if value is r:
                    pairs.append((k, j))
                    saved[k] = outputs[j].data
        node._saved = tuple(saved)
        node._saved_outputs = tuple(pairs) or None
        node._saved_inputs = _positions(saved, arrays)
    if flags.on_record is not None:  # autograd.viz.record() is watching
        flags.on_record(node, args, kwargs or {}, outputs)
    if flags.tracer is not None:  # autograd.compile is tracing
        flags.tracer.op(node, args, arrays, kwargs or {}, outputs)
    return outputs if type(result) is tuple else outputs[0]


def _traced(node: Function, args: Any, arrays: Any, kwargs: dict[str, Any] | None, outputs: Any) -> Any:
    """An op that recorded no node, reported to autograd.compile's tracer (a replay must run it too)."""
    _state.flags.tracer.op(node, args, arrays, kwargs or {}, outputs if type(outputs) is tuple else (outputs,))
    return outputs


def _detached(result: Any) -> Any:
    """Forward's result as tensors outside the graph (nothing needed a gradient, or grad mode is off)."""
    if type(result) is tuple:
        return tuple([Tensor._make(_as_array(r)) for r in result])
    return Tensor._make(result if type(result) is np.ndarray else _as_array(result))


def _as_array(value: Any) -> np.ndarray:
    # NumPy returns scalars (np.float64) from 0-d operations; tensors always hold arrays.
    return value if type(value) is np.ndarray else np.asarray(value)


# -------------------------------------------------------------------- the fast paths of apply
# Most ops take one or two positional arguments: these build exactly the node `_apply_general` builds,
# unrolled (forward and the output tensor inline), since they run once per op on the hot path.
_NO = (False,)
_NEEDS_PAIRS = (((False, False), (False, True)), ((True, False), (True, True)))
_tick = versions.tick


def _apply_one(cls: type, x: Any) -> Any:
    node = _new(cls)
    flags = _state.flags
    if isinstance(x, Tensor):
        data = x.data
        need = x.requires_grad and flags.grad_enabled
    else:
        data, need = x, False
    node.needs_input_grad = (True,) if need else _NO
    node._saved = None
    token = quiet_numpy()
    try:
        result = node.forward(data)
    except (ShapeError, GraphError):
        raise
    except ValueError as error:
        raise _forward_error(cls, (data,), error) from None
    finally:
        restore_numpy(token)
    if not need:
        return _detached(result) if flags.tracer is None else _traced(node, (x,), (data,), None, _detached(result))
    node.next_edges = (_edge_to(x),)
    node.input_shapes = (data.shape,)
    node.input_dtypes = (data.dtype,)
    return _record_fast(node, (x,), (data,), result, flags)


def _apply_two(cls: type, a: Any, b: Any) -> Any:
    node = _new(cls)
    if isinstance(a, Tensor):
        a_data, a_need = a.data, a.requires_grad
    else:
        a_data, a_need = a, False
    if isinstance(b, Tensor):
        b_data, b_need = b.data, b.requires_grad
    else:
        b_data, b_need = b, False
    flags = _state.flags
    recording = (a_need or b_need) and flags.grad_enabled
    node.needs_input_grad = _NEEDS_PAIRS[a_need][b_need] if recording else _NEEDS_PAIRS[0][0]
    node._saved = None
    token = quiet_numpy()
    try:
        result = node.forward(a_data, b_data)
    except (ShapeError, GraphError):
        raise
    except ValueError as error:
        raise _forward_error(cls, (a_data, b_data), error) from None
    finally:
        restore_numpy(token)
    if not recording:
        if flags.tracer is None:
            return _detached(result)
        return _traced(node, (a, b), (a_data, b_data), None, _detached(result))
    node.next_edges = (_edge_to(a) if a_need else None, _edge_to(b) if b_need else None)
    node.input_shapes = (a_data.shape if a_need else None, b_data.shape if b_need else None)
    node.input_dtypes = (a_data.dtype if a_need else None, b_data.dtype if b_need else None)
    return _record_fast(node, (a, b), (a_data, b_data), result, flags)


def _positions(saved: Any, arrays: Any) -> tuple[tuple[int, int], ...] | None:
    """(saved index, input index) for each saved value that is one of the input arrays (by identity)."""
    pairs = [(k, j) for k, value in enumerate(saved) for j, array in enumerate(arrays) if value is array]
    return tuple(pairs) or None


def _record_fast(node: Function, args: Any, arrays: Any, result: Any, flags: mode.Flags) -> Any:
    """`_record` for the usual case: one array output, nobody watching (viz, compile, anomaly mode)."""
    watched = flags.on_record is not None or flags.tracer is not None or flags.anomaly_enabled
    if watched or type(result) is not np.ndarray:
        return _record(node, args, arrays, None, result)
    node.scope = flags.scope
    node.sequence_number = _tick()
    node.output_specs = ((result.shape, result.dtype),)
    output = _fill(_new(Tensor), result, node, 0)
    saved = node._saved
    if saved is not None:  # which saved values are the output or inputs (as in _record, in one loop)
        outputs = inputs = None
        for k, value in enumerate(saved):
            if value is result:
                outputs = ((k, 0),) if outputs is None else (*outputs, (k, 0))
            elif value is not None:
                for j, array in enumerate(arrays):
                    if value is array:
                        inputs = ((k, j),) if inputs is None else (*inputs, (k, j))
        node._saved_outputs = outputs
        node._saved_inputs = inputs
    return output


def either(numpy_function: Any, primitive: type[Function]) -> Any:
    """For a Primitive's backward: `numpy_function` on raw arrays, the differentiable `primitive` on Tensors.

    A backward pass hands a Primitive arrays, or Tensors under create_graph; the few operations that
    NumPy and Tensors spell differently (np.exp(x) vs x.exp()) are written once with this.
    """

    def on_arrays_or_tensors(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, Tensor):
                return primitive.apply(*args)
        return numpy_function(*args)

    on_arrays_or_tensors.__name__ = getattr(numpy_function, "__name__", "either")
    return on_arrays_or_tensors
