"""The engine's clock and the version of every piece of memory a tensor may share.

The clock. Every recorded node and every in-place change takes the next tick. A node's consumers are
recorded after it, so "a larger number is later" gives the backward pass its order (graph.py), and a
change stamped after a node was recorded is a change that node's saved arrays did not see.

Versions. Tensors share memory in many ways: a transpose or slice is a view of its base, `as_tensor`
wraps the caller's array, two tensors may wrap one array. Following PyTorch's design, a view and its
base share one version counter: here the counter belongs to the memory itself, found by walking an
array's `.base` chain to the array that owns the buffer. An in-place change through any tensor bumps
that counter, so every node that saved any view of the same memory sees it.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

_clock = itertools.count(1)
last_change = 0  # the tick of the latest in-place change: nodes recorded after it need not look
# id(memory owner) -> [weak reference to the owner, version, tick of its latest change]
_changes: dict[int, list[Any]] = {}


tick = _clock.__next__  # tick() -> the next tick of the clock (each recorded node and in-place change takes one)


def memory_owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory `array` looks at (itself unless it is a view)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def version(array: np.ndarray) -> int:
    """How many in-place changes the memory under `array` has had (shared by all its views)."""
    entry = _changes.get(id(memory_owner(array)))
    return entry[1] if entry is not None else 0


def note_change(array: np.ndarray, new_version: int | None = None) -> None:
    """Record an in-place change of the memory under `array`: bump its version, stamp it with a tick.

    `new_version` sets the version instead of adding one (a tensor rebound to new memory keeps counting).
    """
    global last_change
    owner = memory_owner(array)
    key = id(owner)
    entry = _changes.get(key)
    if entry is None or entry[0]() is not owner:  # first change, or a dead owner's id was reused
        entry = _changes[key] = [weakref.ref(owner, lambda _, key=key: _changes.pop(key, None)), 0, 0]
    entry[1] = entry[1] + 1 if new_version is None else new_version
    entry[2] = last_change = tick()


def changed_after(array: np.ndarray, moment: int) -> bool:
    """True if the memory under `array` was changed in place after tick `moment`."""
    entry = _changes.get(id(memory_owner(array)))
    return entry is not None and entry[2] > moment
