"""UDP (twin of mirage's ``lib/devices/udp.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.types import Typ

from ._util import expect, get_target, pos
from .ip import ip, right_tcpip_library

__all__ = ["udp", "udpv4v6", "udp_direct_func", "direct_udp", "udpv4v6_socket_conf"]

udp = Typ("udp")
udpv4v6 = udp


def udp_direct_func() -> Impl:
    """A fresh ``Udp.Make`` functor."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (ip_,) = expect(names, 1, "udp")
        return Code(f"{modname}.connect {ip_}", pos("lib/devices/udp.ml", 14))

    return impl(
        "Udp.Make",
        ip @ udp,
        packages=[right_tcpip_library(["udp"])],
        connect=connect,
        doc="UDP of mirage-tcpip.",
    )


def direct_udp(ip_: Impl) -> Impl:
    """Twin of ``direct_udp ip``: UDP over an IP layer (a fresh device each call)."""
    return udp_direct_func()(ip_)


def unix_only(what: str):
    """A configure hook refusing every target but unix and macosx."""

    def configure(info: Info, _fs=None) -> None:
        if get_target(info).group != "unix":
            raise ConfigError(f"{what} not supported on non-UNIX targets.")

    return configure


def socket_connect(who: str, line: int, file: str):
    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        only4, only6, v4, v6 = expect(names, 4, who)
        return Code(f"{modname}.connect ~ipv4_only:{only4} ~ipv6_only:{only6} {v4} {v6}", pos(file, line))

    return connect


def udpv4v6_socket_conf(
    *, ipv4_only: RuntimeArg, ipv6_only: RuntimeArg, ipv4_key: RuntimeArg, ipv6_key: RuntimeArg
) -> Impl:
    """UDP over the host's sockets (unix targets only)."""
    return impl(
        "Udpv4v6_socket",
        udpv4v6,
        runtime_args=[ipv4_only, ipv6_only, ipv4_key, ipv6_key],
        packages=[right_tcpip_library(["udpv4v6-socket"])],
        configure=unix_only("UDPv4v6 socket"),
        connect=socket_connect("udpv4v6_socket_conf", 32, "lib/devices/udp.ml"),
        doc="UDP over the host's sockets.",
    )
