"""Losses and the rest of nn.functional: values, gradients (gradcheck, float64), reductions, bad targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import DtypeError, ShapeError, Tensor, gradcheck
from nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 1, 2])
PROBS = rng.dirichlet(np.ones(4), size=5)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def leaf(x):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True)


def reduce(losses, reduction):
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


# ---------------------------------------------------------------------- gradcheck of every loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, make_input, target", [
    ("mse", lambda: rng.standard_normal((4, 3)), rng.standard_normal((4, 3))),
    ("cross_entropy_labels", lambda: LOGITS, LABELS),
    ("cross_entropy_probs", lambda: LOGITS, PROBS),
    ("nll", lambda: np.log(PROBS), LABELS),
    ("bce", lambda: rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))),
    ("bce_logits", lambda: rng.standard_normal((4, 3)) * 3, rng.uniform(0, 1, (4, 3))),
])
def test_every_loss_passes_gradcheck(name, make_input, target, reduction):
    module = {"mse": nn.MSELoss, "cross_entropy_labels": nn.CrossEntropyLoss,
              "cross_entropy_probs": nn.CrossEntropyLoss, "nll": nn.NLLLoss, "bce": nn.BCELoss,
              "bce_logits": nn.BCEWithLogitsLoss}[name](reduction=reduction)
    assert gradcheck(lambda x: module(x, target), (leaf(make_input()),))


def test_mse_gradient_with_respect_to_the_target_too():
    assert gradcheck(lambda x, t: F.mse_loss(x, t), (leaf(rng.standard_normal(5)), leaf(rng.standard_normal(5))))


def test_bce_with_logits_gradient_with_respect_to_a_target_in_the_graph():
    assert gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t),
                     (leaf(rng.standard_normal(5)), leaf(rng.uniform(0, 1, 5))))


# ---------------------------------------------------------------------- values
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_values_match_their_formulas(reduction):
    x = rng.standard_normal((4, 3))
    t = rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.mse_loss(x, t, reduction).data, reduce((x - t) ** 2, reduction))
    log_p = np.log(softmax(LOGITS))
    per_sample = -log_p[np.arange(5), LABELS]
    np.testing.assert_allclose(F.cross_entropy(LOGITS, LABELS, reduction).data, reduce(per_sample, reduction))
    np.testing.assert_allclose(F.nll_loss(log_p, LABELS, reduction).data, reduce(per_sample, reduction))
    np.testing.assert_allclose(F.cross_entropy(LOGITS, PROBS, reduction).data,
                               reduce(-(PROBS * log_p).sum(axis=1), reduction))
    p = rng.uniform(0.05, 0.95, (4, 3))
    y = rng.uniform(0, 1, (4, 3))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction).data, reduce(bce, reduction))
    s = np.log(p / (1 - p))  # logits whose sigmoid is p
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(s, y, reduction).data, reduce(bce, reduction))


def test_cross_entropy_gradient_is_softmax_minus_target_over_n():
    for target in (LABELS, PROBS):
        x = leaf(LOGITS)
        F.cross_entropy(x, target).backward()
        t = np.eye(4)[LABELS] if target is LABELS else PROBS
        np.testing.assert_allclose(x.grad.data, (softmax(LOGITS) - t) / 5, rtol=1e-12, atol=1e-15)


@settings(max_examples=30)
@given(n=st.integers(1, 6), c=st.integers(2, 7), seed=st.integers(0, 2**16), scale=st.sampled_from([0.1, 1.0, 30.0]),
       reduction=st.sampled_from(["mean", "sum"]))
def test_cross_entropy_gradient_identity_holds_for_any_shape_and_scale(n, c, seed, scale, reduction):
    gen = np.random.default_rng(seed)
    logits = gen.standard_normal((n, c)) * scale
    labels = gen.integers(0, c, n)
    x = leaf(logits)
    F.cross_entropy(x, labels, reduction).backward()
    expected = softmax(logits) - np.eye(c)[labels]
    np.testing.assert_allclose(x.grad.data, expected / (n if reduction == "mean" else 1), rtol=1e-9, atol=1e-12)


def test_cross_entropy_labels_and_one_hot_agree_and_one_hot_builds_rows():
    one_hot = F.one_hot(LABELS, 4)
    assert one_hot.dtype == np.float32 and one_hot.shape == (5, 4)
    np.testing.assert_array_equal(one_hot.data, np.eye(4)[LABELS])
    np.testing.assert_allclose(F.cross_entropy(LOGITS, LABELS).data, F.cross_entropy(LOGITS, one_hot).data,
                               rtol=1e-6)
    assert F.one_hot(np.array([[2], [0]])).shape == (2, 1, 3)  # num_classes inferred, any label shape
    assert F.one_hot(Tensor(np.array([1])), 2, dtype=np.float64).dtype == np.float64


def test_cross_entropy_is_stable_for_huge_logits():
    x = leaf([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0]])
    loss = F.cross_entropy(x, np.array([2, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isclose(loss.item(), 1000.0)  # (2000 + 0) / 2
    assert np.isfinite(x.grad.data).all()


def test_cross_entropy_of_a_single_sample():
    x = LOGITS[0]
    np.testing.assert_allclose(F.cross_entropy(x, np.int64(LABELS[0])).data, -np.log(softmax(LOGITS[:1]))[0, 0])
    np.testing.assert_allclose(F.cross_entropy(x, PROBS[0]).data, F.cross_entropy(LOGITS[:1], PROBS[:1]).data)
    assert F.cross_entropy(x, 1, reduction="none").shape == ()


def test_float32_loss_stays_float32_with_float64_targets():
    x = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, PROBS)  # float64 probabilities, as a NumPy one-hot loader gives
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32
    assert F.mse_loss(x, np.zeros((5, 4))).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x, np.zeros((5, 4))).dtype == np.float32


def test_bce_clamps_the_log_at_0_and_1():
    p = leaf([0.0, 1.0, 0.5])
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, np.log(2)])  # PyTorch's clamp at -100
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()
    p32 = Tensor(np.array([0.0, 1.0], dtype=np.float32), requires_grad=True)
    loss32 = F.binary_cross_entropy(p32, np.array([1.0, 0.0]), reduction="none")
    assert np.isfinite(loss32.data).all() and loss32.data.min() > 80
    loss32.sum().backward()
    assert np.isfinite(p32.grad.data).all()


def test_bce_with_logits_is_stable_for_huge_scores():
    x = leaf([800.0, -800.0, 30.0])
    loss = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0]), reduction="none")
    # log(1 + exp(-30)) is computed as log of a rounded 1 + 9.4e-14: exact to about 1e-16 absolute.
    np.testing.assert_allclose(loss.data, [800.0, 800.0, np.log1p(np.exp(-30.0))], rtol=1e-12, atol=2e-16)
    loss.sum().backward()
    sigmoid_30 = 1 / (1 + np.exp(-30.0))
    np.testing.assert_allclose(x.grad.data, [1.0, -1.0, sigmoid_30 - 1.0], rtol=1e-6, atol=1e-15)


def test_losses_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x = rng.standard_normal((6, 5))
    labels = rng.integers(0, 5, 6)
    probs = rng.dirichlet(np.ones(5), size=6)
    y = rng.uniform(0, 1, (6, 5))
    p = rng.uniform(0.01, 0.99, (6, 5))
    for reduction in REDUCTIONS:
        cases = [
            (F.cross_entropy(x, labels, reduction), tF.cross_entropy(torch.tensor(x), torch.tensor(labels),
                                                                     reduction=reduction)),
            (F.cross_entropy(x, probs, reduction), tF.cross_entropy(torch.tensor(x), torch.tensor(probs),
                                                                    reduction=reduction)),
            (F.nll_loss(x, labels, reduction), tF.nll_loss(torch.tensor(x), torch.tensor(labels), reduction=reduction)),
            (F.mse_loss(x, y, reduction), tF.mse_loss(torch.tensor(x), torch.tensor(y), reduction=reduction)),
            (F.binary_cross_entropy(p, y, reduction), tF.binary_cross_entropy(torch.tensor(p), torch.tensor(y),
                                                                              reduction=reduction)),
            (F.binary_cross_entropy_with_logits(x, y, reduction),
             tF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), reduction=reduction)),
        ]
        for ours, theirs in cases:
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- bad targets
def test_label_out_of_range_is_reported():
    with pytest.raises(IndexError, match=r"labels must lie in \[0, 3\] for 4 classes.*got \[4\]"):
        F.cross_entropy(LOGITS, np.array([0, 1, 4, 2, 3]))
    with pytest.raises(IndexError, match=r"got \[-1\]"):
        nn.NLLLoss()(LOGITS, np.array([0, 1, -1, 2, 3]))
    with pytest.raises(ValueError, match="one_hot: labels must lie in"):
        F.one_hot(np.array([3]), 3)


def test_float_labels_are_rejected_with_a_hint():
    with pytest.raises(DtypeError, match=r"class labels must be integers, got dtype float64.*astype\(np.int64\)"):
        F.cross_entropy(LOGITS, LABELS.astype(np.float64))
    with pytest.raises(DtypeError, match="integer class labels"):
        F.nll_loss(LOGITS, PROBS)
    with pytest.raises(DtypeError, match="one_hot: class labels must be integers"):
        F.one_hot(np.array([1.0]))


def test_wrong_target_shapes_are_reported():
    with pytest.raises(ShapeError, match=r"target of shape \(5, 3\) fits neither logits of shape \(5, 4\)"):
        F.cross_entropy(LOGITS, np.zeros((5, 3)))
    with pytest.raises(ShapeError, match=r"target of shape \(4,\)"):
        F.cross_entropy(LOGITS, np.zeros(4, dtype=np.int64))
    with pytest.raises(ShapeError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ShapeError, match="binary_cross_entropy: input shape"):
        F.binary_cross_entropy(np.full((2, 2), 0.5), np.zeros(2))
    with pytest.raises(ShapeError, match="binary_cross_entropy_with_logits: input shape"):
        F.binary_cross_entropy_with_logits(np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ShapeError, match=r"logits of shape \(N, C\) or \(C,\)"):
        F.cross_entropy(np.zeros((2, 3, 4)), np.zeros(2, dtype=np.int64))
    with pytest.raises(ShapeError, match="nll_loss: expected log-probabilities"):
        F.nll_loss(np.zeros(3), np.zeros(3, dtype=np.int64))


def test_other_bad_arguments():
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*with_logits"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))
    with pytest.raises(DtypeError, match="target must be numeric"):
        F.mse_loss(np.zeros(2), np.array(["a", "b"]))


# ---------------------------------------------------------------------- functional layers
def test_functional_layers():
    w = Tensor(np.ones((3, 2)))
    np.testing.assert_allclose(F.linear(np.ones((1, 3)), w).data, [[3.0, 3.0]])
    np.testing.assert_allclose(F.linear(np.ones((1, 3)), w, Tensor(np.array([1.0, -1.0]))).data, [[4.0, 2.0]])
    x = np.array([-2.0, 0.5])
    np.testing.assert_allclose(F.relu(x).data, [0.0, 0.5])
    np.testing.assert_allclose(F.leaky_relu(x, 0.5).data, [-1.0, 0.5])
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x))
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0)
    t = Tensor(x)
    assert F.dropout(t, 0.5, training=False) is t


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("target, found", [
    (2.0 * np.ones(3), "values from 2.0 to 2.0"),
    (np.array([0.0, -0.5, 1.0]), "values from -0.5 to 1.0"),
    (np.array([0.0, np.nan, 1.0]), "NaN"),
])
def test_bce_targets_outside_zero_one_are_refused(loss, target, found):
    p = Tensor(np.full(3, 0.5), requires_grad=True)
    with pytest.raises(ValueError, match=rf"{loss.__name__}: target must hold probabilities in \[0, 1\], got {found}"):
        loss(p, target)
    with pytest.raises(ValueError, match="target must hold probabilities"):
        loss(p, Tensor(target, requires_grad=True))  # a target in the graph is checked too


def test_bce_targets_at_the_bounds_and_soft_targets_are_accepted():
    p = np.array([0.2, 0.5, 0.9])
    for t in (np.array([0.0, 1.0, 1.0]), np.array([0.1, 0.5, 0.95]), np.array([True, False, True])):
        assert np.isfinite(F.binary_cross_entropy(p, t).item())
        assert np.isfinite(F.binary_cross_entropy_with_logits(p, t).item())


def test_bce_refuses_a_nan_input():
    with pytest.raises(ValueError, match=r"input must hold probabilities in \[0, 1\], got NaN"):
        F.binary_cross_entropy(np.array([0.5, np.nan]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_label_smoothing_matches_pytorch(reduction, smoothing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    probabilities = rng.dirichlet(np.ones(4), 6)
    for target in (labels, probabilities):
        ours = Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        loss = nn.CrossEntropyLoss(reduction, label_smoothing=smoothing)(ours, target)
        their_loss = torch.nn.functional.cross_entropy(theirs, torch.tensor(target), reduction=reduction,
                                                       label_smoothing=smoothing)
        loss.sum().backward()
        their_loss.sum().backward()
        np.testing.assert_allclose(loss.data, their_loss.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_label_smoothing_is_the_loss_against_smoothed_one_hot_rows_and_is_checked():
    x = Tensor(np.array([[2.0, 0.0, -1.0]]))
    smoothed = np.array([[0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3]])
    assert F.cross_entropy(x, np.array([0]), label_smoothing=0.1).item() == pytest.approx(
        F.cross_entropy(x, smoothed).item())
    assert F.cross_entropy(x[0], np.int64(0), label_smoothing=0.1).item() == pytest.approx(
        F.cross_entropy(x, smoothed).item())
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    for bad in (-0.1, 1.5, "0.1"):
        with pytest.raises(ValueError, match="label_smoothing must be a number in"):
            F.cross_entropy(x, np.array([0]), label_smoothing=bad)
