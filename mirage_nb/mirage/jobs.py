"""The jobs ``register`` adds by itself, and the time, clock, randomness and log devices.

Twins of mirage's ``argv.ml``, ``reporter.ml``, ``sleep.ml``, ``ptime.ml``,
``mtime.ml``, ``random.ml`` and the init jobs of ``mirage.ml``. These are
module-level values, as in OCaml: using ``default_sleep`` twice shares one
node of the graph.
"""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import types as T
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, if_impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.ocaml import quote
from mirage_nb.functoria.package import package
from mirage_nb.functoria.runtime_arg import runtime_arg as create_runtime_arg

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from ._util import expect, pos

__all__ = [
    "argv",
    "default_argv",
    "no_argv",
    "reporter",
    "default_reporter",
    "no_reporter",
    "sleep",
    "default_sleep",
    "no_sleep",
    "ptime",
    "default_ptime",
    "no_ptime",
    "mock_ptime",
    "mtime",
    "default_mtime",
    "no_mtime",
    "mock_mtime",
    "random",
    "default_random",
    "no_random",
    "delay",
    "delay_startup",
    "unikernel_name",
    "ocaml_runtime",
    "runtime_args",
    "noop",
]

job = T.job
argv = T.argv
reporter = T.job
sleep = T.job
ptime = T.job
mtime = T.job
random = T.job
delay = T.job

from mirage_nb.functoria.dsl import noop  # noqa: E402

# -- argv ---------------------------------------------------------------------

no_argv = impl(
    "Mirage_runtime",
    argv,
    connect=lambda _i, _m, _n: Code('return [|""|]', pos("lib/devices/argv.ml", 6)),
    doc="An empty command line (twin of ``Mirage.no_argv``).",
)


def _bootvar(sublib: str) -> Impl:
    return impl(
        "Mirage_bootvar",
        argv,
        packages=[package("mirage-bootvar", min="1.0.0", max="2.0.0", sublibs=["", sublib])],
        connect=lambda _i, _m, _n: Code("return (Mirage_bootvar.argv ())", pos("lib/devices/argv.ml", 15)),
        doc=f"The boot command line, read by mirage-bootvar.{sublib}.",
    )


_argv_unix, _argv_solo5, _argv_xen = _bootvar("unix"), _bootvar("solo5"), _bootvar("xen")
M = Key.Mode
default_argv = match_impl(
    Key.target.value(),
    [
        (M.XEN, _argv_xen),
        (M.QUBES, _argv_xen),
        (M.VIRTIO, _argv_solo5),
        (M.HVT, _argv_solo5),
        (M.MUEN, _argv_solo5),
        (M.GENODE, _argv_solo5),
        (M.SPT, _argv_solo5),
    ],
    default=_argv_unix,
)

# -- reporter -------------------------------------------------------------------

_LEVELS = {
    "error": "(Some Logs.Error)",
    "warning": "(Some Logs.Warning)",
    "info": "(Some Logs.Info)",
    "debug": "(Some Logs.Debug)",
    "app": "(Some Logs.App)",
    None: "None",
}


def default_reporter(level: object = "info") -> Impl:
    """Twin of ``default_reporter ?level ()``: mirage-logs, its level set by ``-l``."""
    # config.ml passes Logs' constructors (``Some Logs.Debug`` reaches Python as ``Debug``)
    name = level if isinstance(level, str) or level is None else getattr(level, "name", level)
    lvl = name.lower() if isinstance(name, str) else name
    if lvl not in _LEVELS:
        raise ConfigError(
            f"default_reporter: unknown log level {level!r}; expected one of error, warning, info, debug, app or None"
        )

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (logs,) = expect(names, 1, "log")
        # @[<v 2>...@ ...@]: a vertical box, continuation lines indented by two.
        return Code(
            f"let reporter = {modname}.create () in\n"
            f"  Mirage_runtime.set_level ~default:{_LEVELS[lvl]} {logs};\n"
            "  Logs.set_reporter reporter;\n"
            "  Lwt.return reporter",
            pos("lib/devices/reporter.ml", 20),
        )

    return impl(
        "Mirage_logs",
        reporter,
        packages=[package("mirage-logs", min="3.0.0", max="4.0.0")],
        runtime_args=[Runtime_arg.logs],
        connect=connect,
        doc="The log reporter of mirage-logs (twin of ``Mirage.default_reporter``).",
    )


no_reporter = impl(
    "Mirage_runtime",
    reporter,
    connect=lambda _i, _m, _n: Code("assert false", pos("lib/devices/reporter.ml", 29)),
    doc="No log reporter: ``register`` leaves it out (twin of ``Mirage.no_reporter``).",
)

# -- sleep, ptime, mtime, random ---------------------------------------------------


def _by_target(make) -> Impl:
    return if_impl(Key.is_unix, make("unix"), if_impl(Key.is_unikraft, make("unikraft"), make("solo5")))


def _clock(module: str, pkg: str, lo: str, hi: str, what: str):
    def make(sublib: str) -> Impl:
        return impl(
            module,
            job,
            packages=[package(pkg, min=lo, max=hi, sublibs=["", sublib])],
            doc=f"{what} ({pkg}.{sublib}).",
        )

    return make


_sleep = _clock("Mirage_sleep", "mirage-sleep", "4.1.0", "5.0.0", "Sleeping")
_ptime = _clock("Mirage_ptime", "mirage-ptime", "5.1.0", "6.0.0", "The wall clock")
_mtime = _clock("Mirage_mtime", "mirage-mtime", "5.2.0", "6.0.0", "The monotonic clock")

default_sleep = _by_target(_sleep)
no_sleep = impl("Mirage_runtime", sleep)
default_ptime = _by_target(_ptime)
no_ptime = impl("Mirage_runtime", ptime)
mock_ptime = _ptime("mock")
default_mtime = _by_target(_mtime)
no_mtime = impl("Mirage_runtime", mtime)
mock_mtime = _mtime("mock")

default_random = impl(
    "Mirage_crypto_rng_mirage",
    random,
    packages=[package("mirage-crypto-rng-mirage", min="2.0.0", max="3.0.0")],
    connect=lambda _i, m, _n: Code(
        f"{m}.initialize (module Mirage_crypto_rng.Fortuna)", pos("lib/devices/random.ml", 13)
    ),
    doc="The Fortuna random generator of mirage-crypto-rng.",
)
no_random = impl("Mirage_runtime", random)

# -- init jobs of register ------------------------------------------------------------


def _delay_connect(_i: Info, _m: str, names: Sequence[str]) -> Code:
    (d,) = expect(names, 1, "delay_startup")
    return Code(f"Mirage_sleep.ns (Duration.of_sec {d})", pos("lib/mirage.ml", 277))


delay_startup = impl(
    "Mirage_runtime",
    delay,
    packages=[package("duration", max="1.0.0")],
    runtime_args=[Runtime_arg.delay],
    connect=_delay_connect,
    doc="Waits ``--delay`` seconds before the unikernel starts.",
)

unikernel_name = impl(
    "Mirage_runtime",
    job,
    connect=lambda i, _m, _n: Code(
        f"Mirage_runtime.set_name {quote(i.name)}; Lwt.return_unit", pos("lib/mirage.ml", 286)
    ),
    doc="Tells the runtime the unikernel's name.",
)

ocaml_runtime = impl(
    "Cmdliner_stdlib",
    job,
    packages=[package("cmdliner-stdlib", min="1.0.1", max="2.0.0")],
    runtime_args=[
        create_runtime_arg(
            pos("lib/mirage.ml", 391),
            "Cmdliner_stdlib.setup ~backtrace:(Some true) ~randomize_hashtables:(Some true) ()",
        )
    ],
    doc="The OCaml runtime's own boot options (backtraces, hash randomisation).",
)


def runtime_args(argv_impl: Impl) -> Impl:
    """Functoria's ``runtime_args argv``: parses the boot command line (``struct end``).

    Its configure hook writes the ``register_arg`` blocks into main.ml.
    """

    def configure(info: Info, fs) -> None:
        from mirage_nb.functoria.codegen import write_runtime_args

        write_runtime_args(info, fs, "Mirage_runtime")

    def connect(info: Info, _m: str, names: Sequence[str]) -> Code:
        (a,) = expect(names, 1, "keys")
        return Code(
            f"return Mirage_runtime.(with_argv (runtime_args ()) {quote(info.name)} {a})",
            pos("lib/functoria/job.ml", 47),
        )

    return impl(
        "struct end",
        job,
        packages=[package("mirage-runtime")],
        extra_deps=[argv_impl],
        connect=connect,
        configure=configure,
        doc="Parses the runtime arguments from the boot command line.",
    )
