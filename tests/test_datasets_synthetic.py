"""nn.datasets.synthetic: moons and circles equal scikit-learn's, the spiral has the promised shape."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from nn.datasets import make_circles, make_moons, make_spiral

sizes = st.one_of(st.integers(1, 300), st.tuples(st.integers(0, 150), st.integers(0, 150)))
noises = st.one_of(st.none(), st.floats(0.0, 1.0))


@given(n=sizes, noise=noises, seed=st.integers(0, 2**32 - 1), shuffle=st.booleans())
def test_make_moons_equals_scikit_learn(n, noise, seed, shuffle):
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed")
    x, y = make_moons(n, noise=noise, seed=seed, shuffle=shuffle)
    x_ref, y_ref = datasets.make_moons(n, noise=noise, random_state=seed, shuffle=shuffle)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert x.dtype == np.float64 and y.dtype == np.int64


@given(n=sizes, noise=noises, seed=st.integers(0, 2**32 - 1), factor=st.floats(0.0, 0.99))
def test_make_circles_equals_scikit_learn(n, noise, seed, factor):
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed")
    if isinstance(n, int) and n < 1:
        return
    x, y = make_circles(n, noise=noise, seed=seed, factor=factor)
    x_ref, y_ref = datasets.make_circles(n, noise=noise, random_state=seed, factor=factor)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_a_random_state_object_is_used_as_is():
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed")
    x, y = make_moons(50, noise=0.1, seed=np.random.RandomState(3))
    x_ref, y_ref = datasets.make_moons(50, noise=0.1, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_moons_without_noise_lie_on_the_two_half_circles():
    x, y = make_moons(101, shuffle=False)
    assert (y[:50] == 0).all() and (y[50:] == 1).all()  # the odd point goes to the lower moon
    np.testing.assert_allclose(np.hypot(x[y == 0, 0], x[y == 0, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1, x[y == 1, 1] - 0.5), 1.0)
    assert (x[y == 0, 1] >= -1e-12).all() and (x[y == 1, 1] <= 0.5 + 1e-12).all()


def test_circles_radii():
    x, y = make_circles(40, factor=0.3, shuffle=False)
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*x[y == 1].T), 0.3)


def test_unseeded_generators_follow_manual_seed():
    ag.manual_seed(11)
    first = make_moons(30, noise=0.2)[0], make_spiral(30)[0]
    ag.manual_seed(11)
    second = make_moons(30, noise=0.2)[0], make_spiral(30)[0]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@given(n=st.integers(3, 200), k=st.integers(1, 5), seed=st.integers(0, 1000))
def test_spiral_class_counts_and_radii(n, k, seed):
    if n < k:
        return
    x, y = make_spiral(n, seed=seed, n_classes=k)
    assert x.shape == (n, 2) and y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert counts.max() - counts.min() <= 1 and counts.sum() == n
    assert (np.hypot(*x.T) <= 1.0 + 1e-12).all()  # noise moves the angle, never the radius


def test_spiral_without_noise_follows_the_arms():
    x, y = make_spiral(30, noise=0.0, shuffle=False)
    arm = x[y == 1]
    radius, angle = np.linspace(0, 1, 10), np.linspace(4, 8, 10)
    np.testing.assert_allclose(arm, np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
    assert make_spiral(10, n_classes=3, shuffle=False)[1].tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(0), "n_samples must be a positive int"),
    (lambda: make_moons((1, 2, 3)), "two non-negative counts"),
    (lambda: make_moons(10, noise=-1.0), "noise must be None or a non-negative"),
    (lambda: make_moons(10, seed="x"), "seed must be an int"),
    (lambda: make_circles(10, factor=1.0), r"factor must be in \[0, 1\)"),
    (lambda: make_spiral(2, n_classes=3), "n_samples must be an int >= n_classes"),
    (lambda: make_spiral(10, n_classes=0), "n_classes must be a positive int"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
