"""OCaml's ``Stdlib.Format`` pretty-printer and the ``Fmt`` combinators, in Python.

Why this exists: the real ``mirage`` tool prints describe output, dot graphs and
the generated ``main.ml`` through ``Format`` (via the ``Fmt`` library), and the
bytes it writes carry the algorithm's quirks (a trailing break that becomes a
newline at flush time, a raw ``\\n`` that does not reset the column, the ``>=``
in the early-print rule).  To be byte-identical we run the same algorithm:
Oppen's pretty-printer, with a token queue, a scan stack that fills in the
sizes of boxes and breaks once they are known, and a stack of the boxes being
laid out.

How it works, in short:

* Every printing call enqueues a token.  Text has a known size; an opening box
  or a break hint does not: its size is the width of everything up to the next
  break or box close at its own level, learnt later through the scan stack.
* Tokens leave the queue (get laid out) as soon as their size is known, or
  when the material waiting in the queue is already at least as wide as the
  room left on the line: the unknown size is then taken as "infinite", so the
  pending break becomes a newline.  Flushing forces the same thing for every
  token still waiting, which is why a last break before a flush breaks.
* Widths are counted in UTF-8 bytes, as OCaml counts string lengths.

Boxes: ``h`` (never breaks), ``v`` (every break breaks), ``hv`` (all or none),
``hov`` (fill), ``b`` (fill, plus breaks that reduce the indentation).
Tabulation boxes, semantic tags and the max-boxes ellipsis are not
reproduced: nothing in mirage's output uses them.

The module also interprets OCaml format strings (:func:`sprintf`,
:func:`fprintf`) and offers the ``Fmt`` combinators the engine needs
(:func:`pp_list`, :func:`pp_any`, :func:`pp_text`, ...).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mirage_nb.errors import MirageNbError

__all__ = [
    "FormatError",
    "Formatter",
    "Printer",
    "escaped",
    "fprintf",
    "pp_any",
    "pp_box",
    "pp_cut",
    "pp_hbox",
    "pp_hvbox",
    "pp_int",
    "pp_list",
    "pp_nop",
    "pp_sp",
    "pp_string",
    "pp_text",
    "pp_vbox",
    "sprintf",
]

#: Size given to a token whose size is still unknown when it must be laid out.
#: Any value larger than a line works; OCaml uses 1e9 + 10.
_INFINITY = 1_000_000_010

_BOX_KINDS = frozenset({"h", "v", "hv", "hov", "b"})


class FormatError(MirageNbError):
    """A format string or a box description cannot be interpreted (a bug in the caller)."""


def _width(s: str) -> int:
    """Width of a string as OCaml's Format counts it: its length in UTF-8 bytes."""
    return len(s.encode("utf-8"))


class _Kind(Enum):
    TEXT = "text"
    BEGIN = "begin"
    END = "end"
    BREAK = "break"
    NEWLINE = "newline"


@dataclass(slots=True)
class _Token:
    """One queued printing instruction.

    ``size`` is None while unknown; ``start`` is the running total of queued
    width when the token was queued, from which its size is computed once the
    end of its extent is seen.  ``length`` is what the token itself adds to the
    running total (the text width, or the spaces of a break printed flat).
    """

    kind: _Kind
    size: int | None
    length: int
    start: int = 0
    text: str = ""
    box: str = ""
    amount: int = 0  # box indent, or break offset
    nspaces: int = 0


@dataclass(slots=True)
class _Scan:
    """A scan-stack entry: a box opening or break whose size is pending."""

    left_total: int
    token: _Token


@dataclass(slots=True)
class _Frame:
    """A box being laid out: how it behaves and the room it had when opened."""

    kind: str  # one of _BOX_KINDS, or "fits" for a box known to fit on the line
    width: int


class Formatter:
    """A pretty-printer writing into an in-memory buffer (like ``Format.formatter_of_buffer``).

    The state persists across calls, as one OCaml formatter does across several
    ``Fmt.pf`` calls; :meth:`flush` and :meth:`newline` lay out everything pending
    and start afresh at the outermost level.
    """

    def __init__(self, margin: int = 78, max_indent: int = 68) -> None:
        if not 1 < max_indent < margin:
            raise FormatError(f"formatter margin {margin}, max_indent {max_indent}: expected 1 < max_indent < margin")
        self.margin = margin
        self.max_indent = max_indent
        self._out: list[str] = []
        self._queue: deque[_Token] = deque()
        self._scan: list[_Scan] = []
        self._boxes: list[_Frame] = []
        self._left_total = 1
        self._right_total = 1
        self._space_left = margin
        self._current_indent = 0
        self._depth = 0
        self._is_new_line = True
        self._reset()

    # -- public printing API -------------------------------------------------

    def open_box(self, kind: str = "b", indent: int = 0) -> None:
        """Open a box of ``kind`` (h, v, hv, hov, b); broken lines start at its column + ``indent``."""
        if kind not in _BOX_KINDS:
            raise FormatError(f"box kind {kind!r}: expected one of h, v, hv, hov, b")
        self._depth += 1
        token = _Token(_Kind.BEGIN, None, 0, start=self._right_total, box=kind, amount=indent)
        self._scan_push(token, settle_break=False)

    def close_box(self) -> None:
        """Close the innermost box; closing the outermost (system) box is ignored, as in OCaml."""
        if self._depth <= 1:
            return
        self._enqueue(_Token(_Kind.END, 0, 0))
        self._set_size(is_break=True)
        self._set_size(is_break=False)
        self._depth -= 1

    def string(self, s: str) -> None:
        """Print ``s`` as one unbreakable piece; its width is its UTF-8 byte length."""
        self.string_as(_width(s), s)

    def string_as(self, size: int, s: str) -> None:
        """Print ``s`` but account it as ``size`` columns wide (``Format.pp_print_as``)."""
        self._enqueue_advance(_Token(_Kind.TEXT, size, size, text=s))

    def break_(self, nspaces: int, offset: int) -> None:
        """A break hint: ``nspaces`` spaces if the line is not split, else a newline + box indent + offset."""
        token = _Token(_Kind.BREAK, None, nspaces, start=self._right_total, amount=offset, nspaces=nspaces)
        self._scan_push(token, settle_break=True)

    def cut(self) -> None:
        """``@,``: break hint printing nothing when the line is not split."""
        self.break_(0, 0)

    def space(self) -> None:
        """``@ ``: break hint printing one space when the line is not split."""
        self.break_(1, 0)

    def force_newline(self) -> None:
        """``@\\n``: split the line now, indenting as the current box would."""
        self._enqueue_advance(_Token(_Kind.NEWLINE, 0, 0))

    def flush(self) -> None:
        """``@?`` / ``%!``: close all boxes, lay out everything pending and start afresh."""
        self._flush_queue(end_with_newline=False)

    def newline(self) -> None:
        """``@.``: like :meth:`flush`, then emit a raw newline."""
        self._flush_queue(end_with_newline=True)

    def take_output(self) -> str:
        """The text laid out so far, removed from the buffer; what is still pending stays queued.

        For a formatter that streams onto a channel (the simulator's
        ``std_formatter``): call it after each printing call and write the result.
        """
        text = "".join(self._out)
        self._out.clear()
        return text

    def contents(self) -> str:
        """Flush (as ``Format.asprintf`` does at the end) and return all the text printed so far."""
        self.flush()
        return "".join(self._out)

    # -- queue and scan stack ----------------------------------------------

    def _reset(self) -> None:
        """Empty the queue and stacks and reopen the outermost hov box.

        ``_is_new_line`` survives on purpose: OCaml keeps it across flushes.
        """
        self._queue.clear()
        self._left_total = 1
        self._right_total = 1
        self._scan = [_Scan(-1, _Token(_Kind.TEXT, None, 0))]
        self._boxes.clear()
        self._current_indent = 0
        self._depth = 0
        self._space_left = self.margin
        self.open_box("hov", 0)

    def _enqueue(self, token: _Token) -> None:
        self._right_total += token.length
        self._queue.append(token)

    def _enqueue_advance(self, token: _Token) -> None:
        self._enqueue(token)
        self._advance()

    def _scan_push(self, token: _Token, *, settle_break: bool) -> None:
        """Queue a token of unknown size and remember it until its extent ends.

        A new break ends the extent of the previous break at the same level.
        """
        self._enqueue(token)
        if settle_break:
            self._set_size(is_break=True)
        self._scan.append(_Scan(self._right_total, token))

    def _set_size(self, *, is_break: bool) -> None:
        """Fix the size of the pending break (or box opening) on top of the scan stack."""
        top = self._scan[-1]
        if top.left_total < self._left_total:
            # That token was already laid out (forced early): the stack is stale.
            self._scan = [_Scan(-1, _Token(_Kind.TEXT, None, 0))]
            return
        kind = top.token.kind
        if (kind is _Kind.BREAK and is_break) or (kind is _Kind.BEGIN and not is_break):
            top.token.size = self._right_total - top.token.start
            self._scan.pop()

    def _advance(self) -> None:
        """Lay out tokens from the front of the queue while that can be decided."""
        while self._queue:
            token = self._queue[0]
            pending = self._right_total - self._left_total
            if token.size is None and pending < self._space_left:
                return
            self._queue.popleft()
            self._lay_out(token, _INFINITY if token.size is None else token.size)
            self._left_total += token.length

    def _flush_queue(self, *, end_with_newline: bool) -> None:
        while self._depth > 1:
            self.close_box()
        self._right_total = _INFINITY
        self._advance()
        if end_with_newline:
            self._out.append("\n")
        self._reset()

    # -- layout ------------------------------------------------------------

    def _emit_text(self, size: int, text: str) -> None:
        self._space_left -= size
        self._out.append(text)
        self._is_new_line = False

    def _break_new_line(self, offset: int, width: int) -> None:
        self._out.append("\n")
        self._is_new_line = True
        indent = min(self.max_indent, self.margin - width + offset)
        self._current_indent = indent
        self._space_left = self.margin - indent
        self._out.append(" " * indent)

    def _break_same_line(self, nspaces: int) -> None:
        self._space_left -= nspaces
        self._out.append(" " * nspaces)

    def _lay_out(self, token: _Token, size: int) -> None:
        kind = token.kind
        if kind is _Kind.TEXT:
            self._emit_text(size, token.text)
        elif kind is _Kind.BEGIN:
            self._lay_out_begin(token, size)
        elif kind is _Kind.END:
            if self._boxes:
                self._boxes.pop()
        elif kind is _Kind.NEWLINE:
            if self._boxes:
                self._break_new_line(0, self._boxes[-1].width)
            else:
                self._out.append("\n")
        else:
            self._lay_out_break(token, size)

    def _lay_out_begin(self, token: _Token, size: int) -> None:
        column = self.margin - self._space_left
        if column > self.max_indent:
            # Too far right to open a box: break the enclosing box's line first.
            if not self._boxes:
                self._out.append("\n")
            else:
                outer = self._boxes[-1]
                if outer.width > self._space_left and outer.kind not in ("fits", "h"):
                    self._break_new_line(0, outer.width)
        width = self._space_left - token.amount
        if token.box == "v":
            kind = "v"
        else:
            kind = token.box if size > self._space_left else "fits"
        self._boxes.append(_Frame(kind, width))

    def _lay_out_break(self, token: _Token, size: int) -> None:
        if not self._boxes:
            return
        frame = self._boxes[-1]
        kind = frame.kind
        if kind in ("fits", "h"):
            split = False
        elif kind in ("v", "hv"):
            split = True
        elif kind == "hov":
            split = size > self._space_left
        else:  # "b": also split when that moves the line to the left
            if self._is_new_line:
                split = False
            elif size > self._space_left:
                split = True
            else:
                split = self._current_indent > self.margin - frame.width + token.amount
        if split:
            self._break_new_line(token.amount, frame.width)
        else:
            self._break_same_line(token.nspaces)


# -- format strings -------------------------------------------------------------


def escaped(s: str) -> str:
    """OCaml's ``String.escaped``, on the UTF-8 bytes of ``s`` (non-ASCII bytes become ``\\ddd``)."""
    named = {0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r", 0x08: "\\b"}
    parts: list[str] = []
    for byte in s.encode("utf-8"):
        if byte in named:
            parts.append(named[byte])
        elif 0x20 <= byte <= 0x7E:
            parts.append(chr(byte))
        else:
            parts.append(f"\\{byte:03d}")
    return "".join(parts)


def _box_spec(spec: str) -> tuple[str, int]:
    """Parse the ``<...>`` of ``@[<hov 2>``: an optional kind word, then an optional indent."""
    body = spec.strip(" \t")
    i = 0
    while i < len(body) and "a" <= body[i] <= "z":
        i += 1
    word, rest = body[:i], body[i:].lstrip(" \t")
    j = 0
    while j < len(rest) and (rest[j].isdigit() or rest[j] == "-"):
        j += 1
    number, tail = rest[:j], rest[j:].strip(" \t")
    if tail or word not in ("", "b", "h", "v", "hv", "hov"):
        raise FormatError(f"box description {spec!r}: expected <KIND N> with KIND in h, v, hv, hov, b")
    try:
        indent = int(number) if number else 0
    except ValueError:
        raise FormatError(f"box description {spec!r}: indent {number!r} is not an integer") from None
    return (word or "b"), indent


def _break_spec(fmt: str, i: int) -> tuple[int, int, int] | None:
    """Parse ``<n o>`` or ``<n>`` after ``@;`` at ``fmt[i]``; return (nspaces, offset, next index)."""
    if i >= len(fmt) or fmt[i] != "<":
        return None
    end = fmt.find(">", i)
    if end < 0:
        return None
    fields = fmt[i + 1 : end].split()
    try:
        numbers = [int(f) for f in fields]
    except ValueError:
        return None
    if len(numbers) == 1:
        return numbers[0], 0, end + 1
    if len(numbers) == 2:
        return numbers[0], numbers[1], end + 1
    return None


def _pad(text: str, width: int | None, left: bool, zero: bool) -> str:
    """Pad to ``width`` bytes as OCaml's printf does (``-`` pads on the right, ``0`` with zeros)."""
    if width is None:
        return text
    missing = width - _width(text)
    if missing <= 0:
        return text
    if left:
        return text + " " * missing
    if zero and text[:1] in ("-", "+", " "):
        return text[0] + "0" * missing + text[1:]
    return ("0" if zero else " ") * missing + text


class _Args:
    """The positional arguments of a format, consumed in order, with a clear error when short."""

    def __init__(self, fmt: str, args: tuple[Any, ...]) -> None:
        self._fmt = fmt
        self._args = args
        self._next = 0

    def take(self, directive: str) -> Any:
        if self._next >= len(self._args):
            raise FormatError(f"format {self._fmt!r}: missing an argument for {directive}")
        value = self._args[self._next]
        self._next += 1
        return value

    def take_callable(self, directive: str) -> Callable[..., None]:
        value = self.take(directive)
        if not callable(value):
            kind = type(value).__name__
            raise FormatError(f"format {self._fmt!r}: {directive} expects a printer, got {kind}")
        printer: Callable[..., None] = value
        return printer

    def take_int(self, directive: str) -> int:
        value = self.take(directive)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FormatError(f"format {self._fmt!r}: {directive} expects an int, got {type(value).__name__}")
        return value

    def check_all_used(self) -> None:
        if self._next != len(self._args):
            raise FormatError(f"format {self._fmt!r}: {len(self._args)} arguments given, {self._next} expected")


#: Bits of OCaml's integer types, by conversion size prefix: ``%d`` int (63), ``%ld`` int32,
#: ``%Ld`` int64, ``%nd`` nativeint (64-bit platforms).  Unsigned conversions of a
#: negative value print its two's complement at that width, as OCaml does.
_INT_BITS = {"": 63, "l": 32, "L": 64, "n": 64}


def _convert_extra(conv: str, value: Any, flags: str, precision: int | None, size: str, fmt: str) -> str | None:
    """The conversions OCaml code uses beyond the engine's own output (the simulator's unikernels).

    Sized integers (``%Ld``, ``%lu``...), negative ``%u %x %X %o``, the ``#``
    flag and a precision on integers, the float conversions ``%e %E %g %G %F``
    and ``%C``; None for a conversion left to :func:`_convert`.
    """
    if conv in "diuxXo" and not (isinstance(value, bool) or not isinstance(value, int)):
        if not (size or precision is not None or "#" in flags or (value < 0 and conv in "uxXo")):
            return None
        if conv in "uxXo" and value < 0:
            value += 1 << _INT_BITS[size]
        digits = format(abs(value), {"d": "d", "i": "d", "u": "d"}.get(conv, conv))
        if precision is not None:
            digits = digits.rjust(precision, "0")
        if "#" in flags and conv in "xXo" and value:
            digits = {"x": "0x", "X": "0X", "o": "0"}[conv] + digits
        sign = "-" if value < 0 else "+" if "+" in flags else " " if " " in flags else ""
        return sign + digits
    if conv in "eEgGF":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FormatError(f"format {fmt!r}: %{conv} expects a float, got {type(value).__name__}")
        sign = "+" if "+" in flags else " " if " " in flags else ""
        if conv == "F":
            # OCaml's %F: an OCaml float literal (12 significant digits by default, always a dot or exponent).
            text = format(float(value), f"{sign}.{12 if precision is None else precision}g")
            if not any(c in text for c in ".en") and "inf" not in text:
                text += "."
            return text
        return format(float(value), f"{sign}.{6 if precision is None else precision}{conv}")
    if conv == "C":
        if not (isinstance(value, str) and len(value.encode("utf-8")) == 1):
            raise FormatError(f"format {fmt!r}: %C expects a one-byte str, got {value!r}")
        return "'" + ("'" if value == '"' else "\\'" if value == "'" else escaped(value)) + "'"
    return None


def _convert(conv: str, value: Any, flags: str, precision: int | None, fmt: str, size: str = "") -> str:
    """Render one data conversion (``%d``, ``%s``, ``%S``...) before padding."""
    extra = _convert_extra(conv, value, flags, precision, size, fmt)
    if extra is not None:
        return extra
    if conv == "s":
        if not isinstance(value, str):
            raise FormatError(f"format {fmt!r}: %s expects a str, got {type(value).__name__}")
        return value
    if conv == "S":
        if not isinstance(value, str):
            raise FormatError(f"format {fmt!r}: %S expects a str, got {type(value).__name__}")
        return '"' + escaped(value) + '"'
    if conv in "diuxXo" and (isinstance(value, bool) or not isinstance(value, int)):
        raise FormatError(f"format {fmt!r}: %{conv} expects an int, got {type(value).__name__}")
    if conv == "c" and not (isinstance(value, str) and len(value.encode("utf-8")) == 1):
        raise FormatError(f"format {fmt!r}: %c expects a one-byte str, got {value!r}")
    if conv == "f" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise FormatError(f"format {fmt!r}: %f expects a float, got {type(value).__name__}")
    if conv in "Bb" and not isinstance(value, bool):
        raise FormatError(f"format {fmt!r}: %{conv} expects a bool, got {type(value).__name__}")
    if conv == "u" and value < 0:
        raise FormatError(f"format {fmt!r}: %u of a negative int is not supported")
    if conv in "xXo" and value < 0:
        raise FormatError(f"format {fmt!r}: %{conv} of a negative int is not supported")
    if conv in "diu":
        text = str(value)
        if value >= 0 and "+" in flags:
            text = "+" + text
        elif value >= 0 and " " in flags:
            text = " " + text
        return text
    if conv in "xXo":
        return format(value, conv)
    if conv == "c":
        return str(value)
    if conv in "Bb":
        return "true" if value else "false"
    if conv == "f":
        return format(float(value), f".{6 if precision is None else precision}f")
    raise FormatError(f"format {fmt!r}: unsupported conversion %{conv}")


def fprintf(ppf: Formatter, fmt: str, *args: Any) -> None:
    """Print ``args`` into ``ppf`` following an OCaml ``Format`` format string (``Fmt.pf``).

    Supported: literal text (a literal newline is printed raw and does not
    reset the column), ``@[`` with ``<kind n>``, ``@]``, ``@,``, ``@ ``,
    ``@;`` and ``@;<n o>``, ``@.``, ``@?``, ``@\\n``, ``@@``, ``@%%``,
    ``@<n>`` (print the next text as n columns wide), ``@{...}`` tags
    (printed as nothing), ``%s %S %d %i %u %x %X %o %c %b %B %f`` (no
    negative ``%u %x %X %o``, no other float conversions), flags
    ``- 0 +`` and widths (``%-10s``, ``%*d``), ``%a`` (a printer
    ``f(ppf, value)`` then the value), ``%t`` (``f(ppf)``), ``%%``, ``%@``,
    ``%,`` and ``%!``.  An ``@`` before any other character is a literal ``@``.
    """
    _Printf(ppf, fmt, args).run()


class _Printf:
    """One interpretation of a format string: walks it, printing literal runs and directives."""

    def __init__(self, ppf: Formatter, fmt: str, args: tuple[Any, ...]) -> None:
        self.ppf = ppf
        self.fmt = fmt
        self.args = _Args(fmt, args)
        self.pending: list[str] = []
        # Width forced by "@<n>" on the text printed right after it, if any.
        self.magic_size: int | None = None

    def run(self) -> None:
        fmt, n, i = self.fmt, len(self.fmt), 0
        while i < n:
            c = fmt[i]
            if c == "@" and i + 1 < n:
                i = self.at_directive(i + 1)
            elif c == "%" and i + 1 < n:
                i = self.percent_directive(i + 1)
            else:
                self.pending.append(c)
                i += 1
        self.literal()
        self.args.check_all_used()

    def text(self, s: str) -> None:
        """Print a piece of text, honouring a preceding ``@<n>``."""
        if self.magic_size is None:
            self.ppf.string(s)
        else:
            self.ppf.string_as(self.magic_size, s)
            self.magic_size = None

    def literal(self) -> None:
        """Print the literal run read so far, as OCaml prints one string literal."""
        if self.pending:
            self.text("".join(self.pending))
            self.pending.clear()

    def directive(self) -> None:
        """Before any directive other than text: end the literal run; an unused ``@<n>`` lapses."""
        self.literal()
        self.magic_size = None

    def at_directive(self, i: int) -> int:
        """Handle the ``@`` directive whose letter is at ``fmt[i]``; return the index after it."""
        fmt, ppf = self.fmt, self.ppf
        c = fmt[i]
        if c == "@":
            self.pending.append(c)
            return i + 1
        if c == "%":
            if fmt.startswith("%%", i):
                # "@%%" is a literal percent sign...
                self.pending.append("%")
                return i + 2
            # ...but in "@%@" the '@' is literal and "%@" is read as a conversion.
            self.pending.append("@")
            return i
        if c == "[":
            self.directive()
            i += 1
            spec = ""
            if i < len(fmt) and fmt[i] == "<":
                end = fmt.find(">", i)
                if end < 0:
                    raise FormatError(f"format {fmt!r}: unterminated box description after @[")
                spec, i = fmt[i + 1 : end], end + 1
            kind, indent = _box_spec(spec)
            ppf.open_box(kind, indent)
            return i
        if c == "{":
            # Semantic tags: not marked by default, so they print nothing.
            self.directive()
            i += 1
            if i < len(fmt) and fmt[i] == "<":
                end = fmt.find(">", i)
                i = end + 1 if end >= 0 else i
            return i
        if c == "}":
            self.directive()
            return i + 1
        if c == "<":
            size = _magic_size(fmt, i)
            if size is None:
                self.pending.append("@")
                return i
            self.directive()
            self.magic_size, after = size
            return after
        simple: dict[str, Callable[[], None]] = {
            "]": ppf.close_box,
            ",": ppf.cut,
            " ": ppf.space,
            ".": ppf.newline,
            "?": ppf.flush,
            "\n": ppf.force_newline,
        }
        if c in simple:
            self.directive()
            simple[c]()
            return i + 1
        if c == ";":
            self.directive()
            parsed = _break_spec(fmt, i + 1)
            if parsed is None:
                ppf.break_(1, 0)
                return i + 1
            nspaces, offset, after = parsed
            ppf.break_(nspaces, offset)
            return after
        # Any other character: the '@' is literal and the character is read normally.
        self.pending.append("@")
        return i

    def percent_directive(self, i: int) -> int:
        """Handle the ``%`` conversion starting at ``fmt[i]``; return the index after it."""
        fmt, n = self.fmt, len(self.fmt)
        if fmt[i] in "%@":
            self.pending.append(fmt[i])
            return i + 1
        if fmt[i] == ",":
            # "%," separates nothing from nothing (OCaml's ^^ leaves it between joined formats).
            return i + 1
        if fmt[i] == "!":
            self.directive()
            self.ppf.flush()
            return i + 1
        start = i
        flags = ""
        while i < n and fmt[i] in "-0+ #":
            flags += fmt[i]
            i += 1
        width: int | None = None
        if i < n and fmt[i] == "*":
            width = self.args.take_int("%*")
            i += 1
        else:
            j = i
            while i < n and fmt[i].isdigit():
                i += 1
            width = int(fmt[j:i]) if i > j else None
        precision: int | None = None
        if i < n and fmt[i] == ".":
            i += 1
            j = i
            while i < n and fmt[i].isdigit():
                i += 1
            precision = int(fmt[j:i]) if i > j else 0
        size = ""
        if i + 1 < n and fmt[i] in "lLn" and fmt[i + 1] in "diuxXo":
            size = fmt[i]
            i += 1
        if i >= n:
            raise FormatError(f"format {fmt!r}: incomplete conversion %{fmt[start:]}")
        conv = fmt[i]
        i += 1
        if conv == "a":
            self.directive()
            printer = self.args.take_callable("%a")
            printer(self.ppf, self.args.take("%a"))
            return i
        if conv == "t":
            self.directive()
            self.args.take_callable("%t")(self.ppf)
            return i
        text = _convert(conv, self.args.take(f"%{conv}"), flags, precision, fmt, size)
        text = _pad(text, width, left="-" in flags, zero="0" in flags and conv not in "sScCBb")
        magic = self.magic_size if not self.pending else None
        self.literal()
        self.magic_size = magic
        self.text(text)
        return i


def _magic_size(fmt: str, i: int) -> tuple[int, int] | None:
    """Parse ``<n>`` of ``@<n>`` at ``fmt[i]``; return (n, next index)."""
    end = fmt.find(">", i)
    if end < 0:
        return None
    try:
        return int(fmt[i + 1 : end].strip(" ")), end + 1
    except ValueError:
        return None


def sprintf(fmt: str, *args: Any) -> str:
    """Format into a fresh formatter and return the text (``Fmt.str`` / ``Format.asprintf``)."""
    ppf = Formatter()
    fprintf(ppf, fmt, *args)
    return ppf.contents()


# -- Fmt combinators ------------------------------------------------------------

#: A printer, as in ``'a Fmt.t``: prints a value into a formatter.
Printer = Callable[[Formatter, Any], None]


def pp_string(ppf: Formatter, s: str) -> None:
    """``Fmt.string``."""
    ppf.string(s)


def pp_int(ppf: Formatter, n: int) -> None:
    """``Fmt.int``."""
    ppf.string(str(n))


def pp_nop(ppf: Formatter, _: Any = None) -> None:
    """``Fmt.nop``: prints nothing."""


def pp_cut(ppf: Formatter, _: Any = None) -> None:
    """``Fmt.cut``: a ``@,`` break."""
    ppf.cut()


def pp_sp(ppf: Formatter, _: Any = None) -> None:
    """``Fmt.sp``: a ``@ `` break."""
    ppf.space()


def pp_any(fmt: str) -> Printer:
    """``Fmt.any fmt``: a printer ignoring its value and printing the constant format ``fmt``."""

    def printer(ppf: Formatter, _: Any = None) -> None:
        fprintf(ppf, fmt)

    return printer


def pp_list(sep: Printer = pp_cut, pp_elt: Printer = pp_string) -> Printer:
    """``Fmt.list ~sep pp_elt``: the elements, with ``sep`` between consecutive ones."""

    def printer(ppf: Formatter, items: Iterable[Any]) -> None:
        for index, item in enumerate(items):
            if index:
                sep(ppf, None)
            pp_elt(ppf, item)

    return printer


def pp_text(ppf: Formatter, s: str) -> None:
    """``Fmt.text``: spaces become ``@ `` breaks and newlines ``@\\n`` forced newlines."""
    start = 0
    for index, char in enumerate(s):
        if char in " \n":
            ppf.string(s[start:index])
            if char == " ":
                ppf.space()
            else:
                ppf.force_newline()
            start = index + 1
    ppf.string(s[start:])


def _boxed(kind: str, indent: int, pp: Printer) -> Printer:
    def printer(ppf: Formatter, value: Any) -> None:
        ppf.open_box(kind, indent)
        pp(ppf, value)
        ppf.close_box()

    return printer


def pp_box(pp: Printer, indent: int = 0) -> Printer:
    """``Fmt.box ~indent pp``."""
    return _boxed("b", indent, pp)


def pp_hbox(pp: Printer) -> Printer:
    """``Fmt.hbox pp``."""
    return _boxed("h", 0, pp)


def pp_vbox(pp: Printer, indent: int = 0) -> Printer:
    """``Fmt.vbox ~indent pp``."""
    return _boxed("v", indent, pp)


def pp_hvbox(pp: Printer, indent: int = 0) -> Printer:
    """``Fmt.hvbox ~indent pp``."""
    return _boxed("hv", indent, pp)
