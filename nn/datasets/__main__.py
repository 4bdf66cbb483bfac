"""Prepare data set caches ahead of time: `python -m nn.datasets fetch mnist [fashion-mnist cifar10]`.

    python -m nn.datasets fetch mnist                # into $SCRATCHGRAD_DATA or ~/.cache/scratchgrad
    python -m nn.datasets fetch mnist --root ./data
    python -m nn.datasets info                       # where the data directory is, what is cached

`fetch` goes through the same sources and checks as `load_mnist()` (so CI can fetch once, then run tests
offline) and prints where the data came from, how long it took, and the fingerprint it verified.
Exit status 0 on success, 1 if a data set could not be provided (the message lists what was tried).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

from nn.datasets import cifar, mnist
from nn.datasets.cache import DATA_ENV, data_dir
from nn.datasets.sources import DatasetNotFoundError

Loader = Callable[..., tuple[dict[str, np.ndarray], str]]

LOADERS: dict[str, tuple[str, Loader]] = {
    "mnist": ("mnist.npz", lambda root: mnist.load_arrays(mnist.MNIST_SPEC, root)),
    "fashion-mnist": ("fashion-mnist.npz", lambda root: mnist.load_arrays(mnist.FASHION_MNIST_SPEC, root)),
    "cifar10": ("cifar10.npz", lambda root: cifar.load_arrays(root)),
}


def _summary(arrays: dict[str, np.ndarray]) -> str:
    parts = []
    for split in ("train", "test"):
        labels = arrays[f"{split}_labels"]
        total = int(arrays[f"{split}_images"].sum(dtype=np.int64))
        parts.append(f"{split}: {len(labels)} images, first labels {labels[:10].tolist()}, "
                     f"class counts {np.bincount(labels).tolist()}, pixel sum {total}")
    return "\n  ".join(parts)


def fetch(names: Sequence[str], root: str | None) -> int:
    status = 0
    for name in names:
        start = time.perf_counter()
        try:
            arrays, source = LOADERS[name][1](root)
        except DatasetNotFoundError as error:
            print(f"{name}: FAILED\n{error}", file=sys.stderr)
            status = 1
            continue
        seconds = time.perf_counter() - start
        print(f"{name}: verified, from {source} in {seconds:.1f} s; cached at {data_dir(root) / LOADERS[name][0]}")
        print(f"  {_summary(arrays)}")
    return status


def info(root: str | None) -> int:
    directory = data_dir(root)
    print(f"data directory: {directory} (explicit --root, else ${DATA_ENV}, else ~/.cache/scratchgrad)")
    for name, (cache_name, _) in LOADERS.items():
        path = directory / cache_name
        state = f"cached ({path.stat().st_size / 2**20:.1f} MiB)" if path.is_file() else "not cached"
        print(f"  {name}: {state}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn.datasets", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_parser = commands.add_parser("fetch", help="find, verify and cache data sets")
    fetch_parser.add_argument("names", nargs="+", choices=sorted(LOADERS), metavar="NAME",
                              help=f"one or more of: {', '.join(LOADERS)}")
    fetch_parser.add_argument("--root", help="data directory (default: $SCRATCHGRAD_DATA or ~/.cache/scratchgrad)")
    info_parser = commands.add_parser("info", help="show the data directory and what is cached")
    info_parser.add_argument("--root")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        return fetch(args.names, args.root)
    return info(args.root)


if __name__ == "__main__":
    sys.exit(main())
