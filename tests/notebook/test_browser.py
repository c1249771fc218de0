"""JupyterLab in headless Chromium: the smoke notebook runs, the graph is an image, the builder is clickable.

Needs Debian's chromium (``/usr/bin/chromium``) and the ``playwright`` Python
package (its bundled driver only; Playwright never downloads a browser here).
Skipped with the reason otherwise. Screenshots are kept under the test's
temporary ``artefacts`` directory (printed on failure).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import network_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
TOKEN = "mirage-nb-test"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _requirements() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    try:
        import ipywidgets  # noqa: F401
        import jupyterlab  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (pip install jupyterlab ipywidgets)"
    if shutil.which("dot") is None:
        return "graphviz's dot is not installed (apt-get install -y graphviz)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _store_outputs(src: Path, dst: Path, env: dict[str, str]) -> None:
    """Execute the notebook headless (nbclient) and save it with its outputs: unsigned, so untrusted in Lab."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    nb.cells = [c for c in nb.cells if "builder_widget" not in c.source]
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYTHONPATH")}
    os.environ.update({k: env[k] for k in saved})
    try:
        NotebookClient(nb, kernel_name="mirage_nb", timeout=180).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    nbformat.write(nb, dst)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a token, serving a copy of the smoke notebook."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from mirage_nb.notebook.kernelspec import install

    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    shutil.copy(DATA / "smoke.ipynb", root / "smoke.ipynb")
    prefix = base / "prefix"
    install(prefix=str(prefix), python=sys.executable)
    config = base / "config"
    (config / "labconfig").mkdir(parents=True)
    # The news toast would cover widgets in screenshots.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = dict(os.environ)
    env["JUPYTER_PATH"] = str(prefix / "share" / "jupyter") + os.pathsep + env.get("JUPYTER_PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(config)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    _store_outputs(root / "smoke.ipynb", root / "stored.ipynb", env)
    port = _free_port()
    log = open(base / "lab.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start; see {base / 'lab.log'}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def lab_page(lab, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    artefacts = tmp_path_factory.mktemp("artefacts")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        pg.artefacts = artefacts  # type: ignore[attr-defined]
        try:
            pg.goto(f"{lab}/lab/tree/smoke.ipynb?token={TOKEN}&reset")
            pg.wait_for_selector(".jp-Notebook")
            # The kernel must be connected before the cells are sent to it.
            pg.get_by_text("MirageOS (mirage_nb) | Idle").wait_for(timeout=90_000)
            pg.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            pg.screenshot(path=str(artefacts / "menu.png"))
            pg.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            yield pg
        finally:
            pg.screenshot(path=str(artefacts / "final.png"), full_page=True)
            print(f"screenshots in {artefacts}")
            browser.close()


def test_smoke_notebook_runs_and_draws_the_graph_as_an_image(lab_page):
    page = lab_page
    img = page.locator(".jp-OutputArea-output img[alt='device graph']").first
    img.wait_for(timeout=120_000)
    img.scroll_into_view_if_needed()
    width = page.evaluate("(el) => el.naturalWidth", img.element_handle())
    assert width > 100
    describe = page.locator(".jp-OutputArea-output", has_text="target=hvt,").first
    describe.wait_for()
    assert "Name       network" in describe.inner_text()
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    page.screenshot(path=str(page.artefacts / "graph.png"))


def _select(page, cls: str, label: str) -> None:
    sel = page.locator(f".mnb-builder .{cls} select")
    page.wait_for_function(
        "([cls, label]) => [...document.querySelectorAll(`.mnb-builder .${cls} option`)].some(o => o.value === label)",
        arg=[cls, label],
    )
    sel.select_option(label=label)


def _wait_text(page, cls: str, text: str) -> None:
    page.wait_for_function(
        "([cls, text]) => (document.querySelector(`.mnb-builder .${cls}`) || {innerText: ''}).innerText.includes(text)",
        arg=[cls, text],
    )


def test_builder_widget_builds_the_network_stack_by_clicks(lab_page):
    page = lab_page
    builder = page.locator(".mnb-builder")
    builder.wait_for(timeout=120_000)
    builder.scroll_into_view_if_needed()
    describe = page.locator(".mnb-builder .mnb-describe pre")
    assert "Name       network" in describe.inner_text()  # a lone job, before any device
    _select(page, "mnb-type", "stackv4v6")
    page.click(".mnb-builder button.mnb-add")
    _wait_text(page, "mnb-hint", "choose a stackv4v6 device for argument 1 of Unikernel.Main")
    _wait_text(page, "mnb-describe", "incomplete")
    _select(page, "mnb-provider", "generic_stackv4v6")
    page.click(".mnb-builder button.mnb-choose")
    _wait_text(page, "mnb-hint", "choose a network device for argument 1 of generic_stackv4v6")
    page.screenshot(path=str(page.artefacts / "builder-step2.png"))
    _select(page, "mnb-provider", "default_network")
    page.click(".mnb-builder button.mnb-choose")
    _wait_text(page, "mnb-hint", "complete")
    _wait_text(page, "mnb-describe", "utcp=false")
    text = describe.inner_text()
    assert text.rstrip("\n") == ("$ mirage describe\n" + network_app().describe()).rstrip("\n")
    _select(page, "mnb-target", "hvt")
    _wait_text(page, "mnb-describe", "target=hvt")
    page.screenshot(path=str(page.artefacts / "builder-done.png"))


def test_stored_outputs_show_the_graph_in_an_untrusted_notebook(lab, lab_page):
    page = lab_page
    """A notebook opened with outputs it did not compute is untrusted: the graph, an <img> in the HTML, still shows."""
    pg = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        pg.goto(f"{lab}/lab/tree/stored.ipynb?token={TOKEN}")
        pg.wait_for_selector(".jp-Notebook")
        img = pg.locator(".jp-OutputArea-output img[alt='device graph']").first
        img.wait_for()
        assert pg.evaluate("(el) => el.naturalWidth", img.element_handle()) > 100
        assert "Name       network" in pg.locator(".jp-OutputArea-output").nth(1).inner_text()
        pg.screenshot(path=str(page.artefacts / "untrusted.png"))
    finally:
        pg.close()
