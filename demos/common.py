"""Shared pieces of the demos: progress reporting, run folders, metrics files and plots.

tqdm and matplotlib are optional (the `demos` extra): without tqdm the demos print one line per epoch,
without matplotlib they skip the pictures and say so.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def run_dir(*parts: str, root: str | os.PathLike[str] = "runs") -> Path:
    """The output folder of a run, e.g. runs/mnist/default, created if needed."""
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file, then rename): a crash never leaves half a metrics file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, default=_json_default)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Progress:
    """A per-epoch progress bar with a running postfix (loss, accuracy).

    On a terminal it is a tqdm bar; elsewhere (CI, logs, pipes) it stays quiet while running and the
    caller prints one summary line per epoch.
    """

    def __init__(self, total: int, description: str, enabled: bool | None = None) -> None:
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=description, leave=False, dynamic_ncols=True)

    def update(self, n: int = 1, **postfix: float) -> None:
        if self.bar is not None:
            self.bar.update(n)
            if postfix:
                self.bar.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()}, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Timer:
    """Wall-clock seconds since creation (or the last `restart`)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def restart(self) -> float:
        now = time.perf_counter()
        elapsed, self.start = now - self.start, now
        return elapsed

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """counts[i, j] = how many samples of class i were predicted as class j."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or None (with a note) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping plots (pip install -e '.[demos]')")
        return None
    return plt


def plot_curves(path: Path, history: dict[str, Sequence[float]], x_label: str, title: str,
                groups: Iterable[tuple[str, Sequence[str]]]) -> bool:
    """Side-by-side line plots, one panel per (y label, history keys) group. Returns False without matplotlib."""
    plt = pyplot()
    if plt is None:
        return False
    groups = list(groups)
    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
    x = history.get("x") or list(range(1, len(next(iter(history.values()))) + 1))
    for ax, (y_label, keys) in zip(axes[0], groups, strict=True):
        for key in keys:
            if history.get(key):
                ax.plot(x[: len(history[key])], history[key], marker="o", markersize=3, label=key.replace("_", " "))
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_confusion(path: Path, counts: np.ndarray, title: str) -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(6, 5.5))
    image = ax.imshow(counts, cmap="Blues")
    classes = counts.shape[0]
    for i in range(classes):
        for j in range(classes):
            value = counts[i, j]
            if value:
                color = "white" if value > counts.max() / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_digit_grid(path: Path, images: np.ndarray, captions: Sequence[str], title: str, columns: int = 8) -> bool:
    """A grid of 28x28 images with a caption under each (e.g. 'pred 3 / true 5')."""
    plt = pyplot()
    if plt is None:
        return False
    count = len(images)
    rows = max(1, -(-count // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.5), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < count:
            ax.imshow(images[k].reshape(28, 28), cmap="gray_r")
            ax.set_title(captions[k], fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
