"""nn.utils: gradient clipping (PyTorch's formulas) and PyTorch state-dict conversion."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor


def params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(rng.standard_normal(shape)) for shape in [(3, 4), (4,), (2, 2)]]
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape) * scale)
    return params


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf), (2.0, 3.0)])
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    params = params_with_grads(scale=2.0)
    theirs = [torch.nn.Parameter(torch.tensor(p.data)) for p in params]
    for p, t in zip(params, theirs, strict=True):
        t.grad = torch.tensor(p.grad.data.copy())
    norm = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert norm.item() == pytest.approx(their_norm.item(), rel=1e-12)
    for p, t in zip(params, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_keeps_the_direction_and_returns_the_norm_before():
    params = params_with_grads(scale=10.0)
    before = np.concatenate([p.grad.data.ravel() for p in params])
    norm = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    after = np.concatenate([p.grad.data.ravel() for p in params])
    assert norm.item() == pytest.approx(np.linalg.norm(before))
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))
    small = params_with_grads(scale=1e-3)
    untouched = [p.grad.data.copy() for p in small]
    nn.utils.clip_grad_norm_(small, max_norm=1.0)
    assert all(np.array_equal(p.grad.data, u) for p, u in zip(small, untouched, strict=True))


def test_clip_grad_value_and_edge_cases():
    params = params_with_grads(scale=3.0)
    nn.utils.clip_grad_value_(params, 0.5)
    assert all(np.abs(p.grad.data).max() <= 0.5 for p in params)
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0).item() == 0.0  # no gradients at all
    single = params_with_grads()[0]
    nn.utils.clip_grad_norm_(single, 1e-3)  # one tensor instead of a list
    assert np.linalg.norm(single.grad.data) <= 1e-3 + 1e-9
    float32 = nn.Parameter(np.ones(3, dtype=np.float32))
    float32.grad = Tensor(np.full(3, 10.0, dtype=np.float32))
    nn.utils.clip_grad_norm_([float32], 1.0)
    assert float32.grad.dtype == np.float32
    nan = params_with_grads()
    nan[0].grad.data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="total norm .* is nan"):
        nn.utils.clip_grad_norm_(nan, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm must be a non-negative number"):
        nn.utils.clip_grad_norm_(params, -1.0)
    with pytest.raises(TypeError, match="item 0 is a ndarray"):
        nn.utils.clip_grad_value_([np.zeros(2)], 1.0)


def test_from_torch_state_dict_transposes_only_linear_weights():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    ours = nn.MLP([4, 3, 2])
    renamed = {k.replace("0.", "fc1.").replace("2.", "fc2."): v for k, v in theirs.state_dict().items()}
    converted = nn.utils.from_torch_state_dict(ours, renamed)
    assert converted["fc1.weight"].shape == (4, 3) and converted["fc2.bias"].shape == (2,)
    ours.load_state_dict(converted)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    embedding = nn.Embedding(5, 3)
    table = np.arange(15.0).reshape(5, 3)
    assert np.array_equal(nn.utils.from_torch_state_dict(embedding, {"weight": table})["weight"], table)
