"""Binder's environment is the project's environment: one source of truth."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_binder_environment_is_the_root_environment() -> None:
    root = (ROOT / "environment.yml").read_bytes()
    binder = (ROOT / "binder" / "environment.yml").read_bytes()
    assert binder == root, "binder/environment.yml must be a copy of environment.yml: edit the root one and copy it"


def test_environment_pins_nothing_pyproject_already_says() -> None:
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "one pip section, installing the local package"
    (pip,) = pip_sections
    # Python packages come from pyproject.toml only: the pip section installs the package itself.
    assert all(entry.startswith("-e ..") for entry in pip), pip
    conda = [d for d in deps if isinstance(d, str)]
    assert any(d.startswith("python=3.1") for d in conda), "pin python (repo2docker defaults to 3.10)"
    assert "graphviz" in conda, "the dot program draws the tutorials' graphs"


def test_the_extras_environment_yml_names_exist_in_pyproject() -> None:
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(project.get("optional-dependencies", {}))
    for entry in pip:
        if "[" in entry:
            wanted = {e.strip() for e in entry.split("[", 1)[1].rstrip("]").split(",")}
            assert wanted <= extras, f"{entry}: extras {wanted - extras} are not in pyproject.toml"
    notebook = " ".join(project["optional-dependencies"]["notebook"])
    for needed in ("ipykernel", "ipywidgets"):
        assert needed in notebook, f"the tutorials need {needed} on Binder"


def test_postbuild_is_executable_and_installs_the_kernel() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker only runs an executable postBuild"
    text = post.read_text(encoding="utf-8")
    assert "mirage_nb.notebook.kernelspec install" in text
