"""Twin of ``Build_info.V1`` (dune-build-info): the libraries statically linked into the unikernel.

The real list comes from the build; the simulator has no build, so the list is
what the boot was given (the job node's ``params["libraries"]``, pairs of
name and version or None), empty otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from mirage_nb.sim.run import current_run

__all__ = ["Build_info", "Statically_linked_library"]


@dataclass(frozen=True, slots=True)
class Statically_linked_library:
    """One linked library: ``name`` and ``version`` (None when dune does not know it)."""

    name: str
    version: str | None

    @staticmethod
    def name_of(lib: Statically_linked_library) -> str:
        return lib.name


class _Libraries:
    @staticmethod
    def to_list() -> list[Statically_linked_library]:
        libs = current_run().devices.get("_build_info", ())
        return [Statically_linked_library(n, v) for n, v in libs]


class _V1:
    Statically_linked_libraries = _Libraries
    Statically_linked_library = Statically_linked_library


class Build_info:
    """``Build_info.V1.Statically_linked_libraries.to_list ()``."""

    V1 = _V1
