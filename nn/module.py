"""Parameter and Module: the building blocks every layer and model is made of.

A `Module` is a function with state. Assigning a `Parameter` or another `Module` to an attribute
registers it, so a model can list its trainable tensors (`parameters()`), save and restore them
(`state_dict()` / `load_state_dict()`), and switch every layer between training and evaluation at once:

    class TwoLayerNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 100)      # registered as child "fc1"
            self.fc2 = nn.Linear(100, 10)

        def forward(self, x):
            return self.fc2(nn.functional.sigmoid(self.fc1(x)))

Names. Each module remembers its dotted path from the outermost module it belongs to (`fc1`,
`layers.0`), and each parameter's `Tensor.name` is its dotted name (`fc1.weight`), so graph pictures and
error messages can say which weight they mean. Attaching a module to a parent re-prefixes all of these.

Calling a module runs `forward` inside `autograd.scope(label)`, where the label is
`"<path>: <short description>"` (`"fc1: Linear(784 -> 100)"`), or just the description for the outermost
module; nested modules give nested scopes, and `autograd.viz` draws one box per scope.

Buffers (`register_buffer`) are tensors a module keeps but does not train, such as batch norm's running
statistics: saved in `state_dict()` (unless persistent=False), converted by `to(dtype)`, never in
`parameters()`. Forward hooks (`register_forward_pre_hook`, `register_forward_hook`) see every call's
inputs and output (activation histograms, debugging) and are removed through the handle they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import autograd
from autograd import Tensor
from nn.devices import as_dtype, check_device, device_name
from nn.hooks import RemovableHandle


class Parameter(Tensor):
    """A tensor that a Module trains: a leaf that requires grad, registered when assigned to a module.

    Args:
        data: array-like initial value; it is copied (floating dtypes only, since it needs a gradient).
        requires_grad: set False to freeze it (it stays a registered parameter, saved in state dicts).
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped: keys the model has but the state lacks, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it, assign layers in `__init__`, write `forward`.

    Attributes:
        training: True in training mode (the default), False after `eval()`; Dropout reads it.
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ because our own __setattr__ needs these registries to exist.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path", "")
        object.__setattr__(self, "_scope_label", None)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if registries[0] is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} {name!r} before "
                    "Module.__init__() ran; call super().__init__() first in your __init__"
                )
            object.__setattr__(self, name, value)
            return
        parameters, modules = registries
        buffers = self.__dict__["_buffers"]
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            self.register_parameter(name, value)
            return
        if isinstance(value, Module):
            parameters.pop(name, None)
            buffers.pop(name, None)
            self.add_module(name, value)
            return
        if name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to buffer {name!r}: "
                                "expected a Tensor or None")
            self.register_buffer(name, value, persistent=name not in self._non_persistent_buffers)
            return
        if name in parameters:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter {name!r}: "
                    "expected an nn.Parameter or None (wrap a tensor as nn.Parameter(t) to train it)"
                )
            parameters[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {type(value).__name__} to submodule {name!r}: "
                    "expected an nn.Module or None"
                )
            modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` as `self.<name>` (None reserves the name, e.g. a layer without bias)."""
        _check_attribute_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: {name!r} must be an nn.Parameter or None, "
                f"got {type(param).__name__}"
            )
        self._parameters[name] = param
        object.__setattr__(self, name, param)
        if param is not None:
            param.name = _join(self._path, name)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep `tensor` as `self.<name>`: state that is saved and converted with the module but not trained.

        Batch norm's running mean is the typical buffer. Arrays are wrapped as Tensors (not copied).
        Persistent buffers are in `state_dict()`; `persistent=False` ones are not (derived or scratch
        values). None reserves the name.
        """
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"{type(self).__name__}.register_buffer: attribute {name!r} already exists")
        _check_attribute_name(self, name, "buffer")
        if tensor is not None:
            if isinstance(tensor, Parameter) or not isinstance(tensor, Tensor | np.ndarray):
                raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} must be a Tensor, an array or None, "
                                f"got {type(tensor).__name__} (parameters go through register_parameter)")
            tensor = tensor if isinstance(tensor, Tensor) else autograd.as_tensor(tensor)
            tensor.name = _join(self._path, name)
        self._buffers[name] = tensor
        (self._non_persistent_buffers.discard if persistent else self._non_persistent_buffers.add)(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as the child `self.<name>`, and re-name it and everything inside it."""
        _check_attribute_name(self, name, "submodule")
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: {name!r} must be an nn.Module or None, "
                f"got {type(module).__name__}"
            )
        if module is self:
            raise ValueError(f"{type(self).__name__}.add_module: a module cannot contain itself ({name!r})")
        self._modules[name] = module
        object.__setattr__(self, name, module)
        if module is not None:
            module._set_path(_join(self._path, name))

    def _set_path(self, path: str) -> None:
        """Record this module's dotted path and rename its parameters and descendants to match."""
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_scope_label", None)
        for name, tensor in (*self._parameters.items(), *self._buffers.items()):
            if tensor is not None:
                tensor.name = _join(path, name)
        for name, child in self._modules.items():
            if child is not None:
                child._set_path(_join(path, name))

    @property
    def path(self) -> str:
        """Dotted path from the outermost module ("fc1", "layers.0"); "" for the outermost module itself."""
        return self._path

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, ...) to call it")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        label = self._scope_label
        if label is None:
            label = self.short_description()
            if self._path:
                label = f"{self._path}: {label}"
            object.__setattr__(self, "_scope_label", label)
        tracer = _flags().tracer
        if tracer is not None:  # inside autograd.compile: a replay needs this module in the same mode
            tracer.guard(self, "training")
        with autograd.scope(label):
            if not (self._forward_pre_hooks or self._forward_hooks):
                return self.forward(*args, **kwargs)
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
            output = self.forward(*args, **kwargs)
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
            return output

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any]) -> RemovableHandle:
        """Call `hook(module, args)` before every forward; a non-None result replaces the positional
        arguments (a tuple, or a single value). Returns a handle: `handle.remove()` unregisters it."""
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> RemovableHandle:
        """Call `hook(module, args, output)` after every forward; a non-None result replaces the output.
        Returns a handle: `handle.remove()` unregisters it (or use the handle as a context manager)."""
        return RemovableHandle(self._forward_hooks, hook)

    def short_description(self) -> str:
        """A one-line name for pictures and scopes, e.g. "Linear(784 -> 100)"; the class name by default."""
        return type(self).__name__

    # ------------------------------------------------------------------ traversal
    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once even if shared between layers."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield _join(module_prefix, name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (what an optimizer trains), in registration order."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, persistent or not, each buffer once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None and id(buffer) not in seen:
                    seen.add(id(buffer))
                    yield _join(module_prefix, name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (running statistics and other state that is not trained)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("" or `prefix`) and every descendant, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:  # depth-first, children in registration order
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(_join(name, n), m) for n, m in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants."""
        for _, module in self.named_modules():
            yield module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every descendant and then on this module (e.g. to re-initialise all Linear layers)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Set training mode (True) or evaluation mode (False) on this module and all its descendants."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout stops dropping. Same as `train(False)`."""
        return self.train(False)

    @autograd.opaque  # inside autograd.compile: traced once, run as it is at every replay
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters: set `.grad` to None (default) or fill it with zeros."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.zero_()

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Convert every floating parameter and buffer to `dtype` in place (e.g. np.float64 for gradient
        checks): `model.to(np.float64)`, `model.to("cpu")`, `model.to("cpu", np.float32)`, or keywords.

        The only device is the CPU (everything is a NumPy array), so `"cpu"` is accepted and changes
        nothing; any other device is an error. Convert before creating the optimizer: an optimizer's
        state keeps the dtype it was created with.
        """
        name = type(self).__name__
        for arg in args:
            if device_name(arg) is not None:
                device = arg
            else:
                dtype = arg
        if device is not None:
            check_device(device, f"{name}.to")
        if dtype is None:
            return self
        dtype = as_dtype(dtype, f"{name}.to")
        if dtype.kind != "f":
            raise TypeError(f"{name}.to: parameters must stay floating, got dtype {dtype}")
        for param in self.parameters():
            if param.dtype != dtype:
                param.data = param.data.astype(dtype)
                param.grad = None
        for buffer in self.buffers():  # integer buffers (counters) keep their dtype, as in PyTorch
            if buffer.dtype.kind == "f" and buffer.dtype != dtype:
                buffer.data = buffer.data.astype(dtype)
        return self

    def double(self) -> Module:
        """Parameters in float64 (what numerical gradient checks need)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Parameters in float32 (the default)."""
        return self.to(np.float32)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: copy of the array}: the parameters and persistent buffers, module by module.

        Copies, not views: a state dict taken as "the best model so far" must not change as training
        goes on (in PyTorch it would, unless deep-copied).
        """
        return {name: tensor.data.copy() for name, tensor in self._state_tensors().items()}

    def _state_tensors(self) -> dict[str, Tensor]:
        """What a state dict holds: each module's parameters, then its persistent buffers (PyTorch's order)."""
        tensors: dict[str, Tensor] = {}
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            persistent = [(n, b) for n, b in module._buffers.items() if n not in module._non_persistent_buffers]
            for name, tensor in (*module._parameters.items(), *persistent):
                if tensor is not None and id(tensor) not in seen:
                    seen.add(id(tensor))
                    tensors[_join(prefix, name)] = tensor
        return tensors

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into the parameters and buffers (in place: optimizers keep working).

        With `strict=True` the keys must match exactly. Shapes must always match. Values are cast to the
        parameter's dtype. Everything wrong is reported at once, naming the keys, before anything is
        changed. Returns the missing and unexpected keys (both empty when strict).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a dict of arrays, got {type(state_dict).__name__}"
            )
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys (in the model, not in the state): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys (in the state, not in the model): {unexpected}")
        values: dict[str, np.ndarray] = {}
        for key, param in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.dtype.kind not in "biuf":
                problems.append(f"{key}: expected a numeric array, got dtype {array.dtype}")
            elif array.shape != param.shape:
                problems.append(
                    f"size mismatch for {key}: the state has shape {array.shape}, the model has {param.shape}"
                    + (_TRANSPOSED_HINT.format(key=key) if array.ndim == 2 and array.shape == param.shape[::-1] else "")
                )
            else:
                values[key] = array
        if problems:
            raise RuntimeError(
                f"{type(self).__name__}.load_state_dict: cannot load the state dict:\n  " + "\n  ".join(problems)
            )
        with autograd.no_grad():
            for key, array in values.items():
                own[key][...] = array  # in place: casts to the parameter's dtype, bumps its version
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (e.g. "in_features=784, out_features=100")."""
        return ""

    def num_parameters(self) -> int:
        """How many numbers the model trains (each shared parameter counted once)."""
        return sum(param.size for param in self.parameters())

    def __repr__(self) -> str:
        return "\n".join(self._repr_lines())

    def _repr_lines(self) -> list[str]:
        count = self.num_parameters()
        suffix = f"  # {count:,} parameters" if count else ""
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return [head + ")" + suffix]
        lines = [head]
        for name, child in children:
            child_lines = child._repr_lines()
            lines.append(f"  ({name}): {child_lines[0]}")
            lines.extend("  " + line for line in child_lines[1:])
        lines.append(")" + suffix)
        return lines


def _flags() -> Any:
    return autograd.mode.state.flags


_TRANSPOSED_HINT = (
    " (the transpose). nn.Linear stores its weight as (in_features, out_features), like the textbook's Affine "
    "layer; PyTorch's nn.Linear as (out_features, in_features). Load state[{key!r}].T, or convert a whole "
    "PyTorch state dict with nn.utils.from_torch_state_dict(model, state_dict) (see docs/nn.md)"
)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _check_attribute_name(module: Module, name: str, kind: str) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(
            f"{type(module).__name__}: {kind} name must be a non-empty string without dots, got {name!r}"
        )
