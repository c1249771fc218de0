"""One config per section of ``mirage.mli`` (4.11.1), each device with its labelled arguments.

Each config under ``configs/sections/`` is read by the config.ml reader and
configured through the command line. Where the real tool generated code for
the same device in a recorded reference (``../shared/reference``), the piece
of ``main.ml`` we generate for it (its runtime argument, its functor
application, its ``connect``) must be one the real tool wrote, numbering of
the graph's nodes aside. Devices that appear in no reference are checked on
what ``lib/devices/*.ml`` says they print (the assertions below).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest
from cm_support import CONFIGS, SHARED

from mirage_nb.cli import main as cli_main

SECTIONS = CONFIGS / "sections"
# the real tool prints them for targets where the device is not available
QUBES_ONLY = {"01_general.ml", "12_ip.ml"}
_NODE_NUMBER = re.compile(r"(__|_)\d+\b")
_MAIN_LINE = re.compile(r'^# \d+ "(mirage/)?main.ml"$', re.M)
_LIB_POS = re.compile(r'^# \d+ "lib/[^"]+"$', re.M)
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LOG_LEVEL = re.compile(r"\bLogs\.(App|Error|Warning|Info|Debug)\b")


def _configs() -> list[Path]:
    return sorted(SECTIONS.glob("*.ml"))


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = cli_main(args, out=out, err=err)
    return rc, out.getvalue() + err.getvalue()


def _configure(path: Path, work: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.delenv("MODE", raising=False)
    monkeypatch.chdir(work)
    shutil.copy(path, work / "config.ml")
    return _run(["configure", "-t", target])


def _blocks(text: str) -> list[str]:
    """main.ml split into its items (separated by blank lines), node numbers erased.

    String literals and log levels are what a config chooses (a group, an
    application name, ``~level``): they are erased too, so an item compares
    with the same device's item in a config that chose differently.
    """
    text = _MAIN_LINE.sub('# N "main.ml"', text)
    text = "\n".join(ln if ln.startswith("# ") else _STRING.sub('"S"', ln) for ln in text.split("\n"))
    text = _LOG_LEVEL.sub("Logs.L", text)
    return [_NODE_NUMBER.sub(r"\1N", b.strip()) for b in text.split("\n\n") if b.strip()]


def _key(block: str) -> str | None:
    """What identifies the device an item belongs to: its name, dependencies and where its code
    is in mirage's library, else the functor application or runtime argument its first line defines."""
    m = _LIB_POS.search(block)
    if m:
        # lib/mirage.ml's jobs gather what the application registers: they differ by config
        if '"lib/mirage.ml"' in m.group(0) or "with_argv" in block:
            return None
        # the same device (its code's place) over the same dependencies (the lines before it)
        return block[: m.end()]
    first = block.splitlines()[0]
    if first.startswith("module ") or first.endswith("Mirage_runtime.register_arg @@"):
        return first
    return None


def _reference_blocks() -> dict[str, set[str]]:
    """Every item of every main.ml the real tool generated, by what identifies its device."""
    out: dict[str, set[str]] = {}
    ref = SHARED / "reference"
    for p in [*ref.rglob("*.main.ml.txt"), *ref.rglob("configure-*.files/mirage/main.ml")]:
        for b in _blocks(p.read_text()):
            k = _key(b)
            if k is not None:
                out.setdefault(k, set()).add(b)
    return out


def test_one_config_per_section_of_mirage_mli():
    assert len(_configs()) == 27


@pytest.mark.parametrize("path", _configs(), ids=lambda p: p.stem)
def test_section_config_configures(path, tmp_path, monkeypatch):
    target = "qubes" if path.name in QUBES_ONLY else "unix"
    rc, out = _configure(path, tmp_path, target, monkeypatch)
    assert rc == 0, out
    assert "Successfully configured the unikernel" in out
    main = (tmp_path / "mirage" / "main.ml").read_text()
    assert "let () =\n  let t =" in main


@pytest.mark.parametrize("path", _configs(), ids=lambda p: p.stem)
def test_section_main_ml_matches_the_real_tool_where_recorded(path, tmp_path, monkeypatch):
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"the shared reference outputs are not available at {SHARED / 'reference'}")
    reference = _reference_blocks()
    target = "qubes" if path.name in QUBES_ONLY else "unix"
    rc, out = _configure(path, tmp_path, target, monkeypatch)
    assert rc == 0, out
    compared = 0
    for block in _blocks((tmp_path / "mirage" / "main.ml").read_text()):
        k = _key(block)
        seen = reference.get(k) if k is not None else None
        if seen is None:
            continue
        compared += 1
        assert block in seen, f"{path.name}: differs from every recorded variant:\n{block}"
    assert compared, f"{path.name}: no device of this config appears in the reference"


def test_a_device_that_refuses_the_target_leaves_what_the_real_tool_wrote(tmp_path, monkeypatch):
    # lib/functoria/lib.ml: Makefile, then mirage/<name>.opam, then main.ml device by device;
    # the qubes database's configure step refuses unix before dune.build is written.
    rc, out = _configure(SECTIONS / "01_general.ml", tmp_path, "unix", monkeypatch)
    assert rc == 1
    assert "Qubes DB invoked for an unsupported target; qubes and xen are supported" in out
    for name in ("Makefile", "mirage/context", "mirage/general-unix.opam", "mirage/main.ml"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "dune.build").exists()
    assert (tmp_path / "mirage" / "context").read_text() == "configure\n-t\nunix\n"
    rc, opam = _run(["query", "opam"])
    assert rc == 0
    want = "mirage configure --context-file ./mirage/context --no-extra-repo"
    assert f'x-mirage-configure: ["sh" "-exc" "{want}"]' in opam


def test_a_config_that_does_not_compile_still_caches_its_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    (tmp_path / "config.ml").write_text('open Mirage\nlet () = register "x" [ foreign "U.Main" job ]\n')
    rc, out = _run(["configure", "-t", "hvt", "--net=host"])
    assert rc == 1
    assert "Unbound value foreign" in out
    assert (tmp_path / "mirage" / "context").read_text() == "configure\n-t\nhvt\n--net=host\n"
    assert (tmp_path / "dune.config").is_file()
    assert not (tmp_path / "Makefile").exists()


def test_reporter_level_from_logs(tmp_path, monkeypatch):
    # lib/devices/reporter.ml prints the level as OCaml source: (Some Logs.Debug)
    rc, out = _configure(SECTIONS / "05_reporter.ml", tmp_path, "unix", monkeypatch)
    assert rc == 0, out
    main = (tmp_path / "mirage" / "main.ml").read_text()
    assert "Mirage_runtime.set_level ~default:(Some Logs.Debug)" in main


def test_register_src_some_is_the_opam_url(tmp_path, monkeypatch):
    rc, out = _configure(SECTIONS / "27_register.ml", tmp_path, "unix", monkeypatch)
    assert rc == 0, out
    opam = (tmp_path / "mirage" / "registering-unix.opam").read_text()
    assert 'url { src: "https://example.org/u.git" }' in opam
