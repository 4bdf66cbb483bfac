"""Grad mode, anomaly mode and graph scopes: per-thread switches that decide what gets recorded.

Recording a graph costs time and memory, so inference and optimizer updates switch it off with
`no_grad()`. The switch is thread-local: a `no_grad()` block in one thread never silently stops
another thread from recording its graph.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Flags:
    """One thread's switches, read by `Function.apply` on every operation.

    A plain object with slots: reading its attributes costs a fraction of reading a `threading.local`'s,
    so the hot path fetches a thread's `Flags` once (`state.flags`) and reads the switches from it.
    """

    __slots__ = ("grad_enabled", "anomaly_enabled", "scope", "on_record", "arrays_in_backward", "tracer")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly_enabled = False
        # Labels of the enclosing scopes, outermost first (nn.Module calls push theirs); nodes record it.
        self.scope: tuple[str, ...] = ()
        # Called as on_record(node, args, kwargs, outputs) after each recorded op, or None (the default).
        # `autograd.viz.record()` sets it to keep the values and gradients a picture shows.
        self.on_record: Any = None
        # True while a first-order backward pass hands raw ndarrays to primitives (see autograd.function).
        self.arrays_in_backward = False
        # While `autograd.compile` traces a call: the tracer that every op, backward pass and in-place
        # change reports to (see autograd/trace.py); None otherwise.
        self.tracer: Any = None


class _ThreadState(threading.local):
    """Per-thread state: `state.flags` is this thread's `Flags` (the one way to reach the switches)."""

    def __init__(self) -> None:  # runs once in each thread that touches the state
        self.flags = Flags()


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded (the default)."""
    return state.flags.grad_enabled


class _GradModeContext:
    """A context manager that is also a decorator, with or without parentheses."""

    enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        if func is not None:  # used as a bare decorator: @no_grad
            return self(func)
        return self

    def __enter__(self) -> None:
        flags = state.flags
        self._previous = flags.grad_enabled
        flags.grad_enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        state.flags.grad_enabled = self._previous

    def __call__(self, func: F) -> F:
        enabled = self.enabled

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flags = state.flags
            previous = flags.grad_enabled
            flags.grad_enabled = enabled
            try:
                return func(*args, **kwargs)
            finally:
                flags.grad_enabled = previous

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's spelling, which users already know
    """Stop recording the graph: results of operations inside do not require grad.

    Use it for inference and for optimizer updates. Works as `with no_grad():`, `@no_grad()` and `@no_grad`.
    """

    enabled = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Record the graph again inside a `no_grad()` block (e.g. a gradient step inside an evaluation loop)."""

    enabled = True


class set_grad_enabled:  # noqa: N801
    """Switch recording on or off: `with set_grad_enabled(is_training): ...`."""

    def __init__(self, mode: bool) -> None:
        self._previous = state.flags.grad_enabled
        state.flags.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        state.flags.grad_enabled = self._previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Find where a NaN or Inf gradient comes from.

    Inside this block every recorded node remembers the stack of the user code that created it, and the
    backward pass checks each gradient a node produces. The first NaN or Inf raises a RuntimeError naming
    the op and the line of forward code that made it. Slow: use it to debug, not to train.
    """
    flags = state.flags
    previous = flags.anomaly_enabled
    flags.anomaly_enabled = True
    try:
        yield
    finally:
        flags.anomaly_enabled = previous


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return state.flags.anomaly_enabled


class scope:  # noqa: N801 - used like a function: `with autograd.scope("encoder"):`
    """Label the nodes recorded inside this block (nested scopes nest), e.g. for grouping in pictures.

    `nn.Module.__call__` enters one named after the module, so `autograd.viz` can draw a cluster per
    module. A small class rather than a generator-based context manager, since every module call
    enters one: this costs a few hundred nanoseconds instead of a couple of microseconds.
    """

    __slots__ = ("label", "_flags", "_previous")

    def __init__(self, label: str) -> None:
        self.label = str(label)

    def __enter__(self) -> None:
        flags = self._flags = state.flags
        self._previous = flags.scope
        flags.scope = (*self._previous, self.label)

    def __exit__(self, *exc_info: object) -> None:
        self._flags.scope = self._previous
