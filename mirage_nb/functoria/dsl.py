"""The functoria DSL as a config sees it (twin of ``Functoria.DSL``).

``from mirage_nb.mirage import *`` gives these names together with the
MirageOS devices; this module is the engine's part, free of MirageOS.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import keys as K
from .device import Code
from .device import code as _code
from .impl import Impl, abstract, if_impl, impl, match_impl
from .impl import main as _main
from .package import Package, package
from .runtime_arg import RuntimeArg
from .runtime_arg import runtime_arg as _runtime_arg
from .types import Typ, argv, arrow, info, job, typ

__all__ = [
    "typ",
    "arrow",
    "job",
    "argv",
    "info",
    "impl",
    "main",
    "noop",
    "if_impl",
    "match_impl",
    "abstract",
    "dep",
    "key",
    "runtime_arg",
    "code",
    "package",
    "Code",
    "Impl",
    "Typ",
    "Package",
    "RuntimeArg",
]

noop = impl("Unit", job, doc="The job that does nothing (twin of ``Functoria.noop``).")
dep = abstract
key = lambda k: k  # noqa: E731 - ``Functoria.key``: a key as an abstract key (the key itself here)

UNIT_NOTICE = "adding unit argument to 'start ()' (to delay execution)"


def main(
    module_name: str,
    module_type: Typ,
    *,
    pos: tuple[str, int, int, int] | None = None,
    packages: Sequence[Package] | None = None,
    packages_v: K.Value | None = None,
    local_libs: Sequence[str] = (),
    runtime_args: Sequence[RuntimeArg] = (),
    deps: Sequence[Impl] | None = None,
) -> Impl:
    """Twin of ``main``: the unikernel's own module, whose connect calls its ``start``.

    As functoria does, a ``main`` that is not a functor and has no ``deps``
    gets ``noop`` as a dependency, so ``start ()`` runs only when connected,
    and a notice is printed on stdout (the real tool prints it too).
    """
    extra = list(deps or [])
    if not module_type.is_functor and not extra:
        print(UNIT_NOTICE, file=sys.stdout)
        extra = [noop]
    return _main(
        module_name,
        module_type,
        pos=pos,
        packages=packages,
        packages_v=packages_v,
        local_libs=local_libs,
        runtime_args=runtime_args,
        extra_deps=extra,
    )


def runtime_arg(pos: tuple[str, int, int, int], code: str, packages: Sequence[Package] = ()) -> RuntimeArg:
    """Twin of ``runtime_arg ~pos ?packages code``."""
    return _runtime_arg(pos, code, packages)


def code(pos: tuple[str, int, int, int] | None, fmt: str, *args: object) -> Code:
    """Twin of ``code ~pos fmt args``: connect code, formatted as ``Fmt.str`` would."""
    from .fmt import sprintf

    return _code(pos, sprintf(fmt, *args) if args or "@" in fmt else fmt)
