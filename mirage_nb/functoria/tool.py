"""The tool's command line: a verb's argv parsed into a request, then the engine's verbs, printed.

A :class:`Session` is one invocation of ``mirage-nb <verb> ARGS``: it parses
the arguments into a :class:`~mirage_nb.functoria.request.Request` (the one
the Python API builds directly), finds and loads the config through the
reader the command line hands it, reads the context a previous
``configure`` cached, and prints or writes what the engine's verbs
(:mod:`mirage_nb.functoria.engine`) return.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

from mirage_nb.errors import ConfigError, MirageNbError
from mirage_nb.functoria import engine
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.app import Application, Configured
from mirage_nb.functoria.cmdline import CmdlineError, find_command, parse
from mirage_nb.functoria.request import (
    COMMON,
    DEPEXT,
    DESCRIBE,
    RUN,
    VERB_OPTS,
    Request,
    context_of,
    key_opts,
    request_of_argv,
)

__all__ = [
    "VERBS",
    "COMMON",
    "DEPEXT",
    "DESCRIBE",
    "RUN",
    "VERB_OPTS",
    "key_opts",
    "context_of",
    "ConfigReader",
    "Session",
    "VerbResult",
    "resolve_verb",
    "keys_and_tool",
    "missing_config",
    "run_verb",
    "evaluate_for",
]

VERBS = ("configure", "describe", "query", "clean", "help", "run")


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
    runner: Callable[[Configured, Request, TextIO, TextIO], int] | None = None

    def __post_init__(self) -> None:
        if self.project is None and self.app is not None:
            self.project = self.app.project

    def ml_name(self, path: str) -> str:
        """The config.ml a config file stands for, as the reader names it (itself without a reader)."""
        return self.reader.ml_name(path) if self.reader is not None else path

    def run(self) -> int:
        request = request_of_argv(self.verb, self.args)
        peeked = parse(self.args, request.opts, peek=True)
        if peeked.has("help") or self.verb == "help":
            return self._help()
        if peeked.has("version"):
            self.out.write(f"{self.project.version}\n")
            return 0
        if self.app is not None:
            self.config = self.app.config_file
            self.dir = self.directory
            return self._with_app(self.app, request)
        config = request.config_file or self._default_config(Path.cwd())
        if not Path(config).is_file():
            if self.verb in ("clean",):
                return self._clean_without_config(config)
            missing = f"configuration file {config} missing"
            if self.verb != "configure":
                from mirage_nb.functoria import help as help_pages

                help_pages.check_command_line(self.verb, self.args, self._keys_and_tool(self.verb)[0], then=missing)
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
            save = self.verb == "configure" and not request.dry_run
            self._write_skeleton(context=request.context_file if save else None, save_args=save)
        app = self._load(config)
        return self._with_app(app, request)

    # -- help: the keys its pages document, found here and handed over --------------

    def _help(self) -> int:
        """``--help`` or the ``help`` verb: the page, with the keys of the config if there is one."""
        from mirage_nb.functoria import help as help_pages

        keys, tool = self._keys_and_tool(help_pages.help_about(self.verb, self.args))
        try:
            return help_pages.show(self.out, self.verb, self.args, keys, tool)
        except CmdlineError as e:
            if self.app is None and e.then is None:
                e.then = missing_config(self.args, None)
            raise

    def usage_keys(self) -> list[K.Key]:
        """The keys a usage line may mention (best effort: none when the config cannot be read)."""
        try:
            return self._keys_and_tool(self.verb)[0]
        except MirageNbError:
            return []

    def _keys_and_tool(self, verb: str) -> tuple[list[K.Key], tuple[str, str]]:
        """The keys to document and the tool's name and version.

        Without an application, the config file the arguments name is loaded
        by the reader (the real tool compiles it to know the keys); with no
        config at all, the tool's own keys.
        """
        return keys_and_tool(
            verb, self.args, app=self.app, directory=self.directory, project=self.project, reader=self.reader
        )

    def _default_config(self, directory: Path) -> str:
        found = self.reader.find_default_config(directory) if self.reader is not None else None
        return found or "config.ml"

    def _load(self, config: str) -> Application:
        if self.reader is None:
            raise ConfigError(f"{config}: this command line has no config reader")
        return self.reader.load_config(config)

    # -- evaluation --------------------------------------------------------------

    def _context_file(self, request: Request) -> Path | None:
        given = request.context_file
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

    def _with_app(self, app: Application, request: Request) -> int:
        configured, request = self.evaluate(app, request)
        verb: Callable[[Configured, Request], int] = getattr(self, f"_{self.verb}")
        return verb(configured, request)

    def evaluate(self, app: Application, request: Request) -> tuple[Configured, Request]:
        """The application evaluated for this request (over the cached context), and the request completed."""
        cfile = self._context_file(request)
        cached_args: list[str] = []
        if cfile is not None:
            from mirage_nb.functoria import codegen

            cached_args = codegen.read_context(cfile.read_text())
        return engine.evaluate(app, request, cached_args=cached_args, recorded_argv=self._recorded_argv(request))

    def _recorded_argv(self, request: Request | None = None) -> list[str]:
        """The command line as the real tool would have seen it (a config.py stands for its .ml)."""
        given = self.args if request is None else request.command_line()
        args = [self.ml_name(a) if a == self.config else a for a in given]
        return [self.verb, *args, *self.implied_args]

    # -- verbs ---------------------------------------------------------------------

    def _describe(self, c: Configured, request: Request) -> int:
        text, graph = engine.describe(c, request)
        self.out.write(text)
        if graph is not None:
            out = c.info.output
            if out is None:
                self.out.flush()
                return _show_dot(graph, request.dot_command)
            Path(out).write_text(graph)
        return 0

    def _query(self, c: Configured, request: Request) -> int:
        self.out.write(engine.query(c, request, directory=self.dir))
        return 0

    def _configure(self, c: Configured, request: Request) -> int:
        from mirage_nb.functoria import codegen
        from mirage_nb.functoria.vfs import VirtualFS

        # Seeded with the files it may overwrite: one without the "Generated
        # by" header is the user's, and the real tool leaves it alone.
        own = [p for p in codegen.clean_paths(c) if not p.endswith("/")]
        fs = VirtualFS.from_disk(".", own) if self.dir is not None else VirtualFS()
        try:
            engine.configure(c, request, fs, directory=self.dir)
        except MirageNbError:
            # functoria writes each file as it goes: a device whose configure
            # step fails leaves the Makefile, the opam file and main.ml so far.
            if not request.dry_run and self.dir is not None:
                fs.apply(Path("."))
            raise
        for m in fs.messages:
            self.out.write(m + "\n")
        self.files = fs.files()
        # Generated paths are relative to the working directory, as the real
        # tool's are: Makefile here, dune.build and mirage/ beside the config.
        if not request.dry_run and self.dir is not None:
            fs.apply(Path("."))
        return 0

    def _clean(self, c: Configured, request: Request) -> int:
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

    def _run(self, c: Configured, request: Request) -> int:
        if self.runner is None:
            raise ConfigError("run: this command line has no simulator (use mirage-nb run)")
        return self.runner(c, replace(request, config_file=self.config), self.out, self.err)

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


@dataclass(frozen=True)
class VerbResult:
    """What a verb printed, its exit status, and the files it wrote (configure)."""

    status: int
    stdout: str
    stderr: str
    files: dict[str, str]


def run_verb(app: Application, verb: str, args: Sequence[str], directory: Path | None = None) -> VerbResult:
    """A command line (``describe -t hvt --dot -o-``) over an application in memory: what it prints, same bytes.

    For argv a learner typed (``%mirage describe ...``); the Python API builds
    its :class:`~mirage_nb.functoria.request.Request` itself.
    """
    import io

    out, err = io.StringIO(), io.StringIO()
    session = Session(verb, list(args), out, err, app=app, directory=directory)
    status = session.run()
    return VerbResult(status, out.getvalue(), err.getvalue(), session.files or {})


def evaluate_for(app: Application, verb: str, args: list[str]) -> Configured:
    """The application evaluated as ``mirage <verb> <args>`` evaluates it (no file read or written)."""

    return engine.evaluate(app, request_of_argv(verb, args))[0]


def keys_and_tool(
    verb: str,
    args: Sequence[str],
    *,
    app: Application | None = None,
    directory: Path | None = None,
    project: Any = None,
    reader: ConfigReader | None = None,
) -> tuple[list[K.Key], tuple[str, str]]:
    """The keys a help page or usage line documents for ``verb`` and the tool's (name, version).

    With no ``app``, the config the arguments name (or the reader's default)
    is loaded, and the context a previous ``configure`` cached beside it
    read; with no config, the tool's own keys (``project.create([])``).
    """
    from mirage_nb.functoria import help as help_pages

    if app is None:
        config = _config_path(args, reader)
        app = None if config is None or reader is None else reader.load_config(config)
        directory = None if config is None else Path(config).parent
    if app is None:
        return help_pages.own_keys(project), help_pages.tool_of(project)
    project = project or app.project
    cached = _cached_args(args, directory, project)
    return help_pages.documented_keys(app, verb, args, cached), help_pages.tool_of(project)


def missing_config(args: Sequence[str], reader: ConfigReader | None = None) -> str | None:
    """``configuration file X missing`` when the config file the arguments name (or the default) is absent.

    Without a config file functoria still parses the command line (against
    the tool's own keys) and, after any error, says the file is missing.
    """
    from mirage_nb.functoria import help as help_pages

    given = help_pages.file_option(args)
    if given is None:
        given = (reader.find_default_config(Path.cwd()) if reader is not None else None) or "config.ml"
    return None if Path(given).is_file() else f"configuration file {given} missing"


def _config_path(args: Sequence[str], reader: ConfigReader | None) -> str | None:
    from mirage_nb.functoria import help as help_pages

    given = help_pages.file_option(args)
    if given is None and reader is not None:
        given = reader.find_default_config(Path.cwd())
    return given if given is not None and Path(given).is_file() else None


def _cached_args(args: Sequence[str], directory: Path | None, project: Any) -> list[str]:
    """The arguments a previous ``configure`` cached (``--context-file``, else ``<dir>/mirage/context``)."""
    from mirage_nb.functoria import help as help_pages

    given = help_pages.context_file_option(args)
    default = directory / context_file_name(project) if directory else None
    path = Path(given) if given is not None else default
    if path is None or not path.is_file():
        return []
    from mirage_nb.functoria.codegen import read_context

    try:
        return read_context(path.read_text())
    except MirageNbError:
        return []


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
    import subprocess  # only describe --dot without -o starts a viewer
    import tempfile

    with tempfile.NamedTemporaryFile("w", prefix="graph", suffix=".dot", delete=False) as f:
        f.write(graph)
    try:
        return subprocess.call([command, f.name])
    except FileNotFoundError:
        raise ConfigError(
            f"cannot run the dot viewer '{command}': not found (use --dot -o- to print the graph)"
        ) from None
