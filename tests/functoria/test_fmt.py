"""The Format port against bytes recorded from the real OCaml ``Stdlib.Format``.

``data/fmt_cases.json`` was produced by ``ocaml data/gen_fmt_cases.ml`` (OCaml
4.13.1; the layout algorithm is unchanged in 5.x). Each case is replayed here
through :mod:`mirage_nb.functoria.fmt`, which must print exactly the recorded
text. OCaml is not needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.functoria.fmt import (
    FormatError,
    Formatter,
    Printer,
    escaped,
    fprintf,
    pp_any,
    pp_box,
    pp_cut,
    pp_hvbox,
    pp_list,
    pp_nop,
    pp_sp,
    pp_string,
    pp_text,
    pp_vbox,
    sprintf,
)

_DATA = json.loads((Path(__file__).parent / "data" / "fmt_cases.json").read_text(encoding="utf-8"))
_CASES: list[dict[str, Any]] = _DATA["cases"]


def _printer(spec: dict[str, Any]) -> Printer:
    """Build the printer a fixture's ``%a`` argument describes (see ``pp_arg`` in the generator)."""
    if "text" in spec:
        return pp_text
    if "box" in spec:
        inner = _printer(spec["arg"])
        wrap = {"v": pp_vbox, "b": pp_box, "hv": pp_hvbox}[spec["box"]]
        return wrap(inner, spec["indent"])
    sep_spec = spec["sep"]
    sep: Printer
    if isinstance(sep_spec, dict):
        sep = pp_any(sep_spec["any"])
    else:
        sep = {"cut": pp_cut, "sp": pp_sp, "nop": pp_nop}[sep_spec]
    elt_spec = spec["elt"]
    if elt_spec == "string":

        def elt(ppf: Formatter, item: list[str]) -> None:
            pp_string(ppf, item[0])

    else:

        def elt(ppf: Formatter, item: list[str]) -> None:
            fprintf(ppf, elt_spec["fmt"], *item)

    return pp_list(sep, elt)


def _value_of(spec: dict[str, Any]) -> Any:
    if "text" in spec:
        return spec["text"]
    if "box" in spec:
        return _value_of(spec["arg"])
    return spec["list"]


def _args(values: list[dict[str, Any]]) -> list[Any]:
    args: list[Any] = []
    for value in values:
        scalar = next((value[key] for key in ("s", "d", "c", "b", "f") if key in value), None)
        if scalar is not None:
            args.append(scalar)
        elif "a" in value:
            args += [_printer(value["a"]), _value_of(value["a"])]
        else:
            printer, arg = _printer(value["t"]), _value_of(value["t"])
            args.append(lambda ppf, printer=printer, arg=arg: printer(ppf, arg))
    return args


def _replay(case: dict[str, Any]) -> str:
    kind = case["kind"]
    if kind == "fmt":
        return sprintf(case["fmt"], *_args(case["args"]))
    if kind == "seq":
        ppf = Formatter()
        for call in case["calls"]:
            fprintf(ppf, call["fmt"], *_args(call["args"]))
        return ppf.contents()
    ppf = Formatter(margin=case["margin"], max_indent=case["max_indent"])
    for op in case["ops"]:
        name = op[0]
        if name == "open":
            ppf.open_box(op[1], op[2])
        elif name == "close":
            ppf.close_box()
        elif name == "str":
            ppf.string(op[1])
        elif name == "brk":
            ppf.break_(op[1], op[2])
        elif name == "fnl":
            ppf.force_newline()
        elif name == "flush":
            ppf.flush()
        else:
            ppf.newline()
    return ppf.contents()


def test_fixture_is_big_enough() -> None:
    assert len(_CASES) >= 300
    kinds = {case["kind"] for case in _CASES}
    assert kinds == {"ops", "fmt", "seq"}


@pytest.mark.parametrize("case", _CASES, ids=[case["name"] for case in _CASES])
def test_matches_ocaml_format(case: dict[str, Any]) -> None:
    assert _replay(case) == case["out"]


# -- the section-0 quirks, spelt out ------------------------------------------------


def test_if_label_last_separator_breaks() -> None:
    keys = pp_list(pp_any(",@ "), pp_string)
    assert sprintf("If\n%a", keys, ["net", "no-dhcp", "target"]) == "If\nnet, no-dhcp,\ntarget"
    assert sprintf("If\n%a", keys, ["target"]) == "If\ntarget"
    assert sprintf("If\n%a", keys, []) == "If\n"


def test_prelude_exit_zero_split() -> None:
    prelude = "open Lwt.Infix\ntype 'a io = 'a Lwt.t\nlet return = Lwt.return\nlet run t = Unix_os.Main.run t ; exit 0"
    ppf = Formatter()
    fprintf(ppf, "%a@.@.", pp_text, prelude)
    assert ppf.contents().endswith("let run t = Unix_os.Main.run t ; exit\n0\n\n")


def test_raw_newline_does_not_reset_column() -> None:
    # After 70 columns and a raw newline, a short word no longer fits: the hint breaks.
    assert sprintf("@[%s@ %s@ x@]", "a" * 70 + "\n", "b" * 6) == "a" * 70 + "\n" + "\n" + "b" * 6 + " x"


def test_formatter_is_persistent_between_calls() -> None:
    ppf = Formatter()
    fprintf(ppf, "@[<v 2>a@,")
    fprintf(ppf, "b@]")
    assert ppf.contents() == "a\n  b"


def test_widths_are_utf8_bytes() -> None:
    # 35 "é" are 70 bytes: with the 2-column prefix and a space the next word does not fit.
    out = sprintf("@[xx%s@ %s@]", "é" * 35, "abcdefgh")
    assert out == "xx" + "é" * 35 + "\nabcdefgh"


def test_escaped_matches_string_escaped() -> None:
    assert escaped('a"b\\c\n\t\x01é') == 'a\\"b\\\\c\\n\\t\\001\\195\\169'
    assert sprintf("%S", "If\ntarget") == '"If\\ntarget"'


def test_padding() -> None:
    assert sprintf("[%-10s]", "Keys") == "[Keys      ]"
    assert sprintf("[%5d|%-4d|%04d]", 42, 7, -3) == "[   42|7   |-003]"


@pytest.mark.parametrize(
    ("fmt", "args", "message"),
    [
        ("%s %s", ("a",), "missing an argument"),
        ("%s", ("a", "b"), "2 arguments given"),
        ("@[<w 2>x@]", (), "box description"),
        ("%s", (3,), "expects a str"),
    ],
)
def test_bad_formats_raise_format_error(fmt: str, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(FormatError, match=message):
        sprintf(fmt, *args)


def test_bad_box_kind_raises() -> None:
    with pytest.raises(FormatError, match="box kind"):
        Formatter().open_box("x")


# -- fuzzing the format-string reader ------------------------------------------------

_FORMAT_PIECES = st.sampled_from(
    [
        "a",
        "bc",
        " ",
        "\n",
        "é",
        "@",
        "%",
        "[",
        "]",
        "<",
        ">",
        "v",
        "hov",
        "2",
        "-1",
        ";",
        ",",
        ".",
        "?",
        "{",
        "}",
        "!",
        "s",
        "d",
        "S",
        "a",
        "t",
        "-",
        "*",
        "@[",
        "@]",
        "@ ",
        "@,",
        "@;<1 2>",
        "%s",
        "%%",
    ]
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_FORMAT_PIECES, max_size=30), args=st.lists(st.text(max_size=5), max_size=4))
def test_any_format_prints_or_raises_format_error(pieces: list[str], args: list[str]) -> None:
    """Garbage formats either print or raise FormatError; never another exception."""
    try:
        out = sprintf("".join(pieces), *args)
    except FormatError:
        return
    assert isinstance(out, str)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=12), min_size=1, max_size=30),
    kind=st.sampled_from(["h", "hov", "b", "hv"]),
)
def test_breaks_only_replace_spaces(words: list[str], kind: str) -> None:
    """Laying out a box of words and spaces changes only the whitespace between them."""
    ppf = Formatter()
    ppf.open_box(kind, 0)
    for index, word in enumerate(words):
        if index:
            ppf.space()
        ppf.string(word)
    ppf.close_box()
    out = ppf.contents()
    assert out.split() == words
    if kind == "h":
        assert out == " ".join(words)
    else:
        assert all(len(line) <= 78 or " " not in line for line in out.split("\n"))
