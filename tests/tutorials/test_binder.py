"""Binder's environment is the project's environment: one source of truth."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_binder_environment_is_the_root_environment() -> None:
    root = ROOT / "environment.yml"
    assert root.read_bytes() == (ROOT / "binder" / "environment.yml").read_bytes()
    assert root.is_symlink(), "environment.yml must link to binder/environment.yml (one file, no drift)"


def test_environment_holds_only_what_pip_cannot_install() -> None:
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    # Python packages come from pyproject.toml only: no pip section to drift from it.
    assert all(isinstance(d, str) for d in deps), deps
    assert any(d.startswith("python=3.1") for d in deps), "pin python (repo2docker defaults to 3.10)"
    assert "graphviz" in deps and "pip" in deps, "the dot program draws the tutorials' graphs"


def test_postbuild_installs_an_extra_that_pyproject_declares() -> None:
    text = (ROOT / "binder" / "postBuild").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    assert 'pip install --no-cache-dir -e ".[notebook]"' in text
    notebook = " ".join(extras["notebook"])
    for needed in ("ipykernel", "ipywidgets"):
        assert needed in notebook, f"the tutorials need {needed} on Binder"


def test_postbuild_is_executable_and_installs_the_kernel() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker only runs an executable postBuild"
    text = post.read_text(encoding="utf-8")
    assert "mirage_nb.notebook.kernelspec install" in text
