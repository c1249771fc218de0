"""Twin of the ``Logs`` library with the mirage-logs reporter's exact line format.

mirage-logs (``src/mirage_logs.ml``) prints each message as::

    <Ptime.pp_rfc3339 ?tz_offset_s () now>:<tags> <Logs_fmt.pp_header> [<source>] @[<message>@]@.

on ``Format.err_formatter`` (stderr, 78 columns), e.g.
``2025-01-01T00:00:00Z: [INFO] [application] hello``. The header is
``[ERROR]``, ``[WARNING]``, ``[INFO]``, ``[DEBUG]``, and nothing for ``App``
(so an App line has two spaces after the colon). The timestamp is the
run's virtual ``Mirage_ptime.now ()`` with ``current_tz_offset_s ()``
(``Z`` for offset 0, ``-00:00`` when the offset is unknown).

Until the boot connects the reporter (the ``Mirage_logs`` device) messages
go nowhere, as with Logs' default no-op reporter. Levels are per run:
``Logs.set_level`` and ``Logs.Src.set_level`` change the current run only.

A message is given as in OCaml, ``Logs.info(lambda m: m("Returned %S", v))``,
or directly, ``Logs.info("Returned %S", v)``; a lone string without
arguments is printed as is (no ``%`` interpretation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.clocks import Mirage_ptime, Ptime
from mirage_nb.sim.fmt import Formatter, asprintf, fprintf
from mirage_nb.sim.run import LogRecord, TimelineEvent, current_run

__all__ = ["Level", "Src", "Logs", "level_of_string", "level_to_string", "REPORTER_KEY"]


class Level(IntEnum):
    """Twin of ``Logs.level``; a smaller value is more important."""

    App = 0
    Error = 1
    Warning = 2
    Info = 3
    Debug = 4


_NAMES = {Level.App: "app", Level.Error: "error", Level.Warning: "warning", Level.Info: "info", Level.Debug: "debug"}
_HEADERS = {Level.Error: "ERROR", Level.Warning: "WARNING", Level.Info: "INFO", Level.Debug: "DEBUG"}


def level_to_string(level: Level | None) -> str:
    """Twin of ``Logs.level_to_string``."""
    return "quiet" if level is None else _NAMES[level]


def level_of_string(s: str) -> Level | None:
    """Twin of ``Logs.level_of_string``; raises ``ValueError`` with Logs' message for an unknown level."""
    for lv, name in _NAMES.items():
        if s == name:
            return lv
    if s == "quiet":
        return None
    raise ValueError(f'"{s}": unknown log level')


@dataclass(frozen=True, slots=True)
class Src:
    """Twin of ``Logs.src``: a named log source (levels live in the run, not here)."""

    name: str
    doc: str = "undocumented"


_DEFAULT = Src("application", "The application log")

REPORTER_KEY = "logs.reporter"
"""``run.devices[REPORTER_KEY]``: a reporter that replaced mirage-logs' console one (``Logs.set_reporter``),
called as ``reporter(source_name, level, header, message)`` for each message that passes the levels."""


def _state() -> Any:
    return current_run().log_state


def _src_level(st: Any, src: Src) -> Level | None:
    if src.name in st.src_levels:
        return st.src_levels[src.name]
    return st.default_level


def _err_formatter(run: Any) -> Formatter:
    f = run.devices.get("_fmt_stderr")
    if f is None:
        f = Formatter(lambda s: run.write("stderr", s))
        run.devices["_fmt_stderr"] = f
    return f


_last_stamp: list[Any] = [None, ""]  # ((epoch, second, tz offset), its RFC 3339 text): one per second


def _timestamp(run: Any) -> str:
    """``Ptime.pp_rfc3339 ?tz_offset_s () (Mirage_ptime.now ())`` (whole seconds), made once per virtual second."""
    key = (run.epoch_s, run.now // 1_000_000_000, run.tz_offset_s)
    if _last_stamp[0] != key:
        _last_stamp[0] = key
        _last_stamp[1] = Ptime.to_rfc3339(Mirage_ptime.now(), tz_offset_s=run.tz_offset_s)
    return str(_last_stamp[1])


def _report(src: Src, level: Level, msgf: Any, args: tuple[Any, ...], header: str | None) -> None:
    run = current_run()
    st = run.log_state
    st.sources.setdefault(src.name, src)
    if not st.reporter:
        return
    threshold = _src_level(st, src)
    if threshold is None or level > threshold:
        return
    fmt, margs, mheader = _message(msgf, args)
    if mheader is not None:
        header = mheader
    other = run.devices.get(REPORTER_KEY)
    if other is not None:  # Logs.set_reporter to another reporter (a syslog one: sim/netdev/syslog.py)
        text = margs[0] if fmt is None else asprintf(fmt, *margs)
        other(src.name, level, header, text)
        run.logs.append(LogRecord(run.now, src.name, _NAMES[level], text))
        run.timeline.append(TimelineEvent(run.now, "log", f"{_NAMES[level]} [{src.name}] {text}"))
        return
    ppf = _err_formatter(run)
    start = len(run.console)
    # The prefix as one string (Format lays out text pieces without break hints the same, split or not).
    ts = _timestamp(run)
    if level == Level.App:
        tag = "" if header is None else f"[{header}] "
    else:
        tag = f"[{header if header is not None else _HEADERS[level]}]"
    ppf.string(f"{ts}: {tag} [{src.name}] ")
    ppf.open_box("b", 0)
    if fmt is None:
        ppf.string(margs[0])
    else:
        fprintf(ppf, fmt, *margs)
    ppf.close_box()
    ppf.newline()
    text = "\n".join(c.text for c in run.console[start:])
    prefix_end = text.find(f" [{src.name}] ")
    message = text[prefix_end + len(src.name) + 4 :] if prefix_end >= 0 else text
    record = LogRecord(run.now, src.name, _NAMES[level], message)
    run.logs.append(record)
    if run.instances:  # a run of several unikernels: each keeps its own records too
        run.instance.logs.append(record)
    run.timeline.append(TimelineEvent(run.now, "log", f"{_NAMES[level]} [{src.name}] {message}"))


def _message(msgf: Any, args: tuple[Any, ...]) -> tuple[str | None, tuple[Any, ...], str | None]:
    """The format, its arguments and the header of a message; format None means a literal string."""
    if callable(msgf):
        got: list[tuple[str, tuple[Any, ...], str | None]] = []

        def m(fmt: str, *margs: Any, header: str | None = None, tags: Any = None) -> None:
            got.append((fmt, margs, header))

        msgf(m)
        if len(got) != 1:
            raise SimulationError("a Logs message function must call its argument m(fmt, ...) exactly once")
        return got[0]
    if not isinstance(msgf, str):
        raise SimulationError(f"Logs expects a message string or a function m -> m(fmt, ...), got {msgf!r}")
    if args:
        return msgf, args, None
    return None, (msgf,), None


class _SrcApi:
    """Twin of ``Logs.Src``."""

    @staticmethod
    def create(name: str, doc: str = "undocumented") -> Src:
        src = Src(name, doc)
        from mirage_nb.sim.run import current_run as _cur

        run = _cur(optional=True)
        if run is not None:
            run.log_state.sources.setdefault(name, src)
        return src

    @staticmethod
    def name(src: Src) -> str:
        return src.name

    @staticmethod
    def doc(src: Src) -> str:
        return src.doc

    @staticmethod
    def level(src: Src) -> Level | None:
        return _src_level(_state(), src)

    @staticmethod
    def set_level(src: Src, level: Level | None) -> None:
        _state().src_levels[src.name] = level

    @staticmethod
    def list() -> list[Src]:
        st = _state()
        return [_DEFAULT] + [s for n, s in st.sources.items() if n != _DEFAULT.name]


class _Log:
    """What ``(val Logs.src_log src : Logs.LOG)`` gives: the logging functions bound to one source."""

    def __init__(self, src: Src) -> None:
        self.src = src

    def msg(self, level: Level, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, level, msgf, args, header)

    def app(self, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, Level.App, msgf, args, header)

    def err(self, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, Level.Error, msgf, args, header)

    def warn(self, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, Level.Warning, msgf, args, header)

    def info(self, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, Level.Info, msgf, args, header)

    def debug(self, msgf: Any, *args: Any, header: str | None = None) -> None:
        _report(self.src, Level.Debug, msgf, args, header)


# ``Logs.Src`` is the module of source functions below; annotations name the source type.
_Source = Src


class Logs:
    """Twin of the ``Logs`` module: ``Logs.info (fun m -> m "...")`` is ``Logs.info(lambda m: m("..."))``."""

    App = Level.App
    Error = Level.Error
    Warning = Level.Warning
    Info = Level.Info
    Debug = Level.Debug
    Src = _SrcApi
    default = _DEFAULT
    level_of_string = staticmethod(level_of_string)
    level_to_string = staticmethod(level_to_string)
    _default_log = _Log(_DEFAULT)

    @staticmethod
    def src_log(src: _Source) -> _Log:
        """Twin of ``Logs.src_log``: a module of logging functions for ``src``."""
        return _Log(src)

    @staticmethod
    def msg(level: Level, msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, level, msgf, args, header)

    @staticmethod
    def app(msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, Level.App, msgf, args, header)

    @staticmethod
    def err(msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, Level.Error, msgf, args, header)

    @staticmethod
    def warn(msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, Level.Warning, msgf, args, header)

    @staticmethod
    def info(msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, Level.Info, msgf, args, header)

    @staticmethod
    def debug(msgf: Any, *args: Any, src: _Source = _DEFAULT, header: str | None = None) -> None:
        _report(src, Level.Debug, msgf, args, header)

    @staticmethod
    def set_level(level: Level | None, all: bool = True) -> None:
        st = _state()
        st.default_level = level
        if all:
            st.src_levels.clear()

    @staticmethod
    def level() -> Level | None:
        return _state().default_level
