"""Adam and AdamW: per-parameter step sizes from running averages of the gradient and its square."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn.optim.optimizer import Optimizer, ParamsArg


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as PyTorch defines it.

    With g = grad + weight_decay * p and step count t:

        m <- beta1 * m + (1 - beta1) * g           first moment (momentum)
        v <- beta2 * v + (1 - beta2) * g**2        second moment (per-coordinate scale)
        p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    The (1 - beta**t) factors undo the bias of m and v towards their zero start. With `amsgrad=True`,
    the running maximum of v is used instead of v, so step sizes never grow.
    """

    state_layout = {"step": "scalar", "exp_avg": "param", "exp_avg_sq": "param", "max_exp_avg_sq": "param"}

    def __init__(self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad})

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
            raise ValueError(f"{type(self).__name__}: betas must be two numbers in [0, 1), got {betas!r}")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        grad = self._decay(param, grad, lr, float(group["weight_decay"]))
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        work = self.scratch(param)  # every temporary below lives in this one array
        exp_avg *= beta1
        exp_avg += np.multiply(grad, 1.0 - beta1, out=work)
        exp_avg_sq *= beta2
        np.multiply(grad, grad, out=work)
        work *= 1.0 - beta2
        exp_avg_sq += work
        if group["amsgrad"]:
            second = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            np.maximum(second, exp_avg_sq, out=second)
        else:
            second = exp_avg_sq
        step_size = lr / (1.0 - beta1**step)
        denom = np.sqrt(second, out=work)  # sqrt(v) / sqrt(1 - beta2**t) + eps
        denom /= math.sqrt(1.0 - beta2**step)
        denom += eps
        np.divide(exp_avg, denom, out=work)
        work *= step_size
        return work

    def _decay(self, param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
        """Adam's L2 penalty: add weight_decay * p to the gradient (so it is rescaled like the gradient)."""
        return grad + weight_decay * param if weight_decay != 0.0 else grad


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p <- p * (1 - lr * weight_decay), then Adam.

    In Adam the L2 term passes through the adaptive scaling, so weights with large gradients are hardly
    regularised; AdamW shrinks every weight by the same factor instead. Default weight_decay is 0.01.
    """

    def __init__(self, params: ParamsArg, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _decay(self, param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
        if weight_decay != 0.0:
            param *= 1.0 - lr * weight_decay  # in place, before the Adam step, as PyTorch does
        return grad
