"""Shared pieces of the demos: how they end, progress reporting, run folders, checkpoints, metrics and plots.

The demos are programs, so they end like programs: a bad argument or a bad file prints one line
"<prog>: error: <what and what to do>" and exits with status 2 (argparse's convention, see `Program`);
Ctrl-C prints one line saying how to resume and exits with 130. Never a traceback.

tqdm and matplotlib are optional (the `demos` extra): without tqdm the demos print one line per epoch,
without matplotlib they skip the pictures and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

import autograd
import nn


# ------------------------------------------------------------------------------------------------ ending well
class DemoError(Exception):
    """A bad argument or file, reported by `Program` as one line and exit status 2 (never a traceback)."""


class Program:
    """Wraps a demo's main: `with Program("python -m demos.mnist", argv) as program: ...`.

    * DemoError: prints "<prog>: error: <message>" on one line to stderr and exits with status 2;
    * KeyboardInterrupt (Ctrl-C): prints one line, saying how to resume when `saved` reports a checkpoint,
      and exits with 130 (128 + SIGINT, the shell's convention).

    `saved` is set by the demo once it trains (see `start_or_resume`): it returns a description of what was
    saved (e.g. "3 of 10 epochs saved in runs/mnist/default/last.npz"), or None while nothing has been.
    """

    def __init__(self, prog: str, argv: Sequence[str] | None) -> None:
        self.prog = prog
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.saved: Callable[[], str | None] = lambda: None

    def resume_command(self) -> str:
        """This run's command line with --resume added (once)."""
        args = [arg for arg in self.argv if arg != "--resume"]
        return shlex.join([*self.prog.split(), *args, "--resume"])

    def fail(self, message: str) -> None:
        """Print the one-line error and exit with status 2."""
        print(f"{self.prog}: error: {one_line(message)}", file=sys.stderr, flush=True)
        raise SystemExit(2)

    def __enter__(self) -> Program:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if isinstance(error, DemoError):
            self.fail(str(error))
        if isinstance(error, KeyboardInterrupt):
            saved = self.saved()
            if saved:
                line = f"interrupted: {saved}; resume with: {self.resume_command()}"
            else:
                line = "interrupted before anything was saved; run the same command again to start over"
            newline = "\n" if sys.stderr.isatty() else ""  # after the "^C" the terminal echoed
            print(f"{newline}{self.prog}: {line}", file=sys.stderr, flush=True)
            raise SystemExit(130) from None


def one_line(message: str) -> str:
    return " ".join(message.split())


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (0 or -5 would train nothing or count from the end)."""
    return _int_at_least(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (an index or a seed)."""
    return _int_at_least(text, 0, "an integer >= 0")


def _int_at_least(text: str, minimum: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {value}")
    return value


def check_index(parser: argparse.ArgumentParser, option: str, index: int, count: int, items: str) -> None:
    """Refuse an index past the end through `parser.error` (one line, exit status 2)."""
    if not 0 <= index < count:
        parser.error(f"argument {option}: index {index} is out of range: there are {count} {items} "
                     f"(indices 0 to {count - 1})")


def output_folder(out: str | None, *default: str) -> Path:
    """--out, or runs/<default...>, created; a path that cannot be a folder is a DemoError."""
    path = Path(out) if out else Path("runs", *default)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoError(f"cannot use {path} as the output folder: {error.strerror or error}") from None
    return path


def load_run_checkpoint(path: Path, demo: str, config_name: str, required: Iterable[str],
                        configs: Iterable[str] = ()) -> dict[str, Any]:
    """nn.load a demo's checkpoint, refusing (DemoError) a corrupt file, another demo's, or another config's.

    `demo` is the program ("demos.mnist"), recorded in the checkpoint as "demo" (checkpoints written before
    it was recorded are taken as this demo's); `configs` are the config names --config accepts, for the hint.
    """
    try:
        state = nn.load(path)
    except nn.CheckpointError as error:
        raise DemoError(f"cannot use the checkpoint: {error}") from None
    except OSError as error:
        raise DemoError(f"cannot read the checkpoint {path}: {error.strerror or error}") from None
    missing = [key for key in ("config", *required) if not isinstance(state, dict) or key not in state]
    if missing:
        raise DemoError(f"{path} is not a checkpoint of {demo} (it has no {', '.join(map(repr, missing))})")
    if state.get("demo", demo) != demo:
        raise DemoError(f"{path} is a checkpoint of {state['demo']}, not of {demo}: choose another --out folder")
    try:
        saved_name = json.loads(str(state["config"]))["name"]
    except (ValueError, TypeError, KeyError):
        raise DemoError(f"{path} is not a checkpoint of {demo} (its config is unreadable)") from None
    if saved_name != config_name:
        hint = f"add --config {saved_name}, or choose" if saved_name in set(configs) else "choose"
        raise DemoError(
            f"{path} holds a checkpoint of the {saved_name!r} config, not {config_name!r}: {hint} another --out folder"
        )
    return state


def predict_from(trainer: Any, out: Path, train_command: str) -> None:
    """--predict: load the best model of the run in `out` into `trainer`; without one, say how to train it."""
    path = out / "checkpoint.npz"
    if not path.exists():
        raise DemoError(f"no checkpoint in {out}: train first ({train_command})")
    trainer.load_checkpoint(path)


def start_or_resume(program: Program, trainer: Any, out: Path, resume: bool) -> None:
    """Let Ctrl-C report what `trainer` saved and, with --resume, continue from out/last.npz if it exists.

    A trainer has `load_checkpoint(path)`, `last_saved` (the path of its latest save, or None) and
    `saved_progress()` ("3 of 10 epochs": how far the saved state went).
    """
    program.saved = lambda: (f"{trainer.saved_progress()} saved in {trainer.last_saved}"
                             if trainer.last_saved is not None else None)
    if not resume:
        return
    path = out / "last.npz"  # the latest state; checkpoint.npz holds the best model
    if path.exists():
        trainer.load_checkpoint(path)
        print(f"resumed from {path} after {trainer.saved_progress()}")
    else:
        print(f"no checkpoint in {out}: starting from scratch")


def training_state(model: nn.Module, optimizer: nn.optim.Optimizer, scheduler: Any,
                   rng: np.random.Generator) -> dict[str, Any]:
    """What every demo's checkpoint holds to continue exactly: weights, optimizer, schedule and RNG state."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "rng": json.dumps(rng.bit_generator.state)}
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    return state


def restore_training(state: dict[str, Any], model: nn.Module, optimizer: nn.optim.Optimizer, scheduler: Any,
                     rng: np.random.Generator) -> None:
    """Load what `training_state` saved (inside `checkpoint_errors`, which reports a misfit in one line)."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and "scheduler" in state:
        scheduler.load_state_dict(state["scheduler"])
    rng.bit_generator.state = json.loads(str(state["rng"]))


@contextmanager
def checkpoint_errors(path: Path, config_name: str) -> Iterator[None]:
    """Turn a checkpoint that does not fit the model (shapes, keys, values) into a one-line DemoError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, RuntimeError) as error:  # RuntimeError: load_state_dict's shapes
        raise DemoError(f"{path} does not fit the {config_name!r} config: {error}") from None


# ------------------------------------------------------------------------------------------------ files
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


def training_step(model: nn.Module, optimizer: nn.optim.Optimizer, loss_of: Callable[[Any, Any], Any],
                  eager: bool) -> Callable[[Any, Any], Any]:
    """One training step as a function of a batch (x, target): forward, loss, backward, update.

    Compiled by default (`autograd.compile`: the first two calls with a batch shape are traced, later ones
    replay the plan on arrays); `eager` keeps it define-by-run. Either way it returns the loss tensor.
    """
    def step(x: Any, target: Any) -> Any:
        loss = loss_of(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step if eager else autograd.compile(step)


def mode_line(eager: bool) -> str:
    """What the demos print about how they train."""
    if eager:
        return "mode: eager (define-by-run: a graph recorded and walked back at every step)"
    return ("mode: compiled (autograd.compile: each batch shape traced twice, then replayed on arrays; "
            "--eager turns it off)")


def batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def probabilities(logits: np.ndarray) -> np.ndarray:
    """softmax of one sample's logits (shifted by the max, so large logits cannot overflow)."""
    e = np.exp(logits - logits.max())
    return e / e.sum()


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


def machine_description() -> str:
    """CPU model, core count, Python and NumPy versions: recorded with every run's metrics."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}"
