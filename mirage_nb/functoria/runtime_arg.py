"""Runtime arguments: command-line arguments of the built unikernel (twin of ``Runtime_arg``).

They are not shown by ``describe``; ``configure`` writes one
``Mirage_runtime.register_arg`` block per argument into main.ml, and each
device's connect code receives the argument's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .ocaml import ocamlify
from .package import Package

__all__ = ["RuntimeArg", "runtime_arg", "ocamlify", "sort_runtime_args"]


Pos = tuple[str, int, int, int]


@dataclass(frozen=True, slots=True, eq=False)
class RuntimeArg:
    """One runtime argument: where its code was written, the OCaml term, its packages."""

    file: str
    line: int
    name: str
    code: str
    packages: tuple[Package, ...] = ()

    @property
    def var_name(self) -> str:
        return ocamlify(self.name).lower()

    def sort_key(self) -> tuple[Any, ...]:
        # OCaml's structural compare on the record {pos; name; code; packages}.
        return (self.file, self.line, self.name, self.code, tuple(p.name for p in self.packages))

    def same(self, other: RuntimeArg) -> bool:
        return self.sort_key() == other.sort_key()


def runtime_arg(pos: Pos, code: str, packages: Sequence[Package] = ()) -> RuntimeArg:
    """Twin of ``Runtime_arg.create ~pos ?packages code``."""
    file, line = pos[0], pos[1]
    return RuntimeArg(file, line, ocamlify(code), code, tuple(packages))


def sort_runtime_args(args: Iterable[RuntimeArg]) -> list[RuntimeArg]:
    """The set of runtime arguments in ``Runtime_arg.Set`` order (equal ones once)."""
    out: dict[tuple[Any, ...], RuntimeArg] = {}
    for a in args:
        out.setdefault(a.sort_key(), a)
    return [out[k] for k in sorted(out)]
