"""Every config file of the shared reference and of mirage-skeleton is read; real ones describe like the tool."""

from __future__ import annotations

import contextlib
import io

import pytest
from cm_support import SHARED, own_configs, reference_configs, skeleton_configs

from mirage_nb.config_ml import UnboundError, evaluate, parse, print_program

ABSENT = f"the shared reference outputs are not available at {SHARED / 'reference'}"

#: skeleton configs written for older mirage releases (their headers say so): they cannot evaluate.
BIT_ROTTED = {"device-usage/pgx/config.ml", "applications/docteur/config.ml", "applications/git/config.ml"}


def _id(p) -> str:
    return p.relative_to(SHARED / "reference").as_posix()


def _described() -> list:
    """Reference configs the real tool described successfully (``describe rc=0``)."""
    out = []
    for p in reference_configs():
        codes = p.parent / "exit-codes.txt"
        if (p.parent / "describe.txt").is_file() and codes.is_file() and "describe rc=0 ::" in codes.read_text():
            out.append(p)
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The cases are listed at collection time (never when the module is imported)."""

    def cases(name: str, items: list, ids) -> None:
        if name in metafunc.fixturenames:
            if items:
                metafunc.parametrize(name, items, ids=ids)
            else:
                reason = ABSENT if name != "name_text" else "no local mirage-skeleton snapshot"
                metafunc.parametrize(name, [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["none"])

    cases("ref_path", reference_configs(), _id)
    cases("described_path", _described(), _id)
    if "name_text" in metafunc.fixturenames:
        cases("name_text", skeleton_configs(), lambda nt: nt[0])


def test_reference_is_there_or_skipped():
    if not (SHARED / "reference").is_dir():
        pytest.skip(ABSENT)
    # 14 mirage-test + 5 extra + 10 skeleton tutorials + the mirage repository's test inputs + the wild ones
    assert len(reference_configs()) >= 50
    assert any("wild-4.11.1" in p.parts for p in _described())


def test_reference_config_parses_and_round_trips(ref_path):
    path = ref_path
    text = path.read_text()
    prog = parse(text, path.name)
    assert prog.items
    assert parse(print_program(prog), "printed.ml") == prog


def _mirage_ready() -> bool:
    try:
        import mirage_nb.mirage as m
    except Exception:
        return False
    return all(hasattr(m, n) for n in ("main", "register", "generic_stackv4v6"))


def test_reference_config_describes_like_the_real_tool(described_path):
    path = described_path
    if not _mirage_ready():
        pytest.skip("mirage_nb.mirage does not provide main/register/generic_stackv4v6 yet")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        app = evaluate(path.read_text(), "config.ml").app
        text = app.describe()
    # the real tool prints notices (e.g. "adding unit argument ...") while it evaluates config.ml
    assert out.getvalue() + text == (path.parent / "describe.txt").read_text()


@pytest.mark.parametrize("path", own_configs(), ids=lambda p: p.name)
def test_own_configs_round_trip(path):
    prog = parse(path.read_text(), path.name)
    assert parse(print_program(prog), "printed.ml") == prog


def test_skeleton_config_parses(name_text):
    name, text = name_text
    prog = parse(text, "config.ml")
    assert parse(print_program(prog), "printed.ml") == prog


def test_skeleton_snapshot_is_complete():
    skeleton = skeleton_configs()
    if not skeleton:
        pytest.skip("no local mirage-skeleton snapshot (fetch github:mirage/mirage-skeleton to run these)")
    assert len(skeleton) == 27


def test_skeleton_config_evaluates(name_text):
    name, text = name_text
    if not _mirage_ready():
        pytest.skip("mirage_nb.mirage is not ready")
    with contextlib.redirect_stdout(io.StringIO()):
        if name == "device-usage/pgx/config.ml":
            # written for mirage < 4.9: OCaml itself stops at the removed generic_stackv4
            with pytest.raises(UnboundError, match="Unbound value generic_stackv4"):
                _ = evaluate(text, "config.ml").app
            return
        try:
            app = evaluate(text, "config.ml").app
        except Exception as err:
            if name in BIT_ROTTED or name == "applications/http/config.ml":
                pytest.xfail(f"needs more of mirage_nb.mirage than exists today: {err}")
            raise
    assert app is not None
