"""Users' own operations: subclass autograd.Function exactly as our primitives are written."""

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, gradcheck, gradgradcheck
from autograd.testing import backprop_test
from autograd.testing import strategies as ags


class Softplus(Function):
    """y = log(1 + e**x), computed stably as logaddexp(0, x).  dy/dx = sigmoid(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.logaddexp(0.0, x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * x.sigmoid()


class ScaledSum(Function):
    """y = scale * sum(x, axis): a non-tensor positional argument (scale) and a keyword one (axis).

    dy/dx = scale, repeated over the summed axis.
    """

    def forward(self, x, scale, axis=0):
        self.scale, self.axis, self.shape = scale, axis, x.shape
        return scale * np.sum(x, axis=axis)

    def backward(self, gy):
        return gy.unsqueeze(self.axis).broadcast_to(self.shape) * self.scale  # one gradient: scale gets none


class WeightedProduct(Function):
    """z = a * b * w with three tensor inputs; needs_input_grad lets backward skip unneeded work."""

    calls: list = []

    def forward(self, a, b, w):
        self.save_for_backward(a, b, w)
        return a * b * w

    def backward(self, gz):
        a, b, w = self.saved_tensors
        WeightedProduct.calls.append(self.needs_input_grad)
        ga = gz * b * w if self.needs_input_grad[0] else None
        gb = gz * a * w if self.needs_input_grad[1] else None
        gw = gz * a * b if self.needs_input_grad[2] else None
        return ga, gb, gw


class SplitSigns(Function):
    """Two outputs: (relu(x), relu(-x)), so x = pos - neg.  Each output's gradient flows back separately."""

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, 0.0), np.where(self.positive, 0.0, -x)

    def backward(self, g_pos, g_neg):
        return ag.where(self.positive, g_pos, -g_neg)


class ExpWithOutputSaved(Function):
    """y = e**x, saving the output y (dy/dx = y), so the backward graph connects to the output node."""

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def test_custom_op_appears_under_its_class_name():
    y = Softplus.apply(f64([0.0, 1.0]))
    assert type(y.grad_fn) is Softplus and y.grad_fn.name == "Softplus"
    assert "grad_fn=<Softplus>" in repr(y)
    assert [type(n).__name__ for n in ag.topological_order([(y * 2).grad_fn])] == ["Mul", "Softplus"]


def test_custom_op_appears_in_graph_pictures():
    viz = pytest.importorskip("autograd.viz")
    y = Softplus.apply(f64([0.0, 1.0])).sum()
    assert "Softplus" in viz.to_dot(y)


def test_softplus_is_stable_and_its_gradients_check():
    x = f64([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y = Softplus.apply(x)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, np.log1p(np.exp(-2.0)), np.log(2.0), 3 + np.log1p(np.exp(-3.0)), 1000.0])
    np.testing.assert_allclose(x.grad.data, np.exp(-np.logaddexp(0.0, -x.data)))  # sigmoid, stably
    assert gradcheck(Softplus.apply, f64([-2.0, 0.5, 3.0]))
    assert gradgradcheck(Softplus.apply, f64([-2.0, 0.5, 3.0]))


def test_non_tensor_arguments_pass_through_to_forward():
    x = f64(np.arange(6.0).reshape(2, 3))
    y = ScaledSum.apply(x, 0.5, axis=1)
    np.testing.assert_allclose(y.data, [1.5, 6.0])
    assert gradcheck(lambda t: ScaledSum.apply(t, 0.5, axis=1), (x,))
    assert gradgradcheck(lambda t: ScaledSum.apply(t, 3.0), (x,))


def test_needs_input_grad_reflects_which_inputs_require_grad():
    WeightedProduct.calls.clear()
    a, b, w = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False), f64([0.5, 0.5])
    WeightedProduct.apply(a, b, w).sum().backward()
    assert WeightedProduct.calls == [(True, False, True)]
    np.testing.assert_allclose(a.grad.data, b.data * w.data)
    np.testing.assert_allclose(w.grad.data, a.data * b.data)
    assert b.grad is None
    assert gradcheck(WeightedProduct.apply, (a, b, w))


def test_no_node_is_recorded_when_nothing_requires_grad_or_under_no_grad():
    WeightedProduct.calls.clear()
    constant = f64([1.0], requires_grad=False)
    assert WeightedProduct.apply(constant, constant, constant).grad_fn is None
    with ag.no_grad():
        assert WeightedProduct.apply(f64([1.0]), constant, constant).grad_fn is None


def test_several_outputs_share_one_node_and_backward_receives_every_gradient():
    x = f64([-2.0, 0.5, 3.0])
    pos, neg = SplitSigns.apply(x)
    assert pos.grad_fn is neg.grad_fn
    np.testing.assert_allclose((pos - neg).data, x.data)
    (pos * 2.0 + neg * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [-5.0, 2.0, 2.0])
    assert gradcheck(SplitSigns.apply, (x,))


def test_an_unused_output_gets_a_zero_gradient():
    x = f64([-2.0, 0.5])
    pos, _ = SplitSigns.apply(x)
    pos.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0])


def test_saved_output_connects_the_backward_graph_for_higher_order():
    x = f64([0.3, -0.2])
    assert gradgradcheck(ExpWithOutputSaved.apply, (x,))
    (g,) = ag.grad(ExpWithOutputSaved.apply(x).sum(), x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, np.exp(x.data))


def test_freed_custom_op_refuses_a_second_backward():
    y = Softplus.apply(f64([1.0])).sum()
    y.backward()
    with pytest.raises(ag.GraphError, match="Softplus.*second time"):
        y.backward()


# Property tests of the custom ops, as a user would write them.
test_softplus_backprop = backprop_test(Softplus.apply, lambda x: np.logaddexp(0.0, x), second_order=True,
                                       max_examples=20)
test_weighted_product_backprop = backprop_test(WeightedProduct.apply, lambda a, b, w: a * b * w, max_examples=20)
test_split_signs_backprop = backprop_test(
    SplitSigns.apply, lambda x: (np.maximum(x, 0.0), np.maximum(-x, 0.0)), avoid=(0.0,), max_examples=20
)
test_scaled_sum_backprop = backprop_test(
    lambda x, axis: ScaledSum.apply(x, 2.0, axis=axis), lambda x, axis: 2.0 * np.sum(x, axis=axis),
    inputs=ags.tensors_and_axes(single=True), max_examples=20,
)
