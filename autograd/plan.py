"""A plan: the static graph of a traced call, replayed directly on NumPy arrays.

`Plan(first, second)` checks that two traces of the same call did the same thing (so the computation
does not depend on anything but its arguments and its parameters), then turns the second into a flat
program. `replay(args)` runs it: each op's `forward` on arrays, each backward pass as a precomputed
schedule of `backward` calls, each in-place change, `.grad` assignment and opaque call (an optimizer's
step) in its place. No Tensor or node is created per op, nothing is scheduled, nothing is checked that
the trace already settled; the node objects of the trace are reused, so their `forward` keeps what
their `backward` needs exactly as in eager mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import versions
from autograd.function import quiet_numpy, restore_numpy
from autograd.graph import _accumulate_into_grad, _add, _backward_mode, _call_backward, _conform, _pad_grads
from autograd.tensor import Tensor
from autograd.trace import (
    BackwardStep,
    CallStep,
    CompileError,
    GradStep,
    InplaceStep,
    OpStep,
    Ref,
    SetItemStep,
    Step,
    Trace,
)

_tick = versions.tick


class Plan:
    """The program of one traced call (for one signature of arguments), ready to replay."""

    def __init__(self, first: Trace, second: Trace, n_args: int) -> None:
        _same_structure(first, second)
        self.trace = second
        self.n_args = n_args
        self.values: list[Any] = [None] * n_args  # args, then outputs, live tensors and constants
        self.index: dict[Any, int] = {}  # a ref's key -> its place in `values`
        self.live: list[tuple[int, Tensor, tuple[int, ...], np.dtype]] = []
        self.frozen = [_frozen(a, b) for a, b in zip(_refs(first), _refs(second), strict=True)]
        self.backward_steps = {k for step in second.steps if isinstance(step, BackwardStep) for k in step.order}
        self.program: list[Callable[[list[Any], tuple[Tensor, ...]], None]] = []
        self.op_count = sum(isinstance(step, OpStep) for step in second.steps)
        last_use = _last_uses(second)
        refs = iter(self.frozen)
        for k, step in enumerate(second.steps):
            self.program.append(self._compile(k, step, refs, [self._slot(("out", *key)) for key in
                                                            last_use.get(k, ())]))
        self.result = self._result(second.result, refs)
        self.guards = second.guards
        for k, step in enumerate(second.steps):  # the trace's arrays are not needed any more
            if isinstance(step, OpStep):
                if k not in self.backward_steps:
                    step.node._saved = None

    # ------------------------------------------------------------------ layout of the values
    def _slot(self, key: Any) -> int:
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(None)
        return self.index[key]

    def _input(self, ref: Ref) -> tuple[int, Any]:
        """(index in values, resolver or None): a resolver refreshes that index just before use."""
        kind = ref[0]
        if kind == "arg":
            return ref[1], None
        if kind == "out":
            return self._slot(ref), None
        if kind == "live":
            tensor = ref[1]
            key = ("live", id(tensor))
            if key not in self.index:
                self.live.append((self._slot(key), tensor, tensor.shape, tensor.dtype))
            return self.index[key], None
        if kind == "grad":
            leaf = ref[1]
            return self._slot(("grad", leaf[0], id(leaf[1]) if leaf[0] == "live" else leaf[1])), _grad_reader(leaf)
        index = len(self.values)  # a constant
        self.values.append(ref[1])
        return index, None

    # ------------------------------------------------------------------ one step at a time
    def _compile(self, k: int, step: Step, refs: Any, frees: list[int]) -> Callable[..., None]:
        if isinstance(step, OpStep):
            inputs = [self._input(next(refs)) for _ in step.inputs]
            kwargs = {name: self._input(next(refs)) for name in step.kwargs}
            outputs = [self._slot(("out", k, j)) for j in range(step.outputs)]
            return _op(step.node, inputs, kwargs, outputs, frees, keeps=k in self.backward_steps)
        if isinstance(step, BackwardStep):
            seeds = [self._input(next(refs)) for _ in step.seeds]
            return _backward(step, self.trace.steps, seeds, frees)
        if isinstance(step, InplaceStep):
            return _inplace(step.ufunc, self._input(next(refs)), self._input(next(refs)), frees)
        if isinstance(step, SetItemStep):
            target, index, value = (self._input(next(refs)) for _ in range(3))
            return _setitem(target, index, value, frees)
        if isinstance(step, GradStep):
            tensor_ref, value = next(refs), self._input(next(refs))
            return _set_grad(tensor_ref, value)
        assert isinstance(step, CallStep)
        return _call(step, self.live)

    def _result(self, shape: Any, refs: Any) -> Any:
        kind, payload = shape
        if kind == "tensor":
            return ("tensor", self._input(next(refs)))
        if kind == "const":
            return shape
        if kind is dict:
            return (dict, {key: self._result(value, refs) for key, value in payload.items()})
        return (kind, [self._result(value, refs) for value in payload])

    # ------------------------------------------------------------------ replay
    def matches(self) -> bool:
        """Do the parameters still have the shapes and dtypes, and the modules the modes, of the trace?"""
        for _, tensor, shape, dtype in self.live:
            if tensor.data.shape != shape or tensor.data.dtype != dtype:
                return False
        for obj, attribute, value in self.guards:
            if getattr(obj, attribute) != value:
                return False
        return True

    def replay(self, args: tuple[Tensor, ...]) -> Any:
        """Run the program on new arguments; return what the traced function returned, as new tensors."""
        values = self.values.copy()
        for i, arg in enumerate(args):
            values[i] = arg.data
        for index, tensor, _, _ in self.live:
            values[index] = tensor.data
        token = quiet_numpy()  # as in eager mode: no floating-point warnings (set once, not per op)
        try:
            for run in self.program:
                run(values, args)
        finally:
            restore_numpy(token)
        return _build(self.result, values, args)


# ---------------------------------------------------------------------- the steps, compiled
def _op(node: Any, inputs: list[tuple[int, Any]], kwargs: dict[str, tuple[int, Any]], outputs: list[int],
        frees: list[int], keeps: bool) -> Callable[..., None]:
    forward = node.forward
    indices = [i for i, _ in inputs]
    refresh = [(i, read) for i, read in (*inputs, *kwargs.values()) if read is not None]
    keyword = {name: i for name, (i, _) in kwargs.items()}
    single = outputs[0] if len(outputs) == 1 else None

    def run(values: list[Any], args: Any) -> None:
        for i, read in refresh:
            values[i] = read(args)
        node._saved = None
        node.sequence_number = _tick()  # a fresh number: in-place changes since the last replay are older
        arrays = [values[i] for i in indices]
        result = forward(*arrays, **{name: values[i] for name, i in keyword.items()}) if keyword else forward(*arrays)
        if single is not None:
            values[single] = result if type(result) is np.ndarray else np.asarray(result)
        else:
            for index, r in zip(outputs, result, strict=True):
                values[index] = r if type(r) is np.ndarray else np.asarray(r)
        if not keeps:
            node._saved = None  # no backward will read it: free it now
        for i in frees:
            values[i] = None

    return run


def _backward(step: BackwardStep, steps: list[Step], seeds: list[tuple[int, Any]], frees: list[int]) -> Any:
    """A backward pass as a fixed schedule: gradient slots per node output and per leaf."""
    slot_of: dict[Any, int] = {}

    def slot(target: Ref) -> int:
        return slot_of.setdefault(target, len(slot_of))

    schedule = []
    for k in step.order:
        node = steps[k].node  # type: ignore[union-attr]
        outs = [slot(("node", k, j)) for j in range(len(node.output_specs))]
        sends = [None if target is None else (slot(target), shape, dtype)
                 for target, shape, dtype in zip(step.edges[k], node.input_shapes, node.input_dtypes, strict=True)]
        schedule.append((node, outs, sends, node.backward_on_arrays))
    roots = [slot(root) for root in step.roots]
    leaves = [(slot(("leaf", i)), ref) for i, ref in enumerate(step.leaves)]
    n_slots, retain = len(slot_of), step.retain_graph

    def run(values: list[Any], args: Any) -> None:
        grads: list[Any] = [None] * n_slots
        shared = set()
        for root, (index, read) in zip(roots, seeds, strict=True):
            seed = read(args) if read is not None else values[index]
            shared.add(id(seed))
            grads[root] = seed if grads[root] is None else _add(grads[root], seed)
        with _backward_mode(False):
            for node, outs, sends, on_arrays in schedule:
                if len(outs) == 1:
                    output_grads = [grads[outs[0]]]
                    if output_grads[0] is None:  # no gradient reached it
                        if not retain:
                            node.release()
                        continue
                    grads[outs[0]] = None
                else:
                    output_grads = _multi_output_grads(node, outs, grads)
                    if output_grads is None:
                        if not retain:
                            node.release()
                        continue
                if on_arrays:  # a Primitive: arrays in, arrays out (as in graph._call_backward)
                    result = node.backward(*output_grads)
                    if type(result) is not tuple:
                        result = (result,)
                    if len(result) != len(sends):
                        result = _pad_grads(node, result)
                else:
                    result = _call_backward(node, output_grads, False)
                for send, g in zip(sends, result, strict=True):
                    if send is not None and g is not None:
                        target, shape, dtype = send
                        if type(g) is not np.ndarray or g.shape != shape or g.dtype != dtype:
                            g = _conform(g, shape, dtype, node, False)
                        grads[target] = g if grads[target] is None else _add(grads[target], g)
                if not retain:
                    node.release()
        for index, ref in leaves:
            if grads[index] is not None:
                _accumulate_into_grad(_tensor(ref, args), grads[index], shared, False)
        for i in frees:
            values[i] = None

    return run


def _multi_output_grads(node: Any, outs: list[int], grads: list[Any]) -> list[Any] | None:
    """The gradients of a node's several outputs (zeros for an unused one), or None if none arrived."""
    output_grads = [grads[s] for s in outs]
    if all(g is None for g in output_grads):
        return None
    for s in outs:
        grads[s] = None
    return [np.zeros(shape, dtype) if g is None else g for g, (shape, dtype) in zip(output_grads, node.output_specs,
                                                                                    strict=True)]


def _inplace(ufunc: np.ufunc, target: tuple[int, Any], value: tuple[int, Any], frees: list[int]) -> Any:
    def run(values: list[Any], args: Any) -> None:
        for i, read in (target, value):
            if read is not None:
                values[i] = read(args)
        array = values[target[0]]
        ufunc(array, values[value[0]], out=array, casting="same_kind")
        versions.note_change(array)
        for i in frees:
            values[i] = None

    return run


def _setitem(target: tuple[int, Any], index: tuple[int, Any], value: tuple[int, Any], frees: list[int]) -> Any:
    def run(values: list[Any], args: Any) -> None:
        for i, read in (target, value):
            if read is not None:
                values[i] = read(args)
        array = values[target[0]]
        array[values[index[0]]] = values[value[0]]
        versions.note_change(array)
        for i in frees:
            values[i] = None

    return run


def _set_grad(tensor_ref: Ref, value: tuple[int, Any]) -> Any:
    def run(values: list[Any], args: Any) -> None:
        index, read = value
        array = read(args) if read is not None else values[index]
        _tensor(tensor_ref, args).grad = None if array is None else Tensor._make(array)

    return run


def _call(step: CallStep, live: list[tuple[int, Tensor, Any, Any]]) -> Any:
    function, call_args, call_kwargs = step.function, step.args, step.kwargs

    def run(values: list[Any], args: Any) -> None:
        function(*call_args, **call_kwargs)
        for index, tensor, _, _ in live:  # the call may have given a parameter a new array
            values[index] = tensor.data

    return run


def _tensor(ref: Ref, args: tuple[Tensor, ...]) -> Tensor:
    """The tensor object behind a "live" or "arg" ref."""
    if ref[0] == "live":
        return ref[1]
    if ref[0] == "arg":
        return args[ref[1]]
    raise CompileError(f"a compiled function assigned .grad of a tensor it computed ({ref[0]})")


def _grad_reader(leaf: Ref) -> Callable[[tuple[Tensor, ...]], np.ndarray]:
    def read(args: tuple[Tensor, ...]) -> np.ndarray:
        grad = _tensor(leaf, args).grad
        if grad is None:
            raise CompileError("a compiled function read the .grad of a tensor that has none at this replay "
                               "(its gradient was reset between the backward pass and its use)")
        return grad.data

    return read


def _build(shape: Any, values: list[Any], args: Any) -> Any:
    kind, payload = shape
    if kind == "tensor":
        index, read = payload
        return Tensor._make(read(args) if read is not None else values[index])
    if kind == "const":
        return payload
    if kind is dict:
        return {key: _build(value, values, args) for key, value in payload.items()}
    return kind(_build(value, values, args) for value in payload)


# ---------------------------------------------------------------------- comparing two traces
def _refs(trace: Trace) -> list[Ref]:
    """Every ref of a trace, in a fixed order (the order `Plan._compile` consumes them)."""
    refs: list[Ref] = []
    for step in trace.steps:
        if isinstance(step, OpStep):
            refs += step.inputs + list(step.kwargs.values())
        elif isinstance(step, BackwardStep):
            refs += step.seeds
        elif isinstance(step, InplaceStep):
            refs += [step.target, step.value]
        elif isinstance(step, SetItemStep):
            refs += [step.target, step.index, step.value]
        elif isinstance(step, GradStep):
            refs += [step.tensor, step.value]
    _result_refs(trace.result, refs)
    return refs


def _result_refs(shape: Any, refs: list[Ref]) -> None:
    kind, payload = shape
    if kind == "tensor":
        refs.append(payload)
    elif kind is dict:
        for value in payload.values():
            _result_refs(value, refs)
    elif kind in (tuple, list):
        for value in payload:
            _result_refs(value, refs)


def _frozen(first: Ref, second: Ref) -> Ref:
    """The ref a replay uses, given the same place in two traces: the same source, or a constant."""
    if first[0] != second[0] and not (first[0] in ("live", "const") and second[0] in ("live", "const")):
        raise CompileError(f"an input came from {_describe(first)} in the first traced call and from "
                           f"{_describe(second)} in the second")
    if second[0] == "live" and first[0] == "live" and first[1] is second[1]:
        return second  # the same tensor object both times: a parameter, read at each replay
    if second[0] in ("live", "const"):
        a, b = (r[1].data if r[0] == "live" else r[1] for r in (first, second))
        if a is b or _equal(a, b):
            return ("const", b)
        raise CompileError(
            f"a value that is not an argument of the compiled function changed between two calls: "
            f"{_short(a)} then {_short(b)}. A replay would keep the first. Pass it as an argument, or compute "
            "it with autograd operations from the arguments (arrays computed with NumPy from x.data, random "
            "numbers drawn with randn inside the function, and Python numbers that change from call to call "
            "all do this)"
        )
    if _key(first) != _key(second):
        raise CompileError(f"an input came from {_describe(first)} in the first traced call and from "
                           f"{_describe(second)} in the second")
    return second


def _key(ref: Ref) -> Any:
    """A ref as a comparable value: tensors by identity, a leaf's .grad by its leaf."""
    if ref[0] == "live":
        return ("live", id(ref[1]))
    if ref[0] == "grad":
        return ("grad", _key(ref[1]))
    if ref[0] == "const":
        return ("const", id(ref[1]))
    return ref


def _equal(a: Any, b: Any) -> bool:
    if a is b:  # the same object both times (a module's buffer inside a tuple): kept by reference
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # nan
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(ref: Ref) -> str:
    kind = ref[0]
    if kind == "arg":
        return f"argument {ref[1]}"
    if kind == "out":
        return f"the result of step {ref[1]}"
    if kind == "grad":
        return f"the .grad of {_describe(ref[1])}"
    if kind == "live":
        return f"a tensor of shape {ref[1].shape} from outside the function"
    return f"the constant {_short(ref[1])}"


def _same_structure(first: Trace, second: Trace) -> None:
    """Refuse two traces that did different things (Python control flow on values that changed)."""
    for k, (a, b) in enumerate(zip(first.steps, second.steps, strict=False)):
        if type(a) is not type(b) or _signature(a) != _signature(b):
            raise CompileError(
                f"the compiled function did different things on two calls with arguments of the same shapes: "
                f"step {k} was {_what(a)} ({a.where}) and then {_what(b)} ({b.where}). A compiled function "
                "must run the same operations on every call; Python control flow that depends on values "
                "(not shapes) cannot be replayed: choose with autograd.where, or keep such a function eager"
            )
    if len(first.steps) != len(second.steps):
        raise CompileError(f"the compiled function ran {len(first.steps)} steps on one call and "
                           f"{len(second.steps)} on the next, with arguments of the same shapes")
    if [(id(o), a, v) for o, a, v in first.guards] != [(id(o), a, v) for o, a, v in second.guards]:
        raise CompileError("the compiled function read different modules' modes on two calls")


def _signature(step: Step) -> Any:
    if isinstance(step, OpStep):
        return (type(step.node), step.node.needs_input_grad, len(step.inputs), tuple(step.kwargs), step.outputs)
    if isinstance(step, BackwardStep):
        return (step.order, step.roots, sorted(step.edges.items()), [_key(leaf) for leaf in step.leaves],
                step.retain_graph)
    if isinstance(step, InplaceStep):
        return step.ufunc
    if isinstance(step, CallStep):
        return (step.function, len(step.args))
    return type(step)


def _what(step: Step) -> str:
    if isinstance(step, OpStep):
        return f"the op {step.node.name}"
    return {BackwardStep: "backward()", InplaceStep: "an in-place update", SetItemStep: "an item assignment",
            GradStep: "a .grad assignment", CallStep: "an opaque call"}[type(step)]


def _last_uses(trace: Trace) -> dict[int, list[tuple[int, int]]]:
    """For each step, the outputs ("out", k, j) it is the last to read (a replay frees them after it)."""
    last: dict[tuple[int, int], int] = {}
    for k, step in enumerate(trace.steps):
        refs: list[Ref] = []
        if isinstance(step, OpStep):
            refs = step.inputs + list(step.kwargs.values())
        elif isinstance(step, BackwardStep):
            refs = step.seeds
        elif isinstance(step, (InplaceStep, SetItemStep)):
            refs = [step.target, step.value]
        elif isinstance(step, GradStep):
            refs = [step.value]
        for ref in refs:
            if ref[0] == "out":
                last[(ref[1], ref[2])] = k
    kept: list[Ref] = []
    _result_refs(trace.result, kept)
    for ref in kept:
        if ref[0] == "out":
            last.pop((ref[1], ref[2]), None)
    uses: dict[int, list[tuple[int, int]]] = {}
    for key, k in last.items():
        uses.setdefault(k, []).append(key)
    return uses
