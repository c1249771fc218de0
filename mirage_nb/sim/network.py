"""Several unikernels and scripted peers on virtual LANs, in one run: a small network to experiment with.

A :class:`Network` is a description, not a run: LANs, unikernels (each an
application the engine evaluates, with its own configure-time keys and boot
arguments) and scripted peers are added by name; :meth:`Network.run` makes a
fresh :class:`~mirage_nb.sim.run.Run` from it, so the same description runs
again with another seed and gives the same bytes for the same seed.

Each unikernel boots the graph the engine evaluated from its config
(:func:`~mirage_nb.sim.cli.nodes_of_graph`), with the network connectors; its
``Netif`` plugs into the LAN it was added to.

**Each unikernel is its own machine** (a :class:`~mirage_nb.sim.run.Instance`
of the run): its own console, its own log levels and reporter (its ``-l``),
its own boot arguments, configure-time keys, code, devices and LAN. They
share the virtual clock, the RNG and the LANs. The result gives each one's
transcript (``result.console("server")``), every line in time order
(``result.lines``, as one terminal would show them) and the same lines with
the name of who wrote each (``result.transcript``, ``server | ...``).
A peer added with :meth:`Network.peer` is an instance too: what its script
prints is on its own console.

**When a run ends.** A unikernel ends when its job returns (exit 0), when it
calls ``exit n``, or when it fails (``Fatal error: exception ...`` on its
console, exit 2); from then on nothing of it runs (its timers are dropped, it
receives no frame) and the others go on. The run ends when every unikernel has
ended (``finished``), at ``until`` (``until``: an idle network stays up until
then), after ``max_events`` (``budget``), or, without ``until``, when nothing
at all is pending (``blocked``). ``result.exit_codes`` has each unikernel's
exit code; ``result.run.exit_code`` is the first one's.

**Routers.** :meth:`Network.router` joins LANs: ``Network().lan("a").lan("b")
.router("r", {"a": "10.0.0.1/24", "b": "10.0.1.1/24"})`` puts a router with
an interface on each (its address and prefix there); it forwards IPv4
between them (ARP on each side, TTL decremented, header checksum updated,
ICMP time exceeded when the TTL runs out), so a unikernel on ``a`` booted with
``--ipv4-gateway=10.0.0.1`` reaches a peer on ``b`` (``gateway="10.0.1.1"``).
``result.routers["r"]`` is the running router (its ``events``).

**The record.** ``result.record`` is the run's
:class:`~mirage_nb.sim.network_record.NetworkRecord`: each unikernel's
config, code, keys, target, boot arguments, disks and data files with their
digests (as a single run's record has them), the LANs, routers and peers
(their options and scripts, by name and source digest), the seed and the
limit. ``result.record.write("net.json")`` keeps it; a network run is not
replayed (its peers are Python functions), but
``NetworkRecord.read("net.json").check()`` names whatever changed since.

**Peers' failures.** A peer's script that fails (a refused ``connect``, a
bug) does not end the run: the exception is that peer's
(``result.errors["client"]``, ``peer.error``), its console says so, and the
rest of the network goes on.
"""

from __future__ import annotations

import io
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mirage_nb.errors import SimulationError
from mirage_nb.sim.boot import DeviceNode, boot_context, default_data_dir, files_loaded
from mirage_nb.sim.cli import configured_unikernel, nodes_of_graph, with_disks
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.kinds import NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.router import VirtualRouter
from mirage_nb.sim.network_record import (
    LanEntry,
    NetworkRecord,
    PeerEntry,
    RouterEntry,
    ScriptRef,
    UnikernelEntry,
    json_value,
)
from mirage_nb.sim.record import record_of
from mirage_nb.sim.run import ConsoleLine, LogRecord, Run, RunResult
from mirage_nb.sim.run_inputs import inputs_of

__all__ = ["Network", "NetworkResult", "UnikernelSpec", "PeerSpec", "RouterSpec"]

T = TypeVar("T")

Script = Callable[[Peer], Awaitable[Any]]
"""A peer's script: an async function of the peer (``async def talk(peer): ...``)."""


@dataclass(frozen=True)
class UnikernelSpec:
    """One unikernel of a network: the engine's nodes, its code, boot arguments, data directory and LAN.

    ``configured`` (the evaluated application, for its keys and target) and
    ``config`` (the config file it was read from) are what the run's record
    says of it; a unikernel made from hand-built nodes has neither.
    """

    name: str
    nodes: tuple[DeviceNode, ...]
    unikernel: Any
    argv: tuple[str, ...] = ()
    data_dir: str | None = None
    lan: str = "lan"
    app_name: str = "unikernel"
    configured: Any = field(default=None, compare=False, repr=False)
    config: str | None = None


@dataclass(frozen=True)
class PeerSpec:
    """One scripted peer: its name, LAN, :class:`~mirage_nb.sim.netdev.peer.Peer` options and script."""

    name: str
    lan: str = "lan"
    options: Mapping[str, Any] = field(default_factory=dict)
    script: Script | None = None


@dataclass(frozen=True)
class RouterSpec:
    """One router: its name and its interfaces (LAN name -> its address there, ``"10.0.0.1/24"``)."""

    name: str
    interfaces: Mapping[str, str]
    ttl_exceeded: bool = True


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


@dataclass(frozen=True)
class NetworkResult:
    """What a network run did: the run (every console), the captures and device names per LAN, the peers.

    ``console(name)`` is one unikernel's (or network peer's) transcript,
    ``lines`` everything in time order, ``transcript`` the same with who wrote
    each line; ``exit_codes`` and ``errors`` say how each ended; ``record``
    what the run was given (:class:`~mirage_nb.sim.network_record.NetworkRecord`).
    """

    run: RunResult
    captures: Mapping[str, bytes]
    names: Mapping[str, Mapping[str, str]]
    peers: Mapping[str, Peer]
    lans: Mapping[str, VirtualLan]
    routers: Mapping[str, VirtualRouter] = field(default_factory=dict)
    record: NetworkRecord | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> list[str]:
        """The console's lines, every unikernel's, in virtual-time order."""
        return self.run.lines

    def _instance(self, name: str) -> Any:
        inst = self.run.instances.get(name)
        if inst is None:
            raise SimulationError(
                f"no unikernel or peer named {name!r} in this run; it has {', '.join(self.run.instances) or 'none'}"
            )
        return inst

    def console(self, name: str) -> list[str]:
        """The console lines of the unikernel (or network peer) ``name``, stdout and stderr interleaved."""
        return self._instance(name).lines

    def console_lines(self, name: str) -> tuple[ConsoleLine, ...]:
        """The console of ``name`` with times and streams (:class:`~mirage_nb.sim.run.ConsoleLine`)."""
        return tuple(self._instance(name).console)

    def logs(self, name: str) -> tuple[LogRecord, ...]:
        """The log records of the unikernel ``name`` that passed its own level filter."""
        return tuple(self._instance(name).logs)

    @property
    def transcript(self) -> list[str]:
        """Every console line in virtual-time order, each after the name of who wrote it (``server | ...``)."""
        width = max((len(c.unikernel) for c in self.run.console), default=0)
        return [f"{c.unikernel.ljust(width)} | {c.text}" for c in self.run.console]

    @property
    def exit_codes(self) -> Mapping[str, int | None]:
        """Each unikernel's exit code (None: still running when the run stopped)."""
        return {k: v.exit_code for k, v in self.run.instances.items() if v.kind == "unikernel"}

    @property
    def errors(self) -> Mapping[str, Exception]:
        """The peers whose script failed, and how (the first failure of each)."""
        return {name: e for name, p in self.peers.items() if (e := getattr(p, "error", None)) is not None}

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
        self._routers: dict[str, RouterSpec] = {}
        self._default_profile = profile

    def _taken(self, name: str) -> None:
        if not name or not isinstance(name, str):
            raise SimulationError(f"a network device needs a name (a non-empty string), got {name!r}")
        if name in self._unikernels or name in self._peers or name in self._routers:
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
        config = getattr(app, "source_file", None)
        self.add(
            UnikernelSpec(name, tuple(nodes), code, tuple(argv), where, lan, configured.app.name, configured, config)
        )
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

    def router(self, name: str, interfaces: Mapping[str, str], *, ttl_exceeded: bool = True) -> Network:
        """Add a router ``name`` joining LANs: ``interfaces`` maps each LAN's name to the router's address there.

        ``network.lan("a").lan("b").router("r", {"a": "10.0.0.1/24", "b": "10.0.1.1/24"})``:
        it forwards IPv4 between the LANs (see :mod:`mirage_nb.sim.net.router`);
        hosts use its address on their LAN as their gateway. LANs named here
        and not declared yet are declared (as :meth:`lan` would, with the
        default link). ``ttl_exceeded=False``: packets whose TTL runs out are
        dropped silently. Returns the network.
        """
        self._taken(name)
        if not isinstance(interfaces, Mapping) or len(interfaces) < 2:
            raise SimulationError(
                f"router {name!r}: interfaces maps two LANs or more to its address on each, "
                f'like {{"a": "10.0.0.1/24", "b": "10.0.1.1/24"}}; got {interfaces!r}'
            )
        for lan, cidr in interfaces.items():
            if not isinstance(cidr, str):
                raise SimulationError(f"router {name!r}: its address on LAN {lan!r} is text like '10.0.0.1/24'")
        # Check the addresses now (the learner's mistake is reported where it is made).
        from mirage_nb.sim.net.router import Router, RouterInterface

        try:
            Router([RouterInterface.of_cidr(lan, bytes(6), cidr) for lan, cidr in interfaces.items()])
        except Exception as e:
            raise SimulationError(f"router {name!r}: {e}") from None
        for lan in interfaces:
            if lan not in self._lans:
                self._lans[lan] = self._default_profile if lan == "lan" else None
        self._routers[name] = RouterSpec(name, dict(interfaces), ttl_exceeded)
        return self

    @property
    def devices(self) -> list[str]:
        """The names of the unikernels, the peers, then the routers, in the order they were added."""
        return [*self._unikernels, *self._peers, *self._routers]

    def run(
        self,
        *,
        seed: int = 0,
        until: int | float | str | None = None,
        pcap: bool = False,
        max_events: int = 10_000_000,
        on_lan: Callable[[str, VirtualLan], Any] | None = None,
        opam_repository: str | None = None,
    ) -> NetworkResult:
        """Boot everything on a fresh virtual clock; ``pcap=True`` records every LAN.

        ``on_lan(name, lan)`` is called for each LAN before anything boots (to
        attach a Linux bridge, say). ``opam_repository`` is a commit to keep
        in the result's ``record``.
        """
        if not self._unikernels:
            raise SimulationError("the network has no unikernel: add one with network.unikernel(name, app)")
        main = next(iter(self._unikernels.values()))
        run = Run(seed=seed, argv=main.argv, name=main.app_name, until=until, max_events=max_events)
        lans: dict[str, VirtualLan] = {}
        buffers: dict[str, io.BytesIO] = {}
        for name, profile in self._lans.items():
            buf = io.BytesIO() if pcap else None
            writer = PcapWriter(buf) if buf is not None else None
            if not lans:  # the first LAN is the run's own: a socket stack or Netif.connect made by hand finds it
                lan = VirtualLan.of_run(run, pcap=writer, profile=profile)
            else:
                lan = VirtualLan(run, pcap=writer, profile=profile)
            lans[name] = lan
            if buf is not None:
                buffers[name] = buf
        instances = {
            spec.name: run.add_instance(spec.name, spec.app_name, spec.argv) for spec in self._unikernels.values()
        }
        owners: dict[int, str] = {}
        peers: dict[str, Peer] = {}
        routers: dict[str, VirtualRouter] = {}
        for spec_r in self._routers.values():
            with run.within(run.add_instance(spec_r.name, kind="peer")):
                r = VirtualRouter(spec_r.name, lans, spec_r.interfaces, ttl_exceeded=spec_r.ttl_exceeded)
                routers[spec_r.name] = r
                owners[id(r)] = spec_r.name
        for peer in self._peers.values():
            with run.within(run.add_instance(peer.name, kind="peer")):
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

        taken: dict[str, tuple[Any, str, Any, dict[str, str]]] = {}
        for spec in self._unikernels.values():
            inst = instances[spec.name]
            inst.devices["netdev.lan"] = lans[spec.lan]  # its socket stack, if it has one, is on its own LAN
            with files_loaded() as loaded:
                code = _fresh(spec.unikernel)
                where = spec.data_dir or default_data_dir(code)
                images, files = inputs_of(spec.nodes, where)  # before the run writes to its disks
                ctx = boot_context(spec.nodes, code, run, data_dir=where, connectors=connectors(spec))
            taken[spec.name] = (code, where, images, {**files, **loaded})
            run.start(inst, ctx.main)
        with files_loaded() as loaded_at_run:
            result = run.run_instances()
        names = {
            name: {
                _mac_text(mac): owners[id(p.owner)]
                for p in lan.ports
                if id(p.owner) in owners and (mac := _mac_of(p.owner, name)) is not None
            }
            for name, lan in lans.items()
        }
        record = self._record(seed, until, taken, loaded_at_run, on_lan, opam_repository)
        captures = {k: b.getvalue() for k, b in buffers.items()}
        return NetworkResult(result, captures, names, peers, lans, routers, record)

    def _record(
        self,
        seed: int,
        until: int | float | str | None,
        taken: Mapping[str, tuple[Any, str, Any, dict[str, str]]],
        loaded_at_run: Mapping[str, str],
        on_lan: Callable[..., Any] | None,
        opam_repository: str | None,
    ) -> NetworkRecord:
        """The run's record: each unikernel's as :func:`~mirage_nb.sim.record.record_of` makes one, and the layout.

        A file loaded while the run went on (a device's ``connect.py``, a
        library loaded late) is an input of each unikernel whose code's
        directory holds it, else of the network.
        """
        homes = {name: _code_file(code) for name, (code, *_rest) in taken.items()}
        unclaimed = dict(loaded_at_run)
        entries = []
        for spec in self._unikernels.values():
            _code, where, images, files = taken[spec.name]
            home = homes[spec.name]
            mine = {}
            if home is not None:
                root = os.path.dirname(home) + os.sep
                mine = {p: d for p, d in loaded_at_run.items() if p.startswith(root)}
            for p in mine:
                unclaimed.pop(p, None)
            run_record = record_of(
                spec.configured,
                config=spec.config,
                code=home,
                argv=spec.argv,
                seed=seed,
                until=until,
                opam_repository=opam_repository,
                data_dir=where,
                disks=images,
                inputs={**files, **mine},
            )
            entries.append(UnikernelEntry(spec.name, spec.lan, spec.app_name, run_record))
        sources: dict[Any, str] = {}
        on: dict[str, list[str]] = {name: [] for name in self._lans}
        for u in self._unikernels.values():
            on[u.lan].append(u.name)
        for q in self._peers.values():
            on[q.lan].append(q.name)
        for r in self._routers.values():
            for lan in r.interfaces:
                on[lan].append(r.name)
        return NetworkRecord.make(
            seed=seed,
            until=until,
            lans=tuple(LanEntry(n, json_value(prof), tuple(on[n])) for n, prof in self._lans.items()),
            unikernels=tuple(entries),
            peers=tuple(
                PeerEntry(
                    q.name,
                    q.lan,
                    json_value(dict(q.options)),
                    None if q.script is None else ScriptRef.of(q.script, sources),
                )
                for q in self._peers.values()
            ),
            routers=tuple(RouterEntry(r.name, dict(r.interfaces), r.ttl_exceeded) for r in self._routers.values()),
            hooks={"on_lan": ScriptRef.of(on_lan)} if on_lan is not None else {},
            inputs=unclaimed,
            opam_repository=opam_repository,
        )

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


def _mac_of(owner: Any, lan: str) -> bytes | None:
    if isinstance(owner, VirtualRouter):
        return owner.mac_of(lan)
    mac = getattr(owner, "mac_bytes", None)
    if mac is None and getattr(owner, "host", None) is not None:
        mac = owner.host.mac
    return bytes(mac) if isinstance(mac, bytes | bytearray) and len(mac) == 6 else None


def _code_file(unikernel: Any) -> str | None:
    """The ``unikernel.py`` a unikernel's code was loaded from (None: code given as a module or a mapping)."""
    f = getattr(unikernel, "__file__", None)
    if (
        isinstance(f, str)
        and os.path.isfile(f)
        and getattr(unikernel, "__name__", "").startswith("_mirage_nb_unikernel_")
    ):
        return os.path.abspath(f)
    return None


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
