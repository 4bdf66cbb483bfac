"""Loss modules: `criterion = nn.CrossEntropyLoss(); loss = criterion(logits, labels)`.

Each one stores its `reduction` and calls the function of the same name in `nn.functional`, where the
formulas, their gradients and the target conventions are documented.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from nn import functional as F
from nn.module import Module


class _Loss(Module):
    """A loss with `reduction`: "mean" (default), "sum", or "none" (one value per sample)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """Mean squared error between a prediction and a target of the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) against integer labels (N,) or probabilities (N, C).

    `label_smoothing` (in [0, 1]) mixes the target with the uniform distribution (see F.cross_entropy).
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] + ([f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else [])
        return ", ".join(part for part in parts if part)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) (e.g. from log_softmax) at integer labels (N,)."""

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1] of the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(scores), computed stably from the raw scores."""

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
