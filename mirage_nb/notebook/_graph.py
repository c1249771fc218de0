"""Drawing a dot graph with the real graphviz ``dot``: SVG with stable ids, and PNG.

Graphviz numbers its SVG elements ``graph0``, ``node1``, ``edge1``... the
same in every drawing, so two graphs shown in one notebook page would
collide (an ``url(#...)`` or a CSS rule of one picking elements of the
other). Every id is therefore prefixed with a hash of the dot source: the
same graph always gets the same ids (nbval compares outputs as text), and
two different graphs never share one. Comments carry graphviz's version
and the node names again; they are stripped so the SVG depends on nothing
but the source and the layout.

Drawing runs ``dot`` once per (source, format) and keeps the result in a
small cache keyed by the source text: re-displaying an object is free.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["Drawing", "GraphvizMissing", "GraphvizFailed", "graph_id", "draw", "svg_of", "png_of", "dot_version"]

DOT_TIMEOUT_S = 60
"""A drawing that takes longer is abandoned (a message is shown instead of the graph)."""


class GraphvizMissing(RuntimeError):
    """The ``dot`` program of graphviz is not installed (only the picture is lost, never the text)."""


class GraphvizFailed(RuntimeError):
    """``dot`` ran but could not draw the graph."""


@dataclass(frozen=True, slots=True)
class Drawing:
    """One graph drawn: its id prefix, the SVG (ids rewritten, no comments) and the PNG bytes."""

    gid: str
    svg: str
    png: bytes

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


def graph_id(source: str) -> str:
    """The id prefix of a graph: ``mg-`` and the first 10 hex digits of the source's SHA-256."""
    return "mg-" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:10]


def dot_version() -> str | None:
    """``dot -V`` (e.g. ``dot - graphviz version 2.43.0 (0)``), or None without graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    r = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=DOT_TIMEOUT_S, check=False)
    return (r.stderr or r.stdout).strip() or None


def _run_dot(source: str, fmt: str) -> bytes:
    if sys.platform == "emscripten":  # Pyodide (JupyterLite): graphviz compiled to WebAssembly, SVG only
        from mirage_nb.gallery.inbrowser import BrowserGraphviz, svg_of_dot

        if fmt != "svg":
            raise GraphvizMissing(f"no {fmt.upper()} drawing in the browser (the graphs are SVG there)")
        try:
            return svg_of_dot(source).encode("utf-8")
        except BrowserGraphviz as e:
            raise GraphvizFailed(str(e)) from None
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("graphviz's `dot` program was not found on PATH (install graphviz to see graphs)")
    try:
        r = subprocess.run(
            [exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise GraphvizFailed(f"dot took more than {DOT_TIMEOUT_S} s to draw the graph") from None
    except OSError as e:
        raise GraphvizFailed(f"cannot run dot: {e}") from None
    if r.returncode != 0 or not r.stdout:
        msg = r.stderr.decode("utf-8", "replace").strip() or f"exit status {r.returncode}"
        raise GraphvizFailed(f"dot could not draw the graph: {msg}")
    return r.stdout


_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*", re.S)
_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*")
_ID = re.compile(r'\bid="([^"]*)"')
_URL = re.compile(r"url\(#([^)]*)\)")
_HREF = re.compile(r'(xlink:href|href)="#([^"]*)"')


def stabilise_svg(svg: str, gid: str) -> str:
    """Strip comments, the doctype and the XML prolog; prefix every id (and reference to one) with ``gid``."""
    svg = _PROLOG.sub("", svg)
    svg = _DOCTYPE.sub("", svg)
    svg = _COMMENT.sub("", svg)
    svg = _ID.sub(lambda m: f'id="{gid}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{gid}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'{m.group(1)}="#{gid}-{m.group(2)}"', svg)
    # The outer element gets the graph id itself, so a page can address one graph.
    svg = svg.replace("<svg ", f'<svg id="{gid}" class="mirage-nb-graph" ', 1)
    return svg.strip() + "\n"


@functools.lru_cache(maxsize=64)
def svg_of(source: str) -> str:
    """The graph drawn as SVG by ``dot``, ids made stable (see the module docstring)."""
    raw = _run_dot(source, "svg").decode("utf-8", "replace")
    return stabilise_svg(raw, graph_id(source))


@functools.lru_cache(maxsize=64)
def png_of(source: str) -> bytes:
    """The graph drawn as PNG by ``dot`` (for viewers that will not show SVG: untrusted notebooks)."""
    return _run_dot(source, "png")


def draw(source: str) -> Drawing:
    """Both pictures of one graph. Raises :class:`GraphvizMissing` or :class:`GraphvizFailed`."""
    return Drawing(graph_id(source), svg_of(source), png_of(source))
