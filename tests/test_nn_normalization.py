"""BatchNorm1d, BatchNorm2d and LayerNorm: PyTorch agreement step by step, buffers, train/eval, errors."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import ShapeError, Tensor


def torch_or_skip():
    return pytest.importorskip("torch")


BN_CASES = [
    ("BatchNorm2d", (4, 3, 5, 5), {}),
    ("BatchNorm2d", (2, 3, 4, 1), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm2d", (4, 3, 5, 5), {"momentum": None}),
    ("BatchNorm2d", (4, 3, 5, 5), {"affine": False}),
    ("BatchNorm2d", (4, 3, 5, 5), {"track_running_stats": False}),
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (4, 3, 7), {"momentum": 0.5}),
]


@pytest.mark.parametrize("name, shape, options", BN_CASES, ids=lambda v: str(v))
def test_batch_norm_matches_pytorch_step_by_step(name, shape, options):
    """Five training steps (outputs, gradients, weight updates, running statistics), then eval, then
    training again: every value and buffer equal to PyTorch's at every step."""
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    ours = getattr(nn, name)(shape[1], dtype=np.float64, **options)
    theirs = getattr(torch.nn, name)(shape[1], **options).double()
    our_opt = nn.optim.SGD(list(ours.parameters()) or [nn.Parameter(np.zeros(1))], lr=0.1)
    their_opt = torch.optim.SGD(list(theirs.parameters()) or [torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    for step, mode in enumerate(["train"] * 5 + ["eval", "train"]):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = rng.standard_normal(shape) * (1 + step) + step
        g = rng.standard_normal(shape)
        xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(xo), theirs(xt)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-9, atol=1e-10, err_msg=f"step {step}")
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=f"step {step}")
        our_opt.step()
        their_opt.step()
        our_opt.zero_grad()
        their_opt.zero_grad()
        ours_state, their_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(their_state)
        for key, value in their_state.items():
            np.testing.assert_allclose(ours_state[key], value.numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{key} at step {step}")


def test_batch_norm_functional_matches_pytorch_and_updates_running_statistics_in_place():
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4, 3))
    weight, bias = rng.standard_normal(4), rng.standard_normal(4)
    mean, var = np.zeros(4), np.ones(4)
    their_mean, their_var = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    for training in (True, True, False):
        y = F.batch_norm(x, mean, var, Tensor(weight), Tensor(bias), training, 0.2, 1e-4)
        ty = torch.nn.functional.batch_norm(torch.tensor(x), their_mean, their_var, torch.tensor(weight),
                                            torch.tensor(bias), training, 0.2, 1e-4)
        np.testing.assert_allclose(y.data, ty.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mean, their_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(var, their_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("normalized, affine", [((5,), True), ((3, 5), True), ((5,), False)])
def test_layer_norm_matches_pytorch(normalized, affine):
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    ours = nn.LayerNorm(normalized, elementwise_affine=affine, dtype=np.float64)
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine).double()
    if affine:
        for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
            value = rng.standard_normal(p.shape)
            p.data[...] = value
            tp.data[...] = torch.tensor(value)
    x = rng.standard_normal((2, 3, 5) if normalized == (5,) else (4, 3, 5))
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xo), theirs(xt)
    g = rng.standard_normal(x.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    ours.eval()
    np.testing.assert_allclose(ours(x).data, y.data)  # no running statistics: eval is the same


# ---------------------------------------------------------------------- buffers and modes
def test_running_statistics_are_buffers_not_parameters():
    bn = nn.BatchNorm2d(3)
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and not bn.running_mean.requires_grad


def test_eval_uses_the_running_statistics_and_does_not_update_them():
    bn = nn.BatchNorm1d(2)
    x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)
    bn(x)
    assert np.allclose(bn.running_mean.data, [0.2, 2.0]) and int(bn.num_batches_tracked.data) == 1
    bn.eval()
    before = bn.state_dict()
    y = bn(x)
    expected = (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + bn.eps)
    assert np.allclose(y.data, expected, atol=1e-6)
    assert all(np.array_equal(before[k], v) for k, v in bn.state_dict().items())
    # the same sample alone gives the same output in eval (it no longer depends on the batch)
    assert np.allclose(bn(x[:1]).data, y.data[:1])


def test_a_saved_model_restores_its_running_statistics(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    for _ in range(3):
        model(np.random.default_rng(0).standard_normal((4, 1, 5, 5)) + 3)
    nn.save(model.state_dict(), tmp_path / "bn.npz")
    restored = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    restored.load_state_dict(nn.load(tmp_path / "bn.npz"))
    assert np.array_equal(restored[1].running_mean.data, model[1].running_mean.data)
    assert int(restored[1].num_batches_tracked.data) == 3


def test_batch_norm_accepts_a_pytorch_state_dict():
    torch = torch_or_skip()
    theirs = torch.nn.BatchNorm2d(3)
    theirs(torch.randn(4, 3, 2, 2) + 1)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict(nn.utils.from_torch_state_dict(ours, theirs.state_dict()))
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------- errors
def test_bad_inputs_name_the_layer_and_the_expected_shape():
    model = nn.Sequential(nn.BatchNorm2d(3))
    with pytest.raises(ShapeError, match=r"BatchNorm2d '0': expected an input \(N, C, H, W\) with C = 3 channels, "
                                         r"got shape \(2, 4, 5, 5\)"):
        model(np.zeros((2, 4, 5, 5)))
    with pytest.raises(ShapeError, match=r"BatchNorm1d: expected an input \(N, C\) or \(N, C, L\)"):
        nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))
    with pytest.raises(ShapeError, match=r"LayerNorm: normalized_shape \(4,\) must be the last axes"):
        nn.LayerNorm(4)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm2d(3, momentum=2.0)
    with pytest.raises(ShapeError, match=r"running_mean must be a floating array of shape \(3,\)"):
        F.batch_norm(np.zeros((2, 3)), np.zeros(4), np.ones(3), training=True)
