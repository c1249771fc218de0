"""The wheels a Pyodide site carries: this package's wheel built reproducibly, its dependencies, their lock."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from mirage_nb.gallery import wheels
from mirage_nb.gallery.vendor import VendorError
from mirage_nb.gallery.wheels import (
    EXTRA,
    PROJECT,
    Wheel,
    _requirements,
    build_project_wheel,
    closure,
    normalize,
    runtime_requirements,
    vendor_wheels,
    write_lock,
)

LOCK = {
    "info": {"python": "3.14.2"},
    "packages": {
        "ipython": {"file_name": "ipython-9-py3-none-any.whl", "version": "9", "depends": ["traitlets", "Pygments"]},
        "traitlets": {"file_name": "traitlets-5-py3-none-any.whl", "version": "5", "depends": []},
        "pygments": {"file_name": "pygments-2-py3-none-any.whl", "version": "2", "depends": []},
        "numpy": {"file_name": "numpy-2-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "version": "2", "depends": []},
    },
}


def test_normalize() -> None:
    assert normalize("Jupyterlab_Widgets") == "jupyterlab-widgets" and normalize("stack.data") == "stack-data"


def test_runtime_requirements_are_the_dependencies_without_extras() -> None:
    got = runtime_requirements()
    assert "h11" in got and "dnspython" in got
    assert "pytest" not in got and "ipywidgets" not in got  # extras stay out


def test_the_site_vendors_what_the_built_wheel_requires_whatever_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wheel the site serves names its own dependencies; an older install's metadata (an editable install's
    egg-info written before a dependency was added) must not leave one out of the site's lock."""
    built = tmp_path / "built" / "mirage_nb-0.1.0-py3-none-any.whl"
    built.parent.mkdir()
    meta = (
        "Metadata-Version: 2.1\nName: mirage-nb\nVersion: 0.1.0\n"
        "Requires-Dist: Pygments>=2\n"
        'Requires-Dist: ipython>=8; extra == "notebook"\n'
    )
    with zipfile.ZipFile(built, "w") as z:
        z.writestr("mirage_nb-0.1.0.dist-info/METADATA", meta)
        z.writestr("mirage_nb/__init__.py", "")

    def build(dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(built, dest / built.name))

    def fetch(name: str, version: str, cache: Path | None = None) -> Path:
        whl = tmp_path / f"{name}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(whl, "w") as z:
            z.writestr(f"{name}/__init__.py", "")
        return whl

    monkeypatch.setattr(wheels, "build_project_wheel", build)
    monkeypatch.setattr(wheels, "fetch_wheel", fetch)
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: ["h11>=0.14"])  # a stale install
    got = {w.name: w for w in vendor_wheels(tmp_path / "site", LOCK, ["traitlets"], tmp_path / "cache")}
    assert sorted(got) == ["mirage-nb", "pygments", "traitlets"]
    assert got["mirage-nb"].depends == ("pygments",) and got["mirage-nb"].version == "0.1.0"
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == sorted(w.path.name for w in got.values())


def test_closure_follows_the_lock_and_the_pins() -> None:
    assert closure(["IPython"], LOCK) == ["ipython", "pygments", "traitlets"]
    assert closure(["ipywidgets"], LOCK) == ["comm", "ipython", "ipywidgets", "pygments", "traitlets"]
    assert set(EXTRA["ipywidgets"][1]) <= {"comm", "ipython", "traitlets"}
    with pytest.raises(VendorError, match="numpy is built for WebAssembly"):
        closure(["numpy"], LOCK)
    with pytest.raises(VendorError, match="nosuch: neither"):
        closure(["nosuch"], LOCK)


def test_a_name_nothing_pins_is_resolved_with_its_dependencies() -> None:
    asked: list[str] = []

    def resolve(spec: str) -> tuple[str, tuple[str, ...]]:
        asked.append(spec)
        return ("4.3.0", ("hyperframe>=6.1,<7", "Pygments")) if spec.startswith("h2") else ("1", ())

    assert closure(["h2>=4.1,<5"], LOCK, resolve) == ["h2", "hyperframe", "pygments"]
    assert asked == ["h2>=4.1,<5", "hyperframe>=6.1,<7"]  # pygments comes from Pyodide's lock


def test_a_wheels_requirements_under_pyodide(tmp_path: Path) -> None:
    whl = tmp_path / "demo-1.2-py3-none-any.whl"
    meta = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.2\n"
        "Requires-Dist: hpack<5,>=4.1\n"
        'Requires-Dist: pywin32; sys_platform == "win32"\n'
        'Requires-Dist: pytest; extra == "test"\n'
        'Requires-Dist: tomli; python_version < "3.11"\n'
    )
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("demo-1.2.dist-info/METADATA", meta)
        z.writestr("demo/__init__.py", "")
    assert _requirements(whl) == ("1.2", ("hpack<5,>=4.1",))


def test_the_lock_lists_exactly_the_wheels_with_their_digests(tmp_path: Path) -> None:
    whl = tmp_path / "h11-0.16.0-py3-none-any.whl"
    whl.write_bytes(b"not really a wheel")
    write_lock(tmp_path / "lock.json", LOCK, [Wheel("h11", "0.16.0", whl, (), ("h11",))])
    got = json.loads((tmp_path / "lock.json").read_text())
    assert got["info"] == LOCK["info"]
    assert list(got["packages"]) == ["h11"]
    entry = got["packages"]["h11"]
    assert entry["file_name"] == whl.name and entry["sha256"] == hashlib.sha256(whl.read_bytes()).hexdigest()
    assert entry["imports"] == ["h11"] and entry["depends"] == [] and entry["package_type"] == "package"


def test_the_project_wheel_is_reproducible_and_holds_the_package(tmp_path: Path) -> None:
    try:
        import pip  # noqa: F401
    except ImportError:
        pytest.skip("pip is not installed here (pip install 'mirage-nb[gallery]')")
    try:
        a = build_project_wheel(tmp_path / "a")
    except VendorError as e:
        pytest.skip(f"the wheel could not be built here: {e}")
    b = build_project_wheel(tmp_path / "b")
    assert a.name == b.name and a.name.startswith("mirage_nb-") and a.read_bytes() == b.read_bytes()
    names = zipfile.ZipFile(a).namelist()
    assert "mirage_nb/gallery/live.py" in names and "mirage_nb/examples/network/config.ml" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(a).read(meta).decode()
    assert f"Name: {PROJECT}" in text and "Requires-Dist: h11" in text
