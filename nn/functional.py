"""nn.functional: layers and losses as plain functions of tensors (no state, no parameters of their own).

The layer classes in `nn.layers` and `nn.losses` call these; use them directly in a `forward` when a
layer object would add nothing (`F.relu(x)` instead of keeping an `nn.ReLU()` attribute).

Everything here is composed from `autograd` operations, so every gradient comes from the engine's
primitives; where stability needs care (softmax cross-entropy, BCE with logits), the docstring says how.

Conventions shared by all losses:
* `reduction="mean"` (average over the batch / elements), `"sum"`, or `"none"` (one loss per sample).
* Targets are constants: NumPy arrays, lists or Tensors. Floating targets are cast to the input's dtype,
  so a float64 one-hot array never turns a float32 model's loss into float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd
from autograd import DtypeError, ShapeError, Tensor
from autograd.functions import Dropout
from nn import functional_layers
from nn.functional_layers import avg_pool2d, batch_norm, conv2d, embedding, layer_norm, max_pool2d  # noqa: F401

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "leaky_relu",
    "linear", "log_softmax", "mse_loss", "nll_loss", "one_hot", "relu", "sigmoid", "softmax", "tanh",
]
# The layers for images, normalization and embeddings (conv2d, max_pool2d, ...) live in their own module.
__all__ += functional_layers.__all__

REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------- layers
def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight + bias: the affine layer. `weight` has shape (in_features, out_features).

    Backward (the engine's fused Linear node): dx = g @ weight.T, dweight = x.T @ g, dbias = g summed
    over the batch. The weight is stored (in, out), the way the maths and the textbook's Affine layer
    write it, not (out, in) as PyTorch stores it, so no transpose is needed.

    Input data that does not require grad (a NumPy batch, uint8 pixels) is converted to the weight's dtype,
    so a float64 array fed to a float32 model does not make every activation float64.
    """
    x = _as_input(x, weight.dtype)
    if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not fit a weight of shape {weight.shape}: the input's last "
            f"dimension must be in_features={weight.shape[0]}"
        )
    return autograd.linear(x, weight, bias)  # one fused node; x @ weight + bias for unusual shapes


def relu(x: Any) -> Tensor:
    """max(x, 0). Gradient 1 where x > 0, else 0."""
    return autograd.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x, so negative inputs still get a (small) gradient."""
    return autograd.leaky_relu(x, negative_slope)


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)). Gradient y * (1 - y)."""
    return autograd.sigmoid(x)


def tanh(x: Any) -> Tensor:
    """tanh(x). Gradient 1 - y**2."""
    return autograd.tanh(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (stable: the maximum is subtracted first)."""
    return autograd.softmax(x, axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along `axis`: log-probabilities, finite even where softmax underflows to 0."""
    return autograd.log_softmax(x, axis)


def dropout(x: Any, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the survivors by 1 / (1 - p).

    Scaling at training time keeps the expected activation unchanged, so evaluation (`training=False`)
    is the identity, with no rescaling at test time (the textbook's version multiplies by 1 - p at test
    time instead; the two are equivalent in expectation). Gradient: the same mask times the upstream
    gradient. Random numbers come from `generator`, or autograd's global one (`autograd.manual_seed`).
    """
    _check_probability(p, "dropout")
    x = x if isinstance(x, Tensor) else autograd.as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout.apply(x, p, generator)  # draws its mask at each call (and each replay of a compiled step)


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = None) -> Tensor:
    """Class labels (any shape, integers) as one-hot rows: shape labels.shape + (num_classes,).

    Unlike `torch.nn.functional.one_hot` (which returns integers) the result is floating
    (the default float dtype unless `dtype` is given), since it is meant to be a target or a mask.
    """
    array = _labels(labels, "one_hot")
    if num_classes is None:
        num_classes = int(array.max()) + 1 if array.size else 0
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes - 1}] for num_classes={num_classes}, "
            f"got values from {array.min()} to {array.max()}"
        )
    dtype = autograd.get_default_dtype() if dtype is None else np.dtype(dtype)
    return autograd.as_tensor(np.eye(num_classes, dtype=dtype)[array])


# ---------------------------------------------------------------------- losses
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002 - PyTorch's name
    """Mean squared error: mean((input - target)**2) over all elements. d/dinput = 2 (input - target) / n.

    The shapes must be equal: an (N, 1) prediction against an (N,) target would otherwise broadcast to
    (N, N) and silently train on the wrong loss. (The textbook's `mean_squared_error` is
    0.5 * sum((y - t)**2); that is `0.5 * mse_loss(y, t, reduction="sum")`.)
    """
    _check_reduction(reduction, "mse_loss")
    x = _as_input(input, None)
    t = _target(target, x, "mse_loss")
    _check_same_shape(x, t, "mse_loss")
    diff = x - t
    return _reduce(diff * diff, reduction)


def cross_entropy(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits `input` (N, C) (or (C,)) against class labels or probabilities.

    `target` is either integer class labels of shape (N,), or one-hot / probability rows of shape (N, C).
    The loss of a sample is -sum_k t_k * log softmax(x)_k, computed through `log_softmax` so large logits
    never produce log(0). Its gradient with respect to the logits is (softmax(x) - t) / N for the mean.

    `label_smoothing` = e in [0, 1] trains against t * (1 - e) + e / C instead of t (as PyTorch does, for
    labels and probabilities alike): the model is never pushed towards infinitely confident logits.
    """
    _check_reduction(reduction, "cross_entropy")
    if not isinstance(label_smoothing, int | float) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    x = _as_input(input, None)
    single = x.ndim == 1
    if single:
        x = x.reshape(1, -1)
    if x.ndim != 2:
        raise ShapeError(f"cross_entropy: expected logits of shape (N, C) or (C,), got shape {x.shape}")
    labels = _class_labels_or_none(target, x, "cross_entropy", single)
    if labels is not None and label_smoothing:
        # Against t (1 - e) + e / C: (1 - e) times the loss of the label plus e times the mean loss of all
        # classes. Written with tensor operations on the labels, so that a compiled step traces it.
        label_loss = autograd.softmax_cross_entropy(x, labels, "none")
        uniform_loss = -log_softmax(x, axis=1).mean(axis=1)
        losses = (1.0 - label_smoothing) * label_loss + label_smoothing * uniform_loss
        return _reduce(losses.reshape(()) if single else losses, reduction)
    if labels is not None:  # one fused node: loss and (softmax - onehot) gradient from one exp pass
        loss = autograd.softmax_cross_entropy(x, labels, reduction)
        return loss.reshape(()) if single and reduction == "none" else loss
    t = _target(target, x, "cross_entropy")
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / x.shape[1]
    if single and t.ndim == 1:
        t = t.reshape(1, -1)
    if t.shape != x.shape:
        raise ShapeError(
            f"cross_entropy: target of shape {t.shape} fits neither logits of shape {x.shape} "
            f"(probabilities, same shape) nor labels of shape ({x.shape[0]},) (integers)"
        )
    losses = -(t * log_softmax(x, axis=1)).sum(axis=1)
    if single:
        losses = losses.reshape(())
    return _reduce(losses, reduction)


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Negative log-likelihood: -input[i, target[i]], where `input` holds log-probabilities (N, C).

    `cross_entropy(x, t)` is `nll_loss(log_softmax(x), t)`. Gradient: -1 (divided by N for the mean)
    at each sample's target class, 0 elsewhere.
    """
    _check_reduction(reduction, "nll_loss")
    x = _as_input(input, None)
    if x.ndim != 2:
        raise ShapeError(f"nll_loss: expected log-probabilities of shape (N, C), got shape {x.shape}")
    labels = _class_labels_or_none(target, x, "nll_loss", False)
    if labels is None:
        raise DtypeError(
            f"nll_loss: target must be integer class labels of shape ({x.shape[0]},), got "
            f"{_describe(target)}"
        )
    return _reduce(-x[np.arange(x.shape[0]), labels], reduction)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """-(t log p + (1 - t) log(1 - p)) for probabilities p = `input` in [0, 1]. d/dp = (p - t) / (p (1 - p)).

    Like PyTorch, each log is clamped from below (at -100, or the dtype's smallest normal number in
    float32), so p = 0 or 1 gives a large finite loss instead of inf; where it clamps, p gets no gradient.
    Prefer `binary_cross_entropy_with_logits` on raw scores: it is exact and stable everywhere.
    Input and target must both lie in [0, 1] (NaN included, an error naming the op and the range found),
    as PyTorch requires.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p = _as_input(input, None)
    t = _target(target, p, "binary_cross_entropy")
    _check_same_shape(p, t, "binary_cross_entropy")
    _check_unit_interval(p, "input", "binary_cross_entropy", "; for raw scores use binary_cross_entropy_with_logits")
    _check_unit_interval(t, "target", "binary_cross_entropy")
    floor = max(float(np.exp(-100.0)), float(np.finfo(p.dtype).tiny))
    log_p = autograd.log(autograd.maximum(p, floor))
    log_not_p = autograd.log(autograd.maximum(1.0 - p, floor))
    return _reduce(-(t * log_p + (1.0 - t) * log_not_p), reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Binary cross-entropy of sigmoid(x) for raw scores x, computed stably. d/dx = sigmoid(x) - t.

    log(1 + exp(x)) - t x overflows for large x, so we use the identity
    log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), whose exp never exceeds 1.
    Targets must lie in [0, 1]: outside it the loss has no minimum (t = 2 rewards x -> infinity), so we
    refuse them where PyTorch silently trains towards infinity.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = _as_input(input, None)
    t = _target(target, x, "binary_cross_entropy_with_logits")
    _check_same_shape(x, t, "binary_cross_entropy_with_logits")
    _check_unit_interval(t, "target", "binary_cross_entropy_with_logits")
    # (max(x, 0) - x t) first: for a confident right answer it is exactly 0, and the small log term is
    # not lost by being added to a large number and subtracted again.
    return _reduce((autograd.relu(x) - x * t) + autograd.log(1.0 + autograd.exp(-autograd.abs(x))), reduction)


def _check_unit_interval(values: Tensor, what: str, op: str, hint: str = "") -> None:
    """Refuse values outside [0, 1] or NaN (a probability cannot be either), naming the range found."""
    data = values.data
    if data.size and not np.all((data >= 0) & (data <= 1)):
        found = "NaN" if np.isnan(data).any() else f"values from {data.min()} to {data.max()}"
        raise ValueError(f"{op}: {what} must hold probabilities in [0, 1], got {found}{hint}")


# ---------------------------------------------------------------------- helpers
def _as_input(x: Any, dtype: Any) -> Tensor:
    """A Tensor for `x`; data outside the graph is converted to `dtype` (when given) or to a float."""
    return functional_layers.as_input(x, dtype)


def _target(target: Any, like: Tensor, op: str) -> Tensor:
    """The target as a Tensor of `like`'s dtype (a target in the graph keeps its dtype and its graph)."""
    if isinstance(target, Tensor):
        if target.requires_grad or target.dtype == like.dtype:
            return target
        array = target.data
    else:
        array = np.asarray(target)
    if array.dtype.kind not in "biuf":
        raise DtypeError(f"{op}: target must be numeric, got {_describe(target)}")
    return autograd.as_tensor(array.astype(like.dtype, copy=False))


def _labels(labels: Any, op: str) -> np.ndarray:
    array = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise DtypeError(f"{op}: class labels must be integers, got {_describe(labels)}")
    return array


def _class_labels_or_none(target: Any, x: Tensor, op: str, single: bool) -> np.ndarray | None:
    """Integer labels of shape (N,) checked against C classes; None if `target` has the logits' shape."""
    array = target.data if isinstance(target, Tensor) else np.asarray(target)
    n, c = x.shape
    label_shape = () if single else (n,)
    if array.shape != label_shape:
        return None  # the caller treats it as probabilities (or reports the shape)
    if array.dtype.kind not in "iu":
        raise DtypeError(
            f"{op}: class labels must be integers, got dtype {array.dtype} of shape {array.shape}; "
            f"convert them with .astype(np.int64), or pass one-hot/probability targets of shape {x.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= c):
        bad = array[(array < 0) | (array >= c)]
        raise IndexError(
            f"{op}: class labels must lie in [0, {c - 1}] for {c} classes (logits of shape {x.shape}); "
            f"got {bad[:5].tolist()}"
        )
    return array if array.ndim == 1 else array.reshape(-1)  # the array itself when it can (compile traces it)


def _check_same_shape(x: Tensor, t: Tensor, op: str) -> None:
    if t.shape != x.shape:
        raise ShapeError(f"{op}: input shape {x.shape} and target shape {t.shape} differ; they must be equal")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_probability(p: float, op: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p must be in [0, 1], got {p}")


def _describe(value: Any) -> str:
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    return f"{type(value).__name__} of dtype {array.dtype} and shape {array.shape}"
