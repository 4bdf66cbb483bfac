"""autograd.viz's output: DOT text, files through Graphviz's `dot`, notebooks, and the caption's width.

Every way to get a picture degrades without the `dot` program: save_graph writes the .dot file and raises
an error whose one line says how to install Graphviz; a notebook shows the DOT source with that line. CI
runs this file with `dot` on PATH and again without it (.ci/without-dot); the tests that need `dot`
skip, saying why, and the others check the fallbacks with `dot` hidden on purpose.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, viz
from autograd.viz import caption, render
from demos import graph_tour

HAS_DOT = shutil.which("dot") is not None
NEEDS_DOT = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz `dot` program is not installed "
                                                   "(apt-get install graphviz); rendering cannot be tested")
SVG = "{http://www.w3.org/2000/svg}"


def apple_graph():
    """The textbook's apple graph, recorded and differentiated (the docs' first picture): total, subtotal."""
    picture = graph_tour.apple()
    return picture.roots[0], picture.named[0]


@pytest.fixture
def no_dot_on_path(tmp_path, monkeypatch):
    """PATH without the `dot` program, as on a machine without Graphviz (for this process and its children)."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None


def test_to_dot_needs_no_graphviz_package_and_draw_graph_says_what_is_missing(monkeypatch):
    x = Tensor(1.0, requires_grad=True)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    assert viz.to_dot(x * 2).startswith("digraph {")
    with pytest.raises(viz.GraphvizNotFoundError, match="pip install graphviz"):
        viz.draw_graph(x * 2)


def test_draw_graph_returns_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz", reason="the optional graphviz package is not installed")
    total, subtotal = apple_graph()
    graph = viz.draw_graph(total, show_data=True, show_grad=True, group_modules=True, rankdir="TB")
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source == viz.to_dot(total, show_data=True, show_grad=True, group_modules=True, rankdir="TB")


def test_save_graph_writes_dot_and_rejects_unknown_suffixes(tmp_path):
    total, subtotal = apple_graph()
    path = viz.save_graph(total, path=tmp_path / "apple.dot", show_data=True)
    assert path.read_text(encoding="utf-8") == viz.to_dot(total, show_data=True)
    with pytest.raises(ValueError, match=r"unsupported file type '\.jpeg'.*\.svg, \.png, \.pdf, \.dot"):
        viz.save_graph(total, path=tmp_path / "apple.jpeg")


def test_save_graph_without_dot_says_how_to_install_it_and_keeps_the_dot_file(tmp_path, monkeypatch):
    total, subtotal = apple_graph()
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(viz.GraphvizNotFoundError) as error:
        viz.save_graph(total, path=tmp_path / "apple.png")
    message = str(error.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message and "conda" in message
    assert "apple.dot" in message
    assert (tmp_path / "apple.dot").read_text(encoding="utf-8") == viz.to_dot(total)


@NEEDS_DOT
def test_real_render_through_dot(tmp_path):
    total, subtotal = apple_graph()
    svg = viz.save_graph(total, path=tmp_path / "apple.svg", show_data=True, show_grad=True, title="apples")
    root = ET.parse(svg).getroot()
    texts = [e.text for e in root.iter() if e.text]
    assert "price" in texts and "grad 2.2" in texts and "220" in texts
    png = viz.save_graph(total, path=tmp_path / "apple.png", dpi=72)
    assert png.read_bytes().startswith(b"\x89PNG")
    pdf = viz.save_graph(total, path=tmp_path / "apple.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_save_graph_without_dot_gives_the_dot_file_it_wrote(tmp_path, no_dot_on_path):
    total, subtotal = apple_graph()
    with pytest.raises(viz.GraphvizNotFoundError) as error:
        viz.save_graph(total, path=tmp_path / "apple.svg", show_data=True)
    assert error.value.dot_path == tmp_path / "apple.dot" and error.value.dot_path.is_file()
    assert "\n" not in str(error.value) and viz.INSTALL_HINT in str(error.value)  # one line


# ------------------------------------------------------------------------------------------ notebooks
def test_a_notebook_without_dot_shows_the_source_and_how_to_install_graphviz(no_dot_on_path):
    pytest.importorskip("graphviz", reason="the optional graphviz package is not installed")
    total, subtotal = apple_graph()
    graph = viz.draw_graph(total, show_data=True)
    bundle = graph._repr_mimebundle_()  # what Jupyter calls to show the last value of a cell
    assert set(bundle) == {"text/plain", "text/html"}
    first_line, source = bundle["text/plain"].split("\n", 1)
    assert "`dot` is not installed" in first_line and viz.INSTALL_HINT in first_line
    assert source == graph.source == viz.to_dot(total, show_data=True)
    assert bundle["text/html"].startswith("<p>No picture:") and "&lt;B&gt;subtotal&lt;/B&gt;" in bundle["text/html"]


@NEEDS_DOT
def test_a_notebook_with_dot_shows_the_picture():
    pytest.importorskip("graphviz", reason="the optional graphviz package is not installed")
    total, subtotal = apple_graph()
    bundle = viz.draw_graph(total)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


# ------------------------------------------------------------------------------------------ the caption
def readme_graph(record: bool):
    price = Tensor(100.0, requires_grad=True)
    if record:
        with viz.record():
            total = price * 2 * 1.1
    else:
        total = price * 2 * 1.1
    total.backward()
    return total


def mlp_loss(record: bool):
    ag.manual_seed(0)
    model = nn.MLP([8, 6, 4])
    x = Tensor(np.ones((3, 8), dtype=np.float32), name="x")
    if record:
        with viz.record():
            loss = nn.CrossEntropyLoss()(model(x), np.zeros(3, dtype=np.int64))
    else:
        loss = nn.CrossEntropyLoss()(model(x), np.zeros(3, dtype=np.int64))
    loss.backward()
    return loss


def caption_lines(dot: str) -> list[str]:
    label = re.search(r"label=<(<TABLE.*</TABLE>)> labelloc", dot).group(1)
    return re.findall(r'<TABLE BORDER="0" CELLSPACING="3"><TR>(.*?)</TR></TABLE>', label)


def test_the_legend_wraps_onto_more_lines_for_a_narrower_graph():
    narrow = viz.to_dot(readme_graph(record=True), show_grad=True)
    wide = viz.to_dot(readme_graph(record=True), show_grad=True, title="x" * 10)  # a title changes nothing
    assert caption_lines(narrow) == caption_lines(wide)
    lines = caption_lines(narrow)
    assert len(lines) >= 2
    cells = [re.findall(r"<TD", line) for line in lines]
    assert sum(len(c) for c in cells) == 1 + len(viz.render.style.legend_entries(1e-3))  # heading + every swatch
    chain = Tensor(1.0, requires_grad=True)
    y = chain
    with viz.record():
        for _ in range(30):
            y = y.tanh()
    y.backward()
    assert len(caption_lines(viz.to_dot(y, show_grad=True))) == 1  # a long chain has room for one line


def test_estimated_width_grows_along_paths_left_to_right_and_across_ranks_top_to_bottom():
    from autograd.viz.structure import collect

    chain = Tensor(1.0, requires_grad=True)
    y = chain
    for _ in range(5):
        y = y.tanh()
    picture = collect([y], None)
    labels = {box.ident: "x" for box in picture.boxes}
    lr = caption.estimated_width(picture, labels, "LR")
    assert lr == pytest.approx(11 * caption.MIN_NODE_WIDTH + 10 * caption.RANKSEP)  # 6 tensors, 5 ops in a row
    assert caption.estimated_width(picture, labels, "TB") == caption.MIN_NODE_WIDTH  # one node a rank


@NEEDS_DOT
@pytest.mark.parametrize("make, rankdir", [(readme_graph, "LR"), (mlp_loss, "LR"), (mlp_loss, "TB")],
                         ids=["readme-LR", "mlp-LR", "mlp-TB"])
@pytest.mark.parametrize("record", [True, False], ids=["recorded", "after-the-fact"])
def test_the_drawn_legend_is_never_wider_than_the_drawn_graph(tmp_path, make, rankdir, record):
    root = make(record)
    svg = viz.save_graph(root, path=tmp_path / "g.svg", show_data=True, show_grad=True, rankdir=rankdir,
                         group_modules=True)
    graph_left, graph_right = float("inf"), float("-inf")
    legend_left, legend_right = float("inf"), float("-inf")
    for group in ET.parse(svg).getroot().iter(f"{SVG}g"):
        kind = group.get("class")
        shapes = [e for e in group if e.tag in (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")]
        xs = [x for e in shapes for x in _xs(e)]
        if kind in ("node", "cluster") and xs:
            graph_left, graph_right = min(graph_left, *xs), max(graph_right, *xs)
        elif kind == "graph":
            legend = [e for e in shapes[1:] if e.tag == f"{SVG}polygon"]  # shapes[0] is the background
            xs = [x for e in legend for x in _xs(e)]
            legend_left, legend_right = min(xs), max(xs)
    assert legend_right - legend_left <= graph_right - graph_left + 1.0


def _xs(element) -> list[float]:
    if element.tag.endswith("ellipse"):
        cx, rx = float(element.get("cx")), float(element.get("rx"))
        return [cx - rx, cx + rx]
    numbers = re.findall(r"-?\d+(?:\.\d+)?", element.get("points") or element.get("d") or "")
    return [float(x) for x in numbers[0::2]]


def test_the_note_appears_only_when_values_were_asked_for_and_not_recorded():
    after = readme_graph(record=False)
    recorded = readme_graph(record=True)
    note = "run the forward pass inside `with viz.record():`"

    def has_note(dot: str) -> bool:
        return note in dot.replace("<BR/>", " ")

    assert has_note(viz.to_dot(after, show_data=True)) and has_note(viz.to_dot(after, show_grad=True))
    assert not has_note(viz.to_dot(after)) and not has_note(viz.to_dot(recorded, show_data=True, show_grad=True))
    assert not has_note(viz.to_dot(Tensor(1.0, requires_grad=True), show_data=True))  # a leaf: nothing missing


def test_the_demos_draw_or_explain_without_dot(tmp_path, no_dot_on_path, capsys):
    from demos import tanh_network

    tanh_network.main(["--out", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("save_graph: the Graphviz program `dot` is not installed")
    assert viz.INSTALL_HINT in out[-1] and (tmp_path / "graph.dot").is_file()
    assert os.environ["PATH"] == str(tmp_path / "empty")
