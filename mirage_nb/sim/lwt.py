"""Promises and Lwt-named combinators over the simulator's virtual clock.

Twin of OCaml's ``Lwt``: a :class:`Promise` is pending (``Sleep``), fulfilled
(``Return v``) or rejected (``Fail exn``). As in Lwt, everything is eager:

- a coroutine handed to a combinator (or to :func:`async_`) starts at once and
  runs until its first ``await`` of a pending promise;
- resolving a promise runs its waiters immediately, in the order they began
  waiting (``Lwt.wakeup`` does the same), so a timer firing resumes the
  coroutine that slept on it inside the same scheduler event.

The scheduler never uses asyncio: a coroutine is stepped with ``coro.send``
and may only await promises of this module (``await`` of anything else is a
:class:`~mirage_nb.errors.SimulationError` thrown back into the coroutine).
That is what lets a run work both in a plain script and inside a Jupyter
cell whose asyncio loop is already running.

Cancellation follows Lwt: only promises made by :func:`task`, sleeps, tasks
(a coroutine being run) and combinator results are cancelable. Cancelling a
task cancels what it is waiting on; cancelling a combinator result cancels
its pending inputs; promises from :func:`wait` ignore :func:`cancel`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mirage_nb.errors import SimulationError

__all__ = [
    "Canceled",
    "Promise",
    "Task",
    "Resolver",
    "Sleep",
    "Return",
    "Fail",
    "State",
    "state",
    "return_",
    "return_unit",
    "fail",
    "wait",
    "task",
    "wakeup",
    "wakeup_exn",
    "cancel",
    "join",
    "all",
    "both",
    "pick",
    "choose",
    "async_",
    "spawn",
    "is_sleeping",
    "pause",
]

T = TypeVar("T")

_PENDING = 0
_FULFILLED = 1
_REJECTED = 2


class Canceled(Exception):
    """Twin of ``Lwt.Canceled``: a promise was cancelled with :func:`cancel`."""

    def __init__(self) -> None:
        super().__init__("Lwt.Canceled")


def _cancel_leaf(p: Promise[Any]) -> None:
    p._reject(Canceled())


class Promise(Generic[T]):
    """An Lwt promise: await it in a coroutine to get its value (or its exception).

    The attributes are private because the hot path of the scheduler reads
    them directly; use :func:`state` to inspect a promise.
    """

    # Class-level defaults instead of __init__ and __slots__: making a promise is on the hot path
    # (one per sleep), and a class call without a Python __init__ is about twice as fast.
    _st = _PENDING
    _val: Any = None
    # None, one callback, or a list of callbacks: most promises have one waiter.
    _cbs: Any = None
    # How to cancel: None means "not cancelable" (Lwt.wait), else a function of the promise.
    _cancel: Callable[[Promise[Any]], None] | None = None
    _sources: list[Promise[Any]] | None = None
    # A timer's instance (the unikernel that armed it) in a run of several: see sim/run.py.
    _owner: Any = None

    def __await__(self) -> Generator[Promise[T], None, T]:
        # A generator: CPython hands its return value back to the awaiting coroutine without
        # raising StopIteration, which is faster than a hand-written iterator.
        if self._st == _PENDING:
            yield self
        if self._st == _FULFILLED:
            return self._val
        if self._st == _PENDING:
            raise SimulationError("a coroutine was resumed while the promise it awaits is still pending")
        raise self._val

    def _on_resolve(self, cb: Callable[[Promise[Any]], None]) -> None:
        if self._st != _PENDING:
            cb(self)
            return
        cbs = self._cbs
        if cbs is None:
            self._cbs = cb
        elif type(cbs) is list:
            cbs.append(cb)
        else:
            self._cbs = [cbs, cb]

    def _fire(self) -> None:
        cbs = self._cbs
        if cbs is None:
            return
        self._cbs = None
        if type(cbs) is list:
            for cb in cbs:
                cb(self)
        else:
            cbs(self)

    def _resolve(self, value: Any) -> None:
        if self._st != _PENDING:
            raise SimulationError("a promise was resolved twice (Lwt raises Invalid_argument here)")
        self._st = _FULFILLED
        self._val = value
        if self._cbs is not None:
            self._fire()

    def _reject(self, exc: BaseException) -> None:
        if self._st != _PENDING:
            raise SimulationError("a promise was resolved twice (Lwt raises Invalid_argument here)")
        self._st = _REJECTED
        self._val = exc
        if self._cbs is not None:
            self._fire()

    def __repr__(self) -> str:
        return f"<Promise {state(self)!r}>"


class Task(Promise[T]):
    """A coroutine being run: the promise of its result (Lwt's bind chain)."""

    def __init__(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> None:
        self._coro: Coroutine[Any, Any, T] | None = coro
        self._waiting: Promise[Any] | None = None
        self.name = name or getattr(coro, "__qualname__", "task")
        self._cancel = _cancel_task
        self._step(None)

    def _step(self, p: Promise[Any] | None) -> None:
        # Hot path: one call per resumption of a coroutine.
        coro = self._coro
        if coro is None:
            return
        try:
            # A rejection is thrown in where the coroutine awaits (a sleep's iterator does not look itself).
            y = coro.throw(p._val) if p is not None and p._st == _REJECTED else coro.send(None)
        except StopIteration as stop:
            self._coro = None
            self._waiting = None
            self._resolve(stop.value)
            return
        except Exception as exc:  # the coroutine failed: the task is rejected, as Lwt does
            self._coro = None
            self._waiting = None
            self._reject(exc)
            return
        try:
            cbs = y._cbs
        except AttributeError:  # zero-cost when it is one of our promises
            self._foreign(y)
            return
        self._waiting = y
        if cbs is None and y._st == _PENDING:
            y._cbs = self
        else:
            y._on_resolve(self)

    # A task is itself the callback of the promise it awaits: no bound method to make, and the run
    # loop recognises a waiting coroutine by ``type(cb) is Task`` (see Run._steps).
    __call__ = _step

    def _foreign(self, y: object) -> None:
        err = SimulationError(
            f"coroutine {self.name} awaited {y!r}, which is not a mirage_nb promise: "
            "a simulated unikernel may only await Mirage_sleep, Lwt combinators and device calls "
            "(asyncio objects do not run on the virtual clock)"
        )
        coro = self._coro
        assert coro is not None
        try:
            y2 = coro.throw(err)
        except StopIteration as stop:
            self._coro = None
            self._resolve(stop.value)
            return
        except Exception as exc:
            self._coro = None
            self._reject(exc)
            return
        if not isinstance(y2, Promise):
            self._foreign(y2)
            return
        self._waiting = y2
        y2._on_resolve(self)


def _cancel_task(t: Promise[Any]) -> None:
    assert isinstance(t, Task)
    w = t._waiting
    if w is not None and w._st == _PENDING and w._cancel is not None:
        w._cancel(w)


def _cancel_sources(p: Promise[Any]) -> None:
    for s in p._sources or ():
        if s._st == _PENDING and s._cancel is not None:
            s._cancel(s)


@dataclass(frozen=True, slots=True)
class _SleepState:
    def __repr__(self) -> str:
        return "Sleep"


Sleep = _SleepState()
"""Twin of ``Lwt.Sleep``: the promise is still pending."""


@dataclass(frozen=True, slots=True)
class Return(Generic[T]):
    """Twin of ``Lwt.Return v``: the promise is fulfilled with ``value``."""

    value: T


@dataclass(frozen=True, slots=True)
class Fail:
    """Twin of ``Lwt.Fail exn``: the promise is rejected with ``exn``."""

    exn: BaseException


State = _SleepState | Return[Any] | Fail


def state(p: Promise[T]) -> State:
    """Twin of ``Lwt.state``: ``Sleep``, ``Return(v)`` or ``Fail(exn)``."""
    if p._st == _PENDING:
        return Sleep
    if p._st == _FULFILLED:
        return Return(p._val)
    return Fail(p._val)


def is_sleeping(p: Promise[Any]) -> bool:
    """Twin of ``Lwt.is_sleeping``."""
    return p._st == _PENDING


def return_(value: T) -> Promise[T]:
    """Twin of ``Lwt.return``: an already fulfilled promise."""
    p: Promise[T] = Promise()
    p._st = _FULFILLED
    p._val = value
    return p


def return_unit() -> Promise[None]:
    """Twin of ``Lwt.return_unit``."""
    return return_(None)


def fail(exn: BaseException) -> Promise[Any]:
    """Twin of ``Lwt.fail``: an already rejected promise."""
    if not isinstance(exn, BaseException):
        raise SimulationError(f"Lwt.fail expects an exception, got {exn!r}")
    p: Promise[Any] = Promise()
    p._st = _REJECTED
    p._val = exn
    return p


class Resolver(Generic[T]):
    """Twin of ``'a Lwt.u``: the right to resolve one promise."""

    __slots__ = ("promise",)

    def __init__(self, promise: Promise[T]) -> None:
        self.promise = promise


def wait() -> tuple[Promise[T], Resolver[T]]:
    """Twin of ``Lwt.wait``: a pending promise (not cancelable) and its resolver."""
    p: Promise[T] = Promise()
    return p, Resolver(p)


def task() -> tuple[Promise[T], Resolver[T]]:
    """Twin of ``Lwt.task``: like :func:`wait`, but :func:`cancel` rejects it with ``Canceled``."""
    p: Promise[T] = Promise()
    p._cancel = _cancel_leaf
    return p, Resolver(p)


def wakeup(r: Resolver[T], value: T) -> None:
    """Twin of ``Lwt.wakeup``: fulfil the promise now; its waiters run before this returns."""
    if r.promise._st != _PENDING:
        raise SimulationError("Lwt.wakeup: the promise is already resolved")
    r.promise._resolve(value)


def wakeup_exn(r: Resolver[Any], exn: BaseException) -> None:
    """Twin of ``Lwt.wakeup_exn``: reject the promise now."""
    if r.promise._st != _PENDING:
        raise SimulationError("Lwt.wakeup_exn: the promise is already resolved")
    r.promise._reject(exn)


def cancel(p: Promise[Any]) -> None:
    """Twin of ``Lwt.cancel``: reject a cancelable pending promise with ``Canceled``."""
    if p._st == _PENDING and p._cancel is not None:
        p._cancel(p)


Startable = Promise[T] | Coroutine[Any, Any, T] | Awaitable[T]


def spawn(x: Startable[T], name: str | None = None) -> Promise[T]:
    """Start a coroutine now (eagerly, as Lwt does) and return its promise; a promise is returned as is."""
    if isinstance(x, Promise):
        return x
    if hasattr(x, "send") and hasattr(x, "throw"):
        return Task(x, name)  # type: ignore[arg-type]
    raise SimulationError(f"expected a promise or a coroutine (the result of calling an async def), got {x!r}")


def _promises(ps: Iterable[Startable[Any]]) -> list[Promise[Any]]:
    return [spawn(p) for p in ps]


def join(ps: Iterable[Startable[Any]]) -> Promise[None]:
    """Twin of ``Lwt.join``: wait for all; if some fail, fail with the first rejection once all are done."""
    srcs = _promises(ps)
    res: Promise[None] = Promise()
    res._cancel = _cancel_sources
    res._sources = srcs
    pending = [sum(1 for s in srcs if s._st == _PENDING)]
    first_failure: list[BaseException] = [e._val for e in srcs if e._st == _REJECTED][:1]

    def done(p: Promise[Any]) -> None:
        if p._st == _REJECTED and not first_failure:
            first_failure.append(p._val)
        pending[0] -= 1
        if pending[0] == 0:
            _finish()

    def _finish() -> None:
        if first_failure:
            res._reject(first_failure[0])
        else:
            res._resolve(None)

    if pending[0] == 0:
        _finish()
    else:
        for s in srcs:
            if s._st == _PENDING:
                s._on_resolve(done)
    return res


def all(ps: Iterable[Startable[T]]) -> Promise[list[T]]:
    """Twin of ``Lwt.all``: like :func:`join` but fulfilled with the list of values."""
    srcs = _promises(ps)
    res: Promise[list[T]] = Promise()
    res._cancel = _cancel_sources
    res._sources = srcs
    j = join(srcs)

    def done(p: Promise[Any]) -> None:
        if p._st == _REJECTED:
            res._reject(p._val)
        else:
            res._resolve([s._val for s in srcs])

    j._on_resolve(done)
    return res


def both(a: Startable[Any], b: Startable[Any]) -> Promise[tuple[Any, Any]]:
    """Twin of ``Lwt.both`` (``<&>`` when the values are unit): both values, once both are resolved."""
    return _map(all([a, b]), tuple)


def _map(p: Promise[Any], f: Callable[[Any], Any]) -> Promise[Any]:
    res: Promise[Any] = Promise()
    res._cancel = _cancel_sources
    res._sources = [p]

    def done(q: Promise[Any]) -> None:
        if q._st == _REJECTED:
            res._reject(q._val)
        else:
            res._resolve(f(q._val))

    p._on_resolve(done)
    return res


def _choose_resolved(srcs: list[Promise[Any]]) -> Promise[Any]:
    from mirage_nb.sim.run import current_run

    ready = [s for s in srcs if s._st != _PENDING]
    if len(ready) == 1:
        return ready[0]
    # Lwt picks one of several already-resolved promises at random; ours comes from the run's seed.
    run = current_run(optional=True)
    i = run.rng.randrange(len(ready)) if run is not None else 0
    return ready[i]


def _copy_into(res: Promise[Any], p: Promise[Any]) -> None:
    if p._st == _REJECTED:
        res._reject(p._val)
    else:
        res._resolve(p._val)


def _first(ps: Iterable[Startable[Any]], *, cancel_others: bool, what: str) -> Promise[Any]:
    srcs = _promises(ps)
    if not srcs:
        raise SimulationError(f"Lwt.{what} needs at least one promise (Lwt raises Invalid_argument)")
    res: Promise[Any] = Promise()
    res._cancel = _cancel_sources
    res._sources = srcs
    if any(s._st != _PENDING for s in srcs):
        winner = _choose_resolved(srcs)
        if cancel_others:
            _cancel_sources(res)
        _copy_into(res, winner)
        return res

    decided: list[bool] = []

    def done(p: Promise[Any]) -> None:
        if decided:
            return
        decided.append(True)
        if cancel_others:
            for s in srcs:
                if s is not p and s._st == _PENDING and s._cancel is not None:
                    s._cancel(s)
        if res._st == _PENDING:
            _copy_into(res, p)

    for s in srcs:
        s._on_resolve(done)
    return res


def pick(ps: Iterable[Startable[T]]) -> Promise[T]:
    """Twin of ``Lwt.pick``: the first to resolve wins; all the others are cancelled."""
    return _first(ps, cancel_others=True, what="pick")


def choose(ps: Iterable[Startable[T]]) -> Promise[T]:
    """Twin of ``Lwt.choose``: the first to resolve wins; the others go on running."""
    return _first(ps, cancel_others=False, what="choose")


def async_(f: Callable[[], Startable[Any]] | Startable[Any]) -> None:
    """Twin of ``Lwt.async``: run in the background; a failure is reported by the run and ends it."""
    from mirage_nb.sim.run import current_run

    x = f() if callable(f) and not isinstance(f, Promise) else f
    p = spawn(x)
    run = current_run(optional=True)
    if run is not None:
        p._on_resolve(run._async_done)


def pause() -> Promise[None]:
    """Twin of ``Lwt.pause``: let the other promises due now run first."""
    from mirage_nb.sim.run import current_run

    return current_run().pause()
