"""A registered application and its evaluation against a context (functoria's ``Lib.Make``).

:class:`Project` describes the tool (``mirage``): its prelude, the root
device it wraps the jobs in, target names. :class:`Application` is what
``register`` returns; :meth:`Application.evaluate` turns it, with a context,
into a :class:`Configured` application: the simplified term, the device
graph and the :class:`~mirage_nb.functoria.info.Info` every printer and
generator reads.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import keys as K
from .graph import Node, evaluate, left_most_device
from .impl import Dev, Impl, simplify, walk
from .info import Info
from .package import Package, union_sets
from .request import Keywords, Request
from .runtime_arg import RuntimeArg, sort_runtime_args

__all__ = [
    "Project",
    "Application",
    "Configured",
    "if_keys",
    "all_keys",
    "collecting_registrations",
    "announce",
    "Printed",
    "runner_for",
]


class Project(Protocol):
    """What a functoria-based tool tells the engine about itself (``Functoria.Lib.S``)."""

    name: str
    version: str
    packages: list[Package]
    dune_project: list[str]

    def prelude(self, info: Info) -> str: ...
    def create(self, jobs: list[Impl]) -> Impl: ...
    def name_of_target(self, info: Info) -> str: ...
    def target_filename(self, info: Info) -> str: ...
    def dune_workspace(self, info: Info) -> list[str] | None: ...
    def context_name(self, info: Info) -> str: ...


#: The entry-point group where a simulator declares that it runs a tool's applications.
RUNNERS_GROUP = "mirage_nb.runners"


def runner_for(project: Any) -> Callable[..., Any]:
    """The function that runs an application of ``project`` (what :meth:`Application.run` calls).

    The engine knows no simulator: a package above it declares one in the
    ``mirage_nb.runners`` entry-point group under the tool's name
    (mirage_nb's pyproject.toml names :func:`mirage_nb.sim.cli.run_application`
    for ``mirage``), so the dependency points from the simulator down to here.
    """
    from importlib.metadata import entry_points

    name = getattr(project, "name", None)
    found = entry_points(group=RUNNERS_GROUP, name=str(name))
    for ep in found:
        run: Callable[..., Any] = ep.load()
        return run
    from mirage_nb.errors import ConfigError

    raise ConfigError(
        f"run: no simulator declares that it runs {name!r} applications "
        f"(entry-point group {RUNNERS_GROUP!r}; is mirage_nb installed with pip install -e .?)"
    )


def if_keys(t: Impl) -> list[K.Key]:
    """Keys of every ``If`` condition in a term (``Engine.if_keys``)."""
    out: list[K.Key] = []
    walk(t, lambda _d: None, lambda i: out.extend(i.cond.deps))
    return K.sort_keys(out)


def all_keys(t: Impl) -> list[K.Key]:
    """Keys declared by devices, and keys of ``If`` conditions (``Engine.keys``)."""
    out: list[K.Key] = []
    walk(t, lambda d: out.extend(d.dev.keys), lambda i: out.extend(i.cond.deps))
    return K.sort_keys(out)


def runtime_args_of(t: Impl) -> list[RuntimeArg]:
    out: list[RuntimeArg] = []
    walk(t, lambda d: out.extend(d.dev.runtime_args))
    return sort_runtime_args(out)


def packages_of(t: Impl, ctx: K.Context) -> list[Package]:
    """``Engine.packages``: each device's packages in ``ctx``, with its runtime args' packages."""
    acc: dict[str, Package] = {}

    def on_dev(d: Dev) -> None:
        nonlocal acc
        extra: dict[str, Package] = {}
        for ra in d.dev.runtime_args:
            extra = union_sets(extra, {p.name: p for p in ra.packages})
        own = union_sets({p.name: p for p in d.dev.packages.eval(ctx)}, extra)
        acc = union_sets(acc, own)

    walk(t, on_dev)
    return [acc[n] for n in sorted(acc)]


@dataclass
class Application:
    """A registered unikernel: its name, init jobs, the root term, and the tool it belongs to."""

    name: str
    root: Impl
    init: list[Impl]
    project: Any
    jobs: list[Impl] = field(default_factory=list)
    src: Any = "auto"
    config_file: str = "config.ml"
    notices: list[str] = field(default_factory=list)
    # The file the application was read from (a config.py stands for the
    # config.ml ``config_file`` names); None when made in Python.
    source_file: str | None = None

    def __post_init__(self) -> None:
        self._if_keys = if_keys(self.root)

    # -- the real tool's verbs, from Python -------------------------------------------

    def request(
        self,
        verb: str = "configure",
        target: str | None = None,
        *,
        args: Sequence[str] = (),
        **keys: Any,
    ) -> Request:
        """The request ``verb`` makes with configure-time keys given as Python keywords.

        ``target="hvt", no_dhcp=True, kv_ro="direct"`` are key values (see
        :class:`~mirage_nb.functoria.request.Keywords`); ``args`` more
        command-line arguments for the keys. The verb's own options are the
        request's fields (``dataclasses.replace(request, eval=True)``).
        """
        return Request(verb=verb, keys=Keywords.of(self.keys(), target, args=args, **keys))

    def describe(
        self, target: str | None = None, *, eval: bool | None = None, dot: bool = False, **keys: Any
    ) -> Printed:
        """What ``mirage describe [-t target] [--eval|--no-eval] [--dot -o-] [--key=value...]`` prints."""
        from . import engine

        req = self._keyed("describe", target, keys, eval=eval, dot=dot, output="-" if dot else None)
        return Printed(engine.describe(*self._evaluated(req))[0])

    def dot(self, target: str | None = None, *, eval: bool | None = None, **keys: Any) -> Printed:
        """The dot graph of ``mirage describe --dot``, as a file would hold it (graphviz source)."""
        from .dot import render_dot

        c = self.configured(self._keyed("describe", target, keys, eval=eval))
        return Printed(render_dot(c.impl, 0) + "\n")

    def query(self, kind: str = "packages", target: str | None = None, **keys: Any) -> Printed:
        """What ``mirage query [-t target] <kind>`` prints (name, packages, opam, files, Makefile, dune...)."""
        from . import engine

        return Printed(engine.query(*self._evaluated(self._keyed("query", target, keys, query=kind))))

    def configure(self, target: str | None = None, **keys: Any) -> dict[str, str]:
        """The files ``mirage configure [-t target]`` writes, by path (nothing is written to disk)."""
        from . import engine
        from .vfs import VirtualFS

        fs = VirtualFS()
        engine.configure(*self._evaluated(self._keyed("configure", target, keys)), fs)
        return fs.files()

    def _keyed(self, verb: str, target: str | None, keys: dict[str, Any], **fields: Any) -> Request:
        return Request(verb=verb, keys=Keywords.of(self.keys(), target, **keys), **fields)

    def _evaluated(self, request: Request) -> tuple[Configured, Request]:
        from . import engine

        return engine.evaluate(self, request)

    def run(
        self,
        target: str | None = None,
        *,
        argv: Sequence[str] = (),
        seed: int = 0,
        until: int | float | str | None = None,
        unikernel: Any = None,
        args: Sequence[str] = (),
        data_dir: str | None = None,
        disks: Mapping[str, bytes | bytearray] | None = None,
        opam_repository: str | None = None,
        **keys: Any,
    ) -> Any:
        """Simulate the unikernel (``mirage-nb run``): returns the simulator's ``RunResult``.

        ``argv`` are its boot arguments, ``keys`` the configure-time keys (as
        :meth:`describe` takes them) and ``args`` more configure-time command-line
        arguments; ``unikernel`` is a module or the path of its ``unikernel.py``
        (by default the one beside the config file); ``data_dir`` where its
        device data is read and ``disks`` block images as bytes
        (``{"disk.img": bytearray(8 * 512)}``). The result's ``record`` is
        the run's reproducibility record (``opam_repository``: a commit to
        keep in it).  See
        :func:`mirage_nb.sim.cli.run_application`, which the simulator
        declares as the runner of the ``mirage`` project (see :func:`runner_for`).
        """
        run = runner_for(self.project)
        return run(
            self,
            target,
            argv=argv,
            seed=seed,
            until=until,
            unikernel=unikernel,
            args=args,
            data_dir=data_dir,
            disks=disks,
            opam_repository=opam_repository,
            **keys,
        )

    # -- printed back as the config.ml a learner gives the real tool (hl-catalog) ---------

    def to_config_ml(self) -> Printed:
        """The OCaml ``config.ml`` that builds this application, printed from its device graph.

        See :mod:`mirage_nb.functoria.to_config_ml`; the tool names its library
        (``open Mirage``) through its project's ``config_library()``.
        """
        from .to_config_ml import to_config_ml

        return Printed(to_config_ml(self, self.project.config_library()))

    # ---------------------------------------------------------------------------------

    def configured(self, request: Request | Sequence[str] = (), *, verb: str = "configure") -> Configured:
        """The application evaluated for ``request``, or as ``mirage <verb> <args>`` would evaluate it.

        Nothing is read or written: no cached context, no files.
        """
        from . import engine
        from .request import request_of_argv

        if not isinstance(request, Request):
            request = request_of_argv(verb, list(request))
        return engine.evaluate(self, request)[0]

    @property
    def if_keys(self) -> list[K.Key]:
        return self._if_keys

    def keys(self) -> list[K.Key]:
        """Every key the command line may set: the ``If`` keys and every device's keys."""
        return all_keys(self.root)

    def evaluate(
        self,
        base: K.Context,
        *,
        full: bool,
        context_for: Callable[[list[K.Key]], K.Context] | None = None,
        output: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Configured:
        """Simplify and evaluate against ``base`` (the values of the ``If`` keys).

        ``context_for(keys)`` gives the final context once the application's
        keys are known (the command line parsed for all of them, over the
        cached context); by default ``base`` itself.
        """
        simplified = simplify(self.root, full=full, context=base)
        graph = evaluate(simplified, base)
        keys = K.sort_keys([*self._if_keys, *all_keys(simplified)])
        ctx = context_for(keys) if context_for is not None else base
        info = Info(
            name=self.name,
            # An application read from an absolute path (lab.load, example) names
            # its files as `mirage configure` run in the config's directory does:
            # the Python API writes nothing, and the names do not depend on where
            # the notebook runs. The command line hands a path relative to its
            # working directory (tool.py), so it keeps its own.
            config_file=posixpath.basename(self.config_file) if posixpath.isabs(self.config_file) else self.config_file,
            project_name=self.project.name,
            output=output,
            keys=tuple(keys),
            runtime_args=tuple(runtime_args_of(simplified)),
            context=ctx,
            package_list=tuple(packages_of(simplified, ctx)),
            local_libs=tuple(_local_libs(self.jobs)),
            extra=dict(extra or {}),
        )
        return Configured(self, simplified, graph, info)


class Printed(str):
    """Text a verb printed; shown as is (not as a quoted string) by the REPL and IPython."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _local_libs(jobs: Sequence[Impl]) -> list[str]:
    out: list[str] = []
    for j in jobs:
        if isinstance(j, Dev):
            out.extend(j.dev.local_libs)
    return out


@dataclass
class Configured:
    """An application evaluated in a context: what describe, query and configure print."""

    app: Application
    impl: Impl
    graph: Node
    info: Info

    def init_nodes(self) -> list[Node]:
        """The device nodes of the init jobs, in init order (``Engine.find_all_devices``)."""
        from .graph import connect_order

        out: list[Node] = []
        order = list(connect_order(self.graph))
        for job in self.app.init:
            dev = left_most_device(job, self.info.context)
            # Per job, the matching nodes in connect order; jobs in init order.
            out.extend(n for n in order if n.dev is dev)
        return out


# -- which application a config file registered -------------------------------------

_registered: ContextVar[list[Application] | None] = ContextVar("registered", default=None)


@contextmanager
def collecting_registrations() -> Iterator[list[Application]]:
    """Collect the applications ``register`` makes while a config file is evaluated.

    Scoped to the caller (a context variable), so evaluating two configs,
    or one in a notebook cell and one in a test, never mixes them up.
    """
    apps: list[Application] = []
    token = _registered.set(apps)
    try:
        yield apps
    finally:
        _registered.reset(token)


def announce(app: Application) -> None:
    """Called by ``register``: hand the application to whoever is collecting."""
    apps = _registered.get()
    if apps is not None:
        apps.append(app)
