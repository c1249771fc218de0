"""One simulated run: the virtual clock, the timer queue, the seeded RNG and what the unikernel printed.

The scheduler is trio's ``MockClock`` with autojump: nothing ever waits for
real time. Every pending sleep is an entry ``(deadline, seq, promise)`` in a
heap; when no coroutine can go on, the clock jumps to the earliest deadline
and that promise is fulfilled (its waiters run at once, as in Lwt). Ties on a
deadline are broken by ``seq``, the order in which the sleeps were made, so a
run depends on nothing but its inputs and its seed.

The loop is the simulator's hot path (``benchmarks/sim.py``): a cancelled
sleep stays in the heap and is dropped when it reaches the top; the fired
timer stays at the root while its coroutine runs, so the sleep that coroutine
makes next takes its place in one ``heapreplace``; the coroutine waiting on a
timer is resumed inline; and a run of one unikernel skips the ownership checks
a run of several needs.

The loop never touches asyncio and never blocks, so the same run works in a
script and inside a Jupyter cell. A run that would go on for ever stops at
``until`` (virtual nanoseconds) or after ``max_events`` scheduler events, and
its :class:`RunResult` says so in ``stopped``.

The MirageOS globals (``Mirage_sleep``, ``Logs``...) find the run through
:func:`current_run`, a ``ContextVar`` set while the run is being driven.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import _FULFILLED, _PENDING, _REJECTED, Promise, Task, _cancel_leaf, spawn

__all__ = [
    "Run",
    "RunResult",
    "ConsoleLine",
    "LogRecord",
    "TimelineEvent",
    "Instance",
    "InstanceResult",
    "Stopped",
    "UnikernelExit",
    "current_run",
    "DEFAULT_EPOCH_S",
    "parse_duration",
]

DEFAULT_EPOCH_S = 1_735_689_600
"""POSIX time of the virtual boot: 2025-01-01T00:00:00Z (``Mirage_ptime.now ()`` at t=0)."""


class Stopped(Enum):
    """Why a run ended."""

    FINISHED = "finished"  # the main job's promise resolved (or exit was called)
    UNTIL = "until"  # the virtual time limit was reached with work still pending
    BUDGET = "budget"  # the event budget was used up
    BLOCKED = "blocked"  # the main job waits on a promise nothing will ever resolve


@dataclass(frozen=True, slots=True)
class ConsoleLine:
    """One line the unikernel wrote: ``stream`` is ``stdout`` or ``stderr`` (where mirage-logs writes).

    ``unikernel`` is who wrote it: the name the unikernel (or peer) was added
    under in a run of several (:class:`Instance`), the run's name otherwise.
    """

    time_ns: int
    stream: str
    text: str
    unikernel: str = ""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One Logs message that passed the level filter, as data (the formatted line is in the console)."""

    time_ns: int
    source: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One thing that happened at a virtual time: ``kind`` is e.g. boot, connect, log, console, exit."""

    time_ns: int
    kind: str
    detail: str


@dataclass(frozen=True)
class InstanceResult:
    """What one unikernel (or peer) of a run of several did: its own console, logs and exit code."""

    name: str
    kind: str
    console: tuple[ConsoleLine, ...]
    logs: tuple[LogRecord, ...]
    exit_code: int | None
    note: str

    @property
    def lines(self) -> list[str]:
        """Its console lines in order, stdout and stderr interleaved."""
        return [c.text for c in self.console]

    @property
    def output(self) -> str:
        return "".join(c.text + "\n" for c in self.console)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: console lines, log records, exit code, end time and the timeline.

    ``console`` and ``logs`` hold every unikernel's, in virtual-time order;
    ``instances`` holds each one's own (by name) when the run had several.
    """

    console: tuple[ConsoleLine, ...]
    logs: tuple[LogRecord, ...]
    exit_code: int | None
    end_ns: int
    timeline: tuple[TimelineEvent, ...]
    stopped: Stopped
    note: str
    events: int
    seed: int
    instances: Mapping[str, InstanceResult] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        """Every console line in order, stdout and stderr interleaved as a terminal shows them."""
        return [c.text for c in self.console]

    @property
    def stdout(self) -> list[str]:
        return [c.text for c in self.console if c.stream == "stdout"]

    @property
    def stderr(self) -> list[str]:
        return [c.text for c in self.console if c.stream == "stderr"]

    @property
    def output(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    def __str__(self) -> str:
        code = "-" if self.exit_code is None else str(self.exit_code)
        return f"{self.output}[{self.stopped.value} at {self.end_ns} ns, exit {code}: {self.note}]"


class UnikernelExit(BaseException):
    """Raised by ``exit n`` inside the unikernel: unwinds every coroutine up to the run loop.

    A BaseException so that the unikernel's own ``except Exception`` cannot swallow it,
    as OCaml's ``exit`` cannot be caught by a ``try ... with _``.
    """

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("mirage_nb_run", default=None)


def current_run(*, optional: bool = False) -> Any:
    """The run being driven now; outside a run, a SimulationError (or None if ``optional``)."""
    run = _current.get()
    if run is None and not optional:
        raise SimulationError(
            "this MirageOS runtime call needs a running simulation: call it from the unikernel's "
            "start function while Run.run / boot drives it"
        )
    return run


_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "min": 60_000_000_000, "h": 3_600_000_000_000}


def parse_duration(x: int | float | str | None) -> int | None:
    """Nanoseconds from an int (ns), a float (seconds) or a string like ``"10s"``, ``"250ms"``, ``"2min"``."""
    if x is None:
        return None
    if isinstance(x, bool):
        raise SimulationError(f"a duration is expected, got {x!r}")
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return int(round(x * 1e9))
    s = str(x).strip()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if s.endswith(unit):
            num = s[: -len(unit)].strip()
            try:
                return int(round(float(num) * _UNITS[unit]))
            except ValueError:
                break
    raise SimulationError(f"cannot read the duration {x!r}: expected e.g. 10s, 250ms, 2min, 1h or 5000ns")


@dataclass
class _LogState:
    """Per-unikernel Logs configuration: levels and whether the mirage-logs reporter is installed."""

    reporter: bool = False
    default_level: str | None = "Warning"  # Logs' own default before mirage sets Info
    src_levels: dict[str, str | None] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)  # name -> Src, known to this unikernel


class Instance:
    """One unikernel's own part of a run: its name, boot arguments, console, logs, log levels and devices.

    A run drives one clock, one timer heap and one RNG for everything on it;
    what a unikernel owns (what it printed, its ``-l`` levels and reporter,
    its parsed boot arguments, its devices, its ``at_exit`` hooks) lives in
    its instance. ``Run.instance`` is the one whose code runs now: a timer
    fires in the instance that armed it, a frame is delivered in the
    instance that owns the LAN port (:mod:`mirage_nb.sim.netdev.lan`), so
    ``Logs``, ``print`` and ``Mirage_runtime`` calls find their own unikernel
    without being told. A run of one unikernel has one instance.

    ``label`` is the name it was added under (``server``), ``name`` the
    application's (``network``: the default of ``--name`` and of the boot's
    messages); ``kind`` is ``unikernel`` or ``peer``. Once ``ended`` (its job
    returned, it called ``exit``, or it failed) nothing of it runs any more:
    its timers are dropped and frames to its ports are not delivered, as a
    halted unikernel would.
    """

    def __init__(self, label: str, name: str, argv: Iterable[str] = (), kind: str = "unikernel") -> None:
        self.label = label
        self.name = name
        self.kind = kind
        self.argv = list(argv)
        self.console: list[ConsoleLine] = []
        self.logs: list[LogRecord] = []
        self.log_state = _LogState()
        self.args: dict[int, Any] = {}  # id(registered arg) -> parsed value
        self.devices: dict[str, Any] = {}
        self.exit_hooks: list[Callable[[], Any]] = []
        self.runtime_name: str | None = None
        self.partial: dict[str, str] = {"stdout": "", "stderr": ""}
        self.exit_code: int | None = None
        self.note = ""
        self.ended = False

    def result(self) -> InstanceResult:
        return InstanceResult(self.label, self.kind, tuple(self.console), tuple(self.logs), self.exit_code, self.note)

    def __repr__(self) -> str:
        return f"<Instance {self.kind} {self.label!r}{' ended' if self.ended else ''}>"


class Run:
    """One simulated execution: owns the clock, the queue, the RNG, the console and the timeline.

    ``argv`` are the unikernel's boot arguments (without the program name),
    ``until`` the virtual time limit, ``max_events`` the event budget,
    ``epoch_s`` the POSIX time at boot and ``tz_offset_s`` what
    ``Mirage_ptime.current_tz_offset_s ()`` returns (0 like a unix host on UTC;
    None like Solo5, whose log lines then end their timestamp in ``-00:00``).

    Several unikernels share a run through :meth:`add_instance` and
    :meth:`start` (what :class:`~mirage_nb.sim.network.Network` does); then
    :meth:`run_instances` drives them all.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        argv: Iterable[str] = (),
        name: str = "unikernel",
        until: int | float | str | None = None,
        max_events: int = 10_000_000,
        epoch_s: int = DEFAULT_EPOCH_S,
        tz_offset_s: int | None = 0,
        trace_timers: bool = False,
    ) -> None:
        if isinstance(argv, str):
            raise SimulationError("argv must be a list of arguments, e.g. ['--hello', 'Hi'], not one string")
        self.seed = seed
        self.until = parse_duration(until)
        self.max_events = max_events
        self.epoch_s = epoch_s
        self.tz_offset_s = tz_offset_s
        self.trace_timers = trace_timers
        self.rng = random.Random(seed)
        self.now = 0
        self.events = 0
        self._heap: list[tuple[int, int, Promise[Any]]] = []
        self._seqs = itertools.count()  # the order the sleeps were made in: ties on a deadline
        self._spent = False  # the heap's root is a timer that has fired: the next sleep replaces it
        self._ready: deque[Callable[[], None]] = deque()
        self.console: list[ConsoleLine] = []
        self.logs: list[LogRecord] = []
        self.timeline: list[TimelineEvent] = []
        self.instance = Instance(name, name, argv)
        self.instances: dict[str, Instance] = {}  # those added by add_instance, by label
        self._multi = False
        self._live = 0  # unikernels started by start() and not ended
        self._all_ended: Promise[None] | None = None
        self._exit_code: int | None = None
        self._async_failure: BaseException | None = None
        self._started = False
        if trace_timers:
            self.sleep_ns = self._sleep_traced  # type: ignore[method-assign]
        else:
            self.sleep_ns = self._sleep_fast()  # type: ignore[method-assign,assignment]

    # -- the current unikernel's own state ----------------------------------

    @property
    def name(self) -> str:
        return self.instance.name

    @property
    def argv(self) -> list[str]:
        return self.instance.argv

    @property
    def log_state(self) -> _LogState:
        return self.instance.log_state

    @property
    def args(self) -> dict[int, Any]:
        return self.instance.args

    @property
    def devices(self) -> dict[str, Any]:
        return self.instance.devices

    @property
    def exit_hooks(self) -> list[Callable[[], Any]]:
        return self.instance.exit_hooks

    @exit_hooks.setter
    def exit_hooks(self, hooks: list[Callable[[], Any]]) -> None:
        self.instance.exit_hooks = hooks

    @property
    def runtime_name(self) -> str | None:
        return self.instance.runtime_name

    @runtime_name.setter
    def runtime_name(self, name: str | None) -> None:
        self.instance.runtime_name = name

    # -- several unikernels -----------------------------------------------

    def add_instance(
        self, label: str, name: str | None = None, argv: Iterable[str] = (), kind: str = "unikernel"
    ) -> Instance:
        """A new unikernel (or peer) ``label`` in this run, with its own console, logs and boot arguments.

        Nothing runs in it until :meth:`within` or :meth:`start`. The run's own
        instance (``Run(name=...)``) stays for what belongs to no unikernel
        (LANs made before the boots, peers made by hand).
        """
        if isinstance(argv, str):
            raise SimulationError(f"argv must be a list of arguments, e.g. [{argv!r}], not one string")
        if label in self.instances:
            raise SimulationError(f"this run already has a unikernel or peer named {label!r}")
        if self._started:
            raise SimulationError("add the unikernels and peers of a run before driving it")
        if not self._multi:
            self._multi = True
            if not self.trace_timers:
                self.sleep_ns = self._sleep_owned  # type: ignore[method-assign]
        inst = Instance(label, name or label, argv, kind)
        self.instances[label] = inst
        return inst

    @contextlib.contextmanager
    def within(self, inst: Instance) -> Iterator[Instance]:
        """Run the block as ``inst``: what it prints, logs and arms belongs to ``inst``."""
        prev = self.instance
        self.instance = inst
        token = _current.set(self)
        try:
            yield inst
        finally:
            _current.reset(token)
            self.instance = prev

    def start(self, inst: Instance, job: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Start ``inst``'s job (its boot) when the run starts, in the order of the calls.

        The instance ends when the job returns (exit 0), calls ``exit n`` or fails
        (its console says ``Fatal error: exception ...``, exit 2).
        """
        if inst.label not in self.instances or inst.kind != "unikernel":
            raise SimulationError(f"{inst!r} is not a unikernel of this run: add it with run.add_instance first")
        self._live += 1

        def boot() -> None:
            with self.within(inst):
                try:
                    p = spawn(job(), f"{inst.label}.boot")
                except UnikernelExit as e:  # e.g. --help or a bad boot argument, before the first await
                    self._halt(inst, e.code, f"exit {e.code}")
                    return
            p._on_resolve(lambda q: self._job_done(inst, q))

        self._ready.append(boot)

    def _job_done(self, inst: Instance, p: Promise[Any]) -> None:
        if inst.ended:
            return
        if p._st == _REJECTED and isinstance(p._val, SimulationError):
            self._raise_soon(p._val)  # a mistake in what was run (not the unikernel failing): raised to the caller
            return
        if p._st == _REJECTED:
            self._fail(inst, p._val)
        else:
            self._halt(inst, 0, "the main job returned")

    def _fail(self, inst: Instance, exc: BaseException) -> None:
        """``inst`` failed with an uncaught exception: OCaml prints it on stderr and exits with 2."""
        with self.within(inst):
            self._flush_instance(inst)
            self.write("stderr", f"Fatal error: exception {_ocaml_exn(exc)}\n")
        self._halt(inst, 2, f"uncaught exception {type(exc).__name__}", hooks=False)

    def _halt(self, inst: Instance, code: int, note: str, *, hooks: bool = True) -> None:
        """End ``inst`` with exit ``code``: its ``at_exit`` hooks start, then nothing of it runs any more."""
        if inst.ended:
            return
        if hooks:
            with self.within(inst):
                # "The first hook registered will be executed last" (mirage_runtime.mli).
                pending, inst.exit_hooks = list(reversed(inst.exit_hooks)), []
                for hook in pending:
                    try:
                        spawn(hook(), "at_exit")
                    except UnikernelExit:
                        break
                self._flush_instance(inst)
        inst.ended = True
        inst.exit_code = code
        inst.note = note
        self.timeline.append(TimelineEvent(self.now, "exit", f"{inst.label}: {note}"))
        if inst.kind == "unikernel":
            self._live -= 1
            if self._live == 0 and self._all_ended is not None and self._all_ended._st == _PENDING:
                self._all_ended._resolve(None)

    # -- clock -------------------------------------------------------------

    def sleep_ns(self, n: int) -> Promise[None]:
        """A cancelable promise fulfilled ``n`` virtual nanoseconds from now (twin of ``Mirage_sleep.ns``)."""
        # Hot path: one call per sleep; a Promise subclass whose __init__ is already cancelable.
        p: Promise[None] = _Timer()
        # Stored on the instance, not left to the class defaults: the run loop reads both, and an
        # instance attribute is read several times faster than a class one (CPython 3.11).
        p._st = _PENDING
        p._cbs = None
        self._arm(p, n)
        return p

    def _arm(self, p: Promise[None], n: int) -> None:
        now = self.now
        entry = (now + n if n > 0 else now, next(self._seqs), p)
        if self._spent:
            self._spent = False
            heapq.heapreplace(self._heap, entry)
        else:
            _heappush(self._heap, entry)

    def _sleep_fast(self) -> Callable[[int], Promise[None]]:
        # sleep_ns as a closure over the heap and the counter (what a run of one unikernel uses):
        # a call then reads no attribute of the run but its clock.
        run = self
        heap = self._heap
        next_seq = self._seqs.__next__
        push = _heappush
        replace = heapq.heapreplace
        timer = _Timer

        def sleep_ns(n: int) -> Promise[None]:
            p: Promise[None] = timer()
            p._st = _PENDING
            p._cbs = None
            now = run.now
            if run._spent:
                run._spent = False
                replace(heap, (now + n if n > 0 else now, next_seq(), p))
            else:
                push(heap, (now + n if n > 0 else now, next_seq(), p))
            return p

        sleep_ns.__doc__ = Run.sleep_ns.__doc__
        return sleep_ns

    def _sleep_owned(self, n: int) -> Promise[None]:
        # sleep_ns once the run has several instances: the timer fires in the instance that armed it.
        p: Promise[None] = _Timer()
        p._st = _PENDING
        p._cbs = None
        p._owner = self.instance
        self._arm(p, n)
        return p

    def _sleep_traced(self, n: int) -> Promise[None]:
        p = self._sleep_owned(n) if self._multi else Run.sleep_ns(self, n)
        self.timeline.append(TimelineEvent(self.now, "sleep", f"until {self.now + max(n, 0)} ns"))
        return p

    def sleep_shared_ns(self, n: int) -> Promise[None]:
        """A sleep that belongs to the run, not to the instance current when it is made.

        In a run of several unikernels a sleep fires in the instance that made
        it, and not at all once that instance has ended (a halted unikernel's
        timers die with it). The network between them is nobody's: a LAN's or
        a router's wake-up must fire even when the unikernel whose frame armed
        it has ended since, or the frames it left on the wire never arrive.
        """
        return Run.sleep_ns(self, n)

    def pause(self) -> Promise[None]:
        """Twin of ``Lwt.pause``: fulfilled once the promises already due have run."""
        return self.sleep_ns(0)

    # -- console, logs, timeline ------------------------------------------

    def write(self, stream: str, text: str) -> None:
        """Append text to stdout or stderr; complete lines become console lines at the current time.

        The lines are the current instance's (its own console) and the run's (every instance's, in order).
        """
        inst = self.instance
        partial = inst.partial
        buf = partial[stream] + text
        *lines, rest = buf.split("\n")
        partial[stream] = rest
        for line in lines:
            c = ConsoleLine(self.now, stream, line, inst.label)
            inst.console.append(c)
            self.console.append(c)
            self.timeline.append(TimelineEvent(self.now, stream, line))

    def _flush_instance(self, inst: Instance) -> None:
        # OCaml flushes Format's std_formatter and err_formatter at exit.
        for key in ("_fmt_stdout", "_fmt_stderr"):
            f = inst.devices.get(key)
            if f is not None:
                f.flush()
        for stream, rest in inst.partial.items():
            if rest:
                c = ConsoleLine(self.now, stream, rest, inst.label)
                inst.console.append(c)
                self.console.append(c)
                inst.partial[stream] = ""

    def _flush_partial(self) -> None:
        for inst in (self.instance, *self.instances.values()):
            with self.within(inst):
                self._flush_instance(inst)

    def event(self, kind: str, detail: str) -> None:
        """Record a timeline event at the current virtual time (devices and the boot use this)."""
        self.timeline.append(TimelineEvent(self.now, kind, detail))

    def exit(self, code: int) -> None:
        """Twin of OCaml's ``exit code`` inside the unikernel: stops the run with that code."""
        raise UnikernelExit(code)

    def _raise_soon(self, exc: BaseException) -> None:
        def reraise() -> None:
            raise exc

        self._ready.append(reraise)

    def _async_done(self, p: Promise[Any]) -> None:
        if p._st == _REJECTED and isinstance(p._val, SimulationError) and self.instances:
            self._raise_soon(p._val)
            return
        if p._st == _REJECTED and self.instance.label in self.instances:
            # Lwt's default async_exception_hook ends the program: here, the unikernel (or peer) that failed.
            self._fail(self.instance, p._val)
            return
        if p._st == _REJECTED and self._async_failure is None:
            exc = p._val
            self._async_failure = exc

            def reraise() -> None:
                raise exc

            # Lwt's default async_exception_hook ends the program; we raise from the loop.
            self._ready.append(reraise)

    # -- driving -----------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> Promise[Any]:
        """Start a coroutine inside this run (Lwt.async without the failure hook)."""
        token = _current.set(self)
        try:
            return spawn(coro, name)
        finally:
            _current.reset(token)

    def run(self, main: Callable[[], Any] | Coroutine[Any, Any, Any] | Promise[Any]) -> RunResult:
        """Drive ``main`` (a coroutine, a coroutine function or a promise) to its end, or to a limit."""
        if self._started:
            raise SimulationError("a Run can be driven once; make a new Run(seed=...) for another run")
        self._started = True
        token = _current.set(self)
        try:
            # Python's print() inside the unikernel writes to the unikernel's console, like printf.
            with contextlib.redirect_stdout(_Console(self)):
                return self._drive(main)
        finally:
            _current.reset(token)

    def _drive(self, main: Any) -> RunResult:
        stopped = Stopped.FINISHED
        note = ""
        try:
            p = spawn(main() if callable(main) and not isinstance(main, Promise) else main, "main")
            stopped, note = self._loop(p)
            if stopped is Stopped.FINISHED:
                if self._async_failure is not None:
                    raise self._async_failure
                if p._st == _REJECTED:
                    raise p._val
                self._exit_code = 0
                note = "the main job returned"
                self._run_exit_hooks()
        except UnikernelExit as e:
            self._exit_code = e.code
            stopped = Stopped.FINISHED
            note = f"exit {e.code}"
            try:
                self._run_exit_hooks()
            except UnikernelExit:
                pass
        except SimulationError:
            raise
        except Exception as exc:
            # OCaml prints an uncaught exception on stderr and exits with 2.
            self._flush_partial()
            self.write("stderr", f"Fatal error: exception {_ocaml_exn(exc)}\n")
            self._exit_code = 2
            stopped = Stopped.FINISHED
            note = f"uncaught exception {type(exc).__name__}"
        return self._result(stopped, note)

    def _result(self, stopped: Stopped, note: str) -> RunResult:
        self._flush_partial()
        self.timeline.append(TimelineEvent(self.now, "end", note))
        return RunResult(
            console=tuple(self.console),
            logs=tuple(self.logs),
            exit_code=self._exit_code,
            end_ns=self.now,
            timeline=tuple(self.timeline),
            stopped=stopped,
            note=note,
            events=self.events,
            seed=self.seed,
            instances={k: v.result() for k, v in self.instances.items()},
        )

    def run_instances(self) -> RunResult:
        """Drive every instance :meth:`start` started, until all have ended or a limit is reached.

        A run of several unikernels ends when every unikernel has ended
        (``finished``), at ``until`` (``until``; when nothing is pending any more
        the clock goes on to ``until``, as idle machines would), after the event
        budget (``budget``), or, without ``until``, when nothing is pending at all
        (``blocked``: every unikernel waits on something nothing will resolve).
        Peers do not keep a run going by themselves once the unikernels have
        ended. The exit code is the first unikernel's; each one's is in
        :attr:`RunResult.instances`.
        """
        if self._started:
            raise SimulationError("a Run can be driven once; make a new Run(seed=...) for another run")
        self._started = True
        token = _current.set(self)
        try:
            with contextlib.redirect_stdout(_Console(self)):
                ended: Promise[None] = Promise()
                self._all_ended = ended
                if self._live == 0:
                    ended._resolve(None)
                stopped, note = self._loop(ended)
                if stopped is Stopped.FINISHED:
                    note = "every unikernel ended"
                elif stopped is Stopped.BLOCKED:
                    if self.until is not None:
                        self.now = max(self.now, self.until)
                        stopped = Stopped.UNTIL
                        note = f"stopped at until={self.until} ns (idle: nothing was pending)"
                    else:
                        note = "nothing is pending: the unikernels wait on promises nothing will resolve"
                first = next((i for i in self.instances.values() if i.kind == "unikernel"), None)
                self._exit_code = first.exit_code if first is not None else None
                return self._result(stopped, note)
        finally:
            _current.reset(token)

    def _run_exit_hooks(self) -> None:
        # "The first hook registered will be executed last" (mirage_runtime.mli).
        hooks = list(reversed(self.exit_hooks))
        self.exit_hooks = []
        for hook in hooks:
            p = spawn(hook(), "at_exit")
            self._loop(p)

    def _loop(self, main: Promise[Any]) -> tuple[Stopped, str]:
        """Fire timers until ``main`` resolves or a limit is hit; ``exit`` in one of several ends that one alone."""
        if not self._multi:
            return self._steps(main)
        while True:
            try:
                return self._steps(main)
            except UnikernelExit as e:
                inst = self.instance
                if inst.label not in self.instances or self.instances[inst.label] is not inst:
                    raise
                self._halt(inst, e.code, f"exit {e.code}")

    def advance(self, until: int | float | str, *, max_events: int | None = None) -> Stopped:
        """Drive the run from outside, in steps: fire every timer due by ``until``, then set the clock there.

        For sans-IO experiments and tests that act between steps (send a frame
        at 10 ms, look, go on to 100 ms) rather than from a coroutine;
        ``max_events`` bounds this step (``budget`` is returned when it is
        used up, the clock left where it was). A run driven this way is not
        driven by :meth:`run` as well. Returns why the step ended: ``until``
        (work remains after ``until``) or ``blocked`` (nothing is pending).
        """
        t = parse_duration(until)
        assert t is not None
        if t < self.now:
            raise SimulationError(f"advance({until!r}): the clock is already at {self.now} ns")
        self._started = True
        token = _current.set(self)
        budget = self.max_events
        if max_events is not None:
            self.max_events = self.events + max_events
        try:
            stopped, _note = self._steps(Promise(), t)
        finally:
            self.max_events = budget
            _current.reset(token)
        if stopped is not Stopped.BUDGET:
            self.now = max(self.now, t)
        return stopped

    def _steps(self, main: Promise[Any], until: int | None = None) -> tuple[Stopped, str]:
        """The hot loop: fire the earliest timer until ``main`` resolves or a limit is hit."""
        heap = self._heap
        ready = self._ready
        pop = heapq.heappop
        if until is None:
            until = self.until
        limit = until if until is not None else _NEVER
        budget = self.max_events
        events = self.events
        multi = self._multi  # fixed once driving starts (add_instance refuses after)
        if self._spent:  # driven from inside a task that a timer resumed: that timer has fired
            self._spent = False
            pop(heap)
        gc_thresholds = _young_generation_for_runs()
        try:
            while main._st == _PENDING:
                if ready:
                    ready.popleft()()
                    continue
                if not heap:
                    return Stopped.BLOCKED, (
                        "the main job waits on a promise that nothing will ever resolve (no timer is pending)"
                    )
                t, _seq, p = heap[0]  # the earliest timer stays at the root until it has fired
                if p._st:  # a cancelled sleep: dropped lazily
                    pop(heap)
                    continue
                if multi:  # a run of several unikernels: the timer fires in the one that armed it
                    o = p._owner
                    if o is not None:
                        if o.ended:
                            pop(heap)
                            continue
                        self.instance = o
                if t > limit:
                    self.now = max(self.now, limit)
                    return Stopped.UNTIL, f"stopped at until={limit} ns with work pending"
                if events >= budget:
                    return Stopped.BUDGET, f"stopped after the event budget of {budget} events"
                events += 1
                self.now = t
                # p._resolve(None), inlined: fulfil the sleep and run its waiters now, as Lwt does.
                # (A fired sleep keeps its _cbs: nothing reads them once it is resolved.)
                p._st = _FULFILLED
                cbs = p._cbs
                if type(cbs) is Task:
                    # Task._step inlined: the common case of one coroutine sleeping on this timer.
                    # The fired entry is still the heap's root: the first sleep made while the task
                    # runs takes its place (one heapreplace instead of a heappop and a heappush).
                    self._spent = True
                    coro = cbs._coro
                    try:
                        if coro is None:
                            continue
                        try:
                            y = coro.send(None)
                        except StopIteration as stop:
                            cbs._coro = None
                            cbs._waiting = None
                            cbs._resolve(stop.value)
                            continue
                        except Exception as exc:  # the coroutine failed: its task is rejected
                            cbs._coro = None
                            cbs._waiting = None
                            cbs._reject(exc)
                            continue
                    finally:
                        if self._spent:  # no sleep took the root's place: drop it
                            self._spent = False
                            pop(heap)
                    try:
                        ycbs = y._cbs
                    except AttributeError:
                        cbs._foreign(y)
                        continue
                    cbs._waiting = y
                    if ycbs is None and y._st == _PENDING:
                        y._cbs = cbs
                    else:
                        y._on_resolve(cbs)
                    continue
                pop(heap)
                if cbs is None:
                    continue
                if type(cbs) is list:
                    for cb in cbs:
                        cb(p)
                else:
                    cbs(p)
            return Stopped.FINISHED, ""
        finally:
            self.events = events
            if gc_thresholds is not None:
                gc.set_threshold(*gc_thresholds)


_heappush = heapq.heappush
_NEVER = 1 << 80

#: Allocations between two young-generation collections while a run is driven (CPython's default: 700).
RUN_GC_YOUNG = 100_000


def _young_generation_for_runs() -> tuple[int, int, int] | None:
    """Widen the garbage collector's young generation for the run loop; the old thresholds, to restore.

    A simulated network is the generational collector's worst case: every
    connection in flight (a thousand clients each waiting on a server) holds
    records that outlive a 700-allocation young generation but die a few
    virtual milliseconds later, so they are promoted and every few thousand
    packets a full collection walks the whole booted world (at 1,000
    unikernels, a third of the run's time). A young generation of 100,000
    allocations lets them die young; the thresholds are restored when the
    loop returns, so the learner's kernel keeps its own. ``None`` when they
    are already as wide (a nested loop, or a learner's own setting).
    """
    old = gc.get_threshold()
    if old[0] >= RUN_GC_YOUNG or not gc.isenabled():
        return None
    gc.set_threshold(RUN_GC_YOUNG, *old[1:])
    return old


class _Console:
    """A file-like stdout that appends to the run's console."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def write(self, s: str) -> int:
        self.run.write("stdout", s)
        return len(s)

    def flush(self) -> None:
        pass  # an int: int-int comparisons are faster than int-float


class _Timer(Promise[None]):
    """A sleep: a promise that is cancelable from birth (no constructor code on the hot path)."""

    _cancel = staticmethod(_cancel_leaf)

    def __await__(self) -> Iterator[Promise[None]]:  # type: ignore[override]
        # A sleep's value is always None: a tuple's iterator hands the timer to the task and, resumed,
        # ends without running Python code. A cancelled sleep is thrown into the coroutine by Task._step.
        return iter((self,))


def _ocaml_exn(exc: BaseException) -> str:
    """How OCaml prints an exception: ``Failure("msg")`` for failwith, else the Python name."""
    if type(exc).__name__ == "Failure":
        return f'Failure("{exc}")'
    if str(exc):
        return f'{type(exc).__name__}("{exc}")'
    return type(exc).__name__
