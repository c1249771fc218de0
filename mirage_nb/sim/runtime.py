"""Twin of ``Mirage_runtime``: boot arguments, the unikernel's name, exit hooks and exit codes.

``register_arg`` is called at the top level of a unikernel module, before
any run exists (as in OCaml, where it runs at module initialisation). It
returns a :class:`RuntimeArg`, a declaration that the boot collects from the
module; calling it inside the run gives the value parsed from the run's argv.
The arguments MirageOS itself registers (``-l/--logs``, ``--delay``,
``--name``, the OCaml runtime options of ``Cmdliner_stdlib``) are described
here as data, with their real names, sections and defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.cmdliner import Arg, ArgSpec, ConvError, ParseError, ParseHelp, ParseOk, parse
from mirage_nb.sim.logs import Level, level_of_string
from mirage_nb.sim.run import current_run

__all__ = [
    "RuntimeArg",
    "Mirage_runtime",
    "Stdlib",
    "LogThreshold",
    "log_threshold",
    "MIRAGE_ARGS",
    "with_argv",
    "set_level",
    "ARGUMENT_ERROR",
    "HELP_VERSION",
]

ARGUMENT_ERROR = 64
HELP_VERSION = 63

S_LOG = "LOG AND MONITORING OPTIONS"
S_COMMON = "COMMON OPTIONS"
S_OCAML = "OCAML RUNTIME OPTIONS"
S_DISK = "DISK OPTIONS"

LogThreshold = tuple[str | None, Level | None]
"""``(None, level)`` is ``(`All, level)``; ``("src", level)`` is ``(`Src "src", level)``."""


def _parse_threshold(s: str) -> LogThreshold:
    parts = s.split(":")

    def lvl(x: str) -> Level | None:
        try:
            return level_of_string(x)
        except ValueError as e:
            raise ConvError(str(e)) from None

    if len(parts) == 1:
        return (None, lvl(s))
    if len(parts) == 2 and parts[0] == "*":
        return (None, lvl(parts[1]))
    if len(parts) == 2:
        return (parts[0], lvl(parts[1]))
    raise ConvError(f"Can't parse log threshold: {s}")


def _show_threshold(t: LogThreshold) -> str:
    from mirage_nb.sim.logs import level_to_string

    src, lv = t
    return level_to_string(lv) if src is None else f"{src}:{level_to_string(lv)}"


log_threshold = Arg.conv(_parse_threshold, _show_threshold, "VALUE")


def _logs_spec() -> ArgSpec:
    doc = (
        "Be more or less verbose. $(docv) must be of the form $(b,*:info,foo:debug) means that that the "
        "log threshold is set to $(b,info) for every log sources but the $(b,foo) which is set to "
        "$(b,debug). The log level must be one of $(b,quiet), $(b,app), $(b,error), $(b,warning), $(b,info) "
        "or $(b,debug)."
    )
    return Arg.opt(Arg.list(log_threshold), [], Arg.info(["l", "logs"], doc=doc, docv="LEVEL", docs=S_LOG))


def _int_opt(name: str, doc: str) -> ArgSpec:
    return Arg.opt(Arg.some(Arg.int), None, Arg.info([name], doc=doc, docs=S_OCAML))


MIRAGE_ARGS: dict[str, ArgSpec] = {
    "logs": _logs_spec(),
    "delay": Arg.opt(Arg.int, 0, Arg.info(["delay"], doc="Delay n seconds before starting up", docs=S_COMMON)),
    "name": Arg.opt(
        Arg.some(Arg.string),
        None,
        Arg.info(
            ["name"],
            docs=S_COMMON,
            doc="Runtime name of the unikernel. Accessible with `Mirage_runtime.name` (), used for example by syslog",
            absent="defaults to the configuration-time name (first argument to `Mirage.register`)",
        ),
    ),
    "backtrace": Arg.opt(
        Arg.bool,
        True,
        Arg.info(
            ["backtrace"],
            docs=S_OCAML,
            doc="Trigger the printing of a stack backtrace when an uncaught exception aborts the unikernel.",
        ),
    ),
    "randomize-hashtables": Arg.opt(
        Arg.bool,
        True,
        Arg.info(["randomize-hashtables"], docs=S_OCAML, doc="Turn on randomization of all hash tables by default."),
    ),
    "allocation-policy": Arg.opt(
        Arg.some(Arg.enum([("next-fit", 0), ("first-fit", 1), ("best-fit", 2)])),
        None,
        Arg.info(["allocation-policy"], docs=S_OCAML, doc="The policy used for allocating in the OCaml heap."),
    ),
    "minor-heap-size": _int_opt("minor-heap-size", "The size of the minor heap (in words)."),
    "major-heap-increment": _int_opt("major-heap-increment", "The size increment for the major heap."),
    "space-overhead": _int_opt("space-overhead", "The percentage of live data of wasted memory."),
    "max-space-overhead": _int_opt(
        "max-space-overhead",
        "Heap compaction is triggered when the estimated amount of free memory is more than this percentage.",
    ),
    "gc-verbosity": _int_opt("gc-verbosity", "GC messages on standard error output."),
    "gc-window-size": _int_opt(
        "gc-window-size", "The size of the window used by the major GC for smoothing out variations in its workload."
    ),
    "custom-major-ratio": _int_opt(
        "custom-major-ratio",
        "Target ratio of floating garbage to major heap size for out-of-heap memory held by custom values.",
    ),
    "custom-minor-ratio": _int_opt(
        "custom-minor-ratio",
        "Bound on floating garbage for out-of-heap memory held by custom values in the minor heap.",
    ),
    "custom-minor-max-size": _int_opt(
        "custom-minor-max-size",
        "Maximum amount of out-of-heap memory for each custom value allocated in the minor heap.",
    ),
}
"""The runtime arguments MirageOS itself declares, by key name (``Mirage_runtime.logs`` is "logs")."""


class RuntimeArg:
    """What ``Mirage_runtime.register_arg`` returns: call it (inside the run) for the parsed value."""

    __slots__ = ("spec", "key")

    def __init__(self, spec: ArgSpec, key: str | None = None) -> None:
        if not isinstance(spec, ArgSpec):
            raise SimulationError(
                f"Mirage_runtime.register_arg expects an argument such as Arg.value(Arg.opt(...)), got {spec!r}"
            )
        self.spec = spec
        self.key = key or spec.info.names[-1]

    def __call__(self) -> Any:
        run = current_run()
        try:
            return run.args[id(self)]
        except KeyError:
            raise SimulationError(
                f"the runtime argument --{self.key} was read before the boot parsed the command line "
                '(Mirage_runtime: "Called too early. Please delay this call to after the start function '
                'of the unikernel."); is it declared at the top level of the unikernel module?'
            ) from None

    def __repr__(self) -> str:
        return f"<runtime arg {', '.join(self.spec.info.opt_names)}>"


def with_argv(run: Any, name: str, args: Sequence[RuntimeArg]) -> None:
    """Parse the run's argv against ``args`` (the boot's ``Mirage_runtime.with_argv``); may exit the run."""
    outcome = parse(name, [a.spec for a in args], run.argv)
    match outcome:
        case ParseOk(values):
            for a, v in zip(args, values, strict=True):
                run.args[id(a)] = v
        case ParseHelp(text):
            run.write("stdout", text)
            run.exit(HELP_VERSION)
        case ParseError(text):
            run.write("stderr", text)
            run.exit(ARGUMENT_ERROR)


def set_level(run: Any, default: Level | None, thresholds: Sequence[LogThreshold]) -> None:
    """Twin of ``Mirage_runtime.set_level ~default``: apply ``-l`` thresholds to the run's log sources."""
    st = run.log_state
    # the first `All threshold wins (List.find), as in Mirage_runtime.set_level
    alls = [lv for src, lv in thresholds if src is None]
    if alls:
        default = alls[0]
    st.default_level = default
    st.src_levels.clear()
    known = {"application"} | set(st.sources)
    for src, lv in thresholds:
        if src is None:
            continue
        if src in known:
            st.src_levels[src] = lv
        else:
            run.write("stdout", f"WARNING: {src} is not a valid log source.\n")


class Mirage_runtime:
    """Twin of ``Mirage_runtime``."""

    argument_error = ARGUMENT_ERROR
    help_version = HELP_VERSION

    @staticmethod
    def register_arg(spec: ArgSpec) -> RuntimeArg:
        """Declare a boot argument; keep the result at the top level of the unikernel module."""
        return RuntimeArg(spec)

    register = register_arg

    @staticmethod
    def name() -> str:
        run = current_run()
        return run.runtime_name or "no-name"

    @staticmethod
    def at_exit(hook: Callable[[], Any]) -> None:
        """Register a hook run before the unikernel exits; the first registered runs last."""
        current_run().exit_hooks.append(hook)


class Stdlib:
    """The OCaml standard library functions a unikernel uses: ``exit`` and ``failwith``."""

    @staticmethod
    def exit(code: int) -> None:
        current_run().exit(code)

    @staticmethod
    def failwith(msg: str) -> None:
        raise Failure(msg)


class Failure(Exception):
    """Twin of OCaml's ``Failure`` exception (raised by ``failwith``)."""
