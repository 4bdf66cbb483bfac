"""`python -m nn.datasets`: fetch reports what it verified and where from; info shows the cache."""

import subprocess
import sys

import numpy as np
import pytest

from nn.datasets import __main__ as cli
from nn.datasets import mnist
from nn.datasets.cache import save_npz
from nn.datasets.sources import DatasetNotFoundError


def arrays():
    return {"train_images": np.full((4, 28, 28), 2, np.uint8), "train_labels": np.array([5, 0, 4, 1], np.uint8),
            "test_images": np.ones((2, 28, 28), np.uint8), "test_labels": np.array([7, 2], np.uint8)}


def test_fetch_prints_the_source_and_the_fingerprint(monkeypatch, capsys, tmp_path):
    seen = []

    def fake_load(spec, root):
        seen.append((spec.name, root))
        return arrays(), "PyPI wheel demo==1.0"

    monkeypatch.setattr(mnist, "load_arrays", fake_load)
    assert cli.main(["fetch", "mnist", "fashion-mnist", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert seen == [("mnist", str(tmp_path)), ("fashion-mnist", str(tmp_path))]
    assert "mnist: verified, from PyPI wheel demo==1.0 in" in out
    assert f"cached at {tmp_path / 'mnist.npz'}" in out
    assert "train: 4 images, first labels [5, 0, 4, 1], class counts [1, 1, 0, 0, 1, 1], pixel sum 6272" in out


def test_fetch_failure_exits_1_with_the_attempts(monkeypatch, capsys, tmp_path):
    def fail(spec, root):
        raise DatasetNotFoundError("MNIST could not be loaded. Tried, in order:\n  1. cache: not found")

    monkeypatch.setattr(mnist, "load_arrays", fail)
    assert cli.main(["fetch", "mnist", "--root", str(tmp_path)]) == 1
    assert "mnist: FAILED\nMNIST could not be loaded" in capsys.readouterr().err


def test_info_lists_the_caches(capsys, tmp_path):
    save_npz(tmp_path / "mnist.npz", **arrays())
    assert cli.main(["info", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"data directory: {tmp_path}" in out
    assert "mnist: cached (" in out and "fashion-mnist: not cached" in out and "cifar10: not cached" in out


def test_unknown_data_sets_are_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["fetch", "imagenet"])
    assert info.value.code == 2 and "invalid choice: 'imagenet'" in capsys.readouterr().err


def test_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "nn.datasets", "fetch", "--help"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0 and "mnist, fashion-mnist, cifar10" in result.stdout
