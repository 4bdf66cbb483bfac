"""demos.textbook: every picture of the learning path is drawn by one command; tiny sizes, fake MNIST."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import nn.datasets
from demos import textbook

HAS_DOT = shutil.which("dot") is not None
GRAPH_PICTURES = {"add_mul", "activations", "affine", "softmax_loss", "vanishing", "graphs", "backward_steps"}
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory):
    """1,000 training and 100 test images in MNIST's format: class k lights a bar in row band k."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("mnist")
    for prefix, count in (("train", 1000), ("t10k", 100)):
        labels = np.arange(count) % 10
        rng.shuffle(labels)
        images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 + 2 * k: 4 + 2 * k, 4:24] = 250
        nn.datasets.write_idx(root / f"{prefix}-images-idx3-ubyte", images)
        nn.datasets.write_idx(root / f"{prefix}-labels-idx1-ubyte", labels.astype(np.uint8))
    return root


@pytest.fixture
def quick_gradient_check(monkeypatch):
    """The full check is 79,520 forward passes (a minute); its own test is demos.mnist's. Here: the plot."""
    results = {"0.weight": (2.5e-13, 0.0), "0.bias": (1.1e-12, 0.0), "2.weight": (9e-13, 0.0),
               "2.bias": (1.19e-10, 0.0)}
    monkeypatch.setattr(textbook.mnist, "gradient_check", lambda data, samples=3: results)


def draw(out, root, *names):
    args = ["--tiny", "--out", str(out), "--data-root", str(root), "--no-verify"]
    for name in names:
        args += ["--only", name]
    return textbook.main(args)


AVAILABLE = [name for name, item in textbook.FIGURES.items() if not item.missing()
             and (HAS_DOT or name not in GRAPH_PICTURES)]


@pytest.mark.parametrize("name", AVAILABLE)
def test_each_page_draws_its_pictures(name, tmp_path, fake_mnist, quick_gradient_check):
    numbers = draw(tmp_path, fake_mnist, name)
    assert set(numbers) == {name}
    written = {path.name for path in tmp_path.iterdir()}
    assert "numbers.json" in written and json.loads((tmp_path / "numbers.json").read_text()) == json.loads(
        json.dumps(numbers))
    pictures = written - {"numbers.json"}
    assert pictures and all((tmp_path / p).stat().st_size > 1000 for p in pictures)
    for picture in pictures:  # every picture a page shows is one the command wrote
        assert picture.endswith((".png", ".gif", ".html"))


@pytest.mark.skipif(not HAS_DOT, reason="the graph pictures need the Graphviz `dot` program")
def test_the_textbook_numbers(tmp_path, fake_mnist):
    numbers = draw(tmp_path, fake_mnist, "add_mul", "affine", "softmax_loss", "backward_steps")
    assert numbers["add_mul"] == {"total": 715.0, "grads": {"apple price": 2.2, "apples": 110.0,
                                                            "orange price": 3.3, "oranges": 165.0, "tax": 650.0}}
    assert numbers["affine"]["dB"] == [5.0, 7.0, 9.0]  # the book's dY = [[1, 2, 3], [4, 5, 6]]
    assert numbers["softmax_loss"]["grad"] == [[0.3, -0.8, 0.5]]  # y - t
    assert numbers["backward_steps"]["apple_order"] == ["Mul #4", "Add #3", "Mul #2", "Mul #1"]
    assert {"backward_apple.gif", "backward_apple.html", "backward_two_layer.gif"} <= {
        p.name for p in tmp_path.iterdir()}


def test_optimizer_paths_follow_the_books_update_rules():
    # SGD with lr 0.95 on x**2/20 + y**2: x shrinks by 1 - 0.95/10 per step, y flips by 1 - 0.95 * 2
    path = textbook.optimizer_path(textbook.PATH_OPTIMIZERS["SGD"], steps=3)
    expected = [(-7.0 * 0.905**k, 2.0 * (-0.9) ** k) for k in range(4)]
    np.testing.assert_allclose(path, expected, rtol=1e-12)
    # the book's Momentum: v <- 0.9 v - lr g; p <- p + v
    p, v, book = np.array([-7.0, 2.0]), np.zeros(2), []
    for _ in range(5):
        v = 0.9 * v - 0.1 * np.array([p[0] / 10, 2 * p[1]])
        p = p + v
        book.append(p)
    np.testing.assert_allclose(textbook.optimizer_path(textbook.PATH_OPTIMIZERS["Momentum"], steps=5)[1:], book,
                               rtol=1e-12)


def test_vanishing_gradient_numbers():
    sigmoid = textbook.layer_gradient_norms("sigmoid", 12)
    relu = textbook.layer_gradient_norms("relu", 12)
    assert sigmoid[0] < 1e-5 * sigmoid[-1]  # about 1/4 per sigmoid layer
    assert relu[0] > 0.05 * relu[-1]


def test_only_updates_its_entries_and_list_marks_what_is_missing(tmp_path, fake_mnist, monkeypatch, capsys):
    (tmp_path / "numbers.json").write_text(json.dumps({"earlier": {"kept": True}}))
    if HAS_DOT:
        draw(tmp_path, fake_mnist, "softmax_loss")
    numbers = json.loads((tmp_path / "numbers.json").read_text())
    assert numbers["earlier"] == {"kept": True}
    assert ("softmax_loss" in numbers) == HAS_DOT

    missing = textbook.Figure("later", "99-later.md", lambda ctx: {}, requires=("nn.NoSuchLayer",))
    monkeypatch.setitem(textbook.FIGURES, "later", missing)
    textbook.main(["--list"])
    assert "later            docs/learn/99-later.md  (needs nn.NoSuchLayer)" in capsys.readouterr().out
    draw(tmp_path, fake_mnist, "later")  # the parser's choices come from FIGURES
    assert "later: skipped, this checkout has no nn.NoSuchLayer yet" in capsys.readouterr().out


def test_docs_option_writes_where_the_pages_look(tmp_path, monkeypatch):
    monkeypatch.setattr(textbook, "DOCS_IMAGES", tmp_path / "docs" / "images" / "learn")

    def draw_one(ctx):
        fig, ax = textbook.plt().subplots(figsize=(2, 2))
        ax.plot([0, 1], [1, 0])
        ctx.save(fig, "picture.png")
        return {"drawn": True}

    monkeypatch.setitem(textbook.FIGURES, "one", textbook.Figure("one", "01-one.md", draw_one))
    assert textbook.main(["--docs", "--only", "one"])["one"] == {"drawn": True}
    assert (textbook.DOCS_IMAGES / "picture.png").is_file() and (textbook.DOCS_IMAGES / "numbers.json").is_file()


def test_pages_show_only_pictures_the_command_draws():
    """Every image a learning page links to under images/learn/ is one demos.textbook writes."""
    import re
    from pathlib import Path

    pages = sorted((Path(textbook.__file__).resolve().parent.parent / "docs" / "learn").glob("*.md"))
    linked = {m for page in pages for m in re.findall(r"\(\.\./images/learn/([\w.]+)\)", page.read_text())}
    source = Path(textbook.__file__).read_text()
    for name in linked:
        assert f'"{name}"' in source or f'"{name.rsplit(".", 1)[0]}"' in source or name.startswith(
            ("weight_init_",)), name


def test_bad_arguments_end_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        textbook.main(["--only", "no-such-page"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
