"""TCP: mirage-tcpip's, µTCP, or the host's sockets (twin of mirage's ``lib/devices/tcp.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.ocaml import quote
from mirage_nb.functoria.package import package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.types import Typ

from . import keys as Key
from ._util import expect, pos
from .ip import ip, right_tcpip_library
from .udp import socket_connect, unix_only

__all__ = ["tcp", "tcpv4v6", "utcp_direct_func", "tcp_direct_func", "direct_tcp", "tcpv4v6_socket_conf"]

tcp = Typ("tcp")
tcpv4v6 = tcp


def utcp_direct_func(name: str) -> Impl:
    """A fresh ``Utcp_mirage.Make`` functor; ``name`` names the µTCP instance."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (ip_,) = expect(names, 1, "utcp")
        return Code(f"Lwt.return ({modname}.connect {quote(name)} {ip_})", pos("lib/devices/tcp.ml", 14))

    return impl(
        "Utcp_mirage.Make",
        ip @ tcp,
        packages=[package("utcp", sublibs=["mirage"])],
        connect=connect,
        doc="µTCP, a TCP written as a pure state machine.",
    )


def tcp_direct_func(_name: str) -> Impl:
    """A fresh ``Tcp.Flow.Make`` functor."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (ip_,) = expect(names, 1, "tcp")
        return Code(f"{modname}.connect {ip_}", pos("lib/devices/tcp.ml", 22))

    return impl(
        "Tcp.Flow.Make",
        ip @ tcp,
        packages=[right_tcpip_library(["tcp"])],
        connect=connect,
        doc="TCP of mirage-tcpip.",
    )


def direct_tcp(ip_: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``direct_tcp ?group ip``: mirage-tcpip's TCP, or µTCP with ``--utcp``."""
    use_utcp_key = Key.utcp(group).value()
    use_utcp = K.app(K.pure(lambda b: "Utcp" if b else "No"), use_utcp_key)
    name = group if group is not None else "service"
    return match_impl(use_utcp, [("Utcp", utcp_direct_func(name)(ip_))], default=tcp_direct_func(name)(ip_))


def tcpv4v6_socket_conf(
    *, ipv4_only: RuntimeArg, ipv6_only: RuntimeArg, ipv4_key: RuntimeArg, ipv6_key: RuntimeArg
) -> Impl:
    """TCP over the host's sockets (unix targets only)."""
    return impl(
        "Tcpv4v6_socket",
        tcpv4v6,
        packages=[right_tcpip_library(["tcpv4v6-socket"])],
        configure=unix_only("TCPv4v6 socket"),
        runtime_args=[ipv4_only, ipv6_only, ipv4_key, ipv6_key],
        connect=socket_connect("tcpv4v6_socket_conf", 47, "lib/devices/tcp.ml"),
        doc="TCP over the host's sockets.",
    )
