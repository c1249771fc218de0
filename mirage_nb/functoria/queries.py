"""What ``mirage query`` can answer, and the default opam overlay: shared by the CLI, its help and codegen.

Kept apart from :mod:`mirage_nb.functoria.codegen` so that ``describe``
does not load the code generators just to know these names.
"""

from __future__ import annotations

__all__ = ["QUERY_KINDS", "DEFAULT_EXTRA_REPOS"]

#: The kinds ``mirage query`` accepts, in its help's order.
QUERY_KINDS = (
    "name",
    "packages",
    "opam",
    "files",
    "Makefile",
    "dune.config",
    "dune.build",
    "dune-project",
    "dune-workspace",
    "dune.dist",
)

#: ``--extra-repos``' default (functoria's cli.ml).
DEFAULT_EXTRA_REPOS = [("opam-overlays", "https://github.com/dune-universe/opam-overlays.git")]
