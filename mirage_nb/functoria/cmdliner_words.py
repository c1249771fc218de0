"""The words both command lines take from Cmdliner: lists of alternatives and suggestions.

The tool's command line (:mod:`mirage_nb.functoria.cmdline`), the keys'
converters (:mod:`mirage_nb.functoria.keys`), the help pages and a unikernel's
boot arguments (:mod:`mirage_nb.sim.cmdliner`) all say "expected one of 'a',
'b' or 'c'" and "Did you mean 'x'?" exactly as Cmdliner does; this module is
the one place those words are made. It imports nothing, so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["alts", "quote_alts", "doc_alts", "edit_distance", "suggest"]


def alts(items: Sequence[str]) -> str:
    """Cmdliner's ``pp_alts``: ``a`` / ``either a or b`` / ``one of a, b or c`` (items as given)."""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"either {items[0]} or {items[1]}"
    return "one of " + ", ".join(items[:-1]) + " or " + items[-1]


def quote_alts(items: Sequence[str]) -> str:
    """``'a'`` / ``either 'a' or 'b'`` / ``one of 'a', 'b' or 'c'`` (error messages)."""
    return alts([f"'{a}'" for a in items])


def doc_alts(items: Sequence[str]) -> str:
    """``Arg.doc_alts``: ``one of $(b,a), $(b,b) or $(b,c)`` (documentation markup; items already escaped)."""
    return alts([f"$(b,{a})" for a in items])


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (what Cmdliner's suggestions are based on)."""
    if len(a) > len(b):
        a, b = b, a
    row = list(range(len(a) + 1))
    for i, cb in enumerate(b, 1):
        prev, row[0] = row[0], i
        for j, ca in enumerate(a, 1):
            cur = row[j]
            row[j] = prev if ca == cb else min(prev, row[j], row[j - 1]) + 1
            prev = cur
    return row[len(a)]


def suggest(word: str, candidates: Sequence[str]) -> list[str]:
    """The candidates nearest to ``word``, if nearer than 3 edits (in Cmdliner's order)."""
    best: int | None = None
    out: list[str] = []
    for c in candidates:
        d = edit_distance(word, c)
        if best is None or d < best:
            best, out = d, [c]
        elif d == best:
            out.insert(0, c)
    return out if best is not None and best < 3 else []
