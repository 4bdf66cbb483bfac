"""The textbook two-moons run in hand-written NumPy, timed end to end, to put next to `demos.moons`.

`python -m benchmarks.moons_run [--epochs 1000]` trains the textbook's network (2-25-50-25-2, sigmoid after
every layer, mean squared error on one-hot targets, per-sample SGD at lr 0.01) on the demo's data (the
same `demos.moons.load`, the same shuffling of each epoch, an evaluation on the training and test sets every
10 epochs, as the demo does) with the textbook NumPy layers of `benchmarks/numpy_reference.py`, and prints
its wall time. `python -m demos.moons --config textbook` is the same run with our engine (compiled, or
`--eager`); the ratio of the two times is the one docs/performance.md reports.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks import mlp, numpy_reference


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.moons_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from demos import moons

    config = moons.CONFIGS["textbook"]
    data = moons.load(seed=100, n_samples=2000)
    x, t = data["x_train"], data["t_train"]
    targets = np.eye(2, dtype=np.float32)[t]
    params = mlp.make_params(config.sizes, seed=args.seed, gain=1.0)
    net = numpy_reference.TextbookMLP(params, numpy_reference.Sigmoid, numpy_reference.MeanSquaredError,
                                      activate_output=True)
    rng = np.random.default_rng(args.seed)

    def accuracy(xs: np.ndarray, ts: np.ndarray) -> float:
        h = xs
        for layer in net.layers:
            h = layer.forward(h)
        return float(np.mean(h.argmax(axis=1) == ts))

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x))
        xs, ys = x[order], targets[order]
        for i in range(len(x)):
            net.step(xs[i:i + 1], ys[i:i + 1], config.lr)
        if epoch % config.report_every == 0 or epoch == args.epochs:
            accuracy(x, t)
            test = accuracy(data["x_test"], data["t_test"])
    seconds = time.perf_counter() - start
    print(f"hand-written NumPy, textbook moons: {args.epochs} epochs in {seconds:.1f} s "
          f"({1000 * seconds / args.epochs:.0f} ms per epoch), final test accuracy {test:.4f}")
    return {"seconds": seconds, "test_accuracy": test}


if __name__ == "__main__":
    main()
