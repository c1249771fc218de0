"""The IPython extension: ``%load_ext mirage_nb`` gives the magics and the rich displays.

State (the current application, the current unikernel module, the display
mode) lives in one :class:`MirageMagics` instance bound to the shell, never
in a module global: two shells (two tests) never see each other's
application. The displays are IPython formatters registered by type *name*
(``for_type_by_name``), so the engine never imports Jupyter and loading the
extension imports nothing it does not need.

Errors a learner causes (a wrong option, an unknown target, a config the
reader cannot handle) are printed as one short message, as the ``mirage-nb``
command prints them. The same family raised from a learner's own Python
(``reader_job(block_device)``, ``app.run()``) is shown the same way, by the
custom exception handler of :mod:`._learner_errors`: one message, the
traceback on demand with ``%tb``. Any other exception is a bug of mirage_nb
(or of the learner's code) and keeps IPython's traceback.
"""

from __future__ import annotations

import shlex
import sys
import types
from contextlib import ExitStack
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from mirage_nb.errors import MirageNbError

__all__ = ["MirageMagics", "load_ipython_extension", "unload_ipython_extension", "DISPLAYED_TYPES", "extension_of"]

DISPLAYED_TYPES = (
    "mirage_nb.functoria.app.Application",
    "mirage_nb.functoria.impl.Impl",
    "mirage_nb.functoria.types.Typ",
    "mirage_nb.functoria.keys.Key",
    "mirage_nb.functoria.device.Device",
    "mirage_nb.sim.run.RunResult",
)
"""The engine and simulator classes the extension displays (subclasses included)."""

NOTEBOOK_VERBS = ("use", "display", "graph", "status")
HELP = """\
%mirage VERB [ARGS]   the mirage-nb command's verbs, on the current application:
  describe [-t TARGET] [--eval|--no-eval] [--dot [-o-]] [--KEY=VALUE...]
  configure [-t TARGET] [--KEY=VALUE...]     the files configure writes (nothing is written)
  query [KIND] [-t TARGET]                   name, packages, opam, files, Makefile, dune.build...
  clean | help [VERB]
  run [-t TARGET] [--seed N] [--until 10s] [--viewer] [-- UNIKERNEL-ARGS...]
                  simulate (the %%unikernel cell, or unikernel.py beside -f FILE); --viewer: step through it
  -f FILE with any verb loads config.ml/config.py FILE and makes it current.
Notebook verbs:
  use NAME            make the application in variable NAME current
  graph [ARGS]        draw the device graph describe --dot would give
  display rich|text   choose the display of mirage_nb objects
  status              show the current application and unikernel
%%config_ml [NAME]    a cell of OCaml config.ml: its application becomes current (bound to NAME if given)
%%unikernel           a cell of unikernel Python (start / Main): handed to the simulator by %mirage run
"""


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as e:
        raise MirageNbError(f"cannot read the arguments {line!r}: {e}") from None


@magics_class
class MirageMagics(Magics):
    """The magics, and the per-shell state they act on."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.app: Any = None
        self.unikernel: types.ModuleType | None = None
        self.display_mode = "rich"
        self.config_path: str | None = None
        self._collecting: ExitStack | None = None
        self._apps: list[Any] | None = None
        self._previous_custom_exc: tuple[Any, Any] | None = None

    # -- state ------------------------------------------------------------------------

    def make_current(self, app: Any) -> None:
        """Make ``app`` the application the ``%mirage`` verbs act on."""
        self.app = app

    def _require_app(self) -> Any:
        if self.app is None:
            raise MirageNbError(
                "no current application: run a %%config_ml cell, call register(...) in a cell, "
                "use '%mirage use NAME', or pass -f config.ml"
            )
        return self.app

    # -- cell events: an application registered in a cell becomes current ------------------

    def pre_run_cell(self, *_a: Any) -> None:
        from mirage_nb.functoria.app import collecting_registrations

        self._end_collecting()
        self._collecting = ExitStack()
        self._apps = self._collecting.enter_context(collecting_registrations())

    def post_run_cell(self, result: Any = None) -> None:
        from mirage_nb.functoria.app import Application

        apps = self._apps or []
        self._end_collecting()
        if apps:
            self.app = apps[-1]
        value = getattr(result, "result", None)
        if isinstance(value, Application):
            self.app = value

    def _end_collecting(self) -> None:
        if self._collecting is not None:
            try:
                self._collecting.close()
            except ValueError:
                pass  # a context variable reset from another context: nothing left to undo
        self._collecting = None
        self._apps = None

    # -- displays ---------------------------------------------------------------------------

    def bundle(self, obj: Any) -> dict[str, Any]:
        """The mimebundle of ``obj`` for this shell's front end (only the types it shows, and no PNG twin)."""
        from ._display import mimebundle

        try:
            active = set(self.shell.display_formatter.active_types) - {"image/png"}
        except Exception:
            active = None
        return mimebundle(obj, include=active, mode=self.display_mode)

    # -- magics ---------------------------------------------------------------------------

    @line_magic
    def mirage(self, line: str) -> Any:
        """%mirage VERB [ARGS]: the mirage-nb command on the current application (``%mirage help``)."""
        try:
            return self._mirage(_split(line))
        except MirageNbError as e:
            self._report(e)
            return None

    def _report(self, e: MirageNbError, verb: str | None = None) -> None:
        from mirage_nb.functoria.cmdline import CmdlineError

        sys.stdout.flush()
        if isinstance(e, CmdlineError) and verb:
            print(
                f"Usage: mirage {verb} [OPTION]…\nmirage: {e.msg}\nTry 'mirage {verb} --help' for more information.",
                file=sys.stderr,
            )
        else:
            print(f"mirage: {e}", file=sys.stderr)

    def _mirage(self, argv: list[str]) -> Any:
        from mirage_nb.functoria.cmdline import CmdlineError
        from mirage_nb.functoria.tool import resolve_verb

        if not argv:
            print(HELP, end="")
            return None
        word, args = argv[0], argv[1:]
        if word in NOTEBOOK_VERBS:
            return getattr(self, f"_nb_{word}")(args)
        verb = word
        try:
            verb = resolve_verb(word)
            self._load_file_arg(args)
            match verb:
                case "help":
                    return self._help(args)
                case "describe":
                    return self._describe(args)
                case "configure":
                    return self._configure(args)
                case "run":
                    return self._run(args)
                case _:
                    return self._plain(verb, args)
        except CmdlineError as e:
            self._report(e, verb)
            return None

    def _load_file_arg(self, args: list[str]) -> None:
        from mirage_nb.loader import load_config

        for i, a in enumerate(args):
            path = None
            if a in ("-f", "--file", "--config-file") and i + 1 < len(args):
                path = args[i + 1]
            elif a.startswith(("--file=", "--config-file=")):
                path = a.split("=", 1)[1]
            if path is not None:
                self.app = load_config(path)
                self.config_path = path
                return

    def _verb(self, verb: str, args: list[str]) -> Any:
        from mirage_nb.functoria.tool import run_verb

        res = run_verb(self._require_app(), verb, args)
        if res.stdout:
            print(res.stdout, end="")
        if res.stderr:
            print(res.stderr, end="", file=sys.stderr)
        return res

    def _plain(self, verb: str, args: list[str]) -> None:
        self._verb(verb, args)

    def _help(self, args: list[str]) -> None:
        import io

        from mirage_nb.functoria.tool import Session

        out, err = io.StringIO(), io.StringIO()
        try:
            Session("help", args, out, err, app=self.app).run()
        except ImportError:
            print(HELP, end="")
            return
        print(out.getvalue(), end="")

    def _describe(self, args: list[str]) -> Any:
        has_dot = "--dot" in args
        to_stdout = any(a in ("-o-", "--output=-") for a in args) or (
            "-o" in args and args.index("-o") + 1 < len(args) and args[args.index("-o") + 1] == "-"
        )
        if has_dot and not to_stdout and not any(a.startswith(("-o", "--output")) for a in args):
            # The real tool opens xdot here; in a notebook the graph is drawn inline.
            text_args = [a for a in args if a != "--dot" and not a.startswith("--dot-command")]
            self._verb("describe", text_args)
            return self._graph(text_args)
        self._verb("describe", args)
        return None

    def _graph(self, args: list[str]) -> Any:
        from mirage_nb.functoria.dot import render_dot

        from ._learner import fold_of_impl
        from ._objects import Graph

        app = self._require_app()
        c = app.configured(args, verb="describe")
        fold = fold_of_impl(c.impl, len(getattr(app, "init", ()) or ()))
        return Graph(render_dot(c.impl, 0) + "\n", title=f"{c.info.name}", fold=fold)

    def _configure(self, args: list[str]) -> Any:
        from ._views import GeneratedFiles

        res = self._verb("configure", args)
        if res.files:
            # The real tool's line above is the lesson; this one says where its files are.
            first = "Makefile" if "Makefile" in res.files else sorted(res.files)[0]
            print(
                f"(mirage_nb writes nothing to disk: the {len(res.files)} files configure would write are shown "
                f"below; open a name to read it, or keep them with files = %mirage configure "
                f"and read one with print(files[{first!r}]))"
            )
        return GeneratedFiles(dict(res.files), title=f"mirage configure {' '.join(args)}".strip())

    def _run(self, args: list[str]) -> Any:
        from ._sim import run_application, split_run_args

        viewer = "--viewer" in args
        opts = split_run_args([a for a in args if a != "--viewer"])
        unikernel: Any = self.unikernel
        if unikernel is None and self.config_path is not None:
            import os

            beside = os.path.join(os.path.dirname(os.path.abspath(self.config_path)), "unikernel.py")
            unikernel = beside if os.path.isfile(beside) else None
        result = run_application(self._require_app(), unikernel, opts)
        if viewer:
            from .widgets import run_viewer

            return run_viewer(result)
        return result

    # -- notebook verbs ----------------------------------------------------------------------

    def _nb_use(self, args: list[str]) -> None:
        from mirage_nb.functoria.app import Application

        if len(args) != 1:
            raise MirageNbError("%mirage use expects one variable name, e.g. %mirage use app")
        value = self.shell.user_ns.get(args[0])
        if not isinstance(value, Application):
            raise MirageNbError(
                f"%mirage use {args[0]}: expected a variable holding an application (from register), "
                f"not {type(value).__name__}"
            )
        self.app = value

    def _nb_display(self, args: list[str]) -> None:
        from ._display import DISPLAY_MODES

        if len(args) != 1 or args[0] not in DISPLAY_MODES:
            raise MirageNbError(f"%mirage display expects one of {', '.join(DISPLAY_MODES)}")
        self.display_mode = args[0]

    def _nb_graph(self, args: list[str]) -> Any:
        return self._graph(args)

    def _nb_status(self, _args: list[str]) -> None:
        name = self.app.name if self.app is not None else "(none)"
        uk = "(none)" if self.unikernel is None else ", ".join(_unikernel_entry_points(self.unikernel)) or "(empty)"
        print(f"application: {name}\nunikernel: {uk}\ndisplay: {self.display_mode}")

    @cell_magic
    def config_ml(self, line: str, cell: str) -> Any:
        """%%config_ml [NAME]: read the cell as an OCaml config.ml; its application becomes current."""
        try:
            args = _split(line)
            if len(args) > 1:
                raise MirageNbError("%%config_ml takes at most one argument: the variable to bind the application to")
            try:
                from mirage_nb.config_ml import loads
            except ImportError:
                raise MirageNbError(
                    "the config.ml reader (mirage_nb.config_ml.loads) is not available in this version; "
                    "write the configuration in Python instead (from mirage_nb.mirage import *)"
                ) from None
            app = loads(cell, filename="config.ml")
        except MirageNbError as e:
            self._report(e)
            if len(args) == 1:
                self._unbind(args[0])
            return None
        self.app = app
        if args:
            self.shell.user_ns[args[0]] = app
        return app

    def _unbind(self, name: str) -> None:
        """After a failed ``%%config_ml NAME``: NAME no longer holds an earlier cell's application."""
        from mirage_nb.functoria.app import Application

        if name not in self.shell.user_ns:
            return
        old = self.shell.user_ns.pop(name)
        what = f"the application {old.name!r}" if isinstance(old, Application) else f"a {type(old).__name__}"
        said = f"mirage: {name} is now unbound (it held {what} from an earlier cell)"
        if old is self.app:
            self.app = None
            said += "; there is no current application until a cell gives one"
        print(said, file=sys.stderr)

    @cell_magic
    def unikernel(self, line: str, cell: str) -> None:
        """%%unikernel: the unikernel's Python code (``start`` or ``Main``), kept for ``%mirage run``."""
        name = (line.strip() or "unikernel").split()[0]
        module = types.ModuleType(name, "The unikernel given in a %%unikernel cell.")
        try:
            code = compile(cell, f"<%%unikernel {name}>", "exec")
        except SyntaxError as e:
            print(f"mirage: %%unikernel: syntax error at line {e.lineno}: {e.msg}", file=sys.stderr)
            return
        try:
            exec(code, module.__dict__)  # the learner's own unikernel code
        except Exception as e:
            import traceback

            frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == code.co_filename]
            where = f" at line {frames[-1].lineno}" if frames else ""
            print(f"mirage: %%unikernel: {type(e).__name__}{where}: {e}", file=sys.stderr)
            return
        self.unikernel = module
        points = _unikernel_entry_points(module)
        print(f"unikernel {name}: {', '.join(points) if points else 'no start or Main defined'}")


def _unikernel_entry_points(module: types.ModuleType) -> list[str]:
    return [n for n in ("start", "Main") if n in module.__dict__]


def extension_of(shell: Any) -> MirageMagics | None:
    """The extension instance bound to ``shell``, if it is loaded."""
    reg = getattr(shell.magics_manager, "registry", {})
    m = reg.get("MirageMagics")
    return m if isinstance(m, MirageMagics) else None


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext mirage_nb``: register the magics, the formatters and the cell events."""
    if extension_of(shell) is not None:
        return
    magics = MirageMagics(shell)
    shell.register_magics(magics)
    fmt = shell.display_formatter.mimebundle_formatter
    for dotted in DISPLAYED_TYPES:
        module, name = dotted.rsplit(".", 1)
        fmt.for_type_by_name(module, name, magics.bundle)
    shell.events.register("pre_run_cell", magics.pre_run_cell)
    shell.events.register("post_run_cell", magics.post_run_cell)
    from ._learner_errors import install

    magics._previous_custom_exc = install(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext mirage_nb``: remove what :func:`load_ipython_extension` added."""
    magics = extension_of(shell)
    if magics is None:
        return
    fmt = shell.display_formatter.mimebundle_formatter
    for dotted in DISPLAYED_TYPES:
        fmt.pop(dotted, None)
    for event, cb in (("pre_run_cell", magics.pre_run_cell), ("post_run_cell", magics.post_run_cell)):
        try:
            shell.events.unregister(event, cb)
        except ValueError:
            pass
    magics._end_collecting()
    if magics._previous_custom_exc is not None and shell.custom_exceptions == (MirageNbError,):
        from ._learner_errors import uninstall

        uninstall(shell, magics._previous_custom_exc)
    for kind in ("line", "cell"):
        table = shell.magics_manager.magics[kind]
        for name in ("mirage", "config_ml", "unikernel"):
            if name in table and getattr(table[name], "__self__", None) is magics:
                del table[name]
    shell.magics_manager.registry.pop("MirageMagics", None)
