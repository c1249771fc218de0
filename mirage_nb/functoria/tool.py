"""The real tool's verbs over an application: describe, configure, query, clean, help, run.

Shared by the ``mirage-nb`` command and by the Python API (``app.describe()``),
so both print the same bytes. Argument handling follows functoria (spec §9):
the ``If`` keys are read first to simplify the graph, then the whole command
line is parsed against every key the application ends up with, over the
context cached by a previous ``configure``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from mirage_nb.errors import ConfigError, MirageNbError
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.app import Application, Configured
from mirage_nb.functoria.cmdline import CmdlineError, Opt, Parsed, enum, err_pos_excess, find_command, parse
from mirage_nb.functoria.dot import render_dot
from mirage_nb.functoria.info import describe_text
from mirage_nb.functoria.queries import DEFAULT_EXTRA_REPOS, QUERY_KINDS

__all__ = [
    "VERBS",
    "ConfigReader",
    "Session",
    "VerbResult",
    "resolve_verb",
    "args_of_kwargs",
    "run_verb",
    "evaluate_for",
]

VERBS = ("configure", "describe", "query", "clean", "help", "run")


def _extra_repo(s: str) -> list[tuple[str, str]]:
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
    Opt(("extra-repos",), "extra_repos", parse=_extra_repo),
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


def context_of(parsed: Parsed, keys: Sequence[K.Key]) -> K.Context:
    """The values the command line gives (and environment variables declared by keys)."""
    ctx = K.Context()
    for k in keys:
        dest = f"key:{k.name}"
        if parsed.has(dest):
            ctx = ctx.add(k, parsed.all(dest) if k.arg.kind == "opt_all" else parsed.get(dest))
        elif k.arg.info.env and k.arg.info.env in os.environ and k.arg.kind != "flag":
            try:
                ctx = ctx.add(k, k.arg.parse(os.environ[k.arg.info.env]))
            except K.ConvError as e:
                raise CmdlineError(f"environment variable '{k.arg.info.env}': {e.msg}") from None
    return ctx


def resolve_verb(word: str) -> str:
    """The verb ``word`` names (cmdliner 2: spelled out; errors list the real tool's commands)."""
    return find_command(word, VERBS, shown=[v for v in VERBS if v != "run"])


class ConfigReader(Protocol):
    """What the engine asks of the layer that reads configuration files (:mod:`mirage_nb.loader`).

    The engine never reads a config itself: the command line hands it a
    reader, so functoria depends on no config language.
    """

    def find_default_config(self, directory: Path) -> str | None: ...
    def load_config(self, path: str) -> Application: ...
    def ml_name(self, path: str) -> str: ...


def context_file_name(project: Any) -> str:
    """The cached command line's file, relative to the config's directory (``mirage/context``)."""
    return f"{project.name}/context"


@dataclass
class Session:
    """One invocation: the verb, its arguments, where the config lives."""

    verb: str
    args: list[str]
    out: TextIO
    err: TextIO
    # The Python API passes the application itself (no file to load) and,
    # optionally, a directory to read the cached context from and write into.
    app: Application | None = None
    directory: Path | None = None
    files: dict[str, str] | None = None
    implied_args: list[str] = field(default_factory=list)
    # The tool this command line belongs to (``mirage``): names the project
    # directory and gives the keys to document when there is no config yet.
    project: Any = None
    # Hooks of the layers above the engine, given by the command line: the
    # config file reader (loader), the config.ml version check (config_ml)
    # and the simulator behind ``run`` (sim).
    reader: ConfigReader | None = None
    version_check: Callable[[str], str | None] | None = None
    runner: Callable[[Configured, Parsed, TextIO, TextIO], int] | None = None

    def __post_init__(self) -> None:
        if self.project is None and self.app is not None:
            self.project = self.app.project

    def ml_name(self, path: str) -> str:
        """The config.ml a config file stands for, as the reader names it (itself without a reader)."""
        return self.reader.ml_name(path) if self.reader is not None else path

    def run(self) -> int:
        opts = COMMON + VERB_OPTS[self.verb]
        peeked = parse(self.args, opts, peek=True)
        if peeked.has("help") or self.verb == "help":
            from mirage_nb.functoria import help as help_pages

            return help_pages.show(self)
        if peeked.has("version"):
            self.out.write(f"{self.project.version}\n")
            return 0
        if self.app is not None:
            self.config = self.app.config_file
            self.dir = self.directory
            return self._with_app(self.app, peeked)
        given = peeked.get("file")
        config = given or self._default_config(Path.cwd())
        if not Path(config).is_file():
            if self.verb in ("clean",):
                return self._clean_without_config(config)
            missing = f"configuration file {config} missing"
            if self.verb != "configure":
                from mirage_nb.functoria import help as help_pages

                help_pages.check_without_config(
                    self.verb, self.args, then=missing, project=self.project, reader=self.reader
                )
            raise ConfigError(missing)
        if self.verb != "run":  # run writes nothing; the others write beside the config
            config = _relative_config(config)
        self.config = config
        self.dir = Path(config).parent
        # configure checks the config's first-line version comment before
        # running it (Tool.configure), so a mismatch prints nothing else.
        if self.verb == "configure" and self.version_check is not None:
            problem = self.version_check(config)
            if problem:
                raise ConfigError(problem)
        if self.verb != "run":  # the simulator builds nothing: no dune project beside the config
            # configure caches its command line before compiling the config
            # (Tool.generate_project_skeleton ~save_args): a config that then
            # fails to compile or evaluate still leaves mirage/context behind.
            save = self.verb == "configure" and not peeked.has("dry_run")
            self._write_skeleton(context=peeked.get("context_file") if save else None, save_args=save)
        app = self._load(config)
        return self._with_app(app, peeked)

    def _default_config(self, directory: Path) -> str:
        found = self.reader.find_default_config(directory) if self.reader is not None else None
        return found or "config.ml"

    def _load(self, config: str) -> Application:
        if self.reader is None:
            raise ConfigError(f"{config}: this command line has no config reader")
        return self.reader.load_config(config)

    # -- evaluation --------------------------------------------------------------

    def _context_file(self, peeked: Parsed) -> Path | None:
        given = peeked.get("context_file")
        if given is not None:
            if not Path(given).is_file():
                raise ConfigError(f"cannot find file `{given}'")
            return Path(given)
        if self.dir is None:
            return None
        name = context_file_name(self.project)
        default = self.dir / name
        if not default.is_file():
            return None
        # Functoria's tool passes the cache on to config.exe as an argument,
        # so it shows in the command line that opam files record.
        from mirage_nb.functoria.codegen._text import parent_dir

        self.implied_args = ["--context-file", parent_dir(self.ml_name(self.config)) + name]
        return default

    def _with_app(self, app: Application, peeked: Parsed) -> int:
        configured, parsed = self.evaluate(app, peeked)
        verb: Callable[[Configured, Parsed], int] = getattr(self, f"_{self.verb}")
        return verb(configured, parsed)

    def evaluate(self, app: Application, peeked: Parsed) -> tuple[Configured, Parsed]:
        """The application evaluated for this command line, and the parsed command line."""
        cfile = self._context_file(peeked)
        cached_args: list[str] = []
        if cfile is not None:
            from mirage_nb.functoria import codegen

            cached_args = codegen.read_context(cfile.read_text())
        all_opts = COMMON + VERB_OPTS[self.verb]
        if_opts = key_opts(app.if_keys)
        cache_if = context_of(parse(cached_args, all_opts + if_opts, peek=True), app.if_keys)
        cli_if = context_of(parse(self.args, all_opts + if_opts, peek=True), app.if_keys)
        base = cli_if.merge_under(cache_if)
        if self.verb == "describe":
            ev = peeked.get("eval")
            full = bool(cached_args) if ev is None else ev
        else:
            full = True
        output = peeked.get("output")
        if output is None and cached_args:
            output = parse(cached_args, all_opts, peek=True).get("output")
        parsed_box: list[Parsed] = []

        def context_for(keys: list[K.Key]) -> K.Context:
            kopts = key_opts(keys)
            parsed = parse(self.args, all_opts + kopts)
            if self.verb == "query" and len(parsed.positionals) > 1:
                raise CmdlineError(err_pos_excess(parsed.positionals[1:]))
            # run: the positionals (after --) are the unikernel's boot arguments
            if self.verb not in ("query", "help", "run") and parsed.positionals:
                raise CmdlineError(err_pos_excess(parsed.positionals))
            parsed_box.append(parsed)
            cached = context_of(parse(cached_args, all_opts + kopts, peek=True), keys)
            return context_of(parsed, keys).merge_under(cached)

        configured = app.evaluate(
            base, full=full, context_for=context_for, output=output, extra={"argv": self._recorded_argv()}
        )
        return configured, parsed_box[0]

    def _recorded_argv(self) -> list[str]:
        """The command line as the real tool would have seen it (a config.py stands for its .ml)."""
        args = [self.ml_name(a) if a == self.config else a for a in self.args]
        return [self.verb, *args, *self.implied_args]

    def _repos(self, parsed: Parsed) -> list[tuple[str, str]]:
        if parsed.has("no_extra_repo"):
            return []
        if parsed.has("extra_repos"):
            repos: list[tuple[str, str]] = parsed.get("extra_repos")
            return repos
        env = os.environ.get("MIRAGE_EXTRA_REPOS")
        return _extra_repo(env) if env else list(DEFAULT_EXTRA_REPOS)

    # -- verbs ---------------------------------------------------------------------

    def _describe(self, c: Configured, parsed: Parsed) -> int:
        text = describe_text(c.info)
        out = c.info.output
        if parsed.has("dot"):
            if out == "-":
                self.out.write(text + render_dot(c.impl, 12) + "\n")
            elif out is None:
                self.out.write(text)
                self.out.flush()
                return _show_dot(render_dot(c.impl, 0) + "\n", parsed.get("dot_command", "xdot"))
            else:
                self.out.write(text)
                Path(out).write_text(render_dot(c.impl, 0) + "\n")
        elif out is None or out == "-":
            self.out.write(text + "\n")
        else:
            self.out.write(text)
            Path(out).write_text("\n")
        return 0

    def _query(self, c: Configured, parsed: Parsed) -> int:
        from mirage_nb.functoria import codegen

        kind = parsed.positionals[0] if parsed.positionals else "packages"
        if kind not in QUERY_KINDS:
            alts = ", ".join(f"'{k}'" for k in QUERY_KINDS[:-1]) + f" or '{QUERY_KINDS[-1]}'"
            raise CmdlineError(f"INFO argument: invalid value '{kind}', expected one of {alts}")
        text = codegen.query(
            c,
            kind,
            argv=c.info.extra["argv"],
            depext=parsed.get("depext", True),
            extra_repos=self._repos(parsed),
            directory=self.dir,
        )
        self.out.write(text)
        return 0

    def _configure(self, c: Configured, parsed: Parsed) -> int:
        from mirage_nb.functoria import codegen
        from mirage_nb.functoria.vfs import VirtualFS

        # Seeded with the files it may overwrite: one without the "Generated
        # by" header is the user's, and the real tool leaves it alone.
        own = [p for p in codegen.clean_paths(c) if not p.endswith("/")]
        fs = VirtualFS.from_disk(".", own) if self.dir is not None else VirtualFS()
        try:
            codegen.configure(
                c,
                fs,
                argv=c.info.extra["argv"],
                depext=parsed.get("depext", True),
                extra_repos=self._repos(parsed),
                directory=self.dir,
            )
        except MirageNbError:
            # functoria writes each file as it goes: a device whose configure
            # step fails leaves the Makefile, the opam file and main.ml so far.
            if not parsed.has("dry_run") and self.dir is not None:
                fs.apply(Path("."))
            raise
        for m in fs.messages:
            self.out.write(m + "\n")
        self.files = fs.files()
        # Generated paths are relative to the working directory, as the real
        # tool's are: Makefile here, dune.build and mirage/ beside the config.
        if not parsed.has("dry_run") and self.dir is not None:
            fs.apply(Path("."))
        return 0

    def _clean(self, c: Configured, parsed: Parsed) -> int:
        from mirage_nb.functoria import codegen

        if self.dir is None:
            return 0
        for rel in codegen.clean_paths(c):
            p = Path(rel)
            if rel.endswith("/"):
                _remove(p)
            elif p.is_file() and codegen.is_generated(rel, p.read_text(errors="replace")):
                p.unlink()  # a file without the "Generated by" header is the user's: kept
        return 0

    def _clean_without_config(self, config: str) -> int:
        return 0

    def _run(self, c: Configured, parsed: Parsed) -> int:
        if self.runner is None:
            raise ConfigError("run: this command line has no simulator (use mirage-nb run)")
        return self.runner(c, parsed, self.out, self.err)

    def _write_skeleton(self, context: str | None = None, *, save_args: bool = False) -> None:
        """The files every verb writes before running the config (``Tool.with_project_skeleton``).

        With ``save_args`` (configure), also the command line cached in
        ``mirage/context`` (or the ``--context-file`` given).
        """
        try:
            from mirage_nb.functoria import codegen
        except ImportError:
            return
        skeleton = getattr(codegen, "skeleton", None)
        if skeleton is None:
            return
        from mirage_nb.functoria.codegen._text import parent_dir
        from mirage_nb.functoria.vfs import VirtualFS

        config = self.ml_name(self.config)
        project = self.project.name
        d = parent_dir(config)
        fs = VirtualFS.from_disk(
            ".", [f"{d}dune", f"{d}dune.config", "dune-project", f"{d}{project}/dune-workspace.config"]
        )
        skeleton(fs, config_file=config, project_name=project, version=self.project.version)
        if save_args:
            from mirage_nb.functoria.codegen import context_text

            fs.write(context or f"{d}{project}/context", context_text([self.verb, *self._recorded_argv()[1:]]))
        fs.apply(Path("."))


def args_of_kwargs(target: str | None = None, *, known: Sequence[K.Key] = (), **keys: object) -> list[str]:
    """Command-line arguments for key values given as Python keywords.

    ``target="hvt", no_dhcp=True, net="host"`` → ``-t hvt --no-dhcp --net=host``:
    a keyword names the key whose name it spells with ``_`` for ``-`` (so both
    ``kv_ro`` and ``no-dhcp`` are reachable), else underscores become dashes;
    ``True`` sets a flag, ``False``/``None`` leave it out.
    """
    by_name: dict[str, K.Key] = {}
    for k in known:
        by_name.setdefault(k.name.replace("-", "_"), k)
    out = ["-t", target] if target is not None else []
    for name, v in keys.items():
        key = by_name.get(name.replace("-", "_"))
        opt = "--" + (key.name if key is not None else name.replace("_", "-"))
        if v is True:
            out.append(opt)
        elif v is False or v is None:
            continue
        elif isinstance(v, (list, tuple)):
            out += [f"{opt}={x}" for x in v]
        else:
            out.append(f"{opt}={v}")
    return out


@dataclass(frozen=True)
class VerbResult:
    """What a verb printed, its exit status, and the files it wrote (configure)."""

    status: int
    stdout: str
    stderr: str
    files: dict[str, str]


def run_verb(app: Application, verb: str, args: Sequence[str], directory: Path | None = None) -> VerbResult:
    """Run a verb over an application in memory, as the command line would (same bytes)."""
    import io

    out, err = io.StringIO(), io.StringIO()
    session = Session(verb, list(args), out, err, app=app, directory=directory)
    status = session.run()
    return VerbResult(status, out.getvalue(), err.getvalue(), session.files or {})


def evaluate_for(app: Application, verb: str, args: list[str]) -> Configured:
    """The application evaluated as ``mirage <verb> <args>`` evaluates it (no file read or written)."""
    import io

    session = Session(verb, args, io.StringIO(), io.StringIO(), app=app)
    session.config = app.config_file
    session.dir = None
    peeked = parse(args, COMMON + VERB_OPTS[verb], peek=True)
    return session.evaluate(app, peeked)[0]


def _relative_config(config: str) -> str:
    """The config path relative to the working directory, where generated paths are rooted."""
    rel = os.path.relpath(config)
    if rel == ".." or rel.startswith("../"):
        raise ConfigError(
            f"{config}: run mirage-nb from the config's directory or one above it "
            "(it writes the generated files relative to the current directory, as mirage does)"
        )
    return config if not os.path.isabs(config) else rel


def _remove(p: Path) -> None:
    import shutil

    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()


def _show_dot(graph: str, command: str) -> int:
    with tempfile.NamedTemporaryFile("w", prefix="graph", suffix=".dot", delete=False) as f:
        f.write(graph)
    try:
        return subprocess.call([command, f.name])
    except FileNotFoundError:
        raise ConfigError(
            f"cannot run the dot viewer '{command}': not found (use --dot -o- to print the graph)"
        ) from None
