"""nn.datasets.cifar: the CIFAR-10 binary format on small synthetic files in the exact layout.

Real batches hold 10,000 records each; these hold 10 (one per class), with RECORDS_PER_FILE patched to
match, so the same checks run. Downloads go through a fake opener.
"""

import hashlib
import io
import tarfile

import numpy as np
import pytest

from nn.data import DataLoader
from nn.datasets import cifar
from nn.datasets.cifar import CIFAR10, load_arrays, load_cifar10, parse_batch, read_archive
from nn.datasets.sources import DatasetNotFoundError, VerificationError

NAMES = cifar.TRAIN_FILES + cifar.TEST_FILES


@pytest.fixture(autouse=True)
def small_files(monkeypatch):  # the network is refused by tests/conftest.py
    monkeypatch.setattr(cifar, "RECORDS_PER_FILE", 10)


def make_batches(seed=0):
    """name -> (images (10, 3, 32, 32), labels (10,)) with one image of each class per file, shuffled."""
    rng = np.random.default_rng(seed)
    return {name: (rng.integers(0, 256, (10, 3, 32, 32), dtype=np.uint8), rng.permutation(10).astype(np.uint8))
            for name in NAMES}


def batch_bytes(images, labels):
    # each record: the label byte, then the red, green and blue 32x32 planes, row by row
    return b"".join(bytes([label]) + image.tobytes() for image, label in zip(images, labels, strict=True))


def write_folder(folder, batches):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in batches.items():
        (folder / name).write_bytes(batch_bytes(images, labels))
    (folder / "batches.meta.txt").write_text("\n".join(cifar.CLASSES) + "\n")


def archive_bytes(batches):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, (images, labels) in batches.items():
            data = batch_bytes(images, labels)
            info = tarfile.TarInfo(f"{cifar.FOLDER}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def expected(batches):
    return {"train_images": np.concatenate([batches[n][0] for n in cifar.TRAIN_FILES]),
            "train_labels": np.concatenate([batches[n][1] for n in cifar.TRAIN_FILES]),
            "test_images": batches["test_batch.bin"][0], "test_labels": batches["test_batch.bin"][1]}


def assert_same(got, want):
    for key in cifar.KEYS:
        np.testing.assert_array_equal(got[key], want[key])


# ---------------------------------------------------------------------------------------------- the format
def test_one_hand_made_record_is_laid_out_channel_by_channel():
    planes = np.zeros((3, 32, 32), np.uint8)
    planes[0], planes[1], planes[2] = 10, 20, 30
    record = bytearray(bytes([7]) + planes.tobytes())
    record[1 + 1024 + 32 * 1 + 2] = 99  # green plane, row 1, column 2
    images, labels = parse_batch(bytes(record))
    assert labels.tolist() == [7] and images.shape == (1, 3, 32, 32)
    assert images[0, 1, 1, 2] == 99 and images[0, 0, 1, 2] == 10 and images[0, 2, 31, 31] == 30


@pytest.mark.parametrize("data, message", [
    (b"", "0 bytes is not a whole number of 3073-byte records"),
    (b"\x01" * 3072, "3072 bytes is not a whole number"),
    (bytes([10]) + b"\x00" * 3072, "label 10 found, labels must be 0..9"),
])
def test_malformed_batches(data, message):
    with pytest.raises(VerificationError, match=message):
        parse_batch(data, "x.bin")


# ---------------------------------------------------------------------------------------------- sources
def test_extracted_folder_then_cache(tmp_path):
    batches = make_batches()
    write_folder(tmp_path / cifar.FOLDER, batches)
    got, source = load_arrays(tmp_path)
    assert source == f"batch files in {tmp_path / cifar.FOLDER}"
    assert_same(got, expected(batches))
    assert got["train_images"].shape == (50, 3, 32, 32)
    assert load_arrays(tmp_path)[1] == f"cache {tmp_path / 'cifar10.npz'}"


def test_archive_is_read_without_extracting(tmp_path, monkeypatch):
    batches = make_batches()
    data = archive_bytes(batches)
    (tmp_path / cifar.ARCHIVE).write_bytes(data)
    monkeypatch.setattr(cifar, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    got, source = load_arrays(tmp_path)
    assert source == f"archive {tmp_path / cifar.ARCHIVE}"
    assert_same(got, expected(batches))
    assert sorted(p.name for p in tmp_path.iterdir()) == [cifar.ARCHIVE, "cifar10.npz"]


def test_archive_with_the_wrong_checksum_is_refused_with_instructions(tmp_path):
    (tmp_path / cifar.ARCHIVE).write_bytes(archive_bytes(make_batches()))
    with pytest.raises(DatasetNotFoundError) as info:
        load_arrays(tmp_path, download=False)
    message = str(info.value)
    assert f"archive {tmp_path / cifar.ARCHIVE}: ChecksumError" in message
    assert cifar.ARCHIVE_URL in message and cifar.ARCHIVE_SHA256 in message
    assert "No offline source of CIFAR-10 exists here" in message


def test_download_verifies_the_archive_and_replaces_a_corrupt_one(tmp_path, monkeypatch, capsys):
    batches = make_batches()
    data = archive_bytes(batches)
    monkeypatch.setattr(cifar, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    (tmp_path / cifar.ARCHIVE).write_bytes(data[:1000])  # an interrupted earlier download
    calls = []

    def opener(url, timeout):
        calls.append(url)
        return io.BytesIO(data)

    got, source = load_arrays(tmp_path, opener=opener)
    assert calls == [cifar.ARCHIVE_URL] and source == f"download from {cifar.ARCHIVE_URL}"
    assert_same(got, expected(batches))
    assert (tmp_path / cifar.ARCHIVE).read_bytes() == data
    before, after = capsys.readouterr().err.splitlines()  # where it comes from, then what was verified
    assert before.startswith(f"CIFAR-10: not in {tmp_path}; downloading {cifar.ARCHIVE_URL}")
    assert after.startswith("CIFAR-10: verified") and after.endswith(f"cached in {tmp_path / 'cifar10.npz'}")


def test_a_tampered_download_is_deleted(tmp_path):
    def opener(url, timeout):
        return io.BytesIO(archive_bytes(make_batches()))  # well-formed, but not the published file

    with pytest.raises(DatasetNotFoundError, match="ChecksumError"):
        load_arrays(tmp_path, opener=opener)
    assert not (tmp_path / cifar.ARCHIVE).exists()


def test_truncated_archive_is_reported(tmp_path):
    data = archive_bytes(make_batches())
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VerificationError, match="corrupt or truncated archive"):
        read_archive(path)


def test_corrupted_archive_data_is_reported(tmp_path):
    data = bytearray(archive_bytes(make_batches()))
    for offset in range(20, 84):  # the start of the deflate stream
        data[offset] ^= 0x5A
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="corrupt or truncated archive"):
        read_archive(path)


def test_incomplete_and_unbalanced_folders(tmp_path):
    batches = make_batches()
    write_folder(tmp_path / cifar.FOLDER, batches)
    (tmp_path / cifar.FOLDER / "data_batch_3.bin").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"incomplete: \['data_batch_3.bin'\] missing"):
        load_arrays(tmp_path, download=False)
    images, labels = batches["test_batch.bin"]
    batches["test_batch.bin"] = (images, np.zeros(10, np.uint8))  # every test image labelled airplane
    write_folder(tmp_path / cifar.FOLDER, batches)
    with pytest.raises(DatasetNotFoundError, match=r"class counts \[10, 0, 0"):
        load_arrays(tmp_path, download=False)
    assert load_arrays(tmp_path, download=False, verify=False)[0]["test_labels"].tolist() == [0] * 10


# ---------------------------------------------------------------------------------------------- public API
def test_load_cifar10_and_the_dataset(tmp_path):
    batches = make_batches()
    write_folder(tmp_path / cifar.FOLDER, batches)
    (x, t), (x_test, t_test) = load_cifar10(tmp_path)
    assert x.shape == (50, 3, 32, 32) and x.dtype == np.float32 and t.dtype == np.int64
    np.testing.assert_allclose(x[0], batches["data_batch_1.bin"][0][0] / 255.0, rtol=1e-6)
    (x, t), _ = load_cifar10(tmp_path, flatten=True, one_hot_label=True, normalize=False)
    assert x.shape == (50, 3072) and x.dtype == np.uint8 and t.shape == (50, 10)
    ds = CIFAR10(tmp_path, train=False)
    assert len(ds) == 10 and ds.classes[3] == "cat"
    xb, tb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 3, 32, 32) and tb.dtype == np.int64
