"""A command-line parser with cmdliner's rules, for the ``mirage-nb`` verbs.

Functoria parses its command line with cmdliner; the same spellings must
work here: ``--name=value``, ``--name value``, ``-tvalue``, ``-t value``,
unambiguous prefixes of long options (``--tar`` for ``--target``), ``--``
ending the options, flags that take no value, options that may not repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError

from .keys import ConvError

__all__ = ["Opt", "CmdlineError", "parse", "spell"]


class CmdlineError(ConfigError):
    """The command line is wrong: unknown option, missing or bad value (cmdliner's wording)."""


@dataclass(frozen=True)
class Opt:
    """One option: its names (without dashes), what it takes, and where its value goes."""

    names: tuple[str, ...]
    dest: str
    takes: str = "value"  # "value" | "flag" | "optional" (a value may follow with '=')
    parse: Callable[[str], Any] = str
    repeat: bool = False
    flag_value: Any = True
    vopt: Any = None  # the value of an "optional" option given bare

    def spelled(self, name: str) -> str:
        return spell(name)


def spell(name: str) -> str:
    return ("-" if len(name) == 1 else "--") + name


@dataclass
class Parsed:
    values: dict[str, list[Any]] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)

    def get(self, dest: str, default: Any = None) -> Any:
        v = self.values.get(dest)
        return v[-1] if v else default

    def all(self, dest: str) -> list[Any]:
        return list(self.values.get(dest, []))

    def has(self, dest: str) -> bool:
        return dest in self.values


def _find(name: str, opts: Sequence[Opt], long: bool) -> tuple[Opt, str]:
    exact = [(o, n) for o in opts for n in o.names if n == name]
    if exact:
        return exact[0]
    if long:
        cands = [(o, n) for o in opts for n in o.names if len(n) > 1 and n.startswith(name)]
        distinct = {id(o): (o, n) for o, n in cands}
        if len(distinct) == 1:
            return next(iter(distinct.values()))
        if len(distinct) > 1:
            alts = sorted(spell(n) for _, n in distinct.values())
            raise CmdlineError(f"option '{spell(name)}' ambiguous and could be {_either(alts)}")
    raise CmdlineError(f"unknown option '{spell(name)}'.")


def _either(alts: list[str]) -> str:
    q = [f"'{a}'" for a in alts]
    if len(q) == 2:
        return f"either {q[0]} or {q[1]}"
    return ", ".join(q[:-1]) + " or " + q[-1]


def parse(args: Sequence[str], opts: Sequence[Opt], *, peek: bool = False) -> Parsed:
    """Parse ``args`` against ``opts``; with ``peek``, unknown options and bad values are skipped.

    Peeking is how functoria reads the ``If`` keys before it knows every key
    (``Cmdliner.Cmd.eval_peek_opts``).
    """
    out = Parsed()
    i = 0
    args = list(args)
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            out.positionals += args[i:]
            break
        if not a.startswith("-") or a == "-":
            out.positionals.append(a)
            continue
        long = a.startswith("--")
        if long:
            name, eq, val = a[2:].partition("=")
            attached: str | None = val if eq else None
        else:
            name, attached = a[1:2], (a[2:] or None)
        try:
            opt, matched = _find(name, opts, long)
        except CmdlineError:
            if peek:
                continue
            raise
        shown = spell(matched)
        if opt.takes == "flag":
            if attached is not None and long:
                if peek:
                    continue
                raise CmdlineError(f"option '{shown}': flag doesn't take an argument")
            if attached is not None and not long:
                # -abc: a cluster of short flags is not supported by functoria's options.
                if peek:
                    continue
                raise CmdlineError(f"unknown option '-{attached[0]}'.")
            value: Any = opt.flag_value
        elif opt.takes == "optional":
            value = opt.vopt if attached is None else attached
            if attached is not None:
                try:
                    value = opt.parse(attached)
                except ConvError as e:
                    if peek:
                        continue
                    raise CmdlineError(f"option '{shown}': {e.msg}") from None
        else:
            if attached is None:
                if i >= len(args):
                    if peek:
                        continue
                    raise CmdlineError(f"option '{shown}' needs an argument")
                attached = args[i]
                i += 1
            try:
                value = opt.parse(attached)
            except ConvError as e:
                if peek:
                    continue
                raise CmdlineError(f"option '{shown}': {e.msg}") from None
        if opt.dest in out.values and not opt.repeat and opt.takes != "flag":
            if not peek:
                raise CmdlineError(f"option '{shown}' cannot be repeated")
        out.values.setdefault(opt.dest, []).append(value)
    return out
