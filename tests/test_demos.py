"""Smoke tests of the demos on tiny data: they run, write their outputs, and learn something.

The full training runs are not tests (their results are in docs/results.md).
"""

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import nn.datasets
from autograd import Tensor, viz
from demos import cifar10, common, mnist, moons, results, tanh_network
from nn.datasets import cifar

REPO_ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def synthetic_cifar(tmp_path, monkeypatch):
    """A data root with CIFAR-10 binary batch files of 10 records each (one image per class)."""
    monkeypatch.setattr(cifar, "RECORDS_PER_FILE", 10)
    rng = np.random.default_rng(0)
    folder = tmp_path / cifar.FOLDER
    folder.mkdir()
    for name in cifar.TRAIN_FILES + cifar.TEST_FILES:
        labels = rng.permutation(10).astype(np.uint8)
        images = rng.integers(0, 256, (10, 3, 32, 32), dtype=np.uint8)
        records = (bytes([k]) + im.tobytes() for im, k in zip(images, labels, strict=True))
        folder.joinpath(name).write_bytes(b"".join(records))
    return tmp_path


def test_cifar10_trains_on_a_synthetic_file_in_the_real_format(synthetic_cifar, tmp_path):
    metrics = cifar10.main(["--data-root", str(synthetic_cifar), "--epochs", "1", "--out", str(tmp_path / "out"),
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
    assert value == tanh_network.TEXTBOOK_OUTPUT == 9.887385002294863  # exactly, as the textbook prints it
    assert capsys.readouterr().out.splitlines()[0] == "9.887385002294863"
    assert (tmp_path / "graph.svg").exists() or (tmp_path / "graph.dot").exists()


def test_tanh_network_differentiates_the_textbook_tanh_composed_from_exp():
    x = Tensor(np.linspace(-3.0, 3.0, 13), requires_grad=True)
    y = tanh_network.tanh(x)
    np.testing.assert_allclose(y.data, np.tanh(x.data), rtol=1e-15, atol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 1.0 - np.tanh(x.data) ** 2, rtol=1e-13, atol=1e-15)
    ops = set(re.findall(r"<B>(\w+)</B>", viz.to_dot(y)))
    assert ops == {"Exp", "Neg", "Sub", "Add", "Div"}  # no Tanh rule: autograd differentiates the composite


# ---------------------------------------------------------------------- the demos as programs: how they end
@pytest.fixture
def no_pictures(monkeypatch):
    """Skip matplotlib and graphviz (tested above): these tests are about arguments, files and exits."""
    monkeypatch.setattr(common, "pyplot", lambda: None)
    monkeypatch.setattr(moons, "draw_graph", lambda *args: None)


def exits(main, argv, capsys, code=2):
    """Run a demo's main(argv), expecting SystemExit(code); return its last stderr line (after checking that
    there is no traceback)."""
    try:
        with pytest.raises(SystemExit) as info:
            main(argv)
    except KeyboardInterrupt:  # escaping, it would stop the whole test session
        pytest.fail("Ctrl-C (KeyboardInterrupt) escaped the demo instead of ending it with exit status 130")
    assert info.value.code == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def mnist_args(root, out, *extra):
    return ["--data-root", str(root), "--no-verify", "--out", str(out), "--no-progress", *extra]


SMALL_RUN = ("--config", "two-layer-relu", "--iterations", "4", "--eval-every", "2")


@pytest.mark.parametrize("extra, message", [
    (("--predict", "99999"), "argument --predict: index 99999 is out of range: there are 100 test images"),
    (("--predict", "-1"), "argument --predict: must be an integer >= 0, got -1"),
    (("--eval-every", "0"), "argument --eval-every: must be a positive integer, got 0"),
    (("--test-limit", "-5"), "argument --test-limit: must be a positive integer, got -5"),
    (("--train-limit", "0"), "argument --train-limit: must be a positive integer, got 0"),
    (("--epochs", "0"), "argument --epochs: must be a positive integer, got 0"),
    (("--epochs", "x"), "argument --epochs: must be a positive integer, got 'x'"),
    (("--seed", "-1"), "argument --seed: must be an integer >= 0, got -1"),
    (("--epochs", "2", "--iterations", "3"), "argument --epochs: not allowed with --iterations"),
    (("--eval-every", "5"), "argument --eval-every: the 'default' config trains by epochs"),
    (("--config", "three-fc-relu", "--train-limit", "1"), "1 images leave no training images for three-fc-relu"),
])
@pytest.mark.usefixtures("no_pictures")
def test_mnist_bad_arguments_end_with_one_line_and_status_2(fake_mnist, tmp_path, capsys, extra, message):
    line = exits(mnist.main, mnist_args(fake_mnist, tmp_path / "run", *extra), capsys)
    assert line.startswith("python -m demos.mnist: error: ") and message in line


@pytest.mark.usefixtures("no_pictures")
def test_mnist_an_unusable_output_folder_is_one_line(fake_mnist, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    line = exits(mnist.main, mnist_args(fake_mnist, tmp_path / "file", *SMALL_RUN), capsys)
    assert line == f"python -m demos.mnist: error: cannot use {tmp_path / 'file'} as the output folder: File exists"


@pytest.fixture
def trained_mnist(fake_mnist, tmp_path, no_pictures):
    """A two-layer-relu run of 4 iterations: its folder holds last.npz and checkpoint.npz."""
    out = tmp_path / "run"
    run_mnist(fake_mnist, out, *SMALL_RUN)
    return out


@pytest.mark.usefixtures("no_pictures")
def test_mnist_resume_from_a_bad_file_is_one_line(fake_mnist, trained_mnist, capsys):
    last = trained_mnist / "last.npz"
    good = last.read_bytes()
    resume = mnist_args(fake_mnist, trained_mnist, *SMALL_RUN, "--resume")
    capsys.readouterr()

    last.write_bytes(good[: len(good) // 2])
    assert "is truncated or corrupted" in exits(mnist.main, resume, capsys)
    last.write_bytes(b"")
    assert "is not a checkpoint written by nn.save (it is not a zip/npz archive, it is empty)" in exits(
        mnist.main, resume, capsys)
    nn.save({"weights": np.zeros(3)}, last)
    assert f"{last} is not a checkpoint of demos.mnist (it has no 'config'" in exits(mnist.main, resume, capsys)

    last.write_bytes(good)
    other = mnist_args(fake_mnist, trained_mnist, "--config", "two-layer-sigmoid", "--resume")
    line = exits(mnist.main, other, capsys)
    assert line == (f"python -m demos.mnist: error: {last} holds a checkpoint of the 'two-layer-relu' config, not "
                    "'two-layer-sigmoid': add --config two-layer-relu, or choose another --out folder")
    predict_other = mnist_args(fake_mnist, trained_mnist, "--config", "default", "--predict", "0")
    assert "checkpoint.npz holds a checkpoint of the 'two-layer-relu' config" in exits(mnist.main, predict_other,
                                                                                      capsys)


@pytest.mark.usefixtures("no_pictures")
def test_mnist_refuses_another_demos_checkpoint_and_one_that_does_not_fit(fake_mnist, trained_mnist, capsys):
    last = trained_mnist / "last.npz"
    state = nn.load(last)
    nn.save({**state, "demo": "demos.moons"}, last)
    resume = mnist_args(fake_mnist, trained_mnist, *SMALL_RUN, "--resume")
    capsys.readouterr()
    assert f"{last} is a checkpoint of demos.moons, not of demos.mnist" in exits(mnist.main, resume, capsys)
    state["model"]["0.weight"] = np.zeros((784, 7), dtype=np.float32)
    nn.save(state, last)
    line = exits(mnist.main, resume, capsys)
    assert f"{last} does not fit the 'two-layer-relu' config:" in line and "(784, 7)" in line


@pytest.mark.usefixtures("no_pictures")
def test_mnist_resumes_from_a_checkpoint_written_before_the_type_tags(fake_mnist, trained_mnist):
    """Checkpoints of earlier versions have no "demo" key and an optimizer state without "type"."""
    last = trained_mnist / "last.npz"
    state = nn.load(last)
    del state["demo"], state["optimizer"]["type"]
    nn.save(state, last)
    metrics = run_mnist(fake_mnist, trained_mnist, "--config", "two-layer-relu", "--iterations", "6",
                        "--eval-every", "2", "--resume")
    assert metrics["rounds_completed"] == 3


@pytest.mark.usefixtures("no_pictures")
def test_mnist_predict_without_a_checkpoint_says_to_train_first(fake_mnist, tmp_path, capsys):
    line = exits(mnist.main, mnist_args(fake_mnist, tmp_path / "empty", "--predict", "3"), capsys)
    assert f"no checkpoint in {tmp_path / 'empty'}: train first (python -m demos.mnist --config default" in line


@pytest.mark.usefixtures("no_pictures")
def test_mnist_epochs_apply_to_an_iteration_based_config(fake_mnist, tmp_path, capsys):
    """three-fc-relu counts iterations; --epochs 1 used to be ignored (7,810 iterations ran)."""
    metrics = run_mnist(fake_mnist, tmp_path / "three", "--config", "three-fc-relu", "--epochs", "1")
    per_epoch = metrics["train_images"] // 32  # 240 // 32 = 7 batches make one epoch
    assert metrics["config"]["iterations"] == per_epoch == metrics["iterations_completed"]
    assert metrics["rounds_completed"] == metrics["rounds_planned"] == 1
    assert "--epochs 1: three-fc-relu draws random batches, so that is 7 iterations" in capsys.readouterr().out


@pytest.mark.usefixtures("no_pictures")
def test_mnist_iterations_apply_to_the_epoch_based_default_config(fake_mnist, tmp_path):
    """--iterations 20 with the default config used to divide by its eval_every of 0."""
    metrics = run_mnist(fake_mnist, tmp_path / "it", "--iterations", "3", "--train-limit", "200", "--test-limit", "20")
    assert metrics["config"]["iterations"] == 3 and metrics["iterations_completed"] == 3
    assert metrics["train_limit"] == 200 and metrics["test_limit"] == 20 and metrics["test_images"] == 20
    everything = run_mnist(fake_mnist, tmp_path / "all", *SMALL_RUN, "--test-limit", "99999")
    assert everything["test_limit"] is None and everything["test_images"] == 100  # the limit left nothing out


def interrupt_after_saving(monkeypatch, trainer_class, after):
    """Make the trainer raise KeyboardInterrupt (Ctrl-C) right after its `after`-th save of last.npz."""
    original = trainer_class.save_checkpoint
    saves = []

    def save_then_interrupt(self, path, *args):
        original(self, path, *args)
        if path.name == "last.npz":
            saves.append(path)
            if len(saves) == after:
                raise KeyboardInterrupt

    monkeypatch.setattr(trainer_class, "save_checkpoint", save_then_interrupt)
    return lambda: monkeypatch.setattr(trainer_class, "save_checkpoint", original)


@pytest.mark.usefixtures("no_pictures")
def test_mnist_ctrl_c_says_how_to_resume_and_exits_130(fake_mnist, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = mnist_args(fake_mnist, out, "--config", "two-layer-relu", "--iterations", "8", "--eval-every", "2")
    stop_interrupting = interrupt_after_saving(monkeypatch, mnist.Trainer, after=2)
    line = exits(mnist.main, argv, capsys, code=130)
    command = "python -m demos.mnist " + " ".join(argv) + " --resume"
    assert line == (f"python -m demos.mnist: interrupted: 2 of 4 rounds of 2 iterations saved in {out / 'last.npz'}; "
                    f"resume with: {command}")
    stop_interrupting()
    resumed = mnist.main([*argv, "--resume"])  # the command the line gave
    assert resumed["rounds_completed"] == 4 and len(resumed["history"]["x"]) == 4

    def interrupt_at_once(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist.Trainer, "train_round", interrupt_at_once)
    line = exits(mnist.main, mnist_args(fake_mnist, tmp_path / "fresh", *SMALL_RUN), capsys, code=130)
    assert line == ("python -m demos.mnist: interrupted before anything was saved; run the same command again to "
                    "start over")


@pytest.mark.usefixtures("no_pictures")
def test_mnist_ctrl_c_from_the_command_line_exits_130_without_a_traceback(fake_mnist, tmp_path):
    """A real SIGINT to a real process: one line on stderr, exit status 130."""
    if os.name != "posix":
        pytest.skip("SIGINT delivery as on POSIX")
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "demos.mnist", *mnist_args(fake_mnist, out, "--config", "two-layer-relu",
                                                          "--iterations", "1000000", "--eval-every", "2")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: a test run started in the background (`cmd &` in a script) ignores SIGINT, and
        # a child inherits that, so Python would never raise KeyboardInterrupt in it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    rounds = 0
    for line in process.stdout:  # "round 2" is printed after round 1 was saved
        rounds += line.startswith("round")
        if rounds == 2:
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "interrupted: " in err and "resume with: python -m demos.mnist" in err and err.strip().endswith("--resume")


# ---------------------------------------------------------------------- moons and cifar10: --resume and --predict
def moons_args(out, *extra):
    return ["--samples", "100", "--out", str(out), "--no-progress", *extra]


@pytest.mark.usefixtures("no_pictures")
def test_moons_interrupted_and_resumed_run_equals_a_straight_run(tmp_path, capsys, monkeypatch):
    straight = moons.main(moons_args(tmp_path / "straight", "--epochs", "30"))
    argv = moons_args(tmp_path / "run", "--epochs", "30")
    stop_interrupting = interrupt_after_saving(monkeypatch, moons.Trainer, after=2)
    line = exits(moons.main, argv, capsys, code=130)
    assert line.startswith("python -m demos.moons: interrupted: 20 of 30 epochs saved in ")
    assert line.endswith(" --resume")
    stop_interrupting()
    resumed = moons.main([*argv, "--resume"])
    assert resumed["epochs_completed"] == 30 and resumed["history"]["x"] == [10, 20, 30]
    assert resumed["history"]["test_loss"] == straight["history"]["test_loss"]  # exactly: same RNG, same state


@pytest.mark.usefixtures("no_pictures")
def test_moons_predict_and_its_bad_arguments(tmp_path, capsys):
    out = tmp_path / "run"
    capsys.readouterr()
    assert "no checkpoint in" in exits(moons.main, moons_args(out, "--predict", "0"), capsys)
    moons.main(moons_args(out, "--epochs", "10"))
    assert (out / "checkpoint.npz").exists() and (out / "last.npz").exists()
    capsys.readouterr()
    guess = moons.main(moons_args(out, "--epochs", "10", "--predict", "3"))["prediction"]
    assert guess in (0, 1) and "test point #3 at (" in capsys.readouterr().out
    assert "index 30 is out of range: there are 30 test points" in exits(
        moons.main, moons_args(out, "--predict", "30"), capsys)
    assert "--predict: must be an integer >= 0, got -1" in exits(moons.main, moons_args(out, "--predict", "-1"),
                                                                 capsys)
    assert "--epochs: must be a positive integer, got 0" in exits(moons.main, moons_args(out, "--epochs", "0"),
                                                                  capsys)
    assert "--samples: 3 points cannot be split" in exits(moons.main, ["--samples", "3", "--out", str(out)], capsys)
    line = exits(moons.main, ["--samples", "200", "--out", str(out), "--resume"], capsys)
    assert line.endswith(f"{out / 'last.npz'} was trained on other data (--data-seed 100 --samples 100): give the "
                         "same options to use it")
    line = exits(moons.main, moons_args(out, "--config", "textbook", "--resume"), capsys)
    assert "holds a checkpoint of the 'default' config, not 'textbook': add --config default" in line
    (out / "last.npz").write_bytes(b"PK\x03\x04garbage")
    assert "is truncated or corrupted" in exits(moons.main, moons_args(out, "--resume"), capsys)


@pytest.mark.usefixtures("no_pictures")
def test_cifar10_resumes_predicts_and_refuses_bad_arguments(synthetic_cifar, tmp_path, capsys):
    out = tmp_path / "cifar"
    args = ["--data-root", str(synthetic_cifar), "--out", str(out), "--no-progress", "--train-limit", "20"]
    cifar10.main([*args, "--epochs", "1"])
    resumed = cifar10.main([*args, "--epochs", "2", "--resume"])
    assert resumed["rounds_completed"] == 2 and "resumed from" in capsys.readouterr().out
    guess = cifar10.main([*args, "--predict", "4"])["prediction"]
    assert 0 <= guess <= 9 and "test image #4: true " in capsys.readouterr().out
    assert "index 10 is out of range: there are 10 test images" in exits(cifar10.main, [*args, "--predict", "10"],
                                                                       capsys)
    assert "--epochs: must be a positive integer, got 0" in exits(cifar10.main, [*args, "--epochs", "0"], capsys)
    nn.save({**nn.load(out / "last.npz"), "demo": "demos.mnist"}, out / "last.npz")
    assert "is a checkpoint of demos.mnist, not of demos.cifar10" in exits(cifar10.main, [*args, "--resume"], capsys)


# ---------------------------------------------------------------------- demos.results: what actually ran
def write_metrics(runs, folder, **metrics):
    path = runs / folder / "metrics.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(metrics))


def full_mnist_metrics(name):
    config = dataclasses.asdict(mnist.CONFIGS[name])
    rounds = config["epochs"] or -(-config["iterations"] // config["eval_every"])
    return {"demo": "demos.mnist", "config": config, "rounds_completed": rounds, "final_test_accuracy": 0.9864,
            "total_seconds": 41.0, "chapter_result": config["chapter_result"]}


@pytest.mark.usefixtures("no_pictures")
def test_results_read_what_ran_and_mark_partial_runs(tmp_path):
    runs = tmp_path / "runs"
    write_metrics(runs, "mnist/default", **full_mnist_metrics("default"))
    smoke = dataclasses.asdict(replace(moons.CONFIGS["textbook"], epochs=3, report_every=3))
    write_metrics(runs, "moons/textbook", demo="demos.moons", config=smoke, epochs_completed=3, samples=2000,
                  final_test_accuracy=0.55, total_seconds=1.4, reference=smoke["reference"])
    changed = full_mnist_metrics("two-layer-relu")
    changed["config"]["lr"] = 0.05
    changed["rounds_completed"] = 3  # interrupted after 3 rounds of 600 iterations
    write_metrics(runs, "mnist/two-layer-relu", **changed)
    lines = results.table(runs).splitlines()
    assert lines[2] == ("| MNIST, our best MLP | 784-512-512-10 ReLU, dropout 0.2, AdamW 1e-3 + cosine, batch 128, "
                        "10 epochs | 98.64% | 41 s | n/a (our own configuration) |")
    assert lines[3].startswith("| MNIST two-layer-relu (partial: 1,800 of 10,000 iterations; changed: lr 0.05 "
                               "(recipe 0.1)) | 784-50-10 ReLU, SGD 0.05, batch 100, 1,800 iterations | ")
    assert lines[4].startswith("| two moons, textbook (partial: 3 of 1,000 epochs) | 2-25-50-25-2 sigmoid, MSE, "
                               "per-sample SGD 0.01, 3 epochs | 55.00% |")


@pytest.mark.usefixtures("no_pictures")
def test_results_mark_runs_on_part_of_the_data(tmp_path):
    runs = tmp_path / "runs"
    write_metrics(runs, "mnist/default", **full_mnist_metrics("default"), train_limit=300, test_limit=100)
    assert "(partial: first 300 training images; first 100 test images)" in results.table(runs)


@pytest.mark.usefixtures("no_pictures")
def test_results_end_with_one_line_on_a_bad_file(tmp_path, capsys):
    runs = tmp_path / "runs"
    write_metrics(runs, "mnist/default", config={"name": "default"})
    line = exits(results.main, ["--runs", str(runs)], capsys)
    assert line.startswith(f"python -m demos.results: error: cannot read {runs / 'mnist/default/metrics.json'}: ")
    (runs / "mnist/default/metrics.json").write_text("{half")
    assert "JSONDecodeError" in exits(results.main, ["--runs", str(runs)], capsys)
    assert "no runs folder" in exits(results.main, ["--runs", str(tmp_path / "none")], capsys)


@pytest.mark.parametrize("config", ["simple-cnn", "cnn"])
def test_mnist_cnn_configs_train_and_draw_their_filters(fake_mnist, tmp_path, config, capsys):
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
        with pytest.raises(SystemExit):
            run_mnist(fake_mnist, out, "--config", config, "--resume", *small, "--epochs", "2")
        assert "one-cycle schedule of 1 steps, which cannot be extended" in capsys.readouterr().err


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
