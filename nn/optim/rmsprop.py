"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, ParamsArg


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as PyTorch defines it.

    With g = grad + weight_decay * p:

        s <- alpha * s + (1 - alpha) * g**2
        a  = sqrt(s) + eps                       (centered: sqrt(s - mean(g)**2) + eps, a variance estimate)
        p <- p - lr * g / a                      (momentum: b <- momentum * b + g / a;  p <- p - lr * b)

    The textbook's RMSprop is the same rule with decay rate alpha=0.99 and eps=1e-7.
    """

    state_layout = {"step": "scalar", "square_avg": "param", "momentum_buffer": "param", "grad_avg": "param"}

    def __init__(self, params: ParamsArg, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum, "centered": centered})

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        if not 0.0 <= float(group["alpha"]) <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']!r}")
        if not float(group["momentum"]) >= 0.0:
            raise ValueError(f"RMSprop: momentum must be >= 0, got {group['momentum']!r}")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        if weight_decay != 0.0:
            grad = grad + weight_decay * param
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0.0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
            grad_avg *= alpha
            grad_avg += (1.0 - alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0.0:
            buffer = state.setdefault("momentum_buffer", np.zeros_like(param))
            buffer *= momentum
            buffer += grad / avg
            return lr * buffer
        return lr * (grad / avg)
