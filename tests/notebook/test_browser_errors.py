"""JupyterLab in headless Chromium: a learner's mistakes show one message and no traceback in the output area.

Uses the JupyterLab server of :mod:`tests.notebook.test_browser` (same
requirements, skipped with the same reasons); the notebook is uploaded
through the server's contents API and run with "Run All Cells" on the
"MirageOS (mirage_nb)" kernel, as a learner would.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from .test_browser import CHROMIUM, LAUNCH_ARGS, TOKEN, lab  # noqa: F401 - lab is the server fixture

pytestmark = pytest.mark.browser

CELLS = [
    "%load_ext mirage_nb\nfrom mirage_nb.notebook.exercises import check",
    "check('01.thre_hi', 1)",
    "from mirage_nb.mirage import *\n"
    "answer = register('reader', [main('Unikernel.Main', kv_ro @ job)(block_of_file('disk.img'))])\n"
    "check('04.fix_functor', answer)",
]


def _upload(url: str, name: str) -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "mirage_nb", "display_name": "MirageOS (mirage_nb)", "language": "python"}},
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
            for i, src in enumerate(CELLS)
        ],
    }
    body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(f"{url}/api/contents/{name}?token={TOKEN}", data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status in (200, 201)


def test_learner_errors_show_one_message_and_no_traceback(lab, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    _upload(lab, "mistakes.ipynb")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{lab}/lab/tree/mistakes.ipynb?token={TOKEN}&reset")
            page.wait_for_selector(".jp-Notebook")
            page.get_by_text("MirageOS (mirage_nb) | Idle").wait_for(timeout=90_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            box = page.locator(".jp-OutputArea-output .mirage-nb-error")
            box.wait_for(timeout=120_000)
            page.get_by_text("MirageOS (mirage_nb) | Idle").wait_for()  # nothing more is coming
            box.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "mistakes.png"))
            assert box.inner_text().startswith("ConfigError: wrong device for Unikernel.Main")
            assert "%tb shows the full traceback" in box.inner_text()
            cells = page.locator(".jp-Notebook .jp-CodeCell")
            assert cells.nth(0).locator(".jp-OutputArea-output").count() == 0, "the first cell prints nothing"
            assert "did you mean '01.three_hi'?" in cells.nth(1).locator(".jp-OutputArea").inner_text()
            everything = page.locator(".jp-Notebook").inner_text()
            assert "Traceback" not in everything and "impl.py" not in everything
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        finally:
            print(f"screenshot in {tmp_path}")
            browser.close()
