"""autograd.func: grad, value_and_grad, jacobian, hessian, vjp, hvp, checked against numerical derivatives."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import DtypeError, ShapeError, Tensor, func, numerical_grad
from autograd.testing import strategies as ags


def numerical_jacobian(f, x):
    """J[out_index + in_index] by central differences, one output element at a time."""
    out = np.asarray(f(Tensor(x)).data)
    rows = []
    for k in range(out.size):
        one_hot = np.zeros(out.shape)
        one_hot.flat[k] = 1
        rows.append(numerical_grad(f, x, grad_output=one_hot)[0])
    return np.stack(rows).reshape(out.shape + x.shape) if rows else np.zeros(out.shape + x.shape)


# ---------------------------------------------------------------------- grad and value_and_grad
def test_grad_of_a_scalar_function_of_a_numpy_array():
    g = func.grad(lambda x: (x**3).sum())(np.array([1.0, 2.0]))
    assert isinstance(g, Tensor) and g.dtype == np.float64
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    assert not g.requires_grad  # a plain call returns constants


def test_grad_with_several_argnums_and_an_unused_argument():
    f = lambda x, y, z: (x * y).sum()  # noqa: E731 - z is deliberately unused
    gx, gz = func.grad(f, argnums=(0, 2))(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0]))
    np.testing.assert_allclose(gx.data, [3.0, 4.0])
    np.testing.assert_allclose(gz.data, [0.0])  # f does not depend on z: a zero gradient, not None


def test_grad_composes_for_higher_derivatives():
    cube = lambda x: x**3  # noqa: E731
    x = np.array(1.5)
    assert func.grad(cube)(x).item() == pytest.approx(3 * 1.5**2)
    assert func.grad(func.grad(cube))(x).item() == pytest.approx(6 * 1.5)
    assert func.grad(func.grad(func.grad(cube)))(x).item() == pytest.approx(6.0)
    # third derivative of tanh against central differences of its (analytic) second derivative
    second = func.grad(func.grad(ag.tanh))
    third = func.grad(second)(np.array(0.3)).item()
    (numerical,) = numerical_grad(lambda t: second(t), np.array(0.3))
    assert third == pytest.approx(float(numerical), rel=1e-6)


def test_value_and_grad_with_aux():
    def loss(w, x):
        prediction = x @ w
        return (prediction**2).mean(), prediction

    w, x = np.array([1.0, -1.0]), np.array([[1.0, 2.0], [3.0, 5.0]])
    (value, prediction), g = func.value_and_grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(prediction.data, [-1.0, -2.0])
    assert value.item() == pytest.approx(2.5)
    np.testing.assert_allclose(g.data, x.T @ (2 * np.array([-1.0, -2.0]) / 2))
    grads, aux = func.grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(grads.data, g.data)
    np.testing.assert_allclose(aux.data, prediction.data)


def test_grad_works_inside_no_grad_and_leaves_dot_grad_alone():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.no_grad():
        g = func.grad(lambda t: (t * t).sum())(w)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert w.grad is None


def test_gradient_inside_a_loss_is_differentiable():
    # A gradient penalty: d/dw of |df/dx|^2 needs the gradient to stay in the graph.
    w = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    x = np.array([1.0, 2.0])
    gx = func.grad(lambda t: (t * w).tanh().sum())(x)
    (gx * gx).sum().backward()
    (numerical,) = numerical_grad(
        lambda ww: (func.grad(lambda t: (t * ww).tanh().sum())(x) ** 2).sum(), w.detach()
    )
    np.testing.assert_allclose(w.grad.data, numerical, rtol=1e-6)


def test_grad_errors_name_the_problem():
    with pytest.raises(ShapeError, match=r"single value.*shape \(2,\).*jacobian"):
        func.grad(lambda x: x * 2)(np.array([1.0, 2.0]))
    with pytest.raises(DtypeError, match="argument 0 has dtype int64"):
        func.grad(lambda x: x.sum())(np.array([1, 2]))
    with pytest.raises(IndexError, match="argnums 3 is out of range"):
        func.grad(lambda x: x.sum(), argnums=3)(np.array([1.0]))
    with pytest.raises(TypeError, match="pair"):
        func.value_and_grad(lambda x: x.sum(), has_aux=True)(np.array([1.0]))


# ---------------------------------------------------------------------- jacobian and hessian
@settings(max_examples=25)
@given(ags.arrays(ags.shapes(max_dims=2, max_side=3)))
def test_jacobian_matches_central_differences(x):
    f = lambda t: (t * t.sum()).tanh()  # noqa: E731 - every output depends on every input
    jac = func.jacobian(f)(x)
    assert jac.shape == x.shape + x.shape
    np.testing.assert_allclose(jac.data, numerical_jacobian(f, x), rtol=1e-6, atol=1e-8)


def test_jacobian_of_several_outputs_and_argnums():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    (ja_first, jb_first), (ja_second, jb_second) = func.jacobian(
        lambda x, y: (x.sum() * y, x * 2.0), argnums=(0, 1)
    )(a, b)
    assert ja_first.shape == (3, 2) and jb_first.shape == (3, 3)
    np.testing.assert_allclose(ja_first.data, np.outer(b, np.ones(2)))
    np.testing.assert_allclose(jb_first.data, 3.0 * np.eye(3))
    np.testing.assert_allclose(ja_second.data, 2.0 * np.eye(2))
    np.testing.assert_allclose(jb_second.data, np.zeros((2, 3)))


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    a = np.array([[1.0, 2.0], [0.5, -3.0]])
    h = func.hessian(lambda x: x @ Tensor(a) @ x)(np.array([0.3, -0.7]))
    np.testing.assert_allclose(h.data, a + a.T)


@settings(max_examples=20)
@given(ags.arrays(ags.shapes(min_dims=1, max_dims=1, max_side=4)))
def test_hessian_is_symmetric_and_matches_numerical_jacobian_of_gradient(x):
    f = lambda t: (t.exp() * t.sum()).sum() + (t**3).sum()  # noqa: E731
    h = func.hessian(f)(x).data
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-10)
    gradient = func.grad(f)
    np.testing.assert_allclose(h, numerical_jacobian(lambda t: gradient(t), x), rtol=1e-6, atol=1e-6)


def test_hessian_with_two_arguments_is_a_nested_tuple():
    (hxx, hxy), (hyx, hyy) = func.hessian(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, 4.0])
    )
    np.testing.assert_allclose(hxx.data, np.diag([6.0, 8.0]))
    np.testing.assert_allclose(hxy.data, np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyx.data, np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyy.data, np.zeros((2, 2)))


# ---------------------------------------------------------------------- vjp and hvp
def test_vjp_returns_the_output_and_a_reusable_product():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, vjp_fn = func.vjp(lambda x, y: x * y, a, b)
    np.testing.assert_allclose(out.data, [3.0, 8.0])
    for v in (np.array([1.0, 10.0]), np.array([-2.0, 0.5])):  # the graph is kept between calls
        ga, gb = vjp_fn(v)
        np.testing.assert_allclose(ga.data, v * b)
        np.testing.assert_allclose(gb.data, v * a)
    with pytest.raises(ShapeError, match=r"cotangent 0 has shape \(3,\), but output 0 has shape \(2,\)"):
        vjp_fn(np.ones(3))


def test_vjp_of_several_outputs():
    (s, p), vjp_fn = func.vjp(lambda x: (x.sum(), x * 3.0), np.array([1.0, 2.0]))
    (g,) = vjp_fn((np.array(2.0), np.array([1.0, -1.0])))
    np.testing.assert_allclose(g.data, [2.0 + 3.0, 2.0 - 3.0])


@settings(max_examples=20)
@given(st.tuples(ags.arrays((3,)), ags.arrays((3,)), ags.arrays((3, 2)), ags.arrays((2,))))
def test_hvp_of_small_mlp_loss_equals_hessian_times_v(args):
    x, v, w1, w2 = args

    def loss(w):
        return ((Tensor(x) @ w.reshape(3, 2)).tanh() @ Tensor(w2)).sigmoid()

    w = w1.reshape(-1)
    v6 = np.concatenate([v, v])
    value, hv = func.hvp(loss, Tensor(w), Tensor(v6))
    assert value.item() == pytest.approx(loss(Tensor(w)).item())
    h = func.hessian(loss)(w).data
    np.testing.assert_allclose(hv.data, h @ v6, rtol=1e-9, atol=1e-12)


def test_hvp_with_several_inputs():
    f = lambda x, y: (x * x * y).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, (hx, hy) = func.hvp(f, (x, y), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    assert value.item() == pytest.approx(1 * 3 + 4 * 4)
    # H = [[diag(2y), diag(2x)], [diag(2x), 0]]; H @ (e0, e1) = (2y*e0 + 2x*e1, 2x*e0)
    np.testing.assert_allclose(hx.data, [6.0, 4.0])
    np.testing.assert_allclose(hy.data, [2.0, 0.0])
    with pytest.raises(ShapeError, match="v 0 has shape"):
        func.hvp(f, (x, y), (np.ones(3), np.ones(2)))


def test_hessian_and_jacobian_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal(3), rng.standard_normal((3, 2))

    def ours(x):
        return ((x @ Tensor(w0)).tanh() ** 2).sum() + (x.exp() * x).sum()

    def theirs(x):
        return ((x @ torch.from_numpy(w0)).tanh() ** 2).sum() + (x.exp() * x).sum()

    expected = torch.autograd.functional.hessian(theirs, torch.from_numpy(x0)).numpy()
    np.testing.assert_allclose(func.hessian(ours)(x0).data, expected, rtol=1e-10, atol=1e-12)
    jac = torch.autograd.functional.jacobian(lambda x: (x @ torch.from_numpy(w0)).sigmoid(), torch.from_numpy(x0))
    np.testing.assert_allclose(func.jacobian(lambda x: (x @ Tensor(w0)).sigmoid())(x0).data, jac.numpy(), rtol=1e-10)
