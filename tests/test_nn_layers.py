"""Layers: forward values, gradients (gradcheck in float64, parameters included), dropout, MLP, init defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Tensor, gradcheck
from nn import functional as F


def module_gradcheck(module: nn.Module, x: np.ndarray) -> bool:
    """gradcheck of `module(x)` with respect to x and to every parameter of the module, in float64.

    gradcheck calls its function with fresh tensors for every evaluation, so the function puts the given
    tensors in place of the module's parameters for the duration of the call (a plain attribute swap,
    bypassing registration) and runs the module's real forward.
    """
    module.double()
    owners = [(m, name) for m in module.modules() for name, p in m._parameters.items() if p is not None]
    originals = [getattr(m, name) for m, name in owners]

    def f(inp, *params):
        try:
            for (m, name), p in zip(owners, params, strict=True):
                object.__setattr__(m, name, p)
            return module(inp)
        finally:
            for (m, name), p in zip(owners, originals, strict=True):
                object.__setattr__(m, name, p)

    inputs = (Tensor(x.astype(np.float64), requires_grad=True),
              *[Tensor(p.data, requires_grad=True) for p in originals])
    return gradcheck(f, inputs)


def away_from_kinks(shape, seed=0):
    """Random values with |x| >= 0.1, so relu-like kinks at 0 are not inside the finite-difference step."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return x


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(4, 3),
    lambda: nn.Linear(4, 3, bias=False),
    lambda: nn.ReLU(),
    lambda: nn.LeakyReLU(0.2),
    lambda: nn.Sigmoid(),
    lambda: nn.Tanh(),
    lambda: nn.Softmax(),
    lambda: nn.Softmax(axis=0),
    lambda: nn.Identity(),
    lambda: nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)),
    lambda: nn.MLP([4, 6, 3], activation=nn.Sigmoid, output_activation="softmax"),
    lambda: nn.MLP([4, 5, 5, 2], activation="leaky_relu"),
], ids=["linear", "linear-nobias", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "softmax-axis0",
        "identity", "sequential", "mlp-sigmoid-softmax", "mlp-leaky"])
def test_every_layer_passes_gradcheck(make):
    autograd.manual_seed(0)
    assert module_gradcheck(make(), away_from_kinks((3, 4)))


@settings(max_examples=20)
@given(batch=st.integers(1, 4), in_features=st.integers(1, 5), out_features=st.integers(1, 4),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_passes_gradcheck_for_any_size(batch, in_features, out_features, bias, seed):
    autograd.manual_seed(seed)
    layer = nn.Linear(in_features, out_features, bias=bias)
    assert module_gradcheck(layer, away_from_kinks((batch, in_features), seed))


def test_flatten_passes_gradcheck_and_flattens_images():
    x = away_from_kinks((2, 1, 3, 3))
    assert module_gradcheck(nn.Sequential(nn.Flatten(), nn.Linear(9, 2)), x)
    assert nn.Flatten()(x).shape == (2, 9)
    assert nn.Flatten(start_axis=2)(x).shape == (2, 1, 9)


def test_dropout_in_training_mode_passes_gradcheck_with_a_fixed_mask():
    layer = nn.Dropout(0.5, seed=3)
    mask_state = layer.generator.bit_generator.state

    def f(x):
        layer.generator.bit_generator.state = mask_state  # the same mask on every evaluation
        return layer(x)

    assert gradcheck(f, (Tensor(away_from_kinks((4, 5)), requires_grad=True),))


# ---------------------------------------------------------------------- forward values
def test_linear_computes_x_at_w_plus_b_with_weight_in_in_out_layout():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + layer.bias.data, rtol=1e-6)
    assert layer(np.ones((5, 7, 3))).shape == (5, 7, 2)  # any leading axes


def test_linear_converts_data_to_its_dtype_but_leaves_graph_inputs_alone():
    layer = nn.Linear(3, 2)
    assert layer(np.ones((1, 3), dtype=np.float64)).dtype == np.float32  # data: converted
    assert layer(np.ones((1, 3), dtype=np.uint8)).dtype == np.float32
    x64 = Tensor(np.ones((1, 3)), requires_grad=True)
    assert layer(x64).dtype == np.float64  # in the graph: NumPy's promotion, as for any op


def test_linear_errors_name_the_shapes():
    with pytest.raises(autograd.ShapeError, match=r"input of shape \(2, 5\).*weight of shape \(4, 3\).*in_features=4"):
        nn.Linear(4, 3)(np.ones((2, 5)))
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="weight_init"):
        nn.Linear(2, 3, weight_init="he")


def test_linear_default_init_is_uniform_in_plus_minus_one_over_sqrt_fan_in():
    autograd.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.data
    assert w.dtype == np.float32
    assert -bound <= w.min() < -0.99 * bound and 0.99 * bound < w.max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # std of U(-b, b) is b / sqrt(3)
    assert np.abs(layer.bias.data).max() <= bound


def test_linear_weight_init_std_and_function_zero_the_bias():
    autograd.manual_seed(0)
    textbook = nn.Linear(784, 100, weight_init=0.01)
    assert abs(textbook.weight.data.std() - 0.01) < 0.0005
    assert not textbook.bias.data.any()
    he = nn.Linear(500, 200, weight_init=nn.init.kaiming_normal_)
    assert abs(he.weight.data.std() - math.sqrt(2 / 500)) < 0.02 * math.sqrt(2 / 500)
    assert not he.bias.data.any()


def test_same_seed_gives_the_same_model():
    autograd.manual_seed(42)
    a = nn.MLP([5, 4, 3])
    autograd.manual_seed(42)
    b = nn.MLP([5, 4, 3])
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_activations_match_numpy():
    x = away_from_kinks((3, 4))
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).data, np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x))
    e = np.exp(x)
    np.testing.assert_allclose(nn.Softmax()(x).data, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(x).data, np.log(e / e.sum(axis=1, keepdims=True)))
    t = Tensor(x)
    assert nn.Identity()(t) is t


# ---------------------------------------------------------------------- dropout
def test_dropout_is_inverted_and_a_no_op_in_eval_mode():
    layer = nn.Dropout(0.25, seed=0)
    x = np.ones((200, 50), dtype=np.float32)
    y = layer(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75)  # survivors scaled so the expectation is unchanged
    assert y.dtype == np.float32
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x)


def test_dropout_gradient_is_the_mask():
    layer = nn.Dropout(0.5, seed=1)
    x = Tensor(np.ones((10, 10)), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # y = mask * 1, and dy/dx = mask


def test_dropout_seeding():
    a, b = nn.Dropout(0.5, seed=7), nn.Dropout(0.5, seed=7)
    x = np.ones((5, 5))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert not np.array_equal(a(x).data, a(x).data)  # a fresh mask on each call
    unseeded = nn.Dropout(0.5)
    autograd.manual_seed(3)
    first = unseeded(x).data
    autograd.manual_seed(3)
    np.testing.assert_array_equal(unseeded(x).data, first)  # the global generator is used and reseeded


def test_dropout_edge_probabilities_and_errors():
    x = np.ones((3, 3))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x)
    assert not nn.Dropout(1.0)(x).data.any()
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dropout"):
        F.dropout(x, -0.1)


# ---------------------------------------------------------------------- MLP
def test_mlp_builds_the_seed_networks_in_one_line():
    textbook = nn.MLP([784, 100, 10], activation=nn.Sigmoid, weight_init=0.01)
    assert [type(m).__name__ for m in textbook.children()] == ["Linear", "Sigmoid", "Linear"]
    assert textbook.num_parameters() == 784 * 100 + 100 + 100 * 10 + 10
    relu_net = nn.MLP([784, 256, 256, 10])
    assert [n for n, _ in relu_net.named_children()] == ["fc1", "act1", "fc2", "act2", "fc3"]
    assert isinstance(relu_net.act2, nn.ReLU)
    moons = nn.MLP([2, 25, 50, 25, 2], activation="sigmoid")
    assert moons.short_description() == "MLP(2 -> 25 -> 50 -> 25 -> 2)"
    assert moons(np.zeros((7, 2))).shape == (7, 2)
    dropout_net = nn.MLP([3, 4, 4, 2], dropout=0.1, output_activation=nn.Sigmoid)
    assert [n for n, _ in dropout_net.named_children()] == [
        "fc1", "act1", "drop1", "fc2", "act2", "drop2", "fc3", "output_activation"]
    out = dropout_net.eval()(np.zeros((1, 3)))
    assert ((out.data > 0) & (out.data < 1)).all()


def test_mlp_activation_arguments():
    assert isinstance(nn.MLP([2, 2, 2], activation=lambda: nn.LeakyReLU(0.3)).act1, nn.LeakyReLU)
    assert nn.MLP([2, 2, 2], activation=lambda: nn.LeakyReLU(0.3)).act1.negative_slope == 0.3
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 2, 2], activation="swish")
    shared = nn.LeakyReLU(0.2)  # a parameter-free instance is copied, one per layer
    net = nn.MLP([2, 2, 2, 2], activation=shared)
    assert net.act1 is not shared and net.act1 is not net.act2 and net.act2.negative_slope == 0.2
    with pytest.raises(TypeError, match="not an instance"):
        nn.MLP([2, 2, 2], activation=nn.Linear(2, 2))
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([3])


def test_mlp_float64():
    model = nn.MLP([3, 4, 2], dtype=np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())


def test_mlp_accepts_a_function_of_one_tensor_as_its_activation():
    net = nn.MLP([4, 8, 3], activation=F.relu)
    x = autograd.randn(5, 4)
    hidden = F.relu(F.linear(x, net.fc1.weight, net.fc1.bias))
    np.testing.assert_allclose(net(x).data, F.linear(hidden, net.fc2.weight, net.fc2.bias).data)
    assert "relu" in repr(net.act1) and not list(net.act1.parameters())
    leaky = nn.MLP([2, 3, 3, 1], activation=F.leaky_relu, output_activation=autograd.sigmoid)
    assert leaky.act1 is not leaky.act2 and leaky.output_activation.short_description() == "sigmoid"
    assert ((leaky(np.ones((2, 2))).data > 0) & (leaky(np.ones((2, 2))).data < 1)).all()


def test_mlp_refuses_what_an_activation_cannot_be():
    with pytest.raises(TypeError, match="NumPy's tanh works on arrays, not tensors"):
        nn.MLP([2, 2, 2], activation=np.tanh)
    with pytest.raises(TypeError, match="returned Tensor, not an nn.Module"):
        nn.MLP([2, 2, 2], activation=lambda: autograd.zeros(2))
    with pytest.raises(TypeError, match="activation class dict is not an nn.Module"):
        nn.MLP([2, 2, 2], activation=dict)
    with pytest.raises(TypeError, match="a function of one tensor"):
        nn.MLP([2, 2, 2], activation=lambda x, y: x)
    with pytest.raises(TypeError, match="a function of one tensor"):
        nn.MLP([2, 2, 2], activation=3)


@pytest.mark.parametrize("sizes, error, match", [
    ([4, 3.7, 3], ValueError, r"positive integer, got 3.7 \(float\) at position 1 of \[4, 3.7, 3\]"),
    ([4, 8.0, 3], ValueError, r"got 8.0 \(float\) at position 1"),
    ([4, True, 3], ValueError, r"got True \(bool\) at position 1"),
    ([4, 0, 3], ValueError, r"got 0 \(int\) at position 1"),
    ([4, -2, 3], ValueError, r"got -2 \(int\) at position 1"),
    ([4, "8", 3], ValueError, r"got '8' \(str\) at position 1"),
    ("483", TypeError, "sizes must be a list of layer widths"),
    (4, TypeError, "sizes must be a list of layer widths"),
])
def test_mlp_refuses_sizes_that_are_not_positive_integers(sizes, error, match):
    with pytest.raises(error, match=match):
        nn.MLP(sizes)


def test_mlp_accepts_numpy_integer_sizes():
    assert nn.MLP(np.array([4, 8, 3])).sizes == [4, 8, 3]
    assert nn.MLP((4, np.int32(8), 3)).fc1.out_features == 8


# ---------------------------------------------------------------------- Embedding
def test_embedding_looks_up_rows_and_accumulates_repeated_indices():
    autograd.manual_seed(0)
    embedding = nn.Embedding(5, 3)
    indices = np.array([[1, 2, 1], [4, 1, 0]])
    out = embedding(indices)
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out.data[0, 0], embedding.weight.data[1])
    out.sum().backward()
    assert embedding.weight.grad.data[:, 0].tolist() == [1.0, 3.0, 1.0, 0.0, 1.0]  # index 1 used three times
    assert gradcheck(lambda w: F.embedding(indices, w), (Tensor(np.random.default_rng(0).standard_normal((5, 3)),
                                                                requires_grad=True),))


def test_embedding_matches_pytorch_with_padding_idx():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 4, padding_idx=2, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 4, padding_idx=2).double()
    assert np.all(ours.weight.data[2] == 0)
    theirs.weight.data[...] = torch.tensor(ours.weight.data)
    indices = np.array([[0, 2, 5, 2], [5, 5, 1, 2]])
    y, ty = ours(indices), theirs(torch.tensor(indices))
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)
    assert np.all(ours.weight.grad.data[2] == 0)


def test_embedding_errors_name_the_layer_the_dtype_and_the_range():
    model = nn.Sequential(nn.Embedding(4, 2))
    with pytest.raises(autograd.DtypeError, match=r"Embedding '0': indices must be integers, got dtype float64 "
                                                  r"\(shape \(2,\)\)"):
        model(np.array([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"Embedding '0': indices must lie in \[0, 3\] .* got \[4, 7\]"):
        model(np.array([0, 4, 7]))
    with pytest.raises(ValueError, match="padding_idx must be in"):
        nn.Embedding(4, 2, padding_idx=4)
    assert repr(nn.Embedding(4, 2, padding_idx=-1)).startswith("Embedding(4, 2, padding_idx=3)")
