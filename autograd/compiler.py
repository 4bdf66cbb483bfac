"""`autograd.compile`: turn a function, typically a whole training step, into a static graph.

Eager mode is define-by-run: every call builds the graph anew (a Tensor and a node per op), and the
backward pass finds its order while it runs. That is what lets a step contain any Python, and it costs
a few microseconds of bookkeeping per op. A step that does the same thing on every batch can instead
be *defined, then run* (the static graph of TensorFlow 1): traced once, ordered once, then replayed on
arrays. `compile(step)` does this:

1. The first call with a new signature (the shapes and dtypes of the tensor arguments, the values of
   the others, grad mode) runs `step` eagerly while a tracer writes down every op, backward pass,
   in-place change and optimizer step (`autograd/trace.py`).
2. The second call with that signature is traced again, and the two traces must agree: same ops, same
   sources for every input. What differs between them would be frozen by a replay, so it is refused
   with an explanation (an array computed with NumPy from `.data`, random numbers drawn inside).
3. From then on, calls replay the plan (`autograd/plan.py`): forward and backward of each primitive on
   arrays, in the traced order, with no Tensor, node or scheduling per op.

Values that legitimately change between steps are read at replay time: parameters (updated in place
by the optimizer), the optimizer's learning rate and state (its `step()` runs as it is), fresh random
numbers for dropout (a primitive drawing at each call), and modules' `train()`/`eval()` mode (a change
selects or traces another plan).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import mode
from autograd.plan import Plan
from autograd.tensor import Tensor
from autograd.trace import CompileError, Trace, Tracer

__all__ = ["CompileError", "Compiled", "compile", "opaque", "tracer"]


class Compiled:
    """A compiled function: call it like the original. See `autograd.compile`.

    Attributes:
        last_mode: "traced" (the call ran eagerly, traced) or "replayed" (the call replayed a plan).
        plans: the plans made so far, most recently used last.
    """

    def __init__(self, fn: Callable[..., Any], cache_size: int = 8) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        if cache_size < 1:
            raise ValueError(f"compile: cache_size must be at least 1, got {cache_size}")
        self.fn = fn
        self.cache_size = cache_size
        self._entries: OrderedDict[Any, list[_Entry]] = OrderedDict()
        self.last_mode = "none"
        functools.update_wrapper(self, fn)

    @property
    def plans(self) -> list[Plan]:
        return [entry.plan for entries in self._entries.values() for entry in entries if entry.plan is not None]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tensors, key = _signature(args, kwargs)
        entries = self._entries.get(key)
        if entries is None:
            entries = self._entries[key] = []
            if len(self._entries) > self.cache_size:
                self._entries.popitem(last=False)  # the least recently used signature
        self._entries.move_to_end(key)
        for entry in entries:
            if entry.plan is not None and entry.plan.matches():
                self.last_mode = "replayed"
                return entry.plan.replay(tensors)
        entry = next((e for e in entries if e.plan is None and e.guards_hold()), None)
        if entry is None:
            entry = _Entry()
            entries.append(entry)
        self.last_mode = "traced"
        trace, result = _trace(self.fn, tensors, args, kwargs)
        if entry.first is None:
            entry.first = trace
        else:
            entry.plan = Plan(entry.first, trace, len(tensors))
            entry.first = None
        return result

    def __repr__(self) -> str:
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)}: {len(self.plans)} plan(s)>"


def compile(fn: Callable[..., Any] | None = None, *, cache_size: int = 8) -> Any:  # noqa: A001 - torch.compile
    """Compile `fn` (typically a whole training step) into a static graph replayed on arrays.

    Use it as `step = autograd.compile(step)` or as a decorator (`@autograd.compile`). The compiled
    function takes tensors (a new batch each call; NumPy arrays are accepted too) and other arguments
    (fixed values: a change traces a new plan), and returns what `fn` returns, as new tensors outside
    any graph (read the loss with `.item()` after the call). The first two calls with arguments of the
    same shapes and dtypes run eagerly and are traced; later calls replay. Up to `cache_size`
    signatures keep a plan. See docs/performance.md for what it refuses and why.
    """
    if fn is None:
        return functools.partial(Compiled, cache_size=cache_size)
    return Compiled(fn, cache_size=cache_size)


def opaque(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function as one opaque step of a compiled plan: traced once, called as it is at every replay.

    Inside a compiled function its body is not traced (what it does with `.grad` and `.data`, such as
    an optimizer's update, is Python a replay could not repeat op by op); the call itself is written
    down and made again at every replay, with the same arguments. `nn.optim.Optimizer.step` and
    `zero_grad` are opaque. Outside a compiled function, the decorator changes nothing.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current = mode.state.flags.tracer
        if current is None:
            return function(*args, **kwargs)
        return current.opaque(function, args, kwargs)

    return wrapper


def tracer() -> Tracer | None:
    """The tracer of the compiled call being traced in this thread, or None (for guards, see nn.Module)."""
    return mode.state.flags.tracer


class _Entry:
    """One signature's state: its first trace, waiting for a second, then its plan."""

    def __init__(self) -> None:
        self.first: Trace | None = None
        self.plan: Plan | None = None

    def guards_hold(self) -> bool:
        return self.first is None or all(getattr(o, a) == v for o, a, v in self.first.guards)


def _signature(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Tensor, ...], Any]:
    """The tensor arguments, and the key of their signature: shapes, dtypes, other values, grad mode."""
    tensors: list[Tensor] = []
    key: list[Any] = [mode.state.flags.grad_enabled]
    for value in (*args, *kwargs.values()):
        if isinstance(value, np.ndarray):
            value = Tensor._make(value)
        if isinstance(value, Tensor):
            tensors.append(value)
            key.append((value.shape, value.dtype, value.requires_grad))
        else:
            try:
                hash(value)
            except TypeError:
                raise CompileError(
                    f"a compiled function takes tensors, arrays and hashable values (numbers, strings, tuples); "
                    f"got a {type(value).__name__}"
                ) from None
            key.append(("value", type(value), value))
    key.append(tuple(kwargs))
    return tuple(tensors), tuple(key)


def _trace(fn: Callable[..., Any], tensors: tuple[Tensor, ...], args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> tuple[Trace, Any]:
    """Run `fn` eagerly with a tracer watching; the tensors it was given stand for its tensor arguments."""
    recorder = Tracer(tensors)
    given = iter(tensors)
    call_args = [next(given) if isinstance(a, (Tensor, np.ndarray)) else a for a in args]
    call_kwargs = {k: next(given) if isinstance(v, (Tensor, np.ndarray)) else v for k, v in kwargs.items()}
    flags = mode.state.flags
    if flags.tracer is not None:
        raise CompileError("a compiled function called another compiled function while being traced; "
                           "compile the outer one only")
    flags.tracer = recorder
    try:
        result = fn(*call_args, **call_kwargs)
        recorder.trace.result = recorder.result(result)
    finally:
        flags.tracer = None
    return recorder.trace, result
