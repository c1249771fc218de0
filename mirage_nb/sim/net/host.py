"""A scripted host: Ethernet, ARP, IPv4, ICMP, UDP, IPv6/ND and optionally DHCP composed, sans-IO.

The twin of what ``generic_stackv4v6`` connects below TCP
(``Tcpip_stack_direct``): frames come in through :meth:`Host.receive`, are
demultiplexed by EtherType, then by IP protocol, then by UDP port. The host
answers ARP and pings by itself; everything an application would see comes
out as events (:class:`~.udp.UdpReceived`, :class:`PingReply`, packets for
protocols it does not handle such as TCP as :class:`~.ipv4.Ipv4Received`).
Like every machine here it never reads a clock: each call takes ``now``.
"""

from __future__ import annotations

import ipaddress
import random
import struct
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError, Ns, Step
from mirage_nb.sim.net.dhcp import CLIENT_PORT, SERVER_PORT
from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.net.dhcp_client import DhcpClient, LeaseObtained
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, decode_ethernet
from mirage_nb.sim.net.icmpv4 import ECHO_REPLY, decode_icmpv4, echo_reply_for, encode_echo
from mirage_nb.sim.net.icmpv6 import ECHO_REPLY as ECHO6_REPLY
from mirage_nb.sim.net.icmpv6 import Icmpv6Received, Ipv6Layer, Ipv6Received
from mirage_nb.sim.net.ipv4 import PROTO_ICMP, PROTO_UDP, Ipv4Layer, Ipv4Packet, Ipv4Received
from mirage_nb.sim.net.udp import UdpDemux, UdpReceived, decode_udp, encode_udp

__all__ = ["PingReply", "IcmpReceived", "Host"]

_NEXT_UDP = 17


@dataclass(frozen=True, slots=True)
class PingReply:
    """An echo reply came back (from ``src``, IPv4 or IPv6), with its identifier, sequence number and data."""

    src: bytes
    ident: int
    seq: int
    data: bytes


@dataclass(frozen=True, slots=True)
class IcmpReceived:
    """An ICMPv4 message other than an echo request or reply (unreachable, time exceeded...)."""

    src: bytes
    type: int
    code: int
    payload: bytes


def _addr(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    try:
        return ipaddress.ip_address(text).packed
    except ValueError:
        raise LocalProtocolError(f"IP address {text!r}: expected an IPv4 or IPv6 address") from None


class Host:
    """One network interface with the stack below TCP on it.

    ``cidr``/``gateway`` configure IPv4 statically (``"10.0.0.2/24"``);
    ``dhcp=True`` instead starts a :class:`~.dhcp_client.DhcpClient` (``rng``
    supplies its xids) and configures IPv4 from the lease. ``ipv6`` lists
    extra IPv6 addresses; a link-local one is always there.
    """

    def __init__(
        self,
        mac: bytes,
        cidr: str | None = None,
        gateway: str | None = None,
        *,
        name: str = "host",
        ipv6: tuple[str, ...] = (),
        dhcp: bool = False,
        rng: random.Random | None = None,
        mtu: int = 1500,
        now: Ns = 0,
    ) -> None:
        self.name = name
        self.mac = mac
        self.ipv4 = Ipv4Layer(mac, cidr, gateway, mtu=mtu, now=now)
        self.ipv6 = Ipv6Layer(mac, ipv6, mtu=mtu)
        self.udp = UdpDemux()
        self.dhcp: DhcpClient | None = None
        self.dhcp_server: DhcpServer | None = None
        if dhcp:
            self.dhcp = DhcpClient(mac, rng if rng is not None else random.Random(0), hostname=name)

    @property
    def ip(self) -> bytes:
        return self.ipv4.ip

    @property
    def deadline(self) -> Ns | None:
        # Asked after every step: no tuple of three and no earliest() call when only IPv4 has a deadline.
        a = self.ipv4.deadline
        ipv6 = self.ipv6
        if ipv6._neighbors:  # only neighbour entries have timers (Ipv6Layer.deadline)
            b = ipv6.deadline
            if b is not None and (a is None or b < a):
                a = b
        dhcp = self.dhcp
        if dhcp is not None:
            c = dhcp.deadline
            if c is not None and (a is None or c < a):
                a = c
        return a

    def _step(self, events: list[Any], frames: list[bytes]) -> Step:
        return Step(tuple(events), tuple(frames), self.deadline)

    @staticmethod
    def _take(step: Step, events: list[Any], frames: list[bytes]) -> None:
        events.extend(step.events)
        frames.extend(step.frames)

    # --- lifecycle and time ------------------------------------------------

    def start(self, now: Ns) -> Step:
        """Connect time: a gratuitous ARP for a static address, or a DHCPDISCOVER."""
        events: list[Any] = []
        frames: list[bytes] = []
        self._take(self.ipv4.start(now), events, frames)
        if self.dhcp is not None:
            self._take(self.dhcp.start(now), events, frames)
        return self._step(events, frames)

    def timer(self, now: Ns) -> Step:
        """Run every timer due by ``now`` (ARP, reassembly, neighbour discovery, DHCP)."""
        events: list[Any] = []
        frames: list[bytes] = []
        self._take(self.ipv4.timer(now), events, frames)
        self._take(self.ipv6.timer(now), events, frames)
        if self.dhcp is not None:
            self._dhcp_step(now, self.dhcp.timer(now), events, frames)
        return self._step(events, frames)

    def _dhcp_step(self, now: Ns, step: Step, events: list[Any], frames: list[bytes]) -> None:
        self._take(step, events, frames)
        for e in step.events:
            if isinstance(e, LeaseObtained):
                self._take(self.ipv4.configure(now, e.lease.cidr, e.lease.gateway), events, frames)

    # --- sending -------------------------------------------------------------

    def serve_dhcp(self, server: DhcpServer) -> None:
        """Answer DHCP requests arriving on UDP port 67 with ``server``."""
        self.dhcp_server = server

    def listen_udp(self, port: int) -> None:
        """Deliver datagrams to ``port`` as :class:`~.udp.UdpReceived` events."""
        self.udp.listen(port)

    def send_udp(self, now: Ns, dst: str | bytes, src_port: int, dst_port: int, payload: bytes) -> Step:
        """Send a UDP datagram over IPv4 or IPv6 (by the destination's family)."""
        d = _addr(dst)
        if len(d) == 4:
            seg = encode_udp(self.ipv4.ip, d, src_port, dst_port, payload)
            return self.ipv4.send(now, d, PROTO_UDP, seg)
        src = self.ipv6.source_for(d)
        return self.ipv6.send(now, d, _NEXT_UDP, encode_udp(src, d, src_port, dst_port, payload))

    def ping(self, now: Ns, dst: str | bytes, seq: int = 0, data: bytes = b"", *, ident: int | None = None) -> Step:
        """Send one echo request (IPv4 or IPv6 by the destination's family)."""
        d = _addr(dst)
        ident = 1 if ident is None else ident
        if len(d) == 16:
            return self.ipv6.ping(now, d, ident, seq, data)
        return self.ipv4.send(now, d, PROTO_ICMP, encode_echo(True, ident, seq, data))

    # --- receiving -----------------------------------------------------------

    def ignores(self, now: Ns, frame: bytes) -> bool:
        """True for a broadcast or multicast frame that is another host's business (a NIC's receive filter).

        Another host's ARP request or announcement, an IPv6 multicast to a group
        we have not joined: :meth:`receive` would change nothing and send
        nothing for it (the IPv6 one is an event ``Dropped("ipv6", "not for
        us")``, which a real NIC's multicast filter never lets reach the host).
        On a LAN of N hosts every broadcast reaches all of them: this is what
        keeps those N deliveries cheap.
        """
        if len(frame) < 14 or not frame[0] & 1:
            return False
        t = (frame[12] << 8) | frame[13]
        if t == ETHERTYPE_ARP:
            return self.ipv4.arp.ignores(now, frame[14:])
        if t == ETHERTYPE_IPV6:
            return self.ipv6.ignores(frame[14:])
        return False

    def receive(self, now: Ns, frame: bytes) -> Step:
        """An Ethernet frame from the wire."""
        try:
            eth = decode_ethernet(frame)
        except FrameError as err:
            return Step((Dropped("ethernet", str(err)),), (), self.deadline)
        if eth.dst != self.mac and not eth.dst[0] & 1:
            return Step((Dropped("ethernet", "frame for another MAC"),), (), self.deadline)
        events: list[Any] = []
        frames: list[bytes] = []
        t = eth.ethertype
        if t == ETHERTYPE_ARP:
            self._take(self.ipv4.arp_input(now, eth.payload), events, frames)
        elif t == ETHERTYPE_IPV4:
            step = self.ipv4.receive(now, eth.payload)
            for e in step.events:
                if isinstance(e, Ipv4Received):
                    self._ipv4(now, e, events, frames)
                else:
                    events.append(e)
            frames.extend(step.frames)
        elif t == ETHERTYPE_IPV6:
            step = self.ipv6.receive(now, eth.payload)
            frames.extend(step.frames)
            for e in step.events:
                if isinstance(e, Ipv6Received) and e.packet.next_header == _NEXT_UDP:
                    p = e.packet
                    events.append(self.udp.receive(p.src, p.dst, p.payload))
                elif isinstance(e, Icmpv6Received) and e.message.type == ECHO6_REPLY and len(e.message.body) >= 4:
                    ident, seq = struct.unpack_from("!HH", e.message.body)
                    events.append(PingReply(e.src, ident, seq, e.message.body[4:]))
                else:
                    events.append(e)
        else:
            events.append(Dropped("ethernet", f"EtherType {t:#06x} not handled"))
        return self._step(events, frames)

    def _ipv4(self, now: Ns, ev: Ipv4Received, events: list[Any], frames: list[bytes]) -> None:
        pkt = ev.packet
        if pkt.proto == PROTO_ICMP:
            try:
                msg = decode_icmpv4(pkt.payload)
            except FrameError as e:
                events.append(Dropped("icmpv4", str(e)))
                return
            reply = echo_reply_for(msg)
            if reply is not None:
                # Icmpv4.input: answer echo requests to our unicast address only.
                if pkt.dst == self.ipv4.ip:
                    self._take(self.ipv4.send(now, pkt.src, PROTO_ICMP, reply), events, frames)
            elif msg.type == ECHO_REPLY:
                events.append(PingReply(pkt.src, msg.ident, msg.seq, msg.payload))
            else:
                events.append(IcmpReceived(pkt.src, msg.type, msg.code, msg.payload))
        elif pkt.proto == PROTO_UDP:
            ev2 = self._udp4(now, pkt, events, frames)
            if ev2 is not None:
                events.append(ev2)
        else:
            events.append(ev)

    def _udp4(self, now: Ns, pkt: Ipv4Packet, events: list[Any], frames: list[bytes]) -> UdpReceived | Dropped | None:
        if self.dhcp is not None and len(pkt.payload) >= 4 and pkt.payload[2:4] == CLIENT_PORT.to_bytes(2, "big"):
            try:
                d = decode_udp(pkt.payload, pkt.src, pkt.dst)
            except FrameError as e:
                return Dropped("udp", str(e))
            self._dhcp_step(now, self.dhcp.receive(now, d.payload), events, frames)
            return None
        if self.dhcp_server is not None and pkt.payload[2:4] == SERVER_PORT.to_bytes(2, "big"):
            try:
                d = decode_udp(pkt.payload, pkt.src, pkt.dst)
            except FrameError as e:
                return Dropped("udp", str(e))
            step = self.dhcp_server.receive(now, d.payload, srcip=pkt.src, dstip=pkt.dst, srcport=d.src_port)
            self._take(step, events, frames)
            return None
        return self.udp.receive(pkt.src, pkt.dst, pkt.payload)
