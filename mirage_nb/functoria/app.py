"""A registered application and its evaluation against a context (functoria's ``Lib.Make``).

:class:`Project` describes the tool (``mirage``): its prelude, the root
device it wraps the jobs in, target names. :class:`Application` is what
``register`` returns; :meth:`Application.evaluate` turns it, with a context,
into a :class:`Configured` application: the simplified term, the device
graph and the :class:`~mirage_nb.functoria.info.Info` every printer and
generator reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import keys as K
from .graph import Node, evaluate, left_most_device
from .impl import Dev, If, Impl, simplify, walk
from .info import Info
from .package import Package, union_sets
from .runtime_arg import RuntimeArg, sort_runtime_args

__all__ = ["Project", "Application", "Configured", "if_keys", "all_keys"]


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

    def __post_init__(self) -> None:
        self._if_keys = if_keys(self.root)

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
            config_file=self.config_file,
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

    def has_ifs(self) -> bool:
        found = False

        def on_if(_i: If) -> None:
            nonlocal found
            found = True

        walk(self.impl, lambda _d: None, on_if)
        return found
