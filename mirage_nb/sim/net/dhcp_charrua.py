"""charrua's DHCP server API as a pure machine: ``Dhcp_wire`` packets and ``Dhcp_server.Input.input_pkt``.

mirage-skeleton's ``applications/dhcp`` unikernel drives charrua by hand:
it parses each Ethernet frame into a DHCP packet (``Dhcp_wire.pkt_of_buf``),
feeds it with the lease database and the time in seconds to
``Dhcp_server.Input.input_pkt``, and acts on the outcome. This module gives
the same shapes over the project's codec (:mod:`.dhcp`):

- :class:`DhcpPacket`: a whole frame's worth (MACs, IPs, ports, message);
  :func:`pkt_of_buf`, :func:`pkt_into_buf`, :func:`is_dhcp`, :func:`pp_pkt`;
- :class:`ServerConfig` (``Config.make``), :class:`LeaseDb` (``Lease.make_db``),
  each lease with its expiry in seconds of the monotonic clock;
- :func:`input_pkt`: :class:`Silence`, :class:`Update`, :class:`Reply`,
  :class:`Warning` or :class:`Error`, following RFC 2131 §4.3 as charrua does:
  DISCOVER gets an OFFER, or the warning ``No ips left to offer`` when every
  address of the range is leased (and not expired); REQUEST in SELECTING,
  INIT-REBOOT or RENEWING state gets an ACK or a NAK with charrua's message
  (an address already leased to another client is NAKed ``Requested address
  is allocated``); RELEASE and DECLINE update the database; INFORM gets an
  ACK with options and no address. Expired leases are free again;
- :class:`DhcpServer`: the same machine behind a simulated peer host's UDP
  port 67 (:meth:`~mirage_nb.sim.net.host.Host.serve_dhcp`), so the LAN's
  scripted servers and the ``dhcp`` unikernel answer clients alike.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, FrameError, Ns, Step, mac_str
from mirage_nb.sim.net.dhcp import (
    ADDR_ANY,
    ADDR_BROADCAST,
    BOOTREPLY,
    BOOTREQUEST,
    CLIENT_PORT,
    DHCPACK,
    DHCPDECLINE,
    DHCPDISCOVER,
    DHCPNAK,
    DHCPOFFER,
    DHCPRELEASE,
    FLAG_BROADCAST,
    MESSAGE_TYPE_NAMES,
    OPT_CLIENT_ID,
    OPT_DNS_SERVERS,
    OPT_DOMAIN_NAME,
    OPT_HOSTNAME,
    OPT_LEASE_TIME,
    OPT_MESSAGE,
    OPT_MESSAGE_TYPE,
    OPT_PARAMETER_REQUESTS,
    OPT_REBINDING_TIME,
    OPT_RENEWAL_TIME,
    OPT_REQUESTED_IP,
    OPT_ROUTERS,
    OPT_SERVER_ID,
    OPT_SUBNET_MASK,
    SERVER_PORT,
    DhcpMessage,
    decode_dhcp,
    encode_dhcp,
)
from mirage_nb.sim.net.ethernet import decode_ethernet
from mirage_nb.sim.net.ipv4 import decode_ipv4
from mirage_nb.sim.net.udp import decode_udp, encode_udp4_frame

__all__ = [
    "DhcpPacket",
    "pkt_of_buf",
    "pkt_into_buf",
    "is_dhcp",
    "pp_pkt",
    "ServerConfig",
    "Lease",
    "LeaseDb",
    "Silence",
    "Update",
    "Reply",
    "Warning",
    "Error",
    "input_pkt",
    "NotDhcp",
]

_T1, _T2 = 0.5, 0.8


@dataclass(frozen=True, slots=True)
class DhcpPacket:
    """``Dhcp_wire.pkt``: the DHCP message with the addresses and ports of the frame that carried it."""

    srcmac: bytes
    dstmac: bytes
    srcip: bytes
    dstip: bytes
    srcport: int
    dstport: int
    msg: DhcpMessage


class NotDhcp(Exception):  # noqa: N818 - the OCaml variant's name
    """``Error `Not_dhcp``: a frame that is not DHCP (not UDP to port 67/68)."""


def is_dhcp(buf: Any, _len: int | None = None) -> bool:
    """``Dhcp_wire.is_dhcp``: an Ethernet/IPv4/UDP frame to or from the DHCP ports."""
    b = bytes(buf)
    if len(b) < 14 + 20 + 8 or b[12:14] != b"\x08\x00" or b[23] != 17:
        return False
    ihl = (b[14] & 0x0F) * 4
    ports = b[14 + ihl : 14 + ihl + 4]
    if len(ports) < 4:
        return False
    src, dst = int.from_bytes(ports[:2], "big"), int.from_bytes(ports[2:], "big")
    return {src, dst} <= {SERVER_PORT, CLIENT_PORT} or dst in (SERVER_PORT, CLIENT_PORT)


def pkt_of_buf(buf: Any, _len: int | None = None) -> DhcpPacket:
    """``Dhcp_wire.pkt_of_buf``: the packet; :class:`NotDhcp` or :class:`FrameError` otherwise."""
    b = bytes(buf)
    if not is_dhcp(b):
        raise NotDhcp()
    eth = decode_ethernet(b)
    ip = decode_ipv4(eth.payload)
    u = decode_udp(ip.payload, ip.src, ip.dst)
    return DhcpPacket(eth.src, eth.dst, ip.src, ip.dst, u.src_port, u.dst_port, decode_dhcp(u.payload))


def encode_pkt(p: DhcpPacket) -> bytes:
    return encode_udp4_frame(p.srcmac, p.dstmac, p.srcip, p.dstip, p.srcport, p.dstport, encode_dhcp(p.msg))


def pkt_into_buf(p: DhcpPacket) -> Any:
    """``Dhcp_wire.pkt_into_buf pkt``: the fill function ``N.write`` takes (writes the frame, returns its length)."""
    frame = encode_pkt(p)

    def fill(buf: Any) -> int:
        buf[: len(frame)] = frame
        return len(frame)

    return fill


def _ip(b: bytes) -> str:
    return str(ipaddress.IPv4Address(b))


_CODE_NAMES = {
    1: "Subnet mask",
    2: "Time offset",
    3: "Routers",
    6: "DNS servers",
    12: "Hostname",
    15: "Domain name",
    17: "Root path",
    23: "Default IP TTL",
    26: "Interface MTU",
    28: "Broadcast address",
    31: "Perform router discovery",
    32: "Router solicitation address",
    33: "Static routes",
    40: "NIS domain",
    41: "NIS servers",
    42: "NTP servers",
    43: "Vendor specific",
    44: "NETBIOS name servers",
    46: "NETBIOS node",
    47: "NETBIOS scope",
    50: "Request IP",
    51: "IP lease time",
    53: "Message type",
    54: "Server identifier",
    55: "Parameter request",
    56: "Message",
    57: "Max message",
    58: "Renewal T1",
    59: "Rebinding T2",
    60: "Vendor class ID",
    61: "Client ID",
    66: "TFTP server name",
    67: "Bootfile name",
    119: "Domain search",
    120: "SIP servers",
    121: "Classless static route",
    249: "Private classless static route",
    252: "Web proxy auto discovery",
}
_MSG_NAMES = {i: "DHCP " + n[4:] for i, n in MESSAGE_TYPE_NAMES.items()}


def _code_name(c: int) -> str:
    return _CODE_NAMES.get(c, f"Other {c}")


def _option_to_string(code: int, v: bytes) -> str:
    """charrua's ``dhcp_option_to_string`` for the options this server meets (others: ``Other n: bytes``)."""
    name = _CODE_NAMES.get(code)
    match code:
        case 53 if len(v) == 1 and v[0] in _MSG_NAMES:
            return f"Message type {_MSG_NAMES[v[0]]}"
        case 1 | 28 | 32 | 50 | 54 if len(v) == 4:
            return f"{name} {_ip(v)}"
        case 3 | 6 | 41 | 42 | 44 if len(v) % 4 == 0:
            return f"{name} " + ", ".join(_ip(v[i : i + 4]) for i in range(0, len(v), 4))
        case 12 | 15 | 17 | 40 | 43 | 47 | 56 | 60 | 66 | 67:
            return f"{name} {v.decode('latin-1')}"
        case 51 | 58 | 59 if len(v) == 4:
            return f"{name} {int.from_bytes(v, 'big')}"
        case 23 | 46 if len(v) == 1:
            return f"{name} {v[0]}"
        case 26 | 57 if len(v) == 2:
            return f"{name} {int.from_bytes(v, 'big')}"
        case 55:
            return "Parameter request " + ", ".join(_code_name(c) for c in v)
        case 61 if len(v) == 7 and v[0] == 1:
            return f"Client ID MAC {mac_str(v[1:])}"
        case 61 if v:
            return f"Client ID ID {v[0]} {v[1:].hex()}"
    return f"Other {code}: {v.decode('latin-1')}"


def pp_pkt(p: DhcpPacket) -> str:
    """charrua's ``Dhcp_wire.pp_pkt``: the packet over several lines, as the unikernel logs it."""
    m = p.msg
    op = "BOOT REQUEST" if m.op == BOOTREQUEST else "BOOT REPLY"
    htype = "Ethernet 10MB" if m.htype == 1 else "Other"
    flags = "Broadcast" if m.flags & FLAG_BROADCAST else "Unicast"
    opts = ", ".join(_option_to_string(c, v) for c, v in m.options)
    return (
        f"src MAC {mac_str(p.srcmac)} dst MAC {mac_str(p.dstmac)}\n"
        f"src IP {_ip(p.srcip)} dst IP {_ip(p.dstip)}\n"
        f"src port {p.srcport} dst port {p.dstport}\n"
        f"operation {op}\n"
        f"htype {htype} hlen {m.hlen} hops {m.hops}\n"
        f"XID {m.xid} secs {m.secs} flags {flags}\n"
        f"ciaddr {_ip(m.ciaddr)} yiaddr {_ip(m.yiaddr)}\n"
        f"siaddr {_ip(m.siaddr)} giaddr {_ip(m.giaddr)} chaddr {mac_str(m.mac)}\n"
        f"sname {m.sname.split(bytes(1))[0].decode('latin-1')} file {m.file.split(bytes(1))[0].decode('latin-1')}\n"
        f"options {opts}"
    )


# --- configuration and leases --------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    """``Dhcp_server.Config.t``: who we are, what we serve, which options we give."""

    hostname: str
    ip: bytes
    mac: bytes
    network: ipaddress.IPv4Network
    range: tuple[int, int]
    default_lease_time: int
    max_lease_time: int
    options: tuple[tuple[int, bytes], ...] = ()

    @classmethod
    def make(
        cls,
        *,
        hostname: str,
        default_lease_time: int,
        max_lease_time: int,
        hosts: Any = (),
        addr_tuple: tuple[Any, Any],
        network: Any,
        range: tuple[Any, Any] | None,  # noqa: A002 - charrua's label
        options: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...] = (),
    ) -> ServerConfig:
        ip, mac = addr_tuple
        net = ipaddress.IPv4Interface(str(network)).network
        ipb = ipaddress.IPv4Address(str(ip)).packed
        mac_b = mac if isinstance(mac, bytes) else bytes.fromhex(str(mac).replace(":", ""))
        if range is None:
            lo, hi = int(net.network_address) + 1, int(net.broadcast_address) - 1
        else:
            lo, hi = int(ipaddress.IPv4Address(str(range[0]))), int(ipaddress.IPv4Address(str(range[1])))
        if lo > hi or ipaddress.IPv4Address(lo) not in net or ipaddress.IPv4Address(hi) not in net:
            raise ValueError(f"DHCP range {range}: expected an ascending range inside {net}")
        return cls(hostname, ipb, mac_b, net, (lo, hi), default_lease_time, max_lease_time, tuple(options))


@dataclass(frozen=True, slots=True)
class Lease:
    """One lease: the client (its id or MAC), the address, when it started and ends (seconds)."""

    client_id: bytes
    addr: bytes
    tm_start: int
    tm_end: int

    def expired(self, now: int) -> bool:
        return self.tm_end <= now


@dataclass(frozen=True)
class LeaseDb:
    """``Dhcp_server.Lease.database``: an immutable map client id -> lease (each input returns a new one)."""

    leases: dict[bytes, Lease] = field(default_factory=dict)

    @classmethod
    def make_db(cls) -> LeaseDb:
        return cls()

    def replace(self, lease: Lease) -> LeaseDb:
        return LeaseDb({**self.leases, lease.client_id: lease})

    def remove(self, lease: Lease) -> LeaseDb:
        return LeaseDb({k: v for k, v in self.leases.items() if k != lease.client_id})

    def allocated(self, addr: bytes, now: int) -> bool:
        return any(le.addr == addr and not le.expired(now) for le in self.leases.values())

    def to_list(self) -> list[Lease]:
        return sorted(self.leases.values(), key=lambda le: le.addr)


# --- outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Silence:
    """Nothing to do (not for us, or nothing to say)."""


@dataclass(frozen=True, slots=True)
class Update:
    """The database changed (RELEASE, DECLINE); ``lease`` is the one concerned."""

    lease: Lease | None
    db: LeaseDb


@dataclass(frozen=True, slots=True)
class Reply:
    """Send ``pkt``; ``lease`` is the lease it grants (None for OFFER, NAK, INFORM)."""

    pkt: DhcpPacket
    lease: Lease | None
    db: LeaseDb


@dataclass(frozen=True, slots=True)
class Warning:  # noqa: A001 - charrua's constructor name
    """Something odd but harmless: logged as a warning."""

    message: str


@dataclass(frozen=True, slots=True)
class Error:
    """A bad packet: logged as an error."""

    message: str


Outcome = Silence | Update | Reply | Warning | Error


def _client_id(m: DhcpMessage) -> bytes:
    cid = m.option(OPT_CLIENT_ID)
    return cid if cid else b"\x01" + m.mac


def _options_for(cfg: ServerConfig, m: DhcpMessage) -> list[tuple[int, bytes]]:
    """The options the client asked for (parameter request list) that we have (charrua's ``collect_replies``)."""
    wanted = m.option(OPT_PARAMETER_REQUESTS)
    have = dict(cfg.options)
    have.setdefault(OPT_SUBNET_MASK, cfg.network.netmask.packed)
    have.setdefault(OPT_HOSTNAME, cfg.hostname.encode())
    if wanted is None:
        return []
    return [(c, have[c]) for c in wanted if c in have]


def _reply(
    cfg: ServerConfig, req: DhcpPacket, options: list[tuple[int, bytes]], *, ciaddr: bytes, yiaddr: bytes, siaddr: bytes
) -> DhcpPacket:
    m = req.msg
    out = DhcpMessage(
        op=BOOTREPLY,
        xid=m.xid,
        chaddr=m.chaddr,
        options=tuple(options),
        ciaddr=ciaddr,
        yiaddr=yiaddr,
        siaddr=siaddr,
        giaddr=m.giaddr,
        flags=m.flags,
        hlen=m.hlen,
    )
    kind = options[0][1][0]
    # RFC 2131 §4.1: a NAK, a client asking for broadcast or one without an address yet gets a broadcast.
    if kind == DHCPNAK or m.flags & FLAG_BROADCAST or m.ciaddr == ADDR_ANY:
        dstmac, dstip = BROADCAST_MAC, ADDR_BROADCAST
    else:
        dstmac, dstip = m.mac, m.ciaddr
    return DhcpPacket(cfg.mac, dstmac, cfg.ip, dstip, SERVER_PORT, CLIENT_PORT, out)


def _u32(n: int) -> bytes:
    return int(n).to_bytes(4, "big")


def _lease_options(cfg: ServerConfig, m: DhcpMessage, kind: int, lt: int) -> list[tuple[int, bytes]]:
    """An OFFER's or ACK's options: the lease time with its T1/T2, who we are, and what the client asked for."""
    return [
        (OPT_MESSAGE_TYPE, bytes([kind])),
        (OPT_LEASE_TIME, _u32(lt)),
        (OPT_RENEWAL_TIME, _u32(int(_T1 * lt))),
        (OPT_REBINDING_TIME, _u32(int(_T2 * lt))),
        (OPT_SERVER_ID, cfg.ip),
        *_options_for(cfg, m),
    ]


def _good_address(cfg: ServerConfig, addr: bytes) -> bool:
    n = int.from_bytes(addr, "big")
    return cfg.range[0] <= n <= cfg.range[1]


def _usable(cfg: ServerConfig, db: LeaseDb, now: int) -> bytes | None:
    for n in range(cfg.range[0], cfg.range[1] + 1):
        a = n.to_bytes(4, "big")
        if a != cfg.ip and not db.allocated(a, now):
            return a
    return None


def input_pkt(cfg: ServerConfig, db: LeaseDb, pkt: DhcpPacket, now: int) -> Outcome:
    """``Dhcp_server.Input.input_pkt config db pkt now`` (``now`` in seconds)."""
    m = pkt.msg
    if (
        pkt.dstmac not in (cfg.mac, BROADCAST_MAC)
        or pkt.dstip not in (cfg.ip, ADDR_BROADCAST)
        or pkt.dstport != SERVER_PORT
    ):
        return Silence()
    if m.op != BOOTREQUEST or m.htype != 1 or m.hlen != 6 or pkt.srcport != CLIENT_PORT:
        return Error("Invalid packet")
    kind = m.message_type
    cid = _client_id(m)
    lease = db.leases.get(cid)
    if lease is not None and lease.expired(now):
        lease = None
    match kind:
        case None:
            return Error("Malformed packet: no dhcp msgtype")
        case 1:  # DISCOVER
            req = m.ip_option(OPT_REQUESTED_IP)
            if lease is not None:
                addr: bytes | None = lease.addr
            elif req is not None and _good_address(cfg, req) and not db.allocated(req, now):
                addr = req
            else:
                addr = _usable(cfg, db, now)
            if addr is None:
                return Warning("No ips left to offer")
            asked = m.u32_option(OPT_LEASE_TIME)
            lt = asked if asked is not None and asked <= cfg.max_lease_time else cfg.default_lease_time
            if asked is None and lease is not None:
                lt = lease.tm_end - now
            opts = _lease_options(cfg, m, DHCPOFFER, lt)
            return Reply(_reply(cfg, pkt, opts, ciaddr=ADDR_ANY, yiaddr=addr, siaddr=cfg.ip), None, db)
        case 3:  # REQUEST
            return _request(cfg, db, pkt, lease, cid, now)
        case 4 | 7:  # DECLINE, RELEASE
            what = MESSAGE_TYPE_NAMES[kind]
            sid = m.ip_option(OPT_SERVER_ID)
            if sid is None:
                return Error(f"{what} without server identifier")
            if sid != cfg.ip:
                return Silence()
            if kind == DHCPDECLINE and m.ip_option(OPT_REQUESTED_IP) is None:
                return Error(f"{what} without request ip")
            if lease is None:
                return Silence()
            if kind == DHCPRELEASE and m.ciaddr != lease.addr:
                return Update(None, db)
            return Update(lease, db.remove(lease))
        case 8:  # INFORM
            if m.ciaddr == ADDR_ANY:
                return Error("DHCPINFORM without ciaddr")
            opts = [(OPT_MESSAGE_TYPE, bytes([DHCPACK])), (OPT_SERVER_ID, cfg.ip), *_options_for(cfg, m)]
            return Reply(_reply(cfg, pkt, opts, ciaddr=m.ciaddr, yiaddr=ADDR_ANY, siaddr=cfg.ip), None, db)
    return Warning(f"Unhandled msgtype {MESSAGE_TYPE_NAMES.get(kind, str(kind))}")


def _request(cfg: ServerConfig, db: LeaseDb, pkt: DhcpPacket, lease: Lease | None, cid: bytes, now: int) -> Outcome:
    m = pkt.msg
    req = m.ip_option(OPT_REQUESTED_IP)
    sid = m.ip_option(OPT_SERVER_ID)

    def nak(msg: str) -> Reply:
        opts = [(OPT_MESSAGE_TYPE, bytes([DHCPNAK])), (OPT_SERVER_ID, cfg.ip), (OPT_MESSAGE, msg.encode())]
        return Reply(_reply(cfg, pkt, opts, ciaddr=ADDR_ANY, yiaddr=ADDR_ANY, siaddr=ADDR_ANY), None, db)

    def ack(le: Lease) -> Reply:
        le = replace(le, tm_start=now, tm_end=now + cfg.default_lease_time)
        lt = le.tm_end - now
        opts = _lease_options(cfg, m, DHCPACK, lt)
        rep = _reply(cfg, pkt, opts, ciaddr=m.ciaddr, yiaddr=le.addr, siaddr=cfg.ip)
        return Reply(rep, le, db.replace(le))

    if sid is not None and req is not None:  # SELECTING
        if sid != cfg.ip:
            return Silence()
        if m.ciaddr != ADDR_ANY:
            return Warning("Bad DHCPREQUEST, ciaddr is not 0")
        if not _good_address(cfg, req):
            return nak("Requested address is not in subnet range")
        if lease is not None:
            return ack(lease) if lease.addr == req else nak("Requested address is incorrect")
        if db.allocated(req, now):
            return nak("Requested address is allocated")
        return ack(Lease(cid, req, now, now + cfg.default_lease_time))
    if sid is None and req is not None:  # INIT-REBOOT
        if lease is None:
            return Silence()
        if m.ciaddr != ADDR_ANY:
            return Error("Bad DHCPREQUEST, ciaddr is not 0")
        if not _good_address(cfg, req):
            return nak("Requested address is not in subnet range")
        if lease.addr != req:
            return nak("Requested address is incorrect")
        return Silence()
    if sid is None and req is None and lease is not None:  # RENEWING / REBINDING
        if m.ciaddr == ADDR_ANY:
            return Error("Bad DHCPREQUEST, ciaddr is not 0")
        if lease.addr != m.ciaddr:
            return nak("Requested address is incorrect")
        return ack(lease)
    return Silence()


def dns_servers_option(*ips: str) -> tuple[int, bytes]:
    """``Dns_servers [ip...]`` as an option pair."""
    return OPT_DNS_SERVERS, b"".join(ipaddress.IPv4Address(i).packed for i in ips)


def routers_option(*ips: str) -> tuple[int, bytes]:
    """``Routers [ip...]`` as an option pair."""
    return OPT_ROUTERS, b"".join(ipaddress.IPv4Address(i).packed for i in ips)


def domain_name_option(name: str) -> tuple[int, bytes]:
    """``Domain_name name`` as an option pair."""
    return OPT_DOMAIN_NAME, name.encode()


__all__ += ["dns_servers_option", "routers_option", "domain_name_option", "encode_pkt", "FrameError", "DHCPDISCOVER"]


# --- the same server on a simulated host's UDP port 67 ---------------------------------


@dataclass(frozen=True, slots=True)
class LeaseGranted:
    """We ACKed ``address`` to the client ``mac`` until ``expires`` (virtual ns)."""

    mac: bytes
    address: bytes
    expires: Ns


_SECOND: Ns = 1_000_000_000


class DhcpServer:
    """:func:`input_pkt` behind a scripted peer host: serves ``network`` from ``ip``, leasing ``first``..``last``.

    The unikernel example drives :func:`input_pkt` itself; a simulated host
    (:meth:`~mirage_nb.sim.net.host.Host.serve_dhcp`) hands each UDP payload
    that reached port 67 here instead and gets a :class:`Step` back: the reply
    frame, a :class:`LeaseGranted` for an ACK that grants a lease, and charrua's
    warnings and errors as :class:`Dropped` events. ``routers`` and ``dns`` are
    given to clients that ask for them (parameter request list), as charrua does;
    ``hostname`` is charrua's ``Config.hostname`` (option 12, when asked for).
    """

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
        hostname: str = "dhcp-server",
    ) -> None:
        options: list[tuple[int, bytes]] = []
        try:
            if routers:
                options.append(routers_option(*routers))
            if dns:
                options.append(dns_servers_option(*dns))
            self.config = ServerConfig.make(
                hostname=hostname,
                default_lease_time=lease_time,
                max_lease_time=lease_time,
                addr_tuple=(ip, mac),
                network=ipaddress.IPv4Network(network),
                range=(first, last),
                options=options,
            )
        except ValueError as e:
            raise LocalProtocolError(f"DHCP server configuration: {e}") from None
        self.db = LeaseDb.make_db()

    @property
    def leases(self) -> dict[bytes, Lease]:
        """The lease database: client id (``01`` + MAC without a Client ID option) -> lease."""
        return self.db.leases

    def receive(
        self,
        now: Ns,
        payload: bytes,
        *,
        srcip: bytes = ADDR_ANY,
        dstip: bytes = ADDR_BROADCAST,
        srcport: int = CLIENT_PORT,
    ) -> Step:
        """A UDP payload that arrived on port 67 (from ``srcip``:``srcport`` to ``dstip``)."""
        try:
            msg = decode_dhcp(payload)
        except FrameError as e:
            return Step((Dropped("dhcp", str(e)),))
        cfg = self.config
        dstmac = cfg.mac if dstip == cfg.ip else BROADCAST_MAC
        pkt = DhcpPacket(msg.mac, dstmac, srcip, dstip, srcport, SERVER_PORT, msg)
        out = input_pkt(cfg, self.db, pkt, now // _SECOND)
        match out:
            case Reply(pkt=rep, lease=lease, db=db):
                self.db = db
                events: tuple[LeaseGranted, ...] = ()
                if lease is not None:
                    expires = now + (lease.tm_end - lease.tm_start) * _SECOND
                    events = (LeaseGranted(msg.mac, lease.addr, expires),)
                return Step(events, (encode_pkt(rep),))
            case Update(db=db):
                self.db = db
                return Step()
            case Warning(message=text) | Error(message=text):
                return Step((Dropped("dhcp", text),))
        return Step()


__all__ += ["DhcpServer", "LeaseGranted"]
