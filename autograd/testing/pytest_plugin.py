"""An opt-in pytest plugin that loads scratchgrad's deterministic hypothesis profiles.

It is no longer registered by installing the package (an installed `pytest11` entry point would change
hypothesis's settings in every project of the environment). Enable it in your own project, either in its
`conftest.py` (`pytest_plugins = ["autograd.testing.pytest_plugin"]`) or on the command line
(`pytest -p autograd.testing.pytest_plugin`); or call `autograd.testing.use_hypothesis_profiles()` from
`conftest.py` yourself. The profiles are described in `autograd/testing/profiles.py`.
"""

from __future__ import annotations

from autograd.testing.profiles import use_hypothesis_profiles

use_hypothesis_profiles()
