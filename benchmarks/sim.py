"""Scheduler speed: events per second of mirage_nb's virtual-clock scheduler, a bare heapq loop and SimPy.

The same workload runs on all three in this process: ``PROCS`` processes that
each sleep ``SLEEPS`` times for a deterministic pseudo-random duration; an
event is one timer firing that resumes one process. The bare heapq loop
(generators resumed from a heap of deadlines) is the floor any such
scheduler pays; SimPy is the named peer. A "coroutine floor" (coroutines
awaiting a bare awaitable from a heapq loop, no promises) shows what any
coroutine-driven scheduler costs by itself: about half the bare loop's rate. Then the whole time to boot and run
the hello example (four log lines over three virtual seconds) is printed.

What the comparison holds: the bare loop's event is a heap pop, ``next`` on a
generator and a heap push. Ours does that job through ``async``/``await``
(what the coroutine floor costs) plus what Lwt's semantics need and the bare
loop does not have: every sleep is a promise (cancelable, passable to
``pick``/``join``), the waiting task is linked to it, and each event checks
for a cancelled sleep (lazy deletion), the ``until`` limit and the event
budget. No logging or console work is in the loop. So ``scheduler / heapq``
is the issue's figure, and ``scheduler / coroutine floor`` says what our
scheduler costs beyond the coroutine protocol any such scheduler pays.

Rates are in CPU time (``time.process_time``), so a busy machine does not
count its waits for a core against one of the loops.

Run: ``python benchmarks/sim.py``; the last line is
``scheduler: X events/s; heapq: Y events/s; simpy: Z events/s``.
"""

from __future__ import annotations

import heapq
import random
import statistics
import time
from collections.abc import Callable, Generator
from typing import Any

PROCS = 200
SLEEPS = 500
REPEAT = 7


def _delays() -> list[list[int]]:
    rng = random.Random(42)
    return [[rng.randint(1, 1000) for _ in range(SLEEPS)] for _ in range(PROCS)]


def bench_scheduler(delays: list[list[int]]) -> int:
    from mirage_nb.sim import lwt as Lwt
    from mirage_nb.sim.run import Run

    run = Run(max_events=10**9)
    sleep = run.sleep_ns

    async def proc(ds: list[int]) -> None:
        for d in ds:
            await sleep(d)

    async def main() -> None:
        await Lwt.join([proc(ds) for ds in delays])

    r = run.run(main)
    return r.events


def bench_heapq(delays: list[list[int]]) -> int:
    def proc(ds: list[int]) -> Generator[int, None, None]:
        yield from ds

    heap: list[tuple[int, int, Generator[int, None, None]]] = []
    seq = 0
    now = 0
    events = 0
    for ds in delays:
        g = proc(ds)
        d = next(g)
        heapq.heappush(heap, (now + d, seq, g))
        seq += 1
    while heap:
        t, _, g = heapq.heappop(heap)
        now = t
        events += 1
        try:
            d = next(g)
        except StopIteration:
            continue
        heapq.heappush(heap, (now + d, seq, g))
        seq += 1
    return events


class _Yield:
    """The cheapest awaitable: hands its delay to the driver."""

    __slots__ = ("d",)

    def __init__(self, d: int) -> None:
        self.d = d

    def __await__(self) -> Generator[int, None, None]:
        yield self.d


def bench_coroutine_floor(delays: list[list[int]]) -> int:
    """The floor of any coroutine scheduler: heapq of coroutines awaiting a bare awaitable (no promises)."""

    async def proc(ds: list[int]) -> None:
        for d in ds:
            await _Yield(d)

    heap: list[tuple[int, int, Any]] = []
    seq = now = events = 0
    for ds in delays:
        c = proc(ds)
        heapq.heappush(heap, (now + c.send(None), seq, c))
        seq += 1
    while heap:
        t, _, c = heapq.heappop(heap)
        now = t
        events += 1
        try:
            d = c.send(None)
        except StopIteration:
            continue
        heapq.heappush(heap, (now + d, seq, c))
        seq += 1
    return events


def bench_simpy(delays: list[list[int]]) -> int:
    import simpy

    env = simpy.Environment()
    count = [0]

    def proc(ds: list[int]) -> Generator[object, None, None]:
        for d in ds:
            yield env.timeout(d)
            count[0] += 1

    for ds in delays:
        env.process(proc(ds))
    env.run()
    return count[0]


def measure(f: Callable[[list[list[int]]], int], delays: list[list[int]]) -> float:
    # CPU time of this process: on a machine shared with other work, wall time counts the waits for a core.
    t0 = time.process_time()
    n = f(delays)
    dt = time.process_time() - t0
    assert n == PROCS * SLEEPS, (f.__name__, n)
    return n / dt


def hello_boot_ms() -> float:
    import contextlib
    import io
    from pathlib import Path

    from mirage_nb.loader import load_config

    with contextlib.redirect_stdout(io.StringIO()):  # the reader's "adding unit argument" notice
        app = load_config(str(Path(__file__).resolve().parents[1] / "mirage_nb" / "examples" / "hello" / "config.ml"))
    best = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        r = app.run()  # evaluate config.ml, load unikernel.py, boot: what a learner's re-run costs
        best = min(best, time.perf_counter() - t0)
        assert len(r.lines) == 4
    return best * 1000


def main() -> None:
    delays = _delays()
    try:
        import simpy  # noqa: F401

        peers: list[Callable[[list[list[int]]], int]] = [
            bench_scheduler,
            bench_heapq,
            bench_coroutine_floor,
            bench_simpy,
        ]
    except ImportError:
        peers = [bench_scheduler, bench_heapq, bench_coroutine_floor]
    # Rounds run the three back to back, so a busy machine slows all of them alike;
    # the ratios are the medians of the per-round ratios, the rates the best of the rounds.
    rates: dict[str, list[float]] = {f.__name__: [] for f in peers}
    for _ in range(REPEAT):
        for f in peers:
            rates[f.__name__].append(measure(f, delays))
    sched, bare = rates["bench_scheduler"], rates["bench_heapq"]
    ratio = statistics.median(s / b for s, b in zip(sched, bare, strict=True))
    print(f"workload: {PROCS} processes x {SLEEPS} sleeps = {PROCS * SLEEPS} events, {REPEAT} rounds")
    print(f"scheduler / heapq = {ratio:.2f} (median per round; 1.0 = as fast as the bare loop)")
    floor = statistics.median(c / b for c, b in zip(rates["bench_coroutine_floor"], bare, strict=True))
    print(f"coroutine floor / heapq = {floor:.2f} (coroutines awaiting a bare awaitable, no promises)")
    own = statistics.median(s / c for s, c in zip(sched, rates["bench_coroutine_floor"], strict=True))
    print(f"scheduler / coroutine floor = {own:.2f} (what promises, cancellation and limits cost on top)")
    simpy_text = "n/a (pip install simpy)"
    if "bench_simpy" in rates:
        simp = rates["bench_simpy"]
        print(f"scheduler / simpy = {statistics.median(s / p for s, p in zip(sched, simp, strict=True)):.2f}")
        simpy_text = f"{max(simp):.0f}"
    print(f"boot and run hello (4 lines, 3 virtual seconds): {hello_boot_ms():.2f} ms")
    print(f"scheduler: {max(sched):.0f} events/s; heapq: {max(bare):.0f} events/s; simpy: {simpy_text} events/s")


if __name__ == "__main__":
    main()
