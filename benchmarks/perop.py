"""Benchmark 2: per-operation overhead, a chain of 1,000 multiplications on a tiny tensor.

y = x * 1.0001 * 1.0001 * ... on shape (4,), float32, then backward. The arithmetic is negligible, so
the time per op is what the engine itself costs: creating a node and its output in forward, and one
visit of the backward loop. Forward and backward are timed separately, side by side. The compiled row
replays the whole chain (forward and backward) as one plan, so it has a total only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import numpy_reference, scratchgrad_models
from benchmarks.harness import Result, median

N_OPS = 1000
FACTOR = 1.0001


def implementations(torch_available: bool) -> dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]]:
    """name -> (forward(), backward(forward's result))."""
    x = np.ones(4, dtype=np.float32)
    impls = {
        "ours": scratchgrad_models.chain(x, N_OPS, FACTOR),
        "ours, compiled": scratchgrad_models.compiled_chain(x, N_OPS, FACTOR),
        "numpy (hand-written backward)": (
            lambda: numpy_reference.chain_forward(x, N_OPS, FACTOR),
            lambda y: numpy_reference.chain_backward(np.ones_like(y), N_OPS, FACTOR),
        ),
    }
    if torch_available:
        from benchmarks import torch_reference

        impls["torch (eager)"] = torch_reference.chain(x, N_OPS, FACTOR)
    return impls


def run(repeat: int = 30, torch_available: bool = False) -> list[Result]:
    impls = implementations(torch_available)
    names = list(impls)
    fwd: dict[str, list[float]] = {n: [] for n in names}
    bwd: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm up
        forward, backward = impls[name]
        backward(forward())
    for r in range(repeat):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            forward, backward = impls[name]
            start = time.perf_counter()
            y = forward()
            middle = time.perf_counter()
            backward(y)
            end = time.perf_counter()
            del y
            fwd[name].append((middle - start) / N_OPS)
            bwd[name].append((end - middle) / N_OPS)
    results = []
    for label, data in (("forward", fwd), ("backward", bwd)):
        for name in names:
            if "compiled" in name:  # a replay runs forward and backward as one plan: only its total is shown
                continue
            results.append(Result(f"per-op overhead, {label} (1,000-op chain, shape (4,))", name,
                                  median(data[name]), "op", data[name]))
    for name in names:
        total = [f + b for f, b in zip(fwd[name], bwd[name], strict=True)]
        results.append(Result("per-op overhead, forward + backward", name, median(total), "op", total))
    return results
