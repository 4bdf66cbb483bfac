"""What installing scratchgrad puts into an environment, and what it leaves alone.

* The wheel holds `autograd` and `nn` (with their `py.typed` markers) and the LICENSE, and no top-level
  `demos` or `benchmarks` (generic names that would shadow other projects'); those run from a checkout.
* The version has one source, `autograd.__version__`, which pyproject.toml reads.
* Installing changes nothing in other projects' tests: no pytest plugin is registered, and importing
  `autograd.testing` leaves hypothesis's settings alone.
* Without hypothesis, `autograd.testing`'s hypothesis parts say which extra to install.

The wheel is built offline from a copy of the sources (no build isolation, no index), so the test needs
no network and leaves no build/ or *.egg-info in the checkout.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import autograd

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def run_python(code: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    pytest.importorskip("setuptools", minversion="77", reason="building the wheel offline needs setuptools>=77")
    pytest.importorskip("wheel", reason="building the wheel offline needs the wheel package installed")
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for name in ("autograd", "nn", "demos", "benchmarks"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                             "--disable-pip-version-check", "-q", "-w", str(dist), str(source)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = dist.glob("scratchgrad-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_installs_the_libraries_and_not_the_demos(wheel):
    top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert top_level == {"autograd", "nn", f"scratchgrad-{autograd.__version__}.dist-info"}


def test_the_wheel_ships_type_markers_and_the_license(wheel):
    names = set(wheel.namelist())
    assert {"autograd/py.typed", "nn/py.typed"} <= names
    license_file = f"scratchgrad-{autograd.__version__}.dist-info/licenses/LICENSE"
    assert "MIT License" in wheel.read(license_file).decode()
    metadata = wheel.read(f"scratchgrad-{autograd.__version__}.dist-info/METADATA").decode()
    assert f"Version: {autograd.__version__}\n" in metadata
    assert 'Requires-Dist: hypothesis>=6.100; extra == "testing"' in metadata


def test_the_wheel_registers_no_pytest_plugin(wheel):
    entry_points = next((n for n in wheel.namelist() if n.endswith("entry_points.txt")), None)
    text = wheel.read(entry_points).decode() if entry_points else ""
    assert "pytest11" not in text
    assert "pytest11" not in PYPROJECT["project"].get("entry-points", {})


def test_the_version_has_one_source():
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "autograd.__version__"}
    # The build backend pyproject.toml asks for (older ones reject its SPDX `license`); pip builds with it.
    pytest.importorskip("setuptools", minversion="77", reason="reading pyproject.toml needs setuptools>=77")
    from setuptools.config.pyprojecttoml import read_configuration

    expanded = read_configuration(ROOT / "pyproject.toml", expand=True)
    assert expanded["project"]["version"] == autograd.__version__


def test_the_installed_metadata_has_the_same_version():
    """Metadata built from this checkout (an editable install of it, or the egg-info it leaves here)."""
    ours = []
    for distribution in importlib.metadata.distributions(name="scratchgrad"):
        origin = json.loads(distribution.read_text("direct_url.json") or "{}").get("url", "")
        location = Path(str(distribution.locate_file(""))).resolve()
        if origin.removeprefix("file://").rstrip("/") == str(ROOT) or location == ROOT:
            ours.append(distribution.version)
    if not ours:
        pytest.skip("scratchgrad is not installed from this checkout (no metadata built from it)")
    assert set(ours) == {autograd.__version__}


def test_importing_autograd_testing_leaves_hypothesis_settings_alone():
    result = run_python(
        "from hypothesis import settings\n"
        "before = settings.default\n"
        "import autograd.testing, autograd.testing.strategies, autograd.testing.properties\n"
        "assert settings.default is before, 'autograd.testing changed the hypothesis settings'\n"
        "assert not settings.default.derandomize and settings.default.max_examples == 100\n"
    )
    assert result.returncode == 0, result.stderr


def test_without_hypothesis_the_error_says_which_extra_to_install():
    result = run_python(
        "import sys\n"
        "sys.modules['hypothesis'] = None  # as if it were not installed\n"
        "import autograd.testing  # the assertions need no hypothesis\n"
        "from autograd.testing import assert_grads_close\n"
        "for name in ('strategies', 'properties'):\n"
        "    try:\n"
        "        __import__('autograd.testing.' + name)\n"
        "    except ModuleNotFoundError as error:\n"
        "        print(error)\n"
        "try:\n"
        "    autograd.testing.use_hypothesis_profiles()\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert 'needs hypothesis, which is not installed: pip install "scratchgrad[testing]"' in line


def test_the_demos_run_from_a_checkout_with_python_dash_m(tmp_path):
    env_code = "import demos.tanh_network, sys; print(demos.tanh_network.__file__)"
    result = run_python(env_code)
    assert result.returncode == 0 and Path(result.stdout.strip()).is_relative_to(ROOT), result.stderr
    demo = subprocess.run([sys.executable, "-m", "demos.tanh_network", "--no-graph"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert demo.returncode == 0 and demo.stdout.startswith("9.887385002294863"), demo.stderr
