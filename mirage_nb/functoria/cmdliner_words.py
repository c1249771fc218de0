"""The Cmdliner core both command lines share: how argv is split, and the words of its messages.

Two command lines follow Cmdliner 2's rules: the tool's
(:mod:`mirage_nb.functoria.cmdline`, with functoria's two-step parse over
keys) and a unikernel's boot arguments (:mod:`mirage_nb.sim.cmdliner`,
declared by its ``Mirage_runtime.register_arg`` terms). They differ in what
an option is and in the order they report mistakes, but they split argv the
same way (:func:`scan`: ``--name=value``, ``--name value``, ``-nvalue``,
``-abc`` for three flags, ``--``, no value taken from an argument that looks
like an option) and say the same things in the same words ("unknown option
'--x'. Did you mean '--y'?", "expected one of 'a', 'b' or 'c'", "option
'--x' cannot be repeated"...). This module is the one place both are made.
It imports nothing, so any layer may use it; it knows no tool and no
unikernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "alts",
    "quote_alts",
    "doc_alts",
    "edit_distance",
    "suggest",
    "is_option",
    "Token",
    "Scanned",
    "scan",
    "hint_options",
    "err_unknown",
    "err_ambiguous",
    "err_pos_excess",
    "err_repeated",
    "err_flag_argument",
    "err_needs_argument",
    "err_invalid",
]


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


# -- splitting argv ------------------------------------------------------------------------


def is_option(arg: str) -> bool:
    """Whether an argument looks like an option (``-x``, ``--x``; a lone ``-`` is a value)."""
    return len(arg) > 1 and arg[0] == "-"


@dataclass(frozen=True)
class Token:
    """One option on the command line: its name as written, the argument it came from, and its value.

    ``known`` is what the caller's ``kind`` said of the name: ``True`` for
    an option that takes a value, ``False`` for a flag, ``None`` for a name
    it does not know. ``value`` is the text after ``=`` (or after a short
    name), or for an option taking a value the next argument unless that
    looks like an option; ``None`` when there is none.
    """

    name: str
    arg: str
    value: str | None
    known: bool | None


@dataclass
class Scanned:
    tokens: list[Token] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)


def scan(args: Sequence[str], kind: Callable[[str], bool | None]) -> Scanned:
    """Split ``args`` into option tokens and positional arguments, as Cmdliner reads a command line.

    ``kind(name)`` says whether the option ``name`` (``--target``, ``-t``)
    takes a value (``True``), is a flag (``False``) or is unknown (``None``).
    Short flags share a dash (``-qv`` is ``-q -v``); everything after ``--``
    is positional. Values are never converted here.
    """
    out = Scanned()
    queue = list(args)
    i = 0
    while i < len(queue):
        a = queue[i]
        i += 1
        if a == "--":
            out.positionals += queue[i:]
            break
        if not is_option(a):
            out.positionals.append(a)
            continue
        if a[1] != "-":
            name, value = a[:2], (a[2:] or None)
        else:
            name, eq, val = a.partition("=")
            value = val if eq else None
        known = kind(name)
        if known is False and value is not None and a[1] != "-":
            queue.insert(i, "-" + value)  # -qv is -q -v
            value = None
        elif known and value is None and i < len(queue) and not is_option(queue[i]):
            value = queue[i]
            i += 1
        out.tokens.append(Token(name, a, value, known))
    return out


# -- what goes wrong, in Cmdliner's words ------------------------------------------------------


def hint_options(word: str, names: Sequence[str]) -> list[str]:
    """Cmdliner's ``hint_matching_opt``: option names near ``word``, and ``-x`` for a mistyped ``--x...``.

    ``names`` are the spelled option names, in the order suggestions are listed.
    """
    if len(word) <= 2:
        return []
    if word[1] != "-":
        short, long_ = word, "-" + word
    else:
        short, long_ = word[1:], word
    short = short.partition("=")[0] if short.startswith("--") else short[:2]
    long_ = long_.partition("=")[0]
    near = suggest(long_, names)
    if short in names:
        return near if short in near else [short, *near]
    return near


def err_unknown(kind: str, word: str, *, dom: Sequence[str] = (), hints: Sequence[str] = ()) -> str:
    """``unknown option '--x'. Did you mean '--y'?`` / ``unknown command 'x'. Must be one of ...``."""
    tail = ""
    if hints:
        tail = f". Did you mean {quote_alts(hints)}?"
    elif dom:
        tail = f". Must be {quote_alts(dom)}"
    return f"unknown {kind} '{word}'{tail}"


def err_ambiguous(kind: str, word: str, ambs: Sequence[str]) -> str:
    return f"{kind} '{word}' ambiguous and could be {quote_alts(sorted(ambs))}"


def err_pos_excess(excess: Sequence[str]) -> str:
    """``too many arguments, don't know what to do with 'a', 'b'``."""
    return "too many arguments, don't know what to do with " + ", ".join(f"'{a}'" for a in excess)


def err_repeated(f: str, g: str) -> str:
    """An option given twice, or two options of one choice given together."""
    if f == g:
        return f"option '{f}' cannot be repeated"
    return f"options '{f}' and '{g}' cannot be present at the same time"


def err_flag_argument(name: str, value: str) -> str:
    return f"option '{name}' is a flag, it cannot take the argument '{value}'"


def err_needs_argument(name: str) -> str:
    return f"option '{name}' needs an argument"


def err_invalid(name: str, msg: str) -> str:
    """A converter's message about an option's value (``option '--port': invalid value 'x', ...``)."""
    return f"option '{name}': {msg}"
