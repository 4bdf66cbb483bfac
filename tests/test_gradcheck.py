"""gradcheck, gradgradcheck and numerical_grad: they accept right gradients and explain wrong ones."""

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GradcheckError, Tensor, gradcheck, gradgradcheck, numerical_grad


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- user-defined ops to check
class Square(Function):
    """y = x**2, dy/dx = 2x; `factor` lets a test plant a wrong constant."""

    factor = 2.0

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * (self.factor * x)


class HalfSquare(Square):
    factor = 1.0  # bug: forgets the 2 of d(x**2) = 2x


class SquareIgnoringUpstream(Function):
    """Bug: returns the local derivative without multiplying by the incoming gradient."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return 2.0 * x


class ReverseForgetsToFlip(Function):
    """y = x[::-1]. Bug: backward passes the gradient through without flipping it back.

    An all-ones upstream gradient is symmetric under the flip, so checking sum(f) cannot see the bug.
    """

    def forward(self, x):
        return x[::-1].copy()

    def backward(self, gy):
        return gy  # should be gy[::-1]


class SwapsGradients(Function):
    """z = a * 2 + b * 3, with the two gradients swapped: equal upstream values can hide it."""

    def forward(self, a, b):
        return a * 2 + b * 3

    def backward(self, gz):
        return gz * 3.0, gz * 2.0


class NumpySin(Function):
    """y = sin x with a first derivative computed in NumPy: right once, but a constant for create_graph."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, gy):
        return gy * Tensor(np.cos(self.x))


class Sin(Function):
    """y = sin x, dy/dx = cos x written with Tensor ops (cos x = sin(x + pi/2)), so it differentiates again."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.sin(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * Sin.apply(x + np.pi / 2)


# ---------------------------------------------------------------------- passing checks
def test_gradcheck_accepts_correct_gradients_of_several_inputs_and_outputs():
    a, b = f64([[0.5, -1.0], [2.0, 0.3]]), f64([1.5, -0.7])
    assert gradcheck(lambda x, y: (x * y).tanh() + x @ y.reshape(2, 1), (a, b))
    assert gradcheck(lambda x, y: (x.sum(axis=0), (x * y).exp()), (a, b))  # a tuple of outputs
    assert gradcheck(Square.apply, f64(1.5))  # a single tensor instead of a tuple, 0-d


def test_inputs_that_do_not_require_grad_and_non_tensor_arguments_are_passed_through():
    x = f64([1.0, 2.0, 3.0])
    constant = f64([1.0, -1.0, 0.5], requires_grad=False)
    assert gradcheck(lambda t, c, axis: (t * c).sum(axis=axis), (x, constant, 0))


def test_inputs_that_do_not_require_grad_are_not_checked():
    # The gradient w.r.t. b is wrong, but b does not require grad: only a's (right) gradient is checked.
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)

    class RightForA(SwapsGradients):
        def backward(self, gz):
            return gz * 2.0, gz * 100.0

    assert gradcheck(RightForA.apply, (a, b))


def test_output_that_does_not_depend_on_an_input_has_zero_gradient():
    x, unused = f64([1.0, 2.0]), f64([3.0])
    assert gradcheck(lambda a, b: a * 2.0, (x, unused))
    assert gradcheck(lambda a: f64([1.0, 2.0], requires_grad=False) * 1.0, (x,))  # nothing depends on a


def test_float32_inputs_are_checked_with_float64_numerics():
    x = Tensor(np.array([0.3, -1.2, 2.0], dtype=np.float32), requires_grad=True)
    assert gradcheck(lambda t: t.tanh() * t, (x,), atol=1e-4, rtol=1e-3)


def test_fast_mode_accepts_correct_gradients_in_two_evaluations_per_input():
    x = f64(np.linspace(-2, 2, 400).reshape(20, 20))
    calls = []

    def f(t):
        calls.append(1)
        return (t @ t).tanh()

    assert gradcheck(f, (x,), fast_mode=True)
    assert len(calls) == 3  # one analytic forward, two numerical evaluations


# ---------------------------------------------------------------------- failing checks explain themselves
def failure(f, inputs, **kwargs):
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, inputs, **kwargs)
    return str(info.value)


def test_failure_report_names_input_element_values_and_formula():
    message = failure(HalfSquare.apply, (f64([1.0, -2.0, 3.0]),))
    assert "HalfSquare.apply" in message
    assert "input 0 (shape (3,), dtype float64)" in message
    assert "3 of 3 elements disagree; the worst is at index (2,)" in message
    assert "analytic  (backward):" in message and "numerical (central differences):" in message
    assert "|a - n| / max(|a| + |n|, tiny)" in message
    assert "atol + rtol * |n|" in message
    assert "a constant factor is off" in message and "0.5 * numerical" in message


def test_failure_is_an_assertion_error_or_false_on_request():
    x = f64([1.0, 2.0])
    with pytest.raises(AssertionError):
        gradcheck(HalfSquare.apply, (x,))
    assert gradcheck(HalfSquare.apply, (x,), raise_exception=False) is False


def test_random_upstream_gradient_catches_a_backward_that_ignores_it():
    x = f64([1.0, 2.0, -0.5])
    # With an all-ones upstream gradient (what checking sum(f) amounts to) the bug is invisible ...
    assert gradcheck(SquareIgnoringUpstream.apply, (x,), grad_outputs=np.ones(3))
    # ... a random one exposes it, and the report says what is probably wrong.
    message = failure(SquareIgnoringUpstream.apply, (x,))
    assert "ignores its incoming gradient" in message


def test_random_upstream_gradient_catches_a_wrong_jacobian_structure():
    x = f64([1.0, 2.0, 3.0])
    assert gradcheck(ReverseForgetsToFlip.apply, (x,), grad_outputs=np.ones(3))  # invisible to sum(f)
    message = failure(ReverseForgetsToFlip.apply, (x,))
    assert "2 of 3 elements disagree" in message  # the middle element is its own mirror image


def test_swapped_gradients_are_reported_for_the_right_input():
    message = failure(SwapsGradients.apply, (f64([1.0, 2.0]), f64([0.5, 0.5])))
    assert "input 0" in message and "1.5 * numerical" in message


def test_kink_hint_at_non_differentiable_points():
    message = failure(ag.relu, (f64([0.0, 1.0, -1.0]),))
    assert "not differentiable within eps" in message and "relu" in message
    assert "index (0,)" in message


def test_sign_error_and_float32_hints():
    class NegatedSquare(Square):
        factor = -2.0

    assert "sign error" in failure(NegatedSquare.apply, (f64([1.0, 2.0]),))
    x32 = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert "is float32" in failure(HalfSquare.apply, (x32,))


def test_computation_that_left_the_graph_is_hinted():
    message = failure(lambda t: np.asarray(t.data) * 2.0 + t * 0.0, (f64([1.0, 2.0]),))
    assert "analytic gradient is exactly zero" in message and "leave the graph" in message
    assert "ignores its incoming gradient" not in message  # a zero gradient says nothing about that
    message = failure(lambda t: np.asarray(t.data) * 2.0, (f64([1.0, 2.0]),))  # not even a Tensor
    assert "f returned something that is not a Tensor" in message


def test_fast_mode_detects_wrong_gradients_and_points_to_slow_mode():
    message = failure(HalfSquare.apply, (f64(np.linspace(1, 2, 50)),), fast_mode=True)
    assert "fast mode" in message and "fast_mode=False" in message


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="none of the 1 inputs requires grad"):
        gradcheck(Square.apply, (f64([1.0], requires_grad=False),))


# ---------------------------------------------------------------------- second order
def test_gradgradcheck_accepts_tensor_op_backwards():
    x = f64([0.3, -1.2, 2.0])
    assert gradgradcheck(Sin.apply, (x,))
    assert gradgradcheck(lambda t: t**3, (x,))
    w1, w2 = f64(np.linspace(-1, 1, 6).reshape(3, 2)), f64([[0.5], [-1.5]])
    assert gradgradcheck(lambda a, b, c: ((a @ b).tanh() @ c).sigmoid().mean(), (f64(np.ones((4, 3))), w1, w2))


def test_gradgradcheck_rejects_a_backward_computed_outside_the_graph():
    x = f64([0.3, -1.2, 2.0])
    assert gradcheck(NumpySin.apply, (x,))  # the first derivative is right ...
    with pytest.raises(GradcheckError, match="gradgradcheck failed") as info:
        gradgradcheck(NumpySin.apply, (x,))  # ... but it is a constant, so the second derivative is 0
    assert "input 0" in str(info.value)


def test_gradgradcheck_of_linear_function_and_given_grad_outputs():
    x = f64([1.0, 2.0])
    assert gradgradcheck(lambda t: t * 3.0, (x,))
    assert gradgradcheck(lambda t: t * t, (x,), grad_outputs=(np.array([1.0, -2.0]),))


# ---------------------------------------------------------------------- numerical_grad
def test_numerical_grad_is_float64_and_accurate_for_float32_inputs():
    x = Tensor(np.array([0.1, 0.7, -1.3], dtype=np.float32))
    (g,) = numerical_grad(lambda t: (t.exp() * t).sum(), x)
    assert g.dtype == np.float64
    exact = np.exp(x.data.astype(np.float64)) * (1 + x.data.astype(np.float64))
    np.testing.assert_allclose(g, exact, rtol=1e-8)


def test_numerical_grad_with_upstream_gradient_several_inputs_and_non_float_arguments():
    a, b = f64([1.0, 2.0]), np.array([3.0, 4.0])
    ga, gb, gaxis = numerical_grad(lambda x, y, axis: (x * y).sum(axis=axis, keepdims=True), a, b, 0,
                                   grad_output=np.array([2.0]))
    np.testing.assert_allclose(ga, 2 * b, rtol=1e-8)
    np.testing.assert_allclose(gb, 2 * a.data, rtol=1e-8)
    assert gaxis is None


def test_numerical_grad_leaves_inputs_untouched():
    x = f64([1.0, 2.0])
    numerical_grad(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert x.grad is None


def test_numerical_grad_rejects_upstream_gradient_of_wrong_shape():
    with pytest.raises(ValueError, match=r"grad_output 0 has shape \(3,\), but output 0 has shape \(2,\)"):
        numerical_grad(lambda t: t * 2.0, f64([1.0, 2.0]), grad_output=np.ones(3))


def test_given_upstream_gradients_and_non_float_outputs():
    x = f64([1.0, 2.0])
    assert gradcheck(lambda t: t * t, (x,), grad_outputs=(np.array([1.0, -2.0]),))  # a tuple: one per output
    assert gradcheck(lambda t: t * t, (x,), grad_outputs=np.array([1.0, -2.0]))
    assert gradcheck(lambda t: (t * t, t > 1.5), (x,))  # the bool output carries no gradient
    (g,) = numerical_grad(lambda t: (t * t, t > 1.5), x)
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-8)
