"""The IDX file format of MNIST and Fashion-MNIST: a tiny header, then a big-endian array.

Layout (http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS"):

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4*d bytes   each dimension's size, big-endian uint32
    the rest    the elements, C order, big-endian

`read_idx` checks every field and the exact length (a truncated download or a stray byte is an error, not a
quietly shorter array), and reads gzip-compressed files transparently. `idx_bytes` is the inverse; its
output is what published "uncompressed SHA-256" checksums are computed over.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from nn.datasets.cache import PathLike

# IDX type code -> big-endian NumPy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IdxFormatError(ValueError):
    """The bytes are not a well-formed IDX file; the message says which field is wrong."""


def _decompress(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError; truncation is EOFError
        raise IdxFormatError(f"read_idx: {name}: corrupt or truncated gzip data ({error})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes (gzip-compressed or not) into a native-endian, writable array."""
    if data[:2] == _GZIP_MAGIC:
        data = _decompress(data, name)
    if len(data) < 4:
        raise IdxFormatError(f"read_idx: {name}: {len(data)} bytes is too short for the 4-byte IDX magic number")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise IdxFormatError(f"read_idx: {name}: bad magic number 0x{data[:4].hex()} "
                             "(IDX files start with two zero bytes)")
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise IdxFormatError(f"read_idx: {name}: unknown element type code 0x{type_code:02X} (expected one of {known})")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(f"read_idx: {name}: header declares {ndim} dimensions but the file ends after "
                             f"{len(data)} bytes (needs {header_size})")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_DTYPES[type_code]
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise IdxFormatError(f"read_idx: {name}: {problem}: shape {shape} of {dtype.newbyteorder('=')} needs "
                             f"{expected} bytes, the file has {len(data)}")
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-endian, writable copy


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (`.gz` or not: detected from the content, not the name) into an array."""
    path = Path(path)
    return parse_idx(path.read_bytes(), name=str(path))


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header (magic number and dimensions) for `array`."""
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    dtype = array.dtype.newbyteorder("=")
    if dtype not in codes:
        raise IdxFormatError(f"idx_header: dtype {array.dtype} has no IDX type code "
                             "(uint8, int8, int16, int32, float32, float64 do)")
    if array.ndim > 255:
        raise IdxFormatError(f"idx_header: {array.ndim} dimensions do not fit the one-byte IDX field")
    return struct.pack(f">HBB{array.ndim}I", 0, codes[dtype], array.ndim, *array.shape)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode `array` as an (uncompressed) IDX file."""
    array = np.asarray(array)
    header = idx_header(array)
    return header + np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).tobytes()


def idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of `idx_bytes(array)` without building that copy: the checksum of the uncompressed IDX file.

    Published checksums of the uncompressed MNIST files let us verify arrays from any source (IDX, CSV in a
    wheel, our own .npz cache) against one reference.
    """
    array = np.asarray(array)
    digest = hashlib.sha256(idx_header(array))
    big_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">"))
    digest.update(big_endian)  # hashlib reads the contiguous buffer directly
    return digest.hexdigest()


def write_idx(path: PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write `array` as an IDX file; gzip it when `compress` is true (default: when the name ends in .gz)."""
    path = Path(path)
    data = idx_bytes(array)
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path
