"""autograd.testing.strategies: the shapes, axes and tensors they draw are valid and cover the corner cases."""

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from autograd import Tensor
from autograd.testing import strategies as ags
from autograd.testing import use_hypothesis_profiles


@given(ags.shapes())
def test_shapes_respect_their_bounds(shape):
    assert 0 <= len(shape) <= 3 and all(1 <= side <= 4 for side in shape)


def test_shapes_reach_the_corner_cases():
    assert find(ags.shapes(), lambda s: s == ()) == ()  # 0-d
    assert 1 in find(ags.shapes(), lambda s: len(s) == 3 and 1 in s and max(s) > 1)  # size-1 axes
    assert find(ags.shapes(min_side=0), lambda s: 0 in s)  # empty tensors on request


@given(ags.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


def test_broadcastable_shapes_include_different_ranks_and_stretched_axes():
    a, b = find(ags.broadcastable_shapes(2), lambda s: len(s[0]) != len(s[1]))
    assert len(a) != len(b)
    find(ags.broadcastable_shapes(2), lambda s: len(s[0]) == len(s[1]) and any(
        x == 1 and y > 1 for x, y in zip(*s, strict=True)))


@given(ags.matmul_shapes())
def test_matmul_shapes_multiply(shapes):
    np.matmul(np.zeros(shapes[0]), np.zeros(shapes[1]))


def test_matmul_shapes_include_vectors_and_broadcast_batches():
    find(ags.matmul_shapes(), lambda s: len(s[0]) == 1)
    find(ags.matmul_shapes(), lambda s: len(s[1]) == 1)
    find(ags.matmul_shapes(), lambda s: len(s[0]) >= 3 and len(s[1]) >= 3 and s[0][0] != s[1][0])
    assert all(len(s) >= 2 for s in find(ags.matmul_shapes(vectors=False), lambda s: True))


@given(ags.shapes().flatmap(lambda s: st.tuples(st.just(s), ags.axes(len(s)))))
def test_axes_are_valid_reduction_arguments(shape_and_axis):
    shape, axis = shape_and_axis
    np.sum(np.zeros(shape), axis=axis)


def test_axes_draw_none_ints_negative_ints_and_tuples():
    find(ags.axes(3), lambda a: a is None)
    find(ags.axes(3), lambda a: isinstance(a, int) and a < 0)
    find(ags.axes(3), lambda a: isinstance(a, tuple) and len(a) == 2)
    assert find(ags.axes(0), lambda a: a is not None) == ()
    with pytest.raises(ValueError, match="0-d tensor has no axis"):
        ags.axes(0, single=True)


@given(ags.tensors())
def test_tensors_default_to_float64_leaves_that_require_grad_in_bounds(x):
    assert isinstance(x, Tensor) and x.is_leaf and x.requires_grad
    assert x.dtype == np.float64
    assert np.all(np.abs(x.data) <= 3.0) and np.all(np.isfinite(x.data))


@given(ags.tensors(shape=(2, 3), dtype=np.float32, requires_grad=False))
def test_tensors_with_fixed_shape_and_float32(x):
    assert x.shape == (2, 3) and x.dtype == np.float32 and not x.requires_grad


@given(ags.tensors(shape=ags.shapes(min_dims=2, max_dims=2)))
def test_tensors_take_a_shape_strategy(x):
    assert x.ndim == 2


@given(ags.tensors(avoid=(0.0, 1.0), margin=0.1))
def test_tensors_stay_away_from_non_differentiable_points(x):
    assert np.all(np.abs(x.data) >= 0.1 - 1e-12) and np.all(np.abs(x.data - 1.0) >= 0.1 - 1e-12)


@given(ags.tensors(min_gap=1 / 64))
def test_min_gap_makes_elements_distinct_and_apart(x):
    values = np.sort(x.data.reshape(-1))
    assert np.all(np.diff(values) >= 1 / 64)


@settings(max_examples=20)
@given(ags.tensors(dtype=np.int64, requires_grad=False, min_value=-2, max_value=2))
def test_integer_tensors(x):
    assert x.dtype == np.int64 and np.all(np.abs(x.data) <= 2)


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="int64 tensor cannot require grad; pass requires_grad=False"):
        ags.tensors(dtype=np.int64)


def test_element_bounds_are_checked():
    with pytest.raises(ValueError, match="min_value 2.0 is larger than max_value 1.0"):
        ags.elements(min_value=2.0, max_value=1.0).example()


@given(ags.broadcastable_tensors(2, dtype=np.float32))
def test_broadcastable_tensors(pair):
    a, b = pair
    assert a.dtype == b.dtype == np.float32
    np.broadcast_shapes(a.shape, b.shape)


@given(ags.matmul_tensors(), ags.tensors_and_axes(), ags.tensors_and_axes(single=True))
def test_tensor_tuples_for_matmul_and_reductions(ab, x_axis, y_axis):
    a, b = ab
    np.matmul(a.data, b.data)
    x, axis = x_axis
    np.sum(x.data, axis=axis)
    y, single = y_axis
    assert isinstance(single, int) and -y.ndim <= single < y.ndim


def test_our_profiles_are_loaded_for_our_tests_and_are_deterministic():
    from hypothesis import settings as hypothesis_settings

    assert hypothesis_settings.default.derandomize  # tests/conftest.py called use_hypothesis_profiles()
    for name in ("dev", "ci"):
        profile = hypothesis_settings.get_profile(name)
        assert profile.derandomize and profile.deadline is None and profile.max_examples == 60
    assert not hypothesis_settings.get_profile("thorough").derandomize
    assert hypothesis_settings.get_profile("thorough").max_examples == 1000


def test_use_hypothesis_profiles_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown profile 'fast'; choose one of dev, ci, thorough"):
        use_hypothesis_profiles("fast")
