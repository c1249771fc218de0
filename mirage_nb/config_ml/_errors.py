"""The errors the config.ml reader raises, each pointing at the offending source.

Every error is a :class:`mirage_nb.errors.ConfigMlError`, so callers need catch
only that; the subclasses let tests and tools tell a syntax problem from an
unbound name. Any other exception escaping this package is a bug.
"""

from __future__ import annotations

from mirage_nb.errors import ConfigMlError, Location

from ._span import Span

__all__ = [
    "ConfigMlSyntaxError",
    "UnsupportedSyntaxError",
    "UnboundError",
    "ApplicationError",
    "ConfigMlTypeError",
    "MatchFailure",
    "ConfigMlFailure",
    "LimitError",
    "VersionMismatchError",
    "NoRegisterError",
    "error_at",
]


class _SourceError(ConfigMlError):
    """A ConfigMlError that also shows the source line with a caret under the column."""

    def __init__(self, msg: str, *, span: Span | None = None, source_line: str | None = None) -> None:
        loc = Location(span.file, span.line, span.column) if span is not None else None
        super().__init__(msg, loc=loc)
        self.span = span
        self.source_line = source_line

    def excerpt(self) -> str:
        """The offending line and a caret line under it (empty when unknown)."""
        if self.span is None or self.source_line is None:
            return ""
        line = self.source_line.expandtabs(1)
        prefix = f"{self.span.line} | "
        width = 1
        if self.span.end_line == self.span.line:
            width = max(1, self.span.end_column - self.span.column)
        width = max(1, min(width, len(line) - self.span.column + 1))
        pad = " " * (len(prefix) + self.span.column - 1)
        return f"{prefix}{line}\n{pad}{'^' * width}"

    def __str__(self) -> str:
        head = super().__str__()
        ex = self.excerpt()
        return f"{head}\n{ex}" if ex else head


class ConfigMlSyntaxError(_SourceError):
    """The text is not OCaml the reader can parse (a token out of place, an unclosed comment)."""


class UnsupportedSyntaxError(_SourceError):
    """Valid OCaml that config files do not use and the reader deliberately does not handle."""


class UnboundError(_SourceError):
    """A name is not bound, worded as OCaml says it: ``Unbound value x``, ``Unbound module M``."""


class ApplicationError(_SourceError):
    """A function applied to a wrong label or too many arguments, or a non-function applied."""


class ConfigMlTypeError(ApplicationError):
    """An argument of the wrong type for the DSL (``package ~min:1``): what OCaml's type checker rejects."""


class MatchFailure(_SourceError):
    """No case of a ``match`` or ``function`` matched the value (OCaml's Match_failure)."""


class ConfigMlFailure(_SourceError):
    """The config raised: ``failwith``, ``invalid_arg``, ``assert false``, or a DSL error."""


class LimitError(_SourceError):
    """The input is too big, too deeply nested, or takes too many evaluation steps."""


class VersionMismatchError(ConfigMlError):
    """The first-line version comment rejects this mirage version (the real tool's message)."""


class NoRegisterError(ConfigMlError):
    """The config never called ``register``, so there is no application to return."""


def error_at(cls: type[_SourceError], msg: str, span: Span | None, source: str | None) -> _SourceError:
    """Build ``cls(msg)`` located at ``span``, with its source line taken from ``source``."""
    line = None
    if span is not None and source is not None:
        lines = source.split("\n")
        if 1 <= span.line <= len(lines):
            line = lines[span.line - 1].rstrip("\r")
    return cls(msg, span=span, source_line=line)
