"""pytest plugin (registered through the `pytest11` entry point): deterministic hypothesis profiles.

Profiles:
* `ci` (used when the CI environment variable is set): derandomized, no deadline, a fixed example budget,
  so a run is reproducible and never flaky on a loaded machine.
* `dev` (the default otherwise): derandomized too, so a local failure reproduces; no deadline, since a
  2-core laptop running other work must not turn timing noise into failures.
* `thorough`: random and many more examples, for hunting bugs: `pytest --hypothesis-profile=thorough`.
"""

from __future__ import annotations

import os


def _register_profiles() -> None:
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # hypothesis is a dev dependency; without it there is nothing to configure
        return
    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("ci", derandomize=True, max_examples=60, print_blob=True, **common)
    settings.register_profile("dev", derandomize=True, max_examples=60, **common)
    settings.register_profile("thorough", derandomize=False, max_examples=1000, **common)
    settings.load_profile("ci" if os.environ.get("CI") else "dev")


_register_profiles()
