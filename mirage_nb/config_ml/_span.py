"""Source spans: where a token or an AST node sits in config.ml."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Span"]


class Span(NamedTuple):
    """A stretch of source: 1-based line and column of its start, and of the column just past its end.

    ``offset``/``end_offset`` are 0-based character offsets into the text. A
    NamedTuple (immutable, like the AST nodes) rather than a dataclass because
    the lexer makes one per token and tuples are several times cheaper to build.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    offset: int = 0
    end_offset: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``."""
        return Span(
            self.file,
            self.line,
            self.column,
            other.end_line,
            other.end_column,
            self.offset,
            other.end_offset,
        )
