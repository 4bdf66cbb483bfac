"""Benchmark 3: backward through a 1,000,000-op chain (time and peak memory).

A graph this deep breaks recursive engines (Python's recursion limit) and shows what one node costs
in memory. Each implementation runs once in its own subprocess, so the memory of a million nodes is
measured from a clean start and freed afterwards. The NumPy row keeps the same million intermediate
arrays on a plain list (the tape any reverse-mode engine needs here), as a yardstick for the memory.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.harness import PeakMemory, Result, run_isolated

N_OPS = 1_000_000
FACTOR = 1.000001  # FACTOR ** N_OPS = e: no overflow in float32


def measure(implementation: str, n_ops: int = N_OPS) -> dict[str, Any]:
    """(Run in a subprocess.) Forward and backward time and the peak memory of the whole run."""
    x = np.ones(4, dtype=np.float32)
    if implementation == "ours":
        from benchmarks.scratchgrad_models import chain
    elif implementation == "torch (eager)":
        from benchmarks.torch_reference import chain
    else:
        chain = None
    with PeakMemory() as peak:
        if chain is not None:
            forward, backward = chain(x, n_ops, FACTOR)
            start = time.perf_counter()
            y = forward()
            middle = time.perf_counter()
            backward(y)
            end = time.perf_counter()
        else:
            from benchmarks.numpy_reference import chain_backward, chain_with_tape

            start = time.perf_counter()
            y, tape = chain_with_tape(x, n_ops, FACTOR)
            middle = time.perf_counter()
            chain_backward(np.ones_like(y), n_ops, FACTOR)
            end = time.perf_counter()
    return {"forward_s": middle - start, "backward_s": end - middle, "peak_mb": round(peak.mb, 1)}


def run(torch_available: bool = False, n_ops: int = N_OPS) -> list[Result]:
    names = ["ours", "numpy (tape of arrays)"] + (["torch (eager)"] if torch_available else [])
    results = []
    for name in names:
        out = run_isolated("depth", "measure", {"implementation": name, "n_ops": n_ops})
        if "error" in out:
            results.append(Result(f"depth: backward of a {n_ops:,}-op chain", name, None, note=out["error"]))
            continue
        note = f"forward {out['forward_s']:.2f} s; {out['peak_mb'] * 2**20 / n_ops:.0f} bytes/op"
        results.append(Result(f"depth: backward of a {n_ops:,}-op chain", name, out["backward_s"], "run",
                              [out["backward_s"]], out["peak_mb"], note))
    return results
