"""The backward pass (autograd/graph.py), one behaviour per test.

Most of these pin a behaviour that a small change to graph.py could break without the rest of the suite
noticing (found with `python -m tools.mutation`, docs/testing.md): `grad()` of outputs that share
nodes, hooks and retained gradients, the seed gradient, dtype casts, accumulation into `.grad`, anomaly
detection, and the errors of `grad()`.
"""

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GraphError, ShapeError, Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


class Split(Function):
    """Two outputs, (2x, 3x): backward receives one gradient per output (zeros for an unused one)."""

    seen: list = []

    def forward(self, x):
        return 2.0 * x, 3.0 * x

    def backward(self, g_double, g_triple):
        Split.seen.append((g_double.data.copy(), g_triple.data.copy()))
        return 2.0 * g_double + 3.0 * g_triple


# ---------------------------------------------------------------------- grad() of several outputs
def test_grad_of_several_outputs_that_share_nodes_sums_every_output():
    x = leaf(1.0)
    a = x * 2.0
    b = a * 3.0  # reaches a's node: when grad() searches the graph from b, a's node is already found
    c = x * 5.0  # an independent path, listed after the shared one
    (g,) = ag.grad([b, a, c], x)
    assert g.item() == 13.0  # 6 + 2 + 5


def test_grad_of_several_outputs_takes_one_upstream_gradient_each():
    x = leaf([1.0, 2.0])
    y, z = x * 2.0, x * x
    (g,) = ag.grad([y, z], x, grad_outputs=[np.array([1.0, 10.0]), np.array([100.0, 1000.0])])
    np.testing.assert_array_equal(g.data, [2.0 + 200.0, 20.0 + 4000.0])
    with pytest.raises(ValueError, match="1 grad_outputs for 2 outputs"):
        ag.grad([y, z], x, grad_outputs=[np.ones(2)])


def test_grad_accepts_one_upstream_gradient_as_an_array_or_a_tensor():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    (from_array,) = ag.grad(y, x, grad_outputs=np.array([1.0, -1.0]), retain_graph=True)
    (from_tensor,) = ag.grad(y, x, grad_outputs=Tensor(np.array([2.0, 0.5])))
    np.testing.assert_array_equal(from_array.data, [3.0, -3.0])
    np.testing.assert_array_equal(from_tensor.data, [6.0, 1.5])


def test_grad_refuses_inputs_that_do_not_require_grad():
    x = leaf(1.0)
    constant = Tensor(np.array(2.0))
    with pytest.raises(GraphError, match="input 1 does not require grad"):
        ag.grad(x * constant, [x, constant])
    with pytest.raises(GraphError, match="input 0 does not require grad"):
        ag.grad(x * 2.0, [np.array(1.0)])


def test_grad_runs_only_the_part_of_the_graph_that_leads_to_the_inputs():
    class Refuses(Function):
        def forward(self, x):
            return x.copy()

        def backward(self, g):
            raise AssertionError("backward of a branch that does not lead to the input")

    x, other = leaf(2.0), leaf(3.0)
    y = x * x + Refuses.apply(other)
    (g,) = ag.grad(y, x)
    assert g.item() == 4.0
    assert other.grad is None and x.grad is None


def test_grad_with_respect_to_an_intermediate_and_the_leaf_before_it():
    x = leaf(3.0)
    h = x * x  # dh/dx = 6
    y = h * 5.0
    gh, gx = ag.grad(y, [h, x])
    assert (gh.item(), gx.item()) == (5.0, 30.0)
    z = x * x
    (only_z,) = ag.grad(z * 2.0 + x, z)  # x is not asked for: its path need not run
    assert only_z.item() == 2.0


def test_grad_with_respect_to_an_intermediate_does_not_run_the_intermediates_own_backward():
    x = leaf(2.0)
    h = x.exp()
    h.sum().backward()  # frees Exp's saved output
    (g,) = ag.grad(h * 3.0, h)  # needs nothing from Exp
    assert g.item() == 3.0


def test_grad_of_an_output_of_a_multi_output_node():
    x = leaf([1.0, 2.0])
    double, triple = Split.apply(x)
    y = (double * triple).sum()
    g_double, g_x = ag.grad(y, [double, x])
    np.testing.assert_array_equal(g_double.data, triple.data)
    np.testing.assert_array_equal(g_x.data, 12.0 * x.data)  # d/dx 6 x^2


def test_grad_retains_the_graph_only_when_asked_or_when_creating_one():
    x = leaf(2.0)
    y = x * x
    ag.grad(y, x, retain_graph=True)
    ag.grad(y, x)
    with pytest.raises(GraphError, match="second time"):
        ag.grad(y, x)
    z = x * x
    ag.grad(z, x, create_graph=True)  # retain_graph defaults to create_graph
    assert ag.grad(z, x)[0].item() == 4.0


# ---------------------------------------------------------------------- the seed
def test_seed_is_cast_to_the_outputs_dtype():
    x = leaf([1.0, 2.0], np.float32)
    y = x * 3.0
    y.backward(np.array([1.0, 2.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])


def test_implicit_seed_for_a_single_element_output_of_any_rank():
    x = leaf([[2.0]])
    (x * x).backward()  # shape (1, 1): one element, so the seed is implicit
    np.testing.assert_array_equal(x.grad.data, [[4.0]])


def test_upstream_gradient_that_requires_grad_can_be_differentiated_under_create_graph():
    x = leaf([1.0, 2.0])
    v = leaf([3.0, 5.0])
    y = x * x
    (g,) = ag.grad(y, x, grad_outputs=v, create_graph=True)  # g = 2 x v
    np.testing.assert_array_equal(g.data, [6.0, 20.0])
    gx, gv = ag.grad(g.sum(), [x, v])
    np.testing.assert_array_equal(gx.data, 2.0 * v.data)
    np.testing.assert_array_equal(gv.data, 2.0 * x.data)


def test_a_float32_upstream_tensor_for_a_float64_output_is_cast_in_the_graph():
    x = leaf([1.0, 2.0])
    v = leaf([3.0, 5.0], np.float32)
    (g,) = ag.grad(x * x, x, grad_outputs=v, create_graph=True)
    assert g.dtype == np.float64
    (gv,) = ag.grad(g.sum(), v)
    assert gv.dtype == np.float32
    np.testing.assert_array_equal(gv.data, [2.0, 4.0])


def test_backward_needs_a_tensor():
    with pytest.raises(TypeError, match="expected a Tensor output, got ndarray"):
        ag.backward(np.ones(2))


# ---------------------------------------------------------------------- gradients reaching inputs
def test_gradient_of_a_broadcast_input_is_summed_and_cast_to_its_dtype():
    small = leaf([[1.0], [2.0]], np.float32)  # (2, 1), broadcast against (2, 3)
    big = leaf(np.ones((2, 3)))
    (small * big).sum().backward()
    assert small.grad.dtype == np.float32 and small.grad.shape == (2, 1)
    np.testing.assert_array_equal(small.grad.data, [[3.0], [3.0]])
    np.testing.assert_array_equal(big.grad.data, [[1.0] * 3, [2.0] * 3])


def test_gradient_of_a_broadcast_input_under_create_graph():
    small = leaf([[1.0], [2.0]], np.float32)
    big = leaf(np.full((2, 3), 2.0))
    (g,) = ag.grad((small * small * big).sum(), small, create_graph=True)  # 2 small * sum(big row)
    assert g.shape == (2, 1) and g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [[12.0], [24.0]])
    (g2,) = ag.grad(g.sum(), big)
    np.testing.assert_array_equal(g2.data, [[2.0] * 3, [4.0] * 3])


class ReturnsBadShape(Function):
    def forward(self, x):
        return x.sum()

    def backward(self, g):
        return np.ones(3)


def test_a_backward_returning_the_wrong_shape_is_named():
    with pytest.raises(ShapeError, match=r"ReturnsBadShape.backward returned a gradient of shape \(3,\)"):
        ReturnsBadShape.apply(leaf(np.ones((2, 2)))).backward()


class ReturnsNumbers(Function):
    """y = 2 x for a 0-d x, with a backward that returns a Python float and a list."""

    def forward(self, x, y):
        return 2.0 * x + 3.0 * y

    def backward(self, g):
        return 2.0 * g.item(), [3.0 * g.item()]


def test_a_backward_may_return_numbers_and_lists():
    x, y = leaf(1.0), leaf([1.0])
    out = ReturnsNumbers.apply(x, y)
    out.sum().backward()
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 2.0
    np.testing.assert_array_equal(y.grad.data, [3.0])


class ScaleBy(Function):
    """y = x * factor, with factor a plain number: backward may return one gradient, for x only."""

    def forward(self, x, factor):
        self.factor = factor
        return x * factor

    def backward(self, g):
        return g * self.factor


class TooManyGradients(Function):
    def forward(self, x):
        return x * 1.0

    def backward(self, g):
        return g, g


class TooFewGradients(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g


def test_trailing_gradients_for_non_tensor_arguments_may_be_omitted_but_no_others():
    x = leaf([1.0, 2.0])
    ScaleBy.apply(x, 4.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    with pytest.raises(GraphError, match="returned 2 gradients, but the op has 1 inputs"):
        TooManyGradients.apply(x).sum().backward()
    with pytest.raises(GraphError, match="returned 1 gradients, but the op has 2 inputs"):
        TooFewGradients.apply(x, leaf([1.0, 1.0])).sum().backward()
    y = TooFewGradients.apply(x, Tensor(np.ones(2)))  # the second input needs no gradient: None is implied
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


# ---------------------------------------------------------------------- accumulation into .grad
def test_second_backward_adds_into_grad_in_place_when_the_engine_owns_it():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    first = x.grad
    (x * 4.0).sum().backward()
    assert x.grad is first  # accumulated in place, like PyTorch's AccumulateGrad
    np.testing.assert_array_equal(x.grad.data, [7.0, 7.0])


def test_accumulation_makes_a_new_array_when_grad_is_read_only_or_of_another_dtype():
    x = leaf([1.0, 2.0])
    frozen = np.array([10.0, 20.0])
    frozen.flags.writeable = False
    x.grad = Tensor(frozen)
    (x * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [11.0, 21.0])
    np.testing.assert_array_equal(frozen, [10.0, 20.0])
    x.grad = Tensor(np.array([1.0, 1.0], dtype=np.float32))
    (x * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_accumulation_into_a_grad_that_requires_grad_stays_in_the_graph():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward(create_graph=True)  # x.grad = 2x, itself differentiable
    assert x.grad.requires_grad
    (x * x).sum().backward(create_graph=True)  # adds 2x, recorded: x.grad = 4x
    (g,) = ag.grad(x.grad.sum(), x)
    np.testing.assert_array_equal(g.data, [4.0, 4.0])
    first = x.grad
    (x * 3.0).sum().backward()  # a plain backward adds 3, out of place: `first` keeps its value
    np.testing.assert_array_equal(x.grad.data, [7.0, 11.0])
    np.testing.assert_array_equal(first.data, [4.0, 8.0])


def test_a_gradient_that_is_a_view_is_copied_before_it_becomes_grad():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.T  # the gradient of x is a transposed view of y's gradient
    seed = np.array([[1.0, 2.0], [3.0, 4.0]])
    y.backward(seed)
    np.testing.assert_array_equal(x.grad.data, seed.T)
    y2 = x.T
    y2.backward(seed)
    np.testing.assert_array_equal(x.grad.data, 2 * seed.T)
    np.testing.assert_array_equal(seed, [[1.0, 2.0], [3.0, 4.0]])  # never added into


def test_two_leaves_fed_the_same_gradient_array_do_not_share_grad_memory_across_backwards():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    for _ in range(2):
        (a - b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.data, [-2.0, -2.0])


# ---------------------------------------------------------------------- hooks and retained gradients
def test_leaf_hooks_run_in_order_and_each_sees_the_previous_replacement():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: g * 10.0)
    x.register_hook(lambda g: seen.append(g.data.copy()))  # returns None: keeps the gradient
    x.register_hook(lambda g: g + 1.0)
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [20.0, 20.0])
    np.testing.assert_array_equal(x.grad.data, [21.0, 21.0])


def test_a_hook_replacement_is_not_aliased_by_grad():
    x = leaf([1.0, 2.0])
    kept = []

    def keep(g):
        kept.append(g)
        return g  # the hook keeps a reference to what becomes x.grad

    x.register_hook(keep)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(kept[0].data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])


def test_a_hook_on_a_leaf_also_changes_what_grad_returns():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * -1.0)
    (g,) = ag.grad((x * 3.0).sum(), x)
    np.testing.assert_array_equal(g.data, [-3.0, -3.0])


def test_a_hook_returning_the_wrong_shape_is_blamed_on_the_hook():
    x = leaf([1.0, 2.0])

    def widen(g):
        return np.ones(3)

    h = x * 2.0
    h.register_hook(widen)
    with pytest.raises(ShapeError, match=r"hook 'widen' returned a gradient of shape \(3,\)"):
        h.sum().backward()
    x.register_hook(widen)
    with pytest.raises(ShapeError, match="widen"):
        (x * 2.0).sum().backward()


def test_a_hook_replacement_under_create_graph_stays_differentiable():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    h = x * x
    h.register_hook(lambda g: g * w)  # the replacement depends on w
    (g,) = ag.grad(h.sum(), x, create_graph=True)  # 2 x w
    np.testing.assert_array_equal(g.data, [6.0, 20.0])
    (gw,) = ag.grad(g.sum(), w)
    np.testing.assert_array_equal(gw.data, [2.0, 4.0])


def test_a_hook_on_an_intermediate_may_return_an_array():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: np.array([5.0, 7.0]))
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [10.0, 14.0])


def test_hooks_on_each_output_of_a_multi_output_node():
    x = leaf([1.0, 2.0])
    double, triple = Split.apply(x)
    double.register_hook(lambda g: g * 100.0)
    triple.register_hook(lambda g: g * 1000.0)
    Split.seen.clear()
    (double + triple).sum().backward()
    g_double, g_triple = Split.seen[0]
    np.testing.assert_array_equal(g_double, [100.0, 100.0])
    np.testing.assert_array_equal(g_triple, [1000.0, 1000.0])


def test_an_unused_output_of_a_multi_output_node_gets_zeros_of_its_shape_and_dtype():
    x = leaf([1.0, 2.0], np.float32)
    double, _ = Split.apply(x)
    Split.seen.clear()
    double.sum().backward()
    g_double, g_triple = Split.seen[0]
    np.testing.assert_array_equal(g_triple, [0.0, 0.0])
    assert g_triple.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_retained_gradients_accumulate_and_are_not_aliased_by_leaf_grads():
    x = leaf([1.0, 2.0])
    h = x + 0.0  # Add hands h's gradient on to x unchanged: the same array, unless copied
    h.retain_grad()
    y = h * 2.0  # Mul makes a fresh gradient array for h
    y.backward(np.ones(2), retain_graph=True)
    np.testing.assert_array_equal(h.grad.data, [2.0, 2.0])
    assert not np.shares_memory(h.grad.data, x.grad.data)
    y.backward(np.ones(2))
    np.testing.assert_array_equal(h.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    h.grad.data[0] = 50.0
    assert x.grad.data[0] == 4.0


def test_a_gradient_replaced_by_a_hook_on_an_intermediate_is_not_aliased_by_grad():
    x = leaf([1.0, 2.0])
    kept = []

    def keep(g):
        kept.append(g)
        return g

    h = x + 0.0  # Add hands the hook's array on to x unchanged
    h.register_hook(keep)
    (h * 2.0).backward(np.ones(2))
    assert not np.shares_memory(kept[0].data, x.grad.data)
    (x * 2.0).backward(np.ones(2))  # accumulates into x.grad in place
    np.testing.assert_array_equal(kept[0].data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])


def test_a_hook_on_a_leaf_may_return_an_array():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: np.array([5.0, 7.0]))
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 7.0])


def test_retain_grad_of_an_intermediate_that_was_dropped_is_harmless():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    y = (h * 3.0).sum()
    del h
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_retain_grad_under_create_graph_keeps_a_differentiable_gradient():
    x = leaf([1.0, 2.0])
    h = x * x
    h.retain_grad()
    (h * h).sum().backward(create_graph=True)  # h.grad = 2 h = 2 x^2
    np.testing.assert_array_equal(h.grad.data, 2.0 * h.data)
    (g,) = ag.grad(h.grad.sum(), x)
    np.testing.assert_array_equal(g.data, 4.0 * x.data)


# ---------------------------------------------------------------------- graph release
def test_backward_frees_every_node_it_went_through():
    x = leaf([1.0, 2.0])
    h = x.exp()
    y = (h * h).sum()
    y.backward()
    with pytest.raises(GraphError, match="Exp: trying to backward through the graph a second time"):
        h.sum().backward()  # a new Sum, then the freed Exp


def test_retain_graph_keeps_every_node():
    x = leaf([1.0, 2.0])
    h = x.exp()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * np.exp(2.0 * x.data) + np.exp(x.data))


# ---------------------------------------------------------------------- while backward runs
def test_backward_restores_grad_mode_and_is_quiet_about_infinite_derivatives():
    x = leaf([0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sqrt'(0) = inf must not warn
        x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.25])
    assert ag.is_grad_enabled()

    class Fails(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, g):
            raise RuntimeError("backward failed")

    with pytest.raises(RuntimeError, match="backward failed"):
        Fails.apply(leaf(1.0)).backward()
    assert ag.is_grad_enabled()
    with np.errstate(all="raise"):  # the caller's error state is back too
        with pytest.raises(FloatingPointError):
            np.array(1.0) / np.array(0.0)


def test_a_user_backward_runs_without_recording_unless_create_graph():
    modes = []

    class Watch(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, g):
            modes.append(ag.is_grad_enabled())
            return g

    x = leaf(1.0)
    Watch.apply(x).backward()
    Watch.apply(x).backward(create_graph=True)
    assert modes == [False, True]


# ---------------------------------------------------------------------- anomaly detection
def test_detect_anomaly_checks_gradients_that_need_no_reshaping():
    x = leaf([0.0, 1.0])
    with ag.detect_anomaly():
        y = x.log()  # 1 / x is inf at 0, and has x's shape
        with pytest.raises(GraphError, match=r"Log.backward produced NaN or Inf in a gradient \(shape \(2,\)\)"):
            y.sum().backward()


def test_detect_anomaly_checks_gradients_summed_over_broadcast_axes():
    x = leaf([0.0, 1.0])
    with ag.detect_anomaly():
        y = x.sqrt() * leaf(np.ones((3, 2)))  # Mul's gradient for sqrt(x) is summed from (3, 2)
        with pytest.raises(GraphError, match="Sqrt.backward produced NaN or Inf"):
            y.sum().backward()


def test_detect_anomaly_checks_gradients_that_are_summed_back_to_a_broadcast_input():
    b = leaf([0.0, 1.0])
    numerator = Tensor(np.ones((3, 2)))
    with ag.detect_anomaly():
        y = numerator / b  # d/db = -1 / b**2: inf at 0, computed for (3, 2) and summed back to (2,)
        with pytest.raises(GraphError, match="Div.backward produced NaN or Inf"):
            y.sum().backward()
    (numerator / b).sum().backward()  # outside detect_anomaly: no check, the inf arrives
    assert b.grad.data[0] == -np.inf


def test_detect_anomaly_checks_gradients_under_create_graph():
    x = leaf([0.0, 1.0])
    with ag.detect_anomaly():
        with pytest.raises(GraphError, match="Log.backward"):
            ag.grad(x.log().sum(), x, create_graph=True)


def test_anomalies_outside_detect_anomaly_pass_silently_and_name_no_trace():
    x = leaf([0.0, 1.0])
    y = x.log()
    y.sum().backward()
    assert x.grad.data[0] == np.inf
    x.grad = None
    z = x.log()  # recorded outside detect_anomaly, differentiated inside
    with ag.detect_anomaly():
        with pytest.raises(GraphError, match="created outside detect_anomaly"):
            z.sum().backward()


# ---------------------------------------------------------------------- the order of the nodes
def test_topological_order_of_several_roots_lists_each_node_once():
    x = leaf(2.0)
    a = x * 3.0
    b = a * a
    c = a + 1.0
    order = ag.topological_order([b.grad_fn, c.grad_fn, b.grad_fn])
    assert len(order) == 3 and set(order) == {a.grad_fn, b.grad_fn, c.grad_fn}
    assert order.index(a.grad_fn) > max(order.index(b.grad_fn), order.index(c.grad_fn))


def test_topological_order_of_a_wide_node_visits_every_input():
    x = leaf([1.0])
    parts = [x * float(k) for k in range(5)]
    total = ag.concatenate(parts)
    order = ag.topological_order([total.grad_fn])
    assert order[0] is total.grad_fn and set(order[1:]) == {p.grad_fn for p in parts}


# ---------------------------------------------------------------------- more on the seed and on dtypes
def test_the_implicit_seed_has_the_outputs_dtype():
    x = leaf([1.0, 2.0], np.float32)
    y = (x * x).sum()
    y.retain_grad()
    y.backward()
    assert y.grad.dtype == np.float32 and y.grad.item() == 1.0


def test_an_upstream_tensor_of_another_dtype_is_cast_before_the_output_sees_it():
    x = leaf([1.0, 2.0])
    seen = []
    z = x * x
    z.register_hook(lambda grad: seen.append(grad.dtype))
    ag.grad(z, x, grad_outputs=leaf([3.0, 5.0], np.float32), create_graph=True)
    z2 = x * x
    z2.register_hook(lambda grad: seen.append(grad.dtype))
    ag.grad(z2, x, grad_outputs=leaf([3.0, 5.0]), create_graph=True)
    assert seen == [np.float64, np.float64]


def test_an_upstream_gradient_that_broadcasts_but_has_the_wrong_shape_is_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(ShapeError, match=r"backward: grad of shape \(1,\) does not match the output's shape \(2,\)"):
        (x * 2.0).backward(np.ones(1))
    with pytest.raises(ShapeError, match=r"grad of shape \(2, 2\)"):
        (x * 2.0).backward(Tensor(np.ones((2, 2))))


@pytest.mark.parametrize(("kind", "values", "upstream"), [
    ("divide", [0.0, 4.0], [1.0, 1.0]),  # sqrt'(0): 1 / 0
    ("invalid", [0.0, 4.0], [0.0, 1.0]),  # 0 / 0
])
def test_backward_is_quiet_about_division_by_zero_and_invalid_values(kind, values, upstream):
    x = leaf(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.sqrt().backward(np.array(upstream))
    assert not np.isfinite(x.grad.data[0])


def test_backward_is_quiet_about_overflow():
    x = leaf([700.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.exp().backward(np.array([1e300]))  # e^700 * 1e300 overflows to inf
    assert x.grad.data[0] == np.inf


def test_a_backward_may_return_numbers_under_create_graph_too():
    x, y = leaf(1.0), leaf([1.0])
    ReturnsNumbers.apply(x, y).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.item() == 2.0
    np.testing.assert_array_equal(y.grad.data, [3.0])


def test_one_gradient_array_sent_to_two_leaves_is_not_shared_by_their_grads():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 2.0).backward(np.ones(2))  # Mul makes a fresh array; Add hands it to both leaves
    assert not np.shares_memory(a.grad.data, b.grad.data)
    ((a + b) * 2.0).backward(np.ones(2))
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [4.0, 4.0])


def test_a_hook_on_an_intermediate_can_be_removed():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    handle = h.register_hook(lambda g: g * 100.0)
    handle.remove()
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_grad_goes_on_after_a_node_whose_output_alone_was_asked_for():
    """grad(y, [h, x]): h's own node leads to nothing asked for and is skipped, and the pass goes on to x."""
    x = leaf(3.0)
    w = leaf(2.0)
    a = x * x  # recorded first: its node comes off the heap last
    h = w.exp()  # recorded after a: its node comes off the heap before a's
    y = a * 5.0 + h * 2.0
    gh, gx = ag.grad(y, [h, x])
    assert (gh.item(), gx.item()) == (2.0, 30.0)
