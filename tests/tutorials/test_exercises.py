"""The exercises: every solution passes its own check, wrong answers do not, and the notebooks use them all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mirage_nb.errors import MirageNbError
from mirage_nb.notebook.exercises import (
    EXERCISES,
    ExerciseError,
    Feedback,
    Notice,
    check,
    exercise,
    hint,
    solution,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_solution_passes_its_check(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a solution may configure: nothing may land in the repository
    ns: dict[str, object] = {}
    exec(solution(name).code, ns)
    fb = check(name, ns["answer"])
    assert fb.ok is True, repr(fb)
    assert repr(fb).startswith("✔")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_no_answer_yet_and_wrong_answers(name: str) -> None:
    assert check(name, ...).ok is None
    for wrong in (None, 0, "z", [], object()):
        fb = check(name, wrong)
        assert fb.ok is False, f"{name} accepted {wrong!r}: {fb!r}"
        assert fb.message, "a wrong answer gets a message saying what was expected"


def test_near_misses_are_explained() -> None:
    assert "63" in check("02.exit_code", 63).message
    assert "template" in check("05.xl", "mirage/hello.xl.in").message
    fb = check("07.commands", ["mirage configure -t xen", "make"])
    assert fb.ok is False and "hvt" in fb.message
    assert check("07.commands", ["mirage configure -t hvt", "make"]).ok is True


def test_hints_are_numbered_not_counted() -> None:
    first = hint("01.register")
    assert repr(first) == repr(hint("01.register")), "asking twice gives the same hint"
    assert first.number == 1 and first.total >= 2
    assert "hint('01.register', 2)" in repr(first)
    last = hint("01.register", first.total)
    assert "for the next" not in repr(last)
    beyond = hint("01.register", first.total + 1)
    assert isinstance(beyond, Notice) and not beyond and "hints 1 to" in repr(beyond)


def test_unknown_exercise_is_feedback_naming_the_closest_ones() -> None:
    """A misspelt name is shown, not raised: the learner sees the names it was close to."""
    for ask in (lambda: check("01.thre_hi", 1), lambda: hint("01.thre_hi"), lambda: solution("01.thre_hi")):
        notice = ask()
        assert isinstance(notice, Notice) and not notice
        assert "'01.thre_hi'" in repr(notice) and "did you mean '01.three_hi'" in repr(notice)
        assert "01.three_hi" in notice._repr_html_()
    far = check("zzz", 1)
    assert isinstance(far, Notice) and "01.register" in repr(far) and "11.address" in repr(far)
    with pytest.raises(ExerciseError) as e:  # the lookup for code still raises
        exercise("01.nope")
    assert isinstance(e.value, MirageNbError)


def test_displays_are_escaped_html() -> None:
    fb = Feedback("x", False, "<b>not</b>")
    assert "&lt;b&gt;" in fb._repr_html_()
    assert "<pre>" in solution("03.pick")._repr_html_()


def _notebook_sources() -> dict[str, str]:
    out = {}
    for p in sorted((ROOT / "tutorials").glob("*.ipynb")):
        nb = json.loads(p.read_text(encoding="utf-8"))
        src = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        if "from mirage_nb.lab import check" in src:  # notebooks checking exercises
            out[p.name] = src
    return out


def test_every_exercise_is_checked_in_a_tutorial_and_every_check_exists() -> None:
    from mirage_nb.notebook.dns_dhcp_exercises import DNS_DHCP_EXERCISES
    from mirage_nb.notebook.http_exercises import HTTP_EXERCISES
    from mirage_nb.notebook.net_exercises import NET_EXERCISES

    known = {**EXERCISES, **NET_EXERCISES, **HTTP_EXERCISES, **DNS_DHCP_EXERCISES}
    used: set[str] = set()
    sources = _notebook_sources()
    assert {n[:2] for n in sources} >= {f"{i:02}" for i in range(15)}, "tutorials 00-14 use these exercises"
    for name, src in sources.items():
        for m in re.finditer(r"check\(['\"]([^'\"]+)['\"]", src):
            used.add(m.group(1))
            assert m.group(1) in known, f"{name} checks an unknown exercise {m.group(1)}"
        assert not re.search(r"^solution\(", src, re.M), f"{name} shows a solution: leave it commented"
    assert used == set(known)
