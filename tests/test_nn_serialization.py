"""nn.save / nn.load: round trips, atomic writes (a crash mid-save keeps the old file), refusing unsafe files."""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Tensor
from nn import serialization

REPO_ROOT = Path(__file__).resolve().parents[1]


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


# ---------------------------------------------------------------------- hostile files: nothing large is allocated
def npy_bytes(array=None, *, descr=None, shape=None, data=None, raw_header=None):
    """The bytes of a .npy member; descr/shape/data override what the header declares and what follows it,
    raw_header replaces the header's text altogether."""
    buffer = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        return buffer.getvalue()
    if raw_header is not None:
        text = raw_header.encode() + b" " * (-(len(raw_header) + 11) % 64) + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def header_bytes(tree, version=1):
    text = json.dumps({"format": "scratchgrad", "version": version, "tree": tree})
    return npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))


ARRAY_TREE = {"type": "array", "key": "a0"}


def raw_zip(path, members):
    """Write a zip by hand, so each central-directory field can lie: members are dicts with "name" and "data",
    and optionally "method" (compression), "flags", "size" (declared size) and "same_as" (reuse the local
    header of an earlier member: overlapping entries)."""
    out, central, offsets = bytearray(), bytearray(), {}
    for m in members:
        name, data = m["name"].encode(), m["data"]
        crc = zlib.crc32(data)
        if "same_as" in m:
            offset = offsets[m["same_as"]]
        else:
            offset = offsets[m["name"]] = len(out)
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.get("flags", 0), m.get("method", 0), 0, 33,
                               crc, len(data), len(data), len(name), 0) + name + data
        size = m.get("size", len(data))
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.get("flags", 0), m.get("method", 0), 0,
                               33, crc, size, size, len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def load_refused(path, match):
    """nn.load(path) raises CheckpointError matching `match` and naming the file, and allocates < 4 MiB."""
    tracemalloc.start()
    try:
        with pytest.raises(nn.CheckpointError, match=match) as info:
            nn.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 4 * 2**20, f"nn.load allocated {peak} bytes on a hostile file"
    return str(info.value)


def test_a_compressed_member_is_refused_before_inflating(tmp_path):
    """The zip bomb: 128 MiB of zeros compress to about 130 KB; nn.load must not inflate them."""
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, __scratchgrad__=np.frombuffer(json.dumps(
        {"format": "scratchgrad", "version": 1, "tree": ARRAY_TREE}).encode(), dtype=np.uint8),
        a0=np.zeros(2**24))
    assert path.stat().st_size < 2**20
    load_refused(path, "compressed member .*nn.save never compresses")


def test_a_declared_shape_larger_than_the_file_is_refused_without_memory_error(tmp_path):
    path = raw_zip(tmp_path / "huge.npz", [
        {"name": "__scratchgrad__.npy", "data": header_bytes(ARRAY_TREE)},
        {"name": "a0.npy", "data": npy_bytes(descr="<f8", shape=(10**12,), data=b"\0" * 64)},
    ])
    message = load_refused(path, r"member 'a0.npy' declares an array of shape \(1000000000000,\)")
    assert "holds 64 bytes" in message


@pytest.mark.parametrize("case, member, match", [
    ("negative shape", {"descr": "<f8", "shape": (-1,), "data": b""}, "impossible shape"),
    ("too many axes", {"descr": "<f8", "shape": (1,) * 40, "data": b"\0" * 8}, "impossible shape"),
    ("overflowing product", {"descr": "<f8", "shape": (2**40, 2**40), "data": b""}, "declares an array"),
    ("object dtype", {"descr": "|O", "shape": (1,), "data": b"\0" * 8}, "contains pickled objects"),
    ("structured dtype", {"descr": [("a", "<f8")], "shape": (1,), "data": b"\0" * 8}, "nn.save never writes"),
    ("void dtype", {"descr": "|V8", "shape": (1,), "data": b"\0" * 8}, "nn.save never writes"),
    ("empty strings", {"descr": "<U0", "shape": (10**9,), "data": b""}, "nn.save never writes"),
    ("datetime", {"descr": "<M8[s]", "shape": (1,), "data": b"\0" * 8}, "nn.save never writes"),
    ("unhashable dtype", {"raw_header": "{'descr': {{}}, 'fortran_order': False, 'shape': ()}",
                          "data": b"\0" * 8}, "truncated or corrupted"),  # numpy raises TypeError here
    ("nested shape", {"descr": "<f8", "shape": ((((1,),),),), "data": b"\0" * 8}, "truncated or corrupted"),
])
def test_impossible_members_are_refused(tmp_path, case, member, match):
    path = raw_zip(tmp_path / "member.npz", [
        {"name": "__scratchgrad__.npy", "data": header_bytes(ARRAY_TREE)},
        {"name": "a0.npy", "data": npy_bytes(**member)},
    ])
    load_refused(path, match)


def test_members_whose_zip_entries_lie_are_refused(tmp_path):
    header = {"name": "__scratchgrad__.npy", "data": header_bytes(ARRAY_TREE)}
    real = {"name": "a0.npy", "data": npy_bytes(np.zeros(1000))}
    cases = {
        "bigger": ([header, {**real, "size": 10**9}], "declares 1000000000 bytes, which the file"),
        "overlap": ([header, real] + [{"name": f"a{i}.npy", "data": real["data"], "same_as": "a0.npy"}
                                      for i in range(1, 5)], "overlapping members"),
        "encrypted": ([header, {**real, "flags": 1}], "encrypted member"),
        "deflate": ([header, {**real, "method": 8}], "compressed member"),
        "twice": ([header, real, real], "member 'a0.npy' twice"),
        "not npy": ([header, real, {"name": "notes.txt", "data": b"hi"}], "'notes.txt' that is not an array"),
    }
    for name, (members, match) in cases.items():
        load_refused(raw_zip(tmp_path / f"{name}.npz", members), match)


def test_header_nesting_is_bounded(tmp_path):
    deep_json = tmp_path / "deep_json.npz"
    text = '{"format": "scratchgrad", "version": 1, "tree": ' + "[" * 100_000 + "]" * 100_000 + "}"
    raw_zip(deep_json, [{"name": "__scratchgrad__.npy",
                         "data": npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))}])
    load_refused(deep_json, "nested too deeply")

    tree = {"type": "value", "value": 1}
    for _ in range(150):  # within json's recursion limit, beyond ours
        tree = {"type": "list", "items": [tree]}
    deep_tree = raw_zip(tmp_path / "deep_tree.npz", [{"name": "__scratchgrad__.npy", "data": header_bytes(tree)}])
    load_refused(deep_tree, "nested more than 100 levels")


@pytest.mark.parametrize("tree, match", [
    ({"type": "numpy_scalar", "key": "a0"}, "NumPy scalar 'a0' has shape"),
    ({"type": "dict", "items": [[["a"], {"type": "value", "value": 1}]]}, "dict item must be"),
    ({"type": "dict", "items": {"a": 1}}, "items of a dict must be a list"),
    ({"type": "value", "value": {"x": 1}}, "plain value must be"),
    ({"type": "tensor", "key": "a1", "requires_grad": True}, "inconsistent header"),  # int tensor with grad
    ({"type": "code", "value": "print(1)"}, "unknown node type 'code'"),
    ([1, 2], "node must be a JSON object"),
])
def test_inconsistent_trees_are_refused(tmp_path, tree, match):
    path = raw_zip(tmp_path / "tree.npz", [
        {"name": "__scratchgrad__.npy", "data": header_bytes(tree)},
        {"name": "a0.npy", "data": npy_bytes(np.zeros(3))},
        {"name": "a1.npy", "data": npy_bytes(np.arange(3))},
    ])
    load_refused(path, match)


def test_a_header_with_a_huge_integer_is_refused(tmp_path):
    text = '{"format": "scratchgrad", "version": 1, "tree": {"type": "value", "value": ' + "9" * 5000 + "}}"
    path = raw_zip(tmp_path / "int.npz", [{"name": "__scratchgrad__.npy",
                                           "data": npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))}])
    load_refused(path, "corrupted header")


def test_a_hand_made_valid_file_loads_and_arrays_are_writable(tmp_path):
    """The checks refuse lies, not honest files: a zip written by hand in nn.save's format loads."""
    path = raw_zip(tmp_path / "ok.npz", [
        {"name": "__scratchgrad__.npy", "data": header_bytes(ARRAY_TREE)},
        {"name": "a0.npy", "data": npy_bytes(np.asfortranarray(np.arange(6.0).reshape(2, 3)))},
    ])
    loaded = nn.load(path)
    np.testing.assert_array_equal(loaded, np.arange(6.0).reshape(2, 3))
    loaded[0, 0] = 7.0  # a loaded array is the caller's to modify


def test_saving_refuses_nesting_that_loading_would_refuse(tmp_path):
    nested: list = []
    nested.append(nested)  # a list that holds itself
    with pytest.raises(ValueError, match="nested more than 100 containers deep"):
        nn.save({"x": nested}, tmp_path / "x.npz")
    deep: list = [1]
    for _ in range(99):
        deep = [deep]
    nn.save(deep, tmp_path / "deep.npz")  # 100 levels: the most that loads back
    assert nn.load(tmp_path / "deep.npz") == deep
    assert sorted(os.listdir(tmp_path)) == ["deep.npz"]


# ---------------------------------------------------------------------- failed and killed saves
def test_save_errors_name_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "missing" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as info:
        nn.save({"a": 1}, target)
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)

    def disk_full(file, arrays):
        file.write(b"PK\x03\x04 a little")
        raise OSError(errno.ENOSPC, "No space left on device", file.name)

    monkeypatch.setattr(serialization, "_write_npz", disk_full)
    target = tmp_path / "ckpt.npz"
    with pytest.raises(OSError, match="No space left on device") as info:
        nn.save({"a": 1}, target)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert ".tmp" not in str(info.value)
    assert os.listdir(tmp_path) == []  # the failed write removed its temporary file


def test_the_next_save_sweeps_what_a_killed_save_left(tmp_path):
    """A real SIGKILL in the middle of a write, in a child process; then a save of the same target."""
    if os.name != "posix":
        pytest.skip("SIGKILL and process checks are POSIX")
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1}, path)
    child = textwrap.dedent(f"""
        import os, signal, numpy as np, nn
        from nn import serialization
        def killed(file, arrays):
            file.write(b"PK\\x03\\x04" + bytes(100_000))
            file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        serialization._write_npz = killed
        nn.save({{"epoch": 2}}, {str(path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", child], cwd=REPO_ROOT, capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr.decode()
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.npz.")
    assert nn.load(path)["epoch"] == 1  # the previous checkpoint is intact

    nn.save({"epoch": 3}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert nn.load(path)["epoch"] == 3


def test_the_sweep_keeps_temporaries_of_running_saves_and_of_other_targets(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    dead_pid = 2**22 + 12345  # above Linux's pid_max: no such process
    monkeypatch.setattr(serialization, "_process_is_running", lambda pid: pid != dead_pid)
    names = {
        f".ckpt.npz.{dead_pid}.abc_1234.tmp": False,  # its writer is gone: swept
        f".ckpt.npz.{os.getpid()}.zzzzzzzz.tmp": True,  # a save in progress in this process: kept
        f".ckpt.npz.{os.getppid()}.qqqqqqqq.tmp": True,  # another live process: kept
        ".ckpt.npz.oldstyle.tmp": False,  # no pid (older versions) and two days old: swept
        ".ckpt.npz.newstyle.tmp": True,  # no pid, written a minute ago: kept
        f".other.npz.{dead_pid}.abcdefgh.tmp": True,  # another target's: not ours to judge
        "ckpt.npz.tmp": True,  # not a temporary name nn.save uses
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(tmp_path / ".ckpt.npz.oldstyle.tmp", (two_days_ago, two_days_ago))
    os.utime(tmp_path / ".ckpt.npz.newstyle.tmp", (time.time() - 60, time.time() - 60))
    nn.save({"a": 1}, path)
    assert set(os.listdir(tmp_path)) == {"ckpt.npz"} | {name for name, kept in names.items() if kept}


def test_devices_and_pipes_are_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "ckpt.npz"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    with pytest.raises(nn.CheckpointError, match="is not a regular file"):
        nn.load(fifo)
    with pytest.raises(IsADirectoryError):
        nn.load(tmp_path)


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


@settings(max_examples=100, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_any_corruption_is_refused_or_loads_the_saved_values(tmp_path_factory, edits, cut):
    """Changed bytes anywhere (zip headers, .npy headers, data, the JSON header) and truncations: nn.load
    either raises CheckpointError or returns exactly what was saved, never another exception or other values."""
    folder = tmp_path_factory.mktemp("fuzz")
    saved = {"model": {"w": np.arange(12.0).reshape(3, 4), "b": np.ones(4, np.float32)}, "epoch": 3,
             "names": np.array(["a", "bc"])}
    nn.save(saved, folder / "good.npz")
    data = bytearray((folder / "good.npz").read_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    (folder / "bad.npz").write_bytes(bytes(data))
    try:
        loaded = nn.load(folder / "bad.npz")
    except nn.CheckpointError:
        return
    assert _same(saved, loaded)
