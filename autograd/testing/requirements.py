"""What to install when an optional dependency of autograd.testing is missing.

The gradient assertions (`checks.py`) need only NumPy. The property tests and strategies need hypothesis,
which is an extra: without it, the import fails with a message that says what to install instead of a bare
"No module named 'hypothesis'".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

INSTALL_HINT = 'pip install "scratchgrad[testing]" (or just `pip install hypothesis`)'


@contextmanager
def require_hypothesis(what: str) -> Iterator[None]:
    """Run the imports of hypothesis in the block; if hypothesis is missing, say that `what` needs it."""
    try:
        yield
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "hypothesis":
            raise  # something else is missing: do not blame hypothesis
        raise ModuleNotFoundError(f"{what} needs hypothesis, which is not installed: {INSTALL_HINT}",
                                  name="hypothesis") from error
