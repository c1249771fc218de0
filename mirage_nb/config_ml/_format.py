"""OCaml format strings: how many arguments one takes, and ``Printf.sprintf``'s output.

``Fmt.str``/``Format.asprintf`` (with their ``@`` break hints and boxes) are
rendered by :mod:`mirage_nb.functoria.fmt`, the project's port of OCaml's
Format; this module only counts their arguments so that a format can be
applied one argument at a time, as OCaml's currying allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._printer import ocaml_string

__all__ = ["FormatSpecError", "count_args", "printf", "Conversion", "conversions", "check_star_widths", "MAX_WIDTH"]

_CONV = re.compile(r"%([-0+ #]*)(\*|[0-9]+)?(?:\.(\*|[0-9]+))?([lLn]?)([diuxXosScCfFeEgGhHbBat%!@,])")


class FormatSpecError(ValueError):
    """A format string the reader cannot interpret (the evaluator turns it into a ConfigMlError)."""


class Conversion:
    """One ``%`` conversion: its flags, width, precision and letter, and how many arguments it takes."""

    __slots__ = ("flags", "width", "precision", "letter", "start", "end")

    def __init__(self, m: re.Match[str]) -> None:
        self.flags = m.group(1)
        self.width = m.group(2)
        self.precision = m.group(3)
        self.letter = m.group(5)
        self.start = m.start()
        self.end = m.end()

    @property
    def nargs(self) -> int:
        if self.letter in "%!@,":
            return 0
        n = 2 if self.letter == "a" else 1
        n += (self.width == "*") + (self.precision == "*")
        return n


#: Widest field a format may ask for (``%1000000000d`` would otherwise allocate a gigabyte).
MAX_WIDTH = 100_000


def _check_width(n: int | str | None, fmt: str) -> None:
    if n is not None and n != "*" and int(n) > MAX_WIDTH:
        raise FormatSpecError(f"format width or precision {n} is too large (at most {MAX_WIDTH}) in {fmt!r}")


def conversions(fmt: str) -> list[Conversion]:
    """Every conversion in ``fmt``, in order; a lone ``%`` the reader does not know is an error."""
    out: list[Conversion] = []
    i = 0
    while True:
        j = fmt.find("%", i)
        if j == -1:
            return out
        m = _CONV.match(fmt, j)
        if m is None:
            raise FormatSpecError(f"invalid or unsupported format conversion at {fmt[j : j + 4]!r} in {fmt!r}")
        c = Conversion(m)
        _check_width(c.width, fmt)
        _check_width(c.precision, fmt)
        out.append(c)
        i = m.end()


def check_star_widths(fmt: str, args: list[Any]) -> None:
    """Refuse ``%*d``-style widths taken from the arguments when they are too large."""
    k = 0
    for c in conversions(fmt):
        if c.width == "*":
            if not isinstance(args[k], int) or abs(args[k]) > MAX_WIDTH:
                raise FormatSpecError(f"format width {args[k]!r} is too large or not an int in {fmt!r}")
            k += 1
        if c.precision == "*":
            if not isinstance(args[k], int) or abs(args[k]) > MAX_WIDTH:
                raise FormatSpecError(f"format precision {args[k]!r} is too large or not an int in {fmt!r}")
            k += 1
        k += c.nargs - (c.width == "*") - (c.precision == "*")


def count_args(fmt: str) -> int:
    """How many arguments ``fmt`` consumes (``%a`` takes two: a printer and a value)."""
    return sum(c.nargs for c in conversions(fmt))


def _int_conv(letter: str, v: int, flags: str, precision: int | None) -> str:
    if not isinstance(v, int) or isinstance(v, bool):
        raise FormatSpecError(f"%{letter} expects an int, not {v!r}")
    if letter in "xXo" and v < 0:
        v += 1 << 63
    if letter == "u" and v < 0:
        v += 1 << 63
    body = {"d": "d", "i": "d", "u": "d", "x": "x", "X": "X", "o": "o"}[letter]
    s = format(abs(v) if letter in "di" else v, body)
    if "#" in flags and letter in "xX":
        s = ("0x" if letter == "x" else "0X") + s
    if letter in "di":
        sign = "-" if v < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
        s = sign + s
    return s


def _float_conv(letter: str, v: float, precision: int | None) -> str:
    p = 6 if precision is None else precision
    if letter == "F":
        r = repr(float(v))
        return r if ("." in r or "e" in r or "n" in r) else r + "."
    if letter in "hH":
        return float(v).hex()
    return format(float(v), f".{p}{letter}")


def printf(fmt: str, args: list[Any], apply_printer: Callable[[Any, Any], str]) -> str:
    """``Printf.sprintf fmt args...``; ``apply_printer(pp, x)`` renders a ``%a`` pair."""
    check_star_widths(fmt, args)
    out: list[str] = []
    i = 0
    k = 0
    for c in conversions(fmt):
        out.append(fmt[i : c.start])
        i = c.end
        width = c.width
        if width == "*":
            width = str(args[k])
            k += 1
        precision: int | None = None
        if c.precision == "*":
            precision = int(args[k])
            k += 1
        elif c.precision is not None:
            precision = int(c.precision)
        letter = c.letter
        if letter == "%":
            out.append("%")
            continue
        if letter in "!,":
            continue
        if letter == "@":
            out.append("@")
            continue
        if letter == "a":
            s = apply_printer(args[k], args[k + 1])
            k += 2
        elif letter == "t":
            s = apply_printer(args[k], None)
            k += 1
        else:
            v = args[k]
            k += 1
            if letter == "s":
                if not isinstance(v, str):
                    raise FormatSpecError(f"%s expects a string, not {v!r}")
                s = v
            elif letter == "S":
                s = ocaml_string(v)
            elif letter == "c":
                s = str(v)
            elif letter == "C":
                s = "'" + ("\\'" if v == "'" else "\\\\" if v == "\\" else str(v)) + "'"
            elif letter in "bB":
                s = "true" if v else "false"
            elif letter in "diuxXo":
                s = _int_conv(letter, v, c.flags, precision)
            else:
                s = _float_conv(letter, v, precision)
        if width is not None:
            w = int(width)
            if "-" in c.flags:
                s = s.ljust(w)
            elif "0" in c.flags and letter in "diuxXofFeEgG":
                sign = s[0] if s[:1] in "+- " and s[:1] else ""
                s = sign + s[len(sign) :].rjust(w - len(sign), "0")
            else:
                s = s.rjust(w)
        out.append(s)
    out.append(fmt[i:])
    return "".join(out)
