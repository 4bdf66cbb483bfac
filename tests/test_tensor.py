"""The Tensor API: construction, attributes, operators, NumPy interop, indexing, stability and errors."""

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- construction and attributes
def test_attributes_of_a_leaf():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float32
    assert t.is_leaf and t.grad_fn is None and t.grad is None and t.requires_grad
    assert isinstance(t.data, np.ndarray)
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(np.asarray(t), t.data)
    assert t.numpy() is t.data


def test_tensor_function_and_dtype_argument():
    t = ag.tensor([1, 2, 3], dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor(np.arange(3, dtype=np.float64)).dtype == np.float64
    assert Tensor(2.5).shape == ()


def test_numpy_input_is_copied_but_as_tensor_shares():
    array = np.zeros(3)
    t = Tensor(array)
    t.data[0] = 1.0
    assert array[0] == 0.0
    shared = ag.as_tensor(array)
    shared.data[0] = 2.0
    assert array[0] == 2.0


def test_conversions():
    t = Tensor([[2.5]])
    assert t.item() == 2.5 and float(t) == 2.5 and int(Tensor(3)) == 3
    with pytest.raises(ValueError, match=r"\(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError):
        len(Tensor(1.0))
    assert [x.item() for x in Tensor([1.0, 2.0])] == [1.0, 2.0]


def test_repr_shows_requires_grad_and_grad_fn():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<Mul>)"
    assert "dtype=float64" in repr(Tensor(np.array([1.0])))
    assert "name='W1'" in repr(Tensor([1.0], name="W1"))


def test_detach_and_requires_grad_():
    x = f64([1.0, 2.0])
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.data, [2.0, 4.0])
    z = Tensor([1.0]).requires_grad_()
    assert z.requires_grad


# ---------------------------------------------------------------------- operators
def test_operators_with_numbers_and_arrays_on_either_side():
    x = f64([1.0, 2.0])
    arr = np.array([10.0, 20.0])
    cases = {
        "add": (x + arr, arr + x),
        "sub": (arr - x, 3 - x),
        "mul": (arr * x, 2 * x),
        "div": (arr / x, 1 / x),
        "pow": (2**x, x**2),
        "matmul": (arr @ x, x @ arr),
    }
    for name, (left, right) in cases.items():
        assert isinstance(left, Tensor) and isinstance(right, Tensor), name
        assert left.grad_fn is not None and right.grad_fn is not None, name
    np.testing.assert_allclose(cases["add"][0].data, [11.0, 22.0])
    np.testing.assert_allclose(cases["sub"][1].data, [2.0, 1.0])
    np.testing.assert_allclose((-x).data, [-1.0, -2.0])
    np.testing.assert_allclose(cases["matmul"][0].data, 50.0)


def test_comparisons_return_bool_tensors_without_graph():
    x = f64([1.0, 2.0, 3.0])
    for result, expected in [
        (x < 2, [True, False, False]), (x <= 2, [True, True, False]), (x > 2, [False, False, True]),
        (x >= 2, [False, True, True]), (x == 2, [False, True, False]), (x != 2, [True, False, True]),
    ]:
        assert isinstance(result, Tensor) and result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)
    assert hash(x) == hash(x)  # tensors stay usable as dict keys despite elementwise ==


def test_unsupported_operand_types_name_the_type():
    x = f64([1.0])
    with pytest.raises(TypeError, match="str"):
        x + "a"
    with pytest.raises(TypeError, match="dict"):
        ag.exp({})
    with pytest.raises(TypeError, match="complex"):
        Tensor(1j)


def test_shape_errors_name_the_op_and_both_shapes():
    a, b = f64(np.ones((3, 4))), f64(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned: 4 != 5"):
        a @ b
    with pytest.raises(ValueError, match=r"Add.*\(3, 4\).*\(5, 2\)"):
        a + b
    with pytest.raises(RuntimeError, match=r"reshape.*\(3, 4\)"):  # our errors are RuntimeErrors too
        a.reshape(5, 5)
    with pytest.raises(ValueError, match=r"concatenate"):
        ag.concatenate([a, b], axis=0)
    with pytest.raises(ValueError, match=r"axis 2"):
        a.sum(axis=2)
    with pytest.raises(ValueError, match=r"broadcast_to.*\(3, 4\)"):
        a.broadcast_to((2, 3))


# ---------------------------------------------------------------------- indexing
def test_getitem_basic_slices_integer_arrays_and_masks():
    x = f64(np.arange(12.0).reshape(3, 4))
    x[1:, ::2].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]])

    y = f64(np.arange(4.0))
    y[np.array([0, 0, 3, 0])].sum().backward()  # repeated indices accumulate
    np.testing.assert_array_equal(y.grad.data, [3, 0, 0, 1])

    z = f64([-1.0, 2.0, -3.0, 4.0])
    z[z > 0].sum().backward()  # a boolean Tensor mask
    np.testing.assert_array_equal(z.grad.data, [0, 1, 0, 1])

    with pytest.raises(IndexError, match=r"\(4,\)"):
        z[10]


def test_repeat_follows_numpy():
    x = np.arange(6.0).reshape(2, 3)
    for repeats, axis in [(2, None), (3, 0), (2, 1), (np.array([1, 0, 2]), 1), ([2], 0)]:
        np.testing.assert_array_equal(Tensor(x).repeat(repeats, axis=axis).data, np.repeat(x, repeats, axis=axis))


# ---------------------------------------------------------------------- reductions
def test_max_and_min_ties_share_the_gradient_equally():
    x = f64([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5, 0.0])
    y = f64([[1.0, 1.0], [0.0, 5.0]])
    y.min(axis=1).sum().backward()
    np.testing.assert_allclose(y.grad.data, [[0.5, 0.5], [1.0, 0.0]])


def test_mean_and_var_match_numpy():
    data = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(Tensor(data).mean(axis=0).data, data.mean(axis=0))
    np.testing.assert_allclose(Tensor(data).var(axis=1, ddof=1).data, data.var(axis=1, ddof=1))


# ---------------------------------------------------------------------- numerical stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_functions_are_finite_at_plus_minus_1000(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy overflow warning fails the test
        x = Tensor(np.array([[-1000.0, 0.0, 1000.0]], dtype=dtype), requires_grad=True)
        outputs = [x.sigmoid(), x.softmax(axis=1), x.log_softmax(axis=1), x.logsumexp(axis=1)]
        for out in outputs:
            assert np.all(np.isfinite(out.data)), out
            x.grad = None
            out.backward(np.ones(out.shape, dtype=dtype))
            assert np.all(np.isfinite(x.grad.data)) and x.grad.dtype == dtype
        np.testing.assert_allclose(outputs[0].data, [[0.0, 0.5, 1.0]])
        np.testing.assert_allclose(outputs[3].data, [1000.0])


def test_logsumexp_of_all_minus_inf_row_is_minus_inf():
    x = Tensor(np.array([-np.inf, -np.inf]))
    assert x.logsumexp().item() == -np.inf
