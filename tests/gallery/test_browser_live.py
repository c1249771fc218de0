"""The engine in the page (Pyodide, vendored from npm at build time): the browser's describe is CPython's.

Needs chromium and playwright (as test_browser.py), pip (the gallery extra), and Pyodide and viz.js
from the npm registry (``npm pack``, cached in ~/.cache/mirage-nb/npm), or
skips with the reason. Prints the time from page load to the first
in-browser describe, and of a second describe once Pyodide has loaded.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mirage_nb.gallery.collect import EXAMPLES_DIR
from mirage_nb.gallery.vendor import VendorError
from mirage_nb.loader import load_config

from .conftest import HOSTILE_NAME, browser_requirements, served_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory, hostile_dir: Path) -> Path:
    why = browser_requirements()
    if why:
        pytest.skip(why)
    from mirage_nb.gallery.site import build

    out = tmp_path_factory.mktemp("live") / "gallery-site"
    try:
        build(out, [EXAMPLES_DIR / "network", hostile_dir], bundled=False, in_browser=True)
    except VendorError as e:
        pytest.skip(f"the in-browser site could not be built here (npm, pip): {e}")
    return out


@pytest.fixture(scope="module")
def live_page(live_site: Path) -> Iterator:
    with served_page(live_site, 180_000) as page:
        yield page


def cpython_describe(directory: Path, target: str) -> str:
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return str(load_config("config.ml").describe(target=target))
    finally:
        os.chdir(cwd)


def cpython_file_count(directory: Path, target: str) -> int:
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return len(load_config("config.ml").configure(target=target))
    finally:
        os.chdir(cwd)


def _describe(page, n: int) -> None:
    page.wait_for_function(f"document.getElementById('live').dataset.describes === '{n}'")


def test_in_browser_describe_equals_cpython(live_page) -> None:
    page = live_page
    t0 = time.monotonic()
    page.goto(f"{page.base}/network.html")
    page.select_option("#live-target", "hvt")
    page.click("#live-describe")
    _describe(page, 1)
    first = time.monotonic() - t0
    assert page.text_content("#live-out") == cpython_describe(EXAMPLES_DIR / "network", "hvt")
    assert page.locator("#live-graph svg text").count() > 10
    assert page.locator("#live-files details").count() == cpython_file_count(EXAMPLES_DIR / "network", "hvt")
    t1 = time.monotonic()
    page.select_option("#live-target", "xen")  # once loaded, a change of target describes again
    _describe(page, 2)
    again = time.monotonic() - t1
    assert page.text_content("#live-out") == cpython_describe(EXAMPLES_DIR / "network", "xen")
    print(f"page load to first in-browser describe: {first:.1f} s; describe after a target change: {again:.2f} s")


def test_in_browser_edit_with_markup_stays_text(live_page) -> None:
    page = live_page
    page.goto(f"{page.base}/hostile.html")
    assert HOSTILE_NAME in page.input_value("#live-config")
    edited = page.input_value("#live-config").replace(HOSTILE_NAME, "<img src=x onerror=alert(4)>")
    page.fill("#live-config", edited)
    page.click("#live-describe")
    _describe(page, 1)
    assert page.text_content("#live-out").startswith("Name       <img src=x onerror=alert(4)>\n")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    page.fill("#live-config", edited.replace("job", "jobb"))
    page.click("#live-describe")
    _describe(page, 2)
    assert "jobb" in page.text_content("#live-out")


def test_live_pages_request_nothing_from_elsewhere(live_page) -> None:
    page = live_page
    assert page.requests
    assert {urlsplit(u).hostname for u in page.requests} == {"127.0.0.1"}
    assert any(u.endswith("/pyodide/pyodide.asm.wasm") for u in page.requests)
    # The package itself came as the wheel built with the site, installed by micropip from the site's lock.
    assert any(u.endswith("/pyodide/pyodide-lock.json") for u in page.requests)
    assert any("/pyodide/mirage_nb-" in u and u.endswith(".whl") for u in page.requests)
    assert any("/pyodide/micropip-" in u for u in page.requests)
