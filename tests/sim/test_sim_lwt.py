"""The scheduler and the Lwt combinators: ordering, ties, cancellation, pick, autojump, limits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import SimulationError
from mirage_nb.sim import lwt as Lwt
from mirage_nb.sim.run import Run, Stopped, current_run

durations = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30)


def drive(main: Any, **kw: Any) -> Any:
    return Run(**kw).run(main)


@given(durations)
def test_sleeps_wake_in_deadline_order_ties_by_creation(ds: list[int]) -> None:
    woke: list[tuple[int, int]] = []

    async def main() -> None:
        run = current_run()

        async def sleeper(i: int, d: int) -> None:
            await run.sleep_ns(d)
            woke.append((run.now, i))

        await Lwt.join([sleeper(i, d) for i, d in enumerate(ds)])

    r = drive(main)
    assert woke == sorted(((d, i) for i, d in enumerate(ds)))
    assert r.end_ns == max(ds)  # autojump: virtual time ends at the last deadline, no real waiting
    assert r.exit_code == 0 and r.stopped is Stopped.FINISHED


@given(durations, st.data())
def test_cancelled_sleeps_never_fire_and_fail_with_canceled(ds: list[int], data: st.DataObject) -> None:
    cancel_mask = data.draw(st.lists(st.booleans(), min_size=len(ds), max_size=len(ds)))
    fired: list[int] = []
    states: dict[int, Any] = {}

    async def main() -> None:
        run = current_run()
        ps = [run.sleep_ns(d + 1) for d in ds]
        for i, p in enumerate(ps):
            p._on_resolve(lambda _p, i=i: fired.append(i) if Lwt.state(_p) == Lwt.Return(None) else None)
        for i, c in enumerate(cancel_mask):
            if c:
                Lwt.cancel(ps[i])
        await run.sleep_ns(100)
        states.update({i: Lwt.state(p) for i, p in enumerate(ps)})

    drive(main)
    assert sorted(fired) == [i for i, c in enumerate(cancel_mask) if not c]
    for i, c in enumerate(cancel_mask):
        if c:
            assert isinstance(states[i], Lwt.Fail) and isinstance(states[i].exn, Lwt.Canceled)
        else:
            assert states[i] == Lwt.Return(None)


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12, unique=True))
def test_pick_returns_the_first_and_cancels_the_others(ds: list[int]) -> None:
    out: dict[str, Any] = {}

    async def main() -> None:
        run = current_run()
        tasks = []

        async def job(d: int) -> int:
            await run.sleep_ns(d)
            return d

        tasks = [Lwt.spawn(job(d)) for d in ds]
        out["v"] = await Lwt.pick(tasks)
        out["t"] = run.now
        out["states"] = [Lwt.state(t) for t in tasks]
        await run.sleep_ns(100)
        out["after"] = [Lwt.state(t) for t in tasks]

    drive(main)
    assert out["v"] == min(ds) and out["t"] == min(ds)
    for d, s in zip(ds, out["after"], strict=True):
        if d == min(ds):
            assert s == Lwt.Return(d)
        else:
            assert isinstance(s, Lwt.Fail) and isinstance(s.exn, Lwt.Canceled)


def test_choose_does_not_cancel_losers() -> None:
    out: list[Any] = []

    async def main() -> None:
        run = current_run()

        async def job(d: int) -> int:
            await run.sleep_ns(d)
            out.append(d)
            return d

        v = await Lwt.choose([job(5), job(3)])
        out.append(("chose", v))
        await run.sleep_ns(10)

    drive(main)
    assert out == [3, ("chose", 3), 5]


def test_pick_among_already_resolved_uses_the_seed() -> None:
    picks: list[Any] = []

    async def main() -> None:
        picks.append(await Lwt.pick([Lwt.return_(1), Lwt.return_(2), Lwt.return_(3)]))

    for seed in range(20):
        Run(seed=seed).run(main)
    assert set(picks) == {1, 2, 3}
    first = []
    for _ in range(2):
        picks.clear()
        for seed in range(20):
            Run(seed=seed).run(main)
        first.append(list(picks))
    assert first[0] == first[1]


def test_join_waits_for_all_then_fails_with_first_failure() -> None:
    events: list[Any] = []

    async def main() -> None:
        run = current_run()

        async def boom(d: int, msg: str) -> None:
            await run.sleep_ns(d)
            raise ValueError(msg)

        async def ok(d: int) -> None:
            await run.sleep_ns(d)
            events.append(("ok", run.now))

        try:
            await Lwt.join([boom(2, "first"), ok(5), boom(3, "second")])
        except ValueError as e:
            events.append((str(e), run.now))

    drive(main)
    assert events == [("ok", 5), ("first", 5)]


def test_both_gives_the_pair_and_wait_wakeup() -> None:
    got: list[Any] = []

    async def main() -> None:
        run = current_run()
        p, r = Lwt.wait()

        async def waker() -> None:
            await run.sleep_ns(7)
            Lwt.wakeup(r, "woken")

        Lwt.async_(waker)
        got.append(await Lwt.both(p, Lwt.return_(1)))
        got.append(run.now)
        Lwt.cancel(p)  # Lwt.wait promises are not cancelable: no effect
        got.append(Lwt.state(p))

    drive(main)
    assert got == [("woken", 1), 7, Lwt.Return("woken")]


def test_cancel_task_propagates_to_its_sleep_and_wait_is_not_cancelable() -> None:
    got: list[Any] = []

    async def main() -> None:
        run = current_run()
        p, _ = Lwt.wait()

        async def waiter() -> None:
            await p

        t = Lwt.spawn(waiter())
        Lwt.cancel(t)
        got.append(Lwt.state(t))
        s = Lwt.spawn(_sleeper(run))
        Lwt.cancel(s)
        got.append(type(Lwt.state(s)).__name__)

    drive(main)
    assert got[0] is Lwt.Sleep
    assert got[1] == "Fail"


async def _sleeper(run: Any) -> None:
    await run.sleep_ns(10)


def test_awaiting_asyncio_objects_is_a_clear_error() -> None:
    import asyncio

    async def main() -> None:
        await asyncio.sleep(0)

    # A mistake in the unikernel's Python, not something the unikernel did: raised to the caller.
    with pytest.raises(SimulationError, match="not a mirage_nb promise"):
        drive(main)


def test_runs_inside_a_running_asyncio_loop() -> None:
    import asyncio

    async def jupyter_cell() -> Any:
        async def main() -> None:
            await current_run().sleep_ns(5)

        return Run().run(main)

    r = asyncio.run(jupyter_cell())
    assert r.end_ns == 5 and r.exit_code == 0


def test_until_and_budget_stop_endless_runs_with_a_note() -> None:
    async def forever() -> None:
        run = current_run()
        while True:
            await run.sleep_ns(1000)

    r = drive(forever, until="10us")
    assert r.stopped is Stopped.UNTIL and r.end_ns == 10_000 and r.exit_code is None
    assert "until" in r.note
    r = drive(forever, max_events=50)
    assert r.stopped is Stopped.BUDGET and r.events == 50 and "budget" in r.note


def test_blocked_main_is_reported_not_hung() -> None:
    async def main() -> None:
        p, _ = Lwt.wait()
        await p

    r = drive(main)
    assert r.stopped is Stopped.BLOCKED and "nothing will ever resolve" in r.note


def test_uncaught_exception_and_exit_codes() -> None:
    async def bad() -> None:
        raise ValueError("oops")

    r = drive(bad)
    assert r.exit_code == 2 and r.stderr == ['Fatal error: exception ValueError("oops")']

    async def quits() -> None:
        current_run().exit(5)

    assert drive(quits).exit_code == 5


def test_async_failure_ends_the_run() -> None:
    async def main() -> None:
        run = current_run()

        async def bg() -> None:
            await run.sleep_ns(1)
            raise RuntimeError("background")

        Lwt.async_(bg)
        await run.sleep_ns(100)

    r = drive(main)
    assert r.exit_code == 2 and "background" in r.output and r.end_ns == 1


def test_combinator_input_errors() -> None:
    with pytest.raises(SimulationError):
        Lwt.spawn(42)  # type: ignore[arg-type]
    with pytest.raises(SimulationError):
        Lwt.fail("not an exception")  # type: ignore[arg-type]
    with pytest.raises(SimulationError):
        Run(argv="--hello x")  # type: ignore[arg-type]
    with pytest.raises(SimulationError):
        current_run()


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=15))
def test_same_program_same_timeline(spec: list[tuple[int, bool]]) -> None:
    def program() -> Any:
        async def main() -> None:
            run = current_run()

            async def step(i: int, d: int, pick: bool) -> None:
                await run.sleep_ns(d)
                run.write("stdout", f"{i} at {run.now}\n")
                if pick:
                    await Lwt.pick([run.sleep_ns(d), run.sleep_ns(d + 1)])

            await Lwt.join([step(i, d, p) for i, (d, p) in enumerate(spec)])

        return main

    a = Run(seed=3).run(program())
    b = Run(seed=3).run(program())
    assert a.timeline == b.timeline and a.console == b.console


def test_print_goes_to_the_unikernel_console() -> None:
    async def main() -> None:
        print("hello from print")
        await current_run().sleep_ns(3)
        print("a", "b", sep="-")

    r = drive(main)
    assert [(c.time_ns, c.stream, c.text) for c in r.console] == [
        (0, "stdout", "hello from print"),
        (3, "stdout", "a-b"),
    ]


steps = st.lists(st.tuples(st.integers(0, 20), st.none() | st.integers(0, 20)), max_size=6)


@settings(max_examples=200)
@given(st.lists(steps, min_size=1, max_size=8))
def test_timers_fire_in_deadline_then_creation_order_as_a_plain_model_says(scripts: list[list[Any]]) -> None:
    # Each process, at each resumption, makes one sleep (awaited) or two (raced with pick, the loser
    # cancelled). The model: a sorted list of (deadline, creation number) with cancelled entries skipped.
    woke: list[tuple[int, int, int]] = []

    async def main() -> None:
        run = current_run()

        async def proc(i: int, script: list[tuple[int, int | None]]) -> None:
            for k, (d1, d2) in enumerate(script):
                if d2 is None:
                    await run.sleep_ns(d1)
                else:
                    await Lwt.pick([run.sleep_ns(d1), run.sleep_ns(d2)])
                woke.append((run.now, i, k))

        await Lwt.join([proc(i, s) for i, s in enumerate(scripts)])

    r = drive(main)

    pending: list[tuple[int, int, int, int]] = []  # (deadline, creation number, process, step)
    cancelled: set[int] = set()
    seq = 0
    now = 0
    expected: list[tuple[int, int, int]] = []
    fired = 0

    def arm(i: int, k: int) -> None:
        nonlocal seq
        if k >= len(scripts[i]):
            return
        d1, d2 = scripts[i][k]
        mine = []
        for d in (d1, d2) if d2 is not None else (d1,):
            pending.append((now + d, seq, i, k))
            mine.append(seq)
            seq += 1
        pending.sort()
        racing[i] = mine

    racing: dict[int, list[int]] = {}
    for i in range(len(scripts)):
        arm(i, 0)
    while pending:
        t, s, i, k = pending.pop(0)
        if s in cancelled:
            continue
        fired += 1
        now = t
        cancelled.update(x for x in racing[i] if x != s)
        expected.append((now, i, k))
        arm(i, k + 1)
    assert woke == expected
    assert r.events == fired and r.end_ns == now
