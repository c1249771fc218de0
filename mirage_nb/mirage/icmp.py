"""ICMPv4 (twin of mirage's ``lib/devices/icmp.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .ip import ip, right_tcpip_library

__all__ = ["icmp", "icmpv4", "icmpv4_direct", "direct_icmpv4"]

icmp = Typ("icmp")
icmpv4 = icmp


def _connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    (ip_,) = expect(names, 1, "icmpv4")
    return Code(f"{modname}.connect {ip_}", pos("lib/devices/icmp.ml", 12))


def icmpv4_direct() -> Impl:
    """A fresh ``Icmpv4.Make`` functor (a new device each call)."""
    return impl(
        "Icmpv4.Make",
        ip @ icmp,
        packages=[right_tcpip_library(["icmpv4"])],
        connect=_connect,
        doc="ICMPv4 of mirage-tcpip.",
    )


def direct_icmpv4(ip_: Impl) -> Impl:
    """ICMPv4 over an IP layer (fresh each call)."""
    return icmpv4_direct()(ip_)
