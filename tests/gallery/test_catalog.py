"""The catalog's statuses are computed by running their checks: breaking what a check runs flips the status."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirage_nb.gallery import catalog as C


def _status(cat: C.Catalog, name: str) -> tuple[str, ...]:
    return next(d.statuses for d in cat.devices if d.name == name)


def _kv_ro_only(case: C.Case) -> bool:
    return case.source == "example" and case.name == "kv_ro"


def test_every_library_device_has_a_row() -> None:
    cat = C.catalog(reference=None, only=_kv_ro_only)
    assert {d.name for d in cat.devices} == set(C.library_devices())
    assert "generic_stackv4v6" in C.library_devices() and "register" not in C.library_devices()


def test_a_device_booted_by_an_example_runs_in_the_simulator() -> None:
    cat = C.catalog(reference=None, only=_kv_ro_only)
    assert any(s.startswith("runs in the simulator (kv_ro)") for s in _status(cat, "generic_kv_ro"))


def test_breaking_a_boot_kind_flips_the_status(monkeypatch: pytest.MonkeyPatch) -> None:
    kinds = C.boot_kinds()
    monkeypatch.setattr(C, "boot_kinds", lambda: kinds - {"kv_ro_crunch", "kv_ro_direct", "kv_ro"})
    cat = C.catalog(reference=None, only=_kv_ro_only)
    assert "not simulated" in _status(cat, "generic_kv_ro")
    case = next(c for c in cat.cases if c.name == "kv_ro")
    assert case.boots is False and case.boot_error.startswith("no simulated kind")


def test_a_failing_run_is_not_simulated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mirage_nb.lab import EXAMPLES_DIR

    def broken(case: C.Case) -> bool:
        return case.source == "example" and case.name == "hello"

    # a unikernel whose start raises: the run's check must say so
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "config.ml").write_text((EXAMPLES_DIR / "hello" / "config.ml").read_text())
    (tmp_path / "hello" / "unikernel.py").write_text("async def start():\n    raise RuntimeError('boom')\n")
    monkeypatch.setattr(C, "EXAMPLES_DIR", tmp_path)
    cat = C.catalog(reference=None, only=broken)
    case = next(c for c in cat.cases if c.name == "hello")
    assert case.boots is False
    assert "not simulated" in _status(cat, "noop")


def test_linux_tested_is_read_from_the_root_marked_tests(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "import pytest\nfrom mirage_nb.sim.net import udp\npytestmark = pytest.mark.root\nX = 'dns_server'\n"
    )
    (tmp_path / "test_b.py").write_text("from mirage_nb.sim.net import tcp\nX = 'network'\n")
    examples, protocols = C.linux_tested(tmp_path)
    assert examples == {"dns_server"}
    assert protocols == {"mirage_nb.sim.net.udp"}


@pytest.mark.skipif(not C.REFERENCE_DIR.is_dir(), reason="../shared/reference/ exists only on dev machines")
def test_reference_counts_come_from_the_recorded_describe() -> None:
    cat = C.catalog(only=lambda c: c.source == "shared/reference" and "skeleton" in c.name)
    assert cat.reference_source.startswith("../shared/reference")
    noop = next(d for d in cat.devices if d.name == "noop")
    assert noop.reference_total >= 5 and noop.reference_pass == noop.reference_total


def test_the_gallery_page_shows_the_computed_statuses() -> None:
    cat = C.catalog(reference=None, only=_kv_ro_only)
    page = C.catalog_html(cat)
    assert "<td>generic_kv_ro</td><td>" in page and "runs in the simulator (kv_ro)" in page
    assert page.count("<tr>") == len(cat.devices) + len(cat.protocols) + 2
