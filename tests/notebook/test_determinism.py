"""The smoke notebook run twice in fresh kernels gives byte-identical outputs (what nbval compares)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = Path(__file__).resolve().parent / "data" / "smoke.ipynb"


def _run(kernel_dir: Path) -> list:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(SMOKE, as_version=4)
    nb.cells = [c for c in nb.cells if "builder_widget" not in c.source]  # widget model ids are random by design
    NotebookClient(nb, kernel_name="mirage_nb", timeout=180, resources={"metadata": {"path": str(ROOT)}}).execute()
    return [c.outputs for c in nb.cells if c.cell_type == "code"]


def test_outputs_are_identical_across_kernels(tmp_path, monkeypatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from mirage_nb.notebook.kernelspec import install

    install(prefix=str(tmp_path), python=sys.executable)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    first, second = _run(tmp_path), _run(tmp_path)
    assert first == second
    app_output = first[1][0]["data"]
    assert {"text/plain", "text/html"} <= set(app_output)
    assert "0x" not in app_output["text/plain"]
