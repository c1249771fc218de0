"""OCaml's Printf conversions and Format's line breaking, checked against the real OCaml where installed."""

from __future__ import annotations

import random
import shutil
import subprocess
from typing import Any

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.sim.fmt import Formatter, asprintf, ocaml_escaped, sprintf

OCAML = shutil.which("ocaml")


@pytest.mark.parametrize(
    "fmt, args, expected",
    [
        ("%d|%5d|%-5d|%05d", (42, 42, 42, -42), "42|   42|42   |-0042"),
        ("%x %X %o %#x", (255, 255, 8, 255), "ff FF 10 0xff"),
        ("%lu %Lu %ld", (-1, -1, -1), "4294967295 18446744073709551615 -1"),
        ("0x%02X 0x%04X 0x%08lX 0x%016LX", (10, 300, -2, 1), "0x0A 0x012C 0xFFFFFFFE 0x0000000000000001"),
        ("%s and %S", ('a"b', 'q"\n\t\\'), 'a"b and "q\\"\\n\\t\\\\"'),
        ("%B %b %c %%", (True, False, "z"), "true false z %"),
        ("%.3f %f %g", (3.14159, 1.0, 0.5), "3.142 1.000000 0.5"),
        ("%*d|%-*s|", (4, 7, 3, "ab"), "   7|ab |"),
        ("@[x@]", (), "@[x@]"),  # Printf: @ is plain text
        ("%s@%d @@ %%@", ("a", 1), "a@1 @@ %@"),
        ("%e|%.2E|%F|%F|%.3F", (1234.5, 0.000123, 1.0, 0.1, 2.0), "1.234500e+03|1.23E-04|1.|0.1|2."),
        ("%C %C %C", ("a", "'", "\n"), "'a' '\\'' '\\n'"),
        ("%.4d|%+d|% d|%#o|%nx", (7, 3, 3, 8, -1), "0007|+3| 3|010|ffffffffffffffff"),
    ],
)
def test_printf_conversions(fmt: str, args: tuple[Any, ...], expected: str) -> None:
    assert sprintf(fmt, *args) == expected


def test_printf_errors_name_the_format() -> None:
    with pytest.raises(SimulationError, match="missing an argument"):
        sprintf("%d %d", 1)
    with pytest.raises(SimulationError, match="2 arguments given, 1 expected"):
        sprintf("%d", 1, 2)
    with pytest.raises(SimulationError, match="expects an int"):
        sprintf("%d", "x")


_OCAML_PRINTF = [
    (
        '"%e|%.2E|%F|%F|%.3F|%F|%F" 1234.5 0.000123 1.0 0.1 2.0 (1. /. 3.) 1e20',
        ("%e|%.2E|%F|%F|%.3F|%F|%F", 1234.5, 0.000123, 1.0, 0.1, 2.0, 1 / 3, 1e20),
    ),
    ("\"%C %C %C\" 'a' '\\'' '\\n'", ("%C %C %C", "a", "'", "\n")),
    (
        '"%.4d|%+d|% d|%#o|%nx|%#x|%#X|%lx|%Lo" 7 3 3 8 (-1n) 0 255 (-2l) (-8L)',
        ("%.4d|%+d|% d|%#o|%nx|%#x|%#X|%lx|%Lo", 7, 3, 3, 8, -1, 0, 255, -2, -8),
    ),
    (
        '"%g|%g|%G|%8.3f|%-8.2e|" 0.0001 1e20 1e-5 3.14159 2.5',
        ("%g|%g|%G|%8.3f|%-8.2e|", 0.0001, 1e20, 1e-5, 3.14159, 2.5),
    ),
]


@pytest.mark.skipif(OCAML is None, reason="the ocaml toplevel is not installed (it is the oracle here)")
def test_printf_conversions_match_ocaml() -> None:
    script = "".join(
        f'let () = print_string (Printf.sprintf {ml}); print_string "\\n@@END@@\\n"\n' for ml, _ in _OCAML_PRINTF
    )
    res = subprocess.run([OCAML, "-stdin"], input=script, capture_output=True, text=True, timeout=60, check=True)
    expected = res.stdout.split("\n@@END@@\n")[:-1]
    assert [sprintf(*py) for _, py in _OCAML_PRINTF] == expected


def test_escaped_matches_string_escaped() -> None:
    assert ocaml_escaped("\x07\x00é") == "\\007\\000\\233"


def test_format_boxes_without_ocaml() -> None:
    # A hov box breaks only where the next word would not fit in 78 columns.
    words = " ".join(f"word{i}" for i in range(20))
    out = asprintf("@[<hov 2>%a@]", lambda ppf, ws: [(ppf.string(w), ppf.brk(1, 0)) for w in ws.split()], words)
    lines = out.splitlines()
    assert all(len(line) <= 78 for line in lines) and len(lines) == 2 and lines[1].startswith("  word")
    assert asprintf("@[<v 2>a@ b@ c@]") == "a\n  b\n  c"
    assert asprintf("@[<h>a@ b@]") == "a b"


# -- differential test against OCaml's Format -----------------------------------

_KINDS = {
    "h": "Format.pp_open_hbox ppf ()",
    "v": "Format.pp_open_vbox ppf {n}",
    "hv": "Format.pp_open_hvbox ppf {n}",
    "hov": "Format.pp_open_hovbox ppf {n}",
    "b": "Format.pp_open_box ppf {n}",
}


def _program(rng: random.Random) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    depth = 0
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        if r < 0.4:
            ops.append(("text", "x" * rng.randint(1, 25)))
        elif r < 0.65:
            ops.append(("break", rng.randint(0, 3), rng.randint(-2, 4)))
        elif r < 0.8:
            ops.append(("open", rng.choice(list(_KINDS)), rng.randint(0, 6)))
            depth += 1
        elif r < 0.95 and depth:
            ops.append(("close",))
            depth -= 1
        else:
            ops.append(("newline",))
    return ops


def _ocaml(ops: list[tuple[Any, ...]]) -> str:
    out = []
    for op in ops:
        match op:
            case ("text", s):
                out.append(f'Format.pp_print_string ppf "{s}"')
            case ("break", w, o):
                out.append(f"Format.pp_print_break ppf {w} ({o})")
            case ("open", k, n):
                out.append(_KINDS[k].format(n=n))
            case ("close",):
                out.append("Format.pp_close_box ppf ()")
            case ("newline",):
                out.append("Format.pp_force_newline ppf ()")
    return "; ".join(out) + "; ()"


def _ours(ops: list[tuple[Any, ...]]) -> str:
    parts: list[str] = []
    f = Formatter(parts.append)
    for op in ops:
        match op:
            case ("text", s):
                f.string(s)
            case ("break", w, o):
                f.brk(w, o)
            case ("open", k, n):
                f.open_box(k, 0 if k == "h" else n)  # pp_open_hbox takes no indentation
            case ("close",):
                f.close_box()
            case ("newline",):
                f.force_newline()
    f.flush()
    return "".join(parts)


@pytest.mark.skipif(OCAML is None, reason="the ocaml toplevel is not installed (it is the oracle here)")
def test_format_layout_matches_ocaml_on_random_programs() -> None:
    rng = random.Random(20261123)
    programs = [_program(rng) for _ in range(300)]
    script = [
        "let run f = let b = Buffer.create 100 in let ppf = Format.formatter_of_buffer b in "
        'f ppf; Format.pp_print_flush ppf (); print_string (Buffer.contents b); print_string "\\n@@END@@\\n"'
    ]
    for ops in programs:
        script.append(f"let () = run (fun ppf -> {_ocaml(ops)})")
    res = subprocess.run(
        [OCAML, "-stdin"], input="\n".join(script) + "\n", capture_output=True, text=True, timeout=120, check=True
    )
    expected = res.stdout.split("\n@@END@@\n")[:-1]
    assert len(expected) == len(programs)
    for ops, want in zip(programs, expected, strict=True):
        assert _ours(ops) == want, ops


@pytest.mark.skipif(OCAML is None, reason="the ocaml toplevel is not installed (it is the oracle here)")
def test_mirage_logs_line_with_block_info_matches_ocaml() -> None:
    from mirage_nb.sim.block import Info, Mirage_block

    script = (
        'let () = Format.fprintf Format.std_formatter ("%s: [INFO] [block] @[" ^^ "%a" ^^ "@]@.") '
        '"2025-01-01T00:00:00Z" (fun ppf (a, b, c) -> Format.fprintf ppf "@[<2>{ @[Mirage_block.read_write =@ %B@];'
        '@ @[sector_size =@ %d@];@ @[size_sectors =@ %LdL@]@ }@]" a b c) (true, 512, 100000L)\n'
    )
    res = subprocess.run([OCAML, "-stdin"], input=script, capture_output=True, text=True, timeout=60, check=True)
    ours = asprintf(
        "%s: [INFO] [block] @[%a@]@.", "2025-01-01T00:00:00Z", Mirage_block.pp_info, Info(True, 512, 100000)
    )
    assert ours == res.stdout
