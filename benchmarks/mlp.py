"""Benchmark 1: one training step of a 784-256-256-10 ReLU MLP (softmax cross-entropy, SGD).

Every implementation starts from the same float32 parameters and trains on the same fixed batch; their
losses over the first steps are compared before timing, so we know they compute the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import numpy_reference, scratchgrad_models
from benchmarks.harness import PeakMemory, Result, median, run_isolated, time_side_by_side

SIZES = (784, 256, 256, 10)
LR = 0.01


def make_params(sizes: tuple[int, ...] = SIZES, seed: int = 0, gain: float = 2.0) -> list[np.ndarray]:
    """Float32 weights (in, out) with variance gain / fan_in (2: He, for ReLU; 1: Xavier-like, for sigmoid)
    and zero biases: [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(gain / fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, dtype=np.float32))
    return params


def make_batch(batch: int, sizes: tuple[int, ...] = SIZES, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    labels = rng.integers(0, sizes[-1], size=batch)
    return x, labels


def steps(params: list[np.ndarray], torch_available: bool,
          only: str | None = None) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    """name -> step(x, labels) for every implementation (or `only` that one), each with its own parameters."""
    def fresh() -> list[np.ndarray]:
        return [p.copy() for p in params]

    def textbook() -> Callable[[np.ndarray, np.ndarray], float]:
        model = numpy_reference.TextbookMLP(fresh(), numpy_reference.Relu, numpy_reference.SoftmaxWithLoss)
        return lambda x, t: model.step(x, t, LR)

    def careful() -> Callable[[np.ndarray, np.ndarray], float]:
        model = numpy_reference.CarefulMLP(fresh())
        return lambda x, t: model.step(x, t, LR)

    factories: dict[str, Callable[[], Callable[[np.ndarray, np.ndarray], float]]] = {
        f"ours ({scratchgrad_models.implementation()})":
            lambda: scratchgrad_models.mlp_classifier_step(fresh(), LR),
        "ours, compiled": lambda: scratchgrad_models.mlp_classifier_step(fresh(), LR, compiled=True),
        "numpy (textbook layers)": textbook,
        "numpy (careful, in place)": careful,
    }
    if torch_available:
        from benchmarks import torch_reference

        factories["torch (eager)"] = lambda: torch_reference.mlp_classifier_step(fresh(), LR)
    return {name: make() for name, make in factories.items() if only is None or name == only}


def _check_same_losses(cases: dict[str, Callable[..., float]], x: np.ndarray, labels: np.ndarray) -> str:
    """Run 3 steps of each and compare the losses; returns '' or a warning naming the odd one out."""
    losses = {name: [step(x, labels) for _ in range(3)] for name, step in cases.items()}
    reference = losses["numpy (careful, in place)"]
    bad = [name for name, values in losses.items() if not np.allclose(values, reference, rtol=1e-3, atol=1e-4)]
    return "" if not bad else "losses differ from the NumPy reference: " + ", ".join(bad)


def run(batches: tuple[int, ...] = (32, 128, 1024), repeat: int = 15, torch_available: bool = False,
        memory: bool = True) -> list[Result]:
    results: list[Result] = []
    params = make_params()
    for batch in batches:
        x, labels = make_batch(batch)
        cases = steps(params, torch_available)
        warning = _check_same_losses(cases, x, labels)
        timed: dict[str, Callable[[], Any]] = {name: (lambda s=s, x=x, t=labels: s(x, t)) for name, s in cases.items()}
        timed["matmul floor (8 GEMMs)"] = numpy_reference.matmul_floor([p.copy() for p in params], x)
        number = max(1, int(round(2e-3 * 128 * 20 / batch))) if batch <= 128 else 2
        samples = time_side_by_side(timed, repeat=repeat, number=number, warmup=2)
        bench = f"mlp step, batch {batch}"
        for name, values in samples.items():
            result = Result(bench, name, median(values), "step", values)
            if name.startswith("ours") and warning:
                result.note = warning
            if memory and not name.startswith("matmul"):
                out = run_isolated("mlp", "peak_memory", {"implementation": name, "batch": batch,
                                                           "torch_available": torch_available})
                result.peak_mb = out.get("peak_mb")
                if "error" in out:
                    result.note = (result.note + " memory: " + out["error"]).strip()
            results.append(result)
    return results


def peak_memory(implementation: str, batch: int, torch_available: bool, n_steps: int = 5) -> dict[str, Any]:
    """(Run in a subprocess.) Peak resident memory of building the model and training `n_steps` steps.

    A tiny model of the same kind trains a few steps first, so that one-time library set-up (PyTorch's
    autograd threads and kernels, NumPy's caches) is not counted as the model's memory.
    """
    tiny = (8, 4, 4, 3)
    x_small, t_small = make_batch(2, tiny)
    warm = steps(make_params(tiny), torch_available, only=implementation)[implementation]
    for _ in range(3):
        warm(x_small, t_small)
    params = make_params()
    x, labels = make_batch(batch)
    with PeakMemory() as peak:
        step = steps(params, torch_available, only=implementation)[implementation]
        for _ in range(n_steps):
            step(x, labels)
    return {"peak_mb": round(peak.mb, 1)}
