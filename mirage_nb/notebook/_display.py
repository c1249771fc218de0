"""The mimebundle of an object: ``text/plain`` always, HTML, and the graph as SVG and PNG.

:func:`mimebundle` is what the IPython formatters registered by the
extension call (and what ``_repr_mimebundle_`` of the notebook's own
objects returns). It never raises (STYLE §4.2): any failure ends in a
readable message in ``text/plain`` and ``text/html``.

Display is switchable (STYLE §4.5): :data:`DISPLAY_MODES` ``"rich"`` (all
types), ``"text"`` (``text/plain`` only). The mode is a parameter, kept by
whoever displays (the extension instance), not a module global.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ._views import AppView, FallbackView, ImplView, View, view_of

__all__ = ["mimebundle", "bundle_of_view", "DISPLAY_MODES"]

DISPLAY_MODES = ("rich", "text")


def _wanted(mime: str, include: Collection[str] | None, exclude: Collection[str] | None) -> bool:
    """Whether a display should carry ``mime``.

    A PNG of a graph is only made when ``include`` names it (the notebook's
    shell never does): the HTML pane and the SVG already draw the graph, and a
    PNG twin of every graph would more than double a notebook's size.
    """
    if include and mime not in include:
        return False
    if mime == "image/png" and not include:
        return False
    return not (exclude and mime in exclude)


def bundle_of_view(
    v: View,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    *,
    mode: str = "rich",
) -> dict[str, Any]:
    """The mimebundle of a built view (see :func:`mimebundle`)."""
    from ._html import esc, html_of
    from ._text import text_of

    out: dict[str, Any] = {}
    try:
        text = text_of(v)
    except Exception as e:
        text = f"<{type(v).__name__}: cannot display: {e}>"
    out["text/plain"] = text
    if mode == "text":
        return out
    graph_error: str | None = None
    dot = v.dot if isinstance(v, AppView | ImplView) else None
    if dot is not None and (_wanted("image/svg+xml", include, exclude) or _wanted("image/png", include, exclude)):
        from ._graph import png_of, svg_of

        try:
            if _wanted("image/svg+xml", include, exclude):
                out["image/svg+xml"] = svg_of(dot)
            if _wanted("image/png", include, exclude):
                import base64

                out["image/png"] = base64.b64encode(png_of(dot)).decode("ascii")
        except Exception as e:
            graph_error = str(e)
            out.pop("image/svg+xml", None)
            out.pop("image/png", None)
    if _wanted("text/html", include, exclude):
        try:
            out["text/html"] = html_of(v)
        except Exception as e:
            out["text/html"] = f'<pre class="mirage-nb">{esc(text)}</pre><p>cannot draw this object: {esc(e)}</p>'
    if graph_error is not None and "text/html" not in out:
        out["text/plain"] = text + f"\n[graph not drawn: {graph_error}]"
    return out


def mimebundle(
    obj: Any,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    *,
    mode: str = "rich",
) -> dict[str, Any]:
    """Every MIME type mirage_nb shows for ``obj``; never raises."""
    try:
        v = view_of(obj)
    except Exception as e:
        v = FallbackView(type(obj).__name__, f"cannot display this object: {e}")
    return bundle_of_view(v, include, exclude, mode=mode)
