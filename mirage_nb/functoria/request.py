"""One invocation of a verb as a typed value: what the Python API builds and the command line parses into.

``app.describe(target="hvt", no_dhcp=True)`` and ``mirage describe -t hvt
--no-dhcp`` are the same :class:`Request`; both are then evaluated and printed
by the same functions (:mod:`mirage_nb.functoria.engine`). The options every
verb takes are declared here once (:data:`COMMON`, :data:`VERB_OPTS`), for the
command line's parser and for its help pages.

A request's key values come from a :class:`KeySource`: :class:`Keywords`
(Python values, converted by each key's own converter) or
:class:`CommandLine` (argv, parsed with cmdliner's rules). The source is
asked only once the application's keys are known, because functoria reads
its command line in two steps: the ``If`` keys first (they decide which
devices, and so which other keys, there are), then every key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mirage_nb.errors import ConfigError

from . import keys as K
from .cmdline import CmdlineError, Opt, Parsed, enum, parse, spell, unknown_option

__all__ = [
    "COMMON",
    "DEPEXT",
    "DESCRIBE",
    "RUN",
    "VERB_OPTS",
    "key_opts",
    "context_of",
    "extra_repos_of",
    "KeySource",
    "Keywords",
    "CommandLine",
    "Request",
    "request_of_argv",
]


def extra_repos_of(s: str) -> list[tuple[str, str]]:
    """``--extra-repos name:url,name2:url2`` (also ``MIRAGE_EXTRA_REPOS``)."""
    out = []
    for item in s.split(","):
        name, sep, url = item.partition(":")
        if not sep:
            raise K.ConvError("Invalid extra repository argument (expected <name>:<repository>)")
        out.append((name, url))
    return out


COMMON = [
    Opt(("f", "file", "config-file"), "file"),
    Opt(("context-file",), "context_file"),
    Opt(("o", "output"), "output"),
    Opt(("dry-run",), "dry_run", "flag"),
    Opt(("color",), "color", parse=enum(["auto", "always", "never"])),
    Opt(("q", "quiet"), "quiet", "flag"),
    Opt(("v", "verbose"), "verbose", "flag", repeat=True),
    Opt(("verbosity",), "verbosity", parse=enum(["quiet", "error", "warning", "info", "debug"])),
    Opt(("help",), "help", "optional", vopt="auto"),
    Opt(("version",), "version", "flag"),
]
DEPEXT = [
    Opt(("depext",), "depext", "flag", flag_value=True),
    Opt(("no-depext",), "depext", "flag", flag_value=False),
    Opt(("extra-repos",), "extra_repos", parse=extra_repos_of),
    Opt(("no-extra-repo",), "no_extra_repo", "flag"),
]
DESCRIBE = [
    Opt(("eval",), "eval", "flag", flag_value=True),
    Opt(("no-eval",), "eval", "flag", flag_value=False),
    Opt(("dot",), "dot", "flag"),
    Opt(("dot-command",), "dot_command"),
]
RUN = [
    Opt(("seed",), "seed", parse=int),
    Opt(("until",), "until"),
    Opt(("record",), "record"),
    Opt(("opam-repository",), "opam_repository"),
]
VERB_OPTS = {
    "configure": DEPEXT,
    "query": DEPEXT,
    "describe": DESCRIBE,
    "clean": [],
    "help": [],
    "run": RUN,
}


def key_opts(keys: Sequence[K.Key]) -> list[Opt]:
    """Command-line options for the application's keys (one per name, as cmdliner builds them)."""
    out: dict[str, Opt] = {}
    for k in keys:
        if k.name in out:
            continue
        takes = "flag" if k.arg.kind == "flag" else "value"
        parse_fn = k.arg.parse if takes == "value" else str
        out[k.name] = Opt(
            k.arg.info.names or (k.name,), f"key:{k.name}", takes, parse_fn, repeat=k.arg.kind == "opt_all"
        )
    return list(out.values())


def _with_env(ctx: K.Context, keys: Sequence[K.Key]) -> K.Context:
    """Values of keys not given, from the environment variables the keys declare."""
    for k in keys:
        if ctx.mem(k) or k.arg.kind == "flag":
            continue
        env = k.arg.info.env
        if env and env in os.environ:
            try:
                ctx = ctx.add(k, k.arg.parse(os.environ[env]))
            except K.ConvError as e:
                raise CmdlineError(f"environment variable '{env}': {e.msg}") from None
    return ctx


def _explicit(parsed: Parsed, keys: Sequence[K.Key]) -> K.Context:
    ctx = K.Context()
    for k in keys:
        dest = f"key:{k.name}"
        if parsed.has(dest) and not ctx.mem(k):
            ctx = ctx.add(k, parsed.all(dest) if k.arg.kind == "opt_all" else parsed.get(dest))
    return ctx


def context_of(parsed: Parsed, keys: Sequence[K.Key]) -> K.Context:
    """The values a parsed command line gives (and environment variables declared by keys)."""
    return _with_env(_explicit(parsed, keys), keys)


class KeySource(Protocol):
    """Where a request's key values come from, asked once the keys are known."""

    def context(self, keys: Sequence[K.Key], opts: Sequence[Opt], *, peek: bool) -> tuple[K.Context, list[str] | None]:
        """The key values (with environment fallbacks) and, for a command line, its positional arguments.

        ``opts`` are the verb's own options (a key may not shadow one);
        with ``peek``, unknown names and bad values are skipped rather than
        reported (functoria's first look, for the ``If`` keys).
        """
        ...

    def command_line(self) -> list[str]:
        """The arguments as the real tool would have been given them (recorded in generated files)."""
        ...


@dataclass(frozen=True)
class Keywords:
    """Key values given as Python keywords: ``target="hvt", no_dhcp=True, net="direct"``.

    A keyword names the key whose name it spells with ``_`` for ``-`` (so
    ``kv_ro`` and ``no_dhcp`` both reach theirs); a string is read by the
    key's converter, other values by their text; ``True`` sets a flag and
    ``False``/``None`` leave the key out; a list gives a repeatable key
    several values. ``args`` are further command-line arguments (a learner's
    ``args=["--kv_ro=direct"]``), read as the command line reads them.
    """

    items: tuple[tuple[str, str, Any], ...] = ()  # (key name, option as spelled, value)
    args: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, known: Sequence[K.Key], target: str | None = None, *, args: Sequence[str] = (), **keys: Any
    ) -> Keywords:
        by_name: dict[str, K.Key] = {}
        for k in known:
            by_name.setdefault(k.name.replace("-", "_"), k)
        items: list[tuple[str, str, Any]] = []
        if target is not None:
            tkey = by_name.get("target")
            names = tkey.arg.info.names if tkey is not None else ()
            items.append(("target", spell(names[0]) if names else "--target", target))
        for name, v in keys.items():
            key = by_name.get(name.replace("-", "_"))
            kname = key.name if key is not None else name.replace("_", "-")
            items.append((kname, "--" + kname, v))
        return cls(tuple(items), tuple(args))

    def context(self, keys: Sequence[K.Key], opts: Sequence[Opt], *, peek: bool) -> tuple[K.Context, list[str] | None]:
        ctx = K.Context()
        if self.args:
            ctx = _explicit(parse(self.args, [*opts, *key_opts(keys)], peek=peek), keys)
        by_name: dict[str, K.Key] = {}
        for k in keys:
            by_name.setdefault(k.name, k)
        unknown: list[str] = []
        errors: list[str] = []
        given = K.Context()
        for name, spelled, v in self.items:
            if v is False or v is None:
                continue
            key = by_name.get(name)
            if key is None:
                if not peek:
                    word = spelled if v is True else f"{spelled}={v}"
                    unknown.append(unknown_option(word, [*opts, *key_opts(keys)]))
                continue
            if key.arg.kind == "flag":
                if v is not True:
                    errors.append(f"option '{spelled}' is a flag, it cannot take the argument '{v}'")
                    continue
                given = given.add(key, True)
                continue
            if v is True:
                errors.append(f"option '{spelled}' needs an argument")
                continue
            values = list(v) if isinstance(v, list | tuple) else [v]
            try:
                parsed_values = [key.arg.parse(x if isinstance(x, str) else str(x)) for x in values]
            except K.ConvError as e:
                errors.append(f"option '{spelled}': {e.msg}")
                continue
            if not parsed_values:
                continue
            given = given.add(key, parsed_values if key.arg.kind == "opt_all" else parsed_values[-1])
        if not peek:
            if unknown:
                raise CmdlineError("\n".join(unknown))
            if errors:
                raise CmdlineError(errors[0])
        return _with_env(given.merge_under(ctx), keys), None

    def command_line(self) -> list[str]:
        out: list[str] = []
        for name, spelled, v in self.items:
            if name == "target" and not spelled.startswith("--"):
                out += [spelled, str(v)]
            elif v is True:
                out.append(spelled)
            elif v is False or v is None:
                continue
            elif isinstance(v, list | tuple):
                out += [f"{spelled}={x}" for x in v]
            else:
                out.append(f"{spelled}={v}")
        return [*out, *self.args]


@dataclass(frozen=True)
class CommandLine:
    """Key values on a command line (``-t hvt --no-dhcp``), parsed with cmdliner's rules and messages."""

    args: tuple[str, ...] = ()

    def context(self, keys: Sequence[K.Key], opts: Sequence[Opt], *, peek: bool) -> tuple[K.Context, list[str] | None]:
        parsed = parse(self.args, [*opts, *key_opts(keys)], peek=peek)
        return context_of(parsed, keys), parsed.positionals

    def command_line(self) -> list[str]:
        return list(self.args)


def _no_keys() -> KeySource:
    return Keywords()


@dataclass(frozen=True)
class Request:
    """A verb and everything it is asked: the keys, and the verb's own options.

    Fields are the verb options of the real tool (``--eval``, ``--dot``,
    ``-o``, ``--context-file``, ``--dry-run``, ``--depext``,
    ``--extra-repos``, the query's kind) and those of ``mirage-nb run``
    (``--seed``, ``--until``, the boot arguments after ``--``, ``--record``,
    ``--opam-repository``). ``keys`` gives the configure-time key values.
    """

    verb: str = "configure"
    keys: KeySource = field(default_factory=_no_keys)
    config_file: str | None = None
    context_file: str | None = None
    output: str | None = None
    dry_run: bool = False
    eval: bool | None = None
    dot: bool = False
    dot_command: str = "xdot"
    depext: bool = True
    extra_repos: tuple[tuple[str, str], ...] | None = None
    no_extra_repo: bool = False
    query: str = "packages"
    seed: int = 0
    until: str | int | float | None = None
    boot_argv: tuple[str, ...] = ()
    record: str | None = None
    opam_repository: str | None = None
    # The command line it was parsed from (None when made in Python).
    argv: tuple[str, ...] | None = None

    @property
    def opts(self) -> list[Opt]:
        """The options this verb takes besides the keys."""
        return [*COMMON, *VERB_OPTS[self.verb]]

    def command_line(self) -> list[str]:
        """The verb's arguments as the real tool would have been given them (what configure records)."""
        if self.argv is not None:
            return list(self.argv)
        keys = self.keys.command_line()
        if self.verb == "query":
            return [self.query, *keys]
        if self.verb == "describe":
            ev = [] if self.eval is None else ["--eval"] if self.eval else ["--no-eval"]
            return [*keys, *ev, *(["--dot", "-o-"] if self.dot and self.output == "-" else [])]
        return keys

    def repos(self, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
        """The extra opam repositories the opam file names (``--extra-repos``, else ``MIRAGE_EXTRA_REPOS``)."""
        from .queries import DEFAULT_EXTRA_REPOS

        if self.no_extra_repo:
            return []
        if self.extra_repos is not None:
            return list(self.extra_repos)
        value = (os.environ if env is None else env).get("MIRAGE_EXTRA_REPOS")
        return extra_repos_of(value) if value else list(DEFAULT_EXTRA_REPOS)


def request_of_argv(verb: str, args: Sequence[str]) -> Request:
    """The request a verb's command line makes (its keys are parsed once the application is known).

    The verb's own options are read here with cmdliner's first look
    (unknown names and bad values skipped: they are reported when the
    whole line is parsed against the keys too).
    """
    if verb not in VERB_OPTS:
        raise ConfigError(f"unknown verb {verb!r}")
    p = parse(args, [*COMMON, *VERB_OPTS[verb]], peek=True)
    repos = p.get("extra_repos")
    return Request(
        verb=verb,
        keys=CommandLine(tuple(args)),
        config_file=p.get("file"),
        context_file=p.get("context_file"),
        output=p.get("output"),
        dry_run=p.has("dry_run"),
        eval=p.get("eval"),
        dot=p.has("dot"),
        dot_command=p.get("dot_command", "xdot"),
        depext=p.get("depext", True),
        extra_repos=None if repos is None else tuple(repos),
        no_extra_repo=p.has("no_extra_repo"),
        seed=p.get("seed", 0) or 0,
        until=p.get("until"),
        record=p.get("record"),
        opam_repository=p.get("opam_repository"),
        argv=tuple(args),
    )
