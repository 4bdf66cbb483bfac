"""Deterministic hypothesis profiles for gradient tests, loaded only by those who ask for them.

Installing scratchgrad changes nothing in other projects' tests. A project opts in from its own
`conftest.py`, as ours does (tests/conftest.py):

    from autograd.testing import use_hypothesis_profiles
    use_hypothesis_profiles()

The profiles:
* `dev` (the default): derandomized, so a failure reproduces on the next run and on other machines; no
  deadline, since a loaded 2-core machine must not turn timing noise into failures; 60 examples a test.
* `ci` (the default when the `CI` environment variable is set): `dev`, plus the reproduction blob printed
  on failure.
* `thorough`: random and 1000 examples a test, for hunting bugs: `pytest --hypothesis-profile=thorough`
  (hypothesis's own option, applied after conftest.py, so it wins).

Tests whose examples are expensive scale their count from the loaded profile's (`settings.default`) rather
than fixing it, so `thorough` makes them thorough too.
"""

from __future__ import annotations

import os

from autograd.testing.requirements import require_hypothesis

__all__ = ["DEFAULT_EXAMPLES", "PROFILES", "use_hypothesis_profiles"]

DEFAULT_EXAMPLES = 60  # examples per test in `dev` and `ci`
PROFILES = ("dev", "ci", "thorough")


def use_hypothesis_profiles(profile: str | None = None) -> str:
    """Register the `dev`, `ci` and `thorough` profiles and load one; return its name.

    Args:
        profile: the profile to load; by default `ci` when the `CI` environment variable is set, else `dev`.

    Raises ModuleNotFoundError (saying which extra to install) without hypothesis, and ValueError for an
    unknown profile name.
    """
    with require_hypothesis("autograd.testing.use_hypothesis_profiles"):
        from hypothesis import HealthCheck, settings
    if profile is None:
        profile = "ci" if os.environ.get("CI") else "dev"
    if profile not in PROFILES:
        raise ValueError(f"use_hypothesis_profiles: unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("dev", derandomize=True, max_examples=DEFAULT_EXAMPLES, **common)
    settings.register_profile("ci", derandomize=True, max_examples=DEFAULT_EXAMPLES, print_blob=True, **common)
    settings.register_profile("thorough", derandomize=False, max_examples=1000, **common)
    settings.load_profile(profile)
    return profile
