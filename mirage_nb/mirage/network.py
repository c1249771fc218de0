"""Network interfaces (twin of mirage's ``lib/devices/network.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, if_impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.ocaml import quote
from mirage_nb.functoria.package import Package, package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from ._util import connect_err, pos

__all__ = ["network", "netif", "default_network", "network_conf"]

network = Typ("network")

_QUBES_PKG = package("mirage-qubes", min="2.0.0", max="3.0.0")


def _packages(m: Key.Mode) -> list[Package]:
    match m:
        case Key.Mode.UNIX:
            return [package("mirage-net-unix", min="3.0.0", max="4.0.0")]
        case Key.Mode.MACOSX:
            return [package("mirage-net-macosx", min="1.8.0", max="2.0.0")]
        case Key.Mode.XEN:
            return [package("mirage-net-xen", min="2.1.0", max="3.0.0")]
        case Key.Mode.QUBES:
            return [package("mirage-net-xen", min="2.1.0", max="3.0.0"), _QUBES_PKG]
        case _ if m.group == "solo5":
            return [package("mirage-net-solo5", min="0.8.0", max="0.9.0")]
        case _:
            return [package("mirage-net-unikraft", min="1.0.0", max="2.0.0")]


def network_conf(name: str, *, intf: Runtime_arg.RuntimeArg | None = None) -> Impl:
    """A ``Netif`` device named ``name``; with ``intf``, the name comes from ``--interface`` at boot."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        if not names:
            return Code(f"{modname}.connect {quote(name)}", pos("lib/devices/network.ml", 25))
        if len(names) == 1:
            return Code(f"{modname}.connect {names[0]}", pos("lib/devices/network.ml", 26))
        raise connect_err("network_conf (sometimes 0 arguments)", 1)

    def configure(info: Info, _fs=None) -> None:
        # Listed in the solo5 manifest and the Xen .xl files (mirage's ``all_networks``).
        from .target_files import register_network

        register_network(info, name)

    return impl(
        "Netif",
        network,
        runtime_args=[intf] if intf is not None else [],
        packages_v=K.map_(_packages, Key.target.value()),
        connect=connect,
        configure=configure,
        doc=f"The network interface {name!r}.",
    )


def netif(dev: str, *, group: str | None = None) -> Impl:
    """Twin of ``netif ?group dev``: a network interface (solo5 names it at build time, others at boot)."""
    return if_impl(
        Key.is_solo5,
        network_conf(dev),
        network_conf(dev, intf=Runtime_arg.interface(dev, group=group)),
    )


M = Key.Mode

# Every entry is a fresh netif: 8 choices of 2 devices each (spec §6.2).
default_network = match_impl(
    Key.target.value(),
    [
        (M.UNIX, netif("tap0")),
        (M.MACOSX, netif("tap0")),
        (M.HVT, netif("service")),
        (M.SPT, netif("service")),
        (M.VIRTIO, netif("service")),
        (M.MUEN, netif("service")),
        (M.GENODE, netif("service")),
    ],
    default=netif("0"),
)
