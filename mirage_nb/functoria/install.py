"""What a unikernel installs: binaries and etc files (twin of ``Functoria.Install``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Install"]


@dataclass(frozen=True, slots=True)
class Install:
    """``bin`` pairs (built file, installed name) and ``etc`` files, in declaration order."""

    bin: tuple[tuple[str, str], ...] = ()
    etc: tuple[str, ...] = ()

    @staticmethod
    def empty() -> Install:
        return Install()

    @staticmethod
    def union(a: Install, b: Install) -> Install:
        return Install(
            a.bin + tuple(x for x in b.bin if x not in a.bin),
            a.etc + tuple(x for x in b.etc if x not in a.etc),
        )
