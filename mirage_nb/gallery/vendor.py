"""Pyodide and a WASM graphviz, fetched from the npm registry at build time and copied into the site.

Only ``mirage-nb gallery build --in-browser`` needs them. ``npm pack`` (the
registry's ordinary client) downloads each pinned package once into a cache
directory (``~/.cache/mirage-nb/npm`` unless told otherwise); the build
copies the few files a page loads into ``OUT/pyodide/`` (viz.js's script
too: the gallery pages and the notebook layer under Pyodide both find it
there, see :mod:`mirage_nb.gallery.inbrowser`), then adds this package's wheel and the pure-Python wheels it needs
(:mod:`mirage_nb.gallery.wheels`) with a ``pyodide-lock.json`` naming
exactly those. They are build outputs: never committed, never fetched by
the visitor's browser from anywhere but the site itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mirage_nb.errors import MirageNbError

if TYPE_CHECKING:
    from mirage_nb.gallery.wheels import Wheel

__all__ = ["PYODIDE", "VIZ", "VendorError", "default_cache", "vendor", "vendor_pyodide", "BASE_PACKAGES"]

PYODIDE = ("pyodide", "314.0.8")
"""Pyodide's npm package and version (it runs Python 3.14)."""
VIZ = ("@viz-js/viz", "3.31.0")
"""Graphviz compiled to WebAssembly, with a ``Viz`` global for the page."""

_FILES = {
    PYODIDE: ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"),
    VIZ: ("dist/viz-global.js",),
}

BASE_PACKAGES = ("micropip",)
"""What every site's Pyodide loads besides this package and its dependencies: micropip, which installs them."""


class VendorError(MirageNbError):
    """npm is missing, or could not fetch a package the in-browser engine needs."""


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mirage-nb" / "npm"


def _tarball(pkg: tuple[str, str], cache: Path) -> Path:
    name, version = pkg
    tgz = cache / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if tgz.is_file():
        return tgz
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            f"--in-browser needs npm to fetch {name}@{version} (apt-get install npm), or {tgz} in the cache"
        )
    cache.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [npm, "pack", f"{name}@{version}", "--pack-destination", str(cache)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not tgz.is_file():
        raise VendorError(f"npm pack {name}@{version} failed: {proc.stderr.strip()[-400:]}")
    return tgz


def _copy(pkg: tuple[str, str], dest: Path, cache: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(_tarball(pkg, cache)) as tar:
        for f in _FILES[pkg]:
            member = tar.extractfile(f"package/{f}")
            if member is None:
                raise VendorError(f"{pkg[0]}@{pkg[1]} has no file {f}")
            (dest / Path(f).name).write_bytes(member.read())


def _pyodide_lock(cache: Path) -> dict[str, object]:
    with tarfile.open(_tarball(PYODIDE, cache)) as tar:
        member = tar.extractfile("package/pyodide-lock.json")
        if member is None:
            raise VendorError(f"{PYODIDE[0]}@{PYODIDE[1]} has no pyodide-lock.json")
        lock = json.loads(member.read())
    if not isinstance(lock, dict):
        raise VendorError("Pyodide's pyodide-lock.json is not a JSON object")
    return lock


def vendor_pyodide(
    dest: Path, cache: Path | None = None, packages: Iterable[str] = (), wheel_cache: Path | None = None
) -> list[Wheel]:
    """Pyodide's runtime and viz.js in ``dest``, with this package's wheel, the wheels of its runtime dependencies and
    of ``packages`` (and micropip), and the ``pyodide-lock.json`` that lists exactly those wheels."""
    from mirage_nb.gallery.wheels import vendor_wheels, write_lock

    cache = cache or default_cache()
    _copy(PYODIDE, dest, cache)
    _copy(VIZ, dest, cache)
    lock = _pyodide_lock(cache)
    wheels = vendor_wheels(dest, lock, [*BASE_PACKAGES, *packages], wheel_cache)
    write_lock(dest / "pyodide-lock.json", lock, wheels)
    return wheels


def vendor(out: Path, cache: Path | None = None) -> list[Wheel]:
    """Pyodide with this package and viz.js in ``out/pyodide`` (see :func:`vendor_pyodide`)."""
    return vendor_pyodide(out / "pyodide", cache)
