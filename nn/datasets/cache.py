"""Where data sets live on disk, and writing files there safely.

The data directory is, in order: an explicit `root`, the `SCRATCHGRAD_DATA` environment variable, or
`~/.cache/scratchgrad`. Everything the loaders write there goes through `atomic_write`: the bytes go to a
temporary file in the same folder, are flushed to disk, and are renamed over the target in one step, so a
crash, a Ctrl-C or a second process preparing the same file can never leave a half-written file under
the final name (two writers both finish whole files and the last rename wins).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

DATA_ENV = "SCRATCHGRAD_DATA"
DEFAULT_DATA_DIR = Path("~/.cache/scratchgrad")

PathLike = str | os.PathLike[str]

# mkstemp creates files readable by the owner only; cached data should get the usual permissions instead.
_UMASK = os.umask(0)
os.umask(_UMASK)


def data_dir(root: PathLike | None = None, create: bool = False) -> Path:
    """The folder data sets are read from and cached in: `root`, else `$SCRATCHGRAD_DATA`, else the default.

    `~` is expanded. With `create=True` the folder is made (with parents) if missing.
    """
    if root is None:
        root = os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    path = Path(root).expanduser()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[IO[bytes]]:
    """Open a temporary file beside `path` for binary writing; on success rename it to `path` atomically.

    If the block raises, the temporary file is deleted and `path` is untouched (an older complete file
    stays as it was). The temporary name is unique per writer, so concurrent writers do not collide.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def save_npz(path: PathLike, **arrays: np.ndarray) -> Path:
    """Write `arrays` to a uncompressed `.npz` at `path` atomically (never pickles: plain arrays only)."""
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"save_npz: array {key!r} has dtype object, which .npz can only store by pickling")
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)
    return Path(path)


def load_npz(path: PathLike, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read the arrays `keys` from an `.npz` written by `save_npz`, refusing pickled objects.

    Reading each member in full makes `zipfile` check its CRC-32, so a truncated or bit-flipped cache raises
    here (`zipfile.BadZipFile`, `ValueError`, `EOFError` or `OSError`) rather than handing back wrong pixels.
    """
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in keys if key not in archive.files]
        if missing:
            raise ValueError(f"load_npz: {path} lacks the arrays {missing} (has {archive.files})")
        return {key: archive[key] for key in keys}


def sha256_file(path: PathLike, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 hex digest of a file, read in chunks so large files need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _NoBar:
    """Stands in for a tqdm bar when tqdm is not installed: same calls, draws nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(total: int | None, desc: str, unit: str = "B") -> Any:
    """A progress bar for downloads and conversions: tqdm when installed, drawn only on a terminal.

    tqdm is an optional dependency (the `demos` extra), imported lazily so loading data never requires it;
    `disable=None` is tqdm's own "quiet unless stderr is a TTY", so logs in CI stay clean.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    byte_units = unit == "B"
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=byte_units, unit_divisor=1024 if byte_units else 1000,
                disable=None, file=sys.stderr, leave=False)
