"""The ``mirage`` tool as functoria sees it (twin of ``Mirage.Project``), and ``register``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import keys as K
from mirage_nb.functoria import types as T
from mirage_nb.functoria.app import Application, announce
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, has_no_arguments, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package

from . import jobs
from . import keys as Key
from . import target as Target
from ._util import get_target, pos

__all__ = ["MIRAGE_VERSION", "MirageProject", "PROJECT", "register"]

#: The version of the real ``mirage`` tool this package reproduces, byte for byte.
MIRAGE_VERSION = "4.11.1"

_OS = {"solo5": "Solo5_os", "unix": "Unix_os", "xen": "Xen_os", "unikraft": "Unikraft_os"}


class MirageProject:
    """The tool description functoria's engine is instantiated with."""

    name = "mirage"
    version = MIRAGE_VERSION
    packages = [package("mirage")]
    dune_project = ["(implicit_transitive_deps true)"]

    def prelude(self, info: Info) -> str:
        os_mod = _OS[get_target(info).group]
        return (
            f"open Lwt.Infix\ntype 'a io = 'a Lwt.t\nlet return = Lwt.return\nlet run t = {os_mod}.Main.run t ; exit 0"
        )

    def config_library(self) -> Any:
        """The library a config.ml opens, for printing a graph back (``Application.to_config_ml``)."""
        import mirage_nb.mirage as mirage
        from mirage_nb.functoria.to_config_ml import Library

        return Library(mirage, "Mirage")

    def name_of_target(self, info: Info) -> str:
        if info.output is not None:
            return info.output
        return f"{info.name}-{Key.pp_target(get_target(info))}"

    def target_filename(self, info: Info) -> str:
        from . import target_files

        return target_files.out(info)

    def dune_workspace(self, info: Info) -> list[str] | None:
        from . import target_files

        return ["(lang dune 2.9)\n\n(context (default))", *target_files.build_context(info)]

    def context_name(self, info: Info) -> str:
        from . import target_files

        return target_files.context_name(info)

    def create(self, init_and_jobs: Sequence[Impl]) -> Impl:
        """The root device: ``Mirage_runtime`` keyed by the target, depending on every job."""
        common = [
            package("lwt", scope="monorepo"),
            package("mirage-runtime", scope="monorepo", min="4.11.0", max="4.12.0"),
            package("mirage", scope="switch", build=True, min="4.11.0", max="4.12.0"),
            package("opam-monorepo", scope="switch", build=True, min="0.3.2"),
        ]
        packages_v = K.map_(lambda m: Target.packages(m) + common, Key.target.value())

        def install(info: Info):
            from . import target_files

            return K.pure(target_files.install(info))

        def dune(info: Info) -> list[str]:
            from . import target_files

            return target_files.dune(info)

        def configure(info: Info, fs) -> None:
            from . import target_files

            target_files.configure(info, fs)

        local_libs = [lib for j in init_and_jobs for lib in _local_libs(j)]
        return impl(
            "Mirage_runtime",
            T.job,
            keys=[Key.target],
            packages_v=packages_v,
            local_libs=local_libs,
            install=install,
            dune=dune,
            configure=configure,
            connect=lambda _i, _m, _n: Code("return ()", pos("lib/mirage.ml", 372)),
            extra_deps=list(init_and_jobs),
            doc="The root of every MirageOS unikernel: it starts the init jobs, then yours.",
        )


def _local_libs(t: Impl) -> list[str]:
    from mirage_nb.functoria.impl import Dev

    return list(t.dev.local_libs) if isinstance(t, Dev) else []


PROJECT = MirageProject()

_JOB_WITHOUT_ARGS = (
    "Your configuration includes a job without arguments. Please add a dependency in your config.ml: "
    'use `let main = Mirage.main "Unikernel.Hello" (job @-> job) register "hello" [ main $ noop ]` '
    "instead of `.. job .. [ main ]`."
)


def register(
    name: str,
    jobs_: Sequence[Impl],
    *,
    argv: Impl | None = None,
    reporter: Impl | None = None,
    sleep: Impl | None = None,
    ptime: Impl | None = None,
    mtime: Impl | None = None,
    random: Impl | None = None,
    src: Any = "auto",
    config_file: str = "config.ml",
) -> Application:
    """Twin of ``Mirage.register``: the application, with the init jobs MirageOS adds.

    Returns the :class:`~mirage_nb.functoria.app.Application`, which can
    ``describe()``, ``dot()``, ``query()``, ``configure()`` and ``run()``.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"register: the unikernel name must be a non-empty string, not {name!r}")
    if isinstance(jobs_, Impl) or not isinstance(jobs_, (list, tuple)):
        raise ConfigError(f"register {name!r}: the jobs must be a list of devices, e.g. [main(stack)], not {jobs_!r}")
    for j in jobs_:
        if not isinstance(j, Impl):
            raise ConfigError(f"register {name!r}: every job must be a device (impl), not {j!r}")
        if not j.module_type.same(T.job):
            raise ConfigError(
                f"register {name!r}: {j!r} has module type {j.module_type!r}, but a job was expected: "
                f"it still needs {len(j.module_type.params())} device argument(s) "
                f"({', '.join(repr(p) for p in j.module_type.params())})"
            )
    if any(has_no_arguments(j) for j in jobs_):
        raise ConfigError(_JOB_WITHOUT_ARGS)
    reporter = jobs.default_reporter() if reporter is None else reporter
    init: list[Impl] = [jobs.runtime_args(argv or jobs.default_argv), jobs.ocaml_runtime, jobs.delay_startup]
    if reporter is not jobs.no_reporter:
        init.append(reporter)
    init += [
        sleep or jobs.default_sleep,
        ptime or jobs.default_ptime,
        mtime or jobs.default_mtime,
        random or jobs.default_random,
        jobs.unikernel_name,
    ]
    root = PROJECT.create([*init, *jobs_])
    app = Application(name, root, init, PROJECT, jobs=list(jobs_), src=src, config_file=config_file)
    announce(app)
    return app
