"""ARP (twin of mirage's ``lib/devices/arp.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .ethernet import ethernet

__all__ = ["arpv4", "arp", "arp_conf"]

arpv4 = Typ("arpv4")


def _connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    (eth,) = expect(names, 1, "arp")
    return Code(f"{modname}.connect {eth}", pos("lib/devices/arp.ml", 12))


arp_conf = impl(
    "Arp.Make",
    ethernet @ arpv4,
    packages=[package("arp", min="4.0.0", max="5.0.0", sublibs=["mirage"])],
    connect=_connect,
    doc="ARP for IPv4 (the arp package's mirage functor).",
)


def arp(eth: Impl) -> Impl:
    """Twin of ``arp eth``."""
    return arp_conf(eth)
