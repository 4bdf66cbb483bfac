"""CIFAR-10: 32x32 colour images in ten classes, 50,000 for training and 10,000 for testing.

We read the *binary* version (`cifar-10-binary.tar.gz`), not the Python one: the Python version is a
pickle, and unpickling a download is running its code. The binary batches are fixed-size records:

    1 byte      the label, 0..9
    3072 bytes  the image: 1024 red, then 1024 green, then 1024 blue values, each a 32x32 plane row by row

so `data_batch_1.bin` ... `data_batch_5.bin` (training) and `test_batch.bin` each hold 10,000 records of
3073 bytes, and a whole file becomes an array with one reshape.

Sources, in order: our cache `cifar10.npz`; the extracted folder `cifar-10-batches-bin/` in the data
directory; the archive `cifar-10-binary.tar.gz` there (checked against its published SHA-256, members
read straight from the tar, nothing extracted to disk); a download of the archive (same checksum). No
package index ships CIFAR-10, so offline the error says where to get the file.

Data: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""

from __future__ import annotations

import tarfile
import zlib
from pathlib import Path

import numpy as np

from nn.datasets.cache import PathLike, data_dir, progress, sha256_file
from nn.datasets.download import ChecksumError, DownloadError, Opener
from nn.datasets.download import download as download_file
from nn.datasets.images import ImageDataset, format_images, format_labels
from nn.datasets.sources import SourceLog, VerificationError, read_cache, write_cache

ARCHIVE = "cifar-10-binary.tar.gz"
ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
IMAGE_SHAPE = (3, 32, 32)
RECORD_SIZE = 1 + 3 * 32 * 32
RECORDS_PER_FILE = 10_000
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
KEYS = ("train_images", "train_labels", "test_images", "test_labels")
Arrays = dict[str, np.ndarray]
Split = tuple[np.ndarray, np.ndarray]


def parse_batch(data: bytes, name: str = "<bytes>") -> Split:
    """One binary batch file -> uint8 images (N, 3, 32, 32) and uint8 labels (N,)."""
    if not data or len(data) % RECORD_SIZE:
        raise VerificationError(f"CIFAR-10: {name}: {len(data)} bytes is not a whole number of "
                                f"{RECORD_SIZE}-byte records (truncated or not a CIFAR-10 binary batch)")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_SIZE)
    labels = records[:, 0].copy()
    if labels.max() >= len(CLASSES):
        raise VerificationError(f"CIFAR-10: {name}: label {labels.max()} found, labels must be 0..9")
    return records[:, 1:].reshape(-1, *IMAGE_SHAPE).copy(), labels


def check_arrays(arrays: Arrays, verify: bool = True) -> Arrays:
    """Shapes and dtypes always; with `verify` also the official sizes and balanced classes."""
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SHAPE or labels.shape != images.shape[:1]:
            raise VerificationError(f"CIFAR-10: {split} arrays must be uint8 images (N, 3, 32, 32) with N labels, "
                                    f"got {images.dtype} {images.shape} and {labels.dtype} {labels.shape}")
        if labels.dtype != np.uint8 or (labels.size and labels.max() >= len(CLASSES)):
            raise VerificationError(f"CIFAR-10: {split} labels must be uint8 in 0..9")
        if verify:
            files = TRAIN_FILES if split == "train" else TEST_FILES
            expected = len(files) * RECORDS_PER_FILE
            counts = np.bincount(labels, minlength=len(CLASSES))
            if len(labels) != expected or (counts != expected // len(CLASSES)).any():
                raise VerificationError(f"CIFAR-10: {split} split has {len(labels)} images with class counts "
                                        f"{counts.tolist()}, expected {expected} with {expected // 10} per class")
    return arrays


def _combine(parts: dict[str, Split], files: dict[str, tuple[str, ...]]) -> Arrays:
    arrays: Arrays = {}
    for split, names in files.items():
        arrays[f"{split}_images"] = np.concatenate([parts[name][0] for name in names])
        arrays[f"{split}_labels"] = np.concatenate([parts[name][1] for name in names])
    return arrays


def read_folder(folder: PathLike) -> Arrays | None:
    """The batches in an extracted `cifar-10-batches-bin` folder; None if it has none of them."""
    folder = Path(folder)
    names = TRAIN_FILES + TEST_FILES
    present = [name for name in names if (folder / name).is_file()]
    if not present:
        return None
    if len(present) < len(names):
        raise VerificationError(f"CIFAR-10: {folder} is incomplete: {sorted(set(names) - set(present))} missing")
    parts = {name: parse_batch((folder / name).read_bytes(), str(folder / name)) for name in names}
    return _combine(parts, {"train": TRAIN_FILES, "test": TEST_FILES})


def read_archive(path: PathLike) -> Arrays:
    """The batches inside `cifar-10-binary.tar.gz`, read from the tar without extracting anything."""
    parts: dict[str, Split] = {}
    names = TRAIN_FILES + TEST_FILES
    try:
        with tarfile.open(path, "r:gz") as archive, progress(len(names), "CIFAR-10 batches", unit="files") as bar:
            for name in names:
                member = archive.extractfile(f"{FOLDER}/{name}")
                if member is None:
                    raise VerificationError(f"CIFAR-10: {path}: {FOLDER}/{name} is not a regular file")
                parts[name] = parse_batch(member.read(), f"{path}:{FOLDER}/{name}")
                bar.update(1)
    except KeyError as error:
        raise VerificationError(f"CIFAR-10: {path} lacks {error}") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise VerificationError(f"CIFAR-10: {path}: corrupt or truncated archive ({error})") from None
    return _combine(parts, {"train": TRAIN_FILES, "test": TEST_FILES})


def _how_to(directory: Path) -> str:
    return (f"No offline source of CIFAR-10 exists here. On a machine with internet access, download {ARCHIVE_URL} "
            f"(162 MiB, SHA-256 {ARCHIVE_SHA256}) and copy it to {directory / ARCHIVE}, or run "
            f"`python -m nn.datasets fetch cifar10` there and copy the cifar10.npz it writes to {directory}. Set "
            "SCRATCHGRAD_DATA or pass root= to use another folder.")


def load_arrays(root: PathLike | None = None, *, download: bool = True, verify: bool = True,
                opener: Opener | None = None) -> tuple[Arrays, str]:
    """Find CIFAR-10 (see the module docstring for the order), check it, cache it; return (arrays, source)."""
    directory = data_dir(root)
    cache = directory / "cifar10.npz"
    archive = directory / ARCHIVE
    log = SourceLog("CIFAR-10")

    def check(arrays: Arrays) -> Arrays:
        return check_arrays(arrays, verify)

    def done(arrays: Arrays, source: str) -> tuple[Arrays, str]:
        if verify:
            write_cache(cache, arrays, KEYS, log)
        return arrays, source

    arrays = read_cache(cache, KEYS, check, log, verify)
    if arrays is not None:
        return arrays, f"cache {cache}"

    for folder in (directory / FOLDER, directory):
        try:
            arrays = read_folder(folder)
        except (VerificationError, OSError) as error:
            log.failed(f"batch files in {folder}", error)
            continue
        if arrays is None:
            log.missing(f"batch files in {folder}")
            continue
        try:
            return done(check(arrays), f"batch files in {folder}")
        except VerificationError as error:
            log.failed(f"batch files in {folder}", error)

    if archive.is_file():
        try:
            digest = sha256_file(archive) if verify else ARCHIVE_SHA256
            if digest != ARCHIVE_SHA256:
                raise ChecksumError(f"SHA-256 {digest}, expected {ARCHIVE_SHA256}")
            return done(check(read_archive(archive)), f"archive {archive}")
        except (ChecksumError, VerificationError, OSError) as error:
            log.failed(f"archive {archive}", error)
    else:
        log.missing(f"archive {archive}")

    if not download:
        log.missing("download", "skipped (download=False)")
        raise log.error(_how_to(directory))
    log.fetching(f"not in {directory}; downloading {ARCHIVE_URL} (163 MB), checked against its published SHA-256")
    try:
        # download() replaces an archive with the wrong checksum (a corrupt or partial earlier copy)
        path = download_file(ARCHIVE_URL, archive, ARCHIVE_SHA256, opener=opener)
        arrays, source = done(check(read_archive(path)), f"download from {ARCHIVE_URL}")
        log.fetched(arrays, source, cache, verify)
        return arrays, source
    except (ChecksumError, DownloadError, VerificationError, OSError) as error:
        log.failed(f"download from {ARCHIVE_URL}", error)
    raise log.error(_how_to(directory))


def load_cifar10(root: PathLike | None = None, normalize: bool = True, flatten: bool = False,
                 one_hot_label: bool = False, *, download: bool = True, verify: bool = True) -> tuple[Split, Split]:
    """CIFAR-10 as `(x_train, t_train), (x_test, t_test)`.

    Images are (N, 3, 32, 32) (channels first), or (N, 3072) rows with `flatten`; other arguments as for
    `nn.datasets.load_mnist`.
    """
    arrays, _ = load_arrays(root, download=download, verify=verify)
    splits = []
    for split in ("train", "test"):
        x = format_images(arrays[f"{split}_images"], normalize, flatten, channels=3)
        t = format_labels(arrays[f"{split}_labels"], one_hot_label, len(CLASSES))
        splits.append((x, t))
    return splits[0], splits[1]


class CIFAR10(ImageDataset):
    """The CIFAR-10 training (`train=True`) or test set as a dataset of (image, label) samples.

    Images are (3, 32, 32) floats in [0, 1] by default; `.images` keeps the uint8 pixels.
    """

    def __init__(self, root: PathLike | None = None, train: bool = True, normalize: bool = True,
                 flatten: bool = False, *, download: bool = True, verify: bool = True) -> None:
        arrays, self.source = load_arrays(root, download=download, verify=verify)
        split = "train" if train else "test"
        self.train = train
        super().__init__(arrays[f"{split}_images"], arrays[f"{split}_labels"], CLASSES, normalize, flatten,
                         channels=3)
