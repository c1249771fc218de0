"""A run stepped from outside (Run.advance), and instances of a run of several (Run.add_instance, Run.start)."""

from __future__ import annotations

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.sim.run import Run, Stopped


def test_advance_fires_what_is_due_and_leaves_the_clock_at_the_step():
    run = Run()
    fired: list[int] = []
    for t in (5, 10, 30):
        run.sleep_ns(t)._on_resolve(lambda p, t=t: fired.append(run.now))
    assert run.advance(10) is Stopped.UNTIL and fired == [5, 10] and run.now == 10
    assert run.advance(100) is Stopped.BLOCKED and fired == [5, 10, 30] and run.now == 100
    with pytest.raises(SimulationError, match="already at 100"):
        run.advance(50)
    with pytest.raises(SimulationError, match="driven once"):
        run.run(lambda: None)


def test_advance_with_a_budget_stops_there():
    run = Run()

    def again(_p: object) -> None:
        run.sleep_ns(1)._on_resolve(again)

    run.sleep_ns(1)._on_resolve(again)
    assert run.advance(10**12, max_events=50) is Stopped.BUDGET and run.now == 50


def test_each_instance_has_its_own_console_and_exit():
    run = Run()
    a, b = run.add_instance("a"), run.add_instance("b")

    async def job_a() -> None:
        print("from a")
        await run.sleep_ns(10)
        run.exit(3)

    async def job_b() -> None:
        await run.sleep_ns(5)
        print("from b")
        await run.sleep_ns(20)
        print("b still here")

    run.start(a, job_a)
    run.start(b, job_b)
    with pytest.raises(SimulationError, match="already has"):
        run.add_instance("a")
    r = run.run_instances()
    assert r.instances["a"].lines == ["from a"] and r.instances["b"].lines == ["from b", "b still here"]
    assert r.lines == ["from a", "from b", "b still here"]
    assert [c.unikernel for c in r.console] == ["a", "b", "b"]
    assert (r.instances["a"].exit_code, r.instances["b"].exit_code, r.exit_code) == (3, 0, 3)
    assert r.stopped is Stopped.FINISHED and r.end_ns == 25


def test_a_run_widens_the_young_generation_and_gives_the_kernel_its_thresholds_back():
    import gc

    from mirage_nb.sim.run import RUN_GC_YOUNG, current_run

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def main() -> None:
        await current_run().sleep_ns(10)
        seen.append(gc.get_threshold())
        raise RuntimeError("boom")  # a failing unikernel restores them too

    Run().run(main)
    assert seen == [(RUN_GC_YOUNG, *before[1:])] and gc.get_threshold() == before
    gc.set_threshold(2 * RUN_GC_YOUNG, *before[1:])  # a learner's own wider setting is left alone
    try:
        seen.clear()
        Run().run(main)
        assert seen == [(2 * RUN_GC_YOUNG, *before[1:])]
    finally:
        gc.set_threshold(*before)
