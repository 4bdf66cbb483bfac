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


class _ThreadState(threading.local):
    """Per-thread flags read by `Function.apply` on every operation (class attributes are the defaults)."""

    grad_enabled: bool = True
    anomaly_enabled: bool = False
    # Labels of the enclosing scopes, outermost first (nn.Module calls push theirs); nodes record it.
    scope: tuple[str, ...] = ()
    # Called as on_record(node, args, kwargs, outputs) after each recorded op, or None (the default).
    # `autograd.viz.record()` sets it to keep the values and gradients a picture shows.
    on_record: Any = None


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded (the default)."""
    return state.grad_enabled


class _GradModeContext:
    """A context manager that is also a decorator, with or without parentheses."""

    enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        if func is not None:  # used as a bare decorator: @no_grad
            return self(func)
        return self

    def __enter__(self) -> None:
        self._previous = state.grad_enabled
        state.grad_enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        state.grad_enabled = self._previous

    def __call__(self, func: F) -> F:
        enabled = self.enabled

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = state.grad_enabled
            state.grad_enabled = enabled
            try:
                return func(*args, **kwargs)
            finally:
                state.grad_enabled = previous

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
        self._previous = state.grad_enabled
        state.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        state.grad_enabled = self._previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Find where a NaN or Inf gradient comes from.

    Inside this block every recorded node remembers the stack of the user code that created it, and the
    backward pass checks each gradient a node produces. The first NaN or Inf raises a RuntimeError naming
    the op and the line of forward code that made it. Slow: use it to debug, not to train.
    """
    previous = state.anomaly_enabled
    state.anomaly_enabled = True
    try:
        yield
    finally:
        state.anomaly_enabled = previous


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return state.anomaly_enabled


@contextmanager
def scope(label: str) -> Iterator[None]:
    """Label the nodes recorded inside this block (nested scopes nest), e.g. for grouping in pictures.

    `nn.Module.__call__` enters one named after the module, so `autograd.viz` can draw a cluster per
    module. Scopes cost nothing when no graph is recorded.
    """
    previous = state.scope
    state.scope = (*previous, str(label))
    try:
        yield
    finally:
        state.scope = previous
