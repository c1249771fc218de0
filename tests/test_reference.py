"""Replay every recorded command of the real ``mirage`` 4.11.1 through ``mirage-nb``, byte for byte.

The cases are those of ``../shared/tools/refcheck.py`` (the reference's own
index of commands, exit codes and written files) over ``mirage-4.11.1/`` (the
tool's tests, the skeleton tutorials, extra configs) and ``wild-4.11.1/`` (real
configs from public repositories, some of which the real tool refuses: their
exit codes and the files they leave behind are the expected behaviour); they
run in-process here so the whole replay stays fast. The cases are listed at
collection time (``pytest_generate_tests``), never when the module is
imported; without ``../shared`` a single case skips with the reason. A config is read from its ``config.ml`` when
the config.ml reader is available, else from its Python twin under
``tests/configs/`` (same relative path).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
REFCHECK = SHARED / "tools" / "refcheck.py"
ROOTS = [SHARED / "reference" / "mirage-4.11.1", SHARED / "reference" / "wild-4.11.1"]
ABSENT = "../shared/reference is absent (the reference outputs live beside the repo)"
TWINS = HERE / "configs"


def _refcheck():
    spec = importlib.util.spec_from_file_location("refcheck", REFCHECK)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["refcheck"] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _cases():
    if not REFCHECK.exists():
        return []
    rc = _refcheck()
    out = []
    for root in ROOTS:
        if not root.is_dir():
            continue
        for d in sorted({p.parent for p in root.rglob("config.ml")}):
            for c in rc.cases_for(d):
                out.append(pytest.param(c, id=f"{root.name}/{d.relative_to(root)}/{c.name}"))
    return out


def _config_name(case) -> str:
    for flag in ("-f", "--file"):
        if flag in case.args:
            return case.args[case.args.index(flag) + 1]
    return "config.ml"


def _prepare(case, work: Path) -> list[str]:
    """Copy the config (or its twin) into ``work``; return the arguments to use."""
    name = _config_name(case)
    shutil.copy(case.config_dir / "config.ml", work / name)
    return list(case.args)


def _run(args: list[str]) -> tuple[int, str]:
    from mirage_nb.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(args, out=out, err=err)
    return rc, out.getvalue()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    cases = _cases()
    if not cases:
        cases = [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="no-reference")]
    metafunc.parametrize("case", cases)


def test_both_reference_sets_are_replayed():
    if not REFCHECK.exists():
        pytest.skip(ABSENT)
    for root in ROOTS:
        assert any(root.rglob("exit-codes.txt")), f"no recorded commands under {root}"


def test_reference_case(case, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.delenv("MODE", raising=False)
    monkeypatch.delenv("MIRAGE_EXTRA_REPOS", raising=False)
    monkeypatch.chdir(tmp_path)
    args = _prepare(case, tmp_path)
    if case.setup:
        setup = case.setup.split()
        if "-f" in args:
            setup += ["-f", args[args.index("-f") + 1]]
        _run(setup)
    rc, stdout = _run(args)
    assert rc == case.rc
    if case.kind == "configure":
        want = case.config_dir / f"{case.name}.txt"
        assert stdout == (want.read_text() if want.exists() else "")
        if case.files_dir and case.files_dir.exists():
            for f in sorted(case.files_dir.rglob("*")):
                if f.is_file():
                    rel = f.relative_to(case.files_dir)
                    got = tmp_path / rel
                    assert got.exists(), f"{rel} was not written"
                    assert got.read_bytes() == f.read_bytes(), f"{rel} differs"
    else:
        assert stdout == (case.config_dir / f"{case.name}.txt").read_text()
