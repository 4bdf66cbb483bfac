"""The textbook's computational graphs, as example tests a reader can follow by hand."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def test_buying_two_apples_with_tax():
    # price 100, 2 apples, 10% tax: total = 100 * 2 * 1.1 = 220
    price = Tensor(100.0, requires_grad=True, dtype=np.float64)
    count = Tensor(2.0, requires_grad=True, dtype=np.float64)
    tax = Tensor(1.1, requires_grad=True, dtype=np.float64)
    total = price * count * tax
    total.backward()
    assert total.item() == pytest.approx(220.0)
    assert price.grad.item() == pytest.approx(2.2)  # d total / d price = count * tax
    assert count.grad.item() == pytest.approx(110.0)  # = price * tax
    assert tax.grad.item() == pytest.approx(200.0)  # = price * count


def test_square_of_sum_gives_twice_the_sum():
    x = Tensor(3.0, requires_grad=True, dtype=np.float64)
    y = Tensor(4.0, requires_grad=True, dtype=np.float64)
    z = (x + y) ** 2
    z.backward()
    assert x.grad.item() == pytest.approx(2 * (3.0 + 4.0))
    assert y.grad.item() == pytest.approx(2 * (3.0 + 4.0))


def test_branch_node_sums_incoming_gradients():
    # x feeds two paths: z = x * 3 + x * 5, so dz/dx = 3 + 5
    x = Tensor(2.0, requires_grad=True)
    z = x * 3 + x * 5
    z.backward()
    assert x.grad.item() == pytest.approx(8.0)


def test_repeat_backward_sums_and_sum_backward_repeats():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True, dtype=np.float64)  # shape (1, 3)
    copies = x.repeat(4, axis=0)  # the Repeat node: shape (4, 3)
    weights = np.arange(12.0).reshape(4, 3)
    (copies * weights).sum().backward()
    # each element of x was copied 4 times: its gradient is the sum of the 4 copies' gradients
    np.testing.assert_allclose(x.grad.data, weights.sum(axis=0, keepdims=True))

    y = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    s = y.sum(axis=0)  # the Sum node
    upstream = np.array([1.0, 10.0, 100.0])
    s.backward(upstream)
    # the gradient of the sum is copied ("repeated") to every summed element
    np.testing.assert_allclose(y.grad.data, np.repeat(upstream[None, :], 2, axis=0))


def test_fixed_weight_three_layer_tanh_network():
    # Each unit sums tanh(input * weight) over its inputs; the output unit sums input * weight.
    x = Tensor([3.0, 5.0], dtype=np.float64)
    hidden1 = Tensor([[2.0, 4.0], [4.0, -5.0]], dtype=np.float64)
    hidden2 = Tensor([[-1.0, 1.0], [2.0, 2.0]], dtype=np.float64)
    output = Tensor([-3.0, 7.0], dtype=np.float64)
    h1 = (x * hidden1).tanh().sum(axis=1)
    h2 = (h1 * hidden2).tanh().sum(axis=1)
    y = (h2 * output).sum()
    assert y.item() == pytest.approx(9.887385002294863, abs=1e-12)


def test_two_layer_net_gradient_matches_hand_derivation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    w1 = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w2 = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    h = (Tensor(x) @ w1).tanh()
    loss = (h @ w2).sum()
    loss.backward()
    # by hand: dL/dw2 = h^T 1,  dL/dh = 1 w2^T,  dL/dw1 = x^T (dL/dh * (1 - h^2))
    ones = np.ones((5, 2))
    np.testing.assert_allclose(w2.grad.data, h.data.T @ ones)
    dh = ones @ w2.data.T
    np.testing.assert_allclose(w1.grad.data, x.T @ (dh * (1 - h.data**2)))


def test_functions_in_the_namespace_match_methods():
    x = Tensor([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(ag.exp(x).data, x.exp().data)
    np.testing.assert_allclose(ag.softmax(x, axis=0).data, x.softmax(axis=0).data)
    np.testing.assert_allclose(ag.logsumexp(x, axis=1).data, x.logsumexp(axis=1).data)
