"""Learning-rate schedules: change each parameter group's "lr" as the epochs go by.

Call `scheduler.step()` once per epoch, after the epoch's `optimizer.step()` calls. The schedule is a
closed-form function of the epoch count and each group's initial learning rate, which the scheduler keeps
in the group as "initial_lr" (as PyTorch does), so it survives an optimizer's `state_dict()`.
"""

from __future__ import annotations

import bisect
import math
import types
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses define `lr_at(base_lr, epoch)`. Creating one sets the epoch-0 learning rates.

    Subclasses store their settings before calling `super().__init__` and check them in `_check_settings`,
    which also runs after `load_state_dict`: a schedule that would make a learning rate negative, infinite
    or NaN (gradient ascent, silently) is refused where it is made.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        self.last_epoch = _integer(self, "last_epoch", last_epoch, minimum=-1)
        self._check_settings()
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{name}: resuming at last_epoch={last_epoch} needs 'initial_lr' in every "
                    "parameter group (load the optimizer's state dict first)"
                )
        self.base_lrs = [_number(self, "the initial learning rate", group["initial_lr"], minimum=0.0)
                         for group in optimizer.param_groups]
        self.step()

    def _check_settings(self) -> None:
        """Refuse impossible settings, naming them, and normalise their types (subclasses extend this)."""

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not define its schedule (lr_at)")

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate for it."""
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.lr_at(base_lr, self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The learning rates the last `step()` set, one per parameter group."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's settings and epoch count (not the optimizer: save that separately)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the epoch count and settings, and set the learning rates for that epoch.

        The settings are checked as the constructor checks them; a refused dict changes nothing.
        """
        name = type(self).__name__
        unknown = set(state_dict) - (set(vars(self)) - {"optimizer"})
        if unknown:
            raise KeyError(f"{name}.load_state_dict: unexpected keys {sorted(unknown)}")
        before = dict(vars(self))
        try:
            for key, value in state_dict.items():
                setattr(self, key, list(value) if key == "base_lrs" else value)
            self.last_epoch = _integer(self, "last_epoch", self.last_epoch, minimum=-1)
            self._check_settings()
            self.base_lrs = [_number(self, "the initial learning rate", lr, minimum=0.0) for lr in self.base_lrs]
            if len(self.base_lrs) != len(self.optimizer.param_groups):
                raise ValueError(
                    f"{name}.load_state_dict: {len(self.base_lrs)} learning rates for "
                    f"{len(self.optimizer.param_groups)} parameter groups"
                )
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise
        self._apply()


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): multiply the learning rate by gamma every `step_size` epochs.

    gamma must be positive and finite (below 1 to decay, as usual); step_size a positive integer.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _check_settings(self) -> None:
        self.step_size = _integer(self, "step_size", self.step_size, minimum=1)
        self.gamma = _number(self, "gamma", self.gamma, minimum=0.0, strict=True)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Half a cosine wave from the initial rate down to `eta_min` over `T_max` epochs (Loshchilov & Hutter's
    SGDR without restarts); past T_max it rises again along the same wave, as PyTorch's does. T_max must
    be a positive integer, eta_min a finite number >= 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803 - PyTorch's name
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _check_settings(self) -> None:
        self.T_max = _integer(self, "T_max", self.T_max, minimum=1)
        self.eta_min = _number(self, "eta_min", self.eta_min, minimum=0.0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0


def _integer(scheduler: LRScheduler, name: str, value: Any, minimum: int) -> int:
    """`value` as an int >= minimum; bools and floats (even 3.0) are refused, naming the scheduler and argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{type(scheduler).__name__}: {name} must be {expected}, got {value!r}")
    return int(value)


def _number(scheduler: LRScheduler, name: str, value: Any, minimum: float, strict: bool = False) -> float:
    """`value` as a finite float >= minimum (> minimum if strict), naming the scheduler and argument otherwise."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value) and (value > minimum if strict else value >= minimum)
    if not ok:
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ValueError(f"{type(scheduler).__name__}: {name} must be a finite number {bound}, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------- more schedules (PyTorch's formulas)
def _check_positive_number(value: Any, name: str, owner: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or \
            (upper is not None and not value < upper) or math.isinf(value):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"{owner}: {name} must be a number > 0{bound}, got {value!r}")
    return float(value)


def _per_group(value: Any, optimizer: Optimizer, name: str, owner: str) -> list[Any]:
    """One value per parameter group: a list of exactly that many, or one value for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != groups:
            raise ValueError(f"{owner}: expected {groups} values of {name} (one per parameter group), got {len(value)}")
        return list(value)
    return [value] * groups


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch): any schedule written as a function (one, or one per group).

    `LambdaLR(optimizer, lambda epoch: 0.95 ** epoch)`. The functions themselves are not saved by
    `state_dict()` (PyTorch's rule: only the attributes of callable objects are); recreate them.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"LambdaLR: expected an Optimizer, got {type(optimizer).__name__}")
        self.lr_lambdas = _per_group(lr_lambda, optimizer, "lr_lambda", "LambdaLR")
        if not all(callable(fn) for fn in self.lr_lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch (or a list of them), got "
                            f"{lr_lambda!r}")
        super().__init__(optimizer, last_epoch)

    def _apply(self) -> None:
        for group, base_lr, fn in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas, strict=True):
            group["lr"] = base_lr * fn(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType | types.MethodType)
                               else dict(getattr(fn, "__dict__", {})) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        for fn, attributes in zip(self.lr_lambdas, saved, strict=True):
            if attributes is not None:
                fn.__dict__.update(attributes)
        super().load_state_dict({**state, "lr_lambdas": self.lr_lambdas})


class MultiStepLR(LRScheduler):
    """lr = initial_lr * gamma ** (number of milestones <= epoch): drop by gamma at each milestone epoch.

    `MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)`: 0.1x from epoch 30, 0.01x from epoch 80.
    A milestone listed twice multiplies by gamma twice (as in PyTorch).
    """

    def __init__(self, optimizer: Optimizer, milestones: Any, gamma: float = 0.1, last_epoch: int = -1) -> None:
        items = list(milestones) if isinstance(milestones, list | tuple) else None
        if items is None or not all(isinstance(m, int | np.integer) and not isinstance(m, bool) and m >= 0
                                    for m in items):
            raise ValueError(f"MultiStepLR: milestones must be a list of non-negative integer epochs, got "
                             f"{milestones!r}")
        self.milestones = sorted(int(m) for m in items)
        self.gamma = _check_positive_number(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** epoch: multiply by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_positive_number(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** epoch


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped once per batch: the learning rate climbs from
    max_lr / div_factor to max_lr over the first pct_start of the steps, then anneals down to
    max_lr / (div_factor * final_div_factor); momentum (SGD's momentum, or Adam's beta1) moves the
    opposite way, between max_momentum and base_momentum. With three_phase=True the climb is mirrored
    before the final annealing, as in fast.ai. The formulas and phase boundaries are PyTorch's.

    Give `total_steps`, or `epochs` and `steps_per_epoch`. Stepping past total_steps is an error.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        owner = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner}: expected an Optimizer, got {type(optimizer).__name__}")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{owner}: give total_steps, or both epochs and steps_per_epoch")
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
            total_steps = epochs * steps_per_epoch
        elif isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"{owner}: total_steps must be a positive integer, got {total_steps!r}")
        if not isinstance(pct_start, int | float) or not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"{owner}: pct_start must be a number in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        div_factor = _check_positive_number(div_factor, "div_factor", owner)
        final_div_factor = _check_positive_number(final_div_factor, "final_div_factor", owner)
        self.total_steps, self.anneal_strategy = int(total_steps), anneal_strategy
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError(f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas "
                             f"({type(optimizer).__name__} has neither); pass cycle_momentum=False")
        self.phases = self._phases(float(pct_start), bool(three_phase))
        max_lrs = _per_group(max_lr, optimizer, "max_lr", owner)
        bases = _per_group(base_momentum, optimizer, "base_momentum", owner)
        maxes = _per_group(max_momentum, optimizer, "max_momentum", owner)
        if last_epoch == -1:
            for group, lr, low, high in zip(optimizer.param_groups, max_lrs, bases, maxes, strict=True):
                lr = _check_positive_number(lr, "max_lr", owner)
                group.update(initial_lr=lr / div_factor, max_lr=lr, min_lr=lr / div_factor / final_div_factor)
                if self.cycle_momentum:
                    group.update(max_momentum=float(high), base_momentum=float(low))
                    self._set_momentum(group, float(high))
        super().__init__(optimizer, last_epoch)

    def _phases(self, pct_start: float, three_phase: bool) -> list[dict[str, Any]]:
        """Where each phase ends (a step number) and which group values its lr and momentum go between."""
        up = {"start_lr": "initial_lr", "end_lr": "max_lr", "start_momentum": "max_momentum",
              "end_momentum": "base_momentum"}
        if three_phase:
            return [
                {"end_step": pct_start * self.total_steps - 1, **up},
                {"end_step": 2 * pct_start * self.total_steps - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1.0, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        return [
            {"end_step": pct_start * self.total_steps - 1, **up},
            {"end_step": self.total_steps - 1.0, "start_lr": "max_lr", "end_lr": "min_lr",
             "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
        ]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _apply(self) -> None:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; the schedule has total_steps="
                             f"{self.total_steps} (make it epochs * steps_per_epoch of the whole run)")
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self.phases):
                end = phase["end_step"]
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    group["lr"] = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], pct))
                    break
                start = end


class ReduceLROnPlateau:
    """Divide the learning rate when a watched metric stops improving: `scheduler.step(val_loss)` per epoch.

    After more than `patience` epochs without an improvement (better than the best so far by more than
    `threshold`, relative or absolute), every group's lr becomes max(lr * factor, min_lr), then nothing
    changes for `cooldown` epochs. mode="max" for metrics that should grow (accuracy). PyTorch's rules,
    including `eps` (changes smaller than it are skipped).
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        owner = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner}: expected an Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.factor = _check_positive_number(factor, "factor", owner, upper=1.0)
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
        for name, value in (("threshold", threshold), ("eps", eps)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{owner}: {name} must be a number >= 0, got {value!r}")
        self.min_lrs = [float(v) for v in _per_group(min_lr, optimizer, "min_lr", owner)]
        if any(not v >= 0 for v in self.min_lrs):
            raise ValueError(f"{owner}: min_lr must be >= 0, got {min_lr!r}")
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.patience, self.cooldown, self.threshold, self.eps = patience, cooldown, float(threshold), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Is `value` an improvement on `best`, by more than the threshold?"""
        if self.mode == "min":
            return value < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return value > (best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metrics: float) -> None:
        """Record one epoch's metric and reduce the learning rates if it has stopped improving."""
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # no patience is used up while cooling down
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(float(group["lr"]) * self.factor, floor)
                if float(group["lr"]) - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates after the last `step()`, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer: the best value, the counters and the settings."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        unknown = set(state_dict) - set(vars(self)) - {"optimizer"}
        if unknown:
            raise KeyError(f"ReduceLROnPlateau.load_state_dict: unexpected keys {sorted(unknown)}")
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, tuple) else value)
