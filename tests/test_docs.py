"""The documentation runs: every ```python block in README.md and docs/**/*.md (the learning path is in
docs/learn/), and every doctest in autograd and nn.

Blocks of one file run in order in one namespace, as a reader would paste them, inside a temporary
directory (so files they write do not land in the repository). A ```text output block right after a
python block (blank lines between are fine) is the output that block prints: it must match exactly, so
the docs cannot show output the code no longer produces. ```text, ```bash and other blocks do not run.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from demos.textbook import has_api

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]  # the learning path lives in docs/learn/
MNIST_CACHE = nn.datasets.data_dir() / "mnist.npz"
# A page can declare an API it needs that another branch is still building: <!-- requires: nn.BatchNorm1d -->
REQUIRES = re.compile(r"<!-- requires: ([\w.]+(?:, [\w.]+)*) -->")
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")


@dataclass
class Block:
    info: str  # the fence's info string: "python", "text output", "bash", ...
    code: str
    line: int  # line number of the opening fence, for error messages
    follows_previous: bool  # only blank lines separate it from the previous block


def code_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i, last_end = 0, None
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, start = match.group("fence"), i
        body = []
        i += 1
        while i < len(lines) and not (lines[i].startswith(fence[0] * len(fence)) and not lines[i].strip(fence[0])):
            body.append(lines[i])
            i += 1
        between = lines[last_end + 1:start] if last_end is not None else ["x"]
        blocks.append(Block(match.group("info").strip(), "\n".join(body) + "\n", start + 1,
                            all(not line.strip() for line in between)))
        last_end = i
        i += 1
    return blocks


def test_code_blocks_parser_pairs_code_with_its_output():
    text = "intro\n```python\nprint(1)\n```\n\n```text output\n1\n```\n```bash\nls\n```\n"
    blocks = code_blocks(text)
    assert [(b.info, b.code, b.line) for b in blocks] == [
        ("python", "print(1)\n", 2), ("text output", "1\n", 6), ("bash", "ls\n", 9)
    ]
    assert blocks[1].follows_previous


@pytest.fixture
def clean_state(tmp_path, monkeypatch):
    """Run in a temporary directory and undo global settings a doc may change."""
    monkeypatch.chdir(tmp_path)
    dtype, printoptions = autograd.get_default_dtype(), np.get_printoptions()
    yield
    autograd.set_default_dtype(dtype)
    np.set_printoptions(**printoptions)


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_python_blocks_in_docs_run(path, clean_state):
    blocks = code_blocks(path.read_text())
    if not MNIST_CACHE.is_file() and any("load_mnist(" in b.code for b in blocks if b.info == "python"):
        pytest.skip(f"the page trains on MNIST and there is no cache at {MNIST_CACHE}: "
                    "run `python -m nn.datasets fetch mnist` first")
    missing = [name for match in REQUIRES.finditer(path.read_text()) for name in match.group(1).split(", ")
               if not has_api(name)]
    if missing:
        pytest.skip(f"the page needs {', '.join(missing)}, which this checkout does not have yet")
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    printed = None
    for block in blocks:
        if block.info == "python":
            stdout = io.StringIO()
            code = compile(block.code, f"{path.name}:{block.line}", "exec")
            with contextlib.redirect_stdout(stdout):
                exec(code, namespace)  # noqa: S102 - running the documentation is the point
            printed = stdout.getvalue()
        elif block.info == "text output":
            assert block.follows_previous and printed is not None, (
                f"{path.name}:{block.line}: a 'text output' block must follow a python block"
            )
            expected = [line.rstrip() for line in block.code.rstrip("\n").splitlines()]
            actual = [line.rstrip() for line in printed.rstrip("\n").splitlines()]
            assert actual == expected, f"{path.name}:{block.line}: the block above prints something else"
            printed = None
        else:
            printed = None


def _modules(package):
    yield package
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if info.name.endswith("pytest_plugin"):
            continue
        yield importlib.import_module(info.name)


MODULES = [m for package in (autograd, nn) for m in _modules(package)]


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_docstring_examples_run(module, clean_state):
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module.__name__):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} docstring examples in {module.__name__} failed (see output above)"
