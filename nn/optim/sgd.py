"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, ParamsArg


class SGD(Optimizer):
    """p <- p - lr * d, where d is the gradient (plus weight decay), or a momentum average of it.

    With g = grad + weight_decay * p (the gradient of loss + weight_decay/2 * ||p||^2):

    * plain:     d = g
    * momentum:  b <- momentum * b + (1 - dampening) * g  (b = g at the first step);  d = b
    * Nesterov:  d = g + momentum * b  (look ahead along the velocity)

    These are PyTorch's definitions. The textbook's Momentum (v <- momentum * v - lr * g; p <- p + v) takes
    the same steps while the learning rate is constant; it differs when a scheduler changes lr.
    """

    state_layout = {"momentum_buffer": "param"}

    def __init__(self, params: ParamsArg, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        if not float(group["momentum"]) >= 0.0:
            raise ValueError(f"SGD: momentum must be >= 0, got {group['momentum']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray:
        lr = float(group["lr"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        if weight_decay != 0.0:
            grad = grad + weight_decay * param
        if momentum != 0.0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                buffer += (1.0 - float(group["dampening"])) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        return np.multiply(grad, lr, out=self.scratch(param))
