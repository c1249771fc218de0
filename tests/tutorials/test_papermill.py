"""Parameterised runs of the tutorials with papermill: tutorial 05 per target, tutorial 01 with another seed.

Each run executes the whole notebook in a fresh kernel (the tutorials are
self-contained) and the assertions read its outputs, comparing them with
what the library gives for the same inputs in this process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"


def _execute(name: str, tmp_path: Path, **parameters: Any) -> dict[str, Any]:
    out = tmp_path / name
    papermill.execute_notebook(
        str(TUTORIALS / name), str(out), parameters=parameters, kernel_name="python3",
        cwd=str(TUTORIALS), progress_bar=False,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def _tagged(nb: dict[str, Any], tag: str) -> dict[str, Any]:
    cells = [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag}"
    return cells[0]


def _text(cell: dict[str, Any]) -> str:
    parts = []
    for o in cell["outputs"]:
        if o["output_type"] == "stream":
            parts.append("".join(o["text"]))
        elif "data" in o and "text/plain" in o["data"]:
            parts.append("".join(o["data"]["text/plain"]))
    return "".join(parts)


def _no_errors(nb: dict[str, Any]) -> None:
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            assert o["output_type"] != "error", f"{o.get('ename')}: {o.get('evalue')}"


def _cell_magic_body(cell: dict[str, Any], magic: str) -> str:
    src = "".join(cell["source"])
    first, _, body = src.partition("\n")
    assert first.startswith(magic), first
    return body


@pytest.fixture(scope="module")
def config_ml() -> str:
    """The config.ml tutorial 05 writes (its %%writefile cell), read from the notebook itself."""
    nb = json.loads((TUTORIALS / "05_targets_and_keys.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "".join(c["source"]).startswith("%%writefile config.ml")]
    assert len(cells) == 1
    return _cell_magic_body(cells[0], "%%writefile")


@pytest.mark.parametrize(("target", "block_name"), [("unix", "disk.img"), ("hvt", "storage"), ("xen", None)])
def test_tutorial_05_per_target(target: str, block_name: str | None, config_ml: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    nb = _execute("05_targets_and_keys.ipynb", tmp_path, target=target)
    _no_errors(nb)
    injected = _tagged(nb, "injected-parameters")
    assert f"target = {target!r}".replace("'", '"') in "".join(injected["source"]).replace("'", '"')

    # What the notebook printed is what the library configures for that target, here and now.
    from mirage_nb.config_ml import load

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.ml").write_text(config_ml, encoding="utf-8")
    files = load("config.ml").configure(target=target)

    listed = re.findall(r"^\s*\d+ bytes  (\S+)$", _text(_tagged(nb, "files")), re.M)
    assert listed == sorted(files)
    assert f"mirage/block_test-{target}.opam" in listed
    assert ("mirage/manifest.json" in listed) == (target != "unix")

    main_ml = _text(_tagged(nb, "main-ml"))
    assert main_ml.rstrip("\n") == files["mirage/main.ml"].rstrip("\n")
    connect = re.search(r'Block\.connect "([^"]*)"', main_ml)
    assert connect is not None
    if block_name is not None:
        assert connect.group(1) == block_name
    else:
        assert connect.group(1).isdigit(), "Xen names a block device by its device number"

    xl = _text(_tagged(nb, "xl"))
    if target == "xen":
        assert "name = 'block_test'" in xl and "kernel = 'block_test.xen'" in xl
        assert xl.rstrip("\n") == files["mirage/block_test.xl"].rstrip("\n")
    else:
        assert f"-t {target} writes no .xl file" in xl

    opam = _text(_tagged(nb, "opam"))
    assert ("mirage-block-solo5" in opam) == (target == "hvt")
    assert ("mirage-block-unix" in opam) == (target == "unix")


def test_tutorial_01_with_another_seed(tmp_path: Path) -> None:
    seed = 7
    nb = _execute("01_hello.ipynb", tmp_path, seed=seed)
    _no_errors(nb)

    # Re-run the notebook's own dice unikernel here with the same seed: the notebook must have printed the same.
    from mirage_nb.mirage import job, main, register

    source = _cell_magic_body(_tagged(nb, "dice"), "%%unikernel")
    module: dict[str, Any] = {"__name__": "dice"}
    exec(compile(source, "<dice>", "exec"), module)
    expected = register("dice", [main("Unikernel", job)]).run(unikernel=module, seed=seed).logs[0].message
    printed = _text(_tagged(nb, "dice-output")).strip()
    assert printed == f"seed {seed}: {expected}"

    # The committed notebook (seed 0) rolled other dice: the parameter reached the run.
    committed = json.loads((TUTORIALS / "01_hello.ipynb").read_text(encoding="utf-8"))
    assert _text(_tagged(committed, "dice-output")).startswith("seed 0: dice: ")
    assert _text(_tagged(committed, "dice-output")).split(": ", 1)[1] != printed.split(": ", 1)[1]

    # hello itself draws no random number: its run is the same whatever the seed.
    runs = [c for c in nb["cells"] if "".join(c["source"]).startswith("result = %mirage run")]
    assert len(runs) == 1
    assert _text(runs[0]).count("[INFO] [application] hello") == 4
