"""The backward pass: topological order and the chain rule, written once for every operation.

The graph: each recorded `Function` node holds `next_edges`, one per input, pointing at the node that
produced that input (with the output index), at a leaf tensor, or at None when the input needs no gradient.

`run_backward` does three things:

1. It visits the nodes in a topological order: every node runs only after all the nodes that used its
   outputs. Such an order comes for free: each node gets a sequence number when it is recorded, and a
   node's consumers were necessarily recorded after it. So nodes that have received a gradient wait in a
   heap, and the most recently recorded one runs next. Each node runs once, however many paths lead to
   it, and there is no recursion (a chain of a million ops is fine).
2. Each node receives the sum of the gradients of everything that used its outputs (a node used twice,
   a "branch", gets both contributions added) and its `backward` turns them into gradients for its
   inputs. The order guarantees that sum is complete before the node runs.
3. Gradients arriving at leaves are summed and added to `leaf.grad`.

`topological_order` computes such an order explicitly, by an iterative depth-first search; `grad()` uses
it to run only the part of the graph that leads to the tensors asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from autograd import mode
from autograd.errors import GraphError, ShapeError
from autograd.function import Function
from autograd.functions.shape import sum_to
from autograd.tensor import Tensor

_state = mode.state


def topological_order(roots: Iterable[Function]) -> list[Function]:
    """Every node reachable from `roots`, once each, consumers before producers.

    This is the reverse of a depth-first post-order, computed with an explicit stack.
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
                if edge is not None:
                    parent = edge[0]
                    if isinstance(parent, Function) and parent not in visited:
                        visited.add(parent)
                        stack.append((parent, iter(parent.next_edges)))
                        break  # descend first; this node's remaining edges are resumed later
            else:
                stack.pop()
                order.append(node)  # all of its producers are already listed
    order.reverse()
    return order


def _seed_grad(output: Tensor, grad: Any) -> Tensor:
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
        data = output.data
        return Tensor._wrap(np.array(1, dtype=data.dtype).reshape(data.shape))  # np.ones is slower
    grad = grad if isinstance(grad, Tensor) else Tensor._wrap(np.asarray(grad, dtype=output.dtype))
    if grad.shape != output.shape:
        raise ShapeError(f"backward: grad of shape {grad.shape} does not match the output's shape {output.shape}")
    if grad.dtype != output.dtype:
        grad = grad.astype(output.dtype)
    return grad


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any],
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...] | None:
    """Backpropagate from `outputs`. With `inputs`, return their gradients instead of touching `.grad`.

    Scheduling: nodes wait in a heap keyed by their sequence number, and the largest number (the most
    recently recorded op) runs first. Every consumer of a node's outputs was recorded after it, so by the
    time a node comes off the heap all the gradients flowing into it have been summed: a topological
    order, found while walking, with no separate pass over the graph.

    Without `create_graph`, gradients travel as raw ndarrays (Tensors appear only where user code sees
    them: hooks, `.grad`, the result of `grad()`); with it, they are Tensors and every step is recorded.
    """
    if retain_graph is None:
        retain_graph = create_graph
    seeds = [_seed_grad(out, g) for out, g in zip(outputs, grad_outputs, strict=True)]
    use_arrays = not create_graph

    pending: dict[Function, list[Any]] = {}  # node -> summed gradient of each of its outputs
    heap: list[tuple[int, Function]] = []  # (-sequence number, node): latest node first
    leaf_grads: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, summed gradient]
    handed_out: set[int] = set()  # gradient arrays already referenced elsewhere: copy before storing

    for out, seed in zip(outputs, seeds, strict=True):
        handed_out.add(id(seed.data))
        grad = seed.data if use_arrays else seed
        node = out.grad_fn
        if node is None:
            entry = leaf_grads.get(id(out))
            if entry is None:
                leaf_grads[id(out)] = [out, grad]
            else:
                entry[1] = entry[1] + grad
            continue
        buffer = pending.get(node)
        if buffer is None:
            buffer = pending[node] = [None] * node.num_outputs
            heappush(heap, (-node.sequence_number, node))
        slot = out._output_index
        buffer[slot] = grad if buffer[slot] is None else buffer[slot] + grad

    # grad(): the gradients asked for, and only the part of the graph that leads to them.
    captured: list[Any] = []
    leaf_targets: dict[int, int] = {}
    node_targets: dict[tuple[Function, int], int] = {}
    needed: set[Function] | None = None
    if inputs is not None:
        captured = [None] * len(inputs)
        for i, tensor in enumerate(inputs):
            if not isinstance(tensor, Tensor) or not tensor.requires_grad:
                raise GraphError(f"grad: input {i} does not require grad, so it has no gradient")
            if tensor.grad_fn is None:
                leaf_targets[id(tensor)] = i
            else:
                node_targets[(tensor.grad_fn, tensor._output_index)] = i
        needed = _nodes_leading_to(topological_order(list(pending)), leaf_targets, node_targets)
    flags = _state.flags
    anomaly = flags.anomaly_enabled

    previous_mode, previous_arrays = flags.grad_enabled, flags.arrays_in_backward
    flags.grad_enabled = create_graph  # record the backward pass only when asked to
    flags.arrays_in_backward = use_arrays
    # Infinite local derivatives (sqrt or log at 0) are real answers, not bugs: like PyTorch we do not
    # warn; detect_anomaly() is the tool that finds where a NaN or Inf gradient comes from.
    errstate = np.errstate(divide="ignore", invalid="ignore", over="ignore")
    errstate.__enter__()
    try:
        while heap:
            node = heappop(heap)[1]
            grads = pending.pop(node)
            if needed is not None and node not in needed:
                if not retain_graph:
                    node.release()
                continue
            if node._hooks or node._retained or node_targets or (
                    len(grads) > 1 and any(g is None for g in grads)):
                _prepare_output_grads(node, grads, handed_out, use_arrays, node_targets, captured)
            if use_arrays and not node.array_backward:  # a user's Function: backward expects Tensors
                input_grads = node.backward(*[Tensor._wrap(g) for g in grads])
            else:
                input_grads = node.backward(*grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            edges = node.next_edges
            if len(input_grads) != len(edges):
                input_grads = _as_grad_tuple(node, input_grads)
            for edge, g, shape, dtype in zip(edges, input_grads, node.input_shapes, node.input_dtypes, strict=True):
                if edge is None or g is None:
                    continue
                # The shared chain-rule step: bring the gradient to its input's type, shape and dtype.
                if use_arrays:
                    if type(g) is not np.ndarray:
                        g = g.data if isinstance(g, Tensor) else np.asarray(g)
                elif not isinstance(g, Tensor):
                    g = Tensor._wrap(np.asarray(g))
                if g.shape != shape:
                    g = _sum_to_input(node, edge, g)
                if g.dtype is not dtype and g.dtype != dtype:
                    g = g.astype(dtype)
                if anomaly:
                    _check_finite(node, edge, g)
                target, slot = edge
                if isinstance(target, Function):
                    buffer = pending.get(target)
                    if buffer is None:
                        buffer = pending[target] = [None] * target.num_outputs
                        buffer[slot] = g
                        heappush(heap, (-target.sequence_number, target))
                    else:
                        buffer[slot] = g if buffer[slot] is None else buffer[slot] + g
                else:
                    entry = leaf_grads.get(id(target))
                    if entry is None:
                        leaf_grads[id(target)] = [target, g]
                    else:
                        entry[1] = entry[1] + g
            if not retain_graph and node._saved is not None:
                node.release()
    finally:
        errstate.__exit__(None, None, None)
        flags.grad_enabled, flags.arrays_in_backward = previous_mode, previous_arrays

    for leaf, g in leaf_grads.values():
        if use_arrays:
            g = Tensor._wrap(g)
        if leaf._hooks:
            for hook in list(leaf._hooks):
                replacement = hook(g)
                if replacement is not None:
                    g = replacement if isinstance(replacement, Tensor) else Tensor._wrap(np.asarray(replacement))
        if inputs is not None:
            index = leaf_targets.get(id(leaf))
            if index is not None:
                captured[index] = g
        else:
            _store_leaf_grad(leaf, g, handed_out, create_graph)

    if inputs is None:
        return None
    for i, g in enumerate(captured):
        if g is None and not allow_unused:
            raise GraphError(
                f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(captured)


def _as_grad_tuple(node: Function, input_grads: Any) -> tuple[Any, ...]:
    """Backward's result as one gradient per input: a single gradient becomes a 1-tuple, and trailing
    gradients for non-tensor arguments (axis, constants) may be omitted: they are padded with None."""
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    edges = node.next_edges
    if len(input_grads) > len(edges) or any(e is not None for e in edges[len(input_grads):]):
        raise GraphError(
            f"{node.name}.backward returned {len(input_grads)} gradients, but the op has "
            f"{len(edges)} inputs (return one per input, None for those that get no gradient)"
        )
    return input_grads + (None,) * (len(edges) - len(input_grads))


def _nodes_leading_to(order: list[Function], leaf_targets: dict[int, int],
                      node_targets: dict[tuple[Function, int], int]) -> set[Function]:
    """The nodes whose backward contributes to a requested gradient (the rest need not run)."""
    target_nodes = {node for node, _ in node_targets}
    needed: set[Function] = set()
    for node in reversed(order):  # producers first, so a node's inputs are decided before it
        for edge in node.next_edges:
            if edge is None:
                continue
            target = edge[0]
            if (target in needed) if isinstance(target, Function) else (id(target) in leaf_targets):
                needed.add(node)
                break
        if node in target_nodes:
            needed.add(node)
    return needed


def _prepare_output_grads(node: Function, grads: list[Any], handed_out: set[int], use_arrays: bool,
                          node_targets: dict[tuple[Function, int], int], captured: list[Any]) -> None:
    """Fill missing output gradients with zeros, run tensor hooks, keep retained and requested gradients.

    Gradients travel as ndarrays when `use_arrays`; hooks, `.grad` and `grad()` results get Tensors.
    """
    def as_tensor(g: Any) -> Tensor:
        return Tensor._wrap(g) if use_arrays else g

    def from_user(g: Any) -> Any:
        if use_arrays:
            return g.data if isinstance(g, Tensor) else np.asarray(g)
        return g if isinstance(g, Tensor) else Tensor._wrap(np.asarray(g))

    for slot, g in enumerate(grads):
        if g is None:  # an output of a multi-output op that nothing used
            shape, dtype = node.output_specs[slot]
            grads[slot] = from_user(np.zeros(shape, dtype=dtype))
    if node._hooks:
        for slot, hooks in node._hooks.items():
            for hook in list(hooks):
                replacement = hook(as_tensor(grads[slot]))
                if replacement is not None:
                    grads[slot] = from_user(replacement)
    if node._retained:
        for slot, ref in node._retained.items():
            tensor = ref()
            if tensor is not None:
                g = as_tensor(grads[slot])
                handed_out.add(id(g.data))
                tensor.grad = g if tensor.grad is None else (
                    tensor.grad + g if not use_arrays else Tensor._wrap(tensor.grad.data + g.data))
    if node_targets:
        for slot, g in enumerate(grads):
            index = node_targets.get((node, slot))
            if index is not None:
                handed_out.add(id(g.data) if isinstance(g, Tensor) else id(g))
                captured[index] = as_tensor(g)


def _sum_to_input(node: Function, edge: tuple[Any, int], g: Any) -> Any:
    """Undo broadcasting: sum a gradient (array or Tensor) back to the shape of the input behind `edge`."""
    i = _input_index(node, edge)
    shape = node.input_shapes[i]
    try:
        return sum_to(g, shape)
    except ShapeError:
        raise ShapeError(
            f"{node.name}.backward returned a gradient of shape {g.shape} for input {i}, "
            f"whose shape is {shape}"
        ) from None


def _input_index(node: Function, edge: tuple[Any, int]) -> int:
    """Which input an edge belongs to (found by identity: Tensors compare elementwise)."""
    return next(i for i, e in enumerate(node.next_edges) if e is edge)


def _check_finite(node: Function, edge: tuple[Any, int], g: Any) -> None:
    if np.all(np.isfinite(g.data if isinstance(g, Tensor) else g)):
        return
    i = _input_index(node, edge)
    where = node.creation_trace or "(created outside detect_anomaly(), so its origin was not recorded)\n"
    raise GraphError(
        f"detect_anomaly: {node.name}.backward produced NaN or Inf in the gradient of input {i} "
        f"(shape {g.shape}). The {node.name} op was created at:\n{where}"
    )


def _store_leaf_grad(leaf: Tensor, g: Tensor, handed_out: set[int], create_graph: bool) -> None:
    """Add `g` to `leaf.grad`, in place when we own the array (as PyTorch's AccumulateGrad does)."""
    if create_graph or g.requires_grad:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    if leaf.grad is None:
        array = g.data
        if array.base is None and array.flags.writeable and id(array) not in handed_out:  # the usual case
            handed_out.add(id(array))
            leaf.grad = g
            return
        # Never store an array that is a view or is also referenced by another gradient: the next
        # backward adds into .grad in place, which must not change anything else.
        if array.base is not None or id(array) in handed_out or not array.flags.writeable:
            array = array.copy()
        handed_out.add(id(array))
        leaf.grad = Tensor._wrap(array)
        return
    existing = leaf.grad
    if not existing.requires_grad and existing.data.flags.writeable and existing.data.dtype == g.dtype:
        np.add(existing.data, g.data, out=existing.data)
    else:
        leaf.grad = Tensor._wrap(existing.data + g.data)


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
    result = run_backward(outs, gouts, retain_graph=retain_graph, create_graph=create_graph,
                          inputs=ins, allow_unused=allow_unused)
    assert result is not None
    return result
