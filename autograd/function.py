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
        "creation_trace",
        "_saved",
        "_saved_versions",
        "_saved_outputs",
        "_released",
        "_hooks",
        "_retained",
    )

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
        """What `save_for_backward` kept, as Tensors. Raises if the graph was already freed or modified."""
        if self._released:
            raise GraphError(
                f"{type(self).__name__}: trying to backward through the graph a second time, but the "
                "arrays saved for backward were already freed. Pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to backward twice."
            )
        saved = self._saved
        if saved is None:
            return ()
        versions = self._saved_versions
        result = []
        for i, value in enumerate(saved):
            if isinstance(value, _OutputRef):
                value = value.tensor(self)
            if versions is not None and versions[i] is not None and value._version != versions[i]:
                raise GraphError(
                    f"{type(self).__name__}: one of the tensors saved for backward (saved value {i}, "
                    f"shape {value.shape}) was modified by an in-place operation after it was used "
                    f"(version {versions[i]} when saved, now {value._version}). Gradients would be "
                    "wrong; make a copy before modifying it, or do the in-place change before the op."
                )
            result.append(value)
        return tuple(result)

    # ---------------------------------------------------------------- graph recording
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the operation on `args` and, if a gradient will be needed, record it in the graph."""
        fn = object.__new__(cls)
        fn._saved = None
        arrays = []
        needs = []
        any_needs = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                needs.append(arg.requires_grad)
                if arg.requires_grad:
                    any_needs = True
            else:
                arrays.append(arg)
                needs.append(False)
        record = any_needs and _state.grad_enabled
        fn.needs_input_grad = tuple(needs) if record else (False,) * len(args)
        try:
            result = fn.forward(*arrays, **kwargs)
        except ShapeError:
            raise
        except ValueError as error:  # NumPy's broadcasting/shape errors, reworded to name the op
            shapes = ", ".join(str(a.shape) for a in arrays if isinstance(a, np.ndarray))
            raise ShapeError(f"{cls.__name__}: invalid shapes {shapes}: {error}") from None

        if not record:
            if type(result) is tuple:
                return tuple(Tensor._wrap(_as_ndarray(r)) for r in result)
            return Tensor._wrap(result if type(result) is np.ndarray else _as_ndarray(result))

        fn._released = False
        fn._hooks = None
        fn._retained = None
        fn.scope = _state.scope
        fn.creation_trace = (
            "".join(traceback.format_stack()[:-1]) if _state.anomaly_enabled else None
        )
        edges = []
        shapes = []
        dtypes = []
        for arg, need in zip(args, needs, strict=True):
            if need:
                node = arg.grad_fn
                edges.append((node, arg._output_index) if node is not None else (arg, 0))
                shapes.append(arg.data.shape)
                dtypes.append(arg.data.dtype)
            else:
                edges.append(None)
                shapes.append(None)
                dtypes.append(None)
        fn.next_edges = tuple(edges)
        fn.input_shapes = tuple(shapes)
        fn.input_dtypes = tuple(dtypes)

        if type(result) is tuple:
            outputs = tuple(
                Tensor._from_node(_as_ndarray(r), fn, i) for i, r in enumerate(result)
            )
            fn.output_specs = tuple((out.shape, out.dtype) for out in outputs)
        else:
            outputs = (Tensor._from_node(_as_ndarray(result), fn, 0),)
        fn.num_outputs = len(outputs)
        if fn._saved is not None:
            fn._resolve_saved(args, outputs, result if type(result) is tuple else (result,))
        if _state.on_record is not None:  # autograd.viz.record() keeps values for pictures
            _state.on_record(fn, args, kwargs, outputs)
        return outputs if type(result) is tuple else outputs[0]

    def _resolve_saved(self, args: tuple[Any, ...], outputs: tuple[Tensor, ...],
                       raw_results: tuple[Any, ...]) -> None:
        """Map each saved array to the Tensor it belongs to and remember its version.

        `raw_results` are the objects forward returned: NumPy gives 0-d results as scalars, which
        become new arrays in the output tensors, so identity is checked against both.
        """
        saved = []
        versions = []
        for value in self._saved:
            tensor_value: Any = None
            version = None
            if isinstance(value, Tensor):
                tensor_value, version = value, value._version
            elif isinstance(value, (np.ndarray, np.generic)):
                for arg in args:
                    if isinstance(arg, Tensor) and arg.data is value:
                        tensor_value, version = arg, arg._version
                        break
                else:
                    for out, raw in zip(outputs, raw_results, strict=True):
                        if out.data is value or raw is value:
                            tensor_value, version = _OutputRef(out), 0
                            break
                    else:
                        tensor_value = Tensor._wrap(_as_ndarray(value))
            else:
                tensor_value = value  # a Python constant: handed back as it is
            saved.append(tensor_value)
            versions.append(version)
        self._saved = tuple(saved)
        self._saved_versions = tuple(versions) if any(v is not None for v in versions) else None

    def release(self) -> None:
        """Free the arrays saved for backward (done after backward unless retain_graph=True)."""
        self._saved = None
        self._released = True

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
