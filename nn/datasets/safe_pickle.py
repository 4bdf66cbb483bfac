"""Reading pickled NumPy arrays without letting the pickle run code.

A pickle is a small program: its GLOBAL opcodes name any importable callable (`os.system`, `eval`...) and
REDUCE calls it. `pickle.load` on a file from the internet therefore executes whatever its author wanted.
`RestrictedUnpickler.find_class` is the one place where a pickle can reach a callable, so allowing only
the few names NumPy uses to rebuild an array makes loading inert: containers (tuples, lists, dicts),
numbers and strings need no globals at all.

Allowed, and why:
  numpy.core.multiarray._reconstruct / numpy._core.multiarray._reconstruct   make an empty ndarray
  numpy.ndarray, numpy.dtype                                                 its class and its dtype
  numpy.core.numeric._frombuffer / numpy._core.numeric._frombuffer          protocol-5 arrays (NumPy >= 1.16)
  _codecs.encode, only with the 'latin1' codec                              Python 3 protocol-2 bytes
Everything else raises `UnpicklingError` naming the refused global.
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nn.datasets.cache import PathLike

try:  # NumPy 2 moved the internals to numpy._core; numpy.core remains as a deprecated alias
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct
    from numpy.core.numeric import _frombuffer


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """What `_codecs.encode` does in protocol-2 pickles of bytes, but only for latin-1 (no other codec runs)."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"safe_pickle: refusing _codecs.encode with codec {encoding!r} "
                                     "(only 'latin1', which Python 3 uses to pickle bytes, is allowed)")
    return text.encode("latin1")


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays (and plain containers of them) and nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        # Resolve from our table, never by importing `module`: importing alone can run code.
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            allowed = ", ".join(f"{m}.{n}" for m, n in ALLOWED_GLOBALS)
            raise pickle.UnpicklingError(
                f"safe_pickle: refusing to load global {module}.{name}: only NumPy array reconstruction "
                f"({allowed}) is allowed"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(f"safe_pickle: refusing persistent id {pid!r}")


def load(file: BinaryIO, encoding: str = "latin1") -> Any:
    """Unpickle from an open binary file with `RestrictedUnpickler`.

    `encoding='latin1'` lets Python 2 pickles (like the classic `mnist.pkl.gz`) decode their byte strings,
    which hold the raw array data, byte for byte.
    """
    return RestrictedUnpickler(file, encoding=encoding).load()


def loads(data: bytes, encoding: str = "latin1") -> Any:
    """Unpickle `data` with `RestrictedUnpickler`."""
    return load(io.BytesIO(data), encoding=encoding)


def load_path(path: PathLike) -> Any:
    """Unpickle a `.pkl` or gzip-compressed `.pkl.gz` file (detected from its content) safely."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return loads(data)
