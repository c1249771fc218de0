"""Turns config.ml text into OCaml tokens, following the OCaml lexer's rules.

Covered: nested comments (with strings, quoted strings and chars inside them, as
OCaml skips them), string literals with every OCaml escape, quoted strings
``{id|...|id}``, chars, type variables, ints (decimal, hex, octal, binary,
underscores, l/L/n suffixes), floats, identifiers and keywords, labels
``~l:`` / ``?l:``, and operator symbols lexed greedily from OCaml's operator
characters (so ``@->`` and ``|>`` are single tokens, as in OCaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from ._errors import ConfigMlSyntaxError, LimitError, error_at
from ._span import Span

__all__ = ["Token", "tokenize", "KEYWORDS", "MAX_INPUT_CHARS"]

#: Input larger than this is refused before lexing (config files are a few hundred bytes).
MAX_INPUT_CHARS = 1_000_000

KEYWORDS = frozenset(
    """and as assert asr begin class constraint do done downto else end exception external
    false for fun function functor if in include inherit initializer land lazy let lor lsl
    lsr lxor match method mod module mutable new nonrec object of open or private rec sig
    struct then to true try type val virtual when while with _""".split()
)

_OP_CHARS = frozenset("!$%&*+-./:<=>?@^|~")
_CORE_OP_START = frozenset("$&*+-/=>@^|%<")
_MAX_INT = (1 << 62) - 1

_WS = re.compile(r"[ \t\r\f]+")
_LIDENT = re.compile(r"[a-z_][A-Za-z0-9_']*")
_UIDENT = re.compile(r"[A-Z][A-Za-z0-9_']*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F][0-9a-fA-F_]*(?P<hs>[lLn])?"
    r"|0[oO][0-7][0-7_]*(?P<os>[lLn])?"
    r"|0[bB][01][01_]*(?P<bs>[lLn])?"
    r"|(?P<dec>[0-9][0-9_]*)(?P<frac>\.[0-9_]*)?(?P<exp>[eE][+-]?[0-9][0-9_]*)?(?P<ds>[lLn])?"
)
_QUOTED_OPEN = re.compile(r"\{([a-z_]*)\|")
_LABEL = re.compile(r"([~?])([a-z_][A-Za-z0-9_']*):(?!:)")


class Token(NamedTuple):
    """One lexeme: ``kind`` is lident, uident, kw, int, float, char, string, label, optlabel, sym,
    tyvar or eof; ``text`` is the keyword/symbol/identifier text, ``value`` the literal's value."""

    kind: str
    text: str
    value: object
    span: Span
    quote_id: str | None = None


class _Lexer:
    def __init__(self, text: str, filename: str) -> None:
        self.src = text
        self.file = filename
        self.pos = 0
        self.line = 1
        self.bol = 0

    # -- positions ---------------------------------------------------------------
    def _span(self, start: int, start_line: int, start_bol: int) -> Span:
        return Span(
            self.file,
            start_line,
            start - start_bol + 1,
            self.line,
            self.pos - self.bol + 1,
            start,
            self.pos,
        )

    def _error(self, msg: str, start: int, start_line: int, start_bol: int) -> ConfigMlSyntaxError:
        span = self._span(start, start_line, start_bol)
        err = error_at(ConfigMlSyntaxError, msg, span, self.src)
        assert isinstance(err, ConfigMlSyntaxError)
        return err

    def _newline_at(self, i: int) -> None:
        self.line += 1
        self.bol = i + 1

    def _advance_over(self, end: int) -> None:
        """Move to ``end``, counting the newlines passed."""
        src = self.src
        i = src.find("\n", self.pos, end)
        while i != -1:
            self._newline_at(i)
            i = src.find("\n", i + 1, end)
        self.pos = end

    # -- main loop ---------------------------------------------------------------
    def tokens(self) -> Iterator[Token]:
        src = self.src
        n = len(src)
        while True:
            m = _WS.match(src, self.pos)
            if m:
                self.pos = m.end()
            if self.pos >= n:
                yield Token("eof", "", None, self._span(self.pos, self.line, self.bol))
                return
            c = src[self.pos]
            if c == "\n":
                self._newline_at(self.pos)
                self.pos += 1
                continue
            if src.startswith("(*", self.pos):
                self._comment()
                continue
            start, sline, sbol = self.pos, self.line, self.bol
            tok = self._token(c)
            yield Token(tok[0], tok[1], tok[2], self._span(start, sline, sbol), tok[3] if len(tok) > 3 else None)

    def _token(self, c: str) -> tuple:
        src = self.src
        p = self.pos
        start, sline, sbol = p, self.line, self.bol
        if c.isascii() and (c.islower() or c == "_"):
            m = _LIDENT.match(src, p)
            assert m
            self.pos = m.end()
            word = m.group()
            return ("kw" if word in KEYWORDS else "lident", word, word)
        if c.isascii() and c.isupper():
            m = _UIDENT.match(src, p)
            assert m
            self.pos = m.end()
            return ("uident", m.group(), m.group())
        if "0" <= c <= "9":
            return self._number()
        if c == '"':
            self.pos += 1
            return ("string", '"', self._string_body(start, sline, sbol), None)
        if c == "{":
            m = _QUOTED_OPEN.match(src, p)
            if m:
                return self._quoted(m, start, sline, sbol)
            self.pos += 1
            return ("sym", "{", None)
        if c == "'":
            return self._quote(start, sline, sbol)
        if c in "~?":
            m = _LABEL.match(src, p)
            if m:
                self.pos = m.end()
                return ("label" if c == "~" else "optlabel", m.group(2), m.group(2))
            return self._op_run(prefix=True) if self._op_follows(p + 1) else self._sym(c)
        if c == "!":
            if src.startswith("!=", p):
                return self._op_run(prefix=False)
            return self._op_run(prefix=True)
        if c == "(":
            return self._sym("(")
        if c in "),`}]":
            return self._sym(c)
        if c == "[":
            for s in ("[@@@", "[@@", "[@", "[%%", "[%", "[|", "[<", "[>"):
                if src.startswith(s, p):
                    return self._sym(s)
            return self._sym("[")
        if c == ";":
            return self._sym(";;" if src.startswith(";;", p) else ";")
        if c == ":":
            for s in ("::", ":=", ":>"):
                if src.startswith(s, p):
                    return self._sym(s)
            return self._sym(":")
        if c == ".":
            return self._sym(".." if src.startswith("..", p) else ".")
        if c == "#":
            return self._op_run(prefix=False) if self._op_follows(p + 1) else self._sym("#")
        if c == "|":
            if src.startswith("|]", p):
                return self._sym("|]")
            if src.startswith("||", p) and not self._op_follows(p + 2):
                return self._sym("||")
            return self._op_run(prefix=False) if self._op_follows(p + 1) else self._sym("|")
        if c in _CORE_OP_START:
            return self._op_run(prefix=False)
        self.pos += 1
        shown = c if c.isprintable() and not c.isspace() else repr(c)[1:-1]
        raise self._error(f"Illegal character ({shown})", start, sline, sbol)

    def _op_follows(self, i: int) -> bool:
        return i < len(self.src) and self.src[i] in _OP_CHARS

    def _sym(self, s: str) -> tuple:
        self.pos += len(s)
        return ("sym", s, None)

    def _op_run(self, *, prefix: bool) -> tuple:
        src = self.src
        i = self.pos + 1
        while i < len(src) and src[i] in _OP_CHARS:
            # ``(*`` never starts inside an operator, but ``*)`` may end a comment-like run; OCaml
            # lexes greedily too, so we do the same.
            i += 1
        text = src[self.pos : i]
        self.pos = i
        return ("prefixop" if prefix else "sym", text, None)

    # -- literals ----------------------------------------------------------------
    def _number(self) -> tuple:
        start, sline, sbol = self.pos, self.line, self.bol
        m = _NUMBER.match(self.src, self.pos)
        assert m
        self.pos = m.end()
        text = m.group()
        if m.group("dec") is not None and (m.group("frac") is not None or m.group("exp") is not None):
            if m.group("ds"):
                raise self._error(f"Invalid literal {text}", start, sline, sbol)
            return ("float", text, float(text.replace("_", "")))
        body = text.rstrip("lLn").replace("_", "")
        value = int(body, 0) if body[:2].lower() in ("0x", "0o", "0b") else int(body, 10)
        limit = _MAX_INT if m.group("dec") is not None else (1 << 63) - 1
        if value > limit:
            raise self._error(
                f"Integer literal exceeds the range of representable integers of type int: {text}",
                start,
                sline,
                sbol,
            )
        if value > _MAX_INT:  # hex/octal/binary literals wrap, as in OCaml
            value -= 1 << 63
        return ("int", text, value)

    def _escape(self, out: bytearray, start: int, sline: int, sbol: int) -> None:
        """Decode one escape; ``self.pos`` is on the backslash."""
        src = self.src
        p = self.pos
        if p + 1 >= len(src):
            self.pos = len(src)
            raise self._error("String literal not terminated", start, sline, sbol)
        c = src[p + 1]
        simple = {"\\": 92, '"': 34, "'": 39, "n": 10, "t": 9, "b": 8, "r": 13, " ": 32}
        if c in simple:
            out.append(simple[c])
            self.pos = p + 2
            return
        if c == "\n" or (c == "\r" and src.startswith("\r\n", p + 1)):
            self._newline_at(src.index("\n", p + 1))
            q = src.index("\n", p + 1) + 1
            while q < len(src) and src[q] in " \t":
                q += 1
            self.pos = q
            return
        m = re.compile(r"[0-9]{3}|x[0-9a-fA-F]{2}|o[0-3][0-7]{2}|u\{([0-9a-fA-F]{1,6})\}").match(src, p + 1)
        if m:
            t = m.group()
            if t[0] == "x":
                out.append(int(t[1:], 16))
            elif t[0] == "o":
                out.append(int(t[1:], 8))
            elif t[0] == "u":
                cp = int(m.group(1), 16)
                if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                    self.pos = m.end()
                    raise self._error(f"Illegal backslash escape in string or character ({t})", p, self.line, self.bol)
                out.extend(chr(cp).encode())
            else:
                v = int(t)
                if v > 255:
                    self.pos = m.end()
                    raise self._error(
                        f"Illegal backslash escape in string or character (\\{t}): {v} is outside the range 0..255",
                        p,
                        self.line,
                        self.bol,
                    )
                out.append(v)
            self.pos = m.end()
            return
        # OCaml keeps an unknown escape as written (warning 14, illegal backslash).
        out.extend(b"\\")
        self.pos = p + 1

    def _string_body(self, start: int, sline: int, sbol: int) -> str:
        src = self.src
        out = bytearray()
        while True:
            q = self.pos
            while q < len(src) and src[q] not in '"\\\n':
                q += 1
            out.extend(src[self.pos : q].encode("utf-8", "surrogateescape"))
            self.pos = q
            if q >= len(src):
                raise self._error("String literal not terminated", start, sline, sbol)
            c = src[q]
            if c == '"':
                self.pos = q + 1
                return out.decode("utf-8", "surrogateescape")
            if c == "\n":
                out.append(10)
                self._newline_at(q)
                self.pos = q + 1
                continue
            self._escape(out, start, sline, sbol)

    def _quoted(self, m: re.Match[str], start: int, sline: int, sbol: int) -> tuple:
        ident = m.group(1)
        close = "|" + ident + "}"
        end = self.src.find(close, m.end())
        if end == -1:
            self._advance_over(len(self.src))
            raise self._error("String literal not terminated", start, sline, sbol)
        body = self.src[m.end() : end]
        self._advance_over(end + len(close))
        return ("string", "{" + ident + "|", body, ident)

    def _quote(self, start: int, sline: int, sbol: int) -> tuple:
        src = self.src
        p = self.pos
        if p + 2 < len(src) and src[p + 1] not in "\\'\n" and src[p + 2] == "'":
            self.pos = p + 3
            return ("char", src[p : p + 3], src[p + 1])
        if p + 1 < len(src) and src[p + 1] == "\\":
            out = bytearray()
            self.pos = p + 1
            self._escape(out, start, sline, sbol)
            if self.pos < len(src) and src[self.pos] == "'" and len(out) == 1:
                self.pos += 1
                return ("char", src[p : self.pos], out.decode("latin-1"))
            raise self._error("Illegal escape in character literal", start, sline, sbol)
        m = _LIDENT.match(src, p + 1) or _UIDENT.match(src, p + 1)
        if m:
            self.pos = m.end()
            return ("tyvar", "'" + m.group(), m.group())
        self.pos = p + 1
        return ("sym", "'", None)

    # -- comments ----------------------------------------------------------------
    def _comment(self) -> None:
        src = self.src
        start, sline, sbol = self.pos, self.line, self.bol
        depth = 0
        n = len(src)
        i = self.pos
        special = re.compile(r"\(\*|\*\)|\"|\{[a-z_]*\||'|\n")
        while True:
            m = special.search(src, i)
            if m is None:
                self._advance_over(n)
                raise self._error("Comment not terminated", start, sline, sbol)
            t = m.group()
            i = m.end()
            if t == "\n":
                self._newline_at(m.start())
            elif t == "(*":
                depth += 1
            elif t == "*)":
                depth -= 1
                if depth == 0:
                    self.pos = i
                    return
            elif t == '"':
                self.pos = i
                try:
                    self._string_body(m.start(), self.line, self.bol)
                except ConfigMlSyntaxError:
                    raise self._error(
                        "This comment contains an unterminated string literal", start, sline, sbol
                    ) from None
                i = self.pos
            elif t.startswith("{"):
                close = "|" + t[1:-1] + "}"
                end = src.find(close, i)
                if end == -1:
                    self.pos = i
                    self._advance_over(n)
                    raise self._error("This comment contains an unterminated string literal", start, sline, sbol)
                self.pos = i
                self._advance_over(end + len(close))
                i = self.pos
            else:  # a quote: skip a char literal such as '"' so its quote does not open a string
                cm = re.compile(r"'(?:[^\\'\n]|\\(?:[\\\"'ntbr ]|[0-9]{3}|x[0-9a-fA-F]{2}|o[0-7]{3}))'").match(
                    src, m.start()
                )
                if cm:
                    i = cm.end()


def tokenize(text: str, filename: str = "config.ml") -> list[Token]:
    """All tokens of ``text`` (comments dropped), ending with an ``eof`` token."""
    if len(text) > MAX_INPUT_CHARS:
        span = Span(filename, 1, 1, 1, 1)
        raise error_at(
            LimitError,
            f"config file too large: {len(text)} characters (the reader accepts at most {MAX_INPUT_CHARS})",
            span,
            None,
        )
    return list(_Lexer(text, filename).tokens())
