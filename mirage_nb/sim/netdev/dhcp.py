"""The charrua modules a DHCP server unikernel calls, as Python twins: ``Dhcp_wire`` and ``Dhcp_server``.

mirage-skeleton's ``applications/dhcp`` handles raw frames itself (no IP
stack): ``Dhcp_wire.pkt_of_buf`` parses, ``Dhcp_server.Input.input_pkt``
decides, ``Dhcp_wire.pkt_into_buf`` fills the frame ``N.write`` sends. The
machine behind them is :mod:`mirage_nb.sim.net.dhcp_charrua`; this module
gives it the OCaml shapes (``Ok``/``Error``, ``Dhcp_server.Input.Reply``...),
plus ``Ethernet.Packet.of_cstruct`` for the unikernel's own demultiplexing.
"""

from __future__ import annotations

from typing import Any

from mirage_nb.sim.net import dhcp_charrua as C
from mirage_nb.sim.net._base import FrameError
from mirage_nb.sim.net.ethernet import decode_ethernet
from mirage_nb.sim.netdev.values import Macaddr
from mirage_nb.sim.result import Error, Msg, Ok

__all__ = ["Dhcp_wire", "Dhcp_server", "EthernetPacket", "Not_dhcp"]


class Not_dhcp:  # noqa: N801 - the OCaml variant
    """``` `Not_dhcp ```: the frame is not a DHCP packet."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Not_dhcp)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "`Not_dhcp"


class Dhcp_wire:  # noqa: N801 - the OCaml module's name
    """Twin of charrua's ``Dhcp_wire`` (the parts a server unikernel uses)."""

    client_port = 68
    server_port = 67
    is_dhcp = staticmethod(C.is_dhcp)
    pkt_into_buf = staticmethod(C.pkt_into_buf)
    pp_pkt = staticmethod(C.pp_pkt)
    Routers = staticmethod(C.routers_option)
    Dns_servers = staticmethod(C.dns_servers_option)
    Domain_name = staticmethod(C.domain_name_option)

    @staticmethod
    def pkt_of_buf(buf: Any, length: int | None = None) -> Any:
        """``Ok pkt``, ``Error Not_dhcp()`` or ``Error (Msg e)``."""
        try:
            return Ok(C.pkt_of_buf(buf, length))
        except C.NotDhcp:
            return Error(Not_dhcp())
        except FrameError as e:
            return Error(Msg(str(e)))


class Dhcp_server:  # noqa: N801 - the OCaml module's name
    """Twin of charrua-server's ``Dhcp_server``: ``Config.make``, ``Lease.make_db``, ``Input.input_pkt``."""

    class Config:
        make = staticmethod(C.ServerConfig.make)

    class Lease:
        make_db = staticmethod(C.LeaseDb.make_db)

    class Input:
        Silence = C.Silence
        Update = C.Update
        Reply = C.Reply
        Warning = C.Warning
        Error = C.Error
        input_pkt = staticmethod(C.input_pkt)


class EthernetHeader:
    """``Ethernet.Packet.t``: source, destination, ethertype (``"ARP"``, ``"IPv4"``, ``"IPv6"`` or a number)."""

    def __init__(self, source: bytes, destination: bytes, ethertype: int) -> None:
        self.source = Macaddr(source)
        self.destination = Macaddr(destination)
        self.ethertype = {0x0806: "ARP", 0x0800: "IPv4", 0x86DD: "IPv6"}.get(ethertype, ethertype)


class EthernetPacket:
    """``Ethernet.Packet``: ``of_cstruct buf`` is ``Ok((header, payload))`` or ``Error(text)``."""

    sizeof_ethernet = 14

    @staticmethod
    def of_cstruct(buf: Any) -> Any:
        try:
            f = decode_ethernet(bytes(buf))
        except FrameError as e:
            return Error(str(e))
        return Ok((EthernetHeader(f.src, f.dst, f.ethertype), memoryview(f.payload)))
