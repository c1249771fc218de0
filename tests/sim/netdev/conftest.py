"""Fixtures for the network device tests: a run with a LAN, and stacks connected inside it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.run import Run, RunResult


def _in_run(
    main: Callable[[VirtualLan], Coroutine[Any, Any, Any]],
    *,
    seed: int = 0,
    until: str | None = "600s",
    **lan_kw: Any,
) -> tuple[RunResult, VirtualLan]:
    run = Run(seed=seed, until=until)
    lan = VirtualLan.of_run(run, **lan_kw) if lan_kw else VirtualLan.of_run(run)
    result = run.run(lambda: main(lan))
    return result, lan


@pytest.fixture
def in_run() -> Callable[..., tuple[RunResult, VirtualLan]]:
    """``in_run(async main(lan), seed=, until=, pcap=, profile=)`` -> (RunResult, lan): main runs on a fresh LAN."""
    return _in_run
