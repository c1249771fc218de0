"""OCaml's spellings of strings and names, as functoria prints them."""

from __future__ import annotations

from mirage_nb.errors import ConfigError

__all__ = ["escaped", "quote", "ocamlify", "opamify"]


def _escape_of(b: int) -> str:
    special = {0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r", 0x08: "\\b"}
    if b in special:
        return special[b]
    return chr(b) if 0x20 <= b < 0x7F else f"\\{b:03d}"


# One entry per byte value, applied with str.translate over the UTF-8 bytes
# read as Latin-1: a C-level loop instead of a Python one.
_TABLE = {b: _escape_of(b) for b in range(256)}


def escaped(s: str) -> str:
    """OCaml's ``String.escaped``, byte by byte over UTF-8 (bytes ≥ 0x80 become ``\\ddd``)."""
    return s.encode("utf-8").decode("latin-1").translate(_TABLE)


def quote(s: str) -> str:
    """What OCaml's ``%S`` prints: the escaped string between double quotes."""
    return f'"{escaped(s)}"'


def ocamlify(s: str) -> str:
    """Functoria's ``Name.ocamlify``: keep ``[A-Za-z0-9_]``, map ``- . space`` to ``_``, drop the rest."""
    out = []
    for ch in s:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        elif ch in "-. ":
            out.append("_")
    r = "".join(out)
    if not r or r[0].isdigit():
        raise ConfigError(f"cannot make an OCaml name of {s!r}")
    return r


def opamify(s: str) -> str:
    """Functoria's ``Name.opamify``: keep ``[A-Za-z0-9_-]``, map ``.`` to ``_``, drop the rest."""
    out = []
    for ch in s:
        if ch.isascii() and (ch.isalnum() or ch in "_-"):
            out.append(ch)
        elif ch == ".":
            out.append("_")
    r = "".join(out)
    if not r:
        raise ConfigError(f"cannot make an opam name of {s!r}")
    return r
