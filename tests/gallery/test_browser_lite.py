"""The JupyterLite site (``gallery build --lite``) in headless Chromium: tutorials run in Pyodide.

Slow (about three minutes: ``jupyter lite build``, then Pyodide and the kernel
start in the page, once per tutorial run whole). A traceback in a cell fails the test at once, with the
cell's output (test_pyodide_node.py runs the same first cells under Node).
Needs chromium and playwright (as test_browser.py), JupyterLite (the
``gallery`` extra), npm for Pyodide and pip for the wheels, or skips with
the reason. Prints the time from opening the notebook to the
first cell's output.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mirage_nb.gallery.vendor import VendorError

from .conftest import browser_requirements, served_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    why = browser_requirements()
    if why:
        pytest.skip(why)
    from mirage_nb.gallery.lite import build_lite

    out = tmp_path_factory.mktemp("lite")
    try:
        return build_lite(out)
    except VendorError as e:
        pytest.skip(f"the JupyterLite site could not be built here: {e}")


@pytest.fixture(scope="module")
def lite_page(lite_site: Path) -> Iterator:
    with served_page(lite_site, 240_000) as page:
        yield page


def _outputs(page) -> list[str]:
    return page.eval_on_selector_all(".jp-Cell .jp-OutputArea-output", "os => os.map(o => o.innerText)")


def _open_cleared(page, path: str) -> None:
    """Open a notebook with the outputs saved in it cleared: every output seen after this comes from Pyodide."""
    page.goto(f"{page.base}/lab/index.html?path={path}")
    page.wait_for_selector(".jp-Notebook .jp-Cell .jp-OutputArea-output")
    page.click('.lm-MenuBar-itemLabel:text-is("Edit")')
    page.click('.lm-Menu-itemLabel:text-is("Clear Outputs of All Cells")')
    page.wait_for_function("document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length === 0")


def _run_next(page, n: int) -> None:
    for _ in range(n):
        page.keyboard.press("Shift+Enter")


_SHOWN_OR_FAILED = """text => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
    .some(o => o.innerText.includes(text) || o.innerText.includes('Traceback'))"""


def _wait_for_output(page, text: str) -> list[str]:
    """Wait for an output holding ``text``; a traceback first (the kernel then skips the queued cells) fails at once."""
    page.wait_for_function(_SHOWN_OR_FAILED, arg=text)
    outs = _outputs(page)
    assert not [o for o in outs if "Traceback" in o], outs
    return outs


def test_a_tutorial_runs_in_the_pyodide_kernel(lite_page) -> None:
    page = lite_page
    t0 = time.monotonic()
    _open_cleared(page, "tutorials/01_hello.ipynb")
    page.click(".jp-Notebook .jp-Cell >> nth=0")
    page.keyboard.press("Escape")
    # The objectives (markdown), %load_ext mirage_nb, its note, seed = 0, the config's note, register(...).
    _run_next(page, 6)
    _wait_for_output(page, "adding unit argument")
    first = time.monotonic() - t0
    t1 = time.monotonic()
    _run_next(page, 2)  # the note, then app.describe()
    outs = _wait_for_output(page, "Name")
    cell = time.monotonic() - t1
    assert any("adding unit argument to 'start ()'" in o for o in outs), outs
    describe = next(o for o in outs if "Name" in o)
    assert "hello" in describe and "target=unix (default)" in describe, describe
    assert not [o for o in outs if "Error" in o or "Traceback" in o], outs
    print(f"lite: opening the notebook to the first mirage_nb output in the Pyodide kernel: {first:.1f} s")
    print(f"lite: then the note and app.describe() in the running kernel: {cell:.2f} s")


def _new_cell(page, code: str) -> None:
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below, in the same kernel
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def test_the_bridge_says_it_needs_linux_and_graphs_are_drawn_in_the_page(lite_page) -> None:
    page = lite_page
    _open_cleared(page, "tutorials/01_hello.ipynb")
    page.click(".jp-Notebook .jp-Cell >> nth=1")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")  # %load_ext mirage_nb (which starts the in-browser graphviz)
    _new_cell(page, "from mirage_nb.lab import bridge_available; print(bridge_available())")
    said = next(o for o in _wait_for_output(page, "Pyodide") if "Pyodide" in o)
    assert "web browser" in said and "Linux" in said
    # No `dot` program in a browser: the graph is drawn by graphviz compiled to WebAssembly, from the site.
    _new_cell(page, 'from mirage_nb.lab import example; example("network")')
    page.wait_for_selector(".jp-OutputArea-output .mnb-gv, .jp-OutputArea-output .mnb-graph .mnb-problem")
    assert not [o for o in _outputs(page) if "graph not drawn" in o]
    drawn = page.locator(".jp-OutputArea-output .mnb-gv svg, .jp-OutputArea-output .mnb-gv img.mnb-gv-img")
    assert drawn.count() >= 1


def test_a_learner_error_stops_run_all_as_in_jupyter(lite_page) -> None:
    # One clear message, no traceback, and the cells below do not run on (no cascade of NameErrors).
    page = lite_page
    _open_cleared(page, "tutorials/01_hello.ipynb")
    page.click(".jp-Notebook .jp-Cell >> nth=1")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")  # %load_ext mirage_nb
    for code in (
        'from mirage_nb.lab import example; app = example("no_such_example")',
        'print("ran on after the error")',
    ):
        page.keyboard.press("Escape")
        page.keyboard.press("b")  # a new cell below, not run yet
        page.keyboard.press("Enter")
        page.keyboard.type(code)
    page.keyboard.press("Escape")
    page.keyboard.press("k")  # back to the cell that fails
    page.click('.lm-MenuBar-itemLabel:text-is("Run")')
    page.click('.lm-Menu-itemLabel:text-is("Run Selected Cell and All Below")')
    page.wait_for_selector(".jp-OutputArea-output .mirage-nb-error")
    page.wait_for_timeout(3000)  # the next cell would have printed by now
    outs = _outputs(page)
    assert not [o for o in outs if "ran on after the error" in o or "Traceback" in o], outs
    assert [o for o in outs if "no_such_example" in o and "(%tb shows the full traceback)" in o], outs


def test_the_lite_site_requests_nothing_from_elsewhere(lite_page) -> None:
    page = lite_page
    assert page.requests
    hosts = {urlsplit(u).hostname for u in page.requests if urlsplit(u).scheme in ("http", "https")}
    assert hosts == {"127.0.0.1"}, sorted(u for u in page.requests if urlsplit(u).hostname != "127.0.0.1")
    assert any(u.endswith("/static/pyodide/pyodide.asm.wasm") for u in page.requests)
    assert any("/static/pyodide/mirage_nb-" in u for u in page.requests)


RUN_ALL = ("03_lwt_and_time.ipynb", "08_network_stack_layers.ipynb", "11_linux_bridge.ipynb", "14_dhcp.ipynb")
"""Tutorials run whole in the page: 03 and 08 show widgets (ipywidgets imported inside mirage_nb.lab's calls), 11's
bridge cells say why a browser has none, 14 runs the longest simulations."""

_ALL_RUN_OR_FAILED = """() => {
    const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
        .map(p => p.innerText);
    const failed = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
        .some(o => o.innerText.includes('Traceback'));
    return prompts.length > 0 && !prompts.some(p => p.includes('*'))
        && (failed || prompts.every(p => /\\[\\d+\\]/.test(p)));
}"""


@pytest.mark.parametrize("name", RUN_ALL)
def test_a_tutorial_runs_all_its_cells_in_the_pyodide_kernel(lite_page, name: str) -> None:
    context = lite_page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()  # a page of its own: its own kernel
        page.set_default_timeout(240_000)
        page.base = lite_page.base
        t0 = time.monotonic()
        _open_cleared(page, f"tutorials/{name}")
        page.click(".jp-Notebook .jp-Cell >> nth=0")
        page.click('.lm-MenuBar-itemLabel:text-is("Run")')
        page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
        page.wait_for_function(_ALL_RUN_OR_FAILED)
        outs = _outputs(page)
        assert not [o for o in outs if "Traceback" in o], outs
        assert not [o for o in outs if "Error displaying widget" in o], outs
        print(f"lite: {name} ran all its cells in {time.monotonic() - t0:.1f} s (from opening it)")
    finally:
        context.close()
