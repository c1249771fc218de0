"""The IP layer a unikernel connects: ``Static_ipv4.Make``, ``Dhcp_ipv4.Make`` (and its projections),
``Ipv6.Make``, ``Tcpip_stack_direct.IPV4V6`` and ``Icmpv4.Make``.

Each is the async shell of a sans-IO machine of ``sim.net``:
:class:`~mirage_nb.sim.net.ipv4.Ipv4Layer` (sharing the ARP device's cache),
:class:`~mirage_nb.sim.net.dhcp_client.DhcpClient`,
:class:`~mirage_nb.sim.net.icmpv6.Ipv6Layer`. Their timers run on
:class:`~.lan.Alarm`. Addresses given to callbacks are ``ipaddress`` objects
(``Ipaddr.t``); payloads are ``memoryview`` slices (``Cstruct.t``).

Departures: IPv6 duplicate address detection is a single probe followed by
the 1 s wait the real stack spends (no conflict is ever detected); IPv4
writes with ``size``/``headerf`` are supported, but the header function
sees a buffer of exactly ``size`` bytes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from types import CoroutineType
from typing import Any

from mirage_nb.errors import LocalProtocolError, SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import Promise, async_, wakeup
from mirage_nb.sim.net._base import FrameError, Step
from mirage_nb.sim.net.dhcp import CLIENT_PORT
from mirage_nb.sim.net.dhcp_client import DhcpClient, LeaseObtained
from mirage_nb.sim.net.ethernet import encode_ethernet
from mirage_nb.sim.net.icmpv4 import (
    ECHO_REPLY,
    ECHO_REQUEST,
    decode_icmpv4,
    encode_echo,
)
from mirage_nb.sim.net.icmpv6 import (
    NEIGHBOR_SOLICITATION,
    ROUTER_ADVERTISEMENT,
    Ipv6Layer,
    Ipv6Received,
    encode_icmpv6,
    encode_neighbor_solicitation,
)
from mirage_nb.sim.net.ipv4 import PROTO_ICMP, PROTO_TCP, PROTO_UDP, Ipv4Layer, Ipv4Received, decode_ipv4
from mirage_nb.sim.net.ipv6 import NEXT_ICMPV6, encode_ipv6, multicast_mac, solicited_node
from mirage_nb.sim.net.udp import decode_udp
from mirage_nb.sim.netdev._module import invoke, wait_any
from mirage_nb.sim.netdev.lan import Alarm
from mirage_nb.sim.netdev.link import SIZEOF_ETHERNET
from mirage_nb.sim.netdev.values import (
    No_route,
    Would_fragment,
    to_ip,
)
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.run import current_run
from mirage_nb.sim.runtime import Failure

__all__ = [
    "PROTOS",
    "Ipv4Device",
    "DhcpIpv4Device",
    "DhcpNet",
    "Ipv6Device",
    "DualIp",
    "Icmpv4Device",
    "IPV4_SRC",
    "IPV6_SRC",
    "DHCP_SRC",
]

IPV4_SRC = Src("ipv4", "Mirage IPv4")
IPV6_SRC = Src("ipv6", "Mirage IPv6")
ICMPV4_SRC = Src("icmpv4", "Mirage ICMPv4")
DHCP_SRC = Src("dhcp_client_lwt")
DHCP_MIRAGE_SRC = Src("dhcp_client_mirage")
STACK_SRC = Src("tcpip-stack-direct", "Pure OCaml TCP/IP stack")

PROTOS = {"TCP": PROTO_TCP, "UDP": PROTO_UDP, "ICMP": PROTO_ICMP}
"""``Tcpip.Ip.proto`` names to protocol numbers."""
_NEXT_TCP, _NEXT_UDP = 6, 17


def _proto(p: str | int) -> int:
    if isinstance(p, int):
        return p
    try:
        return PROTOS[p]
    except KeyError:
        raise SimulationError(f"IP protocol {p!r}: expected TCP, UDP or ICMP") from None


def _payload(bufs: Any, size: int, headerf: Callable[[memoryview], int] | None) -> bytes:
    if isinstance(bufs, bytes | bytearray | memoryview):
        bufs = [bufs]
    head = b""
    if headerf is not None and size > 0:
        hb = memoryview(bytearray(size))
        n = headerf(hb)
        head = bytes(hb[:n])
    return head + b"".join(bytes(b) for b in bufs)


class Ipv4Device:
    """Twin of ``Static_ipv4.Make (E) (A)`` (and of ``Dhcp_ipv4.Proj_ipv4``'s value)."""

    def __init__(self, ethernet: Any, arp: Any, cidr: ipaddress.IPv4Interface, gateway: Any = None) -> None:
        self.run = current_run()
        self.ethernet = ethernet
        self.arp = arp
        self.cidr = cidr
        self.gateway = None if gateway is None else ipaddress.IPv4Address(gateway)
        self.layer = Ipv4Layer(
            ethernet.mac().raw,
            str(cidr),
            None if self.gateway is None else self.gateway.packed,
            mtu=ethernet.mtu(),
            now=self.run.now,
            arp=arp.cache,
        )
        arp.owner = self.layer

    @classmethod
    async def connect(
        cls, ethernet: Any, arp: Any, *, cidr: Any, gateway: Any = None, no_init: bool = False
    ) -> Ipv4Device:
        """``connect ~no_init ~cidr ?gateway ethernet arp``: announces the address unless ``no_init``."""
        t = cls(ethernet, arp, ipaddress.IPv4Interface(cidr), gateway)
        if not no_init:
            await arp.set_ips([t.cidr.ip])
        return t

    # --- Tcpip.Ip.S -----------------------------------------------------------

    def configured_ips(self) -> list[ipaddress.IPv4Interface]:
        return [self.cidr]

    def get_ip(self) -> list[ipaddress.IPv4Address]:
        return [self.cidr.ip]

    def src(self, dst: Any = None) -> ipaddress.IPv4Address:
        return self.cidr.ip

    def mtu(self, dst: Any = None) -> int:
        return self.ethernet.mtu() - 20

    def pseudoheader(self, dst: Any, proto: str | int, length: int, src: Any = None) -> bytes:
        from mirage_nb.sim.net.ipv4 import pseudo_header_v4

        s = self.cidr.ip if src is None else to_ip(src)
        return pseudo_header_v4(s.packed, to_ip(dst).packed, _proto(proto), length)

    async def write(
        self,
        dst: Any,
        proto: str | int,
        bufs: Any = b"",
        *,
        fragment: bool = True,
        ttl: int | None = None,
        src: Any = None,
        size: int = 0,
        headerf: Callable[[memoryview], int] | None = None,
    ) -> Any:
        """``write t ?fragment ?ttl ?src dst proto ?size headerf bufs``: ``Ok ()`` or an IP error."""
        return await self.send_raw(
            to_ip(dst), _proto(proto), _payload(bufs, size, headerf), fragment=fragment, ttl=ttl, src=src
        )

    # output() also takes raw 4-byte addresses (TCP's segments carry them): no Ipaddr made and unmade per packet.
    raw_output = True

    def output(self, dst: Any, proto: int, payload: bytes, *, ttl: int | None = None, src: Any = None) -> bytes | None:
        """Send now without waiting for ARP (the layer queues the packet); returns the next hop if one was chosen."""
        layer = self.layer
        d = dst if type(dst) is bytes else dst.packed
        broadcast = d == b"\xff\xff\xff\xff" or d == layer.broadcast or 224 <= d[0] < 240
        hop = None if broadcast else layer.next_hop(d)
        if not broadcast and hop is None:
            Logs.warn(
                "Write to %s would require an external route, which was not provided", str(to_ip(dst)), src=IPV4_SRC
            )
            return None
        s = None if src is None else src if type(src) is bytes else to_ip(src).packed
        self.arp.apply(layer.send(self.run.now, d, proto, payload, ttl=38 if ttl is None else ttl, src=s))
        return hop

    async def send_raw(
        self, dst: Any, proto: int, payload: bytes, *, fragment: bool = True, ttl: int | None = None, src: Any = None
    ) -> Any:
        if not fragment and 20 + len(payload) > self.layer.mtu:
            return Error(Would_fragment())
        hop = self.output(dst, proto, payload, ttl=ttl, src=src)
        if hop is not None and self.layer.arp.pending(hop):
            r = await self.arp.wait_for(hop)
            if isinstance(r, Error):
                if self.gateway is not None and hop == self.gateway.packed:
                    Logs.warn(
                        "Write to %s requires an external route, and the provided %s was not reachable",
                        str(dst),
                        str(self.gateway),
                        src=IPV4_SRC,
                    )
                    return Error(No_route("no route to default gateway to outside world"))
                Logs.warn("Could not find %s on the local network", str(dst), src=IPV4_SRC)
                return Error(No_route("no response for IP on local network"))
        return Ok(None)

    def input(
        self, *, tcp: Callable[..., Any], udp: Callable[..., Any], default: Callable[..., Any]
    ) -> Callable[[Any], Any]:
        """``input t ~tcp ~udp ~default``: the IPv4 packet handler (reassembly included)."""

        async def handle(buf: Any) -> None:
            layer = self.layer
            step = layer.receive(self.run.now, bytes(buf))
            if step.frames or layer.reassembler._parts:  # (its table, not len(): one call fewer per packet)
                self.arp.apply(Step((), step.frames, None))
            for e in step.events:
                if type(e) is Ipv4Received:
                    p = e.packet
                    src, dst = to_ip(p.src), to_ip(p.dst)
                    if not p.payload:
                        continue
                    payload = memoryview(p.payload)
                    if p.proto == PROTO_TCP:
                        # invoke() inlined on the per-segment path: TCP's input is a coroutine function.
                        r = tcp(src=src, dst=dst, buf=payload)
                        if type(r) is CoroutineType or isinstance(r, Promise):
                            await r
                    elif p.proto == PROTO_UDP:
                        await invoke(udp, src=src, dst=dst, buf=payload)
                    else:
                        await invoke(default, proto=p.proto, src=src, dst=dst, buf=payload)

        return handle

    async def disconnect(self) -> None:
        return None

    def pp_ipaddr(self, ppf: Any, ip: Any) -> None:
        ppf.string(str(ip))


class DhcpNet:
    """The network device ``Dhcp_ipv4.Proj_net`` gives: the interface, with DHCP traffic taken out."""

    def __init__(self, net: Any) -> None:
        self.net = net
        self._handler: Callable[[Any], Any] | None = None
        self._header_size = SIZEOF_ETHERNET
        self.filtering = False  # the DHCP client already listens on the interface and passes the rest on

    def pass_on(self, frame: Any) -> Any:
        if self._handler is None:
            return None
        return self._handler(frame)

    async def listen(self, header_size: int = SIZEOF_ETHERNET, fn: Callable[[Any], Any] | None = None) -> Any:
        self._handler = fn
        self._header_size = header_size
        if self.filtering:
            await self.net._stopped
            return Ok(None)
        return await self.net.listen(header_size, self.pass_on)

    def __getattr__(self, name: str) -> Any:
        # write, mac, mtu, stats, disconnect, send_frame: those of the interface itself.
        return getattr(self.net, name)


class DhcpIpv4Device:
    """Twin of ``Dhcp_ipv4.Make (N) (E) (A)``: a lease from DHCP (or a static address), then ``Static_ipv4``.

    ``net()``, ``ipv4()`` and ``lease()`` are what ``Proj_net``, ``Proj_ipv4``
    and ``Proj_lease`` connect to.
    """

    def __init__(self, net: Any) -> None:
        self.run = current_run()
        self.raw_net = net
        self.net_view = DhcpNet(net)
        self.client: DhcpClient | None = None
        self.ipv4_dev: Ipv4Device | None = None
        self.lease_options: Any = None
        self._lease_p, self._lease_r = wait_any()
        self._alarm = Alarm(self.run, self._tick)

    @classmethod
    async def connect(
        cls,
        net: Any,
        ethernet: Any,
        arp: Any,
        *,
        no_init: bool = False,
        cidr: Any = None,
        gateway: Any = None,
        requests: tuple[int, ...] | None = None,
        hostname: str | None = None,
    ) -> DhcpIpv4Device:
        t = cls(net)
        if not no_init and cidr is None:
            if gateway is not None:
                Logs.warn(
                    "No CIDR provided, but a gateway %s, which will be ignored (requesting a DHCP lease)",
                    str(gateway),
                    src=DHCP_MIRAGE_SRC,
                )
            import random

            rng = random.Random(f"{t.run.seed}:dhcp:{net.mac()}")
            t.client = (
                DhcpClient(net.mac().raw, rng, hostname=hostname, requests=tuple(requests))
                if requests
                else DhcpClient(net.mac().raw, rng, hostname=hostname)
            )
            t.net_view.filtering = True
            async_(net.listen(SIZEOF_ETHERNET, t._filter))
            Logs.debug("Sending DHCPDISCOVER...", src=DHCP_SRC)
            t._apply(t.client.start(t.run.now))
            lease = await t._lease_p
            t.lease_options = lease.ack.options
            cidr, gateway = lease.cidr, lease.gateway
            gateway = None if gateway is None else ipaddress.IPv4Address(gateway)
        elif cidr is None:
            cidr = "127.0.0.1/32"
        t.ipv4_dev = await Ipv4Device.connect(ethernet, arp, cidr=cidr, gateway=gateway, no_init=no_init)
        return t

    def _apply(self, step: Step) -> None:
        for f in step.frames:
            self.raw_net.send_frame(f)
        for e in step.events:
            if type(e) is LeaseObtained:
                routers = "".join(str(ipaddress.IPv4Address(r)) for r in e.lease.routers)
                Logs.info(
                    "Lease obtained! IP: %s, routers: %s",
                    str(ipaddress.IPv4Address(e.lease.address)),
                    routers,
                    src=DHCP_SRC,
                )
                if self._lease_p._st == 0:
                    wakeup(self._lease_r, e.lease)
        self._alarm.set(step.deadline)

    def _tick(self, now: int) -> None:
        assert self.client is not None
        before = self.client.state
        step = self.client.timer(now)
        if before in ("selecting", "requesting") and step.frames:
            Logs.info("Timeout expired without a usable lease!  Starting over...", src=DHCP_SRC)
        self._apply(step)

    def _filter(self, frame: Any) -> Any:
        # Dhcp_client.input: DHCP replies (UDP to port 68) go to the client, the rest to the stack.
        if self.client is not None and len(frame) >= 42 and frame[12] == 8 and frame[13] == 0 and frame[23] == 17:
            try:
                pkt = decode_ipv4(bytes(frame[SIZEOF_ETHERNET:]))
                if pkt.proto == PROTO_UDP and int.from_bytes(pkt.payload[2:4], "big") == CLIENT_PORT:
                    d = decode_udp(pkt.payload, pkt.src, pkt.dst)
                    self._apply(self.client.receive(self.run.now, d.payload))
                    return None
            except FrameError:
                pass
        return self.net_view.pass_on(frame)

    # --- projections ------------------------------------------------------

    def net(self) -> DhcpNet:
        return self.net_view

    def ipv4(self) -> Ipv4Device:
        assert self.ipv4_dev is not None
        return self.ipv4_dev

    def lease(self) -> Any:
        return self.lease_options


class Ipv6Device:
    """Twin of ``Ipv6.Make (N) (E)`` over :class:`Ipv6Layer` (link-local from the MAC, ``--ipv6`` address)."""

    def __init__(self, netif: Any, ethernet: Any, cidr: ipaddress.IPv6Interface | None, handle_ra: bool) -> None:
        self.run = current_run()
        self.netif = netif
        self.ethernet = ethernet
        self.cidr = cidr
        self.handle_ra = handle_ra
        self.layer = Ipv6Layer(ethernet.mac().raw, (str(cidr),) if cidr is not None else (), mtu=ethernet.mtu())
        self._alarm = Alarm(self.run, self._tick)

    @classmethod
    async def connect(
        cls,
        netif: Any,
        ethernet: Any,
        *,
        no_init: bool = False,
        handle_ra: bool = True,
        cidr: Any = None,
        gateway: Any = None,
    ) -> Ipv6Device:
        Logs.info("IP6: Starting", src=IPV6_SRC)
        t = cls(netif, ethernet, None if cidr is None else ipaddress.IPv6Interface(cidr), handle_ra)
        if gateway is not None:
            t.layer.default_router = ipaddress.IPv6Address(gateway).packed
        if no_init:
            return t
        # Duplicate address detection (RFC 4862 §5.4): one probe per address, then RetransTimer (1 s).
        for a, _plen in t.layer.addresses:
            t.ethernet.send_frame(_dad_probe(ethernet.mac().raw, a))
        await t.run.sleep_ns(1_000_000_000)
        from mirage_nb.sim.fmt import Fmt

        ips = [ipaddress.IPv6Address(a) for a, _ in t.layer.addresses]
        # Fmt.(list ~sep:(any ",@ ") Ipaddr.V6.pp): a break hint, so a long list wraps as Format does.
        Logs.info("IP6: Started with %a", Fmt.list(_pp_str, Fmt.any(",@ ")), ips, src=IPV6_SRC)
        return t

    def _apply(self, step: Step) -> Step:
        for f in step.frames:
            self.ethernet.send_frame(f)
        self._alarm.set(self.layer.deadline)
        return step

    def _tick(self, now: int) -> None:
        self._apply(self.layer.timer(now))

    def configured_ips(self) -> list[ipaddress.IPv6Interface]:
        return [ipaddress.IPv6Interface(f"{ipaddress.IPv6Address(a)}/{p}") for a, p in self.layer.addresses]

    def get_ip(self) -> list[ipaddress.IPv6Address]:
        return [ipaddress.IPv6Address(a) for a, _ in self.layer.addresses]

    def src(self, dst: Any) -> ipaddress.IPv6Address:
        return ipaddress.IPv6Address(self.layer.source_for(to_ip(dst).packed))

    def mtu(self, dst: Any = None) -> int:
        return self.layer.mtu - 40

    async def write(
        self,
        dst: Any,
        proto: str | int,
        bufs: Any = b"",
        *,
        fragment: bool = True,
        ttl: int | None = None,
        src: Any = None,
        size: int = 0,
        headerf: Callable[[memoryview], int] | None = None,
    ) -> Any:
        return await self.send_raw(to_ip(dst), _proto(proto), _payload(bufs, size, headerf), ttl=ttl)

    raw_output = True  # output() also takes a raw 16-byte address

    def output(self, dst: Any, proto: int, payload: bytes, *, ttl: int | None = None, src: Any = None) -> bool:
        """Send now (neighbour discovery queues the packet if needed); False if it exceeds the MTU."""
        try:
            d = dst if type(dst) is bytes else dst.packed
            step = self.layer.send(self.run.now, d, proto, payload, hop_limit=64 if ttl is None else ttl)
        except LocalProtocolError:
            return False
        self._apply(step)
        return True

    async def send_raw(
        self, dst: Any, proto: int, payload: bytes, *, fragment: bool = True, ttl: int | None = None, src: Any = None
    ) -> Any:
        return Ok(None) if self.output(dst, proto, payload, ttl=ttl) else Error(Would_fragment())

    def input(
        self, *, tcp: Callable[..., Any], udp: Callable[..., Any], default: Callable[..., Any]
    ) -> Callable[[Any], Any]:
        """``input t ~tcp ~udp ~default``: neighbour discovery and echo inside, the rest to the callbacks."""

        async def handle(buf: Any) -> None:
            data = bytes(buf)
            if not self.handle_ra and len(data) > 40 and data[6] == NEXT_ICMPV6 and data[40] == ROUTER_ADVERTISEMENT:
                return
            step = self._apply(self.layer.receive(self.run.now, data))
            for e in step.events:
                if type(e) is Ipv6Received:
                    p = e.packet
                    src, dst = to_ip(p.src), to_ip(p.dst)
                    payload = memoryview(p.payload)
                    if p.next_header == _NEXT_TCP:
                        await invoke(tcp, src=src, dst=dst, buf=payload)
                    elif p.next_header == _NEXT_UDP:
                        await invoke(udp, src=src, dst=dst, buf=payload)
                    else:
                        await invoke(default, proto=p.next_header, src=src, dst=dst, buf=payload)

        # The receive filter the Ethernet layer gives the Netif (sim/netdev/link.py): a multicast packet for a
        # group we have not joined is dropped there, as a NIC's multicast filter would.
        handle.ipv6_layer = self.layer  # type: ignore[attr-defined]
        return handle

    async def disconnect(self) -> None:
        self._alarm.set(None)


def _pp_str(ppf: Any, v: Any) -> None:
    ppf.string(str(v))


def _dad_probe(mac: bytes, target: bytes) -> bytes:
    group = solicited_node(target)
    unspecified = bytes(16)
    body = encode_neighbor_solicitation(target, None)
    icmp = encode_icmpv6(unspecified, group, NEIGHBOR_SOLICITATION, 0, body)
    pkt = encode_ipv6(unspecified, group, NEXT_ICMPV6, icmp, hop_limit=255)
    return encode_ethernet(multicast_mac(group), mac, 0x86DD, pkt)


async def _nothing() -> None:
    return None


class DualIp:
    """Twin of ``Tcpip_stack_direct.IPV4V6 (V4) (V6)``: one IP device over both families."""

    def __init__(self, ipv4: Any, ipv6: Any, ipv4_only: bool, ipv6_only: bool) -> None:
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.ipv4_only = ipv4_only
        self.ipv6_only = ipv6_only

    @classmethod
    async def connect(cls, ipv4: Any, ipv6: Any, *, ipv4_only: bool = False, ipv6_only: bool = False) -> DualIp:
        if ipv4_only and ipv6_only:
            raise Failure("cannot configure stack with both IPv4 only and IPv6 only")
        return cls(ipv4, ipv6, ipv4_only, ipv6_only)

    def input(
        self, *, tcp: Callable[..., Any], udp: Callable[..., Any], default: Callable[..., Any]
    ) -> Callable[[Any], Any]:
        h4 = self.ipv4.input(tcp=tcp, udp=udp, default=default)
        h6 = self.ipv6.input(tcp=tcp, udp=udp, default=default)

        def handle(buf: Any) -> Any:
            # Not a coroutine itself: it hands back the family's own, one frame fewer per packet.
            if len(buf) >= 1:
                v = buf[0] >> 4
                if v == 4 and not self.ipv6_only:
                    return h4(buf)
                if v == 6 and not self.ipv4_only:
                    return h6(buf)
            return _nothing()

        layer = getattr(h6, "ipv6_layer", None)
        if layer is not None:  # the receive filter of IPv6 (see Ipv6Device.input); IPv4 has none
            handle.ipv6_layer = layer  # type: ignore[attr-defined]
        return handle

    async def write(self, dst: Any, proto: str | int, bufs: Any = b"", **kw: Any) -> Any:
        d = to_ip(dst)
        if d.version == 4:
            if self.ipv6_only:
                Logs.warn("attempted to write an IPv4 packet in a v6 only stack", src=STACK_SRC)
                return Ok(None)
            return await self.ipv4.write(d, proto, bufs, **kw)
        if self.ipv4_only:
            Logs.warn("attempted to write an IPv6 packet in a v4 only stack", src=STACK_SRC)
            return Ok(None)
        return await self.ipv6.write(d, proto, bufs, **kw)

    async def send_raw(self, dst: Any, proto: int, payload: bytes, **kw: Any) -> Any:
        if dst.version == 4:
            return Ok(None) if self.ipv6_only else await self.ipv4.send_raw(dst, proto, payload, **kw)
        return Ok(None) if self.ipv4_only else await self.ipv6.send_raw(dst, proto, payload, **kw)

    raw_output = True  # output() also takes raw addresses (4 or 16 bytes), as its two devices do

    def output(self, dst: Any, proto: int, payload: bytes, **kw: Any) -> Any:
        if len(dst) == 4 if type(dst) is bytes else dst.version == 4:
            return None if self.ipv6_only else self.ipv4.output(dst, proto, payload, **kw)
        return None if self.ipv4_only else self.ipv6.output(dst, proto, payload, **kw)

    def src(self, dst: Any) -> Any:
        d = to_ip(dst)
        return self.ipv4.src(d) if d.version == 4 else self.ipv6.src(d)

    def configured_ips(self) -> list[Any]:
        return list(self.ipv4.configured_ips()) + list(self.ipv6.configured_ips())

    def get_ip(self) -> list[Any]:
        return list(self.ipv4.get_ip()) + list(self.ipv6.get_ip())

    def mtu(self, dst: Any) -> int:
        d = to_ip(dst)
        return self.ipv4.mtu(d) if d.version == 4 else self.ipv6.mtu(d)

    async def disconnect(self) -> None:
        return None


class Icmpv4Device:
    """Twin of ``Icmpv4.Make (Ip)``: answers echo requests and logs the other messages as it does."""

    def __init__(self, ip: Any) -> None:
        self.ip = ip
        self.echo_reply = True

    @classmethod
    async def connect(cls, ip: Any) -> Icmpv4Device:
        return cls(ip)

    async def input(self, src: Any, dst: Any, buf: Any) -> None:
        try:
            msg = decode_icmpv4(bytes(buf))
        except FrameError as e:
            Logs.info("ICMP: error parsing message from %s: %s", str(src), str(e), src=ICMPV4_SRC)
            return
        if msg.type == ECHO_REPLY:
            Logs.info("ICMP: discarding echo reply from %s", str(src), src=ICMPV4_SRC)
        elif msg.type == 3:
            Logs.info("ICMP: destination unreachable from %s", str(src), src=ICMPV4_SRC)
        elif msg.type == ECHO_REQUEST:
            if self.echo_reply:
                r = await self.ip.send_raw(to_ip(src), PROTO_ICMP, encode_echo(False, msg.ident, msg.seq, msg.payload))
                if isinstance(r, Error):
                    Logs.warn("Unable to send ICMP echo-reply: %s", str(r.error), src=ICMPV4_SRC)
        else:
            Logs.info("ICMP unknown ty %d from %s", msg.type, str(src), src=ICMPV4_SRC)

    async def write(self, dst: Any, buf: Any, *, src: Any = None, ttl: int | None = None) -> Any:
        return await self.ip.send_raw(to_ip(dst), PROTO_ICMP, bytes(buf), ttl=ttl)

    async def disconnect(self) -> None:
        return None
