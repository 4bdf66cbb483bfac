"""Keeping track of where a data set was looked for, so a failure can say exactly what was tried.

Every loader walks a list of sources (our cache, files the user provides, downloads, an offline package)
and records each miss with its reason. If none delivers, `DatasetNotFoundError` lists them all, followed by
how to provide the files by hand; a user should never have to guess why loading failed.

Reading our cache or files on disk is quick and silent. Fetching over the network takes seconds to
minutes, so a loader says, before it starts, where the data is about to come from, and afterwards what it
verified and where it cached it (`SourceLog.fetching`, `SourceLog.fetched`: one line each on stderr,
terminal or not). Progress bars, where tqdm is installed, show only on a terminal.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nn.datasets.cache import load_npz, save_npz

Arrays = dict[str, np.ndarray]


class DatasetNotFoundError(FileNotFoundError):
    """No source could provide a verified copy of the data set (the message lists each attempt)."""


class VerificationError(ValueError):
    """Arrays were read but are not the data set they claim to be (wrong checksum, shape or contents)."""


class SourceLog:
    """The attempts made to find one data set, in order."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.attempts: list[str] = []

    def missing(self, source: str, reason: str = "not found") -> None:
        """A source that was not there (not an error: the next one is tried)."""
        self.attempts.append(f"{source}: {reason}")

    def failed(self, source: str, error: BaseException, warn: bool = False) -> None:
        """A source that was there but unusable; with `warn`, also tell the user now (e.g. a rebuilt cache)."""
        message = f"{source}: {type(error).__name__}: {error}"
        self.attempts.append(message)
        if warn:
            warnings.warn(f"{self.title}: {message}; trying the next source", RuntimeWarning, stacklevel=3)

    def fetching(self, what: str) -> None:
        """Tell the user, before a slow fetch starts, where the data is about to come from."""
        _tell(f"{self.title}: {what}")

    def fetched(self, arrays: Arrays, source: str, cache: Path, verified: bool) -> None:
        """Tell the user what a fetch delivered: how many images, what was checked, where they were cached."""
        counts = f"{len(arrays['train_labels']):,} training and {len(arrays['test_labels']):,} test images"
        if verified:
            _tell(f"{self.title}: verified {counts} from {source} (published SHA-256 checksums match); "
                  f"cached in {cache}")
        else:
            _tell(f"{self.title}: read {counts} from {source}, not verified (verify=False), so not cached")

    def error(self, how_to: str) -> DatasetNotFoundError:
        tried = "\n".join(f"  {i}. {attempt}" for i, attempt in enumerate(self.attempts, 1))
        return DatasetNotFoundError(f"{self.title} could not be loaded. Tried, in order:\n{tried}\n{how_to}")


def _tell(line: str) -> None:
    # stderr, so that a demo's results on stdout stay clean; flushed, since a slow step follows at once.
    print(line, file=sys.stderr, flush=True)


def read_cache(cache: Path, keys: tuple[str, ...], check: Callable[[Arrays], Arrays], log: SourceLog,
               verify: bool) -> Arrays | None:
    """The checked arrays of our `.npz` cache, or None if it is absent or damaged.

    A damaged cache (truncated, bad CRC, wrong checksum) is reported with a warning and, when verifying,
    deleted so that the next source rebuilds it.
    """
    if not cache.is_file():
        log.missing(f"cache {cache}")
        return None
    try:
        return check(load_npz(cache, keys))
    except Exception as error:  # any way a damaged file can fail: zip structure, CRC, dtype, checksum
        log.failed(f"cache {cache}", error, warn=True)
        if verify:
            with contextlib.suppress(OSError):
                cache.unlink()
        return None


def write_cache(cache: Path, arrays: Arrays, keys: tuple[str, ...], log: SourceLog) -> None:
    """Save verified arrays to the `.npz` cache atomically; a read-only folder only costs a warning."""
    try:
        save_npz(cache, **{key: arrays[key] for key in keys})
    except OSError as error:
        log.failed(f"writing the cache {cache}", error, warn=True)
