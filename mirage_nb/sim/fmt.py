"""OCaml's ``Printf`` and ``Format`` for simulated unikernels, line breaking included.

Unikernels print with format strings (``Logs.info (fun m -> m "%a" pp v)``,
``Fmt.pr``, ``Printf.printf``); mirage-logs prints through ``Format`` onto a
formatter whose right margin is 78 columns, so a long message containing
break hints (``@ ``, ``@,``) is cut into several lines exactly where OCaml's
pretty-printer cuts it. :class:`Formatter` implements that pretty-printer:
the box kinds (h, v, hv, hov, b), break hints, the token queue with sizes
known late, ``max_indent`` (margin - 10) and the flush/newline rules, as
described in the OCaml manual's ``Format`` module.

Printers for ``%a`` are Python callables ``pp(ppf, value)`` that write into
``ppf`` with :meth:`Formatter.fprintf` or :meth:`Formatter.string`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError

__all__ = [
    "Formatter",
    "sprintf",
    "asprintf",
    "ocaml_escaped",
    "Printf",
    "Fmt",
    "Format",
]

_INFINITY = 1_000_000_010

# Box kinds, named as in OCaml's format.ml.
_H, _V, _HV, _HOV, _B, _FITS = "h", "v", "hv", "hov", "b", "fits"


@dataclass(slots=True)
class _Tok:
    size: int
    kind: str  # text | begin | end | break | newline
    length: int
    text: str = ""
    box: str = ""
    indent: int = 0
    fits: int = 0  # break: spaces when not breaking
    offset: int = 0  # break: extra indent when breaking


class Formatter:
    """Twin of ``Format.formatter``: a pretty-printer writing finished text to ``out``."""

    def __init__(self, out: Callable[[str], None], margin: int = 78) -> None:
        self._out = out
        self.margin = margin
        self.max_indent = margin - 10
        self._rinit()

    # -- the engine (format.ml's algorithm) ---------------------------------

    def _rinit(self) -> None:
        self._queue: deque[_Tok] = deque()
        sentinel = _Tok(-1, "text", 0)
        self._scan: list[tuple[int, _Tok]] = [(-1, sentinel)]
        self._fstack: list[tuple[str, int]] = []
        self._left_total = 1
        self._right_total = 1
        self._space_left = self.margin
        self._current_indent = 0
        self._is_new_line = True
        self._depth = 0
        self._open(0, _HOV)  # the system box

    def _output(self, s: str) -> None:
        if s:
            self._out(s)

    def _break_new_line(self, before: str, offset: int, width: int) -> None:
        self._format_text(before)
        self._output("\n")
        self._is_new_line = True
        indent = self.margin - width + offset
        real = min(self.max_indent, indent)
        self._current_indent = real
        self._space_left = self.margin - real
        self._output(" " * real)

    def _break_same_line(self, width: int) -> None:
        self._space_left -= width
        self._output(" " * width)

    def _format_text(self, s: str) -> None:
        if s:
            self._space_left -= len(s)
            self._output(s)
            self._is_new_line = False

    def _force_break_line(self) -> None:
        if not self._fstack:
            self._output("\n")
            return
        box, width = self._fstack[-1]
        if width > self._space_left and box not in (_FITS, _H):
            self._break_new_line("", 0, width)

    def _format_token(self, size: int, t: _Tok) -> None:
        k = t.kind
        if k == "text":
            self._space_left -= size
            self._output(t.text)
            self._is_new_line = False
        elif k == "begin":
            insertion_point = self.margin - self._space_left
            if insertion_point > self.max_indent:
                self._force_break_line()
            width = self._space_left - t.indent
            box = t.box if t.box == _V or size > self._space_left else _FITS
            self._fstack.append((box, width))
        elif k == "end":
            if self._fstack:
                self._fstack.pop()
        elif k == "newline":
            if self._fstack:
                self._break_new_line("", 0, self._fstack[-1][1])
            else:
                self._output("\n")
        elif k == "break":
            if not self._fstack:
                return
            box, width = self._fstack[-1]
            if box == _HOV:
                if size > self._space_left:
                    self._break_new_line("", t.offset, width)
                else:
                    self._break_same_line(t.fits)
            elif box == _B:
                if self._is_new_line:
                    self._break_same_line(t.fits)
                elif size > self._space_left:
                    self._break_new_line("", t.offset, width)
                elif self._current_indent > self.margin - width + t.offset:
                    self._break_new_line("", t.offset, width)
                else:
                    self._break_same_line(t.fits)
            elif box in (_HV, _V):
                self._break_new_line("", t.offset, width)
            else:  # fits, h
                self._break_same_line(t.fits)

    def _advance(self) -> None:
        q = self._queue
        while q:
            t = q[0]
            size = t.size
            if size < 0 and self._right_total - self._left_total < self._space_left:
                return
            q.popleft()
            self._format_token(size if size >= 0 else _INFINITY, t)
            self._left_total += t.length

    def _enqueue(self, t: _Tok) -> None:
        self._right_total += t.length
        self._queue.append(t)

    def _set_size(self, is_break: bool) -> None:
        left_total, t = self._scan[-1]
        if left_total < self._left_total:
            self._scan = [(-1, _Tok(-1, "text", 0))]
            return
        if t.kind == "break":
            if is_break:
                t.size = self._right_total + t.size
                self._scan.pop()
        elif t.kind == "begin":
            if not is_break:
                t.size = self._right_total + t.size
                self._scan.pop()

    def _scan_push(self, is_break: bool, t: _Tok) -> None:
        self._enqueue(t)
        if is_break:
            self._set_size(True)
        self._scan.append((self._right_total, t))

    def _open(self, indent: int, box: str) -> None:
        self._depth += 1
        self._scan_push(False, _Tok(-self._right_total, "begin", 0, box=box, indent=indent))

    # -- public primitives ---------------------------------------------------

    def open_box(self, indent: int = 0, box: str = _B) -> None:
        """Twin of ``pp_open_box``/``pp_open_hovbox``...: ``box`` is h, v, hv, hov or b."""
        self._open(indent, box)

    def close_box(self) -> None:
        if self._depth > 1:
            self._enqueue(_Tok(0, "end", 0))
            self._set_size(True)
            self._set_size(False)
            self._depth -= 1

    def string(self, s: str) -> None:
        """Twin of ``pp_print_string``."""
        if s:
            t = _Tok(len(s), "text", len(s), text=s)
            self._enqueue(t)
            self._advance()

    def brk(self, width: int = 1, offset: int = 0) -> None:
        """Twin of ``pp_print_break width offset`` (``@ `` is ``brk(1, 0)``, ``@,`` is ``brk(0, 0)``)."""
        self._scan_push(True, _Tok(-self._right_total, "break", width, fits=width, offset=offset))

    def force_newline(self) -> None:
        """Twin of ``pp_force_newline`` (``@\\n``)."""
        t = _Tok(0, "newline", 0)
        self._enqueue(t)
        self._advance()

    def flush(self, newline: bool = False) -> None:
        """Twin of ``pp_print_flush`` (``%!``, ``@?``) and, with ``newline``, ``pp_print_newline`` (``@.``)."""
        while self._depth > 1:
            self.close_box()
        self._right_total = _INFINITY
        self._advance()
        if newline:
            self._output("\n")
        self._rinit()

    def fprintf(self, fmt: str, *args: Any) -> None:
        """Twin of ``Format.fprintf ppf fmt args``."""
        _interpret(fmt, args, self, format_mode=True)


# -- format strings -----------------------------------------------------------

_CONV = re.compile(r"%([-0+ #]*)(\d+|\*)?(?:\.(\d+|\*))?([lLn]?)([diuxXoscSCfFeEgGBbat%!,])")
_BOX = re.compile(r"<(h|v|hv|hov|b)?\s*(\d+)?>")


def ocaml_escaped(s: str) -> str:
    """Twin of ``String.escaped``: what ``%S`` prints between the quotes."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= o < 127:
            out.append(ch)
        else:
            for b in ch.encode("utf-8") if o > 255 else bytes([o]):
                out.append(f"\\{b:03d}")
    return "".join(out)


def _as_str(v: Any) -> str:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("latin-1")
    return str(v)


def _int_conv(flags: str, width: int | None, prec: int | None, size: str, conv: str, v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        raise SimulationError(f"%{size}{conv} expects an integer, got {v!r}")
    bits = {"l": 32, "L": 64, "n": 64, "": 63}[size]
    if conv in "uxXo" and v < 0:
        v += 1 << bits
    pyconv = {"d": "d", "i": "d", "u": "d", "x": "x", "X": "X", "o": "o"}[conv]
    spec = flags.replace("#", "#" if conv in "xXo" else "")
    s = format(v, f"{spec}{pyconv}")
    if "#" in spec and conv == "o":
        s = s.replace("0o", "0", 1)
    if prec is not None:
        sign = "-" if s.startswith("-") else ""
        digits = s[len(sign):]
        s = sign + digits.rjust(prec, "0")
    return _pad(s, flags, width)


def _pad(s: str, flags: str, width: int | None) -> str:
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s.ljust(width)
    if "0" in flags and s[:1] in "-+ " and s[1:2].isdigit():
        return s[0] + s[1:].rjust(width - 1, "0")
    if "0" in flags:
        return s.rjust(width, "0")
    return s.rjust(width)


def _float_conv(flags: str, width: int | None, prec: int | None, conv: str, v: Any) -> str:
    v = float(v)
    if conv in "fFeEgG":
        p = 6 if prec is None else prec
        if conv == "F":
            s = repr(v) if prec is None else format(v, f".{p}f")
            if "." not in s and "e" not in s and "inf" not in s and "nan" not in s:
                s += "."
        else:
            s = format(v, f"{flags.replace('-', '').replace('0', '')}.{p}{conv}")
        return _pad(s, flags, width)
    raise SimulationError(f"unsupported float conversion %{conv}")


class _Sink:
    """A target for the format interpreter: a Formatter, or plain text for Printf."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def string(self, s: str) -> None:
        self.parts.append(s)


def _interpret(fmt: str, args: tuple[Any, ...], out: Any, *, format_mode: bool) -> None:
    if not isinstance(fmt, str):
        raise SimulationError(f"a format string is expected, got {fmt!r}")
    ai = 0

    def take() -> Any:
        nonlocal ai
        if ai >= len(args):
            raise SimulationError(f"the format {fmt!r} needs more arguments than the {len(args)} given")
        v = args[ai]
        ai += 1
        return v

    i = 0
    n = len(fmt)
    lit: list[str] = []

    def emit_lit() -> None:
        if lit:
            out.string("".join(lit))
            lit.clear()

    while i < n:
        c = fmt[i]
        if c == "@" and format_mode and i + 1 < n:
            d = fmt[i + 1]
            if d in "[]  ,.\n?;@{}":
                emit_lit()
            if d == "[":
                m = _BOX.match(fmt, i + 2)
                if m:
                    kind = m.group(1) or _B
                    indent = int(m.group(2) or 0)
                    i = m.end()
                else:
                    kind, indent = _B, 0
                    i += 2
                out.open_box(indent, kind)
                continue
            if d == "]":
                out.close_box()
            elif d == " ":
                out.brk(1, 0)
            elif d == ",":
                out.brk(0, 0)
            elif d == ".":
                out.flush(newline=True)
            elif d == "\n":
                out.force_newline()
            elif d == "?":
                out.flush()
            elif d == ";":
                m = re.compile(r"<(\d+)\s+(-?\d+)>").match(fmt, i + 2)
                if m:
                    out.brk(int(m.group(1)), int(m.group(2)))
                    i = m.end()
                    continue
                out.brk(1, 0)
            elif d == "@":
                lit.append("@")
            elif d == "{":
                j = fmt.find(">", i)
                i = j + 1 if j >= 0 else i + 2
                continue
            elif d == "}":
                pass
            else:
                lit.append("@")
                i += 1
                continue
            i += 2
            continue
        if c != "%":
            lit.append(c)
            i += 1
            continue
        m = _CONV.match(fmt, i)
        if not m:
            raise SimulationError(f"unsupported conversion in format {fmt!r} at {fmt[i:i + 4]!r}")
        flags, w, p, size, conv = m.groups()
        i = m.end()
        width = (take() if w == "*" else int(w)) if w else None
        prec = (take() if p == "*" else int(p)) if p else None
        if conv == "%":
            lit.append("%")
            continue
        if conv == "!":
            emit_lit()
            if format_mode:
                out.flush()
            continue
        if conv == ",":
            continue
        if conv in "at":
            emit_lit()
            if conv == "a":
                pp = take()
                v = take()
                _call_printer(pp, out, v, format_mode)
            else:
                pp = take()
                _call_printer(pp, out, None, format_mode, unary=True)
            continue
        v = take()
        if conv in "diuxXo":
            s = _int_conv(flags, width, prec, size, conv, v)
        elif conv == "s":
            s = _pad(_as_str(v), flags, width)
        elif conv == "S":
            s = _pad('"' + ocaml_escaped(_as_str(v)) + '"', flags, width)
        elif conv == "c":
            s = _pad(_as_str(v), flags, width)
        elif conv == "C":
            s = "'" + ocaml_escaped(_as_str(v)).replace('\\"', '"') + "'"
        elif conv in "Bb":
            s = _pad("true" if v else "false", flags, width)
        else:
            s = _float_conv(flags, width, prec, conv, v)
        if format_mode:
            emit_lit()
            out.string(s)
        else:
            lit.append(s)
    emit_lit()
    if ai != len(args):
        raise SimulationError(f"the format {fmt!r} takes {ai} arguments but {len(args)} were given")


def _call_printer(pp: Any, out: Any, v: Any, format_mode: bool, unary: bool = False) -> None:
    if not callable(pp):
        raise SimulationError(f"%a expects a printer function pp(ppf, value), got {pp!r}")
    if format_mode:
        pp(out) if unary else pp(out, v)
        return
    # Printf's %a: the printer gets an out_channel-like object; we render it flat.
    text = asprintf("%t", (lambda ppf: pp(ppf)) if unary else (lambda ppf: pp(ppf, v)))
    out.string(text)


def sprintf(fmt: str, *args: Any) -> str:
    """Twin of ``Printf.sprintf``: ``@`` is plain text, as in OCaml's Printf."""
    sink = _Sink()
    _interpret(fmt, args, sink, format_mode=False)
    return "".join(sink.parts)


def asprintf(fmt: str, *args: Any, margin: int = 78) -> str:
    """Twin of ``Format.asprintf``: boxes and break hints are laid out on a fresh formatter."""
    parts: list[str] = []
    f = Formatter(parts.append, margin=margin)
    f.fprintf(fmt, *args)
    f.flush()
    return "".join(parts)


def _run_write(stream: str) -> Callable[[str], None]:
    def write(s: str) -> None:
        from mirage_nb.sim.run import current_run

        current_run().write(stream, s)

    return write


def _std_formatter(stream: str) -> Formatter:
    """The run's own ``Format.std_formatter``/``err_formatter`` (state persists across calls, as in OCaml)."""
    from mirage_nb.sim.run import current_run

    run = current_run()
    key = "_fmt_" + stream
    f = run.devices.get(key)
    if f is None:
        f = Formatter(_run_write(stream))
        run.devices[key] = f
    return f  # type: ignore[no-any-return]


class Printf:
    """Twin of OCaml's ``Printf``: ``printf`` writes to the unikernel's stdout."""

    sprintf = staticmethod(sprintf)

    @staticmethod
    def printf(fmt: str, *args: Any) -> None:
        from mirage_nb.sim.run import current_run

        current_run().write("stdout", sprintf(fmt, *args))

    @staticmethod
    def eprintf(fmt: str, *args: Any) -> None:
        from mirage_nb.sim.run import current_run

        current_run().write("stderr", sprintf(fmt, *args))


class Format:
    """Twin of OCaml's ``Format`` (the part unikernels use)."""

    asprintf = staticmethod(asprintf)
    sprintf = staticmethod(asprintf)

    @staticmethod
    def printf(fmt: str, *args: Any) -> None:
        _std_formatter("stdout").fprintf(fmt, *args)

    @staticmethod
    def eprintf(fmt: str, *args: Any) -> None:
        _std_formatter("stderr").fprintf(fmt, *args)

    @staticmethod
    def fprintf(ppf: Formatter, fmt: str, *args: Any) -> None:
        ppf.fprintf(fmt, *args)


class Fmt:
    """Twin of the ``Fmt`` library's printing functions and a few of its combinators."""

    str = staticmethod(asprintf)

    @staticmethod
    def pr(fmt: str, *args: Any) -> None:
        _std_formatter("stdout").fprintf(fmt, *args)

    @staticmethod
    def epr(fmt: str, *args: Any) -> None:
        _std_formatter("stderr").fprintf(fmt, *args)

    @staticmethod
    def pf(ppf: Formatter, fmt: str, *args: Any) -> None:
        ppf.fprintf(fmt, *args)

    @staticmethod
    def string(ppf: Formatter, s: str) -> None:
        ppf.string(s)

    @staticmethod
    def int(ppf: Formatter, i: int) -> None:
        ppf.string(str(i))

    @staticmethod
    def list(pp: Callable[[Formatter, Any], None], sep: Callable[[Formatter, Any], None] | None = None
             ) -> Callable[[Formatter, list[Any]], None]:
        def pp_list(ppf: Formatter, xs: list[Any]) -> None:
            for k, x in enumerate(xs):
                if k:
                    (sep or (lambda f, _: f.brk(0, 0)))(ppf, None)
                pp(ppf, x)

        return pp_list

    @staticmethod
    def any(s: str) -> Callable[[Formatter, Any], None]:
        return lambda ppf, _v: ppf.fprintf(s)
