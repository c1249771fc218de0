"""The layers point down: import-linter's contracts (pyproject.toml) hold, lazy imports included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.app import runner_for

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a test dependency (pip install -e '.[test]')"
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_the_mirage_project_runs_through_the_simulator_it_declares() -> None:
    from mirage_nb.mirage.project import PROJECT
    from mirage_nb.sim.cli import run_application

    assert runner_for(PROJECT) is run_application


def test_a_tool_without_a_simulator_says_so() -> None:
    class Other:
        name = "not-a-tool"

    with pytest.raises(ConfigError, match="no simulator declares that it runs 'not-a-tool' applications"):
        runner_for(Other())
