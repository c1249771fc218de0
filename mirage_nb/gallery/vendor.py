"""Pyodide and a WASM graphviz, fetched from the npm registry at build time and copied into the site.

Only ``mirage-nb gallery build --in-browser`` needs them. ``npm pack`` (the
registry's ordinary client) downloads each pinned package once into a cache
directory (``~/.cache/mirage-nb/npm`` unless told otherwise); the build
copies the few files a page loads into ``OUT/pyodide/`` and ``OUT/viz/``.
They are build outputs: never committed, never fetched by the visitor's
browser from anywhere but the site itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from mirage_nb.errors import MirageNbError

__all__ = ["PYODIDE", "VIZ", "VendorError", "default_cache", "vendor"]

PYODIDE = ("pyodide", "314.0.8")
"""Pyodide's npm package and version (it runs Python 3.14)."""
VIZ = ("@viz-js/viz", "3.31.0")
"""Graphviz compiled to WebAssembly, with a ``Viz`` global for the page."""

_FILES = {
    PYODIDE: ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"),
    VIZ: ("dist/viz-global.js",),
}
_DEST = {PYODIDE: "pyodide", VIZ: "viz"}


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


def vendor(out: Path, cache: Path | None = None) -> None:
    """Copy Pyodide's runtime and viz.js into ``out/pyodide`` and ``out/viz``."""
    cache = cache or default_cache()
    for pkg, files in _FILES.items():
        dest = out / _DEST[pkg]
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(_tarball(pkg, cache)) as tar:
            for f in files:
                member = tar.extractfile(f"package/{f}")
                if member is None:
                    raise VendorError(f"{pkg[0]}@{pkg[1]} has no file {f}")
                (dest / Path(f).name).write_bytes(member.read())
