"""What the package does differently when its Python runs in a web browser (Pyodide: JupyterLite, gallery pages).

There is no ``dot`` program to run there, so graphs are drawn by graphviz
compiled to WebAssembly (``@viz-js/viz``, vendored into the site's
``pyodide/`` directory beside Pyodide by :func:`mirage_nb.gallery.vendor.vendor_pyodide`).
Loading it is asynchronous (the WebAssembly module compiles in the
background) while a display must answer at once: :func:`start_graphviz`
starts it when the notebook extension loads (the first cell of every
tutorial), and :func:`svg_of_dot` draws with it, first waiting for it
where the browser lets Python wait for a JavaScript promise (JSPI, as
Chromium does), or else raises :class:`BrowserGraphviz` saying to run the
cell again.
"""

from __future__ import annotations

import sys
from typing import Any

from mirage_nb.errors import MirageNbError

__all__ = ["VIZ_FILE", "BrowserGraphviz", "in_browser", "start_graphviz", "svg_of_dot"]

VIZ_FILE = "viz-global.js"
"""viz.js's script, in the site's ``pyodide/`` directory (it defines a global ``Viz``)."""


class BrowserGraphviz(MirageNbError):
    """The in-browser graphviz is missing, still loading, or refused the graph."""


def in_browser() -> bool:
    """Whether this Python is Pyodide's (WebAssembly, in a browser or Node.js)."""
    return sys.platform == "emscripten"


def _js() -> Any:
    import js  # type: ignore[import-not-found]  # Pyodide's bridge to the JavaScript global scope

    return js


def _index_url() -> str:
    import pyodide_js  # type: ignore[import-not-found]  # the Pyodide module that runs this Python

    return str(pyodide_js._api.config.indexURL)


def start_graphviz() -> bool:
    """Start loading viz.js from the site (once); True if it is ready or on its way, False where it cannot load."""
    if not in_browser():
        return False
    js = _js()
    if getattr(js.globalThis, "mirageNbVizLoading", None) is not None:
        return True
    from pyodide.code import run_js  # type: ignore[import-not-found]
    from pyodide.http import open_url  # type: ignore[import-not-found]

    try:
        script = open_url(_index_url() + VIZ_FILE).read()  # a synchronous request to the site itself
        run_js(script)
        run_js(
            "globalThis.mirageNbVizLoading = Viz.instance().then("
            "v => { globalThis.mirageNbViz = v; }, e => { globalThis.mirageNbVizError = String(e); });"
        )
    except Exception:  # noqa: BLE001 - no viz.js in this site: graphs then show as dot source
        return False
    return True


def _wait_for(promise: Any) -> None:
    """Block until ``promise`` settles where the browser lets Python do so (JavaScript Promise Integration)."""
    try:
        from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
    except ImportError:  # an older Pyodide: the caller says "run this cell again"
        return
    if can_run_sync():
        run_sync(promise)


def svg_of_dot(source: str) -> str:
    """``source`` drawn as SVG by viz.js; raises :class:`BrowserGraphviz` when it cannot be (yet)."""
    if not start_graphviz():
        raise BrowserGraphviz(f"no graphviz in this browser page ({VIZ_FILE} is not beside Pyodide in this site)")
    js = _js()
    viz = getattr(js.globalThis, "mirageNbViz", None)
    if viz is None:
        _wait_for(js.globalThis.mirageNbVizLoading)
        viz = getattr(js.globalThis, "mirageNbViz", None)
    if viz is None:
        error = getattr(js.globalThis, "mirageNbVizError", None)
        if error is not None:
            raise BrowserGraphviz(f"the in-browser graphviz failed to start: {error}")
        raise BrowserGraphviz("the in-browser graphviz is still loading: run this cell again in a moment")
    try:
        return str(viz.renderString(source, js.JSON.parse('{"format": "svg"}')))
    except Exception as e:  # noqa: BLE001 - viz.js throws a JavaScript error for a graph it refuses
        raise BrowserGraphviz(f"the in-browser graphviz could not draw the graph: {e}") from None
