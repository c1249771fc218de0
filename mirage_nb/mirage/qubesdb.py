"""The Qubes database (twin of mirage's ``lib/devices/qubesdb.ml``)."""

from __future__ import annotations

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import keys as Key
from ._util import get_target, pos

__all__ = ["qubesdb", "default_qubesdb", "pkg"]

qubesdb = Typ("qubesdb")
pkg = package("mirage-qubes", min="2.0.0", max="3.0.0")


def _configure(info: Info, _fs=None) -> None:
    if get_target(info) not in (Key.Mode.QUBES, Key.Mode.XEN):
        raise ConfigError("Qubes DB invoked for an unsupported target; qubes and xen are supported")


default_qubesdb = impl(
    "Qubes.DB",
    qubesdb,
    packages=[pkg],
    configure=_configure,
    connect=lambda _i, m, _n: Code(f"{m}.connect ~domid:0 ()", pos("lib/devices/qubesdb.ml", 20)),
    doc="The QubesDB of the VM (twin of ``Mirage.default_qubesdb``).",
)
