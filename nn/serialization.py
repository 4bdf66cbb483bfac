"""nn.save / nn.load: checkpoints as plain data, in a format that cannot run code when loaded.

`torch.save` pickles, and unpickling a file from the internet can execute anything. We write a NumPy
`.npz` archive (an uncompressed zip of `.npy` arrays) instead, and read it without ever unpickling:

* every array (and Tensor) in the object becomes one entry "a0", "a1", ...;
* the structure around them (nested dicts with str/int keys, lists, tuples, numbers, strings, None)
  is described in a JSON header stored as bytes in the entry "__scratchgrad__", with a format version.

Saving is atomic: the archive is written to a temporary file in the target's directory, flushed to disk,
and only then renamed over the target (`os.replace` is atomic on POSIX and Windows). A crash or an
exception mid-save leaves the previous checkpoint untouched and removes the temporary file; a process
killed outright cannot clean up, so the next save of the same target removes what such a process left.

Loading trusts nothing in the file: every member's declared size and array shape is checked against the
bytes actually there before anything is allocated, compressed members are refused (a 1 MB zip can inflate
to gigabytes), and the header's nesting is bounded. A file that is not a valid checkpoint raises
`CheckpointError` naming the file and the problem; memory use stays within the size of the file.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
import zipfile
from typing import Any

import numpy as np
import numpy.lib.format as npy_format

from autograd import Tensor

FORMAT_NAME = "scratchgrad"
FORMAT_VERSION = 1
HEADER_KEY = "__scratchgrad__"
MAX_NESTING = 100  # containers inside containers; real checkpoints use fewer than 10 levels
STALE_AFTER_SECONDS = 24 * 3600  # a temporary file whose writer cannot be identified counts as abandoned after this
_READ_CHUNK = 1 << 24  # read members 16 MiB at a time, so reading never holds two copies of a large array
_STORED_KINDS = "biufU"  # bool, signed and unsigned integers, floats, unicode strings: all nn.save writes

PathLike = str | os.PathLike[str]


class CheckpointError(ValueError):
    """A file that `nn.load` refuses: not written by `nn.save`, truncated, corrupted, hostile, or a pickle."""


# ---------------------------------------------------------------------- saving
def save(obj: Any, path: PathLike) -> None:
    """Write `obj` (a state dict, or a checkpoint dict of state dicts, numbers, strings, lists) to `path`.

    Supported values: dicts with str or int keys, lists, tuples, NumPy arrays and scalars of bool, integer,
    float or string dtype, Tensors (saved as their data; `requires_grad` is kept), Python numbers, strings,
    None, nested at most `MAX_NESTING` levels deep. Anything else raises TypeError naming where it is (e.g.
    "checkpoint['model']['fc1.weight']"). The file gets exactly the given name (".npz" is a good suffix but
    not added for you). An OSError (missing folder, full disk, no permission) names `path`, never the
    temporary file, and leaves no temporary file behind.
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays, "obj", 0)
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree})
    arrays[HEADER_KEY] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    _sweep_stale_temporaries(path)
    try:
        fd, tmp_path = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=directory)
    except OSError as error:
        raise _naming_target(error, path) from None
    try:
        with os.fdopen(fd, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them "the" checkpoint
        os.chmod(tmp_path, _file_mode(path))
        os.replace(tmp_path, path)
    except BaseException as error:
        _remove_quietly(tmp_path)
        if isinstance(error, OSError):
            raise _naming_target(error, path) from None
        raise
    _fsync_directory(directory)


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    # Object arrays were already refused by _store, so nothing here can be pickled. (allow_pickle is not
    # passed: before NumPy 2.1 savez would store it as an array named "allow_pickle".)
    np.savez(file, **arrays)


def _temporary_prefix(path: str) -> str:
    """".<name>.<pid>.": the writer's process id in the name tells a later save whether the writer still runs."""
    return f".{os.path.basename(path)}.{os.getpid()}."


def _sweep_stale_temporaries(path: str) -> None:
    """Remove the temporary files of `path` that earlier, killed saves left behind (best effort, never fails).

    A temporary file is stale when the process named in it no longer runs, or, when that cannot be told
    (names written by older versions, or systems without process checks), when it is over a day old. The
    files of saves still running, in this process or another, are left alone.
    """
    directory = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(os.path.basename(path))}\.(?:(\d+)\.)?[a-z0-9_]+\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        candidate = os.path.join(directory, name)
        pid = int(match.group(1)) if match.group(1) else None
        running = None if pid is None else _process_is_running(pid)
        if running is None:
            try:
                running = time.time() - os.stat(candidate).st_mtime < STALE_AFTER_SECONDS
            except OSError:
                continue
        if not running:
            _remove_quietly(candidate)


def _process_is_running(pid: int) -> bool | None:
    """True if process `pid` exists (this one included), False if it does not, None where we cannot tell."""
    if pid == os.getpid():
        return True  # a save in progress in this process, maybe in another thread
    if os.name != "posix" or pid <= 0:
        return None  # on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _naming_target(error: OSError, path: str) -> OSError:
    """The same kind of OSError, naming the checkpoint the user asked for rather than our temporary file."""
    try:
        if error.errno is not None:
            return type(error)(error.errno, f"nn.save: cannot write the checkpoint ({error.strerror})", path)
        return type(error)(f"nn.save: cannot write the checkpoint {path!r}: {error}")
    except TypeError:  # an OSError subclass with another constructor
        return OSError(error.errno, f"nn.save: cannot write the checkpoint ({error})", path)


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


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str, depth: int) -> Any:
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
    if isinstance(value, (dict, list, tuple)) and depth >= MAX_NESTING:
        raise ValueError(
            f"nn.save: {where} is nested more than {MAX_NESTING} containers deep (does a container hold "
            "itself?); nn.load refuses deeper files"
        )
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"nn.save: dict keys must be str or int, got {type(k).__name__} {k!r} in {where}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]", depth + 1)])
        return {"type": "dict", "items": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {"type": kind,
                "items": [_encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]}
    raise TypeError(
        f"nn.save: cannot save {type(value).__name__} at {where}; supported are dicts, lists, tuples, arrays, "
        "Tensors, numbers, strings and None (save a model through model.state_dict())"
    )


def _store(array: np.ndarray, arrays: dict[str, np.ndarray], where: str) -> str:
    if array.dtype.kind not in _STORED_KINDS:
        raise TypeError(
            f"nn.save: cannot save an array of dtype {array.dtype} at {where}: only bool, integer, float and "
            "string arrays can be stored without pickle"
        )
    key = f"a{len(arrays)}"
    arrays[key] = array
    return key


# ---------------------------------------------------------------------- loading
def load(path: PathLike) -> Any:
    """Read back what `save` wrote. Never unpickles; a file that is not a valid checkpoint raises CheckpointError.

    Refused, with a message naming the file and the problem: pickles (torch.save, pickle.dump), zip/npz
    files not written by nn.save, compressed or encrypted members, object arrays, members whose declared
    size or array shape does not match the bytes in the file (e.g. a shape of (10**12,) in a small file),
    truncated or corrupted bytes (CRC), headers of another format or version, nested more than
    `MAX_NESTING` levels, or describing values that are not there; devices, pipes and sockets (reading a
    pipe could block forever). Nothing is allocated beyond what the file holds. A missing file raises
    FileNotFoundError and a directory IsADirectoryError, as `open` does.
    """
    path = os.fspath(path)
    mode = os.stat(path).st_mode  # FileNotFoundError for a missing file, as open() would raise
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a directory: open() raises IsADirectoryError
        raise CheckpointError(f"nn.load: {path} is not a regular file (a device, pipe or socket)")
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        _check_magic(file.read(4), path)
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                members = _checked_members(archive, path, file_size)
                entries = {name: _read_array(archive, info, path) for name, info in members.items()}
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError, TypeError,
                RuntimeError) as error:  # TypeError, RuntimeError: numpy's and zipfile's words for garbage
            raise CheckpointError(
                f"nn.load: {path} is truncated or corrupted ({type(error).__name__}: {error})"
            ) from None
    tree = _parse_header(entries.pop(HEADER_KEY), path)
    try:
        return _decode(tree, entries, 0)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise CheckpointError(f"nn.load: {path} has an inconsistent header ({type(error).__name__}: {error})") from None


def _check_magic(magic: bytes, path: str) -> None:
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


def _checked_members(archive: zipfile.ZipFile, path: str, file_size: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, after checking each one's declared sizes against the file."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if HEADER_KEY + ".npy" not in names:
        if any(name.endswith("data.pkl") for name in names):
            raise CheckpointError(
                f"nn.load: {path} is a PyTorch checkpoint (torch.save), which holds a pickle; nn.load never "
                "unpickles, because unpickling can run arbitrary code"
            )
        raise CheckpointError(f"nn.load: {path} is a zip/npz archive but was not written by nn.save (no header)")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if not name.endswith(".npy"):
            raise CheckpointError(
                f"nn.load: {path} holds a member {name!r} that is not an array; nn.save never writes one"
            )
        if name[:-4] in members:
            raise CheckpointError(f"nn.load: {path} holds the member {name!r} twice")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"nn.load: {path} holds an encrypted member {name!r}; nn.save never encrypts")
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(
                f"nn.load: {path} holds a compressed member {name!r}; nn.save never compresses, and nn.load "
                "refuses compressed checkpoints because a small compressed file can inflate to gigabytes"
            )
        if info.file_size != info.compress_size or info.header_offset + info.compress_size > file_size:
            raise CheckpointError(
                f"nn.load: {path} is truncated or corrupted: member {name!r} declares {info.file_size} bytes, "
                f"which the file of {file_size} bytes does not hold"
            )
        total += info.compress_size
        members[name[:-4]] = info
    if total > file_size:
        raise CheckpointError(
            f"nn.load: {path} is corrupted: its members declare {total} bytes in all, more than the file's "
            f"{file_size} (overlapping members)"
        )
    return members


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> np.ndarray:
    """One `.npy` member, after checking that its declared dtype and shape match the bytes it holds."""
    name = info.filename
    with archive.open(info) as member:
        version = npy_format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(member)
        else:
            raise CheckpointError(f"nn.load: {path}: member {name!r} uses .npy format version {version}")
        if dtype.hasobject:  # an object array: loading it would unpickle
            raise CheckpointError(
                f"nn.load: {path} contains pickled objects (member {name!r}); nn.load never unpickles, because "
                "unpickling can run arbitrary code"
            )
        if dtype.kind not in _STORED_KINDS or dtype.fields is not None or dtype.subdtype is not None \
                or dtype.itemsize == 0:
            raise CheckpointError(f"nn.load: {path}: member {name!r} has dtype {dtype}, which nn.save never writes")
        if len(shape) > 32 or any(not isinstance(n, int) or n < 0 for n in shape):
            raise CheckpointError(f"nn.load: {path}: member {name!r} declares an impossible shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, whatever the shape claims
        held = info.file_size - member.tell()
        if nbytes != held:
            raise CheckpointError(
                f"nn.load: {path} is corrupted: member {name!r} declares an array of shape {shape} and dtype "
                f"{dtype} ({nbytes} bytes), but holds {held} bytes of data"
            )
        buffer = bytearray(nbytes)  # at most the file's size, checked above
        view = memoryview(buffer)
        position = 0
        while position < nbytes:
            chunk = member.read(min(_READ_CHUNK, nbytes - position))
            if not chunk:
                raise EOFError(f"member {name!r} ends after {position} of {nbytes} bytes")
            view[position: position + len(chunk)] = chunk
            position += len(chunk)
        member.read(1)  # reaching the member's end makes zipfile compare its CRC
    array = np.frombuffer(buffer, dtype=dtype)  # writable: it views our bytearray
    return array.reshape(shape, order="F" if fortran_order else "C")


def _parse_header(raw_header: np.ndarray, path: str) -> Any:
    """The header's tree, after checking format and version. Deep nesting cannot exhaust the stack."""
    if raw_header.dtype != np.uint8 or raw_header.ndim != 1:
        raise CheckpointError(f"nn.load: {path} has a corrupted header")
    try:
        header = json.loads(raw_header.tobytes().decode("utf-8"))
    except RecursionError:
        raise CheckpointError(
            f"nn.load: {path} has a corrupted header: it is nested too deeply (nn.save nests at most "
            f"{MAX_NESTING} containers)"
        ) from None
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: bad JSON, or an integer of 5,000 digits
        raise CheckpointError(f"nn.load: {path} has a corrupted header ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CheckpointError(f"nn.load: {path} has a header of an unknown format")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"nn.load: {path} uses checkpoint format version {version}; this version of scratchgrad reads "
            f"version {FORMAT_VERSION}"
        )
    if "tree" not in header:
        raise CheckpointError(f"nn.load: {path} has an inconsistent header (no tree)")
    return header["tree"]


def _decode(node: Any, arrays: dict[str, np.ndarray], depth: int) -> Any:
    if not isinstance(node, dict):
        raise TypeError(f"a node must be a JSON object, got {type(node).__name__}")
    kind = node["type"]
    if kind == "value":
        value = node["value"]
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise TypeError(f"a plain value must be a number, a string or null, got {type(value).__name__}")
        return value
    if kind in ("array", "numpy_scalar", "tensor"):
        array = arrays[node["key"]]
        if kind == "array":
            return array
        if kind == "numpy_scalar":
            if array.ndim != 0:
                raise ValueError(f"the NumPy scalar {node['key']!r} has shape {array.shape}")
            return array[()]
        return Tensor(array, requires_grad=node["requires_grad"] is True)
    if kind not in ("dict", "list", "tuple"):
        raise ValueError(f"unknown node type {kind!r}")
    if depth >= MAX_NESTING:
        raise ValueError(f"containers are nested more than {MAX_NESTING} levels deep; nn.save never writes that")
    items = node["items"]
    if not isinstance(items, list):
        raise TypeError(f"the items of a {kind} must be a list, got {type(items).__name__}")
    if kind == "dict":
        decoded = {}
        for pair in items:
            if not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool) \
                    or not isinstance(pair[0], (str, int)):
                raise TypeError(f"a dict item must be a [str or int key, value] pair, got {pair!r:.80}")
            decoded[pair[0]] = _decode(pair[1], arrays, depth + 1)
        return decoded
    values = [_decode(value, arrays, depth + 1) for value in items]
    return values if kind == "list" else tuple(values)
