"""OCaml's ``Printf``, ``Format`` and ``Fmt`` as a simulated unikernel sees them.

The pretty-printer and the format-string interpreter are the engine's
(:mod:`mirage_nb.functoria.fmt`, a tested port of OCaml's ``Format``): the
same algorithm lays out ``mirage describe`` and a unikernel's log lines. What
is specific to the simulator lives here:

- :class:`Formatter` streams what it lays out onto a sink (the run's stdout or
  stderr) instead of a buffer, and offers the methods unikernel printers call
  (``ppf.fprintf``, ``ppf.brk``);
- the run's own ``std_formatter``/``err_formatter``, whose pending text
  persists across calls until flushed, as in OCaml;
- ``Printf``, where ``@`` is plain text (OCaml's Printf has no boxes);
- ``%S`` of simulated byte strings: kv values are ``str`` with one character
  per byte (latin-1), so :func:`ocaml_escaped` escapes code points up to 255
  as single bytes.

Printers for ``%a`` are Python callables ``pp(ppf, value)``. A format error
(too few arguments, ``%d`` of a string...) raises
:class:`~mirage_nb.errors.SimulationError` naming the format.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.functoria import fmt as _fmt

__all__ = [
    "Formatter",
    "sprintf",
    "asprintf",
    "ocaml_escaped",
    "Printf",
    "Fmt",
    "Format",
]


class Formatter(_fmt.Formatter):
    """Twin of ``Format.formatter`` for unikernel code: the engine's pretty-printer, streaming to ``out``.

    Without ``out`` the text stays in the buffer (read it with ``contents()``),
    as with ``Format.asprintf``.
    """

    def __init__(self, out: Callable[[str], None] | None = None, margin: int = 78) -> None:
        self._sink = out
        super().__init__(margin=margin, max_indent=margin - 10)

    def _drain(self) -> None:
        if self._sink is not None:
            text = self.take_output()
            if text:
                self._sink(text)

    # The calls after which text may have been laid out: pass it on at once.
    def string_as(self, size: int, s: str) -> None:
        super().string_as(size, s)
        self._drain()

    def force_newline(self) -> None:
        super().force_newline()
        self._drain()

    def flush(self) -> None:
        super().flush()
        self._drain()

    def newline(self) -> None:
        super().newline()
        self._drain()

    def brk(self, width: int = 1, offset: int = 0) -> None:
        """Twin of ``pp_print_break width offset`` (``@ `` is ``brk(1, 0)``, ``@,`` is ``brk(0, 0)``)."""
        self.break_(width, offset)

    def fprintf(self, fmt: str, *args: Any) -> None:
        """Twin of ``Format.fprintf ppf fmt args``."""
        fprintf(self, fmt, *args)


def _check_format(fmt: Any) -> None:
    if not isinstance(fmt, str):
        raise SimulationError(f"a format string is expected, got {fmt!r}")


def fprintf(ppf: _fmt.Formatter, fmt: str, *args: Any) -> None:
    """Twin of ``Format.fprintf``: the engine's interpreter, errors raised as :class:`SimulationError`."""
    _check_format(fmt)
    try:
        _fmt.fprintf(ppf, fmt, *args)
    except _fmt.FormatError as e:
        raise SimulationError(str(e)) from None


# A conversion (kept as is) or an '@' outside one (doubled, so Format prints it literally).
_PRINTF_AT = re.compile(r"(%[-0+ #]*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?[lLn]?.)|@")


# Wide enough that no line is ever cut, yet below the pretty-printer's "unknown size" value.
_PRINTF_MARGIN = 1_000_000


def sprintf(fmt: str, *args: Any) -> str:
    """Twin of ``Printf.sprintf``: ``@`` is plain text and nothing is cut into lines."""
    _check_format(fmt)
    plain = _PRINTF_AT.sub(lambda m: m.group(1) or "@@", fmt)
    ppf = Formatter(margin=_PRINTF_MARGIN)
    fprintf(ppf, plain, *args)
    return ppf.contents()


def asprintf(fmt: str, *args: Any, margin: int = 78) -> str:
    """Twin of ``Format.asprintf``: boxes and break hints are laid out on a fresh formatter."""
    ppf = Formatter(margin=margin)
    fprintf(ppf, fmt, *args)
    return ppf.contents()


def ocaml_escaped(s: str) -> str:
    """Twin of ``String.escaped`` on a simulated byte string: code points up to 255 are one byte each."""
    if all(ord(ch) < 128 for ch in s):
        return _fmt.escaped(s)
    out: list[str] = []
    for ch in s:
        o = ord(ch)
        out.append(_fmt.escaped(ch) if o < 128 else f"\\{o:03d}" if o < 256 else _fmt.escaped(ch))
    return "".join(out)


def _run_write(stream: str) -> Callable[[str], None]:
    def write(s: str) -> None:
        from mirage_nb.sim.run import current_run

        current_run().write(stream, s)

    return write


def std_formatter(stream: str) -> Formatter:
    """The run's own ``Format.std_formatter`` (``"stdout"``) or ``err_formatter`` (``"stderr"``).

    Its state persists across calls, as in OCaml: text waiting for a break
    decision is written when the formatter is flushed.
    """
    from mirage_nb.sim.run import current_run

    run = current_run()
    key = "_fmt_" + stream
    f = run.devices.get(key)
    if f is None:
        f = Formatter(_run_write(stream))
        run.devices[key] = f
    return f


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
        std_formatter("stdout").fprintf(fmt, *args)

    @staticmethod
    def eprintf(fmt: str, *args: Any) -> None:
        std_formatter("stderr").fprintf(fmt, *args)

    @staticmethod
    def fprintf(ppf: _fmt.Formatter, fmt: str, *args: Any) -> None:
        fprintf(ppf, fmt, *args)


def _pp_list(pp: _fmt.Printer, sep: _fmt.Printer | None = None) -> _fmt.Printer:
    return _fmt.pp_list(sep or _fmt.pp_cut, pp)


class Fmt:
    """Twin of the ``Fmt`` library's printing functions and the combinators unikernels use."""

    str = staticmethod(asprintf)
    string = staticmethod(_fmt.pp_string)
    int = staticmethod(_fmt.pp_int)
    nop = staticmethod(_fmt.pp_nop)
    cut = staticmethod(_fmt.pp_cut)
    sp = staticmethod(_fmt.pp_sp)
    text = staticmethod(_fmt.pp_text)
    list = staticmethod(_pp_list)
    """``Fmt.list ?sep pp`` (default separator: a cut)."""

    @staticmethod
    def pr(fmt: builtins.str, *args: Any) -> None:
        std_formatter("stdout").fprintf(fmt, *args)

    @staticmethod
    def epr(fmt: builtins.str, *args: Any) -> None:
        std_formatter("stderr").fprintf(fmt, *args)

    @staticmethod
    def pf(ppf: _fmt.Formatter, fmt: builtins.str, *args: Any) -> None:
        fprintf(ppf, fmt, *args)

    @staticmethod
    def any(s: builtins.str) -> _fmt.Printer:
        def pp(ppf: _fmt.Formatter, _v: Any = None) -> None:
            fprintf(ppf, s)

        return pp
