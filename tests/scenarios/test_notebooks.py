"""What the scenario notebooks show beyond what every notebook is checked for (tests/tutorials).

nbval re-runs them and compares outputs (``pytest --nbval ... notebooks/scenarios``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[2] / "notebooks" / "scenarios"


def _code_cells(path: Path) -> list[dict[str, Any]]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def test_the_distributed_plot_is_drawn_from_the_printed_table() -> None:
    cells = {c.get("id"): c for c in _code_cells(SCENARIOS / "distributed.ipynb")}
    table = "".join(cells["ds-022"]["outputs"][0]["text"]).splitlines()
    assert table[0].split()[:3] == ["t", "(s)", "load"] and len(table) == 1 + 24  # one row per 5 s window, to 120 s
    plot = "".join(cells["ds-024"]["source"])
    assert 'matplotlib.use("Agg")' in plot and "figsize=(8, 6)" in plot and "timeline" in plot
    assert any("image/png" in o.get("data", {}) for o in cells["ds-024"]["outputs"])
