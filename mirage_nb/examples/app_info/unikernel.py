"""Twin of mirage-skeleton tutorial/app_info: print the statically linked libraries on stdout.

The list comes from the build (dune-build-info); in the simulator it is what
the boot was given for the job (``params["libraries"]``).
"""

from typing import Any

from mirage_nb.unikernel import Build_info, Fmt


def pp_library(ppf: Any, lib: tuple[str, str]) -> None:
    Fmt.pf(ppf, "%s.%s", *lib)


async def start() -> None:
    libraries = [
        (lib.name, lib.version if lib.version is not None else "n/a")
        for lib in Build_info.V1.Statically_linked_libraries.to_list()
    ]
    Fmt.pr("libraries:\n")
    for lib in libraries:
        Fmt.pr("  - %a\n", pp_library, lib)
