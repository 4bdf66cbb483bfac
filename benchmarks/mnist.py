"""Benchmark 5: one MNIST training epoch of the demo's best configuration, data loading included.

The configuration is read from `demos.mnist.CONFIGS["default"]` so that the benchmark follows the demo:
at the time of writing a 784-512-512-10 ReLU MLP with dropout 0.2, AdamW (lr 1e-3, weight decay 1e-4),
batch 128, softmax cross-entropy, one shuffled pass over the 60,000 training images (the last batch is
smaller). Ours uses `nn.data.DataLoader` over `nn.datasets.load_mnist` and the demo's own model and
optimizer builders; the NumPy and PyTorch versions shuffle with a permutation and slice the same arrays,
the way their users would. Dropout masks differ between implementations (each has its own generator),
so losses are not compared here; the MLP benchmark checks that the arithmetic agrees.

It never downloads anything: when the MNIST cache is missing the benchmark is skipped with a message
saying how to prepare it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import numpy_reference
from benchmarks.harness import Result, median, time_side_by_side

BENCH = "mnist epoch (demo's best MLP, incl. data loading)"


def cached_mnist() -> Path | None:
    """Where MNIST is already on disk (the places `nn.datasets.load_mnist` looks first), else None."""
    roots = [os.environ.get("SCRATCHGRAD_DATA"), str(Path.home() / ".cache" / "scratchgrad")]
    for root in filter(None, roots):
        for candidate in (Path(root), Path(root) / "mnist"):
            if (candidate / "mnist.npz").is_file() or (candidate / "train-images-idx3-ubyte.gz").is_file() \
                    or (candidate / "train-images-idx3-ubyte").is_file():
                return candidate
    return None


def _skip(reason: str) -> list[Result]:
    return [Result(BENCH, "skipped", None, note=reason)]


def run(repeat: int = 3, torch_available: bool = False) -> list[Result]:
    try:
        from demos import mnist as demo
        from nn import data, datasets
    except ImportError as error:
        return _skip(f"the MNIST demo or nn.data / nn.datasets is not available ({error})")
    if cached_mnist() is None:
        return _skip("MNIST is not cached; run `python -m nn.datasets fetch mnist` first")
    config = demo.CONFIGS["default"]
    if config.activation != "relu" or config.optimizer not in ("adam", "adamw"):
        return _skip(f"the demo's configuration changed ({config}); update benchmarks/mnist.py")
    weight_decay = config.weight_decay if config.optimizer == "adamw" else 0.0
    label = (f"{'-'.join(map(str, config.sizes))} ReLU, dropout {config.dropout}, {config.optimizer} "
             f"lr {config.lr}, batch {config.batch_size}")

    (x_train, t_train), _ = datasets.load_mnist(normalize=True, flatten=True, download=False)
    x_train = np.asarray(x_train, dtype=np.float32)
    t_train = np.asarray(t_train, dtype=np.int64)
    n, batch = x_train.shape[0], config.batch_size

    import nn

    model = demo.build_model(config)
    optimizer = demo.build_optimizer(config, model)
    loader = data.DataLoader(data.TensorDataset(x_train, t_train), batch_size=batch, shuffle=True, seed=0)

    def ours_epoch() -> None:
        model.train()
        for xb, tb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), tb)
            loss.backward()
            optimizer.step()

    params = _params(config.sizes)
    textbook = numpy_reference.TextbookMLP([p.copy() for p in params], numpy_reference.Relu,
                                           numpy_reference.SoftmaxWithLoss, dropout=config.dropout)
    adam = numpy_reference.Adam(textbook.params, config.lr, weight_decay=weight_decay)
    rng = np.random.default_rng(0)

    def numpy_epoch() -> None:
        order = rng.permutation(n)
        for start in range(0, n, batch):
            index = order[start:start + batch]
            _, grads = textbook.loss_and_grads(x_train[index], t_train[index])
            adam.step(grads)

    cases: dict[str, Any] = {"ours (nn, demos.mnist model)": ours_epoch, "numpy (textbook layers)": numpy_epoch}
    if torch_available:
        cases["torch (eager)"] = _torch_epoch(config, params, x_train, t_train, weight_decay)
    samples = time_side_by_side(cases, repeat=repeat, number=1, warmup=0)
    return [Result(BENCH, name, median(values), "epoch", values, note=label if i == 0 else "")
            for i, (name, values) in enumerate(samples.items())]


def _params(sizes: tuple[int, ...]) -> list[np.ndarray]:
    from benchmarks.mlp import make_params

    return make_params(sizes, seed=0)


def _torch_epoch(config: Any, params: list[np.ndarray], x_train: np.ndarray, t_train: np.ndarray,
                 weight_decay: float) -> Any:
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own idiom

    layers: list[torch.nn.Module] = []
    pairs = list(zip(params[0::2], params[1::2], strict=True))
    for i, (W, b) in enumerate(pairs):
        linear = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(pairs) - 1:
            layers.append(torch.nn.ReLU())
            if config.dropout:
                layers.append(torch.nn.Dropout(config.dropout))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=weight_decay)
    x_t, t_t = torch.from_numpy(x_train), torch.from_numpy(t_train)
    generator = torch.Generator().manual_seed(0)
    n, batch = x_train.shape[0], config.batch_size

    def torch_epoch() -> None:
        model.train()
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            index = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_t[index]), t_t[index])
            loss.backward()
            optimizer.step()

    return torch_epoch
