"""What a learner sees when the reader refuses a config: OCaml's wording, file:line:column, a caret."""

from __future__ import annotations

import pytest

from mirage_nb.config_ml import (
    ApplicationError,
    ConfigMlFailure,
    ConfigMlSyntaxError,
    LimitError,
    MatchFailure,
    NoRegisterError,
    UnboundError,
    UnsupportedSyntaxError,
    evaluate,
    load,
    parse,
)
from mirage_nb.errors import ConfigMlError


def error_of(src: str, mirage, filename: str = "config.ml") -> ConfigMlError:
    with pytest.raises(ConfigMlError) as info:
        _ = evaluate(src, filename, mirage=mirage).app
    return info.value


def test_unbound_value_with_hint_and_caret(fake_mirage):
    err = error_of("open Mirage\nlet s = generic_stackv4 default_network\n", fake_mirage)
    assert isinstance(err, UnboundError)
    assert str(err) == (
        "config.ml:2:9: Unbound value generic_stackv4\n"
        "Hint: Did you mean generic_stackv4v6?\n"
        "2 | let s = generic_stackv4 default_network\n"
        "            ^^^^^^^^^^^^^^^"
    )
    assert (err.loc.file, err.loc.line, err.loc.column) == ("config.ml", 2, 9)


@pytest.mark.parametrize(
    "src, cls, message, line, column",
    [
        ("let x = Foo.bar", UnboundError, "Unbound module Foo", 1, 9),
        ("let x = Bar 1", UnboundError, "Unbound constructor Bar", 1, 9),
        ("open Mirage\nlet x = Key.nope", UnboundError, "Unbound value Key.nope", 2, 9),
        ("let x = y", UnboundError, "Unbound value y", 1, 9),
        # names are checked before running, as OCaml's compiler does: unused code too
        ("let f x = if false then y else x", UnboundError, "Unbound value y", 1, 25),
        ("let f = function [] -> 0 | _ -> g 1", UnboundError, "Unbound value g", 1, 33),
        ("let f x = match x with Foo -> 1 | _ -> 2", UnboundError, "Unbound constructor Foo", 1, 24),
        ("let f () = Nope.x", UnboundError, "Unbound module Nope", 1, 12),
        ("let f x = x\nlet g () = h ()\nlet h () = 1", UnboundError, "Unbound value h", 2, 12),
        ("let x = 1 +++ 2", UnboundError, "Unbound value ( +++ )", 1, 9),
        (
            'open Mirage\nlet m = main ~pakages:[] "M" job',
            ApplicationError,
            "This argument cannot be applied with label ~pakages: main has no parameter pakages\n"
            "Hint: Did you mean packages?",
            2,
            14,
        ),
        ("let x = 1 2", ApplicationError, "This expression is 1; it is not a function, it cannot be applied", 1, 9),
        (
            "let f ~a = a\nlet x = f ~b:1",
            ApplicationError,
            "This argument cannot be applied with label ~b: f has no such parameter",
            2,
            11,
        ),
        (
            "let x = Some",
            ApplicationError,
            "The constructor Some expects 1 argument(s), but is applied here to 0 argument(s)",
            1,
            9,
        ),
        ('let x = "abc', ConfigMlSyntaxError, "String literal not terminated", 1, 9),
        ("let x = (* open", ConfigMlSyntaxError, "Comment not terminated", 1, 9),
        ('(* "unterminated *)', ConfigMlSyntaxError, "This comment contains an unterminated string literal", 1, 1),
        ("let x = \x01", ConfigMlSyntaxError, "Illegal character (\\x01)", 1, 9),
        ("let x = 1 +", ConfigMlSyntaxError, "Syntax error: expected an expression, found end of file", 1, 12),
        ("let x = ]", ConfigMlSyntaxError, "Syntax error: expected an expression, found ']'", 1, 9),
        ("let x = [| 1 |]", UnsupportedSyntaxError, "arrays are not supported by the config.ml reader", 1, 9),
        ("let x = { a = 1 }", UnsupportedSyntaxError, "records are not supported by the config.ml reader", 1, 9),
        (
            "let x = try 1 with _ -> 2",
            UnsupportedSyntaxError,
            "try ... with (exception handling) is not supported by the config.ml reader",
            1,
            9,
        ),
        ("let x = ref 0", UnsupportedSyntaxError, "ref (mutable references) is not supported", 1, 9),
        ("class c = object end", UnsupportedSyntaxError, "a class definition is not supported", 1, 1),
        ("module F (X : S) = struct end", UnsupportedSyntaxError, "a functor definition is not supported", 1, 10),
        ('let x = failwith "boom"', ConfigMlFailure, 'exception Failure("boom")', 1, 9),
        ('let x = invalid_arg "bad"', ConfigMlFailure, 'exception Invalid_argument("bad")', 1, 9),
        ("let x = assert false", ConfigMlFailure, 'exception Assert_failure("config.ml", 1, 8)', 1, 9),
        ("let x = 1 / 0", ConfigMlFailure, "exception Division_by_zero", 1, 9),
        ("let x = match 1 with 2 -> 3", MatchFailure, 'Match_failure ("config.ml", 1, 8)', 1, 9),
        ("let Some x = None", MatchFailure, "does not match this pattern", 1, 5),
        ("let rec f x = f x\nlet y = f 1", LimitError, "evaluation nested too deeply", 1, None),
        ("let rec f x = x :: f x\nlet y = f 1", LimitError, "runaway recursion", 1, None),
        (
            "let x = 99999999999999999999",
            ConfigMlSyntaxError,
            "Integer literal exceeds the range of representable integers of type int",
            1,
            9,
        ),
    ],
)
def test_error_messages(src, cls, message, line, column, fake_mirage):
    err = error_of(src, fake_mirage)
    assert isinstance(err, cls), err
    assert message in err.msg
    assert err.loc.line == line
    if column is None:  # where a runaway recursion is stopped depends on the depth limit
        column = err.loc.column
    assert err.loc.column == column
    # the offending line, then a caret under the column
    lines = str(err).split("\n")
    src_line = src.split("\n")[line - 1]
    prefix = f"{line} | "
    assert lines[-2] == prefix + src_line
    assert lines[-1].index("^") == len(prefix) + column - 1


def test_no_register(fake_mirage):
    err = error_of("let x = 1", fake_mirage)
    assert isinstance(err, NoRegisterError)
    assert "must call register" in str(err)


def test_wrong_number_of_constructor_args(fake_mirage):
    err = error_of("type t = A of int * int\nlet x = A 1", fake_mirage)
    assert "The constructor A expects 2 argument(s)" in err.msg


def test_dsl_errors_are_located(fake_mirage):
    # the fake ``register`` refuses a non-list with a TypeError; the reader reports it at the call
    def bad_register(name, jobs):
        raise TypeError("jobs must be a list")

    fake_mirage.register = bad_register
    err = error_of('let () = Mirage.register "x" 3', fake_mirage)
    assert isinstance(err, ConfigMlFailure)
    assert "jobs must be a list" in err.msg and err.loc.line == 1


def test_load_missing_and_non_utf8(tmp_path):
    with pytest.raises(ConfigMlError, match="configuration file .*nope.ml missing"):
        load(tmp_path / "nope.ml")
    bad = tmp_path / "config.ml"
    bad.write_bytes(b'let x = "\xff"\n')
    with pytest.raises(ConfigMlError, match="not UTF-8"):
        load(bad)


def test_limits_on_size_and_nesting():
    with pytest.raises(LimitError, match="too large"):
        parse("let x = 1\n" * 200_000)
    with pytest.raises(LimitError, match="nested too deeply"):
        parse("let x = " + "(" * 1000 + "1" + ")" * 1000)
    with pytest.raises(LimitError, match="nested too deeply"):
        parse("let x = " + "1 :: " * 5000 + "[]")


def test_step_budget_stops_runaway_work(fake_mirage):
    src = "let rec loop n = if n = 0 then 0 else loop (n - 1)\nlet x = loop 10_000_000"
    err = error_of(src, fake_mirage)
    assert isinstance(err, LimitError) and "too many steps" in err.msg or "nested too deeply" in err.msg
    src = "let s = String.make 500_000 'a'\nlet x = List.init 1_000_000 (fun _ -> String.length (s ^ \"b\"))"
    err = error_of(src, fake_mirage)
    assert isinstance(err, LimitError)
    err = error_of("let s = String.make 900_000 'a'\nlet x = s ^ s", fake_mirage)
    assert isinstance(err, LimitError) and "too large" in err.msg


def test_many_names_end_in_the_step_budget(fake_mirage):
    # each lookup of a0 walks every earlier frame: the walk is charged, so this stops cleanly
    src = "\n".join(f"let a{i} = a0" if i else "let a0 = 1" for i in range(6000))
    err = error_of(src, fake_mirage)
    assert isinstance(err, LimitError) and err.loc is not None


@pytest.mark.parametrize(
    "src",
    [
        'let x = Printf.sprintf "%1000000000d" 1',
        'let x = Printf.sprintf "%*d" 1000000000 1',
        'let x = Fmt.str "%.*f" 1000000000 1.0',
        "let x = String.make 100_000_000 'a'",
        "let x = List.init 100_000_000 (fun i -> i)",
    ],
)
def test_huge_values_are_refused(src, fake_mirage):
    err = error_of(src, fake_mirage)
    assert isinstance(err, (LimitError, ApplicationError)) and err.loc is not None
