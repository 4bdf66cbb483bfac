"""assert_grads_close, check_backprop, gradcheck_property and backprop_test catch what they promise to."""

import numpy as np
import pytest
from hypothesis import strategies as st

import autograd as ag
from autograd import Function, GradcheckError, Tensor
from autograd.testing import assert_grads_close, backprop_test, check_backprop, gradcheck_property
from autograd.testing import strategies as ags


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


class Double(Function):
    """y = 2x, dy/dx = 2. Subclasses plant one bug each."""

    def forward(self, x):
        return 2.0 * x

    def backward(self, gy):
        return gy * 2.0


class MutatesInput(Double):
    def forward(self, x):
        x *= 2.0  # bug: modifies the caller's array
        return x.copy()


class MutatesUpstream(Double):
    def backward(self, gy):
        gy.data *= 2.0  # bug: modifies the gradient it was given
        return gy


class GradientIsTheInput(Function):
    """y = x**2 / 2, dy/dx = x. Bug: returns the input array itself as the gradient (when gy is 1)."""

    def forward(self, x):
        self.x = x
        return x * x / 2

    def backward(self, gy):
        return gy * Tensor._make(self.x)


class ReturnsInputArray(GradientIsTheInput):
    def backward(self, gy):
        return Tensor._make(self.x)  # bug: aliases x (and ignores gy)


class NeverReleases(Double):
    def forward(self, x):
        self.save_for_backward(x)
        return 2.0 * x

    def release(self):  # bug: keeps the saved arrays after backward
        pass


class KeepsItselfAlive(Double):
    def forward(self, x):
        self.me = self  # bug: a reference cycle, so the node outlives its graph
        return 2.0 * x


class TwoOutputs(Function):
    """(a + b, a * b): several inputs and outputs."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a + b, a * b

    def backward(self, g_sum, g_prod):
        a, b = self.saved_tensors
        return g_sum + g_prod * b, g_sum + g_prod * a


# ---------------------------------------------------------------------- assert_grads_close
def test_assert_grads_close_passes_and_fails_with_the_report():
    assert_grads_close(lambda a, b: (a * b).tanh(), f64([1.0, 2.0]), f64([0.5, -0.5]), second_order=True)

    class Wrong(Double):
        def backward(self, gy):
            return gy * 3.0

    with pytest.raises(GradcheckError, match="1.5 \\* numerical"):
        assert_grads_close(Wrong.apply, f64([1.0, 2.0]))


# ---------------------------------------------------------------------- check_backprop
def test_check_backprop_passes_for_correct_functions_with_several_outputs():
    check_backprop(TwoOutputs.apply, (f64([1.0, 2.0]), f64([[3.0], [4.0]])),
                   reference=lambda a, b: (a + b, a * b), second_order=True)
    check_backprop(Double.apply, (f64(1.5),), reference=lambda x: 2 * x, grad_output=np.array(-3.0))


def test_check_backprop_leaves_the_callers_tensors_alone():
    x = f64([1.0, 2.0])
    check_backprop(Double.apply, (x,))
    assert x.grad is None  # the check used fresh leaves sharing x's data


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (MutatesInput.apply, "input 0 .* was modified by forward or backward"),
        (MutatesUpstream.apply, "backward modified the upstream gradient"),
        (ReturnsInputArray.apply, "gradient of input 0 shares memory with input 0"),
        (NeverReleases.apply, r"still hold their saved arrays: \['NeverReleases'\]"),
        (KeepsItselfAlive.apply, r"(?s)graph is still alive .*\['KeepsItselfAlive'\].*reference cycle"),
    ],
)
def test_check_backprop_catches_hygiene_bugs(op, message):
    with pytest.raises(AssertionError, match=message):
        check_backprop(op, (f64([1.0, 2.0]),))


def test_check_backprop_compares_forward_with_reference_in_value_shape_and_dtype():
    with pytest.raises(AssertionError, match="differs from the NumPy reference"):
        check_backprop(Double.apply, (f64([1.0, 2.0]),), reference=lambda x: 3 * x)
    with pytest.raises(AssertionError, match=r"has shape \(2,\), the NumPy reference \(1, 2\)"):
        check_backprop(Double.apply, (f64([1.0, 2.0]),), reference=lambda x: 2 * x[None])
    with pytest.raises(AssertionError, match="has dtype float64, the NumPy reference float32"):
        check_backprop(Double.apply, (f64([1.0, 2.0]),), reference=lambda x: (2 * x).astype(np.float32))


def test_check_backprop_reports_wrong_gradients_like_gradcheck():
    class Wrong(Double):
        def backward(self, gy):
            return -gy * 2.0

    with pytest.raises(AssertionError, match="(?s)check_backprop failed .*sign error"):
        check_backprop(Wrong.apply, (f64([1.0, 2.0]),))


def test_check_backprop_of_function_ignoring_an_input_and_non_tensor_arguments():
    check_backprop(lambda x, y, axis: x.sum(axis=axis), (f64([[1.0, 2.0]]), f64([3.0]), 1),
                   reference=lambda x, y, axis: np.sum(x, axis=axis))


# ---------------------------------------------------------------------- one-line property tests
test_tanh_times_input_gradients = gradcheck_property(lambda x: x.tanh() * x, ags.tensors(), max_examples=15)
test_two_output_op_gradients = gradcheck_property(
    TwoOutputs.apply, ags.tensors(shape=(3,)), ags.tensors(shape=(3,)), second_order=True, max_examples=10
)
test_exp_backprop = backprop_test(ag.exp, np.exp, max_examples=15)
test_two_output_op_backprop = backprop_test(
    TwoOutputs.apply, lambda a, b: (a + b, a * b), nargs=2, max_examples=15
)


def test_property_helpers_are_named_for_pytest():
    assert test_exp_backprop.__name__ == "test_exp_backprop"
    assert test_two_output_op_gradients.__name__ == "test_TwoOutputs_gradients"


def test_backprop_test_finds_a_planted_bug_and_shrinks_it():
    class WrongForNegative(Function):
        """|x| with the gradient sign wrong for negative x: only some inputs expose it."""

        def forward(self, x):
            self.sign = np.where(x > 0, 1.0, 1.0)  # bug: should be -1 where x < 0
            return np.abs(x)

        def backward(self, gy):
            return gy * self.sign

    test = backprop_test(WrongForNegative.apply, np.abs, avoid=(0.0,), max_examples=30)
    with pytest.raises(AssertionError, match="WrongForNegative.apply"):
        test()


def test_gradcheck_property_finds_a_planted_bug():
    test = gradcheck_property(lambda x: x.relu(), ags.tensors(), max_examples=30)
    with pytest.raises(AssertionError, match="not differentiable within eps"):
        test()  # tensors() draws 0.0 (hypothesis likes it): relu has a kink there


def test_backprop_test_input_options():
    with pytest.raises(TypeError, match="pass nargs= or inputs="):
        backprop_test(lambda *xs: xs[0])
    backprop_test(lambda x, c: x * c, lambda x, c: x * c,
                  inputs=[ags.tensors(), st.floats(-2, 2)], max_examples=5)()
    backprop_test(lambda a, b: a - b, np.subtract, broadcast=False, max_examples=5)()
    backprop_test(lambda x: x * 1.0, lambda x: x, inputs=ags.tensors(), max_examples=5)()  # single tensors
