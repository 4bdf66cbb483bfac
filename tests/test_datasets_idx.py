"""nn.datasets.idx: the IDX format on tiny hand-made files, well-formed and malformed."""

import gzip
import hashlib
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn.datasets.idx import IdxFormatError, idx_bytes, idx_sha256, parse_idx, read_idx, write_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def test_a_hand_written_label_file():
    # magic 0x00000801 (unsigned byte, 1 dimension), 3 items, then the labels 7, 2, 1
    data = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    labels = parse_idx(data)
    assert labels.dtype == np.uint8 and labels.tolist() == [7, 2, 1]
    assert idx_bytes(labels) == data


def test_a_hand_written_image_file_is_row_major():
    # 0x00000803: unsigned byte, 3 dimensions: 2 images of 2 rows x 3 columns
    data = struct.pack(">HBBIII", 0, 8, 3, 2, 2, 3) + bytes(range(12))
    images = parse_idx(data)
    assert images.shape == (2, 2, 3)
    assert images[1, 0].tolist() == [6, 7, 8]


def test_big_endian_multibyte_values():
    data = struct.pack(">HBBI", 0, 0x0B, 1, 2) + struct.pack(">hh", -2, 258)
    values = parse_idx(data)
    assert values.dtype == np.int16 and values.dtype.isnative and values.tolist() == [-2, 258]
    values[0] = 5  # a writable copy, not a view of the file's bytes


@given(dtype=st.sampled_from(IDX_DTYPES), data=st.data())
def test_round_trip_through_files_plain_and_gzip(tmp_path_factory, dtype, data):
    array = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4)))
    folder = tmp_path_factory.mktemp("idx")
    for name in ("a-idx-ubyte", "a-idx-ubyte.gz"):
        back = read_idx(write_idx(folder / name, array))
        assert back.dtype == array.dtype and back.shape == array.shape
        np.testing.assert_array_equal(back, array)
    assert idx_sha256(array) == hashlib.sha256(idx_bytes(array)).hexdigest()


def test_gzip_is_detected_from_content_not_name(tmp_path):
    path = tmp_path / "labels-without-gz-suffix"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 4, 5])))
    assert read_idx(path).tolist() == [4, 5]


@pytest.mark.parametrize("data, message", [
    (b"", "too short for the 4-byte IDX magic"),
    (b"\x00\x00\x08", "too short"),
    (bytes([1, 0, 8, 1, 0, 0, 0, 1, 9]), "bad magic number 0x01000801"),
    (bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 9]), "unknown element type code 0x0A"),
    (bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]), "declares 3 dimensions but the file ends after 10 bytes"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3]), r"truncated: shape \(4,\) of uint8 needs 12 bytes, the file has 11"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]), "has trailing bytes"),
    (struct.pack(">HBBI", 0, 0x0D, 1, 2) + b"\x00" * 7, "truncated: shape \\(2,\\) of float32 needs 16 bytes"),
])
def test_malformed_files_are_refused_with_the_reason(tmp_path, data, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(IdxFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_is_reported(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(IdxFormatError, match="corrupt or truncated gzip"):
        read_idx(path)


def test_unsupported_dtypes_cannot_be_written():
    with pytest.raises(IdxFormatError, match="dtype int64 has no IDX type code"):
        idx_bytes(np.arange(3))
