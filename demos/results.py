"""Collect the demos' metrics.json files into the markdown results table of docs/results.md.

    python -m demos.results            # prints the table for the runs under runs/

Only what a run measured goes in: accuracy, wall time and the machine are read from its metrics.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROWS = [
    # (run folder, label, architecture and recipe)
    ("mnist/default", "MNIST, our best MLP",
     "784-512-512-10 ReLU, dropout 0.2, AdamW 1e-3 + cosine, batch 128, 10 epochs"),
    ("mnist/two-layer-sigmoid", "MNIST two-layer-sigmoid", "784-100-10 sigmoid, SGD 0.5, batch 100, 10,000 iterations"),
    ("mnist/two-layer-relu", "MNIST two-layer-relu", "784-50-10 ReLU, SGD 0.1, batch 100, 10,000 iterations"),
    ("mnist/three-fc-relu", "MNIST three-fc-relu", "784-256-256-10 ReLU, SGD 0.1, batch 32, 5 epochs"),
    ("mnist/simple-cnn", "MNIST simple-cnn (SimpleConvNet)",
     "conv 30x5x5 - ReLU - max pool 2 - 100 - ReLU - 10, Adam 1e-3, batch 100, 12,000 iterations"),
    ("mnist/cnn", "MNIST, our best CNN",
     "conv 32x5x5 - pool - BN - conv 64x3x3 - pool - BN - 128 - 10, shifts of 2 px, label smoothing 0.1, "
     "AdamW 3e-3 one-cycle, batch 128, 8 epochs"),
    ("moons/default", "two moons, modern", "2-64-64-2 tanh, cross-entropy, Adam 0.01 + cosine, batch 32, 60 epochs"),
    ("moons/textbook", "two moons, textbook", "2-25-50-25-2 sigmoid, MSE, per-sample SGD 0.01, 1,000 epochs"),
    ("cifar10", "CIFAR-10 MLP", "3072-1000-500-10 ReLU, Adam 3e-4, batch 16, 10 epochs"),
]


def row(runs: Path, folder: str, label: str, recipe: str) -> str | None:
    path = runs / folder / "metrics.json"
    if not path.exists():
        return None
    metrics: dict[str, Any] = json.loads(path.read_text())
    accuracy = metrics["final_test_accuracy"]
    extra = ""
    if metrics.get("final_validation_accuracy") is not None:
        extra = f" (validation {100 * metrics['final_validation_accuracy']:.2f}%)"
    reference = metrics.get("chapter_result") or metrics.get("reference") or "n/a (our own configuration)"
    seconds = metrics["total_seconds"]
    return f"| {label} | {recipe} | {100 * accuracy:.2f}%{extra} | {seconds:.0f} s | {reference} |"


def table(runs: Path) -> str:
    lines = ["| run | model and recipe | our test accuracy | wall time | chapter's figure |",
             "|---|---|---|---|---|"]
    lines += [r for r in (row(runs, *spec) for spec in ROWS) if r is not None]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m demos.results", description=__doc__)
    parser.add_argument("--runs", default="runs", help="folder holding the runs (default: runs)")
    args = parser.parse_args(argv)
    text = table(Path(args.runs))
    print(text)
    return text


if __name__ == "__main__":
    main()
