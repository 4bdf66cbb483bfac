"""Mutants that cannot change behaviour, and why: they are left out of the score, and listed in its report.

An entry matches a mutant by file, enclosing function, and the code before and after the change (not by
line number, so entries survive edits elsewhere in the file). Only list a mutant here after convincing
yourself that no input can tell it apart from the original; a mutant that is merely hard to test is a
survivor, not an equivalent. If a listed mutant is ever killed, the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.mutation.mutants import Mutant


@dataclass(frozen=True)
class Equivalent:
    path: str
    function: str  # the qualified name of the innermost enclosing function ("" at module level)
    original: str
    mutated: str
    reason: str

    def matches(self, mutant: Mutant) -> bool:
        function = mutant.scopes[-1][0] if mutant.scopes else ""
        return (mutant.path, function, mutant.original, mutant.mutated) == (
            self.path, self.function, self.original, self.mutated)


EQUIVALENT: list[Equivalent] = []


def equivalence_reason(mutant: Mutant) -> str | None:
    for entry in EQUIVALENT:
        if entry.matches(mutant):
            return entry.reason
    return None
