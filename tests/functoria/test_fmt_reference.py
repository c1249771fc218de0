"""Re-print the real ``mirage describe`` outputs through the Format port, byte for byte.

Each ``describe*.txt`` under ``shared/reference/mirage-4.11.1`` is split back
into its parts (name, key entries, output, dot vertex and edge lines), then
printed again the way functoria's ``Info.pp``, ``Key.pps`` and ``Impl.pp_dot``
print them, through :mod:`mirage_nb.functoria.fmt`.  This checks the layout
rules (the 66/67-column Keys threshold, the dot graph's box at column 12, the
trailing spaces) against the real tool rather than only against OCaml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mirage_nb.functoria.fmt import (
    Formatter,
    fprintf,
    pp_any,
    pp_cut,
    pp_list,
    pp_nop,
    pp_string,
    pp_text,
    pp_vbox,
    sprintf,
)

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
    """Print as ``Lib.describe`` does: the info rows in a v box, then the graph (or nothing) and a newline."""
    ppf = Formatter()

    def info(ppf: Formatter, _: Any) -> None:
        def show(label: str, pp: Any, value: Any, newline: bool) -> None:
            fprintf(ppf, "@[<2>%-10s@ %a@]" + ("@," if newline else ""), label, pp, value)

        show("Name", pp_string, parsed["name"], True)
        keys = pp_vbox(pp_list(pp_any(",@ "), pp_string))
        show("Keys", keys, parsed["keys"], parsed["output"] is not None)
        if parsed["output"] is not None:
            show("Output", pp_string, parsed["output"], False)

    def dot(ppf: Formatter, graph: tuple[list[str], list[str]]) -> None:
        vertices, edges = graph
        lines = pp_list(pp_cut, pp_string)
        fprintf(ppf, "@[<v2>digraph G {@,ordering=out;@,%a@,@,%a@,}@]", lines, vertices, lines, edges)

    fprintf(ppf, "@[<v>%a@]", info, None)
    fprintf(ppf, "%a\n%!", dot if parsed["dot"] else pp_nop, parsed["dot"])
    return ppf.contents()


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


def _reprint_connect(block: str) -> str:
    """Print a connect block again as ``Engine.emit_connect`` does (through ``Fmt.kstr``)."""
    lines = block.split("\n")
    var = lines[0].split()[1]
    i = 1
    forces: list[tuple[str, str]] = []
    while _FORCE.search(lines[i]):
        forces += [(name, result) for result, name in _FORCE.findall(lines[i])]
        i += 1
    binds: list[str] = []
    while _BIND.fullmatch(lines[i]):
        binds.append(_BIND.fullmatch(lines[i]).group(1))  # type: ignore[union-attr]
        i += 1
    keys: list[str] = []
    while lines[i].startswith("  let _") and lines[i].endswith("__key ()) in"):
        keys.append(lines[i])
        i += 1
    pos = _POS.fullmatch(lines[i])
    if pos:
        i += 1
    code = "\n".join(lines[i:-1]).removeprefix("  ")

    def meta_init(ppf: Formatter, item: tuple[str, str]) -> None:
        fprintf(ppf, "  let _%s = Lazy.force %s in@ ", item[1], item[0])

    def bind(ppf: Formatter, name: str) -> None:
        fprintf(ppf, "  _%s >>= fun %s ->\n", name, name)

    def bind_key(ppf: Formatter, line: str) -> None:
        fprintf(ppf, "%s\n", line)

    def pp_pos(ppf: Formatter, _: Any) -> None:
        if pos:
            fprintf(ppf, "# %d %S@.", int(pos.group(1)), pos.group(2))

    return sprintf(
        "let %s = lazy (\n%a%a%a%a  %s@\n);;",
        var,
        pp_list(pp_nop, meta_init),
        [(name, "_" + name) for name, _ in forces],
        pp_list(pp_nop, bind),
        ["_" + b for b in binds],
        pp_list(pp_nop, bind_key),
        keys,
        pp_pos,
        None,
        code,
    )


@pytest.mark.parametrize("path", _MAINS, ids=[str(f.relative_to(_REFERENCE)) for f in _MAINS])
def test_main_ml_prelude_and_connect_blocks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    os_name = text.split("let run t = ", 1)[1].split(".", 1)[0]
    prelude = Formatter()
    fprintf(
        prelude,
        "%a@.@.",
        pp_text,
        f"open Lwt.Infix\ntype 'a io = 'a Lwt.t\nlet return = Lwt.return\nlet run t = {os_name}.Main.run t ; exit 0",
    )
    assert text.startswith(prelude.contents())
    blocks = _connect_blocks(text)
    assert blocks
    for block in blocks:
        assert _reprint_connect(block) == block
