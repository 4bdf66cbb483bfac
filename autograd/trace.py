"""Tracing: watch one eager call of a function and write down everything a replay must repeat.

`autograd.compile` runs the function eagerly with a `Tracer` in `mode.state.flags.tracer`. The engine
reports to it as it goes: each op (`op`, from `Function.apply`), each backward pass (`backward`, from
`graph.backward_pass`), each in-place change (`inplace`, `setitem`) and `.grad` assignment
(`grad_assigned`); `nn` reports its optimizer steps as opaque calls (`opaque`) and the `training` flags
its modules read (`guard`). A conversion of a traced value to Python data (`.item()`, `bool()`,
`np.asarray()`) is refused (`leaving_the_graph`): the Python code that uses it cannot be replayed.

What the tracer writes down is a list of steps, each naming where its inputs come from ("refs"):

    ("arg", i)         the i-th argument of the call (a new batch each call)
    ("out", k, j)      output j of step k
    ("live", tensor)   a tensor that exists outside the call (a parameter): its `.data` is read at replay
    ("grad", ref)      the `.grad` of a leaf (a live tensor or an argument), as a backward pass left it
    ("const", value)   anything else (an axis, a Python number, a constant array), fixed

`autograd.plan.Plan` compares two such traces and replays them.
"""

from __future__ import annotations

import os
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.function import Function
from autograd.graph import topological_order
from autograd.tensor import Tensor

Ref = tuple[Any, ...]


class CompileError(RuntimeError):
    """A compiled function did something a replay could not reproduce; the message says what and how to fix it."""


@dataclass
class OpStep:
    """Run an op's forward: `node.forward(*inputs, **kwargs)`."""

    node: Function
    inputs: list[Ref]
    kwargs: dict[str, Ref]
    outputs: int
    where: str  # the line of user code that ran the op, for error messages


@dataclass
class BackwardStep:
    """A backward pass: the nodes that run (latest first), where each gradient goes, and the leaves."""

    roots: list[Ref]  # per output: ("node", k, j) or ("leaf", i)
    seeds: list[Ref]  # per output: the seed gradient
    order: list[int]  # the steps whose nodes run, latest first
    edges: dict[int, list[Ref | None]]  # step -> per input: ("node", k, j), ("leaf", i) or None
    leaves: list[Ref]  # the leaves that receive gradients ("live" or "arg" refs)
    retain_graph: bool
    where: str


@dataclass
class InplaceStep:
    """`target ufunc= value` on the target's memory (outside a recorded graph)."""

    ufunc: np.ufunc
    target: Ref
    value: Ref
    where: str


@dataclass
class SetItemStep:
    """`target[index] = value`."""

    target: Ref
    index: Ref
    value: Ref
    where: str


@dataclass
class GradStep:
    """`tensor.grad = value` (usually None)."""

    tensor: Ref
    value: Ref
    where: str


@dataclass
class CallStep:
    """An opaque call (an optimizer's step): `function(*args, **kwargs)`, run as it is at every replay."""

    function: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    where: str


Step = OpStep | BackwardStep | InplaceStep | SetItemStep | GradStep | CallStep


@dataclass
class Trace:
    """What one traced call did: its steps, its result (as refs), and the guards it read."""

    steps: list[Step] = field(default_factory=list)
    result: Any = None
    guards: list[tuple[Any, str, Any]] = field(default_factory=list)


class Tracer:
    """Collects a `Trace` while the engine runs a call eagerly (see the module docstring)."""

    def __init__(self, args: tuple[Tensor, ...]) -> None:
        self.trace = Trace()
        # id(array) -> (weak reference to the array, where a replay finds it). Weak, so that tracing frees
        # what eager mode frees (its peak memory is eager's); the reference tells a reused id apart.
        self.sources: dict[int, tuple[Any, Ref]] = {}
        self.node_steps: dict[Function, int] = {}
        self.paused = 0  # > 0 inside a backward pass or an opaque call: nothing there is traced
        self.args = args
        for i, arg in enumerate(args):
            self._known(arg.data, ("arg", i))

    # ------------------------------------------------------------------ refs
    def _known(self, array: np.ndarray, ref: Ref) -> None:
        self.sources[id(array)] = (weakref.ref(array), ref)

    def source(self, array: Any) -> Ref | None:
        """Where a replay finds `array`, if it is an argument, an op's output or a gradient of this call."""
        entry = self.sources.get(id(array))
        return entry[1] if entry is not None and entry[0]() is array else None

    def ref(self, value: Any) -> Ref:
        """Where a replay finds `value`, an argument of an op."""
        if isinstance(value, Tensor):
            known = self.source(value.data)
            return known if known is not None else ("live", value)
        if isinstance(value, np.ndarray):
            known = self.source(value)
            return known if known is not None else ("const", value)
        return ("const", value)

    def leaf_ref(self, leaf: Tensor) -> Ref:
        """A leaf that gets a gradient: a parameter (live) or an argument; never a tensor made inside."""
        ref = self.ref(leaf)
        if ref[0] == "arg" or (ref[0] == "live" and leaf is ref[1]):
            return ref
        raise CompileError(
            f"a compiled function computes the gradient of a tensor (shape {leaf.shape}) created inside it "
            f"({_user_line()}); create the tensors you differentiate by outside the function, or pass them "
            "as arguments"
        )

    # ------------------------------------------------------------------ what the engine reports
    def op(self, node: Function, args: Any, arrays: Any, kwargs: dict[str, Any], outputs: tuple[Tensor, ...]) -> None:
        if self.paused:
            return
        k = len(self.trace.steps)
        self.trace.steps.append(OpStep(node, [self.ref(a) for a in args],
                                       {name: self.ref(v) for name, v in kwargs.items()}, len(outputs), _user_line()))
        self.node_steps[node] = k
        for j, out in enumerate(outputs):
            self._known(out.data, ("out", k, j))

    def backward(self, outputs: Any, seeds: list[Any], retain_graph: bool, create_graph: bool, inputs: Any,
                 run: Any) -> Any:
        """A backward pass: write down its schedule, then let it run eagerly (untraced)."""
        if self.paused:
            return run()
        where = _user_line()
        if create_graph or inputs is not None:
            raise CompileError(
                f"{'autograd.grad' if inputs is not None else 'create_graph=True'} inside a compiled function "
                f"({where}) is not supported: a compiled step runs one first-order backward() into .grad"
            )
        step = self._schedule(outputs, seeds, retain_graph, where)
        self.trace.steps.append(step)
        self.paused += 1
        try:
            result = run()
        finally:
            self.paused -= 1
        for leaf_ref in step.leaves:  # later steps may read the leaves' new .grad
            leaf = leaf_ref[1] if leaf_ref[0] == "live" else self.args[leaf_ref[1]]
            if leaf.grad is not None:
                self._known(leaf.grad.data, ("grad", leaf_ref))
        return result

    def _schedule(self, outputs: Any, seeds: list[Any], retain_graph: bool, where: str) -> BackwardStep:
        starts = [out.grad_fn for out in outputs if out.grad_fn is not None]
        nodes = sorted(topological_order(starts), key=lambda node: -node.sequence_number)
        leaves: list[Ref] = []
        leaf_index: dict[int, int] = {}

        def target(edge: Any) -> Ref | None:
            if edge is None:
                return None
            source, index = edge
            if isinstance(source, Tensor):
                if source._hooks:
                    raise CompileError(f"tensor hooks are not supported in a compiled function ({where})")
                if id(source) not in leaf_index:
                    leaf_index[id(source)] = len(leaves)
                    leaves.append(self.leaf_ref(source))
                return ("leaf", leaf_index[id(source)])
            return ("node", self.node_steps[source], index)

        for node in nodes:
            if node not in self.node_steps:
                raise CompileError(
                    f"backward() at {where} reaches an operation ({node.name}) recorded outside the compiled "
                    "function; a compiled step must compute its loss from its arguments and parameters"
                )
            if node._hooks or node._retained:
                raise CompileError(f"tensor hooks and retain_grad() are not supported in a compiled function "
                                   f"({where})")
        edges = {self.node_steps[node]: [target(edge) for edge in node.next_edges] for node in nodes}
        roots = [target((out.grad_fn, out._output_index) if out.grad_fn is not None else (out, 0)) for out in outputs]
        return BackwardStep(roots, [self.ref(seed) for seed in seeds], [self.node_steps[n] for n in nodes], edges,
                            leaves, retain_graph, where)

    def inplace(self, tensor: Tensor, ufunc: np.ufunc, value: Any) -> None:
        if not self.paused:
            self.trace.steps.append(InplaceStep(ufunc, self.ref(tensor), self.ref(value), _user_line()))

    def setitem(self, tensor: Tensor, index: Any, value: Any) -> None:
        if not self.paused:
            self.trace.steps.append(SetItemStep(self.ref(tensor), ("const", index), self.ref(value), _user_line()))

    def grad_assigned(self, tensor: Tensor, value: Any) -> None:
        if not self.paused:
            self.trace.steps.append(GradStep(self.ref(tensor), self.ref(value), _user_line()))

    def opaque(self, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run `function` now, untraced, and write it down to be called again at every replay."""
        if self.paused:
            return function(*args, **kwargs)
        for value in (*args, *kwargs.values()):
            if isinstance(value, (Tensor, np.ndarray)) and self.ref(value)[0] not in ("live", "const"):
                raise CompileError(f"{getattr(function, '__qualname__', function)} was given a value computed "
                                   "inside the compiled function; an opaque call takes only fixed arguments")
        self.trace.steps.append(CallStep(function, args, kwargs, _user_line()))
        self.paused += 1
        try:
            return function(*args, **kwargs)
        finally:
            self.paused -= 1

    def guard(self, obj: Any, attribute: str) -> None:
        """The traced code read `obj.<attribute>` (a module's `training`): a replay requires the same value."""
        if not self.paused:
            self.trace.guards.append((obj, attribute, getattr(obj, attribute)))

    def leaving_the_graph(self, tensor: Tensor, how: str) -> None:
        if self.paused or (self.source(tensor.data) or ("live",))[0] in ("live", "const"):
            return
        raise CompileError(
            f"{how} of a tensor computed inside a compiled function ({_user_line()}): the Python code that uses "
            "the value could not be replayed. Return the tensor from the function and read it after the call "
            "(loss = step(x, t); loss.item()), or choose with autograd.where instead of if"
        )

    def result(self, value: Any) -> Any:
        """The function's return value, as refs (a tensor, or tuples, lists and dicts of them)."""
        if isinstance(value, Tensor):
            return ("tensor", self.ref(value))
        if isinstance(value, (tuple, list)):
            return (type(value), [self.result(v) for v in value])
        if isinstance(value, dict):
            return (dict, {k: self.result(v) for k, v in value.items()})
        if isinstance(value, np.ndarray) and self.ref(value)[0] != "const":
            raise CompileError("a compiled function returned an array computed inside it; return tensors")
        return ("const", value)


_PACKAGES = tuple(os.path.dirname(os.path.dirname(__file__)) + os.sep + name + os.sep for name in ("autograd", "nn"))


def _user_line() -> str:
    """The innermost line of code outside autograd and nn that led here, as 'file:line'."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGES):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "<unknown>"
