"""Containers: Sequential (a chain of layers) and ModuleList (a list whose modules are registered).

A plain Python list of layers in a Module is invisible to `parameters()`: the optimizer would silently
train nothing. These containers register their items as children named "0", "1", ... (or by the names
you give Sequential), so their parameters are named "0.weight", "layers.1.bias", ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from nn.module import Module


class _Container(Module):
    """What Sequential and ModuleList share: children named by position, indexing, length, iteration."""

    def append(self, module: Module) -> _Container:
        """Add `module` at the end, named by its position ("0", "1", ...)."""
        index = len(self._modules)
        self.add_module(str(index), _as_module(module, f"{type(self).__name__}.append", index))
        return self

    def __getitem__(self, index: int) -> Module:
        """Item `index` (negative counts from the end)."""
        modules = list(self._modules.values())
        if not isinstance(index, int):
            raise TypeError(f"{type(self).__name__}: index must be an int, got {type(index).__name__}")
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"{type(self).__name__}: index {index} is out of range for {len(modules)} modules")
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Sequential(_Container):
    """Call the layers one after the other: `Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`.

    Pass modules positionally (named "0", "1", ...) or one dict {name: module} to name them.
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(str(name), _as_module(module, "Sequential", name))
        else:
            for module in modules:
                self.append(module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            if module is not None:  # a child set to None is skipped, like a removed layer
                x = module(x)
        return x


class ModuleList(_Container):
    """A list of modules that registers them, for models that loop over their layers in `forward`.

    `ModuleList` has no `forward` of its own: it does not know how its items should be combined.
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it in your module's forward (for layer in self.layers: ...)"
        )


def _as_module(value: Any, where: str, key: Any) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{where}: item {key!r} must be an nn.Module, got {type(value).__name__}")
    return value
