"""The boot interface (the engine's device node lists, built with the DSL in sim_graphs) and determinism of runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sim_graphs import nodes as standard_nodes

import mirage_nb.mirage as M
from mirage_nb.errors import SimulationError
from mirage_nb.loader import load_config
from mirage_nb.sim.boot import DeviceNode, RuntimeArgRef, boot
from mirage_nb.sim.cli import with_disks
from mirage_nb.sim.clocks import Duration, Mirage_sleep
from mirage_nb.sim.logs import Logs
from mirage_nb.sim.rng import Mirage_crypto_rng

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"


def run_example(name: str, **opts: Any) -> Any:
    return load_config(str(EXAMPLES / name / "config.ml")).run(**opts)


def test_engine_nodes_follow_the_generated_main_ml_order() -> None:
    nodes = standard_nodes("hello")
    assert [n.id for n in nodes] == [
        "mirage_bootvar__1",
        "struct_end__2",
        "cmdliner_stdlib__3",
        "mirage_runtime__4",
        "mirage_logs__5",
        "mirage_sleep__6",
        "mirage_ptime__7",
        "mirage_mtime__8",
        "mirage_crypto_rng_mirage__9",
        "mirage_runtime__10",
        "unit__11",
        "unikernel__12",
        "mirage_runtime__13",
    ]
    assert nodes[-2].deps == ("unit__11",) and nodes[-2].kind == "job" and nodes[-1].kind == "noop"
    r = boot(nodes, {"__name__": "u", "start": _noop})
    connects = [e.detail for e in r.timeline if e.kind == "connect"]
    assert connects[0] == "mirage_bootvar__1 (Mirage_bootvar)"
    assert connects[-2:] == ["unikernel__12 (Unikernel)", "mirage_runtime__13 (Mirage_runtime)"]


async def _noop() -> None:
    return None


def test_functor_job_gets_modules_and_devices_in_order() -> None:
    seen: list[Any] = []

    class Main:
        def __init__(self, A: Any, B: Any) -> None:
            seen.append((repr(A), repr(B)))

        async def start(self, a: Any, b: Any) -> None:
            seen.append((type(a).__name__, type(b).__name__))

    nodes = standard_nodes("two", [M.block_of_file("disk.img"), M.kv_rw_mem()], job="Unikernel.Main")
    r = boot(with_disks(nodes, {"disk.img": bytes(4 * 512)}), {"__name__": "u", "Main": Main})
    assert r.exit_code == 0
    assert seen == [("<module Block : Mirage_block.S>", "<module Mirage_kv_mem : Mirage_kv>"), ("MemBlock", "MemKv")]


@pytest.mark.parametrize(
    "nodes, uk, message",
    [
        (None, {"__name__": "u"}, "has no start function"),
        ("functor", {"__name__": "u"}, "defines no Main"),
        (None, {"__name__": "u", "start": lambda x: x}, "takes 1 arguments but the job has 0 devices"),
    ],
)
def test_mistakes_in_the_unikernel_are_explained(nodes: Any, uk: dict[str, Any], message: str) -> None:
    if nodes == "functor":
        nodes = standard_nodes("x", [M.kv_rw_mem()], job="Unikernel.Main")
    with pytest.raises(SimulationError, match=message):
        boot(nodes or standard_nodes("x"), uk)


def test_node_validation() -> None:
    with pytest.raises(SimulationError, match="does not know"):
        boot([DeviceNode("x", "X", "teleporter")], {"__name__": "u"})
    with pytest.raises(SimulationError, match="needs a kind"):
        DeviceNode("x", "X", "")
    with pytest.raises(SimulationError, match="unique"):
        boot([DeviceNode("a", "A", "noop"), DeviceNode("a", "A", "noop")], {"__name__": "u"})
    with pytest.raises(SimulationError, match="needs the parameter 'dir'"):
        boot([DeviceNode("kv", "Kv", "kv_ro_crunch")], {"__name__": "u", "Main": object})
    with pytest.raises(SimulationError, match="is not defined"):
        boot([DeviceNode("a", "A", "argv", runtime_args=(RuntimeArgRef("Unikernel.nope"),))], {"__name__": "u"})


async def _random_start() -> None:
    for _ in range(5):
        Logs.info("%s", Mirage_crypto_rng.generate(4).hex())
        await Mirage_sleep.ns(Duration.of_ms(250))


def test_same_seed_same_run_different_seed_changes_only_random_parts() -> None:
    uk = {"__name__": "u", "start": _random_start}
    a = boot(standard_nodes("r"), uk, seed=1)
    b = boot(standard_nodes("r"), uk, seed=1)
    c = boot(standard_nodes("r"), uk, seed=2)
    assert a == b
    assert [x.time_ns for x in a.console] == [x.time_ns for x in c.console]
    prefix = [line.rsplit(" ", 1)[0] for line in a.lines]
    assert prefix == [line.rsplit(" ", 1)[0] for line in c.lines]
    assert a.lines != c.lines
    # device-less, randomness-free unikernels do not depend on the seed at all
    assert run_example("hello", seed=1).console == run_example("hello", seed=99).console


def test_examples_are_deterministic() -> None:
    for name in ("echo_server", "timeout2", "heads2"):
        assert run_example(name, seed=5) == run_example(name, seed=5)


def test_connectors_add_device_kinds() -> None:
    from mirage_nb.sim.boot import BootContext

    class Netif:
        def __repr__(self) -> str:
            return "<module Netif>"

    async def connect_netif(ctx: BootContext, node: DeviceNode) -> tuple[Any, Any]:
        return {"mac": node.params["mac"], "after": ctx.value("mirage_logs__5")}, Netif()

    seen: list[Any] = []

    class Main:
        def __init__(self, N: Any) -> None:
            seen.append(repr(N))

        async def start(self, net: Any) -> None:
            seen.append(net["mac"])

    nodes = [
        replace(n, params={"mac": "02:00"}) if n.kind == "netif" else n
        for n in standard_nodes("net", [M.netif("tap0")], job="Unikernel.Main")
    ]
    r = boot(nodes, {"__name__": "u", "Main": Main}, connectors={"netif": connect_netif})
    assert r.exit_code == 0 and seen == ["<module Netif>", "02:00"]
