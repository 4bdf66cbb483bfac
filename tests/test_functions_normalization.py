"""The fused normalization primitive (autograd/functions/normalization.py), property-tested.

Normalize serves batch norm (statistics over every axis but the channels) and layer norm (over the
last axes); hypothesis draws both layouts, with and without the affine weight and bias. The forward is
compared with the textbook formula in NumPy, the gradients with central differences, and, since the
function is smooth, the second derivatives too.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor
from autograd.functions import Normalize
from autograd.testing import backprop_test
from autograd.testing import strategies as ags

EPS = 1e-5


def reference(x, weight, bias, axes, eps, param_shape, running=None):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(param_shape)
    if bias is not None:
        y = y + bias.reshape(param_shape)
    return y


@st.composite
def batch_norm_inputs(draw, affine=None):
    """x (N, C, ...) with 0 to 2 spatial axes and at least 2 values per channel; weight and bias (C,)."""
    spatial = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    n = draw(st.integers(1, 4))
    if n * int(np.prod(spatial)) < 2:  # batch statistics need two values per channel
        n = 2
    c = draw(st.integers(1, 3))
    x = draw(ags.tensors((n, c, *spatial), min_value=-2, max_value=2, min_gap=1e-2))
    affine = draw(st.booleans()) if affine is None else affine
    weight = draw(ags.tensors((c,), min_value=0.5, max_value=2)) if affine else None
    bias = draw(ags.tensors((c,))) if affine else None
    axes = (0,) + tuple(range(2, x.ndim))
    return x, weight, bias, axes, EPS, (1, c) + (1,) * len(spatial)


@st.composite
def layer_norm_inputs(draw):
    """x (..., *normalized_shape) with weight and bias of the normalized shape (or none)."""
    normalized = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=2)))
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    x = draw(ags.tensors(lead + normalized, min_value=-2, max_value=2, min_gap=1e-2))
    affine = draw(st.booleans())
    weight = draw(ags.tensors(normalized, min_value=0.5, max_value=2)) if affine else None
    bias = draw(ags.tensors(normalized)) if affine and draw(st.booleans()) else None
    axes = tuple(range(len(lead), x.ndim))
    return x, weight, bias, axes, EPS, normalized


test_batch_norm = backprop_test(Normalize.apply, reference, inputs=batch_norm_inputs(), rtol=1e-3, atol=1e-5,
                                max_examples=30)
test_batch_norm_second_order = backprop_test(Normalize.apply, reference, inputs=batch_norm_inputs(affine=True),
                                             second_order=True, max_examples=10)
test_layer_norm = backprop_test(Normalize.apply, reference, inputs=layer_norm_inputs(), second_order=True,
                                max_examples=15)


@given(batch_norm_inputs(affine=False), st.floats(0.0, 1.0))
def test_running_statistics_move_towards_the_batch_statistics(case, momentum):
    x, _, _, axes, eps, param_shape = case
    c = x.shape[1]
    running_mean, running_var = np.zeros(c), np.ones(c)
    Normalize.apply(x, None, None, axes, eps, param_shape, (running_mean, running_var, momentum))
    count = x.size // c
    batch_mean = x.data.mean(axis=axes)
    unbiased_var = x.data.var(axis=axes) * count / (count - 1)
    assert np.allclose(running_mean, momentum * batch_mean)
    assert np.allclose(running_var, (1 - momentum) + momentum * unbiased_var)


def test_output_is_standardized_and_never_aliases_its_statistics():
    x = Tensor(np.random.default_rng(0).standard_normal((8, 3, 4, 4)) * 5 + 2, requires_grad=True)
    y = Normalize.apply(x, None, None, (0, 2, 3), EPS, (1, 3, 1, 1))
    assert np.allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.data.var(axis=(0, 2, 3)), 1, atol=1e-4)
    y.data[...] = 0  # the output is its own array: the saved x_hat is untouched and backward still works
    (y * y).sum().backward()
    assert x.grad is not None


def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32), requires_grad=True)
    weight = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    bias = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    y = Normalize.apply(x, weight, bias, (0, 2), EPS, (1, 2, 1))
    y.sum().backward()
    assert y.dtype == x.grad.dtype == weight.grad.dtype == bias.grad.dtype == np.float32
