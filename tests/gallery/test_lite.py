"""The JupyterLite build's own parts, without building: its configuration and the command line's flag."""

from __future__ import annotations

import pytest

from mirage_nb.gallery.cli import _parser
from mirage_nb.gallery.lite import KERNEL_PACKAGES, lite_config
from mirage_nb.gallery.wheels import PROJECT
from mirage_nb.sim.net.tap import IN_BROWSER, tap_available


def test_the_kernel_loads_the_project_and_never_asks_pypi() -> None:
    settings = lite_config()["jupyter-config-data"]["litePluginSettings"]  # type: ignore[index]
    kernel = settings["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    # The package, and the widgets mirage_nb.lab imports inside run_viewer/builder_widget (out of the kernel's sight).
    assert kernel["loadPyodideOptions"]["packages"] == [PROJECT, "ipywidgets"]
    assert {"ipython", "comm", "jedi"} <= set(KERNEL_PACKAGES)  # what the kernel's ipykernel stand-in installs
    assert "ipywidgets" in KERNEL_PACKAGES  # vendored, so the site's lock can serve it


def test_the_command_line_takes_lite() -> None:
    args = _parser().parse_intermixed_args(["OUT", "--lite", "-q"])
    assert args.lite and not args.in_browser


def test_the_bridge_says_why_not_in_a_browser(monkeypatch) -> None:
    import sys

    monkeypatch.setattr(sys, "platform", "emscripten")
    why = tap_available()
    assert why == IN_BROWSER and "Pyodide" in why and "Linux" in why


def test_outside_a_browser_the_in_browser_graphviz_says_so() -> None:
    from mirage_nb.gallery.inbrowser import BrowserGraphviz, in_browser, start_graphviz, svg_of_dot

    assert not in_browser() and start_graphviz() is False
    with pytest.raises(BrowserGraphviz, match="no graphviz in this browser page"):
        svg_of_dot("digraph G {}")
