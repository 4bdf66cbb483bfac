"""nn.datasets.cache and .download: data directory, atomic writes, verified downloads, pip wheels.

No test touches the network: downloads go through fake openers, pip through a fake runner.
"""

import hashlib
import io
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest

from nn.datasets import download
from nn.datasets.cache import atomic_write, data_dir, load_npz, progress, save_npz, sha256_file
from nn.datasets.download import ChecksumError, DownloadError, download_from_mirrors, fetch_wheel

PAYLOAD = b"the published bytes " * 1000
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class FakeResponse(io.BytesIO):
    def __init__(self, data, length=True):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))} if length else {}


class FakeOpener:
    """Serves `files` (URL -> bytes); other URLs fail like an unreachable host. Records the calls."""

    def __init__(self, files):
        self.files = files
        self.calls = []

    def __call__(self, url, timeout):
        self.calls.append(url)
        if url not in self.files:
            raise OSError(f"unreachable: {url}")
        return FakeResponse(self.files[url])


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".part"))


# ---------------------------------------------------------------------------------------------- cache
def test_data_dir_explicit_then_environment_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRATCHGRAD_DATA", str(tmp_path / "env"))
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert data_dir() == tmp_path / "env"
    monkeypatch.delenv("SCRATCHGRAD_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".cache" / "scratchgrad"
    assert not (tmp_path / "home").exists()
    assert data_dir(create=True).is_dir()


def test_atomic_write_renames_on_success_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    with atomic_write(target) as handle:
        handle.write(b"new")
        assert not target.exists()  # invisible until complete
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"new"  # the complete older file survives
    assert leftovers(target.parent) == []


def test_concurrent_writers_never_produce_a_mixed_file(tmp_path):
    target = tmp_path / "shared.bin"
    both_writing = threading.Barrier(2, timeout=10)
    errors = []

    def writer(byte):
        try:
            with atomic_write(target) as handle:
                handle.write(byte * 5000)
                both_writing.wait()  # both temporary files are open and half written at the same moment
                handle.write(byte * 5000)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(b,)) for b in (b"a", b"b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_bytes() in (b"a" * 10000, b"b" * 10000)
    assert leftovers(tmp_path) == []


def test_npz_round_trip_and_refusals(tmp_path):
    path = save_npz(tmp_path / "c.npz", a=np.arange(5, dtype=np.uint8), b=np.ones((2, 2)))
    out = load_npz(path, ("a", "b"))
    assert out["a"].dtype == np.uint8 and out["a"].tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match=r"lacks the arrays \['c'\]"):
        load_npz(path, ("a", "c"))
    with pytest.raises(TypeError, match="dtype object"):
        save_npz(tmp_path / "o.npz", o=np.array([None]))


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(PAYLOAD)
    assert sha256_file(path, chunk_size=7) == PAYLOAD_SHA


def test_progress_works_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm...` raise ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with progress(10, "x") as bar:
        bar.update(3)
    assert type(bar).__name__ == "_NoBar"


def test_progress_is_quiet_off_a_terminal(capsys):
    pytest.importorskip("tqdm")
    with progress(100, "quiet") as bar:
        bar.update(100)
    assert capsys.readouterr().err == ""  # pytest captures stderr: not a TTY


# ---------------------------------------------------------------------------------------------- download
def test_download_verifies_and_writes(tmp_path):
    opener = FakeOpener({"https://a.example/f.gz": PAYLOAD})
    path = download.download("https://a.example/f.gz", tmp_path / "f.gz", PAYLOAD_SHA, opener=opener)
    assert path.read_bytes() == PAYLOAD
    # a second call finds the verified file and does not download again
    download.download("https://a.example/f.gz", tmp_path / "f.gz", PAYLOAD_SHA.upper(), opener=opener)
    assert len(opener.calls) == 1


def test_checksum_mismatch_deletes_the_file_and_raises(tmp_path):
    opener = FakeOpener({"https://a.example/f.gz": PAYLOAD[:-1]})  # one byte short
    with pytest.raises(ChecksumError, match=f"expected {PAYLOAD_SHA}; the file was deleted"):
        download.download("https://a.example/f.gz", tmp_path / "f.gz", PAYLOAD_SHA, opener=opener)
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_existing_file_is_replaced(tmp_path):
    (tmp_path / "f.gz").write_bytes(PAYLOAD[:100])  # an interrupted earlier download
    opener = FakeOpener({"https://a.example/f.gz": PAYLOAD})
    download.download("https://a.example/f.gz", tmp_path / "f.gz", PAYLOAD_SHA, opener=opener)
    assert sha256_file(tmp_path / "f.gz") == PAYLOAD_SHA and opener.calls == ["https://a.example/f.gz"]


def test_default_opener_is_looked_up_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "urlopen", FakeOpener({"https://a.example/f": PAYLOAD}))
    download.download("https://a.example/f", tmp_path / "f", PAYLOAD_SHA)
    assert (tmp_path / "f").read_bytes() == PAYLOAD


def test_mirrors_are_tried_in_order(tmp_path):
    opener = FakeOpener({"https://b.example/f.gz": PAYLOAD, "https://c.example/f.gz": b"wrong"})
    path, used = download_from_mirrors(["https://c.example/", "https://a.example/", "https://b.example/"], "f.gz",
                                       tmp_path / "f.gz", PAYLOAD_SHA, opener=opener)
    assert used == "https://b.example/" and path.read_bytes() == PAYLOAD
    assert len(opener.calls) == 3


def test_all_mirrors_failing_lists_each_reason(tmp_path):
    opener = FakeOpener({"https://c.example/f.gz": b"wrong"})
    with pytest.raises(DownloadError) as info:
        download_from_mirrors(["https://a.example/", "https://c.example/"], "f.gz", tmp_path / "f.gz", PAYLOAD_SHA,
                              opener=opener)
    message = str(info.value)
    assert "https://a.example/f.gz: OSError: unreachable" in message
    assert "https://c.example/f.gz: ChecksumError" in message
    assert list(tmp_path.iterdir()) == []


def test_download_without_content_length(tmp_path):
    def opener(url, timeout):
        return FakeResponse(PAYLOAD, length=False)

    assert download.download("u", tmp_path / "f", PAYLOAD_SHA, opener=opener).read_bytes() == PAYLOAD


# ---------------------------------------------------------------------------------------------- pip wheels
class FakePip:
    """Plays `pip download`: checks the command line, then drops `wheel_bytes` into --dest."""

    def __init__(self, wheel_bytes, returncode=0, name="demo_pkg-1.0-py3-none-any.whl"):
        self.wheel_bytes, self.returncode, self.name = wheel_bytes, returncode, name
        self.commands = []

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        if self.returncode == 0:
            dest = Path(command[command.index("--dest") + 1])
            (dest / self.name).write_bytes(self.wheel_bytes)
        return types.SimpleNamespace(returncode=self.returncode, stdout="", stderr="ERROR: no such version")


def test_fetch_wheel_asks_pip_for_a_pinned_hash_without_installing(tmp_path):
    pip = FakePip(PAYLOAD)
    wheel = fetch_wheel("demo-pkg==1.0", PAYLOAD_SHA, tmp_path, runner=pip)
    assert wheel.read_bytes() == PAYLOAD
    (command,) = pip.commands
    assert command[:4] == [sys.executable, "-m", "pip", "download"]
    assert {"--no-deps", "--require-hashes", "--only-binary=:all:"} <= set(command)
    assert "install" not in command
    requirements = Path(command[command.index("-r") + 1]).read_text()
    assert requirements == f"demo-pkg==1.0 --hash=sha256:{PAYLOAD_SHA}\n"


def test_fetch_wheel_keeps_pip_output_out_of_sight(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # also on a terminal
    pip = FakePip(PAYLOAD)
    calls = []

    def runner(command, **kwargs):
        calls.append(kwargs)
        return pip(command, **kwargs)

    fetch_wheel("demo-pkg==1.0", PAYLOAD_SHA, tmp_path, runner=runner)
    assert calls == [{"capture_output": True, "text": True, "check": False}]
    assert "--progress-bar" in pip.commands[0] and "off" in pip.commands[0]


def test_fetch_wheel_reports_pip_failure(tmp_path):
    with pytest.raises(DownloadError, match=r"pip download demo-pkg==1.0` failed \(exit 1\)"):
        fetch_wheel("demo-pkg==1.0", PAYLOAD_SHA, tmp_path, runner=FakePip(PAYLOAD, returncode=1))


def test_fetch_wheel_checks_the_hash_itself(tmp_path):
    with pytest.raises(ChecksumError, match="was deleted"):
        fetch_wheel("demo-pkg==1.0", PAYLOAD_SHA, tmp_path, runner=FakePip(b"tampered"))
    assert list(tmp_path.glob("*.whl")) == []


def test_fetch_wheel_needs_exactly_one_wheel(tmp_path):
    with pytest.raises(DownloadError, match="expected one demo_pkg"):
        fetch_wheel("demo-pkg==1.0", PAYLOAD_SHA, tmp_path, runner=FakePip(PAYLOAD, name="other-1.0.whl"))

