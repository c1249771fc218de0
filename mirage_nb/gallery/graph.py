"""The device graph as inline SVG, drawn by graphviz's ``dot`` program from the engine's dot text.

The SVG goes straight into the page, so only its ``<svg>`` element is kept
(no XML declaration, no DOCTYPE, no comments: a comment would carry device
names outside dot's own escaping). Each node's label text keeps dot's default
14-point font, and the page shows the drawing at its natural size in a
scrollable, zoomable frame rather than shrinking it to fit.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from mirage_nb.errors import MirageNbError

__all__ = ["GraphError", "svg_of_dot", "dot_available"]


class GraphError(MirageNbError):
    """graphviz's ``dot`` is missing or refused the graph."""


_COMMENT = re.compile(r"<!--.*?-->", re.S)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def svg_of_dot(dot: str) -> str:
    """The ``<svg>...</svg>`` element ``dot -Tsvg`` draws for ``dot`` (graphviz source text)."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphError(
            "graphviz's dot program is not on PATH (apt-get install graphviz): the gallery draws graphs with it"
        )
    proc = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise GraphError(f"dot -Tsvg failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace').strip()}")
    svg = proc.stdout.decode()
    start = svg.find("<svg")
    if start < 0:
        raise GraphError("dot -Tsvg printed no <svg> element")
    return _COMMENT.sub("", svg[start:]).strip() + "\n"
