"""Unikernels started and retired *during* a run: what an orchestrator (a VM spawner) does, in virtual time.

A :class:`~mirage_nb.sim.network.Network` boots its unikernels when the run
starts. An orchestrator starts new ones while the run goes on: a
:class:`Fleet` does that from a peer's script, on that peer's LAN::

    async def orchestrate(peer):
        fleet = Fleet(peer.lan)
        await Mirage_sleep.ns(Duration.of_sec(30))
        fleet.start("web2", example("web_server"), argv=["--ipv4=10.0.0.22/24"], net="direct", no_dhcp=True)
        ...
        fleet.retire("web2")

:meth:`Fleet.start` evaluates the application's config with the engine (the
same one path as ``app.run``: its keys, its ``unikernel.py`` loaded afresh)
and boots the graph into the running run at the current virtual time; it
shares the LAN, the clock and the console, as :class:`Network`'s unikernels
do. :meth:`Fleet.retire` destroys it as far as the network can tell: its
port is unplugged (nothing it sends arrives, nothing reaches it). Its
remaining tasks stay in the run, idle; a simulated unikernel cannot be
killed mid-await without failing the run, as an uncaught ``Lwt.Canceled``
would end a real one.

This module adds to :mod:`mirage_nb.sim.network` without changing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.cli import configured_unikernel, nodes_of_graph
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.kinds import NET_CONNECTORS, attach_unikernel
from mirage_nb.sim.netdev.lan import VirtualLan

__all__ = ["Fleet", "Instance"]

_UNPLUGGED = LinkProfile(loss=1.0)


@dataclass
class Instance:
    """One unikernel a :class:`Fleet` started: its name, when it started and (once retired) stopped, its ports."""

    name: str
    started_ns: int
    argv: tuple[str, ...]
    boot: Any = None
    stopped_ns: int | None = None
    netifs: list[Any] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.stopped_ns is None


class Fleet:
    """Start and retire unikernels on ``lan`` while its run goes on (from a peer's script)."""

    def __init__(self, lan: VirtualLan) -> None:
        if not isinstance(lan, VirtualLan):
            raise SimulationError(f"Fleet: expected a virtual LAN (a peer's .lan), got {type(lan).__name__}")
        self.lan = lan
        self.instances: dict[str, Instance] = {}

    def start(
        self,
        name: str,
        app: Any,
        target: str | None = None,
        *,
        argv: Sequence[str] = (),
        unikernel: Any = None,
        data_dir: str | None = None,
        **keys: Any,
    ) -> Instance:
        """Boot ``app`` as ``name`` now, with its configure-time ``keys`` and boot arguments ``argv``."""
        if not name or not isinstance(name, str):
            raise SimulationError(f"Fleet.start: a unikernel needs a name (a non-empty string), got {name!r}")
        if name in self.instances:
            raise SimulationError(f"Fleet.start: this fleet already started a unikernel named {name!r}")
        if isinstance(argv, str):
            raise SimulationError(f"argv is a sequence of boot arguments, e.g. [{argv!r}], not a string")
        configured, code, where = configured_unikernel(app, target, unikernel=unikernel, data_dir=data_dir, **keys)
        nodes = nodes_of_graph(configured)
        if not any(n.kind == "netif" for n in nodes):
            raise SimulationError(f"Fleet.start: {name} has no Netif in its graph, so it cannot join the LAN")
        inst = Instance(name, self.lan.run.now, tuple(argv))
        lan = self.lan

        async def netif(ctx: Any, node: Any) -> tuple[Any, Any]:
            from dataclasses import replace

            value, module = await NET_CONNECTORS["netif"](ctx, replace(node, params={**node.params, "lan": lan}))
            inst.netifs.append(value)
            if not inst.running:  # retired before its Netif came up
                self._unplug(value)
            return value, module

        self.instances[name] = inst
        inst.boot = attach_unikernel(
            lan, nodes, code, argv=argv, data_dir=where, connectors={**NET_CONNECTORS, "netif": netif}
        )
        return inst

    def retire(self, name: str) -> Instance:
        """Destroy ``name`` as the network sees it: unplug its port(s) now."""
        inst = self.instances.get(name)
        if inst is None:
            have = ", ".join(self.instances) or "none"
            raise SimulationError(f"Fleet.retire: no unikernel named {name!r} was started here (started: {have})")
        if not inst.running:
            raise SimulationError(f"Fleet.retire: {name} was already retired")
        inst.stopped_ns = self.lan.run.now
        for n in inst.netifs:
            self._unplug(n)
        return inst

    def _unplug(self, netif: Any) -> None:
        self.lan.switch.links[netif.port.index] = _UNPLUGGED

    @property
    def running(self) -> list[str]:
        """The names of the unikernels started and not retired, in the order they were started."""
        return [n for n, i in self.instances.items() if i.running]
