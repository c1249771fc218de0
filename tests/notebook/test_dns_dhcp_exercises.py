"""Tutorials 13 and 14's exercises: each solution passes its check, wrong answers do not, the tutorials use them all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mirage_nb.notebook.dns_dhcp_exercises import DNS_DHCP_EXERCISES
from mirage_nb.notebook.exercises import check, hint, solution

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(DNS_DHCP_EXERCISES))
def test_the_solution_passes_and_wrong_answers_do_not(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict[str, object] = {}
    exec(solution(name).code, ns)
    assert check(name, ns["answer"]).ok is True
    assert check(name, ...).ok is None
    for wrong in (None, 0, "z", [], object(), True, 3600.0, ["ACK"]):
        fb = check(name, wrong)
        assert fb.ok is False and fb.message, (name, wrong)
    assert hint(name).total >= 2


def test_near_misses_are_explained():
    assert "cache" in check("13.cache", 3).message
    assert "zone" in check("13.ttl", 3600).message
    assert "wrong order" in check("14.dora", ["OFFER", "DISCOVER", "REQUEST", "ACK"]).message
    assert check("14.dora", ["dhcpdiscover", "DHCP OFFER", "request", "Ack"]).ok is True
    assert "renew" in check("14.lease_time", 1800).message
    assert "both ends" in check("14.pool", 30).message


@pytest.mark.parametrize(("notebook", "prefix"), [("13_dns.ipynb", "13."), ("14_dhcp.ipynb", "14.")])
def test_each_tutorial_checks_its_exercises_and_shows_no_solution(notebook, prefix):
    nb = json.loads((ROOT / "tutorials" / notebook).read_text(encoding="utf-8"))
    src = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    used = set(re.findall(r"check\(['\"]([^'\"]+)['\"]", src))
    assert used == {n for n in DNS_DHCP_EXERCISES if n.startswith(prefix)}
    assert not re.search(r"^solution\(", src, re.M)
