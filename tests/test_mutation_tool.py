"""The mutation-testing tool (tools/mutation, docs/testing.md "Mutation testing") makes the changes it says.

A mutation score is only worth something if each mutant really is the one small change its report names,
and if a mutant the tests cannot see is not counted as killed. These tests check the mutant generator on
a small module, and that the equivalents file names mutants that still exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tools.mutation.equivalent import EQUIVALENT, equivalence_reason
from tools.mutation.mutants import generate

ROOT = Path(__file__).resolve().parents[1]

SOURCE = '''
"""A docstring is never mutated."""
import numpy as np

SCALE = 2


def f(x, y, flag=True):
    """Neither is this one."""
    if flag and x > 0:
        z = x * y + 1
    else:
        z = -x
    message = f"x is {x}"
    return np.sum(z, axis=0, keepdims=True)
'''


def run(tree: ast.Module, x, y, flag=True):
    namespace: dict = {}
    exec(compile(tree, "<mutant>", "exec"), namespace)  # noqa: S102 - our own test module's source
    return namespace["f"](x, y, flag)


def test_each_operator_makes_one_change():
    mutants = generate(SOURCE, "example.py")
    described = [m.describe() for m in mutants]
    expected = [
        "[constant] 2 -> 3",  # SCALE
        "[constant] True -> False",  # the default of flag
        "[boolop] flag and x > 0 -> flag or x > 0",
        "[compare] x > 0 -> x >= 0",
        "[binop] x * y + 1 -> x * y - 1",
        "[binop] x * y -> x / y",
        "[unary] -x -> x",
        "[return] return np.sum(z, axis=0, keepdims=True) -> return None",
        "[keyword] np.sum(z, axis=0, keepdims=True) -> np.sum(z, keepdims=True)",
        "[remove] z = x * y + 1 -> pass",
    ]
    for change in expected:
        assert any(change in d for d in described), (change, described)
    assert len({(m.path, m.index) for m in mutants}) == len(mutants), "every mutant has its own name"
    lines = {m.line: [] for m in mutants}
    for m in mutants:
        lines[m.line].append(m.operator)
    assert not set(lines) & {2, 3, 9}, "docstrings and imports are left alone"
    assert lines[14] == ["remove"], "an f-string (an error message) is only removed as a whole statement"


def test_a_mutant_changes_behaviour_and_leaves_the_original_tree_alone():
    tree = ast.parse(SOURCE)
    original = run(tree, 3.0, 2.0)
    assert original == 7.0
    flip = next(m for m in generate(SOURCE, "example.py") if "[binop] x * y + 1 -> x * y - 1" in m.describe())
    mutated_tree = flip.apply(tree)
    assert run(mutated_tree, 3.0, 2.0) == 5.0
    assert run(tree, 3.0, 2.0) == 7.0, "apply works on a copy"
    negate = next(m for m in generate(SOURCE, "example.py") if "[unary] -x -> x" in m.describe())
    assert run(negate.apply(tree), -3.0, 2.0) == -3.0  # the else branch, no longer negated
    assert run(tree, -3.0, 2.0) == 3.0


def test_the_equivalents_name_mutants_of_the_core_that_exist():
    """An entry that matches nothing (the code moved on) would silently stop excluding anything: none may."""
    paths = sorted({entry.path for entry in EQUIVALENT})
    mutants = [m for path in paths for m in generate((ROOT / path).read_text(), path)]
    unused = [entry for entry in EQUIVALENT if not any(entry.matches(m) for m in mutants)]
    assert not unused, unused
    reasons = [equivalence_reason(m) for m in mutants]
    assert all(r is None or len(r) > 20 for r in reasons), "every exclusion says why"
    assert sum(r is not None for r in reasons) < 0.1 * len(mutants), "equivalents are the exception"
