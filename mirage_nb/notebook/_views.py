"""View models: what a display shows, as plain frozen records, built before any markup (STYLE §4.1).

:func:`view_of` turns an object a learner meets (an application, a device
term, a module type, a key, generated files, a run result) into one of the
records below. The text and HTML writers only walk these records, so they
are tested without Jupyter, and the records are tested without markup.

Building a view calls the engine (``describe``, ``dot``); an engine error a
learner can cause (:class:`~mirage_nb.errors.MirageNbError`) is kept in the
view as a problem to show, not raised: the display must still appear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import MirageNbError

from ._learner import Fold, fold_of_app

__all__ = [
    "KeyRow",
    "AppView",
    "ImplView",
    "TypView",
    "KeyView",
    "FileEntry",
    "FilesView",
    "RunResultView",
    "FallbackView",
    "View",
    "view_of",
    "GeneratedFiles",
    "key_row",
    "typ_text",
]


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One configure-time key as the keys table shows it."""

    name: str
    value: str
    is_default: bool
    options: str
    doc: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One generated file: its path, its text, the language to highlight it as."""

    path: str
    text: str
    language: str


@dataclass(frozen=True, slots=True)
class AppView:
    """A registered application: describe's text, the keys, the graph's dot source."""

    name: str
    describe: str
    keys: tuple[KeyRow, ...]
    dot: str | None
    jobs: tuple[str, ...]
    problems: tuple[str, ...] = ()
    files: tuple[FileEntry, ...] = ()
    files_note: str = ""
    fold: Fold | None = None  # the learner view of the graph: the runtime devices folded


@dataclass(frozen=True, slots=True)
class ImplView:
    """A device term (``impl``): what it is, its module type, its keys and its graph."""

    kind: str  # "device" | "application" | "choice"
    module_name: str
    nice_name: str
    module_type: str
    applied: int
    doc: str
    keys: tuple[KeyRow, ...]
    devices: int
    dot: str | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TypView:
    """A module type: its OCaml spelling, its functor parameters and result."""

    name: str
    ocaml: str
    params: tuple[str, ...]
    result: str


@dataclass(frozen=True, slots=True)
class KeyView:
    """A configure-time key on its own."""

    row: KeyRow
    kind: str
    docv: str
    alternatives: tuple[str, ...]
    env: str | None


@dataclass(frozen=True, slots=True)
class FilesView:
    """Files ``mirage configure`` would write, sorted by path."""

    title: str
    files: tuple[FileEntry, ...]


@dataclass(frozen=True, slots=True)
class RunResultView:
    """A simulated run: console, logs, how and when it stopped."""

    console: tuple[tuple[int, str, str], ...]  # (time_ns, stream, text)
    logs: tuple[tuple[int, str, str, str], ...]  # (time_ns, source, level, message)
    exit_code: int | None
    stopped: str
    end_ns: int
    note: str
    seed: int
    events: int


@dataclass(frozen=True, slots=True)
class FallbackView:
    """What is shown when a view could not be built: the object's kind and why."""

    title: str
    message: str


View = AppView | ImplView | TypView | KeyView | FilesView | RunResultView | FallbackView


@dataclass(frozen=True)
class GeneratedFiles:
    """Files a ``configure`` produced, by path: a mapping that displays as highlighted source.

    ``app.configure()`` returns a plain ``dict``; wrap it (``GeneratedFiles(app.configure())``)
    or use ``%mirage configure`` to see it rendered.
    """

    files: Mapping[str, str]
    title: str = "mirage configure"
    messages: tuple[str, ...] = field(default=())

    def __getitem__(self, path: str) -> str:
        return self.files[path]

    def __iter__(self):
        return iter(sorted(self.files))

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        from ._text import text_of

        return text_of(view_of(self))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from ._display import mimebundle

        return mimebundle(self, include, exclude)


# -- building views -----------------------------------------------------------------------


def _problem(e: BaseException) -> str:
    if isinstance(e, MirageNbError):
        return str(e)
    return f"{type(e).__name__}: {e} (a bug in mirage_nb: please report it)"


def typ_text(t: Any) -> str:
    """A module type in OCaml's spelling: ``stackv4v6 @-> job``."""
    if getattr(t, "is_functor", False):
        a = typ_text(t.arg)
        if getattr(t.arg, "is_functor", False):
            a = f"({a})"
        return f"{a} @-> {typ_text(t.res)}"
    return str(getattr(t, "name", t))


def key_row(k: Any, context: Any = None) -> KeyRow:
    """A key's row: its value in ``context`` (or its default), its options and its doc."""
    arg = k.arg
    given = context is not None and context.mem(k)
    v = context.get(k) if context is not None else k.default
    try:
        value = "" if (arg.kind == "required" and v is None) else arg.print(v)
    except Exception:
        value = repr(v)
    opts = ", ".join(arg.info.options()) if arg.info.names else f"--{k.name}"
    return KeyRow(k.name, value, not given, opts, plain_doc(str(arg.info.doc or "")))


_MARKUP = re.compile(r"\$\((?:b|i|tt|docv|opt|env|mname|tname),([^()]*)\)")


def plain_doc(doc: str) -> str:
    """Cmdliner's doc markup made plain: ``$(b,unix)`` → ``unix``; whitespace collapsed."""
    return " ".join(_MARKUP.sub(lambda m: m.group(1), doc).split())


def _app_view(app: Any) -> AppView:
    problems: list[str] = []
    try:
        describe = str(app.describe())
    except Exception as e:
        describe = f"Name       {app.name}\n"
        problems.append(_problem(e))
    rows: tuple[KeyRow, ...] = ()
    try:
        c = app.configured([], verb="describe")
        rows = tuple(key_row(k, c.info.context) for k in c.info.keys)
    except Exception as e:
        problems.append(_problem(e))
    dot: str | None = None
    try:
        dot = str(app.dot())
    except Exception as e:
        problems.append(_problem(e))
    jobs = tuple(_impl_name(j) for j in getattr(app, "jobs", ()) or ())
    files: tuple[FileEntry, ...] = ()
    note = ""
    try:
        got = app.configure()
        files = tuple(FileEntry(str(p), str(got[p]), language_of(str(p))) for p in sorted(got))
    except Exception as e:
        note = f"mirage configure failed: {_problem(e)}"
    fold = fold_of_app(app, source=dot) if dot is not None else None
    return AppView(str(app.name), describe, rows, dot, jobs, tuple(dict.fromkeys(problems)), files, note, fold)


def _impl_name(t: Any) -> str:
    from mirage_nb.functoria.impl import App, Dev

    if isinstance(t, Dev):
        return t.dev.module_name
    if isinstance(t, App):
        return f"({_impl_name(t.f)})"
    return "if"


def _impl_view(t: Any) -> ImplView:
    from mirage_nb.functoria import keys as K
    from mirage_nb.functoria.dot import dot_graph, render_dot
    from mirage_nb.functoria.impl import App, Dev, type_of, walk

    problems: list[str] = []
    if isinstance(t, Dev):
        kind, module_name, nice, applied, doc = "device", t.dev.module_name, t.dev.nice_name, len(t.args), t.dev.doc
    elif isinstance(t, App):
        kind, module_name, nice, applied, doc = "application", _impl_name(t.f), "$", len(t.args), ""
    else:
        names = ", ".join(k.name for k in t.cond.sorted_deps())
        kind, module_name, nice, applied, doc = "choice", f"if {names}", "If", 0, ""
    try:
        mtype = typ_text(type_of(t))
    except Exception as e:
        mtype, problems = "?", [*problems, _problem(e)]
    keys: list[Any] = []
    try:
        walk(t, lambda d: keys.extend(d.dev.keys), lambda i: keys.extend(i.cond.deps))
    except Exception as e:
        problems.append(_problem(e))
    rows = tuple(key_row(k) for k in K.sort_keys(keys))
    dot: str | None = None
    devices = 0
    try:
        dot = render_dot(t, 0) + "\n"
        devices = sum(1 for v in dot_graph(t).vertices if v.kind == "dev")
    except Exception as e:
        problems.append(_problem(e))
    return ImplView(kind, module_name, nice, mtype, applied, " ".join(doc.split()), rows, devices, dot, tuple(problems))


def _typ_view(t: Any) -> TypView:
    params = tuple(typ_text(p) for p in t.params())
    return TypView(str(t.name), typ_text(t), params, typ_text(t.result()))


def _key_view(k: Any) -> KeyView:
    arg = k.arg
    conv = arg.conv
    return KeyView(
        key_row(k),
        str(arg.kind),
        str(arg.info.docv or (conv.docv if conv is not None else "")),
        tuple(conv.alternatives) if conv is not None else (),
        arg.info.env,
    )


_LANGS = (
    (".ml", "ocaml"),
    (".mli", "ocaml"),
    ("dune", "dune"),
    ("dune-project", "dune"),
    ("dune-workspace", "dune"),
    (".opam", "opam"),
    ("Makefile", "make"),
    (".xl", "xl"),
    (".xl.in", "xl"),
    (".xml", "xml"),
    (".json", "json"),
    (".py", "python"),
    (".sh", "shell"),
)


def language_of(path: str) -> str:
    """The language a generated file is highlighted as (:mod:`._highlight`): OCaml for ``.ml``, dune files..."""
    base = path.rsplit("/", 1)[-1]
    for suffix, lang in _LANGS:
        if base == suffix or base.endswith(suffix):
            return lang
    if base.startswith("dune"):
        return "dune"
    return "text"


def _files_view(g: GeneratedFiles) -> FilesView:
    files = tuple(FileEntry(str(p), str(g.files[p]), language_of(str(p))) for p in sorted(g.files))
    return FilesView(g.title, files)


def _run_view(r: Any) -> RunResultView:
    return RunResultView(
        tuple((c.time_ns, c.stream, c.text) for c in r.console),
        tuple((lg.time_ns, lg.source, lg.level, lg.message) for lg in r.logs),
        r.exit_code,
        getattr(r.stopped, "value", str(r.stopped)),
        r.end_ns,
        r.note,
        r.seed,
        r.events,
    )


def _kind(obj: Any) -> str:
    from mirage_nb.functoria.app import Application
    from mirage_nb.functoria.impl import Impl
    from mirage_nb.functoria.keys import Key
    from mirage_nb.functoria.types import Typ

    if isinstance(obj, Application):
        return "application"
    if isinstance(obj, Impl):
        return "impl"
    if isinstance(obj, Typ):
        return "typ"
    if isinstance(obj, Key):
        return "key"
    if isinstance(obj, GeneratedFiles):
        return "files"
    if any(c.__name__ == "RunResult" for c in type(obj).__mro__) and hasattr(obj, "timeline"):
        return "run"
    if type(obj).__name__ == "Device" and hasattr(obj, "module_name"):
        return "device"
    return "other"


def view_of(obj: Any) -> View:
    """The view model of ``obj``. Never raises: a failure gives a :class:`FallbackView` naming it."""
    try:
        match _kind(obj):
            case "application":
                return _app_view(obj)
            case "impl":
                return _impl_view(obj)
            case "device":
                from mirage_nb.functoria.impl import of_device

                return _impl_view(of_device(obj))
            case "typ":
                return _typ_view(obj)
            case "key":
                return _key_view(obj)
            case "files":
                return _files_view(obj)
            case "run":
                return _run_view(obj)
            case _:
                return FallbackView(type(obj).__name__, "mirage_nb has no display for this object")
    except Exception as e:
        return FallbackView(type(obj).__name__, f"cannot display this object: {_problem(e)}")
