"""Mimic: protocol-agnostic connections (twin of mirage's ``lib/devices/mimic.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .dns import dns_client
from .happy_eyeballs import happy_eyeballs
from .stack import stackv4v6

__all__ = ["mimic", "mimic_happy_eyeballs"]

mimic = Typ("mimic")


def _connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    _stack, he, _dns = expect(names, 3, "mimic")
    return Code(f"{modname}.connect {he}", pos("lib/devices/mimic.ml", 11))


# One functor shared by every use, as in OCaml.
_mimic_happy_eyeballs = impl(
    "Mimic_happy_eyeballs.Make",
    stackv4v6 @ happy_eyeballs @ dns_client @ mimic,
    packages=[package("mimic-happy-eyeballs", min="0.0.9")],
    connect=_connect,
    doc="Mimic connections through happy eyeballs and a DNS client.",
)


def mimic_happy_eyeballs(stack: Impl, he: Impl, dns: Impl) -> Impl:
    """Twin of ``mimic_happy_eyeballs stackv4v6 happy_eyeballs dns``."""
    return _mimic_happy_eyeballs(stack, he, dns)
