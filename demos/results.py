"""Collect the demos' metrics.json files into the markdown results table of docs/results.md.

    python -m demos.results            # prints the table for the runs under runs/
    python -m demos.results --runs DIR

Only what a run measured and recorded goes in: the model-and-recipe column is written from the config
each run saved in its metrics.json, with the epochs or iterations it actually completed. A run that did
less than its demo's recipe (a smoke test with --epochs 3 of a 1,000-epoch recipe, an interrupted run, a
run on part of the data) is marked "partial", and one whose hyperparameters differ from the recipe says
which. A metrics.json that cannot be read ends the program with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from demos import cifar10, common, mnist, moons

ROWS = [
    # (run folder, label)
    ("mnist/default", "MNIST, our best MLP"),
    ("mnist/two-layer-sigmoid", "MNIST two-layer-sigmoid"),
    ("mnist/two-layer-relu", "MNIST two-layer-relu"),
    ("mnist/three-fc-relu", "MNIST three-fc-relu"),
    ("mnist/simple-cnn", "MNIST simple-cnn (SimpleConvNet)"),
    ("mnist/cnn", "MNIST, our best CNN"),
    ("moons/default", "two moons, modern"),
    ("moons/textbook", "two moons, textbook"),
    ("cifar10", "CIFAR-10 MLP"),
]

# Each demo's recipes, by config name: what a complete run of that config does.
RECIPES: dict[str, dict[str, dict[str, Any]]] = {
    "demos.mnist": {name: asdict(config) for name, config in mnist.CONFIGS.items()},
    "demos.moons": {name: asdict(config) for name, config in moons.CONFIGS.items()},
    "demos.cifar10": {cifar10.CONFIG.name: asdict(cifar10.CONFIG)},
}
# Fields that describe a run's length or its text, not its hyperparameters.
_LENGTH_FIELDS = {"name", "epochs", "iterations", "eval_every", "report_every", "chapter_result", "reference"}
_NAMES = {"relu": "ReLU", "sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "mse": "MSE",
          "cross_entropy": "cross-entropy"}


def demo_of(folder: str, metrics: dict[str, Any]) -> str:
    """The demo that wrote a metrics.json: recorded since runs say so, else told by its folder (older runs)."""
    return metrics.get("demo") or {"mnist": "demos.mnist", "moons": "demos.moons"}.get(
        folder.split("/")[0], "demos.cifar10")


def lr_text(lr: float) -> str:
    """0.5 -> "0.5", 0.001 -> "1e-3" (the way papers write small learning rates)."""
    if lr >= 0.01:
        return f"{lr:g}"
    mantissa, exponent = f"{lr:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def length_text(config: dict[str, Any], epochs: int | None = None, iterations: int | None = None) -> str:
    if config.get("iterations"):
        count = config["iterations"] if iterations is None else iterations
        return f"{count:,} iterations"
    count = config["epochs"] if epochs is None else epochs
    return f"{count:,} epoch" + ("s" if count != 1 else "")


def recipe_text(demo: str, config: dict[str, Any], completed: dict[str, int]) -> str:
    """The model and recipe as recorded, with the length the run completed."""
    name = _NAMES.get
    parts = ["-".join(map(str, config["sizes"])) + " " + name(config["activation"], config["activation"])]
    if demo == "demos.moons":
        parts.append(name(config["loss"], config["loss"]))
    if config.get("dropout"):
        parts.append(f"dropout {config['dropout']:g}")
    optimizer = f"{name(config['optimizer'], config['optimizer'])} {lr_text(config['lr'])}"
    optimizer += " + cosine" if config.get("cosine_schedule") else ""
    if config["batch_size"] == 1:
        parts.append(f"per-sample {optimizer}")
    else:
        parts += [optimizer, f"batch {config['batch_size']}"]
    parts.append(length_text(config, **completed))
    return ", ".join(parts)


def completed_length(demo: str, metrics: dict[str, Any]) -> dict[str, int]:
    """How much training the run finished: {"epochs": n} or {"iterations": n}."""
    config, history = metrics["config"], metrics.get("history") or {}
    if demo == "demos.moons":
        done = metrics.get("epochs_completed")
        if done is None:  # runs from before resuming existed always finished their epochs
            done = history["x"][-1] if history.get("x") else config["epochs"]
        return {"epochs": int(done)}
    rounds = int(metrics.get("rounds_completed", len(history.get("x", []))))
    if config.get("iterations"):
        return {"iterations": min(rounds * config["eval_every"], config["iterations"])}
    return {"epochs": rounds}


def notes(demo: str, metrics: dict[str, Any], completed: dict[str, int]) -> list[str]:
    """Why a run is not the recipe: less training, less data, other hyperparameters."""
    config = metrics["config"]
    recipe = RECIPES.get(demo, {}).get(config.get("name"))
    found = []
    if recipe is not None:
        unit, done = next(iter(completed.items()))
        wanted = recipe["iterations"] if recipe.get("iterations") else recipe["epochs"]
        if unit == ("iterations" if recipe.get("iterations") else "epochs") and done < wanted:
            found.append(f"{done:,} of {wanted:,} {unit}")
        elif unit != ("iterations" if recipe.get("iterations") else "epochs"):
            found.append(f"{length_text(config, **completed)} instead of {length_text(recipe)}")
        changed = [f"{key} {config.get(key)!r} (recipe {value!r})" for key, value in recipe.items()
                   if key not in _LENGTH_FIELDS and config.get(key) != value
                   and not (isinstance(value, (list, tuple)) and list(value) == list(config.get(key) or []))]
        if changed:
            found.append("changed: " + ", ".join(changed))
    if metrics.get("train_limit") is not None:
        found.append(f"first {metrics['train_limit']:,} training images")
    if metrics.get("test_limit") is not None:
        found.append(f"first {metrics['test_limit']:,} test images")
    if demo == "demos.moons" and metrics.get("samples", 2000) != 2000:
        found.append(f"{metrics['samples']:,} of 2,000 points")
    return found


def row(runs: Path, folder: str, label: str) -> str | None:
    path = runs / folder / "metrics.json"
    if not path.exists():
        return None
    try:
        metrics: dict[str, Any] = json.loads(path.read_text())
        demo = demo_of(folder, metrics)
        completed = completed_length(demo, metrics)
        recipe = recipe_text(demo, metrics["config"], completed)
        accuracy = metrics["final_test_accuracy"]
        seconds = metrics["total_seconds"]
        extra = ""
        if metrics.get("final_validation_accuracy") is not None:
            extra = f" (validation {100 * metrics['final_validation_accuracy']:.2f}%)"
        found = notes(demo, metrics, completed)
        text = f"| {label}{' (partial: ' + '; '.join(found) + ')' if found else ''} | {recipe} | "
        text += f"{100 * accuracy:.2f}%{extra} | {seconds:.0f} s | "
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise common.DemoError(f"cannot read {path}: {type(error).__name__}: {error}") from None
    reference = metrics.get("chapter_result") or metrics.get("reference") or "n/a (our own configuration)"
    return text + f"{reference} |"


def table(runs: Path) -> str:
    if not runs.is_dir():
        raise common.DemoError(f"no runs folder {runs}: train first (python -m demos.mnist), or pass --runs DIR")
    lines = ["| run | model and recipe | our test accuracy | wall time | chapter's figure |",
             "|---|---|---|---|---|"]
    lines += [r for r in (row(runs, *spec) for spec in ROWS) if r is not None]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    with common.Program("python -m demos.results", argv):
        parser = argparse.ArgumentParser(prog="python -m demos.results", description=__doc__,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--runs", default="runs", help="folder holding the runs (default: runs)")
        args = parser.parse_args(argv)
        text = table(Path(args.runs))
        print(text)
        return text


if __name__ == "__main__":
    main()
