"""Conduit: TCP (and TLS) connections for cohttp (twin of mirage's ``lib/devices/conduit.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import fmt as F
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .stack import stackv4v6

__all__ = ["conduit", "pkg", "tcp", "tls", "conduit_direct"]

conduit = Typ("conduit")
pkg = package("conduit-mirage", min="8.0.0", max="9.0.0")


def _connect(who: str, line: int):
    def connect(_info: Info, _modname: str, names: Sequence[str]) -> Code:
        (stack,) = expect(names, 1, who)
        # The trailing "@;" becomes a newline when Format flushes (spec §0).
        return Code(F.sprintf("Lwt.return %s@;", stack), pos("lib/devices/conduit.ml", line))

    return connect


tcp = impl(
    "Conduit_mirage.TCP",
    stackv4v6 @ conduit,
    packages=[pkg],
    connect=_connect("tcp_conduit", 11),
    doc="Conduit's TCP connections over a stack.",
)

tls = impl(
    "Conduit_mirage.TLS",
    conduit @ conduit,
    packages=[pkg, package("tls-mirage", min="2.0.0", max="3.0.0")],
    connect=_connect("tls_conduit", 19),
    doc="Conduit's TLS over another conduit.",
)


def conduit_direct(s: Impl, *, tls: bool = False) -> Impl:
    """Twin of ``conduit_direct ?tls stack``: TCP, with TLS on top when ``tls``."""
    return _TLS(_TCP(s)) if tls else _TCP(s)


_TCP, _TLS = tcp, tls
