"""The DHCP client machine: twin of charrua's ``Dhcp_client`` as driven by ``Dhcp_ipv4``.

States follow charrua, which departs from RFC 2131's diagram on purpose: the
client starts in *selecting* (DHCPDISCOVER sent), takes the first DHCPOFFER
(*requesting*, DHCPREQUEST sent), and is *bound* on DHCPACK; a DHCPNAK starts
over. There is no INIT-REBOOT and no REBINDING. Messages carry the xid of the
transaction and replies with another xid are ignored (RFC 2131 §4.4.1).

What MirageOS's ``Dhcp_ipv4`` adds, here too: the parameter request list is
options 1 and 3 (subnet mask, routers), the unikernel's name is sent as
option 12 (hostname); with no lease 4 s after a DISCOVER the client starts
over with a fresh xid (drawn from the injected random generator); once bound
it renews every 1800 s regardless of the lease time.

Deliberate difference: the DHCPREQUEST's server identifier is taken from the
offer's option 54 when present (charrua uses the offer's ``siaddr``, which
non-charrua servers may leave zero); ``siaddr`` is the fallback.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Any

from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, FrameError, Ns, Step
from mirage_nb.sim.net.dhcp import (
    ADDR_ANY,
    ADDR_BROADCAST,
    BOOTREQUEST,
    CLIENT_PORT,
    DHCPACK,
    DHCPDISCOVER,
    DHCPNAK,
    DHCPOFFER,
    DHCPREQUEST,
    FLAG_BROADCAST,
    OPT_CLIENT_ID,
    OPT_HOSTNAME,
    OPT_LEASE_TIME,
    OPT_MESSAGE_TYPE,
    OPT_PARAMETER_REQUESTS,
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

__all__ = ["DhcpLease", "LeaseObtained", "DhcpClient", "RETRY_INTERVAL", "RENEW_INTERVAL"]

RETRY_INTERVAL: Ns = 4_000_000_000
"""``Dhcp_client_lwt``'s ``sleep_interval``: start over if no lease after 4 s."""
RENEW_INTERVAL: Ns = 1800_000_000_000
"""``Dhcp_client_lwt`` renews every 1800 s."""


@dataclass(frozen=True, slots=True)
class DhcpLease:
    """A usable lease: what ``Dhcp_ipv4.config_of_lease`` reads from a DHCPACK."""

    address: bytes
    netmask: bytes | None
    routers: tuple[bytes, ...]
    server: bytes
    lease_time: int | None
    ack: DhcpMessage

    @property
    def cidr(self) -> str:
        """``"a.b.c.d/len"`` for :meth:`Ipv4Layer.configure` (a /32 without a subnet mask)."""
        mask = ipaddress.IPv4Address(self.netmask).packed if self.netmask else b"\xff\xff\xff\xff"
        plen = bin(int.from_bytes(mask, "big")).count("1")
        return f"{ipaddress.IPv4Address(self.address)}/{plen}"

    @property
    def gateway(self) -> bytes | None:
        """The first router, as ``config_of_lease`` picks it."""
        return self.routers[0] if self.routers else None


@dataclass(frozen=True, slots=True)
class LeaseObtained:
    """A DHCPACK gave us (or renewed) a lease."""

    lease: DhcpLease


class DhcpClient:
    """The client side of a DHCP exchange for one interface (sans-IO)."""

    def __init__(
        self,
        mac: bytes,
        rng: random.Random,
        *,
        hostname: str | None = None,
        requests: tuple[int, ...] = (OPT_SUBNET_MASK, OPT_ROUTERS),
        options: tuple[tuple[int, bytes], ...] = (),
    ) -> None:
        self.mac = mac
        self.rng = rng
        self.requests = tuple(requests)
        extra = list(options)
        if hostname is not None:
            extra.append((OPT_HOSTNAME, hostname.encode()))
        self.options = tuple(extra)
        self.state = "init"
        self.xid = 0
        self.lease: DhcpLease | None = None
        self._offer: DhcpMessage | None = None
        self._sent: DhcpMessage | None = None
        self._deadline: Ns | None = None

    @property
    def deadline(self) -> Ns | None:
        return self._deadline

    # --- messages (charrua's create / offer) ---------------------------------

    def _message(self, options: list[tuple[int, bytes]], siaddr: bytes = ADDR_ANY) -> DhcpMessage:
        return DhcpMessage(
            op=BOOTREQUEST,
            xid=self.xid,
            chaddr=self.mac,
            options=tuple(options),
            siaddr=siaddr,
            flags=FLAG_BROADCAST,
        )

    def _discover(self) -> DhcpMessage:
        opts = [
            (OPT_MESSAGE_TYPE, bytes([DHCPDISCOVER])),
            (OPT_CLIENT_ID, b"\x01" + self.mac),
            (OPT_PARAMETER_REQUESTS, bytes(self.requests)),
            *self.options,
        ]
        return self._message(opts)

    def _request(self, server: bytes, address: bytes) -> DhcpMessage:
        opts = [
            (OPT_MESSAGE_TYPE, bytes([DHCPREQUEST])),
            (OPT_REQUESTED_IP, address),
            (OPT_SERVER_ID, server),
            *self.options,
        ]
        if self.requests:
            opts.insert(0, (OPT_PARAMETER_REQUESTS, bytes(self.requests)))
        return self._message(opts, siaddr=server)

    def _frame(self, msg: DhcpMessage) -> bytes:
        # Always broadcast, from 0.0.0.0: there may be more than one server listening.
        return encode_udp4_frame(
            self.mac, BROADCAST_MAC, ADDR_ANY, ADDR_BROADCAST, CLIENT_PORT, SERVER_PORT, encode_dhcp(msg)
        )

    def _send(self, msg: DhcpMessage, deadline: Ns | None, events: tuple[Any, ...] = ()) -> Step:
        self._sent = msg
        self._deadline = deadline
        return Step(events, (self._frame(msg),), deadline)

    def _start_over(self, now: Ns, events: tuple[Any, ...] = ()) -> Step:
        self.xid = self.rng.getrandbits(32)
        self.state = "selecting"
        self._offer = None
        return self._send(self._discover(), now + RETRY_INTERVAL, events)

    # --- entry points -------------------------------------------------------

    def start(self, now: Ns) -> Step:
        """Begin: a DHCPDISCOVER with a fresh xid."""
        return self._start_over(now)

    def timer(self, now: Ns) -> Step:
        """No lease in time: start over; bound long enough: renew."""
        if self._deadline is None or now < self._deadline:
            return Step((), (), self._deadline)
        if self.state in ("selecting", "requesting"):
            return self._start_over(now)
        if self.state in ("bound", "renewing") and self.lease is not None:
            self.state = "renewing"
            req = self._request(self.lease.server, self.lease.address)
            return self._send(req, now + RENEW_INTERVAL)
        self._deadline = None
        return Step()

    def receive(self, now: Ns, payload: bytes) -> Step:
        """A UDP payload that arrived on port 68 (``Dhcp_client.input``)."""
        try:
            msg = decode_dhcp(payload)
        except FrameError as e:
            return Step((Dropped("dhcp", str(e)),), (), self._deadline)
        if self.state == "init" or msg.xid != self.xid:
            return Step((Dropped("dhcp", f"xid {msg.xid:#010x} is not our transaction's"),), (), self._deadline)
        kind = msg.message_type
        if kind == DHCPOFFER and self.state == "selecting":
            # "The mechanism used to select one DHCPOFFER is implementation dependent": the first one.
            server = msg.ip_option(OPT_SERVER_ID) or msg.siaddr
            self._offer = msg
            self.state = "requesting"
            return self._send(self._request(server, msg.yiaddr), self._deadline)
        if kind == DHCPACK and self.state in ("requesting", "renewing"):
            server = msg.ip_option(OPT_SERVER_ID) or msg.siaddr
            lease = DhcpLease(
                msg.yiaddr,
                msg.ip_option(OPT_SUBNET_MASK),
                tuple(msg.ip_list_option(OPT_ROUTERS)),
                server,
                msg.u32_option(OPT_LEASE_TIME),
                msg,
            )
            self.lease = lease
            self.state = "bound"
            self._deadline = now + RENEW_INTERVAL
            return Step((LeaseObtained(lease),), (), self._deadline)
        if kind == DHCPNAK and self.state in ("requesting", "renewing"):
            # charrua: a NAK restarts the exchange with the same xid.
            self.state = "selecting"
            self.lease = None
            return self._send(self._discover(), now + RETRY_INTERVAL, (Dropped("dhcp", "DHCPNAK: starting over"),))
        return Step((Dropped("dhcp", f"message type {kind} ignored in state {self.state}"),), (), self._deadline)
