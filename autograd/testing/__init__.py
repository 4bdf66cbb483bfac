"""Tools for testing gradients, ours and users' own (see docs/testing.md).

* `assert_grads_close(f, *inputs)`: gradients of f match central differences, or an AssertionError
  explains where and how they do not.
* `check_backprop(func, args, reference)`: one complete check of a function: forward against NumPy,
  gradients against central differences, and no mutated inputs, aliased gradients or leaked graphs.
* `gradcheck_property(f, *strategies)` and `backprop_test(func, reference)`: the same as hypothesis
  property tests, in one line.
* `autograd.testing.strategies`: hypothesis strategies for tensors, shapes and axes.
* `use_hypothesis_profiles()`: opt in to our deterministic hypothesis profiles (call it in conftest.py).

The property helpers, the strategies and the profiles need hypothesis (`pip install "scratchgrad[testing]"`;
without it they say so when used); the assertions do not, and importing this package never requires it.
"""

from __future__ import annotations

from typing import Any

from autograd.testing.checks import assert_grads_close, check_backprop
from autograd.testing.profiles import use_hypothesis_profiles

__all__ = ["assert_grads_close", "backprop_test", "check_backprop", "gradcheck_property", "use_hypothesis_profiles"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `import autograd.testing` works without hypothesis installed.
    if name in ("backprop_test", "gradcheck_property"):
        from autograd.testing import properties

        return getattr(properties, name)
    raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")
