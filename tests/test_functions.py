"""The primitives (autograd/functions/): the values a property test never draws.

`tests/test_ops_properties.py` checks every primitive against NumPy and central differences on random
inputs, away from kinks and ties, where central differences cannot decide. This module pins what those
tests leave open: the gradient at the kinks of relu, abs, clip and leaky_relu; how ties split the
gradient of maximum, minimum, max and min; the create_graph branches of the fused primitives (second
derivatives checked against closed forms); the edges of sum_to; and dtypes. Each test was written
because a small change to the primitive went unnoticed (`python -m tools.mutation`, docs/testing.md).
"""

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import ShapeError, Tensor
from autograd.functions import sum_to


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def gradient(f, *inputs, upstream=None):
    """d<upstream, f(*inputs)>/d input, for each input (upstream: all ones if not given)."""
    out = f(*inputs)
    seed = np.ones(out.shape) if upstream is None else np.asarray(upstream, dtype=np.float64)
    grads = ag.grad(out, inputs, grad_outputs=Tensor(seed.astype(out.dtype)), allow_unused=True)
    return [None if g is None else g.data for g in grads]


# ---------------------------------------------------------------------- kinks
def test_relu_gradient_is_zero_at_zero_and_one_above():
    (g,) = gradient(ag.relu, leaf([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


def test_leaky_relu_gradient_is_the_slope_at_zero_and_below():
    x = leaf([-2.0, 0.0, 3.0], np.float32)
    (g,) = gradient(lambda t: ag.leaky_relu(t, 0.25), x, upstream=[2.0, 4.0, 8.0])
    np.testing.assert_array_equal(g, [0.5, 1.0, 8.0])
    assert g.dtype == np.float32


def test_abs_gradient_is_the_sign_and_zero_at_zero():
    (g,) = gradient(ag.abs, leaf([-2.0, 0.0, 3.0]), upstream=[5.0, 5.0, 7.0])
    np.testing.assert_array_equal(g, [-5.0, 0.0, 7.0])


def test_clip_passes_the_gradient_inside_and_on_both_bounds():
    x = leaf([-2.0, -1.0, 0.0, 1.0, 2.0])
    (g,) = gradient(lambda t: ag.clip(t, -1.0, 1.0), x)
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])  # bounds included, as in PyTorch
    (below,) = gradient(lambda t: ag.clip(t, None, 0.0), x)
    np.testing.assert_array_equal(below, [1.0, 1.0, 1.0, 0.0, 0.0])
    (above,) = gradient(lambda t: ag.clip(t, 0.0, None), x)
    np.testing.assert_array_equal(above, [0.0, 0.0, 1.0, 1.0, 1.0])


# ---------------------------------------------------------------------- ties
def test_maximum_splits_the_gradient_of_a_tie_in_half():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([2.0, 2.0, 1.0])
    ga, gb = gradient(ag.maximum, a, b, upstream=[4.0, 4.0, 4.0])
    np.testing.assert_array_equal(ga, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(gb, [4.0, 2.0, 0.0])


def test_minimum_splits_the_gradient_of_a_tie_in_half():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([2.0, 2.0, 1.0])
    ga, gb = gradient(ag.minimum, a, b, upstream=[4.0, 4.0, 4.0])
    np.testing.assert_array_equal(ga, [4.0, 2.0, 0.0])
    np.testing.assert_array_equal(gb, [0.0, 2.0, 4.0])


def test_maximum_with_a_broadcast_operand_sums_its_shares_in_its_dtype():
    a = leaf([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)
    b = leaf(1.0, np.float32)  # ties with four elements of a
    ga, gb = gradient(ag.maximum, a, b)
    np.testing.assert_array_equal(ga, [[0.0, 0.5, 1.0], [0.5, 0.5, 0.5]])
    assert gb.item() == 1.0 + 4 * 0.5 and ga.dtype == gb.dtype == np.float32


@pytest.mark.parametrize("reduce", [ag.max, ag.min])
def test_max_and_min_share_the_gradient_among_tied_extremes(reduce):
    x = leaf([[3.0, 1.0, 3.0, 3.0], [2.0, 1.0, 1.0, 0.0]])
    (g,) = gradient(lambda t: reduce(t, axis=1), x, upstream=[6.0, 6.0])
    if reduce is ag.max:
        np.testing.assert_array_equal(g, [[2.0, 0.0, 2.0, 2.0], [6.0, 0.0, 0.0, 0.0]])
    else:
        np.testing.assert_array_equal(g, [[0.0, 6.0, 0.0, 0.0], [0.0, 0.0, 0.0, 6.0]])


def test_max_over_several_axes_and_keepdims_shares_the_gradient_of_ties():
    x = leaf([[[1.0, 5.0], [5.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]], np.float32)
    (g,) = gradient(lambda t: t.max(axis=(1, 2), keepdims=True), x, upstream=np.full((2, 1, 1), 8.0))
    np.testing.assert_array_equal(g, [[[0.0, 4.0], [4.0, 0.0]], [[2.0, 2.0], [2.0, 2.0]]])
    assert g.dtype == np.float32
    (whole,) = gradient(lambda t: t.max(), x)
    np.testing.assert_array_equal(whole, [[[0.0, 0.5], [0.5, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])


# ---------------------------------------------------------------------- fused softmax cross-entropy
def _cross_entropy_hessian_times(z, v, n):
    """H v for the mean cross-entropy: row i gets (p_i * v_i - p_i (p_i . v_i)) / n, p = softmax(z)."""
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return (p * v - p * (p * v).sum(axis=1, keepdims=True)) / n


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_second_derivatives_under_create_graph(reduction):
    rng = np.random.default_rng(0)
    z0 = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    v = rng.standard_normal((3, 4))
    z = leaf(z0)
    loss = ag.softmax_cross_entropy(z, labels, reduction=reduction)
    upstream = np.array([1.0, 2.0, -1.0]) if reduction == "none" else np.array(1.5)
    (g,) = ag.grad(loss, z, grad_outputs=Tensor(upstream), create_graph=True)
    scale = upstream.reshape(-1, 1) if reduction == "none" else upstream / (3 if reduction == "mean" else 1)
    p = np.exp(z0) / np.exp(z0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.data, (p - np.eye(4)[labels]) * scale, rtol=1e-12)
    (hv,) = ag.grad((g * Tensor(v)).sum(), z)
    np.testing.assert_allclose(hv.data, _cross_entropy_hessian_times(z0, v, 1) * scale, rtol=1e-10, atol=1e-14)


def test_softmax_cross_entropy_gradient_is_differentiable_in_the_upstream_gradient():
    z = leaf([[1.0, 2.0, 0.5]])
    w = leaf(2.0)
    (g,) = ag.grad(ag.softmax_cross_entropy(z, np.array([2])), z, grad_outputs=w, create_graph=True)
    (gw,) = ag.grad(g.sum(), w, retain_graph=True)  # linear in w; each row of softmax - onehot sums to 0
    assert gw.item() == pytest.approx(0.0, abs=1e-15)
    (gw0,) = ag.grad(g[0, 0], w)
    p = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    assert gw0.item() == pytest.approx(p[0])


def test_softmax_cross_entropy_first_order_gradient_for_each_reduction():
    z = leaf([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    p = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    expected = p - np.eye(3)[[1, 2]]
    for reduction, upstream, scale in [("mean", 3.0, 1.5), ("sum", 3.0, 3.0),
                                       ("none", [1.0, -2.0], np.array([[1.0], [-2.0]]))]:
        loss = ag.softmax_cross_entropy(z, np.array([1, 2]), reduction=reduction)
        loss.backward(np.asarray(upstream))
        np.testing.assert_allclose(z.grad.data, expected * scale, rtol=1e-12)
        z.grad = None


# ---------------------------------------------------------------------- the other fused primitives
def test_softmax_and_log_softmax_of_huge_logits_are_finite():
    x = leaf([[1000.0, 0.0, -1000.0], [3.0, 3.0, 3.0]])
    y = ag.softmax(x, axis=1)
    np.testing.assert_allclose(y.data, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-300)
    log_y = ag.log_softmax(x, axis=1)
    np.testing.assert_allclose(log_y.data, [[0.0, -1000.0, -2000.0], [-np.log(3.0)] * 3])
    (g,) = gradient(lambda t: ag.log_softmax(t, axis=1), x, upstream=[[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0], [-1.0, -1.0, 2.0]], atol=1e-12)


def test_softmax_gradient_along_the_first_axis():
    x0 = np.array([[0.0, 1.0], [1.0, 3.0]])
    upstream = np.array([[1.0, 2.0], [3.0, -1.0]])
    (g,) = gradient(lambda t: ag.softmax(t, axis=0), leaf(x0), upstream=upstream)
    y = np.exp(x0) / np.exp(x0).sum(axis=0)
    np.testing.assert_allclose(g, y * (upstream - (upstream * y).sum(axis=0)), rtol=1e-12)


def test_logsumexp_of_huge_and_all_minus_infinity_rows():
    x = leaf([[1000.0, 1000.0], [-np.inf, -np.inf], [0.0, np.log(3.0)]])
    y = ag.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.data, [1000.0 + np.log(2.0), -np.inf, np.log(4.0)])
    (g,) = gradient(lambda t: ag.logsumexp(t, axis=1), x, upstream=[2.0, 5.0, 4.0])
    np.testing.assert_allclose(g, [[1.0, 1.0], [0.0, 0.0], [1.0, 3.0]])


def test_logsumexp_second_derivative_is_the_softmax_jacobian():
    x0 = np.array([0.0, 1.0, -1.0])
    x = leaf(x0)
    (g,) = ag.grad(ag.logsumexp(x, axis=0, keepdims=True), x, create_graph=True)
    p = np.exp(x0) / np.exp(x0).sum()
    np.testing.assert_allclose(g.data, p)
    (h0,) = ag.grad(g[0], x)
    np.testing.assert_allclose(h0.data, p[0] * (np.eye(3)[0] - p), rtol=1e-12)


def test_sigmoid_of_extremes_and_in_float32():
    x = leaf([-1000.0, 0.0, 1000.0], np.float32)
    y = ag.sigmoid(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    (g,) = gradient(ag.sigmoid, x)
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])


def test_linear_gradients_of_each_input_with_and_without_bias():
    x0 = np.array([[[1.0, 2.0]], [[3.0, -1.0]]])  # batch axes (2, 1) flattened for dW
    w0 = np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    b0 = np.array([0.5, -0.5, 1.0])
    upstream = np.arange(6.0).reshape(2, 1, 3)
    gx, gw, gb = gradient(ag.linear, leaf(x0), leaf(w0), leaf(b0), upstream=upstream)
    np.testing.assert_allclose(gx, upstream @ w0.T)
    np.testing.assert_allclose(gw, x0.reshape(-1, 2).T @ upstream.reshape(-1, 3))
    np.testing.assert_allclose(gb, upstream.sum(axis=(0, 1)))
    gx, gw = gradient(ag.linear, leaf(x0[0, 0]), leaf(w0), upstream=upstream[0, 0])  # 1-D x, no bias
    np.testing.assert_allclose(gx, w0 @ upstream[0, 0])
    np.testing.assert_allclose(gw, np.outer(x0[0, 0], upstream[0, 0]))
    (gw_only,) = gradient(lambda w: ag.linear(Tensor(x0), w, Tensor(b0)), leaf(w0), upstream=upstream)
    np.testing.assert_allclose(gw_only, x0.reshape(-1, 2).T @ upstream.reshape(-1, 3))


# ---------------------------------------------------------------------- arithmetic at the edges
def test_power_by_a_constant_for_the_special_exponents():
    x = leaf([0.0, 2.0, -3.0])
    for exponent, expected in [(0, [0.0, 0.0, 0.0]), (1, [1.0, 1.0, 1.0]), (2, [0.0, 4.0, -6.0]),
                               (3, [0.0, 12.0, 27.0]), (0.5, [np.inf, 0.5 / np.sqrt(2.0), np.nan])]:
        with np.errstate(invalid="ignore"):
            (g,) = gradient(lambda t, c=exponent: t**c, x)
        np.testing.assert_allclose(g, expected, err_msg=f"d/dx x**{exponent}")


def test_power_by_a_constant_second_derivative():
    x = leaf([1.0, 2.0])
    for exponent, second in [(2, [2.0, 2.0]), (3, [6.0, 12.0]), (0.5, [-0.25, -0.25 * 2.0**-1.5])]:
        (g,) = ag.grad((x**exponent).sum(), x, create_graph=True)
        (g2,) = ag.grad(g.sum(), x)
        np.testing.assert_allclose(g2.data, second, err_msg=f"d2/dx2 x**{exponent}")


def test_power_of_two_tensors_at_zero():
    a, b = leaf([0.0, 0.0, 2.0, 0.0]), leaf([0.0, 2.0, 3.0, -1.0])
    with np.errstate(divide="ignore"):
        ga, gb = gradient(lambda s, t: s**t, a, b)
    np.testing.assert_array_equal(ga[:3], [0.0, 0.0, 12.0])  # 0 ** 0: 0, as in PyTorch
    np.testing.assert_allclose(gb, [0.0, 0.0, 8.0 * np.log(2.0), -np.inf])  # z ln a -> 0 for b >= 0


def test_power_of_two_tensors_when_only_one_needs_a_gradient():
    a, b = leaf([2.0, 3.0]), leaf([3.0, 0.5])
    (ga,) = gradient(lambda s: s ** Tensor(b.data), a)
    np.testing.assert_allclose(ga, [12.0, 0.5 / np.sqrt(3.0)])
    (gb,) = gradient(lambda t: Tensor(a.data) ** t, b)
    np.testing.assert_allclose(gb, [8.0 * np.log(2.0), np.sqrt(3.0) * np.log(3.0)])


def test_power_of_two_tensors_under_create_graph_at_zero():
    a, b = leaf([0.0, 2.0]), leaf([0.0, 2.0])
    ga, gb = ag.grad((a**b).sum(), [a, b], create_graph=True)
    np.testing.assert_allclose(ga.data, [0.0, 4.0])
    np.testing.assert_allclose(gb.data, [0.0, 4.0 * np.log(2.0)])
    (gga,) = ag.grad(ga[1], a)  # d/da b a^(b-1) = b (b-1) a^(b-2) = 2 at a = b = 2
    assert gga.data[1] == pytest.approx(2.0)


def test_division_gradients_for_each_operand():
    a, b = leaf([1.0, 6.0]), leaf([2.0, -3.0])
    ga, gb = gradient(lambda s, t: s / t, a, b, upstream=[1.0, 2.0])
    np.testing.assert_allclose(ga, [0.5, -2.0 / 3.0])
    np.testing.assert_allclose(gb, [-0.25, -2.0 * 6.0 / 9.0])
    (gb_only,) = gradient(lambda t: Tensor(a.data) / t, b, upstream=[1.0, 2.0])
    np.testing.assert_allclose(gb_only, [-0.25, -2.0 * 6.0 / 9.0])
    (ga_only,) = gradient(lambda s: s / Tensor(b.data), a, upstream=[1.0, 2.0])
    np.testing.assert_allclose(ga_only, [0.5, -2.0 / 3.0])


def test_subtraction_gradients_for_each_operand():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ga, gb = gradient(lambda s, t: s - t, a, b, upstream=[1.0, 5.0])
    np.testing.assert_array_equal(ga, [1.0, 5.0])
    np.testing.assert_array_equal(gb, [-1.0, -5.0])
    (gb_only,) = gradient(lambda t: Tensor(a.data) - t, b, upstream=[1.0, 5.0])
    np.testing.assert_array_equal(gb_only, [-1.0, -5.0])


def test_where_sends_the_gradient_to_the_chosen_branch():
    cond = np.array([True, False, True])
    a, b = leaf([1.0, 2.0, 3.0]), leaf([10.0, 20.0, 30.0])
    ga, gb = gradient(lambda s, t: ag.where(cond, s, t), a, b, upstream=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ga, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(gb, [0.0, 2.0, 0.0])
    (gb_only,) = gradient(lambda t: ag.where(cond, 0.0, t), b, upstream=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(gb_only, [0.0, 2.0, 0.0])


# ---------------------------------------------------------------------- matrix products
@pytest.mark.parametrize(("a_shape", "b_shape"), [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
                                                  ((4, 2, 3), (3,)), ((3,), (4, 3, 2)), ((4, 2, 3), (3, 2))])
def test_matmul_gradients_for_vectors_and_batches(a_shape, b_shape):
    rng = np.random.default_rng(1)
    a0, b0 = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    upstream = rng.standard_normal(np.matmul(a0, b0).shape)
    ga, gb = gradient(ag.matmul, leaf(a0), leaf(b0), upstream=upstream)
    eps = 1e-6
    for array, grad, which in [(a0, ga, 0), (b0, gb, 1)]:
        numerical = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            step = np.zeros_like(array)
            step[index] = eps
            args_plus = [a0 + step, b0] if which == 0 else [a0, b0 + step]
            args_minus = [a0 - step, b0] if which == 0 else [a0, b0 - step]
            numerical[index] = (np.sum(upstream * np.matmul(*args_plus))
                                - np.sum(upstream * np.matmul(*args_minus))) / (2 * eps)
        np.testing.assert_allclose(grad, numerical, rtol=1e-6, atol=1e-8)
    (ga_only,) = gradient(lambda s: ag.matmul(s, Tensor(b0)), leaf(a0), upstream=upstream)
    np.testing.assert_allclose(ga_only, ga)
    (gb_only,) = gradient(lambda t: ag.matmul(Tensor(a0), t), leaf(b0), upstream=upstream)
    np.testing.assert_allclose(gb_only, gb)


def test_matmul_refuses_scalars_and_misaligned_shapes():
    with pytest.raises(ShapeError, match=r"at least 1 dimension, got shapes \(\) and \(2,\)"):
        ag.matmul(leaf(1.0), leaf([1.0, 2.0]))
    with pytest.raises(ShapeError, match=r"not aligned: 3 != 2"):
        ag.matmul(leaf(np.ones((2, 3))), leaf(np.ones((2, 2))))
    with pytest.raises(ShapeError, match=r"not aligned: 3 != 2"):
        ag.matmul(leaf(np.ones((2, 3))), leaf(np.ones(2)))


# ---------------------------------------------------------------------- moving values around
def test_sum_to_edge_cases():
    g = np.arange(6.0).reshape(2, 3)
    assert sum_to(g, (2, 3)) is g
    np.testing.assert_array_equal(sum_to(g, (3,)), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(sum_to(g, (2, 1)), [[3.0], [12.0]])
    np.testing.assert_array_equal(sum_to(g, (1, 3)), [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(sum_to(g, ()), 15.0)
    np.testing.assert_array_equal(sum_to(g, (1, 1)), [[15.0]])
    np.testing.assert_array_equal(sum_to(np.ones((4, 1, 3)), (1, 3)), [[4.0, 4.0, 4.0]])
    with pytest.raises(ShapeError, match=r"shape \(2, 3\) cannot be reduced to shape \(2,\)"):
        sum_to(g, (2,))
    with pytest.raises(ShapeError, match=r"cannot be reduced to shape \(1, 2, 3\)"):
        sum_to(g, (1, 2, 3))


def test_sum_to_on_a_tensor_is_recorded():
    g = leaf(np.arange(6.0).reshape(2, 3))
    total = sum_to(g, (1, 3))
    (back,) = ag.grad(total, g, grad_outputs=np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(back.data, [[1.0, 2.0, 3.0]] * 2)


def test_repeat_with_uneven_counts_and_its_second_derivative():
    x = leaf([1.0, 2.0, 3.0])
    y = ag.repeat(x, np.array([2, 0, 3]), axis=0)
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 3.0, 3.0, 3.0])
    upstream = Tensor(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), requires_grad=True)
    (g,) = ag.grad(y, x, grad_outputs=upstream, create_graph=True)
    np.testing.assert_array_equal(g.data, [3.0, 0.0, 12.0])
    (gu,) = ag.grad((g * Tensor(np.array([1.0, 10.0, 100.0]))).sum(), upstream)
    np.testing.assert_array_equal(gu.data, [1.0, 1.0, 100.0, 100.0, 100.0])


def test_repeat_along_an_inner_axis_and_flattened():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (g,) = gradient(lambda t: ag.repeat(t, 2, axis=1), x, upstream=np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(g, [[1.0, 5.0], [9.0, 13.0]])
    (flat,) = gradient(lambda t: ag.repeat(t, [3], axis=None), x, upstream=np.arange(12.0))
    np.testing.assert_array_equal(flat, [[3.0, 12.0], [21.0, 30.0]])
    (uneven,) = gradient(lambda t: ag.repeat(t, [1, 2], axis=1), x, upstream=np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(uneven, [[0.0, 3.0], [3.0, 9.0]])


def test_indexing_gradients_add_up_repeated_positions_and_differentiate_again():
    x = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = np.array([0, 2, 0])
    upstream = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    (g,) = ag.grad(x[rows], x, grad_outputs=upstream, create_graph=True)
    np.testing.assert_array_equal(g.data, [[6.0, 8.0], [0.0, 0.0], [3.0, 4.0]])
    (gu,) = ag.grad((g * Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))).sum(), upstream)
    np.testing.assert_array_equal(gu.data, [[1.0, 2.0], [5.0, 6.0], [1.0, 2.0]])
    (basic,) = gradient(lambda t: t[1:, 0], x, upstream=[7.0, 8.0])
    np.testing.assert_array_equal(basic, [[0.0, 0.0], [7.0, 0.0], [8.0, 0.0]])


def test_concatenate_cuts_the_gradient_back_into_the_pieces():
    a, b, c = leaf([[1.0], [2.0]]), Tensor(np.ones((2, 2))), leaf(np.zeros((2, 3)))
    upstream = np.arange(12.0).reshape(2, 6)
    ga, gc = gradient(lambda s, t: ag.concatenate([s, b, t], axis=1), a, c, upstream=upstream)
    np.testing.assert_array_equal(ga, upstream[:, :1])
    np.testing.assert_array_equal(gc, upstream[:, 3:])


def test_the_concatenate_primitive_joins_along_the_first_axis_by_default():
    a, b = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0]])
    y = ag.functions.Concatenate.apply(a, b)
    np.testing.assert_array_equal(y.data, [[1.0, 2.0], [3.0, 4.0]])


def test_transpose_gradient_uses_the_inverse_permutation():
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    upstream = np.arange(24.0).reshape(3, 4, 2)
    (g,) = gradient(lambda t: t.transpose(1, 2, 0), x, upstream=upstream)
    np.testing.assert_array_equal(g, upstream.transpose(2, 0, 1))
    reversed_upstream = np.arange(24.0).reshape(4, 3, 2)
    (reversed_axes,) = gradient(lambda t: t.transpose(), x, upstream=reversed_upstream)
    np.testing.assert_array_equal(reversed_axes, reversed_upstream.T)


def test_cast_gradient_comes_back_in_the_inputs_dtype():
    x = leaf([1.0, 2.0], np.float32)
    (g,) = gradient(lambda t: ag.cast(t, np.float64) * 3.0, x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [3.0, 3.0])


# ---------------------------------------------------------------------- axes of reductions
def test_reduction_axes_are_checked_and_normalized():
    x = leaf(np.ones((2, 3)))
    np.testing.assert_array_equal(x.sum(axis=-1).data, [3.0, 3.0])
    np.testing.assert_array_equal(x.sum(axis=[0, -1]).data, 6.0)
    for bad, error, message in [(2, ShapeError, "axis 2 is out of range"), (-3, ShapeError, "axis -3"),
                                ((0, -2), ShapeError, "repeated axis"), (True, TypeError, "got bool"),
                                (1.0, TypeError, "got float"), ((0, 1.0), TypeError, r"got \(0, 1.0\)"),
                                ((0, True), TypeError, r"got \(0, True\)")]:
        with pytest.raises(error, match=message):
            x.sum(axis=bad)
    with pytest.raises(ShapeError, match="axis 1 is out of range for a tensor with 1 dimensions"):
        leaf([1.0, 2.0]).sum(axis=1)
    scalar = leaf(2.0)
    for axis in (0, -1, (0,)):
        assert scalar.sum(axis=axis).item() == 2.0
    for axis in (1, -2):
        with pytest.raises(ShapeError, match="out of range for a tensor with 0 dimensions"):
            scalar.sum(axis=axis)


# ---------------------------------------------------------------------- quiet forwards, float32 graphs
@pytest.mark.parametrize(("name", "f", "values"), [
    ("x / 0", lambda t: t / Tensor(np.zeros(2)), [1.0, 0.0]),  # inf and 0 / 0 = nan
    ("0 ** -1", lambda t: t ** -1.0, [0.0, 1.0]),
    ("(-1) ** 0.5", lambda t: t ** 0.5, [-1.0, 1.0]),
    ("tensor 0 ** -1", lambda t: t ** Tensor(np.array([-1.0, 0.5])), [0.0, -1.0]),
    ("log of 0 and -1", ag.log, [0.0, -1.0]),
    ("sqrt of -1", ag.sqrt, [-1.0, 1.0]),
    ("logsumexp of -inf", lambda t: ag.logsumexp(t, axis=0), [-np.inf, -np.inf]),
])
def test_forwards_give_inf_and_nan_as_pytorch_does_without_warnings(name, f, values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = f(leaf(values))
    assert not np.all(np.isfinite(y.data)), name


FLOAT32_OPS = {
    "max with ties": lambda t: t.max(axis=1),
    "maximum": lambda t: ag.maximum(t, t[:, :1]),
    "repeat, uneven": lambda t: ag.repeat(t, np.array([1, 2, 0]), axis=1),
    "indexing, repeated": lambda t: t[np.array([0, 0, 1])],
    "cross-entropy": lambda t: ag.softmax_cross_entropy(t, np.array([2, 0])),
}


@pytest.mark.parametrize("name", list(FLOAT32_OPS))
def test_float32_stays_float32_through_the_second_order_graph(name):
    x = leaf([[1.0, 3.0, 3.0], [0.5, -1.0, 2.0]], np.float32)
    (g,) = ag.grad((FLOAT32_OPS[name](x) ** 2).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    nodes = ag.topological_order([g.grad_fn])
    float64 = [node.name for node in nodes for _, dtype in node.output_specs if dtype != np.float32]
    assert float64 == [], f"{name}: float64 nodes in the gradient's graph"


def test_linear_gradient_of_the_input_alone():
    x0, w0 = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    (gx,) = gradient(lambda t: ag.linear(t, Tensor(w0), Tensor(np.zeros(3))), leaf(x0), upstream=[[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(gx, [[7.0, 2.5]])


# ---------------------------------------------------------------------- create_graph gives the same gradient
def _conv(x, w, b):
    return ag.functions.Conv2d.apply(x, w, b, (1, 2), ((1, 0), (0, 1)), (1, 1))


def _max_pool(x):
    return ag.functions.MaxPool2d.apply(x, (2, 2), (1, 1), ((1, 0), (0, 1)), (1, 1))


def _avg_pool(x):
    return ag.functions.AvgPool2d.apply(x, (2, 2), (1, 1), ((1, 1), (0, 1)), np.arange(1.0, 25.0).reshape(4, 6))


def _batch_norm(x, w, b):
    return ag.functions.Normalize.apply(x, w, b, (0, 2, 3), 1e-5, (1, 2, 1, 1))


RNG = np.random.default_rng(7)
IMAGES = RNG.permutation(36).reshape(1, 2, 3, 6) / 7.0  # distinct values: no ties in max pooling
CREATE_GRAPH_CASES = {  # name: (function, input arrays)
    "conv2d": (_conv, [IMAGES, RNG.standard_normal((3, 2, 2, 2)), RNG.standard_normal(3)]),
    "max_pool2d": (_max_pool, [IMAGES]),
    "avg_pool2d": (_avg_pool, [IMAGES]),
    "im2col": (lambda x: ag.functions.Im2Col.apply(x, (2, 2), (1, 1), ((0, 1), (1, 0)), (1, 2)), [IMAGES]),
    "batch_norm": (_batch_norm, [IMAGES, np.array([1.5, -0.5]), np.array([0.1, 0.2])]),
    "layer_norm": (lambda x: ag.functions.Normalize.apply(x, None, None, (2, 3), 1e-5, (3, 6)), [IMAGES]),
    "cross_entropy": (lambda z: ag.softmax_cross_entropy(z, np.array([0, 2, 1]), reduction="sum"),
                      [RNG.standard_normal((3, 4))]),
    "logsumexp": (lambda x: ag.logsumexp(x, axis=1), [RNG.standard_normal((3, 4))]),
    "power": (lambda a, b: a**b, [np.array([0.0, 2.0, 0.5]), np.array([0.0, 3.0, -1.5])]),
}


@pytest.mark.parametrize("name", list(CREATE_GRAPH_CASES))
def test_the_gradient_under_create_graph_equals_the_ordinary_gradient(name):
    # gradgradcheck cannot see a wrong create_graph branch: it differentiates that branch numerically too.
    f, arrays = CREATE_GRAPH_CASES[name]
    inputs = [leaf(a) for a in arrays]
    upstream = np.random.default_rng(1).standard_normal(f(*inputs).shape)
    plain = ag.grad(f(*inputs), inputs, grad_outputs=upstream)
    recorded = ag.grad(f(*inputs), inputs, grad_outputs=upstream, create_graph=True)
    for a, b in zip(plain, recorded, strict=True):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ["conv2d", "max_pool2d", "avg_pool2d", "batch_norm"])
def test_the_gradient_of_an_image_op_is_linear_in_the_upstream_gradient_under_create_graph(name):
    f, arrays = CREATE_GRAPH_CASES[name]
    inputs = [leaf(a) for a in arrays]
    rng = np.random.default_rng(2)
    shape = f(*inputs).shape
    u, v = rng.standard_normal(shape), rng.standard_normal(inputs[0].shape)
    upstream = leaf(u)
    (gx,) = ag.grad(f(*inputs), inputs[0], grad_outputs=upstream, create_graph=True)
    (gu,) = ag.grad((gx * Tensor(v)).sum(), upstream)  # d<v, J^T u>/du = J v
    eps = 1e-6
    with ag.no_grad():
        jv = (f(Tensor(arrays[0] + eps * v), *inputs[1:]).data - f(Tensor(arrays[0] - eps * v), *inputs[1:]).data)
    np.testing.assert_allclose(gu.data, jv / (2 * eps), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["conv2d", "max_pool2d", "avg_pool2d", "im2col"])
def test_float32_image_ops_stay_float32_through_the_second_order_graph(name):
    f, arrays = CREATE_GRAPH_CASES[name]
    inputs = [leaf(a, np.float32) for a in arrays]
    (g, *_) = ag.grad((f(*inputs) ** 2).sum(), inputs, create_graph=True)
    nodes = ag.topological_order([g.grad_fn])
    assert [node.name for node in nodes for _, dtype in node.output_specs if dtype != np.float32] == []
    plain = ag.grad((f(*inputs) ** 2).sum(), inputs[0])[0]
    assert plain.dtype == np.float32


# ---------------------------------------------------------------------- images: geometry and edges
def test_output_size_counts_the_windows_with_uneven_padding():
    from autograd.functions.conv import output_size

    assert output_size(5, 3, 2, (1, 2), 1) == 3  # (5 + 1 + 2 - 2 - 1) // 2 + 1
    assert output_size(5, 2, 1, (0, 0), 3) == 2  # dilation 3: the kernel spans 4
    assert output_size(4, 3, 1, (2, 0), 1) == 4


def test_average_pooling_counts_padding_as_zeros():
    x = Tensor(np.ones((1, 1, 2, 2)))
    y = ag.functions.AvgPool2d.apply(x, (2, 2), (1, 1), ((1, 1), (1, 1)), 4.0)
    np.testing.assert_array_equal(y.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_convolution_gradient_of_the_input_alone():
    x = leaf(IMAGES)
    w = Tensor(CREATE_GRAPH_CASES["conv2d"][1][1])
    assert ag.gradcheck(lambda t: _conv(t, w, None), (x,))


@pytest.mark.parametrize("kernel", [(1, 257), (257, 1)])
def test_max_pooling_over_more_than_256_positions_finds_the_last_one(kernel):
    values = np.zeros((1, 1) + kernel)
    values[0, 0, -1, -1] = 1.0  # the winner is the window's last position, number 256
    x = leaf(values)
    y = ag.functions.MaxPool2d.apply(x, kernel, (1, 1), ((0, 0), (0, 0)), (1, 1))
    y.sum().backward()
    assert y.item() == 1.0 and x.grad.data[0, 0, -1, -1] == 1.0 and x.grad.data.sum() == 1.0


def test_argmax_and_argmin_along_an_axis_and_over_everything():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]), requires_grad=True)
    np.testing.assert_array_equal(ag.argmax(x, axis=1).data, [1, 0])  # the first of equal maxima
    np.testing.assert_array_equal(ag.argmin(x, axis=0).data, [0, 1, 0])
    np.testing.assert_array_equal(ag.argmax(x, axis=1, keepdims=True).data, [[1], [0]])
    assert ag.argmax(x).item() == 3 and not ag.argmax(x).requires_grad


@pytest.mark.parametrize(("weight_grad", "bias_grad"), [(True, False), (False, True), (True, True)])
def test_normalization_gives_each_parameter_its_own_gradient(weight_grad, bias_grad):
    x = leaf(IMAGES)
    w, b = Tensor(np.array([1.5, -0.5]), requires_grad=weight_grad), Tensor(np.array([0.1, 0.2]),
                                                                             requires_grad=bias_grad)
    upstream = np.random.default_rng(3).standard_normal(IMAGES.shape)
    _batch_norm(x, w, b).backward(upstream)
    x_hat = (IMAGES - IMAGES.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        IMAGES.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    if weight_grad:
        np.testing.assert_allclose(w.grad.data, (upstream * x_hat).sum(axis=(0, 2, 3)), rtol=1e-10)
    else:
        assert w.grad is None
    if bias_grad:
        np.testing.assert_allclose(b.grad.data, upstream.sum(axis=(0, 2, 3)), rtol=1e-10)
    else:
        assert b.grad is None


# ---------------------------------------------------------------------- selections: the fast product and its fallback
@pytest.mark.parametrize("f", [ag.relu, lambda x: ag.maximum(x, Tensor(np.zeros_like(x.data)))])
def test_a_selection_of_an_empty_tensor_has_an_empty_gradient(f):
    x = leaf(np.zeros((0, 3)), np.float32)
    f(x).sum().backward()
    assert x.grad.shape == (0, 3) and x.grad.dtype == np.float32


def test_relu_of_a_0d_tensor_gives_exactly_0_from_an_infinite_gradient_as_a_0d_array():
    for value, expected in ((-1.0, 0.0), (2.0, np.inf)):
        (g,) = gradient(ag.relu, leaf(value, np.float32), upstream=np.inf)
        assert type(g) is np.ndarray and g.shape == () and g.dtype == np.float32
        assert g == expected


def test_relu_keeps_its_dtype_and_a_nan_gradient_where_the_unit_was_on():
    (g,) = gradient(ag.relu, leaf([-1.0, 2.0, -3.0, 4.0], np.float32), upstream=[np.inf, np.nan, np.nan, 1.0])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, np.array([0.0, np.nan, 0.0, 1.0], np.float32))


# ---------------------------------------------------------------------- dropout's draws
class _Draws:
    """A generator that hands out given numbers, and remembers the dtype it was asked for."""

    def __init__(self, values):
        self.values, self.dtypes = np.asarray(values), []

    def random(self, shape, dtype=np.float64):
        self.dtypes.append(np.dtype(dtype))
        return self.values.reshape(shape).astype(dtype)


def test_dropout_keeps_an_element_whose_draw_equals_p_and_draws_float32():
    draws = _Draws([0.25, 0.2499, 0.9, 0.0])
    x = leaf([1.0, 2.0, 3.0, 4.0], np.float32)
    y = ag.functions.Dropout.apply(x, 0.25, draws)
    np.testing.assert_allclose(y.data, np.array([1.0, 0.0, 3.0, 0.0]) / 0.75, rtol=1e-6)
    assert draws.dtypes == [np.dtype(np.float32)]
