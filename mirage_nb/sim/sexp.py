"""S-expressions as ``Sexplib0.Sexp`` prints them: atoms and lists, ``to_string`` and ``pp_hum``.

A sexp is a ``str`` (an atom) or a ``list`` of sexps. ``pp_hum`` lays a
list out on one line when it fits the 78 columns of ``Format``'s margin,
otherwise keeps the head beside the parenthesis and packs the following
elements onto lines indented by one column, as the OCaml printer's boxes do
for the common shapes (records of ``[@@deriving sexp]``).
"""

from __future__ import annotations

import re

__all__ = ["Sexp", "Sexplib0", "atom_repr"]

_PLAIN = re.compile(r'^[^\s()";\\]+$')
MARGIN = 78


def atom_repr(a: str) -> str:
    """An atom as Sexplib writes it: bare when it can be, else quoted with OCaml escapes."""
    if a and _PLAIN.match(a) and not a.startswith("#|") and "|#" not in a:
        return a
    out = []
    for ch in a:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) > 126:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def to_string(s: object) -> str:
    if isinstance(s, str):
        return atom_repr(s)
    assert isinstance(s, list)
    return "(" + " ".join(to_string(x) for x in s) + ")"


def _hum(s: object, col: int, out: list[str]) -> int:
    flat = to_string(s)
    if isinstance(s, str) or col + len(flat) <= MARGIN:
        out.append(flat)
        return col + len(flat)
    assert isinstance(s, list)
    indent = col + 1
    out.append("(")
    c = _hum(s[0], col + 1, out) if s else col + 1
    for x in s[1:]:
        w = len(to_string(x))
        if c + 1 + w <= MARGIN:
            out.append(" ")
            c = _hum(x, c + 1, out)
        else:
            out.append("\n" + " " * indent)
            c = _hum(x, indent, out)
    out.append(")")
    return c + 1


def pp_hum(s: object) -> str:
    out: list[str] = []
    _hum(s, 0, out)
    return "".join(out)


class Sexp:
    """``Sexplib0.Sexp``: ``to_string``, ``pp_hum`` (as text)."""

    to_string = staticmethod(to_string)
    pp_hum = staticmethod(pp_hum)


class Sexplib0:
    Sexp = Sexp
