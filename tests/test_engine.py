"""The backward pass: accumulation, graph release, higher order, grad mode, hooks, anomalies, deep graphs."""

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import GraphError, Tensor


def f64(data, requires_grad=True):
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------- accumulation and release
def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


def test_intermediate_grads_are_kept_only_when_retained():
    x = f64([1.0, 2.0])
    h = x * 2
    kept = x * 3
    kept.retain_grad()
    (h + kept).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad.data, [1.0, 1.0])


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GraphError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_saved_arrays_are_released_after_backward():
    x = f64(np.ones(5))
    h = x * 2.0  # intermediate: only the graph keeps it once we drop our reference
    y = (h * h).sum()  # Mul saves h
    ref = weakref.ref(h.data)
    del h
    gc.collect()
    assert ref() is not None  # still needed for backward
    y.backward()
    gc.collect()
    assert ref() is None


def test_non_scalar_backward_needs_a_gradient():
    x = f64([1.0, 2.0])
    with pytest.raises(GraphError, match=r"shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_backward_grad_of_wrong_shape_is_rejected():
    x = f64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad_is_an_error():
    with pytest.raises(GraphError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_gradients_are_not_aliases_of_each_other():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same gradient to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0


def test_user_supplied_gradient_is_not_mutated_by_later_accumulation():
    x = f64([1.0, 2.0])
    seed = np.array([1.0, 1.0])
    (x + 0.0).backward(seed)
    (x + 0.0).backward(seed)
    np.testing.assert_allclose(seed, [1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


# ---------------------------------------------------------------------- graph shapes
def test_diamond_visits_each_node_once_and_sums_paths():
    x = f64(1.0)
    y = x
    for _ in range(40):  # 2**40 paths: visiting per path would never finish
        y = y + y
    y.backward()
    assert x.grad.item() == 2.0**40


def test_value_reused_many_times():
    x = f64(3.0)
    total = x * 0.0
    for _ in range(500):
        total = total + x * x
    total.backward()
    assert x.grad.item() == pytest.approx(500 * 2 * 3.0)


def test_deep_chain_has_no_recursion_limit():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_topological_order_lists_consumers_before_producers():
    x = f64(2.0)
    a = x * 3
    b = a + x
    c = b * a
    order = ag.topological_order([c.grad_fn])
    position = {node: i for i, node in enumerate(order)}
    assert len(order) == 3
    assert position[c.grad_fn] < position[b.grad_fn] < position[a.grad_fn]


# ---------------------------------------------------------------------- higher order
def test_second_derivative_of_tanh():
    x = f64(0.7)
    (g,) = ag.grad(x.tanh(), x, create_graph=True)
    (g2,) = ag.grad(g, x)
    t = np.tanh(0.7)
    assert g2.item() == pytest.approx(-2 * t * (1 - t * t))


def test_third_derivative_of_cube():
    x = f64(2.0)
    (g1,) = ag.grad(x**3, x, create_graph=True)
    (g2,) = ag.grad(g1, x, create_graph=True)
    (g3,) = ag.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == pytest.approx((12.0, 12.0, 6.0))


def test_hessian_vector_product_of_small_mlp_loss():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((4, 3)))
    w0 = rng.standard_normal((3, 2))
    v = rng.standard_normal((3, 2))

    def gradient(w_array, create_graph=False):
        w = f64(w_array)
        loss = ((x @ w).tanh() ** 2).sum()
        (g,) = ag.grad(loss, w, create_graph=create_graph)
        return w, g

    w, g = gradient(w0, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), w)
    eps = 1e-6  # central differences of the gradient along v
    expected = (gradient(w0 + eps * v)[1].data - gradient(w0 - eps * v)[1].data) / (2 * eps)
    np.testing.assert_allclose(hv.data, expected, rtol=1e-5, atol=1e-7)


def test_grad_leaves_dot_grad_untouched_and_supports_non_leaf_inputs():
    x = f64([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = ag.grad(y, [h, x])
    np.testing.assert_allclose(gh.data, 2 * h.data)
    np.testing.assert_allclose(gx.data, 18 * x.data)
    assert x.grad is None


def test_grad_unused_input():
    x, z = f64(1.0), f64(2.0)
    y = x * 2
    with pytest.raises(GraphError, match="not used"):
        ag.grad(y, [x, z], retain_graph=True)
    gx, gz = ag.grad(y, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


# ---------------------------------------------------------------------- grad mode
def test_no_grad_records_nothing():
    x = f64([1.0])
    with ag.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    z = x * 2
    assert z.requires_grad


def test_no_grad_and_enable_grad_as_decorators():
    x = f64([1.0])

    @ag.no_grad()
    def frozen(t):
        return t * 2

    @ag.no_grad
    def frozen_bare(t):
        return t * 2

    @ag.enable_grad()
    def recorded(t):
        return t * 2

    assert frozen(x).grad_fn is None
    assert frozen_bare(x).grad_fn is None
    with ag.no_grad():
        assert recorded(x).grad_fn is not None
    assert ag.is_grad_enabled()


def test_no_grad_is_thread_local():
    x = f64([1.0])
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        entered.wait()
        seen["requires_grad"] = (x * 2).requires_grad
        checked.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with ag.no_grad():
        entered.set()
        checked.wait(timeout=10)
    worker.join()
    assert seen["requires_grad"] is True


# ---------------------------------------------------------------------- in-place operations
def test_inplace_on_leaf_requiring_grad_is_an_error_outside_no_grad():
    w = f64([1.0, 2.0])
    with pytest.raises(GraphError, match="in place"):
        w -= 0.1
    with ag.no_grad():
        w -= 0.5
    np.testing.assert_allclose(w.data, [0.5, 1.5])
    assert w._version == 1


def test_modifying_a_saved_tensor_in_place_makes_backward_fail():
    x = f64([1.0, 2.0])
    a = Tensor(np.array([3.0, 4.0]))
    y = (x * a).sum()  # Mul saved a
    a += 1.0
    with pytest.raises(GraphError, match="Mul.*in-place"):
        y.backward()


def test_modifying_a_saved_output_in_place_makes_backward_fail():
    x = f64([1.0, 2.0])
    y = x.exp()  # Exp saved its output
    with ag.no_grad():
        y *= 2.0
    with pytest.raises(GraphError, match="Exp"):
        y.sum().backward()


def test_inplace_on_intermediate_in_graph_is_recorded():
    x = f64([1.0, 2.0])
    y = x * 2
    y += x  # recorded out of place: y = 2x + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_setitem_outside_graph_and_inplace_shape_errors():
    t = Tensor(np.zeros((2, 3)))
    t[0, 1:] = 5.0
    t[1] = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(t.data, [[0, 5, 5], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t += np.ones((4, 3))
    x = f64([1.0, 2.0])
    with pytest.raises(GraphError):
        x[0] = 3.0


# ---------------------------------------------------------------------- hooks and anomalies
def test_hooks_see_and_replace_gradients():
    x = f64([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.data.copy()))
    h = x * 3
    h.register_hook(lambda g: g * 10)  # replace the gradient flowing through h
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [30.0, 30.0])
    np.testing.assert_allclose(x.grad.data, [30.0, 30.0])
    handle.remove()
    (x * 1).sum().backward()
    assert len(seen) == 1


def test_detect_anomaly_names_the_op_and_where_it_was_created():
    x = f64([0.0, 1.0])
    with ag.detect_anomaly():
        y = x.sqrt()  # d sqrt(x)/dx = 1 / (2 sqrt(x)) is inf at 0
        with pytest.raises(GraphError, match=r"Sqrt[\s\S]*test_engine.py"):
            y.sum().backward()


# ---------------------------------------------------------------------- dtypes
def test_float32_is_kept_through_python_scalars_and_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    y = (x * 2.5 + 1) / 3 - 0.5
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_gradients_take_their_tensors_dtype_in_mixed_precision():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float32)
    b = Tensor([3.0, 4.0], requires_grad=True, dtype=np.float64)
    y = (a * b).sum()
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        Tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating"):
        Tensor([True], requires_grad=True)


def test_default_dtype_can_be_changed():
    ag.set_default_dtype(np.float64)
    try:
        assert Tensor([1.0]).dtype == np.float64
    finally:
        ag.set_default_dtype(np.float32)
    assert Tensor([1.0]).dtype == np.float32
    with pytest.raises(TypeError):
        ag.set_default_dtype(np.int32)
