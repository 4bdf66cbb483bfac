"""The backward pass: topological order and the chain rule, written once for every operation.

Each recorded node (a `Function`) holds `next_edges`, one per input: the node that produced that input
(and which of its outputs), a leaf tensor, or None when the input needs no gradient.

`backward_pass` walks the graph from the outputs:

1. Order. Every node got a number from the engine's clock when it was recorded, and its consumers were
   necessarily recorded after it. So the nodes that have received a gradient wait, and the one recorded
   latest runs next: by then every consumer of its outputs has run, and its gradient is complete. Each
   node runs once however many paths lead to it, and there is no recursion (a million-op chain is fine).
2. The chain rule. A node's backward turns the gradient of its outputs into gradients for its inputs.
   Each is sent on along its edge: summed back to the input's shape (broadcasting undone), cast to its
   dtype, and added to what that input already received (a tensor used twice, a "branch", gets both).
3. Leaves. Gradients arriving at leaves are added to `leaf.grad` (or returned, for `autograd.grad`).

Without `create_graph` gradients travel as raw ndarrays; with it they are Tensors, and every step is
recorded, so the gradients can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any

import numpy as np

from autograd import mode
from autograd.errors import GraphError, ShapeError
from autograd.function import Function
from autograd.functions.shape import sum_to
from autograd.tensor import Tensor

_state = mode.state


def backward_pass(outputs: Sequence[Tensor], grad_outputs: Sequence[Any], retain_graph: bool = False,
                  create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> dict[int, Any]:
    """Backpropagate from `outputs`; return {id(leaf or requested tensor): its gradient}.

    With `inputs` (autograd.grad), only the part of the graph that leads to them runs, and their
    gradients are returned instead of being added to `.grad`.
    """
    waiting = Waiting(create_graph)
    seeds = [_seed(output, grad, create_graph) for output, grad in zip(outputs, grad_outputs, strict=True)]
    for output, seed in zip(outputs, seeds, strict=True):
        waiting.shared.add(id(seed.data if isinstance(seed, Tensor) else seed))  # the caller's: never add into it
        waiting.send(_edge_of(output), seed)
    if _state.flags.tracer is not None:  # autograd.compile: the replay repeats this pass (see trace.py)
        return _state.flags.tracer.backward(outputs, seeds, retain_graph, create_graph, inputs,
                                            lambda: _propagate(waiting, retain_graph, create_graph, inputs))
    return _propagate(waiting, retain_graph, create_graph, inputs)


def _propagate(waiting: Waiting, retain_graph: bool, create_graph: bool,
               inputs: Sequence[Tensor] | None) -> dict[int, Any]:
    """The chain rule, node by node from the seeded outputs to the leaves (the loop of `backward_pass`)."""
    wanted = Wanted(inputs, waiting.nodes()) if inputs is not None else None
    kind = Tensor if create_graph else np.ndarray  # what gradients travel as
    anomaly = _state.flags.anomaly_enabled
    with _backward_mode(create_graph):
        while waiting.heap:
            node, grads = waiting.pop_latest()  # every consumer of node ran already: its gradient is complete
            if wanted is None or wanted.needs(node):
                if node._hooks or node._retained or wanted is not None or (
                        len(grads) > 1 and any(g is None for g in grads)):
                    grads = _output_grads_seen_by_user(node, grads, wanted, waiting.shared, create_graph)
                    if wanted is not None and node not in wanted.nodes:
                        continue  # only its output's gradient was asked for: its own backward is not needed
                input_grads = node.backward(*grads) if node.backward_on_arrays else _NOT_CALLED  # a Primitive
                if type(input_grads) is not tuple or len(input_grads) != len(node.next_edges):
                    input_grads = _call_backward(node, grads, create_graph, input_grads)
                for edge, g, shape, dtype in zip(node.next_edges, input_grads, node.input_shapes,
                                                 node.input_dtypes, strict=True):
                    if edge is not None and g is not None:
                        if type(g) is not kind or g.shape != shape or (g.dtype is not dtype and g.dtype != dtype):
                            g = _conform(g, shape, dtype, node, create_graph)  # undo broadcasting, cast
                        elif anomaly:
                            _check_finite(node, g)
                        waiting.send(edge, g)
            if not retain_graph and node._saved is not None:
                node.release()  # free what forward saved for this backward
    return waiting.leaf_grads(wanted)


class Waiting:
    """The gradients on their way: summed per node output, the latest-recorded node first."""

    __slots__ = ("heap", "pending", "leaves", "shared", "create_graph")

    def __init__(self, create_graph: bool) -> None:
        self.heap: list[tuple[int, Function]] = []  # (-sequence number, node)
        self.pending: dict[Function, list[Any]] = {}  # node -> summed gradient of each output
        self.leaves: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, summed gradient]
        self.shared: set[int] = set()  # ids of gradient arrays referenced twice: never add into them
        self.create_graph = create_graph

    def nodes(self) -> list[Function]:
        return list(self.pending)

    def send(self, edge: tuple[Any, int], grad: Any) -> None:
        """Add `grad` to what the node (or leaf) behind `edge` has received."""
        target, slot = edge
        if isinstance(target, Tensor):
            entry = self.leaves.get(id(target))
            if entry is None:
                self.leaves[id(target)] = [target, grad]
            else:
                entry[1] = _add(entry[1], grad)
            return
        grads = self.pending.get(target)
        if grads is None:
            grads = self.pending[target] = [None] * len(target.output_specs)
            heappush(self.heap, (-target.sequence_number, target))
        grads[slot] = grad if grads[slot] is None else _add(grads[slot], grad)

    def pop_latest(self) -> tuple[Function, list[Any]]:
        node = heappop(self.heap)[1]
        return node, self.pending.pop(node)

    def leaf_grads(self, wanted: Wanted | None) -> dict[int, Any]:
        """Run the leaves' hooks; add each gradient to `.grad`, or collect it for `autograd.grad`."""
        found = wanted.found if wanted is not None else {}
        for leaf, grad in self.leaves.values():
            if leaf._hooks:
                grad = _run_hooks(leaf._hooks, grad, leaf.shape, self.create_graph)
                self.shared.add(id(grad))  # the hooks saw it: keep it out of in-place accumulation
            if wanted is None:
                _accumulate_into_grad(leaf, grad, self.shared, self.create_graph)
            elif id(leaf) in wanted.ids:
                found[id(leaf)] = _as_tensor(grad)
        return found


class Wanted:
    """For `autograd.grad`: the tensors asked for, and the nodes whose backward leads to them."""

    def __init__(self, inputs: Sequence[Tensor], starts: list[Function]) -> None:
        self.ids = {id(t) for t in inputs}
        self.found: dict[int, Any] = {}
        self.outputs = {(t.grad_fn, t._output_index): id(t) for t in inputs if t.grad_fn is not None}
        self.targets = {node for node, _ in self.outputs}  # their output gradients are collected
        self.nodes: set[Function] = set()  # their backward leads to a wanted tensor: it runs
        for node in reversed(topological_order(starts)):  # producers first: inputs decided before a node
            if any(edge is not None and (edge[0] in self.nodes or edge[0] in self.targets or id(edge[0]) in self.ids)
                   for edge in node.next_edges):
                self.nodes.add(node)

    def needs(self, node: Function) -> bool:
        return node in self.nodes or node in self.targets


# ---------------------------------------------------------------------- the steps, named
def _seed(output: Tensor, grad: Any, create_graph: bool) -> Any:
    """The gradient that starts the pass: d(output)/d(output) = 1 for a single value, else given."""
    if not isinstance(output, Tensor):
        raise TypeError(f"backward: expected a Tensor output, got {type(output).__name__}")
    if not output.requires_grad:
        raise GraphError(
            f"backward: this tensor (shape {output.shape}) does not require grad and has no grad_fn; "
            "did you forget requires_grad=True on an input, or compute it under no_grad()?"
        )
    if grad is None:
        if output.data.size != 1:
            raise GraphError(
                f"backward: grad can be created implicitly only for a single-element output, but this "
                f"output has shape {output.shape}; pass grad= of that shape (or reduce it, e.g. .sum())"
            )
        seed = np.ones(output.shape, dtype=output.dtype)
    else:
        array = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
        if array.shape != output.shape:
            raise ShapeError(f"backward: grad of shape {array.shape} does not match the output's shape {output.shape}")
        seed = array if array.dtype == output.dtype else array.astype(output.dtype)
        if create_graph and isinstance(grad, Tensor) and grad.requires_grad:
            return grad if grad.dtype == output.dtype else grad.astype(output.dtype)
    return Tensor._make(seed) if create_graph else seed


def _edge_of(tensor: Tensor) -> tuple[Any, int]:
    node = tensor.grad_fn
    return (node, tensor._output_index) if node is not None else (tensor, 0)


@contextmanager
def _backward_mode(create_graph: bool) -> Iterator[None]:
    """Inside backward: record only under create_graph, hand Primitives arrays otherwise, and stay quiet
    about infinite local derivatives (sqrt or log at 0 are real answers; detect_anomaly() finds them)."""
    flags = _state.flags
    previous = flags.grad_enabled, flags.arrays_in_backward
    flags.grad_enabled, flags.arrays_in_backward = create_graph, not create_graph
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        flags.grad_enabled, flags.arrays_in_backward = previous


_NOT_CALLED: Any = object()


def _call_backward(node: Function, grads: list[Any], create_graph: bool,
                   result: Any = _NOT_CALLED) -> tuple[Any, ...]:
    """node.backward in its own dialect (unless `result` is what a Primitive's backward already returned);
    the result as one gradient per input."""
    if result is not _NOT_CALLED:
        pass
    elif node.backward_on_arrays or create_graph:
        result = node.backward(*grads)
    else:  # a user's Function gets Tensors, and gives back Tensors or arrays
        result = node.backward(*[Tensor._make(g) for g in grads])
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node.next_edges):
        result = _pad_grads(node, result)
    return result


def _pad_grads(node: Function, grads: tuple[Any, ...]) -> tuple[Any, ...]:
    """Trailing gradients for non-tensor arguments (axis, constants) may be omitted: pad them with None."""
    edges = node.next_edges
    if len(grads) > len(edges) or any(e is not None for e in edges[len(grads):]):
        raise GraphError(
            f"{node.name}.backward returned {len(grads)} gradients, but the op has {len(edges)} inputs "
            "(return one per input, None for those that get no gradient)"
        )
    return grads + (None,) * (len(edges) - len(grads))


def _conform(g: Any, shape: tuple[int, ...], dtype: np.dtype, node: Function, create_graph: bool) -> Any:
    """Bring one input gradient to the input's kind (array or Tensor), shape and dtype."""
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g))
    elif type(g) is not np.ndarray:
        g = g.data if isinstance(g, Tensor) else np.asarray(g)
    if g.shape != shape:
        try:
            g = sum_to(g, shape)  # undo broadcasting: a value copied k times gets the k gradients summed
        except ShapeError:
            raise ShapeError(
                f"{node.name}.backward returned a gradient of shape {g.shape} for an input of shape {shape}"
            ) from None
    if g.dtype != dtype:
        g = g.astype(dtype)
    if _state.flags.anomaly_enabled:
        _check_finite(node, g)
    return g


def _add(a: Any, b: Any) -> Any:
    """a + b, keeping arrays arrays (NumPy returns a scalar for two 0-d arrays)."""
    total = a + b
    return np.asarray(total) if isinstance(total, np.generic) else total


def _as_tensor(grad: Any) -> Tensor:
    return grad if isinstance(grad, Tensor) else Tensor._make(np.asarray(grad))


def _output_grads_seen_by_user(node: Function, grads: list[Any], wanted: Wanted | None, shared: set[int],
                               create_graph: bool) -> list[Any]:
    """Fill an unused output's gradient with zeros, run tensor hooks, keep retained and requested gradients.

    Arrays handed to the user are noted in `shared`, so that no leaf's `.grad` later adds into them.
    """
    grads = list(grads)
    for slot, (shape, dtype) in enumerate(node.output_specs):
        if grads[slot] is None:  # an output of a multi-output op that nothing used
            zeros = np.zeros(shape, dtype=dtype)
            grads[slot] = Tensor._make(zeros) if create_graph else zeros
        hooks = node._hooks.get(slot) if node._hooks else None
        if hooks:
            grads[slot] = _run_hooks(hooks, grads[slot], shape, create_graph)
            shared.add(id(grads[slot]))
        kept = node._retained.get(slot) if node._retained else None
        tensor = kept() if kept is not None else None
        if tensor is not None:
            grad = _as_tensor(grads[slot])
            shared.add(id(grad.data))
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        if wanted is not None and (node, slot) in wanted.outputs:
            wanted.found[wanted.outputs[(node, slot)]] = _as_tensor(grads[slot])
            shared.add(id(grads[slot]))
    return grads


def _run_hooks(hooks: list[Any], grad: Any, shape: tuple[int, ...], create_graph: bool) -> Any:
    """Call each hook with the gradient as a Tensor; a returned value replaces it (same shape required)."""
    for hook in list(hooks):
        replacement = hook(_as_tensor(grad))
        if replacement is None:
            continue
        array = replacement.data if isinstance(replacement, Tensor) else np.asarray(replacement)
        if array.shape != shape:
            raise ShapeError(
                f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape {array.shape} for a "
                f"tensor of shape {shape}; a hook must return None or a gradient of the tensor's shape"
            )
        grad = _as_tensor(replacement) if create_graph else array
    return grad


def _accumulate_into_grad(leaf: Tensor, grad: Any, shared: set[int], create_graph: bool) -> None:
    """Add `grad` to `leaf.grad`, in place when we own the array (as PyTorch's AccumulateGrad does)."""
    if create_graph or isinstance(grad, Tensor):
        grad = _as_tensor(grad)
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        return
    existing = leaf.grad
    if existing is None:
        # Never keep an array another gradient or a view also refers to: the next backward adds into it.
        if grad.base is not None or id(grad) in shared or not grad.flags.writeable:
            grad = grad.copy()
        shared.add(id(grad))
        leaf.grad = Tensor._make(grad)
    elif not existing.requires_grad and existing.data.flags.writeable and existing.data.dtype == grad.dtype:
        np.add(existing.data, grad, out=existing.data)
    else:
        leaf.grad = Tensor._make(np.asarray(existing.data + grad))


def _check_finite(node: Function, g: Any) -> None:
    if np.all(np.isfinite(g.data if isinstance(g, Tensor) else g)):
        return
    where = node.creation_trace or "(created outside detect_anomaly(), so its origin was not recorded)\n"
    raise GraphError(
        f"detect_anomaly: {node.name}.backward produced NaN or Inf in a gradient (shape {g.shape}). "
        f"The {node.name} op was created at:\n{where}"
    )


# ---------------------------------------------------------------------- the public entry points
def backward(tensor: Tensor, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into `.grad` of every leaf that requires grad (`Tensor.backward`).

    Args:
        grad: d(loss)/d(tensor), same shape as the tensor. Optional only for a single-element tensor.
        retain_graph: keep the saved values so backward can run through this graph again
            (defaults to `create_graph`).
        create_graph: record the backward pass itself, so gradients can be differentiated again.
    """
    backward_pass((tensor,), (grad,), create_graph if retain_graph is None else retain_graph, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple (`.grad` is left untouched).

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or sequence of tensors (leaves or intermediate results) to differentiate by.
        grad_outputs: d(loss)/d(output) for each output; may be None for single-element outputs.
        retain_graph: keep the graph for another backward (defaults to `create_graph`).
        create_graph: record the computation, so the returned gradients can be differentiated again.
        allow_unused: return None for inputs that the outputs do not depend on, instead of raising.
    """
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        gouts: Sequence[Any] = (None,) * len(outs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) and len(outs) == 1:
        gouts = (grad_outputs,)
    else:
        gouts = tuple(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, tensor in enumerate(ins):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise GraphError(f"grad: input {i} does not require grad, so it has no gradient")
    found = backward_pass(outs, gouts, create_graph if retain_graph is None else retain_graph, create_graph, ins)
    result = tuple(found.get(id(t)) for t in ins)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise GraphError(
                f"grad: input {i} (shape {ins[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return result


def topological_order(roots: Iterable[Function]) -> list[Function]:
    """Every node reachable from `roots`, once each, consumers before producers.

    The reverse of a depth-first post-order, computed with an explicit stack (no recursion limit).
    `backward_pass` does not need it (the clock gives it an order); `autograd.grad` uses it to find the
    part of the graph that leads to the tensors asked for.
    """
    order: list[Function] = []
    visited: set[Function] = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.next_edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None and isinstance(edge[0], Function) and edge[0] not in visited:
                    visited.add(edge[0])
                    stack.append((edge[0], iter(edge[0].next_edges)))
                    break  # descend first; this node's remaining edges are resumed later
            else:
                stack.pop()
                order.append(node)  # all of its producers are already listed
    order.reverse()
    return order
