"""Keeping track of where a data set was looked for, so a failure can say exactly what was tried.

Every loader walks a list of sources (our cache, files the user provides, downloads, an offline package)
and records each miss with its reason. If none delivers, `DatasetNotFoundError` lists them all, followed by
how to provide the files by hand; a user should never have to guess why loading failed.
"""

from __future__ import annotations

import contextlib
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

    def error(self, how_to: str) -> DatasetNotFoundError:
        tried = "\n".join(f"  {i}. {attempt}" for i, attempt in enumerate(self.attempts, 1))
        return DatasetNotFoundError(f"{self.title} could not be loaded. Tried, in order:\n{tried}\n{how_to}")


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
