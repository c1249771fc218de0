"""The first-line version comment, ``(* mirage >= 4.9.0 & < 4.12.0 *)``, checked as the real tool does.

Twin of ``check_version`` in functoria's ``tool.ml`` (mirage 4.11.1): the tool
reads the first line of config.ml (``head -1``, trimmed); if it starts with
``(* mirage `` it splits the rest on single spaces and reads ``>= v``, ``< v``
and ``&`` tokens up to ``*)``. The messages below are the tool's, word for word.
The real tool checks only on ``configure``; :func:`check_version` returns the
message and leaves printing and the exit status (1) to the caller.
"""

from __future__ import annotations

import re

from mirage_nb.mirage.project import MIRAGE_VERSION

__all__ = ["check_version", "version_check", "version_error", "parse_version"]


class _ScanError(Exception):
    pass


_MAX_INT = (1 << 62) - 1


def _scan_u(s: str, i: int) -> tuple[int, int]:
    """OCaml's ``Scanf "%u"`` at ``i``: (value, next index)."""
    m = re.compile(r"[0-9][0-9_]*").match(s, i)
    if m is None:
        raise _ScanError("end of input" if i >= len(s) else "not a digit")
    digits = m.group().replace("_", "")
    value = int(digits)
    if value > _MAX_INT:
        raise OverflowError("int_of_string")
    return value, m.end()


def _sscanf(v: str, parts: int) -> tuple[int, int, int]:
    i = 0
    out = []
    for k in range(parts):
        if k:
            if i >= len(v) or v[i] != ".":
                raise _ScanError("expected '.'")
            i += 1
        n, i = _scan_u(v, i)
        out.append(n)
    out += [0] * (3 - parts)
    return out[0], out[1], out[2]


def parse_version(v: str) -> tuple[int, int, int] | str:
    """``extract_version`` of tool.ml: a (major, minor, patch) triple, or its error message."""
    if not all(c in "0123456789." for c in v):
        return "only digits and . allowed in version"
    patterns = ["%u.%u.%u", "%u.%u", "%u"]
    for parts in (3, 2, 1):
        try:
            return _sscanf(v, parts)
        except _ScanError:
            continue
        except OverflowError as err:
            if parts == 1:
                break
            return f"couldn't extract version ({patterns[3 - parts]}) from {v}: {err}"
    return f"couldn't extract version (%u) from {v}"


def _ge(a: tuple[int, int, int], b: tuple[int, int, int], *, eq: bool) -> bool:
    return a > b or (eq and a == b)


def version_error(first_line: str, *, name: str = "mirage", version: str = MIRAGE_VERSION) -> str | None:
    """The message the real tool stops with for this first line of config.ml, or None if it accepts it."""
    data = first_line.strip(" \t\n\r\x0c")
    if version.startswith("v"):
        version = version[1:]
    current = parse_version(version)
    if isinstance(current, str):
        return None  # the tool only warns and skips the check
    first = "(* " + name + " "
    if not (len(first) < len(data) and data.startswith(first)):
        return None
    lower: str | None = None
    upper: str | None = None
    tokens = data[len(first) :].split(" ")
    i = 0
    while True:
        if i >= len(tokens):
            return f"Unknown first line, must be (* {name} [>= a.b.c] [&] [< d.e.f] *)"
        t = tokens[i]
        if t in ("&", ""):
            i += 1
        elif t == ">=" and i + 1 < len(tokens):
            if lower is not None:
                return "Bad comment, multiple >= constraints"
            lower = tokens[i + 1]
            i += 2
        elif t == "<" and i + 1 < len(tokens):
            if upper is not None:
                return "Bad comment, multiple < constraints"
            upper = tokens[i + 1]
            i += 2
        elif t == "*)":
            break
        else:
            return f"Unknown first line, must be (* {name} [>= a.b.c] [&] [< d.e.f] *)"
    if lower is not None:
        lv = parse_version(lower)
        if isinstance(lv, str):
            return lv
        if not _ge(current, lv, eq=True):
            return (
                f"Version mismatch: required is {name} >= {lower}, but {version} is installed. "
                f"Please upgrade your installation (opam update; opam install '{name}>={lower}')"
            )
    if upper is not None:
        uv = parse_version(upper)
        if isinstance(uv, str):
            return uv
        if not _ge(uv, current, eq=False):
            return (
                f"Version mismatch: required is {name} < {upper}, but {version} is installed. "
                f"Please downgrade your installation (opam update; opam install '{name}<{upper}')"
            )
    return None


def check_version(text: str, *, name: str = "mirage", version: str = MIRAGE_VERSION) -> str | None:
    """Check the version comment on the first line of a whole config.ml ``text``; None when accepted."""
    first_line = text.split("\n", 1)[0]
    return version_error(first_line, name=name, version=version)


def version_check(text: str, name: str = "mirage", version: str = MIRAGE_VERSION) -> str | None:
    """:func:`check_version` with positional ``name`` and ``version`` (the form the CLI calls)."""
    return check_version(text, name=name, version=version)
