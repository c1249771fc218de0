"""A small DHCP server machine for the virtual LAN (in the spirit of charrua's ``Dhcp_server``).

It hands out addresses from one range on one network, remembers leases by
client MAC, and follows RFC 2131 §4.3: DISCOVER gets an OFFER (the client's
current lease if it has one, else the lowest free address); REQUEST gets an
ACK when it asks for the address we offered or leased to that client, a NAK
when it asks for another of ours, and silence when it chose another server;
RELEASE frees a lease; DECLINE takes the address out of use. Like charrua,
``siaddr`` is set to the server's address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, FrameError, Ns, Step
from mirage_nb.sim.net.dhcp import (
    BOOTREPLY,
    BOOTREQUEST,
    CLIENT_PORT,
    DHCPACK,
    DHCPDECLINE,
    DHCPDISCOVER,
    DHCPNAK,
    DHCPOFFER,
    DHCPRELEASE,
    DHCPREQUEST,
    FLAG_BROADCAST,
    OPT_DNS_SERVERS,
    OPT_LEASE_TIME,
    OPT_MESSAGE_TYPE,
    OPT_REQUESTED_IP,
    OPT_ROUTERS,
    OPT_SERVER_ID,
    OPT_SUBNET_MASK,
    SERVER_PORT,
    DhcpMessage,
    decode_dhcp,
    encode_dhcp,
)
from mirage_nb.sim.net.udp import encode_udp4_frame

__all__ = ["LeaseGranted", "DhcpServer"]

_ANY = b"\x00\x00\x00\x00"


@dataclass(frozen=True, slots=True)
class LeaseGranted:
    """We ACKed ``address`` to the client ``mac`` until ``expires`` (virtual ns)."""

    mac: bytes
    address: bytes
    expires: Ns


class DhcpServer:
    """Serves ``network`` (``"10.0.0.0/24"``) from ``ip``, leasing ``first``..``last``."""

    def __init__(
        self,
        mac: bytes,
        ip: str,
        network: str,
        first: str,
        last: str,
        *,
        routers: tuple[str, ...] = (),
        dns: tuple[str, ...] = (),
        lease_time: int = 3600,
    ) -> None:
        try:
            self.network = ipaddress.IPv4Network(network)
            self.ip = ipaddress.IPv4Address(ip).packed
            lo = int(ipaddress.IPv4Address(first))
            hi = int(ipaddress.IPv4Address(last))
            self.routers = [ipaddress.IPv4Address(r).packed for r in routers]
            self.dns = [ipaddress.IPv4Address(r).packed for r in dns]
        except ValueError as e:
            raise LocalProtocolError(f"DHCP server configuration: {e}") from None
        if lo > hi or ipaddress.IPv4Address(lo) not in self.network or ipaddress.IPv4Address(hi) not in self.network:
            raise LocalProtocolError(f"DHCP range {first}..{last}: expected an ascending range inside {network}")
        self.mac = mac
        self.range = (lo, hi)
        self.lease_time = lease_time
        self.leases: dict[bytes, tuple[bytes, Ns]] = {}  # mac -> (address, expires)
        self.offers: dict[bytes, bytes] = {}  # mac -> offered address
        self.declined: set[bytes] = set()

    def _taken(self, now: Ns, addr: bytes, mac: bytes) -> bool:
        if addr in self.declined or addr == self.ip:
            return True
        for m, (a, exp) in self.leases.items():
            if a == addr and m != mac and exp > now:
                return True
        return any(a == addr and m != mac for m, a in self.offers.items())

    def _ours(self, addr: bytes) -> bool:
        n = int.from_bytes(addr, "big")
        return self.range[0] <= n <= self.range[1]

    def _pick(self, now: Ns, mac: bytes, wanted: bytes | None) -> bytes | None:
        lease = self.leases.get(mac)
        if lease is not None:
            return lease[0]
        if wanted is not None and self._ours(wanted) and not self._taken(now, wanted, mac):
            return wanted
        for n in range(self.range[0], self.range[1] + 1):
            a = n.to_bytes(4, "big")
            if not self._taken(now, a, mac):
                return a
        return None

    def _reply(self, req: DhcpMessage, kind: int, yiaddr: bytes) -> bytes:
        opts: list[tuple[int, bytes]] = [(OPT_MESSAGE_TYPE, bytes([kind])), (OPT_SERVER_ID, self.ip)]
        if kind != DHCPNAK:
            opts.append((OPT_LEASE_TIME, self.lease_time.to_bytes(4, "big")))
            opts.append((OPT_SUBNET_MASK, self.network.netmask.packed))
            if self.routers:
                opts.append((OPT_ROUTERS, b"".join(self.routers)))
            if self.dns:
                opts.append((OPT_DNS_SERVERS, b"".join(self.dns)))
        msg = DhcpMessage(
            op=BOOTREPLY,
            xid=req.xid,
            chaddr=req.chaddr,
            options=tuple(opts),
            yiaddr=yiaddr if kind != DHCPNAK else _ANY,
            siaddr=self.ip,
            giaddr=req.giaddr,
            flags=req.flags,
            hlen=req.hlen,
        )
        # RFC 2131 §4.1: broadcast if the client asked to or has no address yet (and always a NAK).
        if kind == DHCPNAK or req.flags & FLAG_BROADCAST or req.ciaddr == _ANY:
            dst_mac, dst_ip = BROADCAST_MAC, b"\xff\xff\xff\xff"
        else:
            dst_mac, dst_ip = req.mac, req.ciaddr
        return encode_udp4_frame(self.mac, dst_mac, self.ip, dst_ip, SERVER_PORT, CLIENT_PORT, encode_dhcp(msg))

    def receive(self, now: Ns, payload: bytes) -> Step:
        """A UDP payload that arrived on port 67."""
        try:
            req = decode_dhcp(payload)
        except FrameError as e:
            return Step((Dropped("dhcp", str(e)),))
        if req.op != BOOTREQUEST:
            return Step((Dropped("dhcp", "a BOOTREPLY sent to the server port"),))
        mac = req.mac
        kind = req.message_type
        if kind == DHCPDISCOVER:
            addr = self._pick(now, mac, req.ip_option(OPT_REQUESTED_IP))
            if addr is None:
                return Step((Dropped("dhcp", "address range exhausted"),))
            self.offers[mac] = addr
            return Step((), (self._reply(req, DHCPOFFER, addr),))
        if kind == DHCPREQUEST:
            server = req.ip_option(OPT_SERVER_ID)
            if server is not None and server != self.ip:
                self.offers.pop(mac, None)  # the client chose another server
                return Step()
            wanted = req.ip_option(OPT_REQUESTED_IP) or req.ciaddr
            expected = self.offers.get(mac) or (self.leases.get(mac) or (None,))[0]
            ok = wanted != _ANY and (
                wanted == expected or (expected is None and self._ours(wanted) and not self._taken(now, wanted, mac))
            )
            if not ok:
                if server is None and not self.network.overlaps(ipaddress.IPv4Network(wanted)):
                    return Step()  # INIT-REBOOT for another network: stay silent (§4.3.2)
                return Step((Dropped("dhcp", "requested address refused"),), (self._reply(req, DHCPNAK, _ANY),))
            self.offers.pop(mac, None)
            expires = now + self.lease_time * 1_000_000_000
            self.leases[mac] = (wanted, expires)
            return Step((LeaseGranted(mac, wanted, expires),), (self._reply(req, DHCPACK, wanted),))
        if kind == DHCPRELEASE:
            lease = self.leases.get(mac)
            if lease is not None and lease[0] == req.ciaddr:
                del self.leases[mac]
            return Step()
        if kind == DHCPDECLINE:
            addr = req.ip_option(OPT_REQUESTED_IP)
            if addr is not None:
                self.declined.add(addr)
                self.leases.pop(mac, None)
            return Step()
        return Step((Dropped("dhcp", f"message type {kind} not served"),))
