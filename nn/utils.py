"""Training utilities: gradient clipping, and loading PyTorch weights.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # rescale if the gradient is too long
    optimizer.step()

Clipping runs between `backward()` and `optimizer.step()`: it changes the gradients in `.grad`, not the
parameters, and records nothing in the graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

import autograd
from autograd import Tensor
from nn.layers import Linear
from nn.module import Module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "from_torch_state_dict"]


def _gradients(parameters: Tensor | Iterable[Tensor], op: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameters must be Tensors (e.g. model.parameters()), item {i} is a "
                            f"{type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their combined norm is at most `max_norm`; return that norm.

    The norm is taken over all gradients as if they were one long vector (the p-norm of the per-tensor
    p-norms; `norm_type=float("inf")` is the largest absolute entry). If it exceeds max_norm, every
    gradient is multiplied by max_norm / (norm + 1e-6), so the direction of the step is kept and only its
    length shrinks (PyTorch's formula). Returns the norm before clipping, a 0-d Tensor: watching it is how
    one finds exploding gradients. A NaN or infinite norm raises with `error_if_nonfinite=True`.
    """
    op = "clip_grad_norm_"
    _check_non_negative(max_norm, "max_norm", op)
    norm_type = float(norm_type)
    if not (norm_type > 0 or math.isinf(norm_type)):
        raise ValueError(f"{op}: norm_type must be positive or inf, got {norm_type!r}")
    grads = _gradients(parameters, op)
    if not grads:
        return autograd.tensor(0.0)
    norms = np.array([np.linalg.norm(g.data.reshape(-1), ord=norm_type) for g in grads])
    total = float(np.linalg.norm(norms, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} of the gradients is {total}, so they cannot be "
                           "clipped; pass error_if_nonfinite=False to clip anyway (the gradients become NaN)")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for g in grads:
            g.data = g.data * np.asarray(coefficient, dtype=g.dtype)  # a new array: .grad may be shared
    return autograd.tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value] (each entry on its own, unlike the norm)."""
    op = "clip_grad_value_"
    _check_non_negative(clip_value, "clip_value", op)
    for g in _gradients(parameters, op):
        g.data = np.clip(g.data, -clip_value, clip_value).astype(g.dtype, copy=False)


def from_torch_state_dict(model: Module, state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A PyTorch state dict (of torch tensors or arrays) converted for `model.load_state_dict`.

    Every value becomes a NumPy array; the weight of each `nn.Linear` in `model` is transposed, since
    ours is (in_features, out_features) and PyTorch's (out_features, in_features). Everything else
    (convolution weights, biases, batch norm's running statistics, embeddings) has the same layout
    in both libraries and is copied as it is.
    """
    linear_weights = {f"{path}.weight" if path else "weight" for path, module in model.named_modules()
                      if isinstance(module, Linear)}
    converted = {}
    for key, value in state_dict.items():
        if hasattr(value, "detach") and not isinstance(value, Tensor):  # a torch tensor
            value = value.detach().cpu().numpy()
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        converted[key] = array.T.copy() if key in linear_weights and array.ndim == 2 else array.copy()
    return converted


def _check_non_negative(value: Any, name: str, op: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not value >= 0:
        raise ValueError(f"{op}: {name} must be a non-negative number, got {value!r}")
