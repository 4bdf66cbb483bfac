"""Learning-rate schedules: change each parameter group's "lr" as the epochs go by.

Call `scheduler.step()` once per epoch, after the epoch's `optimizer.step()` calls. The schedule is a
closed-form function of the epoch count and each group's initial learning rate, which the scheduler keeps
in the group as "initial_lr" (as PyTorch does), so it survives an optimizer's `state_dict()`.
"""

from __future__ import annotations

import math
from typing import Any

from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses define `lr_at(base_lr, epoch)`. Creating one sets the epoch-0 learning rates."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs 'initial_lr' in every "
                    "parameter group (load the optimizer's state dict first)"
                )
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

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
        """Restore the epoch count and settings, and set the learning rates for that epoch."""
        unknown = set(state_dict) - set(vars(self))
        if unknown:
            raise KeyError(f"{type(self).__name__}.load_state_dict: unexpected keys {sorted(unknown)}")
        for key, value in state_dict.items():
            setattr(self, key, list(value) if key == "base_lrs" else value)
        if len(self.base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(self.base_lrs)} learning rates for "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )
        self._apply()


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size): divide the learning rate every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    Half a cosine wave from the initial rate down to `eta_min` over `T_max` epochs (Loshchilov & Hutter's
    SGDR without restarts); past T_max it rises again along the same wave, as PyTorch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803 - PyTorch's name
                 last_epoch: int = -1) -> None:
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = float(eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
