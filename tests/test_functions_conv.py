"""The image primitives (autograd/functions/conv.py), property-tested like every op.

Hypothesis draws the geometry (batch, channels, image size, kernel, stride, padding, dilation) and float64
values; `backprop_test` then checks the forward against a direct NumPy definition (one loop per output
pixel: nothing shared with im2col), the gradients against central differences, and the hygiene of the
graph. Second derivatives are checked where the op is smooth (convolution is bilinear; pooling is linear
in its input once the winners are fixed, and the strategies keep values apart so no winner changes).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor
from autograd.functions import AvgPool2d, Col2Im, Conv2d, Im2Col, MaxPool2d
from autograd.testing import backprop_test
from autograd.testing import strategies as ags

FIRST_ORDER_EXAMPLES = 25
SECOND_ORDER_EXAMPLES = 8


# ---------------------------------------------------------------------- direct definitions (the references)
def pad(x, padding, value=0.0):
    (top, bottom), (left, right) = padding
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def out_size(size, k, s, pads, d):
    return (size + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


def window(xp, oh, ow, kernel, stride, dilation):
    """xp[:, :, window of output pixel (oh, ow)]: (N, C, KH, KW)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return xp[:, :, oh * sh:oh * sh + dh * (kh - 1) + 1:dh, ow * sw:ow * sw + dw * (kw - 1) + 1:dw]


def conv_reference(x, w, b, stride, padding, dilation):
    xp = pad(x, padding)
    oh_count = out_size(x.shape[2], w.shape[2], stride[0], padding[0], dilation[0])
    ow_count = out_size(x.shape[3], w.shape[3], stride[1], padding[1], dilation[1])
    y = np.zeros((x.shape[0], w.shape[0], oh_count, ow_count))
    for oh in range(oh_count):
        for ow in range(ow_count):
            patch = window(xp, oh, ow, w.shape[2:], stride, dilation)
            y[:, :, oh, ow] = np.einsum("nchw,ochw->no", patch, w)
    return y + (0.0 if b is None else b.reshape(1, -1, 1, 1))


def pool_reference(x, kernel, stride, padding, dilation, reduce, pad_value):
    xp = pad(x, padding, pad_value)
    oh_count = out_size(x.shape[2], kernel[0], stride[0], padding[0], dilation[0])
    ow_count = out_size(x.shape[3], kernel[1], stride[1], padding[1], dilation[1])
    y = np.zeros(x.shape[:2] + (oh_count, ow_count))
    for oh in range(oh_count):
        for ow in range(ow_count):
            y[:, :, oh, ow] = reduce(window(xp, oh, ow, kernel, stride, dilation), axis=(2, 3))
    return y


# ---------------------------------------------------------------------- strategies
@st.composite
def geometries(draw, max_kernel=3, max_stride=3, max_dilation=2, max_pad=2):
    """kernel, stride, ((top, bottom), (left, right)) padding, dilation, and an image size (H, W) they fit."""
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    padding = tuple((draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))) for _ in range(2))
    size = []
    for k, d, pads in zip(kernel, dilation, padding, strict=True):
        smallest = max(1, d * (k - 1) + 1 - pads[0] - pads[1])
        size.append(draw(st.integers(smallest, smallest + 4)))
    return kernel, stride, padding, dilation, tuple(size)


@st.composite
def conv_inputs(draw, max_channels=2, bias=None):
    kernel, stride, padding, dilation, (h, w) = draw(geometries())
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    x = draw(ags.tensors((n, c, h, w)))
    weight = draw(ags.tensors((o, c, *kernel)))
    with_bias = draw(st.booleans()) if bias is None else bias
    b = draw(ags.tensors((o,))) if with_bias else None
    return x, weight, b, stride, padding, dilation


@st.composite
def pool_inputs(draw, distinct=False):
    kernel, stride, padding, dilation, (h, w) = draw(geometries(max_dilation=2))
    # pooling pads at most half the kernel on each side (so every window holds an input pixel)
    padding = tuple((min(a, k // 2), min(b, k // 2)) for (a, b), k in zip(padding, kernel, strict=True))
    h = max(h, dilation[0] * (kernel[0] - 1) + 1)
    w = max(w, dilation[1] * (kernel[1] - 1) + 1)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)
    x = draw(ags.tensors(shape, min_gap=1e-2, min_value=-5, max_value=5) if distinct else ags.tensors(shape))
    return x, kernel, stride, padding, dilation


# ---------------------------------------------------------------------- the property tests
test_conv2d = backprop_test(Conv2d.apply, conv_reference, inputs=conv_inputs(), max_examples=FIRST_ORDER_EXAMPLES)
test_conv2d_second_order = backprop_test(
    Conv2d.apply, conv_reference, inputs=conv_inputs(max_channels=1, bias=True), second_order=True,
    max_examples=SECOND_ORDER_EXAMPLES,
)
test_max_pool2d = backprop_test(
    MaxPool2d.apply, lambda x, k, s, p, d: pool_reference(x, k, s, p, d, np.max, -np.inf),
    inputs=pool_inputs(distinct=True), max_examples=FIRST_ORDER_EXAMPLES,
)
test_max_pool2d_second_order = backprop_test(
    MaxPool2d.apply, lambda x, k, s, p, d: pool_reference(x, k, s, p, d, np.max, -np.inf),
    inputs=pool_inputs(distinct=True), second_order=True, max_examples=SECOND_ORDER_EXAMPLES,
)


def avg_pool(x, kernel, stride, padding, dilation):
    return AvgPool2d.apply(x, kernel, stride, padding, float(kernel[0] * kernel[1]))


def avg_pool_reference(x, kernel, stride, padding, dilation):
    return pool_reference(x, kernel, stride, padding, (1, 1), np.mean, 0.0)


test_avg_pool2d = backprop_test(avg_pool, avg_pool_reference, inputs=pool_inputs().map(lambda a: (*a[:4], (1, 1))),
                                second_order=True, max_examples=FIRST_ORDER_EXAMPLES)


@given(conv_inputs(), st.integers(0, 2**31 - 1))
def test_col2im_is_the_adjoint_of_im2col(case, seed):
    """<im2col(x), c> == <x, col2im(c)> for all x and c: the two are transposes of one linear map."""
    x, weight, _, stride, padding, dilation = case
    cols = Im2Col.apply(x, weight.shape[2:], stride, padding, dilation)
    c = np.random.default_rng(seed).standard_normal(cols.shape)
    back = Col2Im.apply(Tensor(c), x.shape, stride, padding, dilation)
    assert back.shape == x.shape
    assert np.isclose(np.sum(cols.data * c), np.sum(x.data * back.data), rtol=1e-10, atol=1e-10)


test_im2col = backprop_test(
    lambda x, kernel, stride, padding, dilation: Im2Col.apply(x, kernel, stride, padding, dilation),
    inputs=conv_inputs().map(lambda a: (a[0], a[1].shape[2:], a[3], a[4], a[5])), second_order=True,
    max_examples=SECOND_ORDER_EXAMPLES,
)


def test_max_pool_gradient_goes_to_the_first_of_equal_maxima():
    x = Tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    MaxPool2d.apply(x, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1)).sum().backward()
    assert x.grad.data.reshape(-1).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_overlapping_windows_add_their_gradients():
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    AvgPool2d.apply(x, (2, 2), (1, 1), ((0, 0), (0, 0)), 4.0).sum().backward()
    assert x.grad.data[0, 0].tolist() == [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 3, 5, 5), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((4, 3, 3, 3), dtype=np.float32), requires_grad=True)
    y = Conv2d.apply(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1))
    z = MaxPool2d.apply(y, (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1))
    z.sum().backward()
    assert y.dtype == z.dtype == x.grad.dtype == w.grad.dtype == np.float32


@pytest.mark.parametrize("kernel", [(6, 1), (1, 6)])
def test_a_kernel_that_does_not_fit_is_a_shape_error(kernel):
    from autograd import ShapeError

    with pytest.raises(ShapeError, match="does not fit the padded input of size 5x5"):
        Conv2d.apply(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, *kernel))), None, (1, 1),
                     ((0, 0), (0, 0)), (1, 1))
