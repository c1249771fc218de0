"""A command-line parser with cmdliner 2.x's rules and error messages, for the ``mirage-nb`` verbs.

Functoria parses its command line with cmdliner (2.x for mirage 4.11.1); the
same spellings must work here and the same mistakes must get the same words:

* ``--name=value``, ``--name value``, ``-tvalue``, ``-t value``; a value is
  never taken from an argument that looks like an option (``-o --help`` is
  ``-o`` without its value, and ``--help``);
* short flags share a dash (``-qv`` is ``-q -v``);
* names must be spelled out: cmdliner 2 dropped unambiguous prefixes, which
  come back only when ``CMDLINER_LEGACY_PREFIXES`` is true;
* ``--`` ends the options; flags take no value; options other than
  repeatable ones may appear once, and the two halves of a pair of flags
  (``--depext``/``--no-depext``) may not appear together.

Every unknown option is reported (one message each, joined by newlines, as
cmdliner does); otherwise the first bad value or repetition is. The text of
each message is cmdliner's, with its quotes; :func:`render_error` lays a
message out as cmdliner prints it on stderr (with the ``Usage:`` line).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError

from .cmdliner_words import (
    edit_distance,
    err_ambiguous,
    err_flag_argument,
    err_invalid,
    err_needs_argument,
    err_pos_excess,
    err_repeated,
    err_unknown,
    hint_options,
    quote_alts,
    scan,
    suggest,
)
from .keys import ConvError

__all__ = [
    "Opt",
    "CmdlineError",
    "Parsed",
    "parse",
    "spell",
    "legacy_prefixes",
    "quote_alts",
    "enum",
    "edit_distance",
    "suggest",
    "err_unknown",
    "err_ambiguous",
    "err_pos_excess",
    "unknown_option",
    "find_command",
    "render_error",
]


class CmdlineError(ConfigError):
    """The command line is wrong (cmdliner's wording).

    ``usage`` says whether cmdliner prints the command's ``Usage:`` line
    before the message (it does for parse errors, not for errors a term
    reports itself, such as an unknown ``help`` topic). ``command`` names
    the command whose usage applies, when it differs from the one invoked
    (an unknown sub-command is reported against the tool itself: ``""``).
    ``then`` is a line functoria prints after cmdliner's message (without a
    config file: ``configuration file config.ml missing``).
    """

    def __init__(self, msg: str, *, usage: bool = True, command: str | None = None, then: str | None = None) -> None:
        super().__init__(msg)
        self.usage = usage
        self.command = command
        self.then = then


@dataclass(frozen=True)
class Opt:
    """One option: its names (without dashes), what it takes, and where its value goes.

    ``takes`` is ``"value"``, ``"flag"`` or ``"optional"`` (a value may
    follow; ``vopt`` when none does). Flags sharing a ``dest`` form one
    cmdliner ``vflag`` (at most one of them may be given), as do key flags.
    Documentation lives beside the tables, in :mod:`mirage_nb.functoria.help`.
    """

    names: tuple[str, ...]
    dest: str
    takes: str = "value"  # "value" | "flag" | "optional"
    parse: Callable[[str], Any] = str
    repeat: bool = False
    flag_value: Any = True
    vopt: Any = None  # the value of an "optional" option given bare

    def spelled(self, name: str) -> str:
        return spell(name)


def spell(name: str) -> str:
    """``t`` → ``-t``, ``target`` → ``--target``."""
    return ("-" if len(name) == 1 else "--") + name


def legacy_prefixes(env: Mapping[str, str] | None = None) -> bool:
    """Whether unambiguous prefixes are accepted (``CMDLINER_LEGACY_PREFIXES``, off by default)."""
    v = (os.environ if env is None else env).get("CMDLINER_LEGACY_PREFIXES")
    return v is not None and v.lower() in ("true", "yes", "y", "1")


# -- cmdliner's message vocabulary ------------------------------------------------------


def enum(alts: Sequence[str]) -> Callable[[str], str]:
    """A parser accepting one of ``alts`` (``Arg.enum``), failing in cmdliner's words."""
    choices = tuple(alts)

    def parse(s: str) -> str:
        if s in choices:
            return s
        raise ConvError(f"invalid value '{s}', expected {quote_alts(choices)}")

    return parse


# -- name lookup ---------------------------------------------------------------------------


def _trie_order(names: Sequence[str]) -> list[str]:
    """The order cmdliner's trie lists names in: sorted, but a name after its own extensions."""
    return sorted(set(names), key=lambda n: [ord(c) for c in n] + [0x110000])


def _lookup(word: str, names: Sequence[str], legacy: bool) -> tuple[str | None, list[str]]:
    """``(name, [])`` when found, ``(None, ambiguities)`` otherwise (cmdliner's trie)."""
    if word in names:
        return word, []
    if not legacy:
        return None, []
    cands = sorted({n for n in names if n.startswith(word)})
    if len(cands) == 1:
        return cands[0], []
    return None, cands


def find_command(
    word: str,
    commands: Sequence[str],
    *,
    shown: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """The sub-command ``word`` names, or the error cmdliner reports (against the tool's usage).

    ``shown`` are the commands an error message lists (all by default).
    """
    found, ambs = _lookup(word, commands, legacy_prefixes(env))
    if found is not None:
        return found
    if ambs:
        raise CmdlineError(err_ambiguous("command", word, ambs), command="")
    dom = sorted(commands if shown is None else shown)
    hints = suggest(word, _trie_order(dom))
    raise CmdlineError(err_unknown("command", word, dom=dom, hints=hints), command="")


# -- parsing -------------------------------------------------------------------------------


@dataclass
class Parsed:
    values: dict[str, list[Any]] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    # (name as given, opt) of every option occurrence, in order.
    seen: list[tuple[str, Opt]] = field(default_factory=list)

    def get(self, dest: str, default: Any = None) -> Any:
        v = self.values.get(dest)
        return v[-1] if v else default

    def all(self, dest: str) -> list[Any]:
        return list(self.values.get(dest, []))

    def has(self, dest: str) -> bool:
        return dest in self.values


def unknown_option(word: str, opts: Sequence[Opt], *, env: Mapping[str, str] | None = None) -> str:
    """What :func:`parse` says of the argument ``word`` when no option of ``opts`` has its name."""
    names = sorted({spell(n) for o in opts for n in o.names})
    name = word.partition("=")[0] if word[1:2] == "-" else word[:2]
    _, ambs = _lookup(name, names, legacy_prefixes(env))
    if ambs:
        return err_ambiguous("option", name, ambs)
    return err_unknown("option", name, hints=hint_options(word, _trie_order(names)))


def parse(
    args: Sequence[str], opts: Sequence[Opt], *, peek: bool = False, env: Mapping[str, str] | None = None
) -> Parsed:
    """Parse ``args`` against ``opts``; with ``peek``, unknown options and bad values are skipped.

    Peeking is how functoria reads some options before it knows every key
    (``Cmdliner.Cmd.eval_peek_opts``).
    """
    legacy = legacy_prefixes(env)
    by_name: dict[str, Opt] = {}
    for o in opts:
        for n in o.names:
            by_name.setdefault(spell(n), o)
    all_names = sorted(by_name)
    trie_order = _trie_order(all_names)
    out = Parsed()
    unknown: list[str] = []
    errors: list[str] = []

    def kind(name: str) -> bool | None:
        found, _ = _lookup(name, all_names, legacy)
        return None if found is None else by_name[found].takes != "flag"

    scanned = scan(args, kind)
    out.positionals = scanned.positionals
    for tok in scanned.tokens:
        name = tok.name
        if tok.known is None:
            if not peek:
                _, ambs = _lookup(name, all_names, legacy)
                if ambs:
                    unknown.append(err_ambiguous("option", name, ambs))
                else:
                    unknown.append(err_unknown("option", name, hints=hint_options(tok.arg, trie_order)))
            continue
        found, _ = _lookup(name, all_names, legacy)
        assert found is not None
        opt = by_name[found]
        if opt.takes == "flag":
            if tok.value is not None:
                errors.append(err_flag_argument(name, tok.value))
                continue
            value: Any = opt.flag_value
        elif tok.value is None:
            if opt.takes != "optional":
                errors.append(err_needs_argument(name))
                continue
            value = opt.vopt
        else:
            try:
                value = opt.parse(tok.value)
            except ConvError as e:
                errors.append(err_invalid(name, e.msg))
                continue
        out.seen.append((name, opt))
        out.values.setdefault(opt.dest, []).append(value)
    if not peek:
        if unknown:
            raise CmdlineError("\n".join(unknown))
        repeated = _repetition(out.seen, opts)
        if repeated is not None:
            errors.insert(0, repeated)
        if errors:
            raise CmdlineError(errors[0])
    return out


def _repetition(seen: list[tuple[str, Opt]], opts: Sequence[Opt]) -> str | None:
    """The first forbidden repetition, worded as cmdliner words it for that kind of argument."""
    dests: dict[str, list[Opt]] = {}
    for o in opts:
        dests.setdefault(o.dest, []).append(o)
    by_dest: dict[str, list[tuple[str, Opt]]] = {}
    for name, o in seen:
        by_dest.setdefault(o.dest, []).append((name, o))
    for dest, occ in by_dest.items():
        o = occ[0][1]
        if o.repeat or len(occ) < 2:
            continue
        group = dests.get(dest, [o])
        vflag = o.takes == "flag" and (len(group) > 1 or dest.startswith("key:"))
        if vflag:
            # cmdliner visits the flags of a vflag in declaration order.
            members = [m for m in group if any(x is m for _, x in occ)]
            if len(members) > 1:
                first = next(n for n, x in occ if x is members[0])
                second = next(n for n, x in occ if x is members[1])
                return err_repeated(first, second)
            return err_repeated(occ[-2][0], occ[-1][0])
        if o.takes == "flag":
            return err_repeated(occ[-1][0], occ[-2][0])
        return err_repeated(occ[-2][0], occ[-1][0])
    return None


# -- how cmdliner prints an error -----------------------------------------------------------


def _styled_text(ppf: Any, s: str) -> None:
    """``Fmt.styled_text``: spaces and newlines become break hints; ANSI escapes are 0 wide."""
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if c == "\x1b" and i + 1 < n - 1 and s[i + 1] == "[":
            k = i + 2
            while k < n and s[k] != "m":
                k += 1
            ppf.string_as(0, s[i : k + 1])
            i = k + 1
            continue
        nxt = s[i + 1] if i + 1 < n else None
        if c == " ":
            if nxt is not None and nxt not in " \n":
                ppf.space()
        elif c == "\n":
            if nxt is None or nxt == " ":
                pass
            elif nxt == "\n":
                ppf.force_newline()
                if i > 0 and s[i - 1] != "\n":
                    ppf.force_newline()
            else:
                ppf.space()
        else:
            ppf.string(c)
        i += 1


def render_error(tool: str, msg: str, usage: str | None = None) -> str:
    """What cmdliner writes on stderr: ``Usage: <synopsis>`` (if given), then ``<tool>: <msg>``.

    Both lines are laid out by OCaml's Format at 78 columns, continuation
    lines indented under the text (8 columns after ``mirage: ``).
    """
    from .fmt import Formatter

    ppf = Formatter()
    if usage is not None:
        ppf.open_box("b", 0)
        ppf.string("Usage: ")
        ppf.open_box("b", 0)
        _styled_text(ppf, usage)
        ppf.close_box()
        ppf.close_box()
        ppf.newline()
    ppf.open_box("b", 0)
    ppf.string(f"{tool}:")
    ppf.string(" ")
    ppf.open_box("b", 0)
    _styled_text(ppf, msg)
    ppf.close_box()
    ppf.close_box()
    ppf.newline()
    return ppf.contents()
