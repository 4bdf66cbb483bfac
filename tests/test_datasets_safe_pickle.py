"""nn.datasets.safe_pickle and load_mnist_pickle: arrays load, code does not run."""

import codecs
import gzip
import io
import os
import pickle
import struct

import numpy as np
import pytest

from nn.datasets import load_mnist_pickle, safe_pickle
from nn.datasets.sources import VerificationError


class Py2StylePickler(pickle._Pickler):
    """Writes bytes the way Python 2 wrote its `str` (BINSTRING), like the classic mnist.pkl.gz."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_style_dumps(obj):
    buffer = io.BytesIO()
    Py2StylePickler(buffer, protocol=2).dump(obj)
    # Python 2's NumPy lived in numpy.core, as in the real file
    return buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def mnist_like(n=(5, 3, 2)):
    rng = np.random.default_rng(0)
    return tuple((rng.random((k, 784), dtype=np.float32), rng.integers(0, 10, k)) for k in n)


def assert_splits_equal(got, expected):
    for (x, t), (x_ref, t_ref) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(t, t_ref)
        assert x.dtype == x_ref.dtype and t.dtype == np.int64


@pytest.mark.parametrize("dumps", [
    py2_style_dumps,
    lambda obj: pickle.dumps(obj, protocol=2),  # Python 3 protocol 2: bytes via _codecs.encode(..., 'latin1')
    lambda obj: pickle.dumps(obj, protocol=4),
    lambda obj: pickle.dumps(obj, protocol=5),  # NumPy's _frombuffer path
])
def test_mnist_pickles_of_every_protocol_load(tmp_path, dumps):
    splits = mnist_like()
    data = dumps(splits)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(data))
    assert_splits_equal(load_mnist_pickle(path), splits)
    plain = tmp_path / "mnist.pkl"
    plain.write_bytes(data)
    assert_splits_equal(load_mnist_pickle(plain), splits)


def test_the_py2_style_pickle_really_uses_python2_opcodes():
    data = py2_style_dumps(mnist_like())
    assert b"cnumpy.core.multiarray\n_reconstruct" in data and b"_codecs" not in data


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_an_os_system_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    images, labels = mnist_like()[0]
    evil = ((images, labels), (RunsACommand(marker), labels), (images, labels))
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(evil, protocol=2)))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load global (posix|nt|os)\.system"):
        load_mnist_pickle(path)
    assert not marker.exists()


class CallsEval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


class EncodesRot13:
    def __reduce__(self):
        return (codecs.encode, ("abc", "rot13"))


def test_other_globals_and_codecs_are_refused():
    with pytest.raises(pickle.UnpicklingError, match=r"builtins\.eval: only NumPy array reconstruction"):
        safe_pickle.loads(pickle.dumps(CallsEval()))
    with pytest.raises(pickle.UnpicklingError, match="codec 'rot13'"):
        safe_pickle.loads(pickle.dumps(EncodesRot13(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"numpy\.load"):
        safe_pickle.loads(pickle.dumps(np.load))


def test_persistent_ids_are_refused():
    class WithPersistentId(pickle.Pickler):
        def persistent_id(self, obj):
            return "external" if obj == "x" else None

    buffer = io.BytesIO()
    WithPersistentId(buffer, protocol=2).dump(["x"])
    with pytest.raises(pickle.UnpicklingError, match="persistent id 'external'"):
        safe_pickle.loads(buffer.getvalue())


def test_plain_containers_need_no_globals():
    value = {"a": [1, 2.5, "s", b"raw"], "b": (None, True)}
    assert safe_pickle.loads(pickle.dumps(value, protocol=4)) == value


@pytest.mark.parametrize("obj, message", [
    ([1, 2], "expected a tuple of 3 .* got list of length 2"),
    ("text", "got str"),
    ((1, 2, 3), "training split is not an"),
    (((np.zeros((2, 10), np.float32), np.zeros(2, np.int64)),) * 3, r"training images must be float \(N, 784\)"),
    (((np.zeros((2, 784), np.float32), np.zeros(3, np.int64)),) * 3, r"labels must be integers \(2,\)"),
])
def test_load_mnist_pickle_checks_the_structure(tmp_path, obj, message):
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=4))
    with pytest.raises(VerificationError, match=message):
        load_mnist_pickle(path)
