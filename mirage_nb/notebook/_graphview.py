"""The HTML of a device graph: drawn at full size in a scrolling pane, a learner view, zoom and pan.

A real config's graph is thousands of pixels wide (``static_web``'s is
about 6,000 px); shrunk to a notebook cell its labels are 3 px tall. Here
the SVG keeps graphviz's own size (14 pt labels, larger than the body
text) inside a pane that scrolls and can be dragged; buttons zoom.

When the graph is an application's, a learner view comes first: the
devices every unikernel gets folded into one node (see :mod:`._learner`).
Clicking that node, or the "full graph" button, shows the faithful graph
with the folded vertices highlighted.

The behaviour is plain CSS and a small script shipped in the package
(``data/graphview.css``, ``data/graphview.js``), inlined into each graph's
output (displays without a graph do not carry them):
nothing is fetched, and the output is the same text for the same graph
(ids come from the dot source's hash, :func:`._graph.graph_id`).

Every SVG travels as an ``<img>`` data URI, whose scrolling pane is styled
inline. So where a sanitizer removes ``<style>``, ``<script>`` and
``<svg>`` (an untrusted notebook), the graph still shows at full size and
scrolls; the full graph is one ``<details>`` click away. Trusted, the
script puts each SVG inline (its nodes become clickable), shows the
buttons and one view at a time. ipywidgets runs no script: there, the
stylesheet and ``<details>`` alone give the same two views.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from importlib import resources

from ._learner import Fold

__all__ = ["graph_view_html", "graph_view_css", "graph_view_js"]


@functools.cache
def _asset(name: str) -> str:
    return resources.files("mirage_nb.notebook").joinpath("data", name).read_text(encoding="utf-8")


def graph_view_css() -> str:
    """The graph view's stylesheet (namespaced under ``.mirage-nb``)."""
    return _asset("graphview.css")


def graph_view_js() -> str:
    """The graph view's script: one document-wide handler, installed once per page."""
    return _asset("graphview.js")


def _esc(s: object) -> str:
    from ._html import esc

    return esc(s)


def _img(svg: str, alt: str) -> str:
    """The SVG as an ``<img>`` at its own size: an image runs nothing, and survives a sanitizer."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img class="mnb-gv-img" alt="{_esc(alt)}" style="max-width: none; max-height: none" '
        f'src="data:image/svg+xml;base64,{data}"/>'
    )


_SCROLL_STYLE = "overflow: auto; max-height: 75vh; max-width: 100%; background: white"
"""Inline, so the pane scrolls also where a sanitizer removed the stylesheet (an untrusted notebook)."""


def _scroll(inner: str) -> str:
    return f'<div class="mnb-gv-scroll" style="{_SCROLL_STYLE}">{inner}</div>'


def _count(n: int) -> str:
    return f"{n} vertex" if n == 1 else f"{n} vertices"


def _vertices(dot: str) -> int:
    from ._text import _VERTEX

    return len(_VERTEX.findall(dot))


def graph_view_html(
    dot: str, fold: Fold | None = None, *, draw: Callable[[str], str] | None = None, script: bool = True
) -> str:
    """The graph view of ``dot`` (and of its learner view ``fold``), or a message when it cannot be drawn.

    ``draw`` turns dot source into SVG (graphviz by default). The learner
    view is dropped, not the graph, if only its drawing fails. ``script``
    False leaves the script out (ipywidgets' HTML does not run it; there the
    panes work through ``<details>`` and scrolling alone).
    """
    from ._graph import graph_id, svg_of

    draw = draw or svg_of
    try:
        full = draw(dot)
    except Exception as e:  # noqa: BLE001 - no graphviz: say so, keep the dot source visible
        return (
            f'<div class="mnb-graph"><p class="mnb-problem">graph not drawn: {_esc(e)}</p>'
            f"<details open><summary>dot source</summary><pre>{_esc(dot)}</pre></details></div>"
        )
    learner = None
    if fold is not None:
        try:
            learner = draw(fold.source)
        except Exception:  # noqa: BLE001 - the full graph alone is still right
            learner = None
    n = _vertices(dot)
    parts: list[str] = []
    buttons: list[str] = []
    data_fold = ""
    full_title = f"full graph ({_count(n)})"
    if learner is not None and fold is not None:
        mods = ", ".join(f"<code>{_esc(m)}</code>" for m in fold.modules)
        parts.append(
            '<div class="mnb-gv-pane" data-mnb-view="learner">'
            f'<p class="mnb-gv-note">Learner view: the {_count(len(fold.vertices))} every unikernel gets '
            f"({mods}) are folded into the shaded node. Click it, or <b>{_esc(full_title)}</b>, to see them.</p>"
            f"{_scroll(_img(learner, 'device graph, learner view'))}</div>"
        )
        buttons.append(
            '<button type="button" data-mnb-show="learner" title="the runtime devices folded into one node">'
            "learner view</button>"
        )
        data_fold = f' data-mnb-fold="{_esc(" ".join(str(v) for v in fold.vertices))}"'
        shaded = " Run in a trusted notebook, it shades the vertices the learner view folds."
        parts.append(
            '<details class="mnb-gv-pane" data-mnb-view="full">'
            f"<summary>{_esc(full_title)}, as <code>mirage describe --dot</code> prints it</summary>"
            f'<p class="mnb-gv-note">The faithful graph.{shaded}</p>'
            f"{_scroll(_img(full, 'device graph'))}</details>"
        )
        buttons.append(
            f'<button type="button" data-mnb-show="full" title="every vertex, as mirage describe --dot draws it">'
            f'{_esc(full_title)}</button><span class="mnb-gv-sep"></span>'
        )
    else:
        parts.append(f'<div class="mnb-gv-pane" data-mnb-view="full">{_scroll(_img(full, "device graph"))}</div>')
    zoom = (
        '<button type="button" data-mnb-zoom="out" title="zoom out">\u2212</button>'
        '<span class="mnb-gv-zoomlabel">100%</span>'
        '<button type="button" data-mnb-zoom="in" title="zoom in">+</button>'
        '<button type="button" data-mnb-zoom="reset" title="labels at full size">1:1</button>'
        '<button type="button" data-mnb-zoom="fit" title="the whole width in view">fit</button>'
    )
    gid = graph_id(dot)
    js = f"<script>{graph_view_js()}</script>" if script else ""
    return (
        f'<div class="mnb-gv" id="{gid}-view"{data_fold}><style>{graph_view_css()}</style>'
        f'<div class="mnb-gv-bar" hidden>{"".join(buttons)}{zoom}</div>'
        f"{''.join(parts)}"
        f"<details><summary>dot source</summary><pre>{_esc(dot)}</pre></details>"
        f"{js}</div>"
    )
