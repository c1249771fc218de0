"""The in-browser engine's Python side, checked under CPython: same bytes as the API."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from mirage_nb.errors import MirageNbError
from mirage_nb.gallery.collect import EXAMPLES_DIR
from mirage_nb.gallery.live import describe_json, keys_of_text
from mirage_nb.loader import load_config


def api(name: str, target: str, **keys: object) -> tuple[str, str, list[tuple[str, str]]]:
    cwd = os.getcwd()
    os.chdir(EXAMPLES_DIR / name)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            app = load_config("config.ml")
            return (
                str(app.describe(target=target, **keys)),
                str(app.dot(target, eval=True, **keys)),
                sorted(app.configure(target=target, **keys).items()),
            )
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(("name", "target", "keys"), [("network", "hvt", "--net=direct --utcp"), ("kv_ro", "xen", "")])
def test_describe_json_gives_the_apis_bytes(tmp_path: Path, name: str, target: str, keys: str) -> None:
    got = json.loads(describe_json((EXAMPLES_DIR / name / "config.ml").read_text(), target, keys, str(tmp_path)))
    describe, dot, files = api(name, target, **keys_of_text(keys))
    assert got["error"] is None
    assert got["describe"] == describe and got["dot"] == dot
    assert [tuple(f) for f in got["files"]] == files


def test_describe_json_reports_a_learners_mistake(tmp_path: Path) -> None:
    got = json.loads(describe_json('open Mirage\nlet () = register "x" [ main "U" jobb ]\n', "unix", "", str(tmp_path)))
    assert got["describe"] == "" and "jobb" in got["error"]
    got = json.loads(describe_json((EXAMPLES_DIR / "hello" / "config.ml").read_text(), "unix", "--nope", str(tmp_path)))
    assert "nope" in got["error"]


def test_keys_of_text() -> None:
    assert keys_of_text("--net=direct --utcp  --kv_ro='crunch'") == {"net": "direct", "utcp": True, "kv_ro": "crunch"}
    with pytest.raises(MirageNbError, match="expected --name=value"):
        keys_of_text("net=direct")
