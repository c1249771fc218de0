"""A fresh clone without ``../shared`` collects every test and skips, with a reason, what needs the reference.

The real tool's recorded outputs live beside the repository, not in it: a
learner's clone, Binder and a workshop machine have none. Nothing may read
them at import or collection time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The test modules that read ``../shared/reference`` (all must skip, not fail, without it).
READS_THE_REFERENCE = [
    "tests/mirage/test_twins.py",
    "tests/test_reference.py",
    "tests/functoria/test_help.py",
    "tests/functoria/test_codegen.py",
    "tests/functoria/test_codegen_reference.py",
    "tests/functoria/test_fmt_reference.py",
    "tests/config_ml/test_config_ml_reference.py",
    "tests/config_ml/test_config_ml_version.py",
]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's tracked files (as in the work tree) in a folder with no ``shared/`` beside it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    dest = tmp_path_factory.mktemp("fresh") / "mirage_nb"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name, follow_symlinks=False)
    assert not (dest.parent / "shared").exists()
    return dest


def _pytest(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_test_module_collects(clone: Path) -> None:
    run = _pytest(clone, "--collect-only", "-q", "tests", "--ignore=tests/test_fresh_clone.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " error" not in run.stdout.splitlines()[-1], run.stdout[-3000:]


def test_reference_tests_skip_with_a_reason(clone: Path) -> None:
    for module in READS_THE_REFERENCE:
        assert "shared" in (ROOT / module).read_text(encoding="utf-8"), f"{module} no longer reads ../shared?"
    run = _pytest(clone, "-q", "-rs", *READS_THE_REFERENCE)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    skips = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips, run.stdout[-3000:]
    for module in READS_THE_REFERENCE:
        reasons = [line for line in skips if module in line]
        assert reasons, f"{module}: nothing skipped without ../shared"
        assert any("shared" in line or "reference" in line for line in reasons), reasons
