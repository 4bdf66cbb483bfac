"""Function and Primitive (autograd/function.py): recording a node, saved values, and their checks.

Each test pins one behaviour that a small change to function.py could break unnoticed by the rest of
the suite (found with `python -m tools.mutation`, docs/testing.md): what `apply` records for one, two
or more arguments, what `saved_tensors` hands back in each dialect, the in-place checks through views,
the second-backward error, and the errors raised inside forward.
"""

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GraphError, Primitive, ShapeError, Tensor
from autograd.function import either
from autograd.functions import Exp


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


class Cube(Function):
    """y = x**3, saving its (possibly intermediate) input.  dy/dx = 3 x**2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x**3

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * 3.0 * x * x


class Affine(Function):
    """y = a * x + b with tensors a, x, b and a keyword `shift`: the general apply (three inputs, kwargs)."""

    def forward(self, a, x, b, shift=0.0):
        self.save_for_backward(a, x)
        return a * x + b + shift

    def backward(self, gy):
        a, x = self.saved_tensors
        return gy * x, gy * a, gy


# ---------------------------------------------------------------------- what apply records
def test_apply_with_three_inputs_and_a_keyword_records_one_edge_per_input():
    a, x, b = leaf([2.0, 3.0]), Tensor(np.array([5.0, 7.0])), leaf([1.0, 1.0], np.float32)
    y = Affine.apply(a, x, b, shift=10.0)
    np.testing.assert_array_equal(y.data, [21.0, 32.0])
    node = y.grad_fn
    assert node.needs_input_grad == (True, False, True)
    assert node.next_edges == ((a, 0), None, (b, 0))
    assert node.input_shapes == ((2,), None, (2,))
    assert node.input_dtypes == (np.float64, None, np.float32)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [5.0, 7.0])
    assert b.grad.dtype == np.float32 and x.grad is None


def test_apply_of_an_intermediate_points_its_edge_at_the_producer():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    y = Affine.apply(h, h, h)
    assert y.grad_fn.next_edges == ((h.grad_fn, 0),) * 3
    assert y.grad_fn.sequence_number > h.grad_fn.sequence_number


def test_apply_records_nothing_when_no_input_requires_grad_or_grad_mode_is_off():
    a = Tensor(np.array([1.0, 2.0]))
    y = Affine.apply(a, a, a, shift=1.0)
    assert y.grad_fn is None and not y.requires_grad
    with ag.no_grad():
        for z in (Affine.apply(leaf([1.0]), a[:1], a[:1]), Exp.apply(leaf([1.0])), leaf([1.0]) * leaf([1.0])):
            assert z.grad_fn is None and not z.requires_grad


def test_apply_with_one_or_two_inputs_where_one_is_not_a_tensor():
    x = leaf([1.0, 2.0])
    y = ag.functions.Mul.apply(np.array([3.0, 4.0]), x)
    assert y.grad_fn.needs_input_grad == (False, True)
    assert y.grad_fn.next_edges == (None, (x, 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    z = ag.functions.Mul.apply(x, 2.0)
    assert z.grad_fn.needs_input_grad == (True, False) and z.grad_fn.input_shapes == ((2,), None)
    assert Exp.apply(np.array([0.0])).grad_fn is None  # an array alone: nothing to record
    assert ag.functions.Mul.apply(np.array([1.0]), np.array([2.0])).grad_fn is None


def test_outputs_of_a_zero_dimensional_op_are_arrays_in_every_path():
    x = leaf(2.0)
    for y in (x * x, Exp.apply(x), Affine.apply(x, x, x), Cube.apply(x)):
        assert type(y.data) is np.ndarray and y.shape == ()
    with ag.no_grad():
        for y in (x * x, Exp.apply(x), Affine.apply(x, x, x)):
            assert type(y.data) is np.ndarray and y.shape == ()


class MinMax(Function):
    """(min, max) of x, two outputs of one node; saves both outputs and x."""

    def forward(self, x):
        lo, hi = x.min(), x.max()
        self.save_for_backward(x, lo, hi)
        return lo, hi

    def backward(self, g_lo, g_hi):
        x, lo, hi = self.saved_tensors
        return g_lo * (x == lo) + g_hi * (x == hi)


def test_a_multi_output_node_records_one_tensor_per_output_and_its_specs():
    x = leaf([3.0, 1.0, 2.0])
    lo, hi = MinMax.apply(x)
    assert lo.grad_fn is hi.grad_fn and (lo._output_index, hi._output_index) == (0, 1)
    node = lo.grad_fn
    assert node.num_outputs == 2 and node.output_specs == (((), np.float64), ((), np.float64))
    assert type(lo.data) is np.ndarray  # NumPy's scalar became a 0-d array
    (lo * 10.0 + hi).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 10.0, 0.0])
    with ag.no_grad():
        lo2, hi2 = MinMax.apply(x)
    assert lo2.grad_fn is None and type(hi2.data) is np.ndarray and hi2.item() == 3.0


def test_a_saved_output_of_a_multi_output_node_comes_back_as_that_output():
    x = leaf([3.0, 1.0, 2.0])
    seen = []

    class Spy(MinMax):
        def backward(self, g_lo, g_hi):
            x, lo, hi = self.saved_tensors
            seen.append((lo.grad_fn is self, lo._output_index, hi._output_index, x.grad_fn))
            seen.append((type(lo.data), type(hi.data)))  # NumPy's scalars were saved as the 0-d outputs
            return super().backward(g_lo, g_hi)

    lo, hi = Spy.apply(x)
    (lo + hi).backward(create_graph=True)
    assert seen == [(True, 0, 1, None), (np.ndarray, np.ndarray)]
    seen.clear()

    class PrimitiveMinMax(ag.Primitive):
        def forward(self, x):
            lo, hi = x.min(), x.max()
            self.save_for_backward(lo, hi)
            return lo, hi

        def backward(self, g_lo, g_hi):
            lo, hi = self.saved_tensors
            seen.append((type(lo), type(hi)))
            return g_lo * np.zeros(3)

    PrimitiveMinMax.apply(x)[0].backward()
    assert seen == [(np.ndarray, np.ndarray)]


def test_function_names_and_repr():
    y = Cube.apply(leaf([1.0]))
    assert y.grad_fn.name == "Cube" and repr(y.grad_fn) == "<Cube>" and y.grad_fn.num_outputs == 1


def test_an_op_without_forward_or_backward_says_which():
    class Nothing(Function):
        pass

    with pytest.raises(NotImplementedError, match="Nothing.forward is not implemented"):
        Nothing.apply(leaf([1.0]))
    with pytest.raises(NotImplementedError, match="Nothing.backward is not implemented"):
        Nothing().backward(None)


# ---------------------------------------------------------------------- errors inside forward
class Raising(Function):
    error: Exception = ValueError()

    def forward(self, *args, **kwargs):
        raise Raising.error


APPLY_PATHS = {  # one tensor argument and two take apply's fast paths; keywords the general one
    "one": lambda x: Raising.apply(x),
    "two": lambda x: Raising.apply(x, x),
    "general": lambda x: Raising.apply(x, x, scale=2.0),
}


@pytest.mark.parametrize("path", list(APPLY_PATHS))
def test_value_errors_in_forward_name_the_op_and_the_input_shapes(path):
    call = APPLY_PATHS[path]
    x = leaf(np.ones((2, 3)))
    for text in ("operands could not be broadcast", "bad shape", "not aligned", "wrong dimension"):
        Raising.error = ValueError(text)
        with pytest.raises(ShapeError, match=rf"^Raising: {text} \(input shapes \(2, 3\)"):
            call(x)
    Raising.error = ValueError("bad value")
    with pytest.raises(ValueError, match=r"^Raising: bad value \(input shapes \(2, 3\)") as info:
        call(x)
    assert type(info.value) is ValueError
    for passthrough in (ShapeError("mine"), GraphError("graph")):
        Raising.error = passthrough
        with pytest.raises(type(passthrough)) as info:
            call(x)
        assert info.value is passthrough


# ---------------------------------------------------------------------- saved values
def test_saved_tensors_of_a_function_are_the_graphs_tensors():
    x = leaf([1.0, 2.0])
    h = x * 2.0  # an intermediate input: rebuilt on its producer's output
    seen = []

    class Keep(Function):
        def forward(self, a, b, constant):
            self.save_for_backward(a, b, constant, 7, None)
            return a * b

        def backward(self, g):
            a, b, constant, seven, nothing = self.saved_tensors
            seen.append((a is x, b.grad_fn is h.grad_fn, isinstance(constant, Tensor), constant.requires_grad,
                         seven, nothing))
            return g * b, g * a, None

    Keep.apply(x, h, np.array([1.0, 1.0])).sum().backward()
    assert seen == [(True, True, True, False, 7, None)]


def test_saved_tensors_of_a_primitive_are_arrays_unless_create_graph():
    seen = []

    class Square(Primitive):
        def forward(self, x):
            self.save_for_backward(x, np.float64(2.0))
            return x * x

        def backward(self, g):
            x, two = self.saved_tensors
            seen.append((type(g).__name__, type(x).__name__))
            return g * two * x

    x = leaf([1.0, 3.0])
    Square.apply(x).sum().backward()
    (g,) = ag.grad(Square.apply(x).sum(), x, create_graph=True)
    assert seen == [("ndarray", "ndarray"), ("Tensor", "Tensor")]
    (g2,) = ag.grad(g.sum(), x)
    np.testing.assert_array_equal(g2.data, [2.0, 2.0])


def test_an_op_that_saves_nothing_gets_an_empty_tuple_and_may_backward_twice():
    seen = []

    class Double(Function):
        def forward(self, x):
            return 2.0 * x

        def backward(self, g):
            seen.append(self.saved_tensors)
            return 2.0 * g

    x = leaf([1.0])
    y = Double.apply(x).sum()
    y.backward()
    y.backward()  # nothing was saved, nothing was freed
    assert seen == [(), ()] and x.grad.item() == 4.0


def test_second_backward_without_retain_graph_names_the_op():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(GraphError, match="Cube: trying to backward through the graph a second time"):
        y.backward()


def test_second_order_through_a_saved_intermediate_input():
    x = leaf([1.0, 2.0])
    (g,) = ag.grad(Cube.apply(x * 1.0).sum(), x, create_graph=True)  # 3 x^2, through the Mul node
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    (g2,) = ag.grad(g.sum(), x)
    np.testing.assert_array_equal(g2.data, [6.0, 12.0])


def test_a_saved_output_is_checked_with_the_graphs_output_under_create_graph():
    x = leaf([0.0, 1.0])
    (g,) = ag.grad(Exp.apply(x).sum(), x, create_graph=True)
    (g2,) = ag.grad(g.sum(), x)  # d/dx e^x = e^x through the saved output
    np.testing.assert_allclose(g2.data, np.exp([0.0, 1.0]))


# ---------------------------------------------------------------------- in-place changes of saved memory
@pytest.mark.parametrize("view", ["transpose", "slice", "reshape", "base"])
def test_an_in_place_change_through_any_view_of_saved_memory_is_refused(view):
    w = Tensor(np.arange(6.0).reshape(2, 3))
    x = leaf(np.ones((2, 3)))
    y = (x @ w.T).sum()  # MatMul saves w.T, a view of w's memory
    with ag.no_grad():
        if view == "transpose":
            w.T[0] -= 0.5
        elif view == "slice":
            w[1:] += 1.0
        elif view == "reshape":
            w.reshape(6)[0:1] *= 3.0
        else:
            w += 1.0
    with pytest.raises(GraphError, match=r"MatMul: .*saved value 1, shape \(3, 2\)\) was modified by an in-place"):
        y.backward()


def test_an_in_place_change_of_an_array_shared_with_as_tensor_is_refused():
    array = np.array([1.0, 2.0])
    x = leaf([3.0, 4.0])
    y = (x * ag.as_tensor(array)).sum()
    array[0] += 0  # a NumPy write is invisible: only changes made through tensors are seen
    y.backward(retain_graph=True)
    shared = ag.as_tensor(array)
    shared += 1.0
    with pytest.raises(GraphError, match="Mul: one of the arrays saved for backward"):
        y.backward()


def test_an_in_place_change_of_another_tensor_does_not_disturb_backward():
    x = leaf([1.0, 2.0])
    a = Tensor(np.array([3.0, 4.0]))
    y = (x * a).sum()
    other = Tensor(np.array([3.0, 4.0]))
    other += 1.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_release_frees_the_saved_values_once():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    node = y.grad_fn
    node.release()
    node.release()
    with pytest.raises(GraphError, match="second time"):
        y.sum().backward()
    z = Affine.apply(x, x, x)
    z.grad_fn.release()
    with pytest.raises(GraphError, match="Affine: trying to backward"):
        z.sum().backward()


# ---------------------------------------------------------------------- either
def test_either_runs_numpy_on_arrays_and_the_primitive_on_tensors():
    exp_of = either(np.exp, Exp)
    assert exp_of.__name__ == "exp"
    assert type(exp_of(np.array([0.0]))) is np.ndarray
    x = leaf([0.0])
    y = exp_of(x)
    assert isinstance(y, Tensor) and y.grad_fn.name == "Exp"
    plus = either(np.add, ag.functions.Add)
    assert plus(np.array(1.0), x).grad_fn.name == "Add"  # a tensor in any position
    assert plus.__name__ == "add"


# ---------------------------------------------------------------------- what forward sees
class Watch(Function):
    """Records `needs_input_grad` as forward sees it, for one or two arguments."""

    seen: list = []

    def forward(self, *arrays):
        Watch.seen.append(self.needs_input_grad)
        return arrays[0] * 1.0

    def backward(self, g):
        return (g,) + (None,) * (len(self.needs_input_grad) - 1)


def test_forward_sees_which_inputs_need_a_gradient():
    x, c = leaf([1.0]), Tensor(np.array([2.0]))
    Watch.seen.clear()
    for args in [(x,), (c,), (x, x), (x, c), (c, x), (c, c), (x, 3.0)]:
        Watch.apply(*args)
    with ag.no_grad():
        Watch.apply(x)
        Watch.apply(x, x)
    assert Watch.seen == [(True,), (False,), (True, True), (True, False), (False, True), (False, False),
                          (True, False), (False,), (False, False)]


def test_an_op_without_arguments_runs_and_records_nothing():
    class Ones(Function):
        def forward(self):
            return np.ones(2)

    y = Ones.apply()
    np.testing.assert_array_equal(y.data, [1.0, 1.0])
    assert y.grad_fn is None and not y.requires_grad


def test_a_recording_watcher_sees_every_node_and_its_arguments():
    from autograd.viz.recording import lookup, record

    x = leaf([1.0, 2.0])
    with record():
        product = x * 2.0  # the two-argument fast path
        exp = Exp.apply(x)  # the one-argument fast path
        affine = Affine.apply(x, x, x, shift=1.5)  # the general path
    for tensor in (product, exp, affine):
        kept = lookup(tensor.grad_fn)
        assert kept is not None and kept.outputs[0] is tensor.data
    assert ("shift", "1.5") in lookup(affine.grad_fn).arguments
    assert lookup((x * 3.0).grad_fn) is None


def test_the_creation_trace_under_detect_anomaly_ends_at_the_line_that_made_the_op():
    x = leaf([1.0, 4.0])
    with ag.detect_anomaly():
        y = Cube.apply(x)  # the line the trace must end with
        z = x * x
        w = Affine.apply(x, x, x, shift=1.0)
    for tensor, line in ((y, "y = Cube.apply(x)"), (z, "z = x * x"), (w, "w = Affine.apply(x, x, x, shift=1.0)")):
        trace = tensor.grad_fn.creation_trace
        assert line in trace and "test_function.py" in trace
        engine_frames = (", in _record", ", in _apply_one", ", in _apply_two")
        assert not any(frame in trace for frame in engine_frames)


def test_an_output_saved_twice_comes_back_as_the_output_both_times():
    class ExpSavedTwice(Function):
        def forward(self, x):
            y = np.exp(x)
            self.save_for_backward(y, y)
            return y

        def backward(self, gy):
            _, y = self.saved_tensors
            return gy * y

    x = leaf([0.0, 1.0])
    (g,) = ag.grad(ExpSavedTwice.apply(x).sum(), x, create_graph=True)
    (g2,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(g2.data, np.exp([0.0, 1.0]))


# ---------------------------------------------------------------------- NumPy's error state and memory
class Reciprocal(Function):
    """y = scale / x, with a keyword argument: apply's general path."""

    def forward(self, x, scale=1.0):
        return scale / x

    def backward(self, g):
        return g


QUIET_CALLS = {  # each path through apply, with a forward that divides by zero
    "one": lambda x: ag.log(x),
    "two": lambda x: x / Tensor(np.zeros(2)),
    "general": lambda x: Reciprocal.apply(x, scale=1.0),
    "raising": lambda x: Raising.apply(x),
}


@pytest.mark.parametrize("path", list(QUIET_CALLS))
def test_forward_is_quiet_and_leaves_the_callers_numpy_error_state_as_it_was(path):
    Raising.error = ValueError("bad value")
    x = leaf([0.0, 1.0])
    with np.errstate(all="raise"):
        if path == "raising":
            with pytest.raises(ValueError, match="bad value"):
                QUIET_CALLS[path](x)
        else:
            y = QUIET_CALLS[path](x)  # inf or nan, without a FloatingPointError
            assert not np.all(np.isfinite(y.data))
        assert np.geterr() == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}


def test_the_fallback_for_other_numpy_versions_quiets_and_restores_the_error_state(monkeypatch):
    import sys
    import types

    from autograd import function

    # Without NumPy 2's context variable, the fallback uses np.errstate.
    monkeypatch.setitem(sys.modules, "numpy._core._ufunc_config", types.ModuleType("numpy._core._ufunc_config"))
    enter, leave = function._quiet_floating_point()
    with np.errstate(all="raise"):
        token = enter()
        assert np.array(1.0) / np.array(0.0) == np.inf
        leave(token)
        with pytest.raises(FloatingPointError):
            np.array(1.0) / np.array(0.0)


def test_backward_frees_the_input_arrays_a_node_kept():
    import gc
    import weakref

    x = leaf(np.ones(3))
    h = x * 2.0
    y = Cube.apply(h)  # keeps h's array, as a saved value and as an input
    kept = weakref.ref(h.data)
    del h
    gc.collect()
    assert kept() is not None
    y.sum().backward()
    gc.collect()
    assert kept() is None


def test_a_node_keeps_only_the_inputs_it_saved():
    """ReLU saves a mask, not its input: the pre-activation must be freed as soon as nothing else holds it
    (a node that kept every input alive held one activation per layer more until backward, and made
    large batches slower by re-faulting that memory every step)."""
    import gc
    import weakref

    x = leaf(np.ones((4, 3)))
    h = x * 2.0
    y = h.relu()
    kept = weakref.ref(h.data)
    del h
    gc.collect()
    assert kept() is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 3), 2.0))
