"""Small display objects of the notebook layer: a drawn graph.

``graph(app)`` is what ``%mirage graph`` and ``%mirage describe --dot``
return: the dot source (as ``describe --dot -o-`` would print it) drawn by
graphviz. Its ``text/plain`` is the dot source itself, exact and stable,
so nbval can compare it across graphviz versions.

The picture of an application's graph comes with its learner view (the
devices every unikernel gets folded into one node, :mod:`._learner`); the
source, and so ``text/plain``, is always the faithful one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._learner import Fold

__all__ = ["Graph", "graph"]


@dataclass(frozen=True)
class Graph:
    """A device graph's dot source, displayed as SVG/PNG drawn by graphviz (text: the source)."""

    source: str
    title: str = ""
    fold: Fold | None = None

    def __repr__(self) -> str:
        return self.source.rstrip("\n")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        import base64

        from ._display import _wanted
        from ._html import CSS, esc, graph_html

        out: dict[str, Any] = {"text/plain": repr(self)}
        try:
            from ._graph import png_of, svg_of

            if _wanted("image/svg+xml", include, exclude):
                out["image/svg+xml"] = svg_of(self.source)
            if _wanted("image/png", include, exclude):
                out["image/png"] = base64.b64encode(png_of(self.source)).decode("ascii")
        except Exception:
            out.pop("image/svg+xml", None)
            out.pop("image/png", None)
        if _wanted("text/html", include, exclude):
            title = f'<div class="mnb-title">{esc(self.title)}</div>' if self.title else ""
            body = graph_html(self.source, fold=self.fold)
            out["text/html"] = f'<div class="mirage-nb mirage-nb-graph"><style>{CSS}</style>{title}{body}</div>'
        return out


def graph(obj: Any, target: str | None = None, *, eval: bool | None = None, **keys: Any) -> Graph:
    """The device graph of an application (as ``describe --dot``) or of a device term, ready to display."""
    from mirage_nb.functoria.app import Application
    from mirage_nb.functoria.dot import render_dot
    from mirage_nb.functoria.impl import Impl

    if isinstance(obj, Application):
        from dataclasses import replace

        from ._learner import fold_of_app

        source = str(obj.dot(target, eval=eval, **keys))
        fold = fold_of_app(obj, replace(obj.request("describe", target, **keys), eval=eval), source=source)
        return Graph(source, title=obj.name, fold=fold)
    if isinstance(obj, Impl):
        return Graph(render_dot(obj, 0) + "\n")
    from mirage_nb.errors import ConfigError

    raise ConfigError(f"graph expects an application (from register) or a device, not {type(obj).__name__}")
