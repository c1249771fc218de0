"""The LAN's flood index changes nothing a learner can see: random small LANs, run with and without it.

A flood (ARP broadcast, IPv6 multicast) visits only the ports the index
names as candidates; every other port's filter would have dropped the frame
(and a ``Netif``'s counted it). The oracle is the plain scan, which asks every
port's filter: each random network (unikernels booting at once and later,
some exiting or retired; scripted peers, some made mid-run; static ARP
entries; IPv6 on and off, a router advertisement; ideal, latent and lossy
links) runs with the plain scan, with the index where it pays, and with the
index on every flood. Everything must match: the pcap bytes, the console,
the peers' events, the scheduler's event count, and every ``Netif``'s
counters, read between runs' steps and in the middle of floods (a spy port
with no filter, which every flood visits, reads them all).
"""

from __future__ import annotations

import random
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_graphs import application

import mirage_nb.mirage as M
from mirage_nb.sim.clocks import Mirage_sleep
from mirage_nb.sim.fleet import Fleet
from mirage_nb.sim.net.ethernet import encode_ethernet
from mirage_nb.sim.net.icmpv6 import (
    ROUTER_ADVERTISEMENT,
    PrefixInfo,
    RouterAdvertisement,
    encode_icmpv6,
    encode_router_advertisement,
)
from mirage_nb.sim.net.ipv6 import ALL_NODES, encode_ipv6, multicast_mac
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev import lan as lan_module
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.link import Netif
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.network import Network
from mirage_nb.sim.run import Run, UnikernelExit

UNIKERNEL = """
from mirage_nb.unikernel import Logs, Lwt, Mirage_sleep, Ok, exit

ACTIONS = {actions!r}


class Main:
    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S

        async def on_connect(flow):
            await S.TCP.close(flow)

        async def connect(target):
            r = await S.TCP.create_connection(S.tcp(s), (target, 80))
            Logs.info("tcp to %s: %s", target, type(r).__name__)
            match r:
                case Ok(flow):
                    await S.TCP.close(flow)

        S.TCP.listen(S.tcp(s), port=80, callback=on_connect)
        for delay, what, target in ACTIONS:
            await Mirage_sleep.ns(delay)
            if what == "tcp":
                await connect(target)
            elif what == "tcp-async":  # still asking ARP when it exits, say: its ticks stay due
                Lwt.async_(lambda target=target: connect(target))
            elif what == "disconnect":
                await S.disconnect(s)
            else:
                exit(3)
        await S.listen(s)
"""

MS = 1_000_000


def _module(actions: list[tuple[int, str, str]]) -> types.ModuleType:
    m = types.ModuleType("flood_unikernel")
    exec(compile(UNIKERNEL.format(actions=actions), "flood_unikernel.py", "exec"), m.__dict__)
    return m


def _app() -> Any:
    return application("flood", [M.generic_stackv4v6(M.default_network)], job="Unikernel.Main")


def _profile(rng: random.Random) -> LinkProfile | None:
    return rng.choice(
        [None, None, LinkProfile(latency=rng.randrange(1, 3) * MS), LinkProfile(loss=0.2), LinkProfile(latency=MS)]
    )


def _ip(rng: random.Random) -> str:
    return f"10.0.0.{rng.randrange(2, 9)}"


def _unikernel(rng: random.Random) -> tuple[list[str], Any]:
    argv = [f"--ipv4={_ip(rng)}/24"]
    if rng.random() < 0.4:
        argv.append(f"--ipv6=fd00::{rng.randrange(2, 9)}/64")
    if rng.random() < 0.25:
        argv.append("--ipv4-only=true")
    actions: list[tuple[int, str, str]] = []
    for _ in range(rng.randrange(0, 4)):
        target = _ip(rng) if rng.random() < 0.8 else f"fd00::{rng.randrange(2, 9)}"
        actions.append((rng.randrange(0, 3000) * MS, rng.choice(["tcp", "tcp-async"]), target))
    if rng.random() < 0.2:
        actions.append((rng.randrange(0, 2000) * MS, "disconnect", ""))
    if rng.random() < 0.3:
        actions.append((rng.randrange(0, 4000) * MS, "exit", ""))
    return argv, _module(actions)


def _router_advertisement(mac: bytes, src: bytes) -> bytes:
    prefix = PrefixInfo(bytes.fromhex("fd01" + "00" * 14), 64, True, True, 3600, 3600)
    ra = RouterAdvertisement(64, False, False, 0, 0, 0, mac, None, (prefix,))
    icmp = encode_icmpv6(src, ALL_NODES, ROUTER_ADVERTISEMENT, 0, encode_router_advertisement(ra))
    return encode_ethernet(multicast_mac(ALL_NODES), mac, 0x86DD, encode_ipv6(src, ALL_NODES, 58, icmp, hop_limit=255))


def _peer_script(rng: random.Random, seen: list[Any]) -> Any:
    steps: list[tuple[int, str, Any]] = []
    for _ in range(rng.randrange(1, 6)):
        what = rng.choice(["ping", "ping", "ping6", "tcp", "static", "udp", "ra", "peer", "fleet", "retire"])
        arg = {
            "ping": _ip(rng),
            "ping6": f"fd00::{rng.randrange(2, 9)}",
            "tcp": _ip(rng),
            "static": (_ip(rng), bytes([2, 0, 0, 0, 0, rng.randrange(256)])),
            "udp": rng.choice(["10.0.0.255", "255.255.255.255", _ip(rng)]),
            "ra": None,
            "peer": (f"10.0.0.{rng.randrange(2, 12)}/24", rng.random() < 0.5),
            "fleet": _unikernel(rng),
            "retire": None,
        }[what]
        # At a random time or at an ARP tick of the hosts that booted at 0 (ticks are every 1.5 s): a flood
        # at such an instant meets ports whose ticks are due and not yet run.
        at = rng.choice([rng.randrange(0, 6000) * MS, 1500 * MS, 3000 * MS, 4500 * MS])
        steps.append((at, what, arg))
    steps.sort(key=lambda step: step[0])

    async def script(peer: Peer) -> None:
        fleet = Fleet(peer.lan)
        for k, (at, what, arg) in enumerate(steps):
            await Mirage_sleep.ns(max(0, at - peer.run.now))
            now = peer.run.now
            if what in ("ping", "ping6"):
                seen.append((now, peer.name, "ping", arg, await peer.ping(arg, seq=k)))
            elif what == "tcp":
                try:
                    flow = await peer.connect(arg, 80)
                    await peer.close(flow)
                    seen.append((now, peer.name, "tcp", arg, "ok"))
                except Exception as e:  # refused or timed out: part of what is compared
                    seen.append((now, peer.name, "tcp", arg, str(e)))
            elif what == "static":
                ip, mac = arg
                peer.apply(peer.host.ipv4.arp.static(now, bytes(int(x) for x in ip.split(".")), mac))
            elif what == "udp":
                await peer.send_udp(arg, 5000, 5001, b"hello")
            elif what == "ra":
                peer.port.send(_router_advertisement(peer.host.mac, peer.host.ipv6.link_local))
            elif what == "peer":
                cidr, v6 = arg
                p = Peer(peer.lan, name=f"{peer.name}-x{k}", cidr=cidr, ipv6=("fd00::77/64",) if v6 else ())
                seen.append((now, p.name, "ping", "10.0.0.2", await p.ping("10.0.0.2")))
            elif what == "fleet":
                argv, module = arg
                fleet.start(f"{peer.name}-u{k}", _app(), argv=argv, unikernel=module, net="direct", no_dhcp=True)
            elif what == "retire" and fleet.running:
                fleet.retire(fleet.running[0])

    return script


def _netif_stats(lan: Any) -> list[tuple[str, int, int, int, int]]:
    out = []
    for p in lan.ports:
        if isinstance(p.owner, Netif):
            s = p.owner.get_stats_counters()
            out.append((p.name, s.rx_pkts, s.rx_bytes, s.tx_pkts, s.tx_bytes))
    return out


def _play(seed: int) -> dict[str, Any]:
    """Build and run the random network of ``seed``; everything a learner could look at."""
    rng = random.Random(seed)
    seen: list[Any] = []
    spied: list[Any] = []
    net = Network(profile=_profile(rng))
    for i in range(rng.randrange(1, 4)):
        argv, module = _unikernel(rng)
        net.unikernel(f"uk{i}", _app(), argv=argv, unikernel=module, net="direct", no_dhcp=True)
    for i in range(rng.randrange(1, 4)):
        v6 = (f"fd00::{rng.randrange(2, 9):x}/64",) if rng.random() < 0.5 else ()
        net.peer(f"p{i}", _peer_script(rng, seen), cidr=f"{_ip(rng)}/24", ipv6=v6, profile=_profile(rng))

    def on_lan(name: str, lan: Any) -> None:
        # No filter: every flood visits it, between the peers' ports and the unikernels' (attached at boot). It
        # reads every Netif's counters, now and then gives a later port's ARP cache the address an ARP request
        # asks for, in the middle of the flood (the rest of the flood must see it), or ends a unikernel there.
        meddle = random.Random(seed)

        def spy(frame: bytes) -> None:
            spied.append((lan.run.now, frame[:14].hex(), _netif_stats(lan)))
            if frame[12:14] == b"\x08\x06" and frame[21] == 1 and meddle.random() < 0.3:
                later = [p for p in lan.ports[me.index + 1 :] if getattr(p.owner, "arp_filter", None) is not None]
                if later:
                    meddle.choice(later).owner.arp_filter.alias(lan.run.now, frame[38:42])
            if frame[0] & 1 and meddle.random() < 0.05:
                # A unikernel exits in the middle of the flood (as its handler would): the rest of the flood
                # is delivered later, and the exit's accounting must not count what was not reached.
                run = lan.run
                live = [i for i in run.instances.values() if i.kind == "unikernel" and not i.ended]
                if live:
                    run.instance = meddle.choice(live)
                    raise UnikernelExit(5)

        me = lan.attach("spy", spy)

    # Every delivery that reaches a device which does something with it (a Netif not listening does nothing:
    # the plain scan hands it floods, the index does not), in order: when, to which port, what.
    delivered: list[tuple[int, int, int]] = []
    attach = VirtualLan.attach

    def logged_attach(lan: VirtualLan, name: str, deliver: Any, *args: Any, **kw: Any) -> Any:
        def logged(frame: bytes) -> None:
            owner = port.owner
            if not isinstance(owner, Netif) or (owner.active and owner._handler is not None):
                delivered.append((lan.run.now, port.index, hash(frame)))
            deliver(frame)

        port = attach(lan, name, logged, *args, **kw)
        return port

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(VirtualLan, "attach", logged_attach)
        r = net.run(until="9s", pcap=True, seed=seed, on_lan=on_lan)
    lan = r.lans["lan"]
    return {
        "delivered": delivered,
        "pcap": r.captures,
        "lines": r.lines,
        "exit": dict(r.exit_codes),
        "events": r.run.events,
        "peers": {name: [(t, repr(e)) for t, e in p.events] for name, p in r.peers.items()},
        "seen": [repr(x) for x in seen],
        "spied": spied,
        "stats": _netif_stats(lan),
        "bulk": None if lan.index is None else lan.index.total[0],  # frames the index dropped for counting ports
    }


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_flood_index_changes_nothing_a_learner_can_see(seed):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lan_module, "FLOOD_INDEX", False)
        plain = _play(seed)
    indexed = _play(seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lan_module, "INDEX_WORTH", float("inf"))  # the index on every ARP and multicast flood
        always = _play(seed)
    for key in plain.keys() - {"bulk"}:
        assert indexed[key] == plain[key], key
        assert always[key] == plain[key], key


def _inert_last(index: bool) -> tuple[int, list[tuple[str, int, int, int, int]], list[Any]]:
    # Ports: a, c (a link 1 ms long), d, then b's Netif, connected and not listening (a frame does nothing there).
    run = Run(seed=0)
    lan = VirtualLan.of_run(run, index=index)
    b = run.add_instance("b")
    peers = {}
    for name, ip in (("a", "10.0.0.1/24"), ("c", "10.0.0.3/24"), ("d", "10.0.0.4/24")):
        with run.within(run.add_instance(name, kind="peer")):
            peers[name] = Peer(lan, name=name, cidr=ip, profile=LinkProfile(latency=MS) if name == "c" else None)
    run.advance("5ms")  # their announcements are over
    a = peers["a"]

    async def job() -> None:
        Netif(lan, "tap0")
        with run.within(a.instance):
            a.apply(a.host.ping(run.now, "10.0.0.3"))  # ARP: d drops it at once, it reaches c 1 ms later
        await Mirage_sleep.ns(MS // 2)  # and b ends before that

    run.start(b, job)
    run.advance("10ms")
    return lan.frames_sent, _netif_stats(lan), peers["c"].host.ipv4.arp.entries()


def test_a_flood_ends_in_the_instance_the_plain_scan_ends_in():
    # In a run of several instances each delivery is made as its port's instance, so a flood leaves the run in
    # the last port's that took the frame: here b's Netif, which does nothing with it (the index skips it). The
    # LAN's wake-up for the rest of the flood (c's copy, 1 ms later) is armed in that instance, which ends
    # before it: whatever follows from that, the index must follow too.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lan_module, "INDEX_WORTH", float("inf"))
        assert _inert_last(index=True) == _inert_last(index=False)


def test_the_index_skips_ports_and_counts_for_them():
    # Not a vacuous comparison: on these networks the index does drop frames for listening Netifs, whose
    # counters then match the plain scan's.
    for seed in range(5):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(lan_module, "FLOOD_INDEX", False)
            plain = _play(seed)
        indexed = _play(seed)
        assert indexed["stats"] == plain["stats"] and indexed["spied"] == plain["spied"]
        assert indexed["bulk"] > 0 and plain["bulk"] is None
