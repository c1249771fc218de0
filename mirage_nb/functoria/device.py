"""Devices: the leaves of functoria's term language (twin of ``Functoria.Device``).

A device is a module (or functor) with a module type, the packages it needs,
its configure-time keys and runtime arguments, and the OCaml code that
connects it. Each :func:`~mirage_nb.functoria.impl.impl` call makes a *new*
device: devices are equal only to themselves, which is what sharing in the
graph is built on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import keys as K
from .ocaml import ocamlify
from .package import Package
from .runtime_arg import RuntimeArg
from .types import Typ

if TYPE_CHECKING:
    from .impl import Impl
    from .info import Info
    from .vfs import VirtualFS

__all__ = ["Code", "Device", "code", "default_connect", "nice_name"]


@dataclass(frozen=True, slots=True)
class Code:
    """OCaml connect code, with the position it was written at (for ``# line`` directives)."""

    code: str
    pos: tuple[str, int, int, int] | None = None


def code(pos: tuple[str, int, int, int] | None, text: str) -> Code:
    """Twin of ``Device.code ~pos``: connect code carrying its source position."""
    return Code(text, pos)


def default_connect(_info: Info, _modname: str, names: Sequence[str]) -> Code:
    """Functoria's default connect: ``return (a, b, c)``."""
    return Code(f"return ({', '.join(names)})")


Connect = Callable[["Info", str, Sequence[str]], Code]


@dataclass(eq=False, slots=True)
class Device:
    """One device. Compared by identity: two ``impl`` calls never make the same device."""

    module_name: str
    module_type: Typ
    keys: tuple[K.Key, ...] = ()
    runtime_args: tuple[RuntimeArg, ...] = ()
    packages: K.Value = field(default_factory=lambda: K.pure([]))
    local_libs: tuple[str, ...] = ()
    install: Callable[[Info], K.Value] | None = None
    connect: Connect = default_connect
    dune: Callable[[Info], list[str]] | None = None
    configure: Callable[[Info, VirtualFS], None] | None = None
    files: Callable[[Info], list[str]] | None = None
    extra_deps: tuple[Impl, ...] = ()
    doc: str = ""
    # What the simulator runs for this device; the engine never reads it.
    sim: Any = None
    # The library calls that returned this device (partially applied), as (impl, call)
    # pairs: how ``Application.to_config_ml`` prints it back (see functoria/to_config_ml.py).
    made_by: list[tuple[Any, Any]] = field(default_factory=list, repr=False)

    @property
    def nice_name(self) -> str:
        return nice_name(self.module_name)

    def __repr__(self) -> str:
        return f"<device {self.module_name} : {self.module_type!r}>"


@functools.lru_cache(maxsize=1024)
def nice_name(module_name: str) -> str:
    """``Device.nice_name``: ``Tcpip_stack_socket.V4V6`` → ``tcpip_stack_socket_v4v6``.

    Memoised: evaluating a graph asks it of every device many times over
    (78 times per ``conduit_server`` graph), from a handful of module names.
    """
    return ocamlify("_".join(module_name.split(".")).translate(_ASCII_LOWER))


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def packages_value(packages: Sequence[Package] | None, packages_v: K.Value | None) -> K.Value:
    """Static packages first, then the key-dependent ones (``Device.merge_packages``)."""
    static = list(packages or [])
    if packages_v is None:
        return K.pure(static)
    return K.map_(lambda dyn: static + list(dyn), packages_v)
