"""The engine's fast paths give the same answers as the plain ones.

Fused primitives (linear, softmax cross-entropy) against their compositions; the first-order backward on
raw arrays against the recorded (create_graph) one; the one- and two-argument fast paths of apply against
its general path; constants cached for the operators; in-place checks by sequence stamp.
"""

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GraphError, Tensor
from autograd.function import _apply_general
from autograd.functions import Exp, Mul


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


rng = np.random.default_rng(0)


# ---------------------------------------------------------------------- fused linear
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_matmul_plus_bias_with_gradients(x_shape, with_bias):
    x, w, b = f64(rng.standard_normal(x_shape)), f64(rng.standard_normal((4, 3))), f64(rng.standard_normal(3))
    args = (x, w, b) if with_bias else (x, w)
    fused = ag.linear(*args)
    plain = x @ w + b if with_bias else x @ w
    assert type(fused.grad_fn).__name__ == "Linear"
    np.testing.assert_allclose(fused.data, plain.data)
    assert ag.gradcheck(lambda *a: ag.linear(*a), args)
    assert ag.gradgradcheck(lambda *a: ag.linear(*a), args)


def test_linear_keeps_float32_and_falls_back_for_other_bias_shapes():
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    y = ag.linear(x, w, Tensor(np.zeros(2, np.float32), requires_grad=True))
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32
    row_bias = f64(np.ones((3, 1)))  # broadcasts over columns: not the fused shape, still correct
    out = ag.linear(f64(x.data), f64(w.data), row_bias)
    np.testing.assert_allclose(out.data, x.data @ w.data + 1.0, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(row_bias.grad.data, np.full((3, 1), 2.0))


def test_linear_shape_error_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"linear.*\(3, 5\).*\(4, 2\)"):
        ag.linear(f64(np.ones((3, 5))), f64(np.ones((4, 2))))


# ---------------------------------------------------------------------- fused softmax cross-entropy
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_matches_log_softmax_gather(reduction):
    z = f64(rng.standard_normal((6, 4)))
    labels = np.array([0, 3, 1, 1, 2, 0])
    fused = ag.softmax_cross_entropy(z, labels, reduction)
    per_sample = -z.log_softmax(axis=1)[np.arange(6), labels]
    plain = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    np.testing.assert_allclose(fused.data, plain.data)
    assert ag.gradcheck(lambda z: ag.softmax_cross_entropy(z, labels, reduction), (z,))
    assert ag.gradgradcheck(lambda z: ag.softmax_cross_entropy(z, labels, reduction), (z,))


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = Tensor(rng.standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    labels = np.array([2, 0, 1, 2, 2])
    loss = ag.softmax_cross_entropy(z, labels)
    loss.backward()
    p = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    expected = (p - np.eye(3)[labels]) / 5
    assert loss.dtype == z.grad.dtype == np.float32
    np.testing.assert_allclose(z.grad.data, expected, rtol=1e-5, atol=1e-7)


def test_softmax_cross_entropy_is_stable_and_checks_labels():
    big = f64([[1000.0, -1000.0], [-1000.0, 1000.0]])
    loss = ag.softmax_cross_entropy(big, [1, 1], "none")
    np.testing.assert_allclose(loss.data, [2000.0, 0.0])
    single = ag.softmax_cross_entropy(f64([0.0, 0.0]), 1, "none")
    assert single.shape == () and single.item() == pytest.approx(np.log(2))
    with pytest.raises(IndexError, match=r"\[0, 1\]"):
        ag.softmax_cross_entropy(big, [0, 2])
    with pytest.raises(TypeError, match="integers"):
        ag.softmax_cross_entropy(big, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3,\)"):
        ag.softmax_cross_entropy(big, [0, 1, 1])


# ---------------------------------------------------------------------- array backward vs recorded backward
def composite(x, w):
    h = (x @ w).tanh() * 2.0 - 1.0
    h = ag.where(h.data > 0, h, h * 0.1).sigmoid() / (1.0 + h.exp())
    h = h.reshape(-1).max() + h.sum(axis=0).mean() + (h ** 2).logsumexp(axis=1).sum()
    return h + ag.softmax(x, axis=1).log_softmax(axis=0).sum() + (x[:, :2] * x[1, 1:3]).abs().sum() ** 0.5


def test_first_order_backward_on_arrays_equals_the_recorded_backward():
    x, w = f64(rng.standard_normal((3, 4))), f64(rng.standard_normal((4, 5)))
    fast = ag.grad(composite(x, w), [x, w])  # raw ndarrays inside
    recorded = ag.grad(composite(x, w), [x, w], create_graph=True)  # Tensors, recorded
    assert all(g.requires_grad for g in recorded)
    for a, b in zip(fast, recorded, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_user_functions_still_get_tensors_in_backward():
    seen = []

    class Cube(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x**3

        def backward(self, gy):
            (x,) = self.saved_tensors
            seen.append((type(gy), type(x)))
            return gy * 3 * x * x

    x = f64([1.0, 2.0])
    Cube.apply(x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])
    assert seen == [(Tensor, Tensor)]


def test_fast_apply_paths_build_the_same_node_as_apply():
    x, c = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    general, binary = _apply_general(Mul, (x, c), {}), Mul.apply(x, c)
    unary_general, unary = _apply_general(Exp, (x,), {}), Exp.apply(x)
    for a, b in ((general, binary), (unary_general, unary)):
        node_a, node_b = a.grad_fn, b.grad_fn
        np.testing.assert_array_equal(a.data, b.data)
        assert node_a.next_edges == node_b.next_edges and node_a.needs_input_grad == node_b.needs_input_grad
        assert node_a.input_shapes == node_b.input_shapes and node_a.input_dtypes == node_b.input_dtypes
        assert node_b.sequence_number > node_a.sequence_number
    with ag.no_grad():
        assert Mul.apply(x, c).grad_fn is None and Exp.apply(x).grad_fn is None


# ---------------------------------------------------------------------- constants and in-place stamps
def test_python_constants_keep_sign_of_zero_nan_and_dtype():
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    assert np.signbit((x * -0.0).data).tolist() == [True, False]
    assert np.signbit((x * 0.0).data).tolist() == [False, True]
    assert np.isnan((x + float("nan")).data).all()
    y = 2.0 * x - 1 + x / 4.0
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.25, 2.25])


def test_inplace_change_after_recording_is_caught_but_not_before():
    a = Tensor(np.array([3.0, 4.0]))
    with ag.no_grad():
        a *= 2.0  # before the op: fine
    x = f64([1.0, 2.0])
    (x * a).sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 8.0])
    y = (x * a).sum()
    a += 1.0  # after the op saved a: backward must refuse
    with pytest.raises(GraphError, match="in-place"):
        y.backward()
    z = (x * a).sum()
    unrelated = Tensor(np.zeros(2))
    unrelated += 1.0  # an in-place change of a tensor the node never saw does not matter
    z.backward()


def test_saved_output_modified_in_place_is_caught_also_with_create_graph():
    x = f64([0.5, 1.0])
    y = x.exp()
    loss = y.sum()  # Sum saves nothing: the Exp node, which saved y, is the one to notice
    with ag.no_grad():
        y += 1.0
    with pytest.raises(GraphError, match="Exp"):
        ag.grad(loss, x, create_graph=True)
