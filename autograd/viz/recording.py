"""Keep what a picture needs to show about intermediate results: their values and their gradients.

The engine deliberately keeps no reference to a node's outputs (that would keep every intermediate array
alive) nor to the inputs that need no gradient (constants, input data). A picture drawn afterwards can
therefore show the values of the roots and the leaves, but not of `price * count`, and gradients only where
`.grad` is kept. Inside `record()`, every recorded op also files, in a registry keyed *weakly* by its node:

* its output arrays (references, not copies) and weak references to the output tensors (for their names);
* the constant tensors it was given, so the picture can draw them;
* its non-tensor arguments (`axis=0`, `exponent=2`), for the op's label;
* an output hook on the node that copies the gradient of each output when backward reaches it.

The entries disappear with the graph, so recording never keeps a graph alive; while the graph lives, its
intermediate arrays do too, which is the price of the picture. Outside `record()` nothing is filed and the
engine pays one thread-local check per op.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import mode
from autograd.function import Function
from autograd.tensor import Tensor

_MAX_ARGUMENT_CHARS = 40  # an argument longer than this is shortened in the op's label

# Positional parameters of `forward` that take settings, not data (`Sum.forward(x, axes, keepdims)`): a
# recorded op shows them in its label (`axes=(0,)`). Any other non-tensor argument is data: a number is
# shown the textbook way (`× 2`), and None is an absent input (Linear's `b` without a bias), not shown.
# Without record(), structure.py draws an input that needs no gradient as a constant unless its
# parameter is a setting (or Linear's `b`, usually an absent bias rather than a constant).
SETTING_PARAMETERS = frozenset({"axes", "axis", "keepdims", "shape", "repeats", "index", "reduction", "dtype",
                                "slope", "lo", "hi"})


@dataclass(slots=True)
class NodeRecord:
    """What `record()` kept about one node (all tuples are indexed like the node's outputs or inputs)."""

    outputs: tuple[np.ndarray, ...]
    output_refs: tuple[weakref.ref[Tensor], ...]
    grads: list[np.ndarray | None]  # d(root)/d(output i) from the latest backward pass, None before one
    constants: tuple[Tensor | None, ...]  # per input: the tensor if it needs no gradient, else None
    arguments: tuple[tuple[str, str], ...]  # (name, short text) of each non-tensor argument


_records: weakref.WeakKeyDictionary[Function, NodeRecord] = weakref.WeakKeyDictionary()


@contextmanager
def record() -> Iterator[None]:
    """Keep values and gradients of every intermediate result recorded inside the block, for pictures.

    Run the forward pass inside it (backward may run inside or after it):

        with viz.record():
            loss = model(x)
        loss.backward()
        viz.save_graph(loss, path="loss.svg", show_data=True, show_grad=True)

    Without it, pictures still show the graph's structure and shapes, and the values and gradients of
    the leaves and of the tensors you pass in. Recording is per thread and nests.
    """
    previous = mode.state.flags.on_record
    mode.state.flags.on_record = _observe
    try:
        yield
    finally:
        mode.state.flags.on_record = previous


def lookup(node: Function) -> NodeRecord | None:
    """What `record()` kept about `node`, or None if it was recorded outside `record()`."""
    return _records.get(node)


def _observe(node: Function, args: tuple[Any, ...], kwargs: dict[str, Any], outputs: tuple[Tensor, ...]) -> None:
    """The `on_record` callback: file what the picture will need about this freshly recorded node."""
    grads: list[np.ndarray | None] = [None] * len(outputs)
    _records[node] = NodeRecord(
        outputs=tuple(out.data for out in outputs),
        output_refs=tuple(weakref.ref(out) for out in outputs),
        grads=grads,
        constants=tuple(a if isinstance(a, Tensor) and not a.requires_grad else None for a in args),
        arguments=_describe_arguments(type(node), args, kwargs),
    )
    for index in range(len(outputs)):
        # The hook holds the list, not the node, so no reference cycle keeps the graph alive.
        node.register_output_hook(index, functools.partial(_keep_grad, grads, index))


def _keep_grad(grads: list[np.ndarray | None], index: int, grad: Any) -> None:
    # A copy: the engine may later add into this very array in place (accumulating a leaf's .grad).
    grads[index] = np.array(grad.data if isinstance(grad, Tensor) else grad, copy=True)


@functools.cache
def forward_parameter_names(cls: type) -> tuple[tuple[str, ...], bool]:
    """Names of `cls.forward`'s positional parameters (without self), and whether it takes *args."""
    try:
        parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return (), True
    names = tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    return names, variadic


def _describe_arguments(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    names, variadic = forward_parameter_names(cls)
    described = []
    for i, value in enumerate(args):
        if isinstance(value, Tensor):
            continue
        name = names[i] if i < len(names) and not variadic else f"arg{i}"
        if value is None and name not in SETTING_PARAMETERS:
            continue  # an absent input, like a Linear layer's missing bias: no arrow, nothing to label
        described.append((name, _short_text(value)))
    for name, value in kwargs.items():
        if not isinstance(value, Tensor):
            described.append((name, _short_text(value)))
    return tuple(described)


def _short_text(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a number the op converted: `x * 2` shows "2"
        return _short_text(value.item())
    if isinstance(value, np.ndarray):
        return f"array{value.shape}" if value.size > 4 else np.array2string(value, separator=", ")
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if type(value) is tuple and any(isinstance(v, np.ndarray) for v in value):  # fancy indices
        text = "(" + ", ".join(_short_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.4g}"  # 1.1, not the float32 noise 1.100000023841858
    else:
        text = repr(value)
    return text if len(text) <= _MAX_ARGUMENT_CHARS else text[: _MAX_ARGUMENT_CHARS - 1] + "…"
