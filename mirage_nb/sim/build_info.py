"""Twin of ``Build_info.V1`` (dune-build-info): the libraries statically linked into the unikernel.

The real list comes from the build: every library linked into the unikernel,
each with the version of its opam package, and a real ``app_info`` prints one
``  - name.version`` line for each. The simulator has no build, so the list is
what the boot was given (the job node's ``params["libraries"]``, pairs of
name and version or None). A configured application gives it with
:func:`linked_libraries`: the libraries its generated dune file links, each
at the oldest version its package's bounds accept (what ``opam`` could have
installed; the real build shows what it did install), or None ("n/a") when
the package has no lower bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mirage_nb.sim.run import current_run

__all__ = ["Build_info", "Statically_linked_library", "linked_libraries"]


def _version_key(v: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|[^\d.~+-]+", v))


def linked_libraries(info: Any) -> tuple[tuple[str, str | None], ...]:
    """The ``(library, version)`` pairs a build of the configured ``info`` links (see the module's docstring)."""
    version: dict[str, str | None] = {}
    for p in info.packages:
        if p.build:
            continue
        low = max(p.min, key=_version_key) if p.min else None
        for lib in p.libs:
            version[lib] = low
    return tuple((lib, version.get(lib)) for lib in info.libraries())


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
