"""Data sets: small synthetic problems made on the spot, and real image data sets loaded safely.

    from nn.datasets import make_moons, load_mnist
    X, y = make_moons(200, noise=0.1, seed=0)
    (x_train, t_train), (x_test, t_test) = load_mnist()      # (60000, 784) float32, (60000,) int64

Real data sets are looked for on disk first, then downloaded, always verified by SHA-256 before use, and
cached as plain `.npz` files in the data directory (`root`, `$SCRATCHGRAD_DATA` or `~/.cache/scratchgrad`).
`python -m nn.datasets fetch mnist` prepares the cache ahead of time. See docs/data.md.

Modules: `synthetic` (moons, circles, spiral), `mnist` (MNIST, Fashion-MNIST, mnist.pkl.gz), `cifar`
(CIFAR-10 binary), `idx` (the IDX file format), `safe_pickle` (unpickling arrays without running code),
`cache` / `download` / `sources` (where files live, how they are fetched and checked).
"""

from nn.datasets.cache import data_dir
from nn.datasets.cifar import CIFAR10, load_cifar10
from nn.datasets.download import ChecksumError, DownloadError
from nn.datasets.idx import IdxFormatError, read_idx, write_idx
from nn.datasets.mnist import MNIST, FashionMNIST, load_fashion_mnist, load_mnist, load_mnist_pickle
from nn.datasets.sources import DatasetNotFoundError, VerificationError
from nn.datasets.synthetic import make_circles, make_moons, make_spiral

__all__ = [
    "CIFAR10", "ChecksumError", "DatasetNotFoundError", "DownloadError", "FashionMNIST", "IdxFormatError", "MNIST",
    "VerificationError", "data_dir", "load_cifar10", "load_fashion_mnist", "load_mnist", "load_mnist_pickle",
    "make_circles", "make_moons", "make_spiral", "read_idx", "write_idx",
]
