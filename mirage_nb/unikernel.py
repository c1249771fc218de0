"""What a simulated unikernel imports: MirageOS's runtime names, as in ``unikernel.ml``.

``from mirage_nb.unikernel import Logs, Mirage_sleep, Duration, Lwt`` gives
the twins of the OCaml modules a 4.9+ unikernel uses without declaring
devices: sleep, clocks, RNG, logs, runtime arguments, printing; and the
values network devices hand a unikernel (``Data``/``Eof`` of a flow's
``read``, ``Ipaddr``, ``Ethernet``'s protocols). They act on
the run being simulated (found through a context variable), so the same
unikernel code runs many times with different seeds and arguments.
"""

from __future__ import annotations

from mirage_nb.sim import lwt as Lwt
from mirage_nb.sim.block import Mirage_block
from mirage_nb.sim.boot import local_library
from mirage_nb.sim.build_info import Build_info
from mirage_nb.sim.clocks import Duration, Mirage_mtime, Mirage_ptime, Mirage_sleep, Ptime
from mirage_nb.sim.cmdliner import Arg
from mirage_nb.sim.crypto import Digestif, Mirage_crypto, Mirage_crypto_pk
from mirage_nb.sim.cstruct import Cstruct
from mirage_nb.sim.fmt import Fmt, Format, Printf
from mirage_nb.sim.hexdump import Hxd, Hxd_string, Ohex
from mirage_nb.sim.kv import Mirage_kv
from mirage_nb.sim.logs import Logs
from mirage_nb.sim.magic_mime import Magic_mime
from mirage_nb.sim.net.dns import TcpDnsReader, frame_tcp
from mirage_nb.sim.net.dns_server import Answered
from mirage_nb.sim.netdev import Data, Eof, Ipaddr
from mirage_nb.sim.netdev.cohttp import Cohttp, Cohttp_lwt, Cohttp_mirage
from mirage_nb.sim.netdev.conduit import TCP, TLS, Conduit_mirage
from mirage_nb.sim.netdev.dhcp import Dhcp_server, Dhcp_wire, EthernetPacket, Not_dhcp
from mirage_nb.sim.netdev.dns import Dns_server, Dns_zone
from mirage_nb.sim.netdev.http_client import Http_mirage_client
from mirage_nb.sim.netdev.link import ArpDevice, EthernetDevice
from mirage_nb.sim.netdev.mimic import Mimic
from mirage_nb.sim.netdev.paf import H1, H2, Alpn, Initialized, Paf
from mirage_nb.sim.netdev.tls import X509, Tls, Tls_mirage
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.rng import Mirage_crypto_rng, Randomconv
from mirage_nb.sim.runtime import Failure, Mirage_runtime, Stdlib
from mirage_nb.sim.sexp import Sexplib0
from mirage_nb.sim.uri import Uri

exit = Stdlib.exit
failwith = Stdlib.failwith


class Ethernet:
    """Twin of the ``ethernet`` library: ``module E = Ethernet.Make (N)`` and ``Ethernet.Packet``."""

    Packet = EthernetPacket

    @staticmethod
    def Make(netif: object) -> type[EthernetDevice]:  # noqa: N802 - the OCaml functor's name
        """``Ethernet.Make (N)``: the module whose ``connect`` takes a connected ``N``."""
        return EthernetDevice


class Arp:
    """Twin of the ``arp`` library: ``module A = Arp.Make (E)``."""

    @staticmethod
    def Make(ethernet: object) -> type[ArpDevice]:  # noqa: N802 - the OCaml functor's name
        """``Arp.Make (E)``: the module whose ``connect`` takes a connected ``E``."""
        return ArpDevice


__all__ = [
    "Alpn",
    "H2",
    "Http_mirage_client",
    "Mimic",
    "X509",
    "Sexplib0",
    "Answered",
    "Arp",
    "Not_dhcp",
    "TcpDnsReader",
    "frame_tcp",
    "Arg",
    "Build_info",
    "Cohttp",
    "Cohttp_lwt",
    "Cohttp_mirage",
    "Conduit_mirage",
    "Cstruct",
    "Data",
    "Dhcp_server",
    "Dhcp_wire",
    "Digestif",
    "Dns_server",
    "Dns_zone",
    "Duration",
    "Eof",
    "Error",
    "Ethernet",
    "Failure",
    "Fmt",
    "H1",
    "Format",
    "Hxd",
    "Hxd_string",
    "Ipaddr",
    "Initialized",
    "Logs",
    "Magic_mime",
    "Lwt",
    "Mirage_block",
    "Mirage_crypto",
    "Mirage_crypto_pk",
    "Mirage_crypto_rng",
    "Mirage_kv",
    "Mirage_mtime",
    "Mirage_ptime",
    "Mirage_runtime",
    "Mirage_sleep",
    "Msg",
    "Ohex",
    "Ok",
    "Paf",
    "Printf",
    "Ptime",
    "Randomconv",
    "Stdlib",
    "TCP",
    "TLS",
    "Tls",
    "Tls_mirage",
    "Uri",
    "exit",
    "failwith",
    "local_library",
]
