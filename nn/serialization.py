"""nn.save / nn.load: checkpoints as plain data, in a format that cannot run code when loaded.

`torch.save` pickles, and unpickling a file from the internet can execute anything. We write a NumPy
`.npz` archive (a zip of `.npy` arrays) instead, and read it with `allow_pickle=False`:

* every array (and Tensor) in the object becomes one entry "a0", "a1", ...;
* the structure around them (nested dicts with str/int keys, lists, tuples, numbers, strings, None)
  is described in a JSON header stored as bytes in the entry "__scratchgrad__", with a format version.

Saving is atomic: the archive is written to a temporary file in the target's directory, flushed to disk,
and only then renamed over the target (`os.replace` is atomic on POSIX and Windows). A crash or an
exception mid-save leaves the previous checkpoint untouched.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from autograd import Tensor

FORMAT_NAME = "scratchgrad"
FORMAT_VERSION = 1
HEADER_KEY = "__scratchgrad__"

PathLike = str | os.PathLike[str]


class CheckpointError(ValueError):
    """A file that `nn.load` refuses: not written by `nn.save`, truncated, corrupted, or a pickle."""


# ---------------------------------------------------------------------- saving
def save(obj: Any, path: PathLike) -> None:
    """Write `obj` (a state dict, or a checkpoint dict of state dicts, numbers, strings, lists) to `path`.

    Supported values: dicts with str or int keys, lists, tuples, NumPy arrays and scalars of bool, integer,
    float or string dtype, Tensors (saved as their data; `requires_grad` is kept), Python numbers, strings,
    None. Anything else raises TypeError naming where it is (e.g. "checkpoint['model']['fc1.weight']").
    The file gets exactly the given name (".npz" is a good suffix but not added for you).
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays, "obj")
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree})
    arrays[HEADER_KEY] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them "the" checkpoint
        os.chmod(tmp_path, _file_mode(path))
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_directory(directory)


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    # Object arrays were already refused by _store, so nothing here can be pickled. (allow_pickle is not
    # passed: before NumPy 2.1 savez would store it as an array named "allow_pickle".)
    np.savez(file, **arrays)


def _file_mode(path: str) -> int:
    """Keep an existing checkpoint's permissions; a new one gets rw-r--r-- (mkstemp's default is owner-only)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o644


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); where directories cannot be opened, there is nothing to do."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """The JSON description of `value`; arrays go into `arrays` and are referenced by key."""
    if isinstance(value, np.generic):  # first: np.float64 is also a Python float, and keeps its dtype here
        return {"type": "numpy_scalar", "key": _store(np.asarray(value), arrays, where)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"type": "value", "value": value}  # json writes NaN/Infinity and reads them back
    if isinstance(value, Tensor):
        key = _store(value.data, arrays, where)
        return {"type": "tensor", "key": key, "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray):
        return {"type": "array", "key": _store(value, arrays, where)}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"nn.save: dict keys must be str or int, got {type(k).__name__} {k!r} in {where}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"type": "dict", "items": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {"type": kind, "items": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    raise TypeError(
        f"nn.save: cannot save {type(value).__name__} at {where}; supported are dicts, lists, tuples, arrays, "
        "Tensors, numbers, strings and None (save a model through model.state_dict())"
    )


def _store(array: np.ndarray, arrays: dict[str, np.ndarray], where: str) -> str:
    if array.dtype.kind not in "biufU":
        raise TypeError(
            f"nn.save: cannot save an array of dtype {array.dtype} at {where}: only bool, integer, float and "
            "string arrays can be stored without pickle"
        )
    key = f"a{len(arrays)}"
    arrays[key] = array
    return key


# ---------------------------------------------------------------------- loading
def load(path: PathLike) -> Any:
    """Read back what `save` wrote. Never unpickles; a file that is not a valid checkpoint raises CheckpointError."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        magic = file.read(4)
    if magic[:1] == b"\x80":
        raise CheckpointError(
            f"nn.load: {path} is a Python pickle (e.g. written by torch.save or pickle.dump). nn.load never "
            "unpickles, because unpickling can run arbitrary code; save with nn.save instead"
        )
    if magic != b"PK\x03\x04":
        raise CheckpointError(
            f"nn.load: {path} is not a checkpoint written by nn.save (it is not a zip/npz archive"
            + (", it is empty)" if not magic else ")")
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            entries = {name: archive[name] for name in archive.files}  # read all now: CRC errors surface here
    except ValueError as error:
        if "pickle" in str(error):  # an object array inside the archive: loading it would unpickle
            raise CheckpointError(
                f"nn.load: {path} contains pickled objects; nn.load never unpickles, because unpickling can "
                "run arbitrary code"
            ) from None
        raise CheckpointError(f"nn.load: {path} is truncated or corrupted (ValueError: {error})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise CheckpointError(
            f"nn.load: {path} is truncated or corrupted ({type(error).__name__}: {error})"
        ) from None
    if HEADER_KEY not in entries:
        if any(name.endswith("data.pkl") for name in entries):
            raise CheckpointError(
                f"nn.load: {path} is a PyTorch checkpoint (torch.save), which holds a pickle; nn.load never "
                "unpickles, because unpickling can run arbitrary code"
            )
        raise CheckpointError(f"nn.load: {path} is a zip/npz archive but was not written by nn.save (no header)")
    raw_header = entries.pop(HEADER_KEY)
    if not isinstance(raw_header, np.ndarray) or raw_header.dtype != np.uint8:
        raise CheckpointError(f"nn.load: {path} has a corrupted header")
    try:
        header = json.loads(raw_header.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"nn.load: {path} has a corrupted header ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CheckpointError(f"nn.load: {path} has a header of an unknown format")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"nn.load: {path} uses checkpoint format version {version}; this version of scratchgrad reads "
            f"version {FORMAT_VERSION}"
        )
    try:
        return _decode(header["tree"], entries)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CheckpointError(f"nn.load: {path} has an inconsistent header ({type(error).__name__}: {error})") from None


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    kind = node["type"]
    if kind == "value":
        return node["value"]
    if kind == "array":
        return arrays[node["key"]]
    if kind == "numpy_scalar":
        return arrays[node["key"]][()]
    if kind == "tensor":
        return Tensor(arrays[node["key"]], requires_grad=bool(node["requires_grad"]))
    if kind == "dict":
        return {key: _decode(value, arrays) for key, value in node["items"]}
    if kind == "list":
        return [_decode(value, arrays) for value in node["items"]]
    if kind == "tuple":
        return tuple(_decode(value, arrays) for value in node["items"])
    raise ValueError(f"unknown node type {kind!r}")
