"""Ethernet (twin of mirage's ``lib/devices/ethernet.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .network import network

__all__ = ["ethernet", "ethif", "etif", "ethif_conf"]

ethernet = Typ("ethernet")


def _connect(_info: Info, m: str, names: Sequence[str]) -> Code:
    (eth,) = expect(names, 1, "etif")
    return Code(f"{m}.connect {eth}", pos("lib/devices/ethernet.ml", 10))


# One functor for every use: ``ethif net`` twice on the same net is one node.
ethif_conf = impl(
    "Ethernet.Make",
    network @ ethernet,
    packages=[package("ethernet", min="3.0.0", max="4.0.0")],
    connect=_connect,
    doc="The Ethernet layer of mirage-tcpip's ethernet package.",
)


def ethif(net: Impl) -> Impl:
    """Twin of ``ethif``/``etif``: Ethernet over a network interface."""
    return ethif_conf(net)


etif = ethif
