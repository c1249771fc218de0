"""The first-line version comment is checked as mirage 4.11.1's functoria does, with its messages."""

from __future__ import annotations

import pytest

from mirage_nb.config_ml import check_version, version_error
from mirage_nb.config_ml._version import parse_version

UNKNOWN = "Unknown first line, must be (* mirage [>= a.b.c] [&] [< d.e.f] *)"


@pytest.mark.parametrize(
    "line, message",
    [
        ("(* mirage >= 4.9.0 & < 4.12.0 *)", None),
        ("(* mirage >= 4.4.0 & < 4.12.0 *)", None),
        ("(* mirage >= 4.11.1 *)", None),
        ("(* mirage < 4.11.2 *)", None),
        ("(* mirage >= 4.10 *)", None),
        ("(* mirage   >=   4.9.0   *)", UNKNOWN),  # ">=" then "" (split on single spaces), as in OCaml
        ("(* mirage *)", None),
        ("(* mirage >= 4.9.0 & < 4.12.0 *) trailing words", None),
        ("(* something else *)", None),
        ("open Mirage", None),
        ("(* mirage", None),
        (
            "(* mirage >= 4.12.0 *)",
            "Version mismatch: required is mirage >= 4.12.0, but 4.11.1 is installed. "
            "Please upgrade your installation (opam update; opam install 'mirage>=4.12.0')",
        ),
        (
            "(* mirage >= 4.9.0 & < 4.11.1 *)",
            "Version mismatch: required is mirage < 4.11.1, but 4.11.1 is installed. "
            "Please downgrade your installation (opam update; opam install 'mirage<4.11.1')",
        ),
        (
            "(* mirage < 4.9.0 *)",
            "Version mismatch: required is mirage < 4.9.0, but 4.11.1 is installed. "
            "Please downgrade your installation (opam update; opam install 'mirage<4.9.0')",
        ),
        ("(* mirage >= 4.9.0 >= 4.10.0 *)", "Bad comment, multiple >= constraints"),
        ("(* mirage < 4.9.0 < 4.10.0 *)", "Bad comment, multiple < constraints"),
        ("(* mirage > 4.9.0 *)", UNKNOWN),
        ("(* mirage >= 4.9.0", UNKNOWN),
        ("(* mirage >= *)", UNKNOWN),
        ("(* mirage >=4.9.0 *)", UNKNOWN),
        ("(* mirage >= 4.9.0-beta *)", "only digits and . allowed in version"),
        ("(* mirage >= v4 *)", "only digits and . allowed in version"),
        ("(* mirage >= . *)", "couldn't extract version (%u) from ."),
    ],
)
def test_version_comment(line, message):
    assert version_error(line) == message
    assert check_version(line + "\nopen Mirage\n") == message


def test_other_installed_versions():
    assert version_error("(* mirage >= 4.12.0 *)", version="4.12.0") is None
    assert version_error("(* mirage >= 4.12.0 *)", version="v4.12.0") is None
    # an unparsable installed version only skips the check, as the tool does
    assert version_error("(* mirage >= 99.0.0 *)", version="%%VERSION%%") is None


def test_parse_version_like_scanf():
    assert parse_version("4.9.0") == (4, 9, 0)
    assert parse_version("4.10") == (4, 10, 0)
    assert parse_version("5") == (5, 0, 0)
    assert parse_version("4..1") == (4, 0, 0)
    assert parse_version("4.9.0.7") == (4, 9, 0)
    assert parse_version("") == "couldn't extract version (%u) from "


def test_skeleton_headers_all_pass_except_the_bit_rotted(shared_reference):
    for cfg in shared_reference.rglob("skeleton/**/config.ml"):
        assert check_version(cfg.read_text()) is None, cfg
