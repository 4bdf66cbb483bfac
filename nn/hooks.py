"""Handles for registered hooks: `handle.remove()` unregisters what `register_forward_hook` registered."""

from __future__ import annotations

from typing import Any


class RemovableHandle:
    """What `register_forward_hook` and friends return: `remove()` unregisters the hook (twice is fine).

    Also a context manager: `with model.fc1.register_forward_hook(record): model(x)` removes it after.
    """

    def __init__(self, hooks: dict[int, Any], hook: Any) -> None:
        self._hooks = hooks
        self.id = id(self)
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()
