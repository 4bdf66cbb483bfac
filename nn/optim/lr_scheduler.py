"""Learning-rate schedules: change each parameter group's "lr" as the epochs go by.

Call `scheduler.step()` once per epoch, after the epoch's `optimizer.step()` calls. The schedule is a
closed-form function of the epoch count and each group's initial learning rate, which the scheduler keeps
in the group as "initial_lr" (as PyTorch does), so it survives an optimizer's `state_dict()`.
"""

from __future__ import annotations

import math
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
