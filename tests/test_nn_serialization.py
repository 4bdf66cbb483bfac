"""nn.save / nn.load: round trips, atomic writes (a crash mid-save keeps the old file), refusing unsafe files."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import serialization


def checkpoint_of(model, optimizer, epoch):
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
            "metrics": {"loss": [2.3, 1.1, float("nan")], "best": np.float32(0.5), "note": "ok"}}


def test_round_trip_of_nested_values(tmp_path):
    obj = {
        "array": np.arange(6, dtype=np.int16).reshape(2, 3),
        "bools": np.array([True, False]),
        "strings": np.array(["a", "bc"]),
        "scalar": np.float64(1.5),
        "tensor": Tensor(np.ones(3, dtype=np.float32), requires_grad=True),
        "plain": {"int": 3, "float": -0.25, "bool": True, "none": None, "str": "résumé", "inf": float("inf")},
        "list": [1, [2.0, "x"], (3, 4)],
        7: "int key",
        "empty": {},
    }
    path = tmp_path / "obj.npz"
    nn.save(obj, path)
    loaded = nn.load(path)
    assert set(loaded) == set(obj)
    np.testing.assert_array_equal(loaded["array"], obj["array"])
    assert loaded["array"].dtype == np.int16
    np.testing.assert_array_equal(loaded["bools"], obj["bools"])
    np.testing.assert_array_equal(loaded["strings"], obj["strings"])
    assert loaded["scalar"] == 1.5 and isinstance(loaded["scalar"], np.float64)
    assert isinstance(loaded["tensor"], Tensor) and loaded["tensor"].requires_grad
    assert loaded["tensor"].dtype == np.float32
    assert loaded["plain"] == obj["plain"]
    assert loaded["list"] == [1, [2.0, "x"], (3, 4)] and isinstance(loaded["list"][2], tuple)
    assert loaded[7] == "int key" and loaded["empty"] == {}


def test_model_and_optimizer_checkpoint_resumes(tmp_path):
    autograd.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x, t = autograd.randn(8, 3), np.arange(8) % 2
    for _ in range(3):
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x), t).backward()
        optimizer.step()
    nn.save(checkpoint_of(model, optimizer, epoch=3), tmp_path / "ckpt.npz")

    checkpoint = nn.load(tmp_path / "ckpt.npz")
    restored = nn.MLP([3, 4, 2])
    restored.load_state_dict(checkpoint["model"])
    restored_opt = nn.optim.Adam(restored.parameters(), lr=0.01)
    restored_opt.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["epoch"] == 3 and checkpoint["metrics"]["note"] == "ok"
    assert np.isnan(checkpoint["metrics"]["loss"][2])
    for m, opt in ((model, optimizer), (restored, restored_opt)):
        opt.zero_grad()
        nn.CrossEntropyLoss()(m(x), t).backward()
        opt.step()
    for p, q in zip(model.parameters(), restored.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_the_file_is_an_npz_with_a_versioned_header_and_no_pickles(tmp_path):
    path = tmp_path / "weights"  # no suffix is added
    nn.save({"w": np.ones(2)}, path)
    assert os.listdir(tmp_path) == ["weights"]
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["__scratchgrad__"].tobytes())
        assert header["format"] == "scratchgrad" and header["version"] == serialization.FORMAT_VERSION
        np.testing.assert_array_equal(archive["a0"], np.ones(2))


def test_unsupported_values_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save builtin_function_or_method at obj\['model'\]\['f'\]"):
        nn.save({"model": {"f": print}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        nn.save({"a": np.array([{}, 1], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        nn.save({(1, 2): 3}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="model.state_dict"):
        nn.save(nn.Linear(1, 1), tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left behind


# ---------------------------------------------------------------------- atomicity
def test_a_crash_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1, "w": np.zeros(3)}, path)

    def crash_midway(file, arrays):
        file.write(b"PK\x03\x04 half of an archive")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization, "_write_npz", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"epoch": 2, "w": np.ones(3)}, path)
    monkeypatch.undo()
    assert nn.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the partial temporary file was removed


def test_a_crash_before_the_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1}, path)

    def killed(*args):
        raise OSError("killed before rename")

    monkeypatch.setattr(serialization.os, "replace", killed)
    with pytest.raises(OSError, match="killed before rename"):
        nn.save({"epoch": 2}, path)
    monkeypatch.undo()
    assert nn.load(path)["epoch"] == 1


def test_a_killed_process_leaves_only_a_temporary_file_beside_the_intact_checkpoint(tmp_path, monkeypatch):
    """A hard kill cannot run cleanup: the half-written file then stays, under a hidden temporary name."""
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1}, path)
    monkeypatch.setattr(serialization.os, "remove", lambda p: None)  # a killed process removes nothing
    monkeypatch.setattr(serialization, "_write_npz", lambda file, arrays: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        nn.save({"epoch": 2}, path)
    monkeypatch.undo()
    leftovers = sorted(os.listdir(tmp_path))
    assert leftovers[1] == "ckpt.npz" and leftovers[0].startswith(".ckpt.npz.") and leftovers[0].endswith(".tmp")
    assert nn.load(path)["epoch"] == 1


def test_overwriting_keeps_the_file_mode(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"a": 1}, path)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    nn.save({"a": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o600 and nn.load(path) == {"a": 2}


# ---------------------------------------------------------------------- refusing unsafe or broken files
class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_pickle_is_refused_without_being_unpickled(tmp_path, monkeypatch):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"model": Exploit()}))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("nn.load unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("nn.load unpickled"))
    with pytest.raises(nn.CheckpointError, match="is a Python pickle.*never unpickles"):
        nn.load(path)


def test_an_npz_with_pickled_object_arrays_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, __scratchgrad__=np.frombuffer(b"{}", dtype=np.uint8), a0=np.array([Exploit()], dtype=object))
    with pytest.raises(nn.CheckpointError, match="contains pickled objects"):
        nn.load(path)


def test_a_pytorch_checkpoint_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(nn.CheckpointError, match="PyTorch checkpoint"):
        nn.load(path)


def test_truncated_and_corrupted_files_get_clear_errors(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": np.arange(1000.0), "epoch": 4}, path)
    data = path.read_bytes()

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.CheckpointError, match="truncated or corrupted"):
        nn.load(truncated)

    corrupted = tmp_path / "corrupted.npz"
    flipped = bytearray(data)
    flipped[200] ^= 0xFF  # inside the first array's bytes: the zip CRC check fails
    corrupted.write_bytes(bytes(flipped))
    with pytest.raises(nn.CheckpointError, match="truncated or corrupted"):
        nn.load(corrupted)

    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(nn.CheckpointError, match="it is empty"):
        nn.load(empty)

    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(nn.CheckpointError, match="not a checkpoint written by nn.save"):
        nn.load(text)


def test_foreign_npz_and_wrong_versions_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(2))
    with pytest.raises(nn.CheckpointError, match="not written by nn.save"):
        nn.load(plain)

    def with_header(name, header):
        path = tmp_path / name
        np.savez(path, __scratchgrad__=np.frombuffer(header.encode(), dtype=np.uint8))
        return path

    future = with_header("future.npz", json.dumps({"format": "scratchgrad", "version": 99, "tree": None}))
    with pytest.raises(nn.CheckpointError, match="format version 99.*reads version 1"):
        nn.load(future)
    with pytest.raises(nn.CheckpointError, match="corrupted header"):
        nn.load(with_header("garbage.npz", "{not json"))
    with pytest.raises(nn.CheckpointError, match="unknown format"):
        nn.load(with_header("other.npz", json.dumps({"format": "other"})))
    dangling = json.dumps({"format": "scratchgrad", "version": 1, "tree": {"type": "array", "key": "a5"}})
    with pytest.raises(nn.CheckpointError, match="inconsistent header"):
        nn.load(with_header("dangling.npz", dangling))
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(2))
    with pytest.raises(nn.CheckpointError, match="not a zip/npz archive"):
        nn.load(npy)


def test_saving_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.save({"a": 1}, tmp_path / "missing" / "ckpt.npz")
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.npz")


def test_zip_of_the_npz_is_valid(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": np.ones((2, 2))}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["__scratchgrad__.npy", "a0.npy"]
