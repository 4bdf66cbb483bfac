"""Function: one differentiable operation, and the node it leaves in the graph.

A primitive subclasses `Function` and writes two methods side by side:

* `forward(self, *arrays)` computes the result on plain NumPy arrays (fast, no graph);
* `backward(self, *grads)` maps the gradient of the loss w.r.t. each output to the gradient w.r.t. each
  input, written with Tensor operations, so that the backward pass can itself be differentiated
  (`create_graph=True` gives higher-order gradients for free).

`MyOp.apply(*inputs, **kwargs)` runs `forward` and, if any input requires grad and grad mode is on,
records the call as a node: the object keeps the edges to its inputs' nodes, the arrays it saved for
backward and the shapes it needs to undo broadcasting. Tensor arguments are inputs; any other positional
argument (an axis, a constant) is passed to `forward` unchanged and receives no gradient.
"""

from __future__ import annotations

import itertools
import traceback
import weakref
from typing import Any

import numpy as np

from autograd import mode
from autograd.errors import GraphError, ShapeError

_state = mode.state


class Function:
    """Base class of every differentiable operation (our primitives and users' own).

    Subclasses implement `forward` and `backward`; users call `apply`. Inside `forward`, use
    `self.save_for_backward(*arrays)` for what `backward` needs and read it back with `self.saved_tensors`
    (as Tensors connected to the graph, so backward stays differentiable). `self.needs_input_grad[i]`
    says whether input i needs a gradient, so backward can skip work.

    Speed: a subclass whose `backward` uses only operations that NumPy arrays and Tensors share
    (arithmetic, `reshape`, `sum(axis, keepdims)`, ... and the helpers in `autograd.functions.dispatch`)
    sets `array_backward = True`. The ordinary (first-order) backward pass then hands it raw ndarrays,
    gradients and saved values alike, and skips building a Tensor per intermediate gradient; with
    `create_graph=True` the same code runs on Tensors and is recorded. All our primitives do this.
    """

    __slots__ = (
        "__dict__",  # subclasses keep their own small attributes (axis, shapes, masks)
        "__weakref__",
        "needs_input_grad",
        "next_edges",
        "input_shapes",
        "input_dtypes",
        "num_outputs",
        "output_specs",
        "scope",
        "sequence_number",
        "_saved",
        "_inputs",
        "_input_arrays",
        "_output_refs",
    )

    array_backward = False  # see the class docstring
    # Rarely set, so kept as class-level defaults (an instance sets its own in its __dict__ when needed).
    creation_trace: str | None = None  # the stack that created the node, recorded under detect_anomaly()
    _hooks: dict[int, list[Any]] | None = None
    _retained: dict[int, Any] | None = None

    # ---------------------------------------------------------------- user-facing protocol
    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (inputs, outputs or anything computed in forward) for backward.

        Inputs and outputs are recognised by identity and come back from `saved_tensors` as the graph's
        own tensors (so the backward graph connects to them); anything else comes back as a constant.
        """
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What `save_for_backward` kept, as Tensors. Raises if the graph was already freed or modified.

        Inputs and outputs come back as the graph's own tensors, so a backward written with Tensor ops
        connects to the graph (`create_graph=True`); other arrays come back as constant tensors and
        Python values as they were. (During a first-order backward pass, a node with
        `array_backward = True` gets the raw arrays instead.)
        """
        saved = self._saved
        if saved is None:
            return ()
        if saved is _RELEASED:
            raise GraphError(
                f"{type(self).__name__}: trying to backward through the graph a second time, but the "
                "arrays saved for backward were already freed. Pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to backward twice."
            )
        if _last_modification > self.sequence_number:  # something was modified in place since: look
            self._check_not_modified()
        if type(self).array_backward and _state.flags.arrays_in_backward:
            return saved
        return tuple([self._as_graph_tensor(value) for value in saved])

    def _as_graph_tensor(self, value: Any) -> Any:
        """The graph's tensor for a saved value: an input, an output, or a constant."""
        if self._output_refs is not None:
            for ref in self._output_refs:
                if ref.array is value:
                    return ref.tensor(self)
        if self._inputs is not None:
            for arg, array in zip(self._inputs, self._input_arrays, strict=True):
                if array is value and arg is not value:
                    return arg
        if isinstance(value, (np.ndarray, np.generic)):
            return Tensor._wrap(_as_ndarray(value))  # computed in forward: a constant of the graph
        return value

    def _check_not_modified(self) -> None:
        """Refuse to backward if a saved input or output was modified in place after this node was made.

        Each in-place change stamps the tensor with the current sequence number (`_modified_at`), so a
        stamp later than this node's own number means the saved array no longer holds what forward saw.
        """
        for i, value in enumerate(self._saved):
            tensor = self._as_graph_tensor(value)
            if isinstance(tensor, Tensor) and tensor._modified_at > self.sequence_number:
                raise GraphError(
                    f"{type(self).__name__}: one of the tensors saved for backward (saved value {i}, "
                    f"shape {tensor.shape}) was modified by an in-place operation after it was used "
                    f"(it is now at version {tensor._version}). Gradients would be wrong; make a copy "
                    "before modifying it, or do the in-place change before the op."
                )

    # ---------------------------------------------------------------- graph recording
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the operation on `args` and, if a gradient will be needed, record it in the graph."""
        fn = _new(cls)
        fn._saved = None
        arrays = []
        needs = []
        record = False
        flags = _state.flags
        if flags.grad_enabled:
            # One pass over the arguments collects the arrays for forward and, for each input that
            # needs a gradient, the edge to the node that made it, its shape and dtype.
            edges = []
            shapes = []
            dtypes = []
            for arg in args:
                if isinstance(arg, Tensor) and arg.requires_grad:
                    data = arg.data
                    arrays.append(data)
                    needs.append(True)
                    node = arg.grad_fn
                    edges.append((node, arg._output_index) if node is not None else (arg, 0))
                    shapes.append(data.shape)
                    dtypes.append(data.dtype)
                    record = True
                else:
                    arrays.append(arg.data if isinstance(arg, Tensor) else arg)
                    needs.append(False)
                    edges.append(None)
                    shapes.append(None)
                    dtypes.append(None)
        else:
            for arg in args:
                arrays.append(arg.data if isinstance(arg, Tensor) else arg)
                needs.append(False)
        fn.needs_input_grad = tuple(needs)
        try:
            result = fn.forward(*arrays, **kwargs)
        except ShapeError:
            raise
        except ValueError as error:
            raise _shape_error(cls, arrays, error) from None
        if not record:
            return _unrecorded(result)
        fn.next_edges = tuple(edges)
        fn.input_shapes = tuple(shapes)
        fn.input_dtypes = tuple(dtypes)
        return _record(fn, args, arrays, kwargs, result, flags)

    @classmethod
    def apply_unary(cls, x: Tensor) -> Tensor:
        """`cls.apply(x)` for a single Tensor argument: the same node, without the general argument
        handling of `apply` (the hot path of exp, relu, sigmoid... on small tensors)."""
        fn = _new(cls)
        fn._saved = None
        data = x.data
        flags = _state.flags
        record = x.requires_grad and flags.grad_enabled
        fn.needs_input_grad = (True,) if record else (False,)
        try:
            result = fn.forward(data)
        except ShapeError:
            raise
        except ValueError as error:
            raise _shape_error(cls, (data,), error) from None
        if not record:
            return _unrecorded(result)
        node = x.grad_fn
        fn.next_edges = ((node, x._output_index) if node is not None else (x, 0),)
        fn.input_shapes = (data.shape,)
        fn.input_dtypes = (data.dtype,)
        return _record(fn, (x,), (data,), None, result, flags)

    @classmethod
    def apply_binary(cls, a: Any, b: Any) -> Tensor:
        """`cls.apply(a, b)` for two positional arguments (Tensors or constants): the same node, without
        the general argument handling of `apply` (the hot path of + - * / @ on small tensors)."""
        fn = _new(cls)
        fn._saved = None
        if isinstance(a, Tensor):
            a_data = a.data
            a_needs = a.requires_grad
        else:
            a_data = a
            a_needs = False
        if isinstance(b, Tensor):
            b_data = b.data
            b_needs = b.requires_grad
        else:
            b_data = b
            b_needs = False
        flags = _state.flags
        record = (a_needs or b_needs) and flags.grad_enabled
        fn.needs_input_grad = _NEEDS_PAIRS[a_needs][b_needs] if record else _NEEDS_PAIRS[0][0]
        try:
            result = fn.forward(a_data, b_data)
        except ShapeError:
            raise
        except ValueError as error:
            raise _shape_error(cls, (a_data, b_data), error) from None
        if not record:
            return _unrecorded(result)
        if a_needs:
            node = a.grad_fn
            a_edge = (node, a._output_index) if node is not None else (a, 0)
            a_shape = a_data.shape
            a_dtype = a_data.dtype
        else:
            a_edge = a_shape = a_dtype = None
        if b_needs:
            node = b.grad_fn
            b_edge = (node, b._output_index) if node is not None else (b, 0)
            b_shape = b_data.shape
            b_dtype = b_data.dtype
        else:
            b_edge = b_shape = b_dtype = None
        fn.next_edges = (a_edge, b_edge)
        fn.input_shapes = (a_shape, b_shape)
        fn.input_dtypes = (a_dtype, b_dtype)
        return _record(fn, (a, b), (a_data, b_data), None, result, flags)

    def _keep_saved_context(self, args: tuple[Any, ...], arrays: list[Any], outputs: tuple[Tensor, ...],
                            raw_results: tuple[Any, ...]) -> None:
        """Keep what `saved_tensors` needs when forward saved outputs (or a node has several outputs).

        Outputs are held weakly (an output holds its node: a strong reference back would be a cycle).
        NumPy returns 0-d results as scalars, which became new arrays in the output tensors: the saved
        values are switched to those arrays, so that identity finds them.
        """
        refs = []
        saved = list(self._saved)
        for out, result in zip(outputs, raw_results, strict=True):
            for i, value in enumerate(saved):
                if value is result or value is out.data:
                    saved[i] = out.data
                    if not refs or refs[-1].index != out._output_index:
                        refs.append(_OutputRef(out))
        self._saved = tuple(saved)
        self._output_refs = tuple(refs) or None
        kept = {id(out.data) for out in outputs}
        if any(id(value) not in kept for value in saved):
            self._inputs = args
            self._input_arrays = arrays
        else:
            self._inputs = self._input_arrays = None

    def release(self) -> None:
        """Free the arrays saved for backward (done after backward unless retain_graph=True)."""
        if self._saved is not None:
            self._saved = _RELEASED
            self._inputs = self._input_arrays = self._output_refs = None

    @property
    def name(self) -> str:
        """The operation's name as shown in reprs and pictures: the class name."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[tuple[Any, int] | None, ...]:
        """PyTorch-style view of the edges: (node or leaf tensor, output index) per input, None if no grad."""
        return self.next_edges

    def register_output_hook(self, index: int, hook: Any) -> Any:
        """Call `hook(grad)` when the gradient of output `index` is complete; it may return a replacement."""
        if self._hooks is None:
            self._hooks = {}
        self._hooks.setdefault(index, []).append(hook)
        return _HookHandle(self._hooks[index], hook)

    def retain_output_grad(self, tensor: Tensor) -> None:
        """Store the gradient of `tensor` (an output of this node) in its `.grad` during backward."""
        if self._retained is None:
            self._retained = {}
        self._retained[tensor._output_index] = weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


# Each recorded node gets the next number. An op runs after the ops that made its inputs, so a larger
# number means "later": the backward pass processes nodes from the largest number down (see graph.py).
_sequence = itertools.count()
_RELEASED: Any = object()  # `_saved` of a node whose saved arrays were freed by backward
_last_modification = 0  # the sequence number of the latest in-place change of any tensor


def stamp_modification() -> int:
    """Note an in-place change (Tensor calls this) and return its stamp: later than every node so far.

    Nodes compare it with their own sequence number: while no tensor was modified after a node was
    recorded, that node's saved arrays are intact, and backward skips looking at them.
    """
    global _last_modification
    _last_modification = next(_sequence)
    return _last_modification


def _record(fn: Function, args: tuple[Any, ...], arrays: Any, kwargs: dict[str, Any] | None, result: Any,
            flags: mode.Flags) -> Any:
    """The end of every `apply`: number the node, make its output tensors, keep what backward needs.

    `fn` already has its edges, input shapes and dtypes; `result` is what forward returned.
    """
    fn.scope = flags.scope
    fn.sequence_number = next(_sequence)
    if flags.anomaly_enabled:
        fn.creation_trace = "".join(traceback.format_stack()[:-2])
    if type(result) is tuple:
        outputs = tuple(Tensor._from_node(_as_ndarray(r), fn, i) for i, r in enumerate(result))
        fn.output_specs = tuple((out.shape, out.dtype) for out in outputs)
        fn.num_outputs = len(outputs)
        if fn._saved is not None:
            fn._keep_saved_context(args, arrays, outputs, result)
        if flags.on_record is not None:  # autograd.viz.record() keeps values for pictures
            flags.on_record(fn, args, kwargs or {}, outputs)
        return outputs
    fn.num_outputs = 1
    # The output tensor, built inline (this runs once per recorded op).
    output = _new(Tensor)
    output.data = result if type(result) is np.ndarray else _as_ndarray(result)
    output.grad = None
    output.requires_grad = output.data.dtype.kind == "f"
    output.grad_fn = fn if output.requires_grad else None
    output._output_index = 0
    output._version = 0
    output._modified_at = 0
    output.name = None
    output._hooks = None
    saved = fn._saved
    if saved is not None:
        # What saved_tensors will need to find the graph's tensors again (resolved only when asked):
        # the inputs if anything but the output was saved, and a weak reference to a saved output.
        for value in saved:
            if value is result:
                fn._keep_saved_context(args, arrays, (output,), (result,))
                break
        else:
            fn._inputs = args
            fn._input_arrays = arrays
            fn._output_refs = None
    if flags.on_record is not None:
        flags.on_record(fn, args, kwargs or {}, (output,))
    return output


def _unrecorded(result: Any) -> Any:
    """Forward's result as tensors outside the graph (nothing needed a gradient, or grad mode is off)."""
    if type(result) is tuple:
        return tuple(Tensor._wrap(_as_ndarray(r)) for r in result)
    return Tensor._wrap(result if type(result) is np.ndarray else _as_ndarray(result))


def _shape_error(cls: type, arrays: Any, error: ValueError) -> ShapeError:
    """NumPy's broadcasting/shape errors, reworded to name the op and the shapes."""
    shapes = ", ".join(str(a.shape) for a in arrays if isinstance(a, np.ndarray))
    return ShapeError(f"{cls.__name__}: invalid shapes {shapes}: {error}")


_new = object.__new__
# needs_input_grad of a two-argument op, shared rather than built per node: _NEEDS_PAIRS[a][b] = (a, b).
_NEEDS_PAIRS = (((False, False), (False, True)), ((True, False), (True, True)))


class _OutputRef:
    """A saved output, held weakly (holding the output strongly would make a reference cycle)."""

    __slots__ = ("array", "ref", "index")

    def __init__(self, output: Tensor) -> None:
        self.array = output.data
        self.ref = weakref.ref(output)
        self.index = output._output_index

    def tensor(self, node: Function) -> Tensor:
        live = self.ref()
        if live is not None and live.grad_fn is node:
            return live
        # The user dropped the output: rebuild an equivalent tensor, attached to the same node output.
        return Tensor._from_node(self.array, node, self.index)


class _HookHandle:
    """Returned by `register_hook`: call `remove()` to unregister."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _as_ndarray(value: Any) -> np.ndarray:
    # NumPy returns scalars (np.float64) from 0-d operations; the graph always holds arrays.
    return value if type(value) is np.ndarray else np.asarray(value)


from autograd.tensor import Tensor  # noqa: E402  (tensor.py imports this module first)
