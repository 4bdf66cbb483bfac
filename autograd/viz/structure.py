"""Which boxes and arrows a picture of the graph has: one walk from the roots, each node once.

A picture has two kinds of node: *tensors* (leaves, constants, intermediate results, outputs) and *ops*
(the recorded `Function` nodes). Arrows follow the forward computation: input tensor -> op -> output
tensor, so the gradient flows against them.

The walk is breadth-first from the roots (iterative, so a chain of a million ops is fine) and keys every
tensor by what it *is*: a leaf by the object, an intermediate result by (node that made it, output index).
A tensor used twice is therefore drawn once with two arrows out, and `y = y + y` repeated 16 times is 33
boxes, not 2**16. Ids are handed out in walk order (`n0`, `n1`, ...), never from memory addresses, so the
same graph always gives the same picture.

`max_nodes` keeps the first nodes the walk meets, those nearest the outputs. The rest of the graph is
still walked, only to count it, and every kept node with an input among the dropped ones gets an arrow
from a single "... N more nodes" marker.

Without `record()`, a node still says how many inputs it had and which of them needed no gradient (its
`next_edges` entry is None). Such an input is drawn as a constant whose value is unknown (the 2 and the
1.1 of `price * 2 * 1.1`, a model's input batch), unless it is a setting such as `axis` (see
`recording.SETTING_PARAMETERS`), and the picture counts the ops it knows only this much about
(`Picture.unrecorded`), so that the caption can say how to record them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.function import Function
from autograd.tensor import Tensor
from autograd.viz import recording

LEAF, CONSTANT, INTERMEDIATE, OUTPUT = "leaf", "constant", "intermediate", "output"


@dataclass(slots=True)
class TensorBox:
    """A tensor in the picture, with whatever is known about it (None where nothing is)."""

    ident: str
    role: str  # LEAF (requires grad, made by no op), CONSTANT, INTERMEDIATE or OUTPUT (a root)
    name: str | None
    shape: tuple[int, ...] | None
    dtype: np.dtype | None
    data: np.ndarray | None
    grad: np.ndarray | None
    grad_expected: bool  # a gradient can exist here (so a missing one is worth saying)
    scope: tuple[str, ...] = ()
    recorded: bool = True  # False: an input the graph did not keep (drawn without record()); value unknown


@dataclass(slots=True)
class OpBox:
    """An op node: the Function's name, its non-tensor arguments if recorded, its module scope."""

    ident: str
    name: str
    arguments: tuple[tuple[str, str], ...]
    scope: tuple[str, ...]


@dataclass(slots=True)
class Arrow:
    source: str
    target: str
    label: str  # the shape flowing along it ("" for scalars), or "[i]" for the i-th output of an op


@dataclass
class Picture:
    """Everything to draw, in walk order."""

    boxes: list[TensorBox | OpBox] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    hidden: int = 0  # nodes left out by max_nodes
    cut: list[str] = field(default_factory=list)  # kept nodes with an input among the hidden ones
    unrecorded: int = 0  # ops drawn that ran outside record(): their values and constants are unknown


def shape_text(shape: tuple[int, ...] | None) -> str:
    """`(784, 256)` for an edge label; "" for a scalar or an unknown shape (it would only add clutter)."""
    if not shape:
        return ""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def collect(roots: Sequence[Tensor], max_nodes: int | None) -> Picture:
    """Walk the graph behind `roots` and return its boxes and arrows (see the module docstring)."""
    return _Walk(max_nodes).run(roots)


class _Walk:
    def __init__(self, max_nodes: int | None) -> None:
        self.max_nodes = max_nodes
        self.picture = Picture()
        self.ids: dict[Hashable, str | None] = {}  # node key -> id, or None if hidden by max_nodes
        self.queue: deque[Function] = deque()
        self.consumer_scopes: dict[str, list[tuple[str, ...]]] = {}
        self.cut_seen: set[str] = set()
        self.roots: dict[Hashable, Tensor] = {}

    # ---------------------------------------------------------------- the walk
    def run(self, roots: Sequence[Tensor]) -> Picture:
        for root in roots:
            self.roots[self._key_of(root)] = root
        for root in roots:
            if root.grad_fn is not None:
                self._output_tensor(root.grad_fn, root._output_index, root.shape, root.dtype)
            else:
                self._leaf_or_constant(root)
        while self.queue:
            self._visit(self.queue.popleft())
        self._place_inputs_in_scopes()
        return self.picture

    def _visit(self, node: Function) -> None:
        op = self.ids[node]
        kept = recording.lookup(node)
        if kept is not None:  # recorded: draw every output, even one nothing used
            for index, array in enumerate(kept.outputs):
                self._output_tensor(node, index, array.shape, array.dtype)
        for i, edge in enumerate(node.next_edges):
            if edge is None:
                constant = kept.constants[i] if kept is not None and i < len(kept.constants) else None
                if constant is not None:
                    self._arrow(self._leaf_or_constant(constant), op, constant.shape)
                elif kept is None and _is_data_input(node, i):
                    self._arrow(self._unrecorded_constant(node, i), op, node.input_shapes[i])
                continue
            source, index = edge
            if isinstance(source, Function):
                tensor = self._output_tensor(source, index, node.input_shapes[i], node.input_dtypes[i])
            else:
                tensor = self._leaf_or_constant(source)
            self._arrow(tensor, op, node.input_shapes[i])

    # ---------------------------------------------------------------- boxes
    def _add(self, key: Hashable, make: Callable[[str], TensorBox | OpBox]) -> tuple[str | None, bool]:
        """The id of the node with this key, making it if new; None if max_nodes hides it."""
        if key in self.ids:
            return self.ids[key], False
        boxes = self.picture.boxes
        if self.max_nodes is None or len(boxes) < self.max_nodes:
            ident: str | None = f"n{len(boxes)}"
            boxes.append(make(ident))
        else:
            ident = None
            self.picture.hidden += 1
        self.ids[key] = ident
        return ident, True

    def _op(self, node: Function) -> str | None:
        def make(ident: str) -> OpBox:
            kept = recording.lookup(node)
            return OpBox(ident, node.name, kept.arguments if kept is not None else (), tuple(node.scope))

        ident, new = self._add(node, make)
        if new:
            self.queue.append(node)
            if ident is not None and recording.lookup(node) is None:
                self.picture.unrecorded += 1
        return ident

    def _output_tensor(self, node: Function, index: int, shape: Any, dtype: Any) -> str | None:
        key = (node, index)

        def make(ident: str) -> TensorBox:
            kept = recording.lookup(node)
            tensor = self.roots.get(key)
            if tensor is None and kept is not None:
                tensor = kept.output_refs[index]()  # still alive: it may have a name or a retained grad
            data = tensor.data if tensor is not None else kept.outputs[index] if kept is not None else None
            grad = tensor.grad.data if tensor is not None and tensor.grad is not None else None
            if grad is None and kept is not None:
                grad = kept.grads[index]
            return TensorBox(
                ident, OUTPUT if key in self.roots else INTERMEDIATE,
                name=tensor.name if tensor is not None else None,
                shape=tuple(data.shape) if data is not None else shape,
                dtype=data.dtype if data is not None else dtype,
                data=data, grad=grad,
                grad_expected=kept is not None,  # recorded: a missing gradient means none reached it
                scope=tuple(node.scope),
            )

        ident, new = self._add(key, make)
        if new:
            producer = self._op(node)
            self._arrow(producer, ident, label=f"[{index}]" if node.num_outputs > 1 else "")
        return ident

    def _leaf_or_constant(self, tensor: Tensor) -> str | None:
        def make(ident: str) -> TensorBox:
            leaf = tensor.requires_grad
            role = LEAF if leaf else CONSTANT
            return TensorBox(
                ident, role, name=tensor.name, shape=tuple(tensor.shape), dtype=tensor.dtype,
                data=tensor.data, grad=tensor.grad.data if tensor.grad is not None else None,
                grad_expected=leaf,
            )

        return self._add(self._key_of(tensor), make)[0]

    def _unrecorded_constant(self, node: Function, index: int) -> str | None:
        """Input `index` of `node`, which needed no gradient and was not kept: a constant, value unknown.

        Each such input gets its own box (nothing says whether two of them were the same tensor). A main
        input (slot 0, like a model's input batch) stays outside the modules; a second operand (the 2 in
        `x * 2`, a loss's target) sits in the module of the op that used it.
        """
        shape = node.input_shapes[index]

        def make(ident: str) -> TensorBox:
            return TensorBox(ident, CONSTANT, name=None, shape=tuple(shape) if shape is not None else None,
                             dtype=None, data=None, grad=None, grad_expected=False,
                             scope=tuple(node.scope) if index > 0 else (), recorded=False)

        return self._add((node, "input", index), make)[0]

    @staticmethod
    def _key_of(tensor: Tensor) -> Hashable:
        # By identity: the graph holds every tensor we meet, so ids cannot be reused during the walk.
        return (tensor.grad_fn, tensor._output_index) if tensor.grad_fn is not None else ("tensor", id(tensor))

    # ---------------------------------------------------------------- arrows
    def _arrow(self, source: str | None, target: str | None, shape: tuple[int, ...] | None = None,
               label: str = "") -> None:
        """An arrow labelled with `shape` (or `label`); beyond max_nodes, only the bookkeeping."""
        if target is None:
            return
        if source is None:  # the input is beyond max_nodes: point at the "... more" marker instead
            if target not in self.cut_seen:
                self.cut_seen.add(target)
                self.picture.cut.append(target)
            return
        self.picture.arrows.append(Arrow(source, target, shape_text(shape) if shape is not None else label))
        op = self.picture.boxes[int(target[1:])]
        if isinstance(op, OpBox):
            self.consumer_scopes.setdefault(source, []).append(op.scope)

    def _place_inputs_in_scopes(self) -> None:
        """Put a parameter (or a scalar constant) in the innermost module that all its users share.

        Leaves and constants are made by no op, so they have no scope of their own. A weight used only
        inside `fc1` belongs in fc1's box. Input data (a constant with several elements) stays outside,
        since the first layer that reads it does not own it.
        """
        for box in self.picture.boxes:
            if not isinstance(box, TensorBox) or box.role not in (LEAF, CONSTANT):
                continue
            if box.role == CONSTANT and (box.shape is None or int(np.prod(box.shape)) > 1 or not box.recorded):
                continue
            scopes = self.consumer_scopes.get(box.ident)
            if scopes:
                box.scope = _common_prefix(scopes)


def _is_data_input(node: Function, index: int) -> bool:
    """Whether input `index` of `node` (one that needed no gradient) was data rather than a setting."""
    if node.input_shapes[index] is not None:  # the engine kept its shape: an array
        return True
    names, variadic = recording.forward_parameter_names(type(node))
    if variadic or index >= len(names):
        return True
    name = names[index]
    return name not in recording.SETTING_PARAMETERS and not (node.name == "Linear" and name == "b")


def _common_prefix(scopes: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = scopes[0]
    length = len(first)
    for other in scopes[1:]:
        length = min(length, len(other))
        for i in range(length):
            if other[i] != first[i]:
                length = i
                break
    return first[:length]
