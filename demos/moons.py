"""Classify the two-moons data set, the textbook way and a modern way.

    python -m demos.moons                    # modern: 2-64-64-2 tanh, cross-entropy, mini-batch Adam
    python -m demos.moons --config textbook  # 2-25-50-25-2 sigmoid, MSE on one-hot, per-sample SGD
    python -m demos.moons --config textbook --resume   # continue from runs/moons/textbook/last.npz
    python -m demos.moons --predict 0        # the model's guess for test point 0

Data: make_moons(2000 samples, noise 0.2, seed 100), split 70/30. Outputs in runs/moons/<config>/:
data.png (the data set), boundary.png (learned decision boundary with the 0.5 line), loss.png,
graph.svg (the model's computational graph, with the viz extra), checkpoint.npz (the best model),
last.npz (the latest state, saved at every report, which --resume continues from) and metrics.json.
Bad arguments and checkpoints end as in demos.mnist: one line, exit status 2; Ctrl-C says how to resume
and exits with 130.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from demos import common


@dataclass(frozen=True)
class Config:
    name: str
    sizes: tuple[int, ...]
    activation: str
    output: str  # "sigmoid" (textbook: MSE on sigmoid outputs) or "logits" (cross-entropy)
    loss: str  # "mse" or "cross_entropy"
    optimizer: str
    lr: float
    batch_size: int
    epochs: int
    report_every: int
    cosine_schedule: bool = False  # anneal the learning rate to 0 over the run (settles the boundary)
    reference: str = ""


CONFIGS = {
    "textbook": Config(
        name="textbook", sizes=(2, 25, 50, 25, 2), activation="sigmoid", output="sigmoid", loss="mse",
        optimizer="sgd", lr=0.01, batch_size=1, epochs=1000, report_every=10,
        reference="hand-written NumPy: 97.3% test after 335 epochs (59 ms per epoch)",
    ),
    "default": Config(
        name="default", sizes=(2, 64, 64, 2), activation="tanh", output="logits", loss="cross_entropy",
        optimizer="adam", lr=0.01, batch_size=32, epochs=60, report_every=10, cosine_schedule=True,
    ),
}


def build_model(config: Config) -> nn.Module:
    activations = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(config.sizes[:-1], config.sizes[1:], strict=True)):
        linear = nn.Linear(n_in, n_out)
        if config.activation in ("sigmoid", "tanh"):
            nn.init.xavier_uniform_(linear.weight)  # Glorot: keeps saturating units in their linear range
            nn.init.zeros_(linear.bias)
        layers.append(linear)
        last = i == len(config.sizes) - 2
        if not last:
            layers.append(activations[config.activation]())
        elif config.output == "sigmoid":
            layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def load(seed: int = 100, n_samples: int = 2000, noise: float = 0.2) -> dict[str, np.ndarray]:
    x, t = nn.datasets.make_moons(n_samples=n_samples, noise=noise, seed=seed)
    x_train, x_test, t_train, t_test = nn.data.train_test_split(x, t, test_size=0.3, seed=seed)
    return {"x_train": x_train.astype(np.float32), "t_train": t_train.astype(np.int64),
            "x_test": x_test.astype(np.float32), "t_test": t_test.astype(np.int64)}


def targets_of(config: Config, t: np.ndarray) -> np.ndarray:
    """What the loss compares the output with: one-hot rows for MSE, the class labels for cross-entropy."""
    return np.eye(2, dtype=np.float32)[t] if config.loss == "mse" else t


def loss_of(config: Config, output: Tensor, target: np.ndarray) -> Tensor:
    if config.loss == "mse":
        return F.mse_loss(output, autograd.as_tensor(target))
    return F.cross_entropy(output, autograd.as_tensor(target))


def evaluate(config: Config, model: nn.Module, x: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    with autograd.no_grad():
        out = model(autograd.as_tensor(x))
        loss = loss_of(config, out, targets_of(config, t)).item()
    return loss, float(np.mean(out.data.argmax(axis=1) == t))


class Trainer:
    """Trains a config, evaluating every `report_every` epochs; each report also saves last.npz (the state
    --resume continues from) and, when the test accuracy improved, checkpoint.npz (what --predict uses)."""

    demo = "demos.moons"

    def __init__(self, config: Config, data: dict[str, np.ndarray], out: Path, seed: int,
                 data_settings: dict[str, int], eager: bool = False) -> None:
        self.config, self.data, self.out, self.data_settings = config, data, out, data_settings
        autograd.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.model = build_model(config)
        if config.optimizer == "sgd":
            self.optimizer: nn.optim.Optimizer = nn.optim.SGD(self.model.parameters(), lr=config.lr)
        else:
            self.optimizer = nn.optim.Adam(self.model.parameters(), lr=config.lr)
        self.scheduler = (nn.optim.CosineAnnealingLR(self.optimizer, T_max=config.epochs)
                          if config.cosine_schedule else None)
        loss = F.mse_loss if config.loss == "mse" else F.cross_entropy
        self.step = common.training_step(self.model, self.optimizer, loss, eager)
        self.epoch, self.best, self.seconds = 0, -1.0, 0.0
        self.history: dict[str, list[float]] = {"x": [], "train_loss": [], "test_loss": [], "test_acc": [],
                                                "seconds": []}
        self.last_saved: Path | None = None
        self.saved_epoch = 0

    def run(self, progress: bool | None) -> None:
        config, model, data = self.config, self.model, self.data
        x, t = data["x_train"], data["t_train"]
        targets = targets_of(config, t)
        timer, total = common.Timer(), common.Timer()
        with common.Progress(config.epochs - self.epoch, f"moons {config.name}", progress) as bar:
            while self.epoch < config.epochs:
                self.epoch += 1
                epoch = self.epoch
                order = self.rng.permutation(len(x))
                xs, ys = x[order], targets[order]  # shuffle once per epoch; batches are then cheap views
                for part in common.batches(len(x), config.batch_size):
                    self.step(autograd.as_tensor(xs[part]), autograd.as_tensor(ys[part]))
                if self.scheduler is not None:
                    self.scheduler.step()
                if epoch % config.report_every == 0 or epoch == config.epochs:
                    train_loss, _ = evaluate(config, model, x, t)
                    test_loss, test_acc = evaluate(config, model, data["x_test"], data["t_test"])
                    h = self.history
                    h["x"].append(epoch)
                    h["train_loss"].append(train_loss)
                    h["test_loss"].append(test_loss)
                    h["test_acc"].append(test_acc)
                    h["seconds"].append(timer.restart())
                    bar.update(0, loss=train_loss, acc=test_acc)
                    if bar.bar is None or epoch == config.epochs:
                        print(f"epoch {epoch:4d}  {config.loss} {train_loss:.5f}  test {config.loss} "
                              f"{test_loss:.5f}  test acc {test_acc:.4f}  ({self.seconds + total.elapsed:.1f}s)",
                              flush=True)
                    if test_acc > self.best:
                        self.best = test_acc
                        self.save_checkpoint(self.out / "checkpoint.npz", self.seconds + total.elapsed)
                    self.save_checkpoint(self.out / "last.npz", self.seconds + total.elapsed)
                bar.update(1)
        self.seconds += total.elapsed

    def save_checkpoint(self, path: Path, seconds: float) -> None:
        state = common.training_state(self.model, self.optimizer, self.scheduler, self.rng)
        state.update(demo=self.demo, config=json.dumps(asdict(self.config)), data=dict(self.data_settings),
                     epoch=self.epoch, best=self.best, seconds=seconds, history=json.dumps(self.history))
        nn.save(state, path)
        if path.name == "last.npz":  # what Ctrl-C from now on would leave to resume from
            self.last_saved, self.saved_epoch = path, self.epoch

    def load_checkpoint(self, path: Path) -> None:
        """Restore a checkpoint of this config and data; anything else is a DemoError (one line, exit 2)."""
        state = common.load_run_checkpoint(
            path, self.demo, self.config.name,
            ("data", "model", "optimizer", "epoch", "best", "seconds", "history", "rng"), CONFIGS)
        if state["data"] != self.data_settings:
            saved = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(dict(state["data"]).items()))
            raise common.DemoError(f"{path} was trained on other data ({saved}): give the same options to use it")
        with common.checkpoint_errors(path, self.config.name):
            common.restore_training(state, self.model, self.optimizer, self.scheduler, self.rng)
            self.epoch = self.saved_epoch = int(state["epoch"])
            self.best, self.seconds = float(state["best"]), float(state["seconds"])
            self.history = json.loads(str(state["history"]))
        self.last_saved = path

    def saved_progress(self) -> str:
        """How far the latest saved state went, e.g. "20 of 60 epochs"."""
        return f"{self.saved_epoch} of {self.config.epochs} epochs"


def show_prediction(config: Config, model: nn.Module, data: dict[str, np.ndarray], index: int) -> int:
    """Print the model's class and probability for test point `index` next to the true class."""
    with autograd.no_grad():
        output = model(autograd.as_tensor(data["x_test"][index: index + 1])).data[0]
    p = common.probabilities(output) if config.output == "logits" else output / max(float(output.sum()), 1e-12)
    guess, (a, b) = int(p.argmax()), data["x_test"][index]
    print(f"test point #{index} at ({a:.3f}, {b:.3f}): true class {int(data['t_test'][index])}, predicted class "
          f"{guess} with probability {p[guess]:.3f}")
    return guess


def draw(config: Config, model: nn.Module, data: dict[str, np.ndarray], history: dict[str, list[float]],
         out: Path) -> None:
    plt = common.pyplot()
    if plt is None:
        return
    x_all = np.concatenate([data["x_train"], data["x_test"]])
    t_all = np.concatenate([data["t_train"], data["t_test"]])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, color in [(0, "tab:blue"), (1, "tab:orange")]:
        ax.scatter(*x_all[t_all == label].T, s=8, c=color, label=f"class {label}", alpha=0.8)
    ax.set_title("two moons: 2,000 samples, noise 0.2")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "data.png", dpi=110)
    plt.close(fig)

    lo, hi = x_all.min(axis=0) - 0.5, x_all.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    with autograd.no_grad():
        out_grid = model(autograd.as_tensor(grid)).data
    if config.output == "logits":
        out_grid = np.exp(out_grid - out_grid.max(axis=1, keepdims=True))
        out_grid /= out_grid.sum(axis=1, keepdims=True)
    p1 = (out_grid[:, 1] / np.maximum(out_grid.sum(axis=1), 1e-12)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    filled = ax.contourf(gx, gy, p1, levels=20, cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p1, levels=[0.5], colors="black", linewidths=1.5)
    for label, color in [(0, "tab:blue"), (1, "tab:orange")]:
        ax.scatter(*data["x_test"][data["t_test"] == label].T, s=10, c=color, edgecolors="k", linewidths=0.3)
    fig.colorbar(filled, ax=ax, label="P(class 1)")
    ax.set_title(f"{config.name}: decision boundary (test points), test acc {history['test_acc'][-1]:.3f}")
    fig.tight_layout()
    fig.savefig(out / "boundary.png", dpi=110)
    plt.close(fig)

    common.plot_curves(out / "loss.png", history, "epoch", f"moons {config.name}",
                       [(config.loss, ["train_loss", "test_loss"]), ("test accuracy", ["test_acc"])])


def draw_graph(config: Config, model: nn.Module, data: dict[str, np.ndarray], out: Path) -> None:
    try:
        from autograd import viz
    except ImportError:
        return
    loss = loss_of(config, model(autograd.as_tensor(data["x_train"][:1])), targets_of(config, data["t_train"][:1]))
    try:
        viz.save_graph(loss, path=out / "graph.svg", group_modules=True, title=f"moons {config.name}: one step")
    except Exception as error:  # a missing `dot` program still leaves graph.dot behind
        print(f"graph picture: {error}")


PROG = "python -m demos.moons"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """The command line; ends like demos.mnist's (one-line errors with status 2, Ctrl-C with 130)."""
    with common.Program(PROG, argv) as program:
        return run(program, argv)


def run(program: common.Program, argv: list[str] | None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--epochs", type=common.positive_int, help="override the number of epochs")
    parser.add_argument("--samples", type=common.positive_int, default=2000,
                        help="data set size (smoke tests use fewer)")
    parser.add_argument("--data-seed", type=common.non_negative_int, default=100,
                        help="seed of make_moons and the split")
    parser.add_argument("--seed", type=common.non_negative_int, default=0, help="seed of initialisation and shuffling")
    parser.add_argument("--out", help="output folder (default: runs/moons/<config>)")
    parser.add_argument("--resume", action="store_true", help="continue from last.npz in the output folder")
    parser.add_argument("--predict", type=common.non_negative_int, metavar="INDEX",
                        help="show the model's guess for one test point (needs a trained checkpoint)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--eager", action="store_true", help="train define-by-run instead of with autograd.compile")
    args = parser.parse_args(argv)
    config = CONFIGS[args.config]
    if args.epochs is not None:
        config = replace(config, epochs=args.epochs, report_every=min(config.report_every, args.epochs))
    if args.samples < 4:
        parser.error(f"argument --samples: {args.samples} points cannot be split 70/30 into a training and a test "
                     "set; give at least 4")
    out = common.output_folder(args.out, "moons", config.name)

    data = load(seed=args.data_seed, n_samples=args.samples)
    data_settings = {"samples": args.samples, "data_seed": args.data_seed}
    if args.predict is not None:
        common.check_index(parser, "--predict", args.predict, len(data["x_test"]), "test points")
    trainer = Trainer(config, data, out, args.seed, data_settings, eager=args.eager)
    if args.predict is not None:
        common.predict_from(trainer, out, f"{PROG} --config {config.name}" + (f" --out {args.out}" if args.out else ""))
        return {"prediction": show_prediction(config, trainer.model, data, args.predict)}
    common.start_or_resume(program, trainer, out, args.resume)

    layout = "-".join(map(str, config.sizes))
    print(f"two moons: {len(data['x_train'])} train / {len(data['x_test'])} test; model {layout} "
          f"{config.activation}, {config.loss}, {config.optimizer} lr {config.lr}, batch {config.batch_size}, "
          f"{config.epochs} epochs")
    print(common.mode_line(args.eager))
    trainer.run(False if args.no_progress else None)
    history, seconds = trainer.history, trainer.seconds
    draw(config, trainer.model, data, history, out)
    draw_graph(config, trainer.model, data, out)
    best = int(np.argmax(history["test_acc"]))
    metrics = {
        "demo": Trainer.demo,
        "config": asdict(config),
        "epochs_completed": trainer.epoch,
        "epochs_planned": config.epochs,
        **data_settings,
        "final_test_accuracy": history["test_acc"][-1],
        "best_test_accuracy": history["test_acc"][best],
        "best_epoch": history["x"][best],
        "total_seconds": seconds,
        "ms_per_epoch": 1000 * seconds / max(trainer.epoch, 1),
        "history": history,
        "reference": config.reference,
        "machine": common.machine_description(),
    }
    common.write_json(out / "metrics.json", metrics)
    print(f"done in {seconds:.1f}s ({metrics['ms_per_epoch']:.0f} ms/epoch): final test accuracy "
          f"{metrics['final_test_accuracy']:.4f}, best {metrics['best_test_accuracy']:.4f} at epoch "
          f"{metrics['best_epoch']}; outputs in {out}")
    return metrics


if __name__ == "__main__":
    main()
