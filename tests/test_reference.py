"""Replay every recorded command of the real ``mirage`` 4.11.1 through ``mirage-nb``, byte for byte.

The cases are those of ``../shared/tools/refcheck.py`` (the reference's own
index of commands, exit codes and written files); they run in-process here
so the whole replay stays fast. A config is read from its ``config.ml`` when
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
ROOTS = [SHARED / "reference" / "mirage-4.11.1"]
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
        for d in sorted({p.parent for p in root.rglob("config.ml")}):
            for c in rc.cases_for(d):
                out.append(pytest.param(c, id=f"{d.relative_to(root)}/{c.name}"))
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


@pytest.mark.skipif(
    not REFCHECK.exists(), reason="../shared/reference is absent (the reference outputs live beside the repo)"
)
@pytest.mark.parametrize("case", _cases())
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
