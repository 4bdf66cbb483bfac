"""nn.init: the spread of each scheme, gains, seeding, in-place filling, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
from nn import init


def weight(shape=(400, 300), dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("fill, expected_std", [
    (lambda w: init.normal_(w, std=0.01), 0.01),
    (lambda w: init.uniform_(w, -0.3, 0.3), 0.3 / math.sqrt(3)),
    (lambda w: init.xavier_uniform_(w), math.sqrt(2 / 700)),
    (lambda w: init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / 700)),
    (lambda w: init.kaiming_uniform_(w), math.sqrt(2 / 400)),
    (lambda w: init.kaiming_normal_(w), math.sqrt(2 / 400)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"), (5 / 3) / math.sqrt(300)),
], ids=["normal", "uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "kaiming_out"])
def test_each_scheme_has_the_documented_spread(fill, expected_std):
    autograd.manual_seed(0)
    w = weight()
    array = w.data
    assert fill(w) is w and w.data is array  # filled in place, returned for chaining
    assert w.dtype == np.float32 and w.is_leaf and w.grad_fn is None
    assert abs(array.std() - expected_std) < 0.01 * expected_std
    assert abs(array.mean()) < 0.01 * expected_std


def test_uniform_bounds_and_constants():
    w = weight((50, 50))
    init.kaiming_uniform_(w)
    bound = math.sqrt(6 / 50)
    assert -bound <= w.data.min() and w.data.max() <= bound
    init.constant_(w, 0.5)
    assert (w.data == 0.5).all()
    init.zeros_(w)
    assert not w.data.any()
    init.ones_(w)
    assert (w.data == 1).all()


def test_gains_match_pytorch_values():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    torch = pytest.importorskip("torch")
    for name, param in [("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.3)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_seeding_and_explicit_generators():
    autograd.manual_seed(5)
    a = init.normal_(weight((3, 3))).data.copy()
    autograd.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(weight((3, 3))).data, a)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(init.xavier_uniform_(weight((3, 3)), generator=g1).data,
                                  init.xavier_uniform_(weight((3, 3)), generator=g2).data)


def test_filling_works_while_gradients_are_recorded_and_bumps_the_version():
    w = weight((2, 2))
    y = (w * w).sum()
    init.ones_(w)  # outside the graph: allowed, and the graph that saved w now refuses to backward
    with pytest.raises(autograd.GraphError, match="modified by an in-place operation"):
        y.backward()


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"2-D weights.*got shape \(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(weight((2, 2)), mode="fan")
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(weight((2, 2)), std=-1.0)
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(weight((2, 2)), 1.0, 0.0)
