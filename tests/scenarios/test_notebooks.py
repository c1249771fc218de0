"""The scenario notebooks this branch owns: executed without errors, the extension first, the public API only.

The same checks as the tutorials' (tests/tutorials), for
notebooks/scenarios/self_hosting.ipynb and distributed.ipynb; nbval re-runs
them and compares outputs (``pytest --nbval ... notebooks/scenarios``).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

SCENARIOS = Path(__file__).resolve().parents[2] / "notebooks" / "scenarios"
OWNED = [SCENARIOS / "self_hosting.ipynb", SCENARIOS / "distributed.ipynb"]
PUBLIC = {"mirage_nb.lab", "mirage_nb.mirage", "mirage_nb.unikernel", "mirage_nb.errors"}


def _code_cells(path: Path) -> list[dict[str, Any]]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))


def _package_imports(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return [m for m in out if m == "mirage_nb" or m.startswith("mirage_nb.")]


@pytest.mark.parametrize("path", OWNED, ids=lambda p: p.name)
def test_executed_without_errors(path: Path) -> None:
    for i, c in enumerate(_code_cells(path)):
        assert c["execution_count"] is not None, f"{path.name}: code cell {i} was not executed before committing"
        assert not [o for o in c["outputs"] if o["output_type"] == "error"], f"{path.name}: code cell {i} failed"


@pytest.mark.parametrize("path", OWNED, ids=lambda p: p.name)
def test_first_cell_loads_the_extension_and_only_the_public_api_is_used(path: Path) -> None:
    sources = ["".join(c["source"]) for c in _code_cells(path)]
    assert "%load_ext mirage_nb" in sources[0]
    imported = {m for s in sources for m in _package_imports(_python(s))}
    assert imported and imported <= PUBLIC
    assert not [s for s in sources if "mirage_nb.sim" in s], "the simulator's insides are not the notebook's API"


def test_the_distributed_plot_is_drawn_from_the_printed_table() -> None:
    cells = {c.get("id"): c for c in _code_cells(SCENARIOS / "distributed.ipynb")}
    table = "".join(cells["ds-022"]["outputs"][0]["text"]).splitlines()
    assert table[0].split()[:3] == ["t", "(s)", "load"] and len(table) == 1 + 24  # one row per 5 s window, to 120 s
    plot = "".join(cells["ds-024"]["source"])
    assert 'matplotlib.use("Agg")' in plot and "figsize=(8, 6)" in plot and "timeline" in plot
    assert any("image/png" in o.get("data", {}) for o in cells["ds-024"]["outputs"])
