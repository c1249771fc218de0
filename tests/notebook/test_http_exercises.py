"""Tutorial 12's exercises: each solution passes its check, wrong answers do not, and the tutorial uses them all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mirage_nb.notebook.exercises import check, hint, solution
from mirage_nb.notebook.http_exercises import HTTP_EXERCISES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(HTTP_EXERCISES))
def test_the_solution_passes_and_wrong_answers_do_not(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict[str, object] = {}
    exec(solution(name).code, ns)
    assert check(name, ns["answer"]).ok is True
    assert check(name, ...).ok is None
    for wrong in (None, 0, "z", [], object(), b"HTTP/1.1 200 OK\r\n", 302):
        fb = check(name, wrong)
        assert fb.ok is False and fb.message, (name, wrong)
    assert hint(name).total >= 2


def test_near_misses_are_explained():
    assert "redirect too" in check("12.redirect", 302).message
    assert "redirect's header" in check("12.hsts", "Location").message
    assert check("12.hsts", "strict-transport-security:").ok is True


def test_tutorial_12_checks_every_http_exercise_and_shows_no_solution():
    nb = json.loads((ROOT / "tutorials" / "12_http.ipynb").read_text(encoding="utf-8"))
    src = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    used = set(re.findall(r"check\(['\"]([^'\"]+)['\"]", src))
    assert used == set(HTTP_EXERCISES)
    assert not re.search(r"^solution\(", src, re.M)
