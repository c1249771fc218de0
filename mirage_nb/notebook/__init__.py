"""The notebook layer: rich displays, magics, widgets and the Jupyter kernelspec (it only presents).

* ``%load_ext mirage_nb`` (or the "MirageOS (mirage_nb)" kernel) registers
  the magics ``%mirage``, ``%%config_ml``, ``%%unikernel`` and the rich
  displays of applications, devices, module types, keys, files and runs.
* :func:`mimebundle` / :func:`view_of`: the displays as data, without Jupyter.
* :class:`~mirage_nb.notebook.builder.Builder`: the step-by-step graph builder
  (plain Python); :mod:`mirage_nb.notebook.widgets` presents it with ipywidgets.
* :class:`~mirage_nb.notebook.run_viewer.RunView`: filters and steps through a
  simulated run; :mod:`mirage_nb.notebook.widgets` presents it too.

Nothing here is imported by the layers below; IPython and ipywidgets are
imported only when the extension is loaded or a widget is made.
"""

from __future__ import annotations

from typing import Any

from ._display import mimebundle
from ._objects import Graph, graph
from ._views import GeneratedFiles, view_of

__all__ = [
    "load_ipython_extension",
    "unload_ipython_extension",
    "mimebundle",
    "view_of",
    "GeneratedFiles",
    "Graph",
    "graph",
    "files",
]


def files(app: Any, target: str | None = None, **keys: Any) -> GeneratedFiles:
    """The files ``mirage configure`` writes for ``app``, ready to display (nothing is written)."""
    args = app.request("configure", target, **keys).command_line()
    return GeneratedFiles(app.configure(target, **keys), title=f"mirage configure {' '.join(args)}".strip())


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext mirage_nb.notebook`` (``%load_ext mirage_nb`` does the same)."""
    from ._extension import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    from ._extension import unload_ipython_extension as unload

    unload(shell)
