"""The modules real configs reach beside Mirage: Cmdliner, Logs, Printf/Fmt, Sys; and OCaml's type errors."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from mirage_nb.config_ml import ConfigMlTypeError, UnboundError, evaluate
from mirage_nb.errors import MirageNbError
from mirage_nb.functoria.help import key_arg

COLOUR = """open Mirage
open Cmdliner

type colour = Red | Blue

let colour_conv =
  let parse = function
    | "red" -> Ok Red
    | "blue" -> Ok Blue
    | s -> Error (`Msg (Printf.sprintf "unknown colour %S" s))
  in
  Arg.conv ~docv:"COLOUR" (parse, Fmt.(using (function Red -> "red" | Blue -> "blue") string))

let colour =
  let env = Cmd.Env.info "COLOUR" in
  let doc = Key.Arg.info ~doc:"The colour." ~env [ "colour" ] in
  Key.(create "colour" Arg.(opt colour_conv Blue doc))

let thing =
  let connect info modname = function
    | [ noop ] ->
        let c = match Key.get (Info.context info) colour with Red -> "red" | Blue -> "blue" in
        code ~pos:__POS__ "%s.start %S %s" modname c noop
    | _ -> connect_err "thing" 1
  in
  impl ~connect ~keys:[ Key.v colour ] "Thing" (job @-> job)

let () = register "colours" [ thing $ noop ]
"""


def _eval(text: str):
    with contextlib.redirect_stdout(io.StringIO()):
        return evaluate(text, "config.ml")


def _key(app, name):
    return next(k for k in app.keys() if k.name == name)


def test_a_cmdliner_converter_carries_its_printer_parser_and_docv():
    app = _eval(COLOUR).app
    key = _key(app, "colour")
    assert key.arg.print(key.default) == "blue"  # the OCaml printer, run by the evaluator
    assert key.arg.print(key.arg.parse("red")) == "red"
    with pytest.raises(MirageNbError, match='unknown colour "green"'):
        key.arg.parse("green")
    doc = key_arg(key)
    assert doc.docv == "COLOUR"
    assert doc.env == "COLOUR"


def test_the_key_value_reaches_the_connect_code_and_describe():
    app = _eval(COLOUR).app
    assert "colour=blue (default)" in str(app.describe())
    assert "colour=red," in str(app.describe(colour="red"))


def test_key_arg_has_only_what_mirage_key_arg_has():
    # Mirage 4.11.1's Key.Arg has opt/required/flag/opt_all/info: converters come from Cmdliner
    with pytest.raises(UnboundError, match="Unbound value int"):
        _eval('open Mirage\nlet k = Key.(create "p" Arg.(opt int 8080 (info ["p"])))\n')


def test_logs_levels_and_the_default_reporter():
    ev = _eval(
        "open Mirage\n"
        "let r = default_reporter ~level:(Some Logs.Warning) ()\n"
        "let s = Logs.level_to_string (Some Logs.Debug)\n"
        'let () = register ~reporter:r "l" [ main "U.Main" (job @-> job) $ noop ]\n'
    )
    assert ev.values["s"] == "debug"


def test_printf_formats_follow_ocaml():
    ev = _eval('let s = Printf.sprintf "%s.connect %S %d %ld %Ld %x %5.2f %-3d|" "M" "a\\"b" 1 2l 3L 255 3.14159 7\n')
    assert ev.values["s"] == 'M.connect "a\\"b" 1 2 3 ff  3.14 7  |'


def test_sys_getcwd_is_where_the_tool_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _eval("let d = Sys.getcwd ()\n").values["d"] == os.getcwd()


@pytest.mark.parametrize(
    ("line", "message", "column"),
    [
        ('let p = package ~min:1 "x"', "has type int but an expression was expected of type string", 22),
        ('let m = main "U.Main" ~packages:[ "x" ] job', "expected of type package list", 33),
        ("let b = block_of_file 3", "has type int but an expression was expected of type string", 23),
        ("let s = generic_stackv4v6 netif", "has type a function but an expression was expected of type impl", 27),
        ('let k = Key.Arg.info "k"', "expected of type string list", 22),
    ],
)
def test_type_errors_are_errors_at_the_argument(line, message, column):
    with pytest.raises(ConfigMlTypeError, match=message) as err:
        _eval(f"open Mirage\n{line}\n")
    assert f"config.ml:2:{column}:" in str(err.value)
