"""Adagrad: per-coordinate learning rates that shrink with the sum of squared gradients seen so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, ParamsArg


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as PyTorch defines it.

    With g = grad + weight_decay * p and step count t:

        h <- h + g**2                                (h starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(h) + eps)

    Coordinates that received large gradients take small steps from then on. (The textbook's AdaGrad
    is this rule with eps = 1e-7.)
    """

    state_layout = {"step": "scalar", "sum": "param"}

    def __init__(self, params: ParamsArg, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps})

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        for key in ("lr_decay", "initial_accumulator_value"):
            if not float(group[key]) >= 0.0:
                raise ValueError(f"Adagrad: {key} must be >= 0, got {group[key]!r}")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray:
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        if weight_decay != 0.0:
            grad = grad + weight_decay * param
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, float(group["initial_accumulator_value"]))
        state["step"] += 1
        clr = lr / (1.0 + (state["step"] - 1) * float(group["lr_decay"]))
        state_sum = state["sum"]
        state_sum += grad * grad
        return clr * (grad / (np.sqrt(state_sum) + eps))
