"""MirageOS runtime arguments (twin of ``Mirage.Runtime_arg``): boot-time command-line options.

Each helper builds the OCaml code that registers the argument in main.ml;
the positions are those of ``lib/devices/runtime_arg.ml`` in mirage 4.11.1,
since they show up in the generated ``# line`` directives and decide the
order in which main.ml registers the arguments.
"""

from __future__ import annotations

from mirage_nb.functoria.ocaml import quote
from mirage_nb.functoria.package import package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.runtime_arg import runtime_arg as create

from ._util import pos

__all__ = ["create", "v", "delay", "logs", "runtime_arg", "runtime_network_key", "pp_group", "pp_docs"]

_FILE = "lib/devices/runtime_arg.ml"


def v(arg: RuntimeArg) -> RuntimeArg:
    """``Runtime_arg.v``: the argument as a value devices list (the identity here)."""
    return arg


def runtime_arg(line: int, name: str) -> RuntimeArg:
    """An argument of ``Mirage_runtime`` itself (``Mirage_runtime.<name>``)."""
    return create(pos(_FILE, line), f"Mirage_runtime.{name}", [package("mirage-runtime")])


def runtime_network_key(line: int, code: str) -> RuntimeArg:
    """An argument of ``Mirage_runtime_network`` (package ``mirage-runtime.network``)."""
    return create(
        pos(_FILE, line), f"Mirage_runtime_network.{code}", [package("mirage-runtime", sublibs=["network"])]
    )


def pp_group(group: str | None) -> str:
    """``~group:"g" `` when a group is given (OCaml ``%S``), else nothing."""
    return "" if not group else f"~group:{quote(group)} "


def pp_docs(docs: str | None) -> str:
    return "" if not docs else f"~docs:{quote(docs)} "


delay = runtime_arg(32, "delay")
logs = runtime_arg(203, "logs")
