"""Fixtures of the gallery tests: a hostile config directory, and the whole gallery built once per session."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_LOG = "<img src=x onerror=alert(2)>"


def make_hostile(base: Path) -> Path:
    """A config directory whose name, summary, log line and a file name are all markup."""
    d = base / "hostile"
    d.mkdir()
    (d / "config.ml").write_text(
        'open Mirage\n\nlet main = main "Unikernel" job\n\nlet () = register "<script>alert(1)</script>" [ main ]\n'
    )
    (d / "unikernel.py").write_text(
        '"""A <b>hostile</b> unikernel: its name and its log are markup."""\n\n'
        "from mirage_nb.unikernel import Logs\n\n\n"
        "async def start() -> None:\n"
        f'    Logs.info("%s", "{HOSTILE_LOG}")\n'
    )
    (d / "<svg onload=alert(3)>.py").write_text("# a helper whose file name is markup\n")
    return d


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_hostile(tmp_path_factory.mktemp("configs"))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, hostile_dir: Path) -> Path:
    """Every bundled unikernel and the hostile one, built once (about half a minute)."""
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed (apt-get install -y graphviz)")
    from mirage_nb.gallery.site import build

    out = tmp_path_factory.mktemp("site") / "gallery-site"
    build(out, [hostile_dir])
    return out


CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_requirements() -> str | None:
    """Why the browser tests cannot run here, or None (as tests/notebook/test_browser.py checks)."""
    if not Path(CHROMIUM).exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    return None


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """``directory`` on http://127.0.0.1:PORT, served by http.server in a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def served_page(directory: Path, timeout_ms: int) -> Iterator[Any]:
    """A chromium page over ``directory`` served on localhost (``page.base``: its URL; ``page.requests``: all)."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with serve(directory) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        page.base = url
        page.requests = requests
        try:
            yield page
        finally:
            browser.close()
