"""The chapter's CIFAR-10 MLP: 3072-1000-500-10 ReLU, cross-entropy, Adam lr 3e-4, batch 16, 10 epochs.

    python -m demos.cifar10 [--data-root DIR] [--epochs N]
    python -m demos.cifar10 --resume          # continue from runs/cifar10/last.npz
    python -m demos.cifar10 --predict 0       # the model's guess for test image 0

Images are scaled to [0, 1] and normalised per channel with the usual CIFAR-10 statistics
(mean 0.4914, 0.4822, 0.4465; std 0.2470, 0.2435, 0.2616). The data comes from
nn.datasets.load_cifar10 (the binary version, cifar-10-binary.tar.gz); this machine has no offline
source for it, so without the file the demo exits with a message saying how to get it. Outputs go to
runs/cifar10/: curves.png, confusion.png, checkpoint.npz (the best model), last.npz (the latest state, which
--resume continues from) and metrics.json. Bad arguments and checkpoints end as in demos.mnist: one line,
exit status 2; Ctrl-C says how to resume and exits with 130.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

import numpy as np

import nn
from demos import common
from demos.mnist import Config, Trainer, predict

CONFIG = Config(
    name="cifar10", sizes=(3072, 1000, 500, 10), activation="relu", optimizer="adam", lr=3e-4,
    batch_size=16, epochs=10, chapter_result="see docs/results.md",
)
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def normalise(images: np.ndarray) -> np.ndarray:
    """(N, 3, 32, 32) or (N, 3072) images in [0, 255] or [0, 1] -> flat float32, standardised per channel."""
    x = np.asarray(images, dtype=np.float32).reshape(len(images), 3, 32 * 32)
    if x.max(initial=0.0) > 1.0:
        x = x / 255.0
    x = (x - MEAN[None, :, None]) / STD[None, :, None]
    return x.reshape(len(images), 3072)


class CifarTrainer(Trainer):
    demo = "demos.cifar10"
    config_names = ()  # one recipe, no --config

    def write_pictures(self) -> None:
        h = self.history
        common.plot_curves(self.out / "curves.png", h, "epoch", "CIFAR-10 MLP",
                           [("accuracy", ["train_acc", "test_acc"]), ("loss", ["train_loss"])])
        predicted = predict(self.model, self.data["x_test"]).argmax(axis=1)
        counts = common.confusion_matrix(self.data["t_test"], predicted, 10)
        common.plot_confusion(self.out / "confusion.png", counts,
                              f"CIFAR-10: test accuracy {np.mean(predicted == self.data['t_test']):.4f}")


def load_data(root: str | None, train_limit: int | None, test_limit: int | None,
              download: bool = True) -> dict[str, Any]:
    (x_train, t_train), (x_test, t_test) = nn.datasets.load_cifar10(root=root, download=download)
    if train_limit is not None:
        x_train, t_train = x_train[:train_limit], t_train[:train_limit]
    if test_limit is not None:
        x_test, t_test = x_test[:test_limit], t_test[:test_limit]
    return {"x_train": normalise(x_train), "t_train": np.asarray(t_train, dtype=np.int64),
            "x_test": normalise(x_test), "t_test": np.asarray(t_test, dtype=np.int64)}


def show_prediction(model: nn.Module, data: dict[str, Any], index: int) -> int:
    """Print the model's top 3 classes for test image `index` next to the true class."""
    probabilities = common.probabilities(predict(model, data["x_test"][index: index + 1])[0])
    guess, label = int(probabilities.argmax()), int(data["t_test"][index])
    print(f"test image #{index}: true {CLASSES[label]}, predicted {CLASSES[guess]} with probability "
          f"{probabilities[guess]:.3f}")
    print("top 3: " + ", ".join(f"{CLASSES[k]} ({probabilities[k]:.3f})" for k in np.argsort(probabilities)[::-1][:3]))
    return guess


PROG = "python -m demos.cifar10"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """The command line; ends like demos.mnist's (one-line errors with status 2, Ctrl-C with 130)."""
    with common.Program(PROG, argv) as program:
        return run(program, argv)


def run(program: common.Program, argv: list[str] | None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", help="folder holding cifar-10-binary.tar.gz (or its extracted files)")
    parser.add_argument("--offline", action="store_true", help="never download: use only files on disk")
    parser.add_argument("--epochs", type=common.positive_int)
    parser.add_argument("--train-limit", type=common.positive_int)
    parser.add_argument("--test-limit", type=common.positive_int)
    parser.add_argument("--out", help="output folder (default: runs/cifar10)")
    parser.add_argument("--seed", type=common.non_negative_int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from last.npz in the output folder")
    parser.add_argument("--predict", type=common.non_negative_int, metavar="INDEX",
                        help="show the model's guess for one test image (needs a trained checkpoint)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--eager", action="store_true", help="train define-by-run instead of with autograd.compile")
    args = parser.parse_args(argv)
    config = CONFIG if args.epochs is None else replace(CONFIG, epochs=args.epochs)
    out = common.output_folder(args.out, "cifar10")
    try:
        data = load_data(args.data_root, args.train_limit, args.test_limit, download=not args.offline)
    except (FileNotFoundError, OSError, RuntimeError) as error:
        print(f"CIFAR-10 is not available, so there is nothing to train on.\n{error}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.predict is not None:
        common.check_index(parser, "--predict", args.predict, len(data["x_test"]), "test images")
    limits = {"train_limit": args.train_limit, "test_limit": args.test_limit}
    trainer = CifarTrainer(config, data, out, args.seed, False if args.no_progress else None, limits,
                           eager=args.eager)
    if args.predict is not None:
        common.predict_from(trainer, out, PROG + (f" --out {args.out}" if args.out else ""))
        return {"prediction": show_prediction(trainer.model, data, args.predict)}
    common.start_or_resume(program, trainer, out, args.resume)
    print(f"CIFAR-10: {len(data['x_train'])} training, {len(data['x_test'])} test images; "
          f"MLP 3072-1000-500-10 ReLU, Adam lr {config.lr}, batch {config.batch_size}, {config.epochs} epochs")
    print(common.mode_line(args.eager))
    metrics = trainer.run(trainer.total_rounds())
    trainer.write_pictures()
    print(f"done in {metrics['total_seconds']:.1f}s: test accuracy {metrics['final_test_accuracy']:.4f}; "
          f"outputs in {out}")
    return metrics


if __name__ == "__main__":
    main()
