"""Conv2d, MaxPool2d, AvgPool2d and their nn.functional twins: PyTorch parity, arguments, errors."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import DtypeError, ShapeError, Tensor

RNG = np.random.default_rng(0)


def torch_or_skip():
    return pytest.importorskip("torch")


def ours_and_theirs(ours, theirs, *arrays, seed=1):
    """Run both on float64 copies of `arrays`, backward with one random upstream gradient; return
    (our output, their output, our input gradients, their input gradients) as arrays."""
    torch = torch_or_skip()
    our_inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    their_inputs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    y, ty = ours(*our_inputs), theirs(*their_inputs)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    return (y.data, ty.detach().numpy(), [t.grad.data for t in our_inputs],
            [t.grad.numpy() for t in their_inputs])


def assert_same(result):
    y, ty, grads, their_grads = result
    assert y.shape == ty.shape
    np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(grads, their_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(stride=3, padding=2, dilation=2),
    dict(padding="same"),
    dict(padding="same", dilation=2),
    dict(padding="valid"),
]


@pytest.mark.parametrize("options", CONV_CASES, ids=str)
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (1, 1)])
def test_conv2d_matches_pytorch(options, kernel):
    torch = torch_or_skip()
    x = RNG.standard_normal((2, 3, 7, 8))
    w = RNG.standard_normal((4, 3, *kernel))
    b = RNG.standard_normal(4)
    assert_same(ours_and_theirs(lambda x, w, b: F.conv2d(x, w, b, **options),
                                lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **options), x, w, b))


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),
]


@pytest.mark.parametrize("options", POOL_CASES + [dict(kernel_size=3, stride=1, dilation=2),
                                                  dict(kernel_size=2, padding=1, dilation=(2, 1), ceil_mode=True)],
                         ids=str)
def test_max_pool2d_matches_pytorch(options):
    torch = torch_or_skip()
    x = RNG.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0  # distinct values: no ties
    assert_same(ours_and_theirs(lambda x: F.max_pool2d(x, **options),
                                lambda x: torch.nn.functional.max_pool2d(x, **options), x))


@pytest.mark.parametrize("extra", [dict(), dict(count_include_pad=False), dict(divisor_override=3)], ids=str)
@pytest.mark.parametrize("options", POOL_CASES, ids=str)
def test_avg_pool2d_matches_pytorch(options, extra):
    torch = torch_or_skip()
    x = RNG.standard_normal((2, 3, 7, 8))
    assert_same(ours_and_theirs(lambda x: F.avg_pool2d(x, **options, **extra),
                                lambda x: torch.nn.functional.avg_pool2d(x, **options, **extra), x))


def test_layers_match_pytorch_layers_with_copied_weights():
    torch = torch_or_skip()
    autograd.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 4, 3, stride=2, bias=False, dtype=np.float64), nn.AvgPool2d(2, ceil_mode=True))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(6, 4, 3, stride=2, bias=False),
                                 torch.nn.AvgPool2d(2, ceil_mode=True)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})  # same layout
    x = RNG.standard_normal((3, 1, 16, 16))
    y, ty = ours(x), theirs(torch.tensor(x))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------------- the layers
def test_conv2d_layer_shapes_init_and_repr():
    autograd.manual_seed(0)
    conv = nn.Conv2d(3, 8, 5, stride=2, padding=1)
    assert conv.weight.shape == (8, 3, 5, 5) and conv.bias.shape == (8,)
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.8 * bound
    assert conv(np.zeros((2, 3, 11, 11), dtype=np.float32)).shape == (2, 8, 5, 5)
    assert repr(conv).startswith("Conv2d(3, 8, kernel_size=(5, 5), stride=(2, 2), padding=(1, 1))")
    assert conv.short_description() == "Conv2d(3 -> 8, 5x5)"
    textbook = nn.Conv2d(1, 30, 5, weight_init=0.01, bias=False)
    assert textbook.bias is None and 0.005 < textbook.weight.data.std() < 0.015
    he = nn.Conv2d(16, 4, 3, weight_init=nn.init.kaiming_normal_)  # fan_in = 16 * 3 * 3
    assert 0.7 * np.sqrt(2 / 144) < he.weight.data.std() < 1.3 * np.sqrt(2 / 144)


def test_pool_layers_default_stride_to_the_kernel():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert nn.MaxPool2d(2)(x).data[0, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]
    assert nn.AvgPool2d(2)(x).data[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"


def test_flatten_feeds_a_linear_layer():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    assert model(np.zeros((5, 1, 6, 6))).shape == (5, 3)


# ---------------------------------------------------------------------- errors name the layer and the shapes
def test_a_3d_input_to_conv2d_says_how_to_add_the_batch_axis():
    model = nn.Sequential(nn.Conv2d(1, 4, 3))
    with pytest.raises(ShapeError, match=r"Conv2d '0': expected a 4-d input \(N, C, H, W\), got shape \(28, 28, 1\)"
                                         r".*add the batch axis"):
        model(np.zeros((28, 28, 1)))


def test_wrong_channel_count_names_both_counts():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ShapeError, match=r"Conv2d: expected an input with 3 channels \(N, 3, H, W\), got shape "
                                         r"\(2, 1, 8, 8\) with 1"):
        conv(np.zeros((2, 1, 8, 8)))


def test_kernel_larger_than_the_padded_input():
    with pytest.raises(ShapeError, match=r"conv2d: the kernel 5x5 is larger than the padded input 4x4 \(input of "
                                         r"shape \(1, 1, 2, 2\), padding \(1, 1\)\)"):
        F.conv2d(np.zeros((1, 1, 2, 2)), Tensor(np.zeros((1, 1, 5, 5))), padding=1)
    with pytest.raises(ShapeError, match=r"MaxPool2d: the kernel 3x3 is larger than the padded input 2x2"):
        nn.MaxPool2d(3)(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ShapeError, match=r"spanning 5x5"):
        F.conv2d(np.zeros((1, 1, 4, 4)), Tensor(np.zeros((1, 1, 3, 3))), dilation=2)


@pytest.mark.parametrize("call, message", [
    (lambda: nn.Conv2d(0, 4, 3), "in_channels must be a positive integer"),
    (lambda: nn.Conv2d(1, 4, 0), "kernel_size must be an integer >= 1"),
    (lambda: nn.Conv2d(1, 4, 3, stride=2, padding="same"), "padding='same' needs stride 1"),
    (lambda: nn.Conv2d(1, 4, 3, padding=-1), "padding must be an integer >= 0"),
    (lambda: nn.MaxPool2d(2, padding=2)(np.zeros((1, 1, 8, 8))), "at most half the kernel size"),
    (lambda: F.conv2d(np.zeros((1, 1, 4, 4)), Tensor(np.zeros((1, 1, 3, 3))), groups=2), "groups=2"),
    (lambda: F.conv2d(np.zeros((1, 1, 4, 4)), Tensor(np.zeros((2, 1, 3, 3))), Tensor(np.zeros(3))),
     r"bias must be a Tensor of shape \(2,\)"),
    (lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2, divisor_override=0), "divisor_override"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, return_indices=True), "return_indices"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_bad_arguments_are_refused_with_the_reason(call, message):
    with pytest.raises((ValueError, ShapeError, NotImplementedError), match=message):
        call()


def test_integer_images_are_converted_and_strings_refused():
    conv = nn.Conv2d(1, 1, 1, bias=False)
    assert conv(np.ones((1, 1, 2, 2), dtype=np.uint8)).dtype == np.float32
    with pytest.raises(DtypeError, match="conv2d: expected a Tensor or numeric array"):
        F.conv2d(np.array([["a"]]), conv.weight)
