"""The conv-net benchmark's implementations compute the same thing (the timing itself is not a test)."""

import numpy as np
import pytest

from benchmarks import convnet, numpy_convnet


def test_textbook_im2col_and_col2im_are_adjoint():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = numpy_convnet.im2col(x, 3, 2, stride=2, pad=1)
    c = rng.standard_normal(cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * numpy_convnet.col2im(c, x.shape, 3, 2, stride=2, pad=1)))


@pytest.mark.parametrize("with_torch", [False, True])
def test_every_implementation_trains_the_same_losses(with_torch):
    if with_torch:
        pytest.importorskip("torch")
    x, labels = convnet.make_batch()
    cases = convnet.steps(torch_available=with_torch)
    losses = {name: [step(x, labels) for _ in range(2)] for name, step in cases.items()}
    reference = losses["numpy (textbook layers)"]
    for name, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=1e-3, atol=1e-4, err_msg=name)
