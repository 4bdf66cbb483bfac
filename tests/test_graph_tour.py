"""demos.graph_tour: where it writes, what it does without Graphviz, and that docs/images is current.

The documentation's pictures are committed with their DOT source (`docs/images/NAME.dot`, written by
`python -m demos.graph_tour --docs`). The test below draws each picture again and compares the DOT text
with the committed source, so a change to autograd.viz or to the demo that changes a picture fails here
until the pictures are regenerated. The text is compared, not the pixels: the pixels depend on the
Graphviz version and its fonts, the text only on our code. Numbers are compared to 3 significant digits
(the pictures print 4), so a different BLAS rounding the last digit differently is not a failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from demos import graph_tour

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def assert_same_dot(actual: str, expected: str, name: str) -> None:
    """Equal text around the numbers; the numbers equal to within rounding of their last printed digit."""
    fix = f"run `python -m demos.graph_tour --docs` to regenerate docs/images/{name}.png and {name}.dot"
    assert NUMBER.split(actual) == NUMBER.split(expected), f"{name}: the picture's text changed: {fix}"
    for got, want in zip(NUMBER.findall(actual), NUMBER.findall(expected), strict=True):
        assert float(got) == pytest.approx(float(want), rel=2e-3, abs=1e-12), f"{name}: {got} != {want}: {fix}"


@pytest.mark.parametrize("name", sorted(graph_tour.PICTURES))
def test_the_committed_pictures_are_what_the_code_draws(name):
    committed = graph_tour.DOCS_IMAGES / f"{name}.dot"
    assert committed.is_file(), f"docs/images/{name}.dot is missing: run `python -m demos.graph_tour --docs`"
    assert (graph_tour.DOCS_IMAGES / f"{name}.png").is_file()
    assert_same_dot(graph_tour.dot_source(name), committed.read_text(encoding="utf-8"), name)


def test_every_picture_of_the_docs_is_drawn_by_the_tour():
    used = set(re.findall(r"images/(\w+)\.png", (ROOT / "docs" / "visualization.md").read_text()))
    assert used == set(graph_tour.PICTURES)


def test_the_comparison_notices_a_changed_picture():
    text = graph_tour.dot_source("apple")
    with pytest.raises(AssertionError, match="graph_tour --docs"):
        assert_same_dot(text.replace("Mul", "Multiply"), text, "apple")
    with pytest.raises(AssertionError, match="graph_tour --docs"):
        assert_same_dot(text.replace("grad 2.2", "grad 2.3"), text, "apple")
    assert_same_dot(text.replace("grad 2.2", "grad 2.2001"), text.replace("grad 2.2", "grad 2.2"), "apple")


def test_graph_tour_draws_every_picture_as_dot(tmp_path):
    written = graph_tour.main(["--out", str(tmp_path), "--format", "dot"])
    assert sorted(p.name for p in written) == sorted(f"{name}.dot" for name in graph_tour.PICTURES)
    apple = (tmp_path / "apple.dot").read_text(encoding="utf-8")
    assert "<B>subtotal</B><BR/>200" in apple and "grad 2.2" in apple
    vanishing = (tmp_path / "vanishing_gradients.dot").read_text(encoding="utf-8")
    assert vanishing.count("vanishing</B>") >= 3  # the sigmoid net's first layers
    assert "b=None" not in vanishing  # layers without a bias have no unexplained label


def test_graph_tour_writes_into_runs_by_default_never_into_the_docs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = graph_tour.main(["--only", "apple", "--format", "dot"])
    assert written == [Path("runs/graph_tour/apple.dot")] and (tmp_path / written[0]).is_file()
    with pytest.raises(SystemExit):
        graph_tour.main(["--docs", "--out", str(tmp_path)])


def test_graph_tour_without_dot_writes_every_dot_file_and_says_how_to_install(tmp_path):
    env_path = tmp_path / "no-dot"
    env_path.mkdir()
    result = subprocess.run([sys.executable, "-m", "demos.graph_tour", "--out", str(tmp_path / "out")], cwd=ROOT,
                            capture_output=True, text=True, check=False, env={"PATH": str(env_path)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:-1] == [f"wrote {tmp_path / 'out' / name}.dot" for name in graph_tour.PICTURES]
    assert "`dot` is not installed" in lines[-1] and "apt-get install graphviz" in lines[-1]
    assert result.stderr == ""
