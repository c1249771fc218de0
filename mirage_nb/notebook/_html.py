"""The ``text/html`` of every view: it only walks the view record (STYLE §4.1), escaping every user string.

Each block starts with the text twin in an escaped ``<pre>`` (STYLE §4.3),
then the rich parts: the keys table, the graph, the generated files
highlighted by our own lexers (:mod:`._highlight`: the same bytes whatever
else is installed). The graph is an ``<img>`` holding the SVG as
a data URI: an image cannot run anything, and it keeps its ids to itself.
CSS is namespaced under ``.mirage-nb`` and follows JupyterLab's theme
variables, so a dark theme stays readable.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._highlight import TOKEN_CSS
from ._text import format_ns, text_of
from ._views import AppView, FallbackView, FileEntry, FilesView, ImplView, KeyRow, KeyView, RunResultView, TypView, View

if TYPE_CHECKING:
    from ._learner import Fold

__all__ = ["html_of", "CSS", "highlight", "graph_html", "esc"]

CSS = (
    """
.mirage-nb { font-family: var(--jp-ui-font-family, sans-serif); color: var(--jp-content-font-color1, inherit); }
.mirage-nb pre { margin: 0.3em 0; padding: 0.4em; background: var(--jp-layout-color2, #f5f5f5);
  color: var(--jp-content-font-color1, #111); overflow-x: auto; }
.mirage-nb .mnb-title { font-weight: bold; margin-bottom: 0.2em; }
.mirage-nb table.mnb-keys { border-collapse: collapse; margin: 0.3em 0; }
.mirage-nb table.mnb-keys td, .mirage-nb table.mnb-keys th { border: 1px solid var(--jp-border-color2, #ccc);
  padding: 2px 6px; text-align: left; vertical-align: top; }
.mirage-nb .mnb-default { color: var(--jp-content-font-color2, #777); }
.mirage-nb .mnb-problem { color: var(--jp-error-color1, #b00); }
.mirage-nb .mnb-graph img { max-width: 100%; background: white; }
.mirage-nb details { margin: 0.3em 0; }
.mirage-nb .mnb-log-Error, .mirage-nb .mnb-log-App { color: var(--jp-error-color1, #b00); }
.mirage-nb .mnb-log-Warning { color: var(--jp-warn-color1, #a60); }
.mirage-nb .mnb-log-Debug { color: var(--jp-content-font-color2, #777); }
"""
    + TOKEN_CSS
)


def esc(s: object) -> str:
    """Escape any user string for HTML text and attributes."""
    return html.escape(str(s), quote=True)


def highlight(text: str, language: str) -> str:
    """Source code as a ``<pre>`` of token spans (:mod:`._highlight`); plain escaped text for other languages."""
    from ._highlight import highlight_html

    return f'<pre class="mnb-code mnb-lang-{esc(language)}">{highlight_html(text, language)}</pre>'


def graph_html(dot: str | None, *, draw: Callable[[str], str] | None = None, fold: Fold | None = None) -> str:
    """The graph at full size in a scrolling pane, with its learner view (see :mod:`._graphview`), or why not."""
    if dot is None:
        return ""
    from ._graphview import graph_view_html

    return graph_view_html(dot, fold, draw=draw)


def _keys_table(rows: tuple[KeyRow, ...]) -> str:
    if not rows:
        return ""
    out = ['<table class="mnb-keys"><tr><th>key</th><th>value</th><th>option</th><th>doc</th></tr>']
    for r in rows:
        val = f'{esc(r.value)} <span class="mnb-default">(default)</span>' if r.is_default else esc(r.value)
        out.append(
            f"<tr><td><code>{esc(r.name)}</code></td><td><code>{val}</code></td>"
            f"<td><code>{esc(r.options)}</code></td><td>{esc(r.doc)}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _problems(ps: tuple[str, ...]) -> str:
    return "".join(f'<p class="mnb-problem">{esc(p)}</p>' for p in ps)


def _file(f: FileEntry) -> str:
    return f"<details><summary><code>{esc(f.path)}</code></summary>{highlight(f.text, f.language)}</details>"


def _wrap(kind: str, title: str, body: str) -> str:
    return (
        f'<div class="mirage-nb mirage-nb-{esc(kind)}"><style>{CSS}</style>'
        f'<div class="mnb-title">{title}</div>{body}</div>'
    )


def _run_body(v: RunResultView) -> str:
    code = "-" if v.exit_code is None else str(v.exit_code)
    out = [f'<pre class="mnb-console">{esc("".join(t + chr(10) for _, _, t in v.console))}</pre>']
    out.append(
        f"<p>{esc(v.stopped)} at {esc(format_ns(v.end_ns))}, exit {esc(code)}: {esc(v.note)} "
        f"(seed {esc(v.seed)}, {esc(v.events)} events)</p>"
    )
    if v.logs:
        out.append(
            '<details><summary>log records</summary><table class="mnb-keys">'
            "<tr><th>time</th><th>source</th><th>level</th><th>message</th></tr>"
        )
        for t, src, level, msg in v.logs:
            out.append(
                f'<tr class="mnb-log-{esc(level)}"><td>{esc(format_ns(t))}</td><td>{esc(src)}</td>'
                f"<td>{esc(level)}</td><td>{esc(msg)}</td></tr>"
            )
        out.append("</table></details>")
    return "".join(out)


def html_of(v: View, *, with_graph: bool = True) -> str:
    """The HTML display of a view; starts with its escaped text twin."""
    text = f'<pre class="mnb-text">{esc(text_of(v, graph_note=not with_graph))}</pre>'
    match v:
        case AppView():
            body = text + _problems(v.problems) + _keys_table(v.keys)
            if with_graph:
                body += graph_html(v.dot, fold=v.fold)
            if v.files:
                body += (
                    "<details><summary>files <code>mirage configure</code> writes</summary>"
                    + "".join(_file(f) for f in v.files)
                    + "</details>"
                )
            elif v.files_note:
                body += f'<details><summary>files</summary><p class="mnb-problem">{esc(v.files_note)}</p></details>'
            return _wrap("app", f"Application <code>{esc(v.name)}</code>", body)
        case ImplView():
            body = text + _problems(v.problems)
            if with_graph:
                body += graph_html(v.dot)
            return _wrap("impl", f"{esc(v.kind)} <code>{esc(v.module_name)}</code>", body)
        case TypView():
            return _wrap("typ", f"module type <code>{esc(v.name)}</code>", text)
        case KeyView():
            return _wrap("key", f"key <code>{esc(v.row.name)}</code>", text + _keys_table((v.row,)))
        case FilesView():
            body = text + "".join(_file(f) for f in v.files)
            return _wrap("files", esc(v.title), body)
        case RunResultView():
            return _wrap("run", "simulated run", _run_body(v))
        case FallbackView():
            return _wrap("fallback", esc(v.title), f'<p class="mnb-problem">{esc(v.message)}</p>')
    return _wrap("fallback", esc(type(v).__name__), text)
