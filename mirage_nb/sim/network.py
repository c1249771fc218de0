"""Several unikernels and scripted peers on virtual LANs, in one run: a small network to experiment with.

A :class:`Network` is a description, not a run: LANs, unikernels (each an
application the engine evaluates, with its own configure-time keys and boot
arguments) and scripted peers are added by name; :meth:`Network.run` makes a
fresh :class:`~mirage_nb.sim.run.Run` from it, so the same description runs
again with another seed and gives the same bytes for the same seed.

Each unikernel boots the graph the engine evaluated from its config
(:func:`~mirage_nb.sim.cli.nodes_of_graph`), with the network connectors; its
``Netif`` plugs into the LAN it was added to. The first unikernel added is the
run's main one: the run ends when its job returns (or at ``until``) and the
result's exit code is its. The others are booted beside it
(:func:`~mirage_nb.sim.netdev.kinds.attach_unikernel`), each parsing its own
boot arguments.

Limits, for now: all unikernels of a run write to **one console**, interleaved
in virtual time, as terminals side by side would show them, and a line's log
source (``[application]``) does not say which unikernel wrote it. The **log
levels** (``-l``) are the run's too: each unikernel's reporter sets them as it
boots, the added ones first and the main one last, so the main one's ``-l``
is in force once all have booted. (Telling the unikernels apart would mean
tracking the current unikernel on the scheduler's hot path.) Boot arguments,
configure-time keys, code and LAN are each unikernel's own. Run a unikernel
alone (``app.run``) when its console must be apart.
"""

from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mirage_nb.errors import SimulationError
from mirage_nb.sim.boot import DeviceNode, boot
from mirage_nb.sim.cli import configured_unikernel, nodes_of_graph, with_disks
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.kinds import NET_CONNECTORS, attach_unikernel
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.run import Run, RunResult

__all__ = ["Network", "NetworkResult", "UnikernelSpec", "PeerSpec"]

T = TypeVar("T")

Script = Callable[[Peer], Awaitable[Any]]
"""A peer's script: an async function of the peer (``async def talk(peer): ...``)."""


@dataclass(frozen=True)
class UnikernelSpec:
    """One unikernel of a network: the engine's nodes, its code, boot arguments, data directory and LAN."""

    name: str
    nodes: tuple[DeviceNode, ...]
    unikernel: Any
    argv: tuple[str, ...] = ()
    data_dir: str | None = None
    lan: str = "lan"
    app_name: str = "unikernel"


@dataclass(frozen=True)
class PeerSpec:
    """One scripted peer: its name, LAN, :class:`~mirage_nb.sim.netdev.peer.Peer` options and script."""

    name: str
    lan: str = "lan"
    options: Mapping[str, Any] = field(default_factory=dict)
    script: Script | None = None


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


@dataclass(frozen=True)
class NetworkResult:
    """What a network run did: the run (one console), the captures and device names per LAN, the peers."""

    run: RunResult
    captures: Mapping[str, bytes]
    names: Mapping[str, Mapping[str, str]]
    peers: Mapping[str, Peer]
    lans: Mapping[str, VirtualLan]

    @property
    def lines(self) -> list[str]:
        """The console's lines, every unikernel's, in virtual-time order."""
        return self.run.lines

    @property
    def output(self) -> str:
        return self.run.output

    @property
    def capture(self) -> bytes:
        """The pcap bytes of the only LAN (``captures[name]`` when there are several)."""
        if len(self.captures) != 1:
            raise SimulationError(
                "this run recorded "
                + (
                    f"{len(self.captures)} LANs ({', '.join(self.captures)}): use captures[name]"
                    if self.captures
                    else "no capture: run(pcap=True)"
                )
            )
        return next(iter(self.captures.values()))

    @property
    def lan_names(self) -> Mapping[str, str]:
        """MAC text -> device name (unikernels and peers by the names they were added under), all LANs."""
        out: dict[str, str] = {}
        for names in self.names.values():
            for mac, name in names.items():
                out.setdefault(mac, name)
        return out

    def __str__(self) -> str:
        return str(self.run)


class Network:
    """Unikernels and scripted peers on one or more virtual LANs; :meth:`run` boots them together.

    ``profile`` is the default link of the LAN called ``lan`` (made on first use);
    declare more LANs with :meth:`lan`.
    """

    def __init__(self, *, profile: LinkProfile | None = None) -> None:
        self._lans: dict[str, LinkProfile | None] = {}
        self._unikernels: dict[str, UnikernelSpec] = {}
        self._peers: dict[str, PeerSpec] = {}
        self._default_profile = profile

    def _taken(self, name: str) -> None:
        if not name or not isinstance(name, str):
            raise SimulationError(f"a network device needs a name (a non-empty string), got {name!r}")
        if name in self._unikernels or name in self._peers:
            raise SimulationError(f"the network already has a device named {name!r}")

    def lan(self, name: str, *, profile: LinkProfile | None = None) -> Network:
        """Declare the LAN ``name`` (``profile``: the default link of its ports). Returns the network."""
        if name in self._lans:
            raise SimulationError(f"the network already has a LAN named {name!r}")
        self._lans[name] = profile
        return self

    def _use_lan(self, lan: str) -> None:
        if lan not in self._lans:
            if lan != "lan":
                raise SimulationError(f"no LAN named {lan!r}; declare it first: network.lan({lan!r})")
            self._lans[lan] = self._default_profile

    def unikernel(
        self,
        name: str,
        app: Any,
        target: str | None = None,
        *,
        argv: Sequence[str] = (),
        lan: str = "lan",
        unikernel: Any = None,
        args: Sequence[str] = (),
        data_dir: str | None = None,
        disks: Mapping[str, bytes | bytearray] | None = None,
        **keys: Any,
    ) -> Network:
        """Add the unikernel ``app`` (an application) as ``name``, evaluated now with ``keys``; returns the network.

        ``keys`` and ``args`` are configure-time (``net="direct", no_dhcp=True``),
        ``argv`` the boot arguments (``["--ipv4=10.0.0.3/24"]``); ``unikernel``
        is its code (by default the ``unikernel.py`` beside its config), read
        again at each :meth:`run`.
        """
        if isinstance(argv, str):
            raise SimulationError(f"argv is a sequence of boot arguments, e.g. [{argv!r}], not a string")
        self._taken(name)
        self._use_lan(lan)
        configured, code, where = configured_unikernel(
            app, target, unikernel=unikernel, data_dir=data_dir, args=args, **keys
        )
        nodes = with_disks(nodes_of_graph(configured), disks)
        if not any(n.kind == "netif" for n in nodes) and len(self._lans) > 1:
            raise SimulationError(f"{name}: its graph has no Netif, so it cannot be put on LAN {lan!r}")
        self.add(UnikernelSpec(name, tuple(nodes), code, tuple(argv), where, lan, configured.app.name))
        return self

    def add(self, spec: UnikernelSpec) -> Network:
        """Add a unikernel from its boot nodes (what :meth:`unikernel` does after evaluating the config)."""
        if spec.name not in self._unikernels:
            self._taken(spec.name)
        self._use_lan(spec.lan)
        self._unikernels[spec.name] = spec
        return self

    def peer(self, name: str, script: Script | None = None, *, lan: str = "lan", **options: Any) -> Network:
        """Add a scripted peer ``name``: ``script(peer)`` runs in virtual time; ``options`` go to ``Peer``.

        ``options`` are :class:`~mirage_nb.sim.netdev.peer.Peer`'s (``cidr="10.0.0.1/24"``,
        ``dhcp=True``, ``profile=LinkProfile(...)``...). Returns the network.
        """
        self._taken(name)
        self._use_lan(lan)
        self._peers[name] = PeerSpec(name, lan, dict(options), script)
        return self

    @property
    def devices(self) -> list[str]:
        """The names of the unikernels, then of the peers, in the order they were added."""
        return [*self._unikernels, *self._peers]

    def run(
        self,
        *,
        seed: int = 0,
        until: int | float | str | None = None,
        pcap: bool = False,
        max_events: int = 10_000_000,
        on_lan: Callable[[str, VirtualLan], Any] | None = None,
    ) -> NetworkResult:
        """Boot everything on a fresh virtual clock; ``pcap=True`` records every LAN.

        ``on_lan(name, lan)`` is called for each LAN before anything boots (to
        attach a Linux bridge, say).
        """
        if not self._unikernels:
            raise SimulationError("the network has no unikernel: add one with network.unikernel(name, app)")
        main, *others = self._unikernels.values()
        run = Run(seed=seed, argv=main.argv, name=main.app_name, until=until, max_events=max_events)
        lans: dict[str, VirtualLan] = {}
        buffers: dict[str, io.BytesIO] = {}
        for name, profile in self._lans.items():
            buf = io.BytesIO() if pcap else None
            writer = PcapWriter(buf) if buf is not None else None
            if not lans:  # the first LAN is the run's own: the socket stack and Netif.connect find it there
                lan = VirtualLan.of_run(run, pcap=writer, profile=profile)
            else:
                lan = VirtualLan(run, pcap=writer, profile=profile)
            lans[name] = lan
            if buf is not None:
                buffers[name] = buf
        owners: dict[int, str] = {}
        peers: dict[str, Peer] = {}
        for peer in self._peers.values():
            p = Peer(lans[peer.lan], name=peer.name, **peer.options)
            peers[peer.name] = p
            owners[id(p)] = peer.name
            if peer.script is not None:
                script = peer.script

                def start(script: Script = script, p: Peer = p) -> Awaitable[Any]:
                    return script(p)

                p.script(start)
        if on_lan is not None:
            for name, lan in lans.items():
                on_lan(name, lan)

        def connectors(spec: UnikernelSpec) -> dict[str, Any]:
            async def netif(ctx: Any, node: DeviceNode) -> tuple[Any, Any]:
                value, module = await NET_CONNECTORS["netif"](
                    ctx, replace(node, params={**node.params, "lan": lans[spec.lan]})
                )
                owners[id(value)] = spec.name
                return value, module

            return {**NET_CONNECTORS, "netif": netif}

        for spec in others:
            attach_unikernel(
                lans[spec.lan],
                spec.nodes,
                _fresh(spec.unikernel),
                argv=spec.argv,
                data_dir=spec.data_dir,
                connectors=connectors(spec),
            )
        result = boot(
            list(main.nodes), _fresh(main.unikernel), run=run, data_dir=main.data_dir, connectors=connectors(main)
        )
        names = {
            name: {
                _mac_text(mac): owners[id(p.owner)]
                for p in lan.ports
                if id(p.owner) in owners and (mac := _mac_of(p.owner)) is not None
            }
            for name, lan in lans.items()
        }
        return NetworkResult(result, {k: b.getvalue() for k, b in buffers.items()}, names, peers, lans)

    def run_bridged(
        self,
        linux: Callable[[Any], T],
        *,
        lan: str = "lan",
        address: str = "10.0.0.1/24",
        seed: int = 0,
        until: int | float | str | None = "120s",
    ) -> Any:
        """Run the network with LAN ``lan`` bridged to a Linux namespace, and ``linux(bridge)`` beside it.

        The Linux side has ``address``; the run is paced to real time and ends
        when ``linux`` returns (or at ``until``). Returns a
        :class:`~mirage_nb.sim.netdev.bridge.BridgedResult`: the run's result
        and what ``linux`` returned. Needs root and ``/dev/net/tun``
        (:func:`~mirage_nb.sim.netdev.bridge.bridge_available` says why not).
        """
        from mirage_nb.sim.netdev.bridge import LinuxBridge

        self._use_lan(lan)
        bridge = LinuxBridge(address=address)

        def on_lan(name: str, v: VirtualLan) -> None:
            if name == lan:
                bridge.attach(v)

        return bridge.drive(lambda: self.run(seed=seed, until=until, on_lan=on_lan).run, linux)


def _mac_of(owner: Any) -> bytes | None:
    mac = getattr(owner, "mac_bytes", None)
    if mac is None and getattr(owner, "host", None) is not None:
        mac = owner.host.mac
    return bytes(mac) if isinstance(mac, bytes | bytearray) and len(mac) == 6 else None


def _fresh(unikernel: Any) -> Any:
    """The unikernel's code, loaded again from its file when it has one (runs do not share module state)."""
    from mirage_nb.sim.boot import load_unikernel

    f = getattr(unikernel, "__file__", None)
    if (
        isinstance(f, str)
        and os.path.isfile(f)
        and f.endswith(".py")
        and getattr(unikernel, "__name__", "").startswith("_mirage_nb_unikernel_")
    ):
        return load_unikernel(f)
    return unikernel
