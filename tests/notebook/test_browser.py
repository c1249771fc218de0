"""JupyterLab in headless Chromium: the smoke notebook runs, graphs are readable, the builder is clickable.

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


def test_smoke_notebook_runs_and_draws_the_graph(lab_page):
    page = lab_page
    svg = page.locator(".jp-OutputArea-output .mnb-gv-live .mnb-gv-shown svg").first
    svg.wait_for(timeout=120_000)
    svg.scroll_into_view_if_needed()
    assert page.evaluate("(el) => el.getBoundingClientRect().width", svg.element_handle()) > 100
    describe = page.locator(".jp-OutputArea-output", has_text="target=hvt,").first
    describe.wait_for()
    assert "Name       network" in describe.inner_text()
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    page.screenshot(path=str(page.artefacts / "graph.png"))


_LABEL_HEIGHTS = """(pane) => [...pane.querySelectorAll('svg text')].map(t => t.getBoundingClientRect().height)"""
_BODY_FONT_PX = """() => parseFloat(getComputedStyle(document.querySelector('.jp-RenderedHTMLCommon')).fontSize)"""


def test_a_large_graph_is_readable_and_the_learner_view_unfolds(lab_page):
    """static_web's graph (96 vertices, ~6,000 px wide): labels at least as tall as the body text, never shrunk."""
    page = lab_page
    out = page.locator(".jp-OutputArea-output", has_text="Name       www").first
    out.wait_for(timeout=120_000)
    view = out.locator(".mnb-gv.mnb-gv-live")
    learner = view.locator('.mnb-gv-pane.mnb-gv-shown[data-mnb-view="learner"]')
    learner.locator("svg").wait_for()
    learner.scroll_into_view_if_needed()
    # No contradiction: the graph is drawn, so no note asks to trust the notebook to draw it.
    assert "trusted notebook" not in out.inner_text()
    heights = page.evaluate(_LABEL_HEIGHTS, learner.element_handle())
    body = page.evaluate(_BODY_FONT_PX)
    assert len(heights) > 50
    assert min(heights) >= 10 and min(heights) >= body, (min(heights), body)
    box = learner.locator(".mnb-gv-scroll")
    assert page.evaluate("(b) => b.scrollWidth > b.clientWidth", box.element_handle())  # scrolls, not shrunk
    page.screenshot(path=str(page.artefacts / "static_web-learner.png"))

    folded = view.get_attribute("data-mnb-fold").split()
    fold_node = learner.locator("g.mnb-fold")
    assert "every unikernel gets" in fold_node.text_content()
    fold_node.click()
    full = view.locator('.mnb-gv-pane.mnb-gv-shown[data-mnb-view="full"]')
    full.locator("svg").wait_for()
    assert learner.count() == 0  # one view at a time
    assert full.locator("g.node.mnb-gv-hl").count() == len(folded) > 5
    shown = {t.strip() for t in full.locator("g.node.mnb-gv-hl title").all_text_contents()}
    assert shown == set(folded)
    assert min(page.evaluate(_LABEL_HEIGHTS, full.element_handle())) >= 10
    page.screenshot(path=str(page.artefacts / "static_web-unfolded.png"))

    width = page.evaluate("(s) => s.getBoundingClientRect().width", full.locator("svg").element_handle())
    view.locator("button[data-mnb-zoom='in']").click()
    assert view.locator(".mnb-gv-zoomlabel").inner_text() == "125%"
    bigger = page.evaluate("(s) => s.getBoundingClientRect().width", full.locator("svg").element_handle())
    assert bigger == pytest.approx(width * 1.25, rel=0.02)
    full.locator(".mnb-gv-scroll").hover()
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)  # Ctrl + wheel zooms about the pointer
    page.keyboard.up("Control")
    page.wait_for_function("(l) => l.textContent === '156%'", arg=view.locator(".mnb-gv-zoomlabel").element_handle())
    view.locator("button[data-mnb-show='learner']").click()
    view.locator('.mnb-gv-pane.mnb-gv-shown[data-mnb-view="learner"]').wait_for()


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
    # The builder's graph: the learner view first, at graphviz's own size (never shrunk to the cell).
    builder.locator(".lm-TabBar-tab", has_text="graph").click()
    img = builder.locator(".mnb-graph img[alt='device graph, learner view']")
    img.wait_for()
    natural, shown = page.evaluate("(i) => [i.naturalWidth, i.getBoundingClientRect().width]", img.element_handle())
    assert natural > 300 and shown == pytest.approx(natural, abs=1)
    # One click to the full graph: the page's graph script (installed by an earlier output) makes the view live.
    builder.locator(".mnb-graph summary", has_text="full graph").click()
    full = builder.locator(".mnb-graph [data-mnb-view='full']")
    full.locator("img, svg").first.wait_for()
    assert builder.locator(".mnb-graph [data-mnb-view='learner']").is_hidden()
    page.evaluate("(el) => el.scrollIntoView()", builder.locator(".mnb-graph .mnb-gv").element_handle())
    page.screenshot(path=str(page.artefacts / "builder-graph.png"))


def test_stored_outputs_show_the_graph_in_an_untrusted_notebook(lab, lab_page):
    page = lab_page
    """A notebook opened with outputs it did not compute is untrusted: the graph, an <img> in the HTML, still shows.

    The sanitizer removes the stylesheet and the script, not the images nor their inline styles: the learner
    view shows at full size in a pane that scrolls, the full graph is one <details> click away.
    """
    pg = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        pg.goto(f"{lab}/lab/tree/stored.ipynb?token={TOKEN}")
        pg.wait_for_selector(".jp-Notebook")
        img = pg.locator(".jp-OutputArea-output img[alt='device graph, learner view']").first
        img.wait_for()
        assert pg.evaluate("(el) => el.naturalWidth", img.element_handle()) > 100
        # The application's display (its describe text sits beside the graph), whatever outputs come before it.
        assert pg.locator(".jp-OutputArea-output", has_text="Name       network").count() >= 1
        www = pg.locator(".jp-OutputArea-output", has_text="Name       www").first
        assert "trusted notebook" not in www.inner_text()
        big = www.locator("img[alt='device graph, learner view']")
        assert pg.evaluate("(el) => el.getBoundingClientRect().width", big.element_handle()) > 2000
        www.locator("summary", has_text="full graph").click()
        full = www.locator("img[alt='device graph']")
        full.wait_for()
        assert pg.evaluate("(el) => el.getBoundingClientRect().width", full.element_handle()) > 2000
        pg.screenshot(path=str(page.artefacts / "untrusted.png"))
    finally:
        pg.close()
