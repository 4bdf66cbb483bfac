"""Regression tests for the silent wrong gradients and misleading errors found from outside (issue 11).

Each test reproduces one defect as it was reported, and pins the behaviour PyTorch (or NumPy) has.
"""

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import DtypeError, GraphError, ShapeError, Tensor, no_grad


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- 1. advanced indexing accumulates
@pytest.mark.parametrize("index", [((0, 0, 1), slice(None)), ([0, 0, 1], slice(None)), (np.array([0, 0, 1]),),
                                   [0, 0, 1], (((0, 0), (0, 1)),)])
def test_every_advanced_index_form_accumulates_repeated_positions(index):
    W = ag.tensor(np.ones((3, 2)), requires_grad=True)
    W[index].sum().backward()
    expected = np.zeros((3, 2))
    np.add.at(expected, index if isinstance(index, tuple) else (index,), 1.0)
    np.testing.assert_array_equal(W.grad.data, expected)


def test_the_reported_tuple_index_gives_row_0_twice_the_gradient():
    W = ag.tensor(np.ones((3, 2)), requires_grad=True)
    W[(0, 0, 1), :].sum().backward()
    np.testing.assert_array_equal(W.grad.data, [[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]])


# ---------------------------------------------------------------------- 2. views share a version counter
def test_an_in_place_change_through_the_base_is_seen_by_a_node_that_saved_a_view():
    x = f64(np.ones((1, 3)))
    w1, w2 = f64(np.ones((3, 3))), f64(np.ones((3, 3)))
    y = ((x @ w1) @ w2.T).sum()  # MatMul saved w2.T, a view of w2
    with no_grad():
        w2 -= 0.5
    with pytest.raises(GraphError, match="MatMul.*modified by an in-place operation"):
        y.backward()


def test_views_and_their_base_share_one_version():
    base = Tensor(np.zeros(4))
    view = base[1:3]
    assert base._version == view._version == 0
    view += 1.0
    assert base._version == view._version == 1
    np.testing.assert_array_equal(base.data, [0, 1, 1, 0])


@pytest.mark.parametrize("share", ["as_tensor", "slice", "transpose"])
def test_changes_to_memory_shared_in_any_way_are_caught(share):
    x = f64(np.ones(3))
    array = np.ones(3)
    base = ag.as_tensor(array)
    if share == "as_tensor":
        saved, changed = ag.as_tensor(array), base  # two tensors wrapping one array
    elif share == "slice":
        big = Tensor(np.ones(5))
        saved, changed = big[1:4], big
    else:
        square = Tensor(np.ones((3, 3)))
        saved, changed = square.T[0], square
    y = (x * saved).sum()
    with no_grad():
        changed += 1.0
    with pytest.raises(GraphError, match="in-place"):
        y.backward()


# ---------------------------------------------------------------------- 3. one rule for a second backward
@pytest.mark.parametrize("op", [
    lambda x: x.relu(), lambda x: x.abs(), lambda x: x.clip(-1.0, 1.0), lambda x: x.max(), lambda x: x.min(),
    lambda x: ag.where(x.data > 0, x, 0.0), lambda x: ag.maximum(x, 0.5), lambda x: ag.minimum(x, 0.5),
    lambda x: x * x, lambda x: x.exp(), lambda x: x[[0, 0]], lambda x: x.leaky_relu() if hasattr(x, "leaky_relu")
    else ag.leaky_relu(x),
], ids=["relu", "abs", "clip", "max", "min", "where", "maximum", "minimum", "mul", "exp", "index", "leaky_relu"])
def test_a_second_backward_without_retain_graph_raises_instead_of_doubling_grad(op):
    x = f64([1.0, -2.0, 3.0])
    y = op(x).sum()
    y.backward()
    first = x.grad.data.copy()
    with pytest.raises(GraphError, match="second time"):
        y.backward()
    np.testing.assert_array_equal(x.grad.data, first)


def test_a_node_that_saved_nothing_can_run_backward_twice_like_pytorch():
    x = f64([1.0, 2.0])
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


# ---------------------------------------------------------------------- 4. 0-d gradients are arrays
def test_gradients_of_0d_tensors_are_arrays():
    x = ag.tensor(2.0, requires_grad=True)
    (x * x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.shape == ()
    assert np.asarray(x.grad).item() == 4.0
    x.grad.zero_()
    assert x.grad.item() == 0.0
    y = ag.tensor(3.0, requires_grad=True)
    (y + y + y * y).backward()  # several 0-d gradients summed at a leaf
    assert type(y.grad.data) is np.ndarray and y.grad.item() == 8.0


# ---------------------------------------------------------------------- 5. save only what backward needs
def test_changing_an_intermediate_no_saved_value_depends_on_is_allowed():
    x = ag.tensor(1.0, requires_grad=True)
    y = x * 1.0
    z = 3 * y  # Mul needs the constant 3 for y's gradient, not y
    y += 1.0
    (z + y).backward()
    assert x.grad.item() == 4.0  # PyTorch: 3 + 1


# ---------------------------------------------------------------------- 6. limits at the edges
def test_edge_values_give_pytorchs_limits_and_no_warnings():
    x, y = f64(0.0), f64(0.0)
    (x ** y).backward()
    assert x.grad.item() == 0.0 and y.grad.item() == 0.0
    b = f64(-1.0)
    (f64(0.0, requires_grad=False) ** b).backward()
    assert b.grad.item() == -np.inf
    c = f64([-np.inf, -np.inf])
    c.logsumexp().backward()
    np.testing.assert_array_equal(c.grad.data, [0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.tensor([0.0]) ** -1.0
        ag.tensor([0.0]) ** ag.tensor([-1.0])
        ag.tensor([0.0, -1.0]).log()
        ag.tensor([-1.0]).sqrt()


# ---------------------------------------------------------------------- 7. shapes at the edges
def test_softmax_over_an_empty_axis_is_empty():
    for f in (ag.softmax, ag.log_softmax):
        out = f(ag.zeros(2, 0), axis=1)
        assert out.shape == (2, 0)


@pytest.mark.parametrize("axis", [0, -1])
def test_0d_tensors_accept_axis_0_and_minus_1(axis):
    t = ag.tensor(2.0, requires_grad=True)
    for op in (t.sum, t.max, t.min, t.mean, t.logsumexp, t.squeeze):
        assert op(axis).shape == ()
    assert ag.softmax(t, axis=axis).item() == 1.0
    with pytest.raises(ShapeError):
        t.sum(axis=1)


def test_an_empty_list_index_gives_an_empty_tensor():
    assert ag.zeros(3)[[]].shape == (0,)
    x = f64(np.ones(3))
    x[[]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


# ---------------------------------------------------------------------- 8. transpose checks its axes
@pytest.mark.parametrize("axes", [(1, 2), (0, 5), (0, -3)])
def test_transpose_refuses_axes_that_do_not_exist(axes):
    with pytest.raises(ShapeError, match=rf"transpose: axis {axes[1]} does not exist .* 2 dimensions"):
        Tensor(np.zeros((2, 3))).transpose(*axes)


# ---------------------------------------------------------------------- 9. numbers only
@pytest.mark.parametrize("array", [np.array(["a"]), np.array([object()]), np.array([1j]),
                                   np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_non_numeric_and_complex_arrays_are_refused_at_creation(array):
    with pytest.raises(TypeError, match=str(array.dtype).replace("[", r"\[")):
        Tensor(array)
    with pytest.raises(TypeError):
        ag.as_tensor(array)


# ---------------------------------------------------------------------- 10. one dtype rule
@pytest.mark.parametrize(("expression", "dtype"), [
    (lambda i, f: i * f, np.float32),
    (lambda i, f: f + i, np.float32),
    (lambda i, f: i.exp(), np.float32),
    (lambda i, f: i / i, np.float32),
    (lambda i, f: i * 0.5, np.float32),
    (lambda i, f: i + 1, np.int64),
    (lambda i, f: i.mean(), np.float32),
    (lambda i, f: ag.maximum(i, f), np.float32),
    (lambda i, f: ag.where(np.array([True, False]), i, f), np.float32),
    (lambda i, f: ag.concatenate([i, f]), np.float32),
    (lambda i, f: i.astype(np.float64) * f, np.float64),
], ids=["int*f32", "f32+int", "exp(int)", "int/int", "int*0.5", "int+1", "mean(int)", "maximum", "where",
        "concatenate", "f64*f32"])
def test_integers_take_the_float_operands_dtype(expression, dtype):
    i = ag.tensor([1, 2])
    f = ag.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert expression(i, f).dtype == dtype


# ---------------------------------------------------------------------- 11. errors name the right thing
def test_a_value_error_that_is_not_about_shapes_is_not_called_a_shape_error():
    class Picky(ag.Function):
        def forward(self, x):
            raise ValueError("the threshold must be positive")

    with pytest.raises(ValueError, match="Picky: the threshold must be positive") as info:
        Picky.apply(f64([1.0]))
    assert not isinstance(info.value, ShapeError)


def test_a_hook_returning_the_wrong_shape_is_blamed_on_the_hook():
    x = f64([1.0, 2.0])
    y = x * 2.0
    y.register_hook(lambda g: ag.ones(3))
    with pytest.raises(ShapeError, match=r"hook .* returned a gradient of shape \(3,\) for a tensor of shape \(2,\)"):
        (y * y).sum().backward()


def test_a_float_axis_is_named_as_the_problem():
    with pytest.raises(TypeError, match="sum: axis must be None, an int or a tuple of ints, got float 1.0"):
        ag.tensor([[1.0, 2.0]]).sum(axis=1.0)


def test_dtype_errors_remain_dtype_errors():
    with pytest.raises(DtypeError):
        ag.tensor([1, 2]).requires_grad_()
