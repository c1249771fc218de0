"""The notebooks use only the public API: what a tutorial imports is what a learner copies.

A code cell may import from ``mirage_nb.lab`` (the notebook's API),
``mirage_nb.mirage`` (the DSL), ``mirage_nb.unikernel`` (what a unikernel.py
imports) and ``mirage_nb.errors``; nothing else of the package. Cells are
parsed (IPython magics set aside), never run.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import mirage_nb.lab as lab

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "tutorials").glob("*.ipynb")) + sorted((ROOT / "notebooks").rglob("*.ipynb"))
PUBLIC = {"mirage_nb.lab", "mirage_nb.mirage", "mirage_nb.mirage.proposals", "mirage_nb.unikernel", "mirage_nb.errors"}


def python_of(cell_source: str) -> str | None:
    """The Python of a code cell, as IPython turns it (magics become calls); None for a non-Python cell magic."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines = cell_source.splitlines()
    if lines and lines[0].startswith("%%"):
        if lines[0].split()[0] != "%%unikernel":  # %%config_ml holds OCaml, %%bash shell...
            return None
        return "\n".join(["", *lines[1:]])
    return str(TransformerManager().transform_cell(cell_source))


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every import of a package module in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from mirage_nb import sim`` imports the submodule mirage_nb.sim
            if node.module == "mirage_nb":
                out += [(node.lineno, f"mirage_nb.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return [(line, m) for line, m in out if m == "mirage_nb" or m.startswith("mirage_nb.")]


def private_imports(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    bad = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = python_of("".join(cell["source"]))
        if source is None:
            continue
        for line, module in imported_modules(source):
            if module not in PUBLIC:
                bad.append(f"{path.name} cell {i} (id {cell.get('id')}) line {line}: imports {module}")
    return bad


def test_the_checker_sees_private_imports() -> None:
    cell = "%load_ext mirage_nb\nimport io\nfrom mirage_nb.sim.boot import boot\nimport mirage_nb.notebook.widgets as w"
    assert [m for _, m in imported_modules(python_of(cell) or "")] == [
        "mirage_nb.sim.boot",
        "mirage_nb.notebook.widgets",
    ]
    assert [m for _, m in imported_modules("from mirage_nb import sim, lab")] == [
        "mirage_nb.sim",
        "mirage_nb.lab",
    ]
    assert python_of("%%config_ml\nopen Mirage") is None
    assert imported_modules(python_of("%%unikernel\nfrom mirage_nb.unikernel import Logs") or "") == [
        (2, "mirage_nb.unikernel")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_import_only_the_public_api(path: Path) -> None:
    assert private_imports(path) == []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    # (outputs are checked when the notebooks are re-executed: nbval compares them with what runs now)
    assert not [s for s in sources if "mirage_nb.sim." in s], "the simulator's insides are not the notebook's API"


def test_the_public_api_is_one_module_with_all() -> None:
    missing = [name for name in lab.__all__ if not hasattr(lab, name)]
    assert missing == []
    for name in ("example", "load", "loads", "Network", "Peer", "packet_table", "sequence_diagram", "run_bridged"):
        assert name in lab.__all__
    assert "mirage_nb/lab.py" in (ROOT / "README.md").read_text(encoding="utf-8"), "README names the notebook's API"
