"""Binder's environment is the project's environment: one source of truth."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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


def test_postbuild_installs_the_lock_and_the_package() -> None:
    text = (ROOT / "binder" / "postBuild").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in text, "Binder gets the versions CI tested"
    assert "--no-deps -e ." in text
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for needed in ("ipykernel", "ipywidgets", "jupyterlab", "graphviz", "h11"):
        assert re.search(rf"^{needed}==", lock, re.M), f"the tutorials need {needed} on Binder"


def test_lock_covers_every_declared_dependency() -> None:
    """requirements.lock is pyproject's extras resolved: refresh it (scripts/lock.sh) when they change."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in ("notebook", "test"):
        wanted += project["optional-dependencies"][extra]
    pinned = {_norm(m[1]) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock_text(), re.M)}
    missing = sorted(_norm(re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0]) for req in wanted)
    assert [name for name in missing if name not in pinned] == []


def lock_text() -> str:
    return (ROOT / "requirements.lock").read_text(encoding="utf-8")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_repo2docker_builds_binder_from_this_repository() -> None:
    """`jupyter-repo2docker --no-build` (offline: it only writes the Dockerfile) picks binder/."""
    exe = shutil.which("jupyter-repo2docker", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("jupyter-repo2docker is not installed (the test extra brings it)")
    out = subprocess.run(
        [exe, "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    dockerfile = out.stdout + out.stderr
    assert "FROM " in dockerfile
    assert "python=3.11" in dockerfile, "environment.yml's Python"
    assert re.search(r"RUN .*binder/postBuild", dockerfile), "postBuild runs in the image"


def test_postbuild_is_executable_and_installs_the_kernel() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker only runs an executable postBuild"
    text = post.read_text(encoding="utf-8")
    assert "mirage_nb.notebook.kernelspec install" in text
