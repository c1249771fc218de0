"""The built gallery in headless Chromium on localhost: cards, filters, tabs, graph, escaping, no outside requests.

Needs Debian's chromium (``/usr/bin/chromium``) and the ``playwright`` Python
package (its driver only; Playwright never downloads a browser here), as
tests/notebook/test_browser.py does. Skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mirage_nb.gallery.collect import EXAMPLES_DIR, bundled_dirs
from mirage_nb.loader import load_config

from .conftest import CHROMIUM, HOSTILE_NAME, LAUNCH_ARGS, browser_requirements, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(served: str, tmp_path_factory: pytest.TempPathFactory):
    why = browser_requirements()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    artefacts = tmp_path_factory.mktemp("artefacts")
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: requests.append(r.url))
        pg = context.new_page()
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.set_default_timeout(30_000)
        pg.requests = requests  # type: ignore[attr-defined]
        pg.dialogs = dialogs  # type: ignore[attr-defined]
        pg.base = served  # type: ignore[attr-defined]
        try:
            yield pg
        finally:
            pg.screenshot(path=str(artefacts / "last.png"), full_page=False)
            print(f"screenshots in {artefacts}")
            browser.close()


def _config(d: Path) -> str:
    return (d / "config.ml").read_text(encoding="utf-8")


def _visible_cards(page) -> list[str]:
    return page.eval_on_selector_all(".card:not([hidden])", "cs => cs.map(c => c.dataset.slug)")


def test_index_shows_a_card_per_unikernel_and_filters(browser_page) -> None:
    page = browser_page
    page.goto(f"{page.base}/index.html")
    every = sorted([*(d.name for d in bundled_dirs()), "hostile"])
    assert sorted(_visible_cards(page)) == every
    # Read off the configs, not the builder: a network device, and a whole stack (its TCP among them).
    networked = sorted(d.name for d in bundled_dirs() if re.search(r"default_network|netif", _config(d)))
    stacks = sorted(d.name for d in bundled_dirs() if "stackv4v6" in _config(d))
    assert {"network", "ping6"} <= set(networked) and "ping6" not in stacks
    page.select_option("#filter-concepts", "network")
    assert sorted(_visible_cards(page)) == networked
    assert page.inner_text("#shown") == f"{len(networked)} of {len(every)} shown"
    page.select_option("#filter-devices", "tcp")
    assert sorted(_visible_cards(page)) == stacks
    page.select_option("#filter-concepts", "")
    page.select_option("#filter-devices", "block")
    page.select_option("#filter-targets", "muen")
    assert _visible_cards(page) == []  # no block device on Muen
    page.select_option("#filter-devices", "")
    page.select_option("#filter-targets", "")
    page.select_option("#filter-concepts", "storage")
    storage = sorted(d.name for d in bundled_dirs() if re.search(r"kv_ro|block_of_file|kv_rw|chamelon", _config(d)))
    assert {"block", "disk-lottery", "kv_ro", "littlefs"} <= set(storage)
    assert sorted(_visible_cards(page)) == storage


def test_page_draws_the_graph_with_readable_labels(browser_page) -> None:
    page = browser_page
    page.goto(f"{page.base}/network.html")
    svg = page.locator(".graph-frame.active svg")
    assert svg.count() == 1 and svg.is_visible()
    heights = page.eval_on_selector_all(
        ".graph-frame.active svg text", "ts => ts.map(t => t.getBoundingClientRect().height)"
    )
    assert len(heights) > 10
    assert min(heights) >= 10, heights
    before = svg.bounding_box()["width"]
    page.click('button[data-zoom="in"]')
    assert svg.bounding_box()["width"] > before * 1.2
    page.click('button[data-zoom="reset"]')
    page.click('.graph-choice[data-graph="full"]')
    assert page.locator('.graph-frame[data-graph="full"] svg').is_visible()
    assert not page.locator('.graph-frame[data-graph="eval"] svg').is_visible()


def test_the_learner_view_unfolds_to_the_evaluated_graph_on_a_click(browser_page) -> None:
    page = browser_page
    page.goto(f"{page.base}/network.html")
    learner = page.locator('.graph-frame[data-graph="learner"] svg')
    assert learner.is_visible() and not page.locator('.graph-frame[data-graph="eval"] svg').is_visible()
    fold = page.locator('.graph-frame[data-graph="learner"] g.mnb-fold')
    assert "devices every unikernel gets" in fold.text_content()
    fold.click()
    assert page.locator('.graph-frame[data-graph="eval"] svg').is_visible() and not learner.is_visible()
    assert page.locator(".graph-choice.active").get_attribute("data-graph") == "eval"
    page.click('.graph-choice[data-graph="learner"]')
    assert learner.is_visible()


def _engine_describe(name: str, target: str) -> str:
    cwd = os.getcwd()
    os.chdir(EXAMPLES_DIR / name)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return str(load_config("config.ml").describe(target=target))
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("target", ["hvt", "xen", "unikraft-qemu"])
def test_switching_the_target_tab_shows_that_describe(browser_page, target: str) -> None:
    page = browser_page
    page.goto(f"{page.base}/network.html")
    assert page.locator("#describe-unix").is_visible()
    assert not page.locator(f"#describe-{target}").is_visible()
    page.click(f'.tabs button[data-tab="{target}"]')
    shown = page.locator(f"#describe-{target}")
    assert shown.is_visible() and not page.locator("#describe-unix").is_visible()
    assert shown.text_content() == _engine_describe("network", target)


def test_hostile_unikernel_renders_as_text(browser_page) -> None:
    page = browser_page
    page.goto(f"{page.base}/index.html")
    assert page.inner_text('.card[data-slug="hostile"] h2') == HOSTILE_NAME
    page.click('.card[data-slug="hostile"] h2 a')
    page.wait_for_url("**/hostile.html")
    assert page.inner_text("#name") == HOSTILE_NAME
    assert page.locator("#transcript").text_content().endswith("[application] <img src=x onerror=alert(2)>")
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.dialogs == []


def test_no_request_leaves_localhost(browser_page) -> None:
    page = browser_page
    for name in ("index", "network", "ping6", "hostile"):
        page.goto(f"{page.base}/{name}.html")
    assert page.requests
    hosts = {urlsplit(u).hostname for u in page.requests}
    assert hosts == {"127.0.0.1"}, sorted(u for u in page.requests if urlsplit(u).hostname != "127.0.0.1")
