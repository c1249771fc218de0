"""Re-print the real ``mirage describe`` outputs and main.ml files through the package's own printers.

Each ``describe*.txt`` under ``shared/reference/mirage-4.11.1`` is split back
into its parts (name, key entries, output, dot vertex and edge lines), then
printed again by the very functions ``mirage-nb describe`` prints with
(:func:`~mirage_nb.functoria.info.pp_rows`, :func:`~mirage_nb.functoria.dot.dot_text`).
Each generated main.ml is split into its connect blocks, printed again by
:func:`~mirage_nb.functoria.codegen._main_ml.emit_connect`, and its prelude by
the Mirage project's prelude through :func:`~mirage_nb.functoria.codegen._main_ml.prelude_text`.
This checks the layout rules (the 66/67-column Keys threshold, the dot
graph's box at column 12, the trailing spaces, the ``# line`` directives)
against the real tool, over far more layouts than the example configs produce.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.codegen._main_ml import emit_connect, prelude_text
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.dot import dot_text
from mirage_nb.functoria.fmt import Formatter
from mirage_nb.functoria.info import Info, pp_rows
from mirage_nb.mirage import keys as Key
from mirage_nb.mirage.project import PROJECT

_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "mirage-4.11.1"
_FILES = sorted(_REFERENCE.rglob("describe*.txt")) if _REFERENCE.is_dir() else []
_FILES = [f for f in _FILES if not f.name.endswith(".stderr.txt")]

pytestmark = pytest.mark.skipif(not _FILES, reason=f"reference outputs not found at {_REFERENCE}")


def _parse(text: str) -> dict[str, Any] | None:
    """Split a describe output into its fields; None when it is not a plain describe output."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("Name ")]
    if not starts or lines[-1] != "":
        return None
    lines = lines[starts[0] : -1]
    name = lines[0][len("Name       ") :]
    i = 1
    if not lines[i].startswith("Keys "):
        return None
    keys: list[str] = []
    first = lines[i][len("Keys       ") :]
    if first:
        keys.append(first)
    i += 1
    while i < len(lines) and lines[i].startswith("  "):
        keys.append(lines[i].strip())
        i += 1
    keys = [k.removesuffix(",") for k in keys]
    parsed: dict[str, Any] = {"name": name, "keys": keys, "output": None, "dot": None}
    if i < len(lines) and lines[i].startswith("Output     "):
        rest = lines[i][len("Output     ") :]
        if rest.startswith("-digraph G {"):
            parsed["output"] = "-"
            graph = [line[14:] for line in lines[i + 1 :]]
            if graph[0] != "ordering=out;" or graph[-1] != "}":
                return None
            blank = graph.index("")
            parsed["dot"] = (graph[1:blank], graph[blank + 1 : -1])
            i = len(lines)
        else:
            parsed["output"] = rest
            i += 1
    return parsed if i == len(lines) else None


def _describe(parsed: dict[str, Any]) -> str:
    """What ``mirage describe [--dot -o-]`` prints for these fields, by the package's printers."""
    ppf = Formatter()
    pp_rows(ppf, parsed["name"], parsed["keys"], parsed["output"])
    text = ppf.contents()
    if parsed["dot"]:
        vertices, edges = parsed["dot"]
        return text + dot_text(vertices, edges, 12) + "\n"
    return text + "\n"


@pytest.mark.parametrize("path", _FILES, ids=[str(f.relative_to(_REFERENCE)) for f in _FILES])
def test_describe_output_reprinted_identically(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parsed = _parse(text)
    if parsed is None:
        pytest.skip("not a plain describe output (an error, or a layout this parser does not split)")
    start = 0 if text.startswith("Name ") else text.index("\nName ") + 1
    assert _describe(parsed) == text[start:]


# -- generated main.ml: the prelude and every connect block ---------------------------

_MAINS = sorted(_REFERENCE.rglob("*main.ml*")) if _REFERENCE.is_dir() else []
_FORCE = re.compile(r"let __(\S+) = Lazy\.force (\S+) in")
_BIND = re.compile(r"  __(\S+) >>= fun _(\S+) ->")
_POS = re.compile(r'# (\d+) "([^"]*)"')


def _connect_blocks(text: str) -> list[str]:
    """The ``let x = lazy (`` ... ``);;`` blocks of a main.ml, as printed."""
    return re.findall(r"^let \S+ = lazy \(\n.*?^\);;", text, flags=re.M | re.S)


_KEY = re.compile(r"  let _(\S+) = \((\S+)__key \(\)\) in")


def _reprint_connect(block: str) -> str:
    """Print a connect block again through ``emit_connect``, from the names, keys and code it shows."""
    lines = block.split("\n")
    var = lines[0].split()[1]
    i = 1
    names: list[str] = []
    while _FORCE.search(lines[i]):
        names += [name for result, name in _FORCE.findall(lines[i])]
        i += 1
    while _BIND.fullmatch(lines[i]):
        i += 1
    rargs = []
    while (key := _KEY.fullmatch(lines[i])) is not None:
        rargs.append(SimpleNamespace(var_name=key.group(1)))
        i += 1
    pos = _POS.fullmatch(lines[i])
    if pos:
        i += 1
    code = "\n".join(lines[i:-1]).removeprefix("  ")
    where = (pos.group(2), int(pos.group(1)), 0, 0) if pos else None
    return emit_connect(var, names, rargs, Code(code, where))


_TARGET = re.compile(r"configure-([a-z0-9]+)\.")


@pytest.mark.parametrize("path", _MAINS, ids=[str(f.relative_to(_REFERENCE)) for f in _MAINS])
def test_main_ml_prelude_and_connect_blocks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = _TARGET.search(str(path.relative_to(_REFERENCE)))
    assert found, f"{path}: which target configured this main.ml?"
    target = Key.target.arg.parse(found.group(1))
    info = Info("x", context=K.Context().add(Key.target, target))
    assert text.startswith(prelude_text(PROJECT.prelude(info)))
    blocks = _connect_blocks(text)
    assert blocks
    for block in blocks:
        assert _reprint_connect(block) == block
