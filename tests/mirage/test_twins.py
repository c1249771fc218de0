"""The Python twins of the reference configs describe exactly what mirage 4.11.1 printed.

Each ``tests/configs/<path>/config.py`` mirrors ``<reference>/<path>/config.ml``.
The ``--no-eval --dot`` graph is rebuilt directly from the application (the
golden test of spec §6.2 is ``mirage-test/describe``: 74 vertices); every
other recorded ``describe`` command is replayed through the tool in-process.
"""

from __future__ import annotations

import contextlib
import io
import runpy
import shlex
import shutil
from pathlib import Path

import pytest

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.app import Application, collecting_registrations
from mirage_nb.functoria.dot import render_dot
from mirage_nb.functoria.info import describe_text

HERE = Path(__file__).resolve().parent
TWINS = HERE.parent / "configs"
REFERENCE = HERE.parent.parent.parent / "shared" / "reference" / "mirage-4.11.1"

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference outputs not found at {REFERENCE}")


def _twins() -> list[Path]:
    return sorted(TWINS.rglob("config*.py"))


def load(twin: Path) -> tuple[Application, str]:
    """Run a twin as the CLI does; return its application and what it printed."""
    out = io.StringIO()
    with collecting_registrations() as apps, contextlib.redirect_stdout(out):
        runpy.run_path(str(twin))
    assert len(apps) == 1, f"{twin} registered {len(apps)} applications"
    return apps[0], out.getvalue()


def _rel(twin: Path) -> Path:
    return twin.parent.relative_to(TWINS)


def test_every_reference_config_has_a_twin():
    configs = {p.parent.relative_to(REFERENCE) for p in REFERENCE.rglob("config.ml")}
    assert configs == {_rel(t) for t in _twins() if t.name == "config.py"}


@pytest.mark.parametrize("twin", _twins(), ids=lambda p: str(p.relative_to(TWINS)))
def test_no_eval_dot(twin: Path):
    app, printed = load(twin)
    c = app.evaluate(K.Context(), full=False)
    got = printed + describe_text(c.info) + "\nOutput     -" + render_dot(c.impl, 12) + "\n"
    want = (REFERENCE / _rel(twin) / "describe-no-eval-dot.txt").read_text()
    assert got == want


def test_golden_stack_graph_has_74_vertices():
    app, _ = load(TWINS / "mirage-test" / "describe" / "config.py")
    dot = render_dot(app.evaluate(K.Context(), full=False).impl, 0)
    assert sum(1 for line in dot.splitlines() if "[label=" in line) == 74


def _describe_cases() -> list:
    cases: list = []
    if not REFERENCE.is_dir():  # collected all the same; pytestmark skips with the reason
        return cases
    for twin in _twins():
        ref = REFERENCE / _rel(twin)
        for line in (ref / "exit-codes.txt").read_text().splitlines():
            name, _, cmd = line.partition(" :: mirage ")
            name, _, rc = name.partition(" rc=")
            args = shlex.split(cmd)
            if not args or args[0] != "describe" or "--no-eval" in args and "--dot" in args and len(args) == 4:
                continue
            f = args[args.index("-f") + 1] if "-f" in args else "config.ml"
            if f[:-3] != twin.stem:
                continue
            args = [a for a in args[1:] if a not in ("-f", f)]
            cases.append(pytest.param(twin, args, name, int(rc), id=f"{_rel(twin)}/{twin.stem}/{name}"))
    return cases


@pytest.mark.parametrize(("twin", "args", "name", "rc"), _describe_cases())
def test_describe_commands(twin: Path, args: list[str], name: str, rc: int, monkeypatch, tmp_path):
    from mirage_nb.cli import main

    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.chdir(tmp_path)
    shutil.copy(twin, tmp_path / twin.name)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["describe", "-f", twin.name, *args], out, err)
    assert status == rc
    assert out.getvalue() == (REFERENCE / _rel(twin) / f"{name}.txt").read_text()
