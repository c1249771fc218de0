"""The tutorials' shape: numbered, self-contained, objectives first, committed with outputs and without errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The series 00-07 (other tutorials in the directory belong to other parts of the project and test themselves).
TUTORIALS = sorted(p for p in (ROOT / "tutorials").glob("0[0-7]_*.ipynb"))
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))


def _load(p: Path) -> dict[str, Any]:
    return json.loads(p.read_text(encoding="utf-8"))


def _code(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_the_eight_tutorials_are_there() -> None:
    assert [p.name[:2] for p in TUTORIALS] == [f"{i:02}" for i in range(8)]


@pytest.mark.parametrize("path", TUTORIALS + NOTEBOOKS, ids=lambda p: p.name)
def test_committed_with_outputs_and_no_errors(path: Path) -> None:
    nb = _load(path)
    cells = _code(nb)
    assert cells
    for i, c in enumerate(cells):
        src = "".join(c["source"]).strip()
        if not src or src.startswith("#") and "\n" not in src:
            continue  # a commented-out line (the solution() cells) does not run anything worth storing
        assert c["execution_count"] is not None, f"{path.name}: code cell {i} was not executed before committing"
        for o in c["outputs"]:
            assert o["output_type"] != "error", f"{path.name}: code cell {i} failed: {o.get('ename')}"
    counts = [c["execution_count"] for c in cells if c["execution_count"] is not None]
    assert counts == sorted(counts), f"{path.name}: cells were run out of order"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", TUTORIALS + NOTEBOOKS, ids=lambda p: p.name)
def test_self_contained_first_cell_loads_the_extension(path: Path) -> None:
    first = "".join(_code(_load(path))[0]["source"])
    assert "%load_ext mirage_nb" in first


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_objectives_first(path: Path) -> None:
    first = "".join(_load(path)["cells"][0]["source"])
    assert first.startswith(f"# {path.name[:2]} ")
    assert "Learning objectives" in first


@pytest.mark.parametrize(("stem", "param"), [("01_hello", "seed"), ("05_targets_and_keys", "target")])
def test_parameters_cell(stem: str, param: str) -> None:
    nb = _load(ROOT / "tutorials" / f"{stem}.ipynb")
    tagged = [c for c in _code(nb) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert "".join(tagged[0]["source"]).startswith(f"{param} = ")


def test_readme_has_a_binder_badge_per_tutorial() -> None:
    readme = (ROOT / "tutorials" / "README.md").read_text(encoding="utf-8")
    for p in TUTORIALS:
        assert f"labpath=tutorials%2F{p.name})" in readme, p.name
        assert f"]({p.name})" in readme, p.name
