"""Benchmark 4: the textbook two-moons run, one SGD step per sample.

A 2-25-50-25-2 network with a sigmoid after every layer, mean squared error against one-hot targets,
trained one sample at a time (batch size 1). The matrices are tiny, so this measures how much each
implementation costs per operation in a realistic small model, not arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks import mlp, numpy_reference, scratchgrad_models
from benchmarks.harness import Result, median, time_side_by_side

SIZES = (2, 25, 50, 25, 2)
N_SAMPLES = 1400  # one epoch
LR = 0.1


def make_moons(n: int = N_SAMPLES, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's make_moons), float32, with one-hot targets."""
    rng = np.random.default_rng(seed)
    half = n // 2
    angle_out, angle_in = np.linspace(0, np.pi, half), np.linspace(0, np.pi, n - half)
    outer = np.stack([np.cos(angle_out), np.sin(angle_out)], axis=1)
    inner = np.stack([1 - np.cos(angle_in), 0.5 - np.sin(angle_in)], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    labels = np.concatenate([np.zeros(half, dtype=np.int64), np.ones(n - half, dtype=np.int64)])
    order = rng.permutation(n)
    return x[order].astype(np.float32), np.eye(2, dtype=np.float32)[labels[order]]


def make_params(seed: int = 0) -> list[np.ndarray]:
    """Xavier-like float32 weights (in, out) and zero biases (sigmoid layers)."""
    return mlp.make_params(SIZES, seed=seed, gain=1.0)


def steps(torch_available: bool) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    params = make_params()

    def fresh() -> list[np.ndarray]:
        return [p.copy() for p in params]

    textbook = numpy_reference.TextbookMLP(fresh(), numpy_reference.Sigmoid, numpy_reference.MeanSquaredError,
                                           activate_output=True)
    cases = {
        f"ours ({scratchgrad_models.implementation()})": scratchgrad_models.sigmoid_mse_step(fresh(), LR),
        "ours, compiled": scratchgrad_models.sigmoid_mse_step(fresh(), LR, compiled=True),
        "numpy (textbook layers)": lambda x, t: textbook.step(x, t, LR),
    }
    if torch_available:
        from benchmarks import torch_reference

        cases["torch (eager)"] = torch_reference.sigmoid_mse_step(fresh(), LR)
    return cases


MODERN_SIZES = (2, 64, 64, 2)
MODERN_LR = 0.01


def full_batch(repeat: int = 15, torch_available: bool = False) -> list[Result]:
    """The modern two-moons run's step on the whole training set at once: 2-64-64-2 tanh, softmax
    cross-entropy, Adam, batch 1400."""
    x, onehot = make_moons()
    labels = onehot.argmax(axis=1)
    params = mlp.make_params(MODERN_SIZES, seed=0, gain=1.0)

    def fresh() -> list[np.ndarray]:
        return [p.copy() for p in params]

    textbook = numpy_reference.TextbookMLP(fresh(), numpy_reference.Tanh, numpy_reference.SoftmaxWithLoss)
    adam = numpy_reference.Adam(textbook.params, MODERN_LR)

    def numpy_step(xb: np.ndarray, tb: np.ndarray) -> float:
        loss, grads = textbook.loss_and_grads(xb, tb)
        adam.step(grads)
        return loss

    cases = {
        f"ours ({scratchgrad_models.implementation()})": scratchgrad_models.tanh_adam_step(fresh(), MODERN_LR),
        "ours, compiled": scratchgrad_models.tanh_adam_step(fresh(), MODERN_LR, compiled=True),
        "numpy (textbook layers)": numpy_step,
    }
    if torch_available:
        from benchmarks import torch_reference

        cases["torch (eager)"] = torch_reference.tanh_adam_step(fresh(), MODERN_LR)
    check = {name: [step(x, labels) for _ in range(3)] for name, step in cases.items()}
    reference = check["numpy (textbook layers)"]
    bad = [name for name, values in check.items() if not np.allclose(values, reference, rtol=1e-3, atol=1e-5)]
    timed = {name: (lambda step=step: step(x, labels)) for name, step in cases.items()}
    samples = time_side_by_side(timed, repeat=repeat, number=5, warmup=1)
    note = "; losses differ from the NumPy reference: " + ", ".join(bad) if bad else ""
    return [Result("two moons, full-batch Adam step (1400 samples)", name, median(values), "step", values,
                   note=note if name.startswith("ours") else "") for name, values in samples.items()]


def run(repeat: int = 15, chunk: int = 200, torch_available: bool = False) -> list[Result]:
    x, targets = make_moons()
    cases = steps(torch_available)
    check = {name: [step(x[i:i + 1], targets[i:i + 1]) for i in range(5)] for name, step in cases.items()}
    reference = check["numpy (textbook layers)"]
    bad = [name for name, values in check.items() if not np.allclose(values, reference, rtol=1e-3, atol=1e-5)]
    def epoch_chunk(step: Callable[[np.ndarray, np.ndarray], float]) -> Callable[[], None]:
        def run_chunk() -> None:  # `chunk` consecutive samples, one SGD step each
            for i in range(chunk):
                step(x[i:i + 1], targets[i:i + 1])
        return run_chunk

    timed = {name: epoch_chunk(step) for name, step in cases.items()}
    samples = time_side_by_side(timed, repeat=repeat, number=1, warmup=1)
    results = []
    for name, values in samples.items():
        per_step = [v / chunk for v in values]
        note = f"{median(per_step) * N_SAMPLES * 1e3:.0f} ms per {N_SAMPLES}-sample epoch"
        if name.startswith("ours") and bad:
            note += "; losses differ from the NumPy reference: " + ", ".join(bad)
        results.append(Result("two moons, per-sample SGD step", name, median(per_step), "step", per_step,
                              note=note))
    return results + full_batch(repeat, torch_available)
