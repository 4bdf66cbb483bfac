"""Benchmark 6: one training step of the textbook's SimpleConvNet (MNIST shapes, batch 100, Adam).

conv 30 filters 5x5 (stride 1, no padding) - ReLU - 2x2 max pool - Linear 4320 -> 100 - ReLU - Linear 100 -> 10,
softmax cross-entropy, Adam lr 0.001: the book's chapter 7 network and recipe. Side by side: ours (nn layers
on the Conv2d/MaxPool2d primitives), the textbook's hand-written NumPy layers (`numpy_convnet`: im2col,
col2im, Pooling through im2col) and PyTorch eager. All start from the same float32 parameters and batch;
their losses over three steps are compared before timing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import numpy_convnet, scratchgrad_models
from benchmarks.harness import Result, median, time_side_by_side

BATCH = 100
LR = 1e-3
BENCH = "SimpleConvNet step, batch 100 (Adam)"


def make_params(seed: int = 0) -> list[np.ndarray]:
    """He-scaled float32 weights and zero biases: [W1 (30, 1, 5, 5), b1, W2 (4320, 100), b2, W3 (100, 10), b3]."""
    rng = np.random.default_rng(seed)
    shapes = [((30, 1, 5, 5), 25), ((4320, 100), 4320), ((100, 10), 100)]
    params = []
    for shape, fan_in in shapes:
        params.append((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))
        params.append(np.zeros(shape[0] if len(shape) == 4 else shape[1], dtype=np.float32))
    return params


def make_batch(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, size=BATCH)


def steps(torch_available: bool) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    params = make_params()

    def fresh() -> list[np.ndarray]:
        return [p.copy() for p in params]

    textbook = numpy_convnet.SimpleConvNet(fresh(), lr=LR)
    cases: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
        "ours (nn)": scratchgrad_models.simple_convnet_step(fresh(), LR),
        "numpy (textbook layers)": textbook.step,
    }
    if torch_available:
        from benchmarks import torch_reference

        cases["torch (eager)"] = torch_reference.simple_convnet_step(fresh(), LR)
    return cases


def run(repeat: int = 15, torch_available: bool = False) -> list[Result]:
    x, labels = make_batch()
    cases = steps(torch_available)
    losses = {name: [step(x, labels) for _ in range(3)] for name, step in cases.items()}
    reference = losses["numpy (textbook layers)"]
    bad = [name for name, values in losses.items() if not np.allclose(values, reference, rtol=1e-3, atol=1e-4)]
    timed: dict[str, Callable[[], Any]] = {name: (lambda s=s: s(x, labels)) for name, s in cases.items()}
    samples = time_side_by_side(timed, repeat=repeat, number=1, warmup=2)
    results = []
    for name, values in samples.items():
        result = Result(BENCH, name, median(values), "step", values)
        if name.startswith("ours") and bad:
            result.note = "losses differ from the NumPy reference: " + ", ".join(bad)
        results.append(result)
    return results
