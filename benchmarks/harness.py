"""Timing, memory measurement and the results table, shared by every benchmark.

Timings are taken side by side: each repetition runs every implementation once, in a rotating order,
so that noise from other processes on a shared machine hits all of them alike; we report medians over
the repetitions and ratios of medians. Peak memory is measured in a fresh subprocess per
implementation (the kernel's high-water mark of resident memory, reset just before the measured
work), so that one implementation's freed-but-kept memory never counts against another.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """One implementation's measurement in one benchmark."""

    benchmark: str  # e.g. "mlp step, batch 128"
    implementation: str  # "ours", "numpy (textbook)", "torch", ...
    median: float | None  # seconds per unit of work; None when it could not run
    unit: str = "step"  # what one timed unit is: "step", "op", "epoch", ...
    samples: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    note: str = ""


def time_side_by_side(cases: dict[str, Callable[[], Any]], repeat: int, number: int = 1,
                      warmup: int = 1) -> dict[str, list[float]]:
    """Time each case `repeat` times (each time: `number` calls, averaged), interleaved; seconds per call."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:  # rotate who goes first
            fn = cases[name]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    return samples


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


# ---------------------------------------------------------------------- memory
def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field_name} not found in /proc/self/status")


def peak_tracking_supported() -> bool:
    """True on Linux, where the resident-memory high-water mark can be read and reset."""
    try:
        _status_kb("VmHWM")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """`with PeakMemory() as peak: ...` then `peak.mb`: resident memory high-water mark above the start."""

    def __enter__(self) -> PeakMemory:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size
        self.start_kb = _status_kb("VmRSS")
        self.mb = 0.0
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.mb = (_status_kb("VmHWM") - self.start_kb) / 1024


def run_isolated(module: str, function: str, kwargs: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """Run `benchmarks.<module>.<function>(**kwargs)` in a fresh interpreter and return its JSON result.

    The function returns a JSON-serialisable dict. Errors come back as {"error": message}.
    """
    code = (
        "import json, sys, importlib\n"
        f"mod = importlib.import_module('benchmarks.{module}')\n"
        f"out = mod.{function}(**json.loads(sys.argv[1]))\n"
        "print('RESULT ' + json.dumps(out))\n"
    )
    try:
        proc = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], capture_output=True,
                              text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit status {proc.returncode}"}


# ---------------------------------------------------------------------- the table
def format_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def table(results: Sequence[Result], markdown: bool = False) -> str:
    """Rows grouped by benchmark; ratios (of medians) compare "ours" (eager) and "ours, compiled" with each
    other implementation."""
    header = ["benchmark", "implementation", "median", "best", "ours / this", "compiled / this", "peak MB", "note"]
    rows: list[list[str]] = []
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(result.benchmark, []).append(result)
    for bench, members in groups.items():
        ours = next((m for m in members if m.implementation.startswith("ours") and "compiled" not in
                     m.implementation), None)
        compiled = next((m for m in members if m.implementation.startswith("ours, compiled")), None)

        def ratio(mine: Result | None, other: Result) -> str:
            if mine is None or other is mine or not mine.median or not other.median:
                return "-"
            return f"{mine.median / other.median:.2f}x"

        for i, m in enumerate(members):
            rows.append([
                bench if i == 0 or markdown else "",
                m.implementation,
                f"{format_time(m.median)}/{m.unit}" if m.median is not None else "-",
                f"{format_time(min(m.samples))}" if m.samples else "-",
                ratio(ours, m),
                ratio(compiled, m),
                f"{m.peak_mb:.1f}" if m.peak_mb is not None else "-",
                m.note,
            ])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(header[c]), *(len(row[c]) for row in rows)) if rows else len(header[c])
              for c in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row).rstrip() for row in rows]
    return "\n".join(lines)
