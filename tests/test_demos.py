"""Smoke tests of the demos on tiny data: they run, write their outputs, and learn something.

The full training runs are not tests (their results are in docs/results.md).
"""

import json

import numpy as np
import pytest

import nn.datasets
from demos import cifar10, mnist, moons, tanh_network
from nn.datasets import cifar


def learnable_digits(count, rng):
    """28x28 images where class k lights a bright bar in row band k, plus noise: easy to learn."""
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 + 2 * k: 4 + 2 * k, 4:24] = 250
    return images, labels.astype(np.uint8)


@pytest.fixture
def fake_mnist(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "mnist"
    root.mkdir()
    for prefix, count in [("train", 300), ("t10k", 100)]:
        images, labels = learnable_digits(count, rng)
        nn.datasets.write_idx(root / f"{prefix}-images-idx3-ubyte", images)
        nn.datasets.write_idx(root / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def run_mnist(root, out, *extra):
    return mnist.main(["--data-root", str(root), "--no-verify", "--out", str(out), "--no-progress", *extra])


def test_mnist_chapter_config_trains_resumes_and_predicts(fake_mnist, tmp_path, capsys):
    out = tmp_path / "run"
    metrics = run_mnist(fake_mnist, out, "--config", "two-layer-relu", "--iterations", "40", "--eval-every", "20")
    for name in ["curves.png", "misclassified.png", "confusion.png", "checkpoint.npz", "last.npz", "metrics.json"]:
        assert (out / name).stat().st_size > 0, name
    assert metrics["rounds_completed"] == 2
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["config"]["sizes"] == [784, 50, 10] and saved["config"]["lr"] == 0.1
    assert len(saved["history"]["test_acc"]) == 2
    assert all(0.0 <= a <= 1.0 for a in saved["history"]["test_acc"])
    assert "round   2/2" in capsys.readouterr().out  # one line per round when not on a terminal

    resumed = run_mnist(fake_mnist, out, "--config", "two-layer-relu", "--iterations", "60", "--eval-every", "20",
                        "--resume")
    assert resumed["rounds_completed"] == 3
    assert len(resumed["history"]["train_loss"]) == 3
    assert "resumed from" in capsys.readouterr().out

    guess = run_mnist(fake_mnist, out, "--config", "two-layer-relu", "--predict", "0")["prediction"]
    assert 0 <= guess <= 9 and (out / "predict_0.png").exists()


def test_mnist_default_config_learns_the_easy_digits(fake_mnist, tmp_path):
    metrics = run_mnist(fake_mnist, tmp_path / "best", "--epochs", "3")
    assert metrics["final_test_accuracy"] > 0.8  # chance is 0.1
    assert metrics["history"]["train_loss"][-1] < metrics["history"]["train_loss"][0]


def test_mnist_three_fc_config_reports_validation(fake_mnist, tmp_path):
    metrics = run_mnist(fake_mnist, tmp_path / "three", "--config", "three-fc-relu", "--iterations", "20",
                        "--eval-every", "10")
    assert metrics["final_validation_accuracy"] is not None
    assert metrics["config"]["batch_size"] == 32 and metrics["config"]["init_std"] == 1e-3


def test_mnist_gradient_check_agrees_with_backprop(fake_mnist):
    data = mnist.load_data(mnist.CONFIGS["two-layer-relu"], str(fake_mnist), 50, 10, verify=False)
    results = mnist.gradient_check(data, samples=3)
    assert set(results) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for mean_abs_diff, _ in results.values():
        assert mean_abs_diff < 1e-7


def test_mnist_without_data_exits_with_a_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCRATCHGRAD_DATA", str(tmp_path / "empty"))
    with pytest.raises(SystemExit) as exit_info:
        mnist.main(["--data-root", str(tmp_path / "nothing"), "--offline", "--out", str(tmp_path / "o")])
    assert exit_info.value.code == 2
    assert "MNIST is not available" in capsys.readouterr().err


def test_moons_default_and_textbook_configs(tmp_path):
    metrics = moons.main(["--samples", "300", "--epochs", "20", "--out", str(tmp_path / "modern"), "--no-progress"])
    assert metrics["final_test_accuracy"] > 0.8
    for name in ["data.png", "boundary.png", "loss.png", "metrics.json"]:
        assert (tmp_path / "modern" / name).stat().st_size > 0, name
    textbook = moons.main(["--config", "textbook", "--samples", "100", "--epochs", "2",
                           "--out", str(tmp_path / "textbook"), "--no-progress"])
    assert list(textbook["config"]["sizes"]) == [2, 25, 50, 25, 2] and textbook["config"]["batch_size"] == 1
    assert len(textbook["history"]["test_acc"]) == 1


def test_cifar10_trains_on_a_synthetic_file_in_the_real_format(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar, "RECORDS_PER_FILE", 10)
    rng = np.random.default_rng(0)
    folder = tmp_path / cifar.FOLDER
    folder.mkdir()
    for name in cifar.TRAIN_FILES + cifar.TEST_FILES:
        labels = rng.permutation(10).astype(np.uint8)  # one image per class per file
        images = rng.integers(0, 256, (10, 3, 32, 32), dtype=np.uint8)
        records = (bytes([k]) + im.tobytes() for im, k in zip(images, labels, strict=True))
        folder.joinpath(name).write_bytes(b"".join(records))
    metrics = cifar10.main(["--data-root", str(tmp_path), "--epochs", "1", "--out", str(tmp_path / "out"),
                            "--no-progress"])
    assert metrics["rounds_completed"] == 1 and 0.0 <= metrics["final_test_accuracy"] <= 1.0
    assert list(metrics["config"]["sizes"]) == [3072, 1000, 500, 10] and metrics["config"]["lr"] == 3e-4
    assert (tmp_path / "out" / "confusion.png").exists()


def test_cifar10_without_data_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCRATCHGRAD_DATA", str(tmp_path / "empty"))
    with pytest.raises(SystemExit):
        cifar10.main(["--data-root", str(tmp_path), "--offline", "--out", str(tmp_path / "out")])
    assert "cifar-10" in capsys.readouterr().err.lower()


def test_tanh_network_prints_the_textbook_value(tmp_path, capsys):
    value = tanh_network.main(["--out", str(tmp_path)])
    assert value == pytest.approx(9.887385002294863, abs=1e-12)
    assert "9.88738500229486" in capsys.readouterr().out
    assert (tmp_path / "graph.svg").exists() or (tmp_path / "graph.dot").exists()


@pytest.mark.parametrize("config", ["simple-cnn", "cnn"])
def test_mnist_cnn_configs_train_and_draw_their_filters(fake_mnist, tmp_path, config):
    out = tmp_path / config
    small = ["--train-limit", "128", "--test-limit", "50"]
    schedule = ["--iterations", "6", "--eval-every", "3"] if config == "simple-cnn" else ["--epochs", "1"]
    metrics = run_mnist(fake_mnist, out, "--config", config, *small, *schedule)
    assert (out / "filters.png").stat().st_size > 0 and (out / "curves.png").exists()
    assert metrics["config"]["architecture"] == config
    assert np.isfinite(metrics["history"]["train_loss"]).all()
    if config == "simple-cnn":
        resumed = run_mnist(fake_mnist, out, "--config", config, "--resume", *small, "--iterations", "9",
                            "--eval-every", "3")
        assert resumed["rounds_completed"] == 3
    else:  # a one-cycle schedule is planned for the whole run: it cannot be lengthened afterwards
        with pytest.raises(SystemExit, match="one-cycle schedule of 1 steps; it cannot be extended"):
            run_mnist(fake_mnist, out, "--config", config, "--resume", *small, "--epochs", "2")


def test_cnn_models_and_augmentation():
    from demos import cnn

    assert [name for name, _ in cnn.simple_convnet().named_children()] == [
        "images", "conv1", "relu1", "pool1", "flatten", "affine1", "relu2", "affine2"]
    assert cnn.simple_convnet().conv1.weight.shape == (30, 1, 5, 5)
    x = np.zeros((3, 784), dtype=np.float32)
    x[:, 14 * 28 + 14] = 1.0  # one bright pixel in the middle
    shifted = cnn.shift_images(x, np.random.default_rng(0), 2)
    assert shifted.shape == x.shape and np.all(shifted.sum(axis=1) == 1.0)  # moved, never cut off
    rows, cols = np.divmod(shifted.argmax(axis=1), 28)
    assert np.all(np.abs(rows - 14) <= 2) and np.all(np.abs(cols - 14) <= 2)
