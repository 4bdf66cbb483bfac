"""Optimizer: the shared machinery of every update rule (parameter groups, state, saving and loading).

An optimizer holds references to the parameters it trains, organised in *parameter groups*: dicts with a
"params" list and the hyperparameters for those parameters (so, e.g., the last layer can use another
learning rate). `step()` reads each parameter's `.grad` and updates `.data` in place:

* in place, on the same array, so the model, the optimizer and anything else holding the parameter keep
  seeing one tensor (`Tensor -=` also bumps the tensor's version, so a graph that saved the old value
  refuses to backward instead of giving wrong gradients);
* under `no_grad()`, because an update is not part of any computation we differentiate;
* in the parameter's dtype: hyperparameters are Python floats, which NumPy treats as "weak", so a float32
  model stays float32 (an np.float64 learning rate would silently upcast, so we convert them with float()).

Subclasses implement `update(param, grad, state, group)` for one parameter on NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

ParamsArg = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class: keeps `param_groups` and per-parameter `state`; subclasses define the update rule.

    Args:
        params: an iterable of tensors (e.g. `model.parameters()`), or of dicts, each a parameter group
            `{"params": [...], "lr": ...}` whose missing hyperparameters come from `defaults`.
        defaults: the hyperparameters of this optimizer, with their default values.
    """

    #: The per-parameter state this optimizer keeps: name -> "param" (an array of the parameter's shape) or
    #: "scalar" (a number). `load_state_dict` refuses other names; None (a custom optimizer) checks nothing.
    state_layout: dict[str, str] | None = None
    #: Group keys that are not hyperparameters but may be saved with them (set by learning-rate schedulers).
    _extra_group_keys = frozenset({"params", "initial_lr"})

    def __init__(self, params: ParamsArg, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        # One work array per parameter for the update's temporaries (not state: never saved): a step then
        # allocates nothing of a parameter's size, which for big layers is memory freed and page-faulted
        # again at every step.
        self._scratch: dict[int, np.ndarray] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{name}: params must be an iterable of tensors or of dicts (parameter groups), got a single "
                f"{type(params).__name__}; pass model.parameters() or [tensor]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list (did the model register its layers?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the rest come from `defaults`)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}.add_param_group: a parameter group is a dict with a 'params' key, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} of a group is a {type(p).__name__}, expected a Tensor")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: parameter {i} (shape {p.shape}) is the result of an operation, not a leaf; "
                    "optimizers update leaves such as model.parameters()"
                )
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: parameter {i} has dtype {p.dtype}; only floating tensors can be trained")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or existing & {id(p) for p in params}:
            raise ValueError(f"{name}: some parameters appear more than once (in this group or in an earlier one)")
        full = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Reject impossible values early, naming them (subclasses extend this)."""
        name = type(self).__name__
        for key in ("lr", "weight_decay", "eps"):
            if key in group and not float(group[key]) >= 0.0:
                raise ValueError(f"{name}: {key} must be >= 0, got {group[key]!r}")

    # ------------------------------------------------------------------ the update
    @autograd.opaque  # inside autograd.compile: traced once, run as it is at every replay
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: `.grad = None` (default, like PyTorch) or fill with zeros.

        Needed before each backward, since backward adds into `.grad`. None frees the memory and lets
        `step()` skip parameters that got no gradient.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    @autograd.opaque  # inside autograd.compile: reads lr and state afresh at every replay
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient. `closure` (optional) recomputes and returns the loss."""
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        with autograd.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {}
                    update = self.update(p.data, grad.data, state, group)
                    if update is not None:
                        p -= update
        return loss

    def scratch(self, param: np.ndarray) -> np.ndarray:
        """A work array of `param`'s shape and dtype, kept for this parameter between steps (for `update`)."""
        buffer = self._scratch.get(id(param))
        if buffer is None or buffer.shape != param.shape or buffer.dtype != param.dtype:
            buffer = self._scratch[id(param)] = np.empty_like(param)
        return buffer

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray | None:
        """Return the array to subtract from `param` (or update `param` in place and return None).

        The returned array may be `self.scratch(param)`, a work array reused at every step.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule (update)")

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict[str, Any]:
        """{"type": class name, "state": {index: {name: array or number}}, "param_groups": [{..., "params": [index]}]}.

        Parameters are identified by their position across the groups (as in PyTorch), so the dict holds
        only plain data and can be saved with `nn.save`. Arrays are copies: a snapshot. "type" (which
        PyTorch's dicts lack) lets `load_state_dict` refuse another optimizer's state by name.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        state = {}
        for p, values in self.state.items():
            if id(p) in index and values:
                state[index[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in values.items()}
        return {"type": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()` from an optimizer over the same parameters.

        The state must come from the same kind of optimizer: a dict tagged with another "type" is refused,
        and so is an untagged (PyTorch-style, or older) dict whose hyperparameter names or per-parameter
        state names are not this optimizer's. Group sizes, state shapes and hyperparameter values are checked
        before anything changes, so a refused dict leaves the optimizer as it was.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' keys")
        unknown = sorted(str(k) for k in state_dict if k not in ("type", "state", "param_groups"))
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unexpected keys {unknown} (expected type, state, param_groups)")
        saved_type = state_dict.get("type")
        if saved_type is not None and saved_type != name:
            raise ValueError(
                f"{name}.load_state_dict: this state was saved by {saved_type}, not {name}; load it into "
                f"{saved_type} over the same parameters (each update rule keeps its own state)"
            )
        if not isinstance(state_dict["param_groups"], (list, tuple)) or not isinstance(state_dict["state"], Mapping):
            raise ValueError(
                f"{name}.load_state_dict: 'param_groups' must be a list and 'state' a dict, got "
                f"{type(state_dict['param_groups']).__name__} and {type(state_dict['state']).__name__}"
            )
        saved_groups = list(state_dict["param_groups"])
        saved_state = dict(state_dict["state"])
        if saved_type is None:
            self._check_untagged_state(saved_groups, saved_state)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(saved_groups)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}"
            )
        params_by_index: dict[int, Tensor] = {}
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"{name}.load_state_dict: parameter group {i} is not a dict with a 'params' list")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in the state and "
                    f"{len(group['params'])} in this optimizer"
                )
            for index, p in zip(saved["params"], group["params"], strict=True):
                params_by_index[int(index)] = p
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}.load_state_dict: group {i} of the state lacks the hyperparameters {missing}")
            candidate = {**group, **{k: v for k, v in saved.items() if k != "params"}}
            self._check_hyperparameters(candidate)
            new_groups.append(candidate)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, values in saved_state.items():
            p = params_by_index.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: the state refers to parameter {key}, which no group holds")
            new_state[p] = {k: self._load_state_value(k, v, p) for k, v in dict(values).items()}
        for group, candidate in zip(self.param_groups, new_groups, strict=True):
            group.update(candidate)
        self.state = new_state

    def _check_untagged_state(self, groups: list[Any], state: dict[Any, Any]) -> None:
        """A dict without "type" is accepted only if its names are this optimizer's (it cannot be another's)."""
        name = type(self).__name__
        group_keys = {k for g in groups if isinstance(g, Mapping) for k in g} - self._extra_group_keys
        state_keys = {k for values in state.values() if isinstance(values, Mapping) for k in values}
        foreign_hyper = sorted(map(str, group_keys - set(self.defaults)))
        foreign_state = sorted(map(str, state_keys - set(self.state_layout or state_keys)))
        if foreign_hyper or foreign_state:
            theirs = f"hyperparameters {sorted(map(str, group_keys))}"
            if state_keys:
                theirs += f" and per-parameter state {sorted(map(str, state_keys))}"
            ours = f"{sorted(self.defaults)}"
            if self.state_layout:
                ours += f" and state {sorted(self.state_layout)}"
            raise ValueError(
                f"{name}.load_state_dict: this is not {name}'s state (it carries no 'type'): it has {theirs}, "
                f"where {name} has hyperparameters {ours}; load it into the optimizer that saved it"
            )

    def _load_state_value(self, key: str, value: Any, param: Tensor) -> Any:
        name = type(self).__name__
        kind = None if self.state_layout is None else self.state_layout.get(key)
        if self.state_layout is not None and kind is None:
            raise ValueError(
                f"{name}.load_state_dict: unknown per-parameter state {key!r}; {name} keeps "
                f"{sorted(self.state_layout)}"
            )
        if isinstance(value, Tensor):
            value = value.data
        if kind == "param" and not isinstance(value, np.ndarray):
            raise ValueError(
                f"{name}.load_state_dict: state {key!r} must be an array of its parameter's shape {param.shape}, "
                f"got {type(value).__name__}"
            )
        if isinstance(value, np.ndarray) and (value.ndim > 0 or kind == "param"):
            if value.shape != param.shape:
                raise ValueError(
                    f"{name}.load_state_dict: state {key!r} has shape {value.shape} but its "
                    f"parameter ({param.name or 'unnamed'}) has shape {param.shape}"
                )
            return value.astype(param.dtype, copy=True)  # our own copy: steps update it in place
        if isinstance(value, (np.ndarray, np.generic)):
            value = value.item()
        if kind == "scalar" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{name}.load_state_dict: state {key!r} must be a number, got {value!r:.60}")
        return value

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
