"""``mirage-nb gallery build OUT --lite``: the tutorials as a JupyterLite site, run by Pyodide in the browser.

A workshop then needs no server: any static file server (or the gallery's
own directory on a web host) gives every learner a JupyterLab whose Python
kernel runs in their browser. The site is built by JupyterLite's own
``jupyter lite build`` (PyPI ``jupyterlite-core`` and
``jupyterlite-pyodide-kernel``, the ``gallery`` extra) from a staging
directory this module prepares:

* ``static/pyodide/``: Pyodide from npm with this package's wheel, its
  runtime dependencies and the kernel's pure-Python packages (IPython,
  ipywidgets, ...), and a ``pyodide-lock.json`` of exactly those wheels
  (:func:`mirage_nb.gallery.vendor.vendor_pyodide`): JupyterLite copies it
  into the site and points its kernel at it;
* ``jupyter-lite.json``: the kernel loads ``mirage-nb`` and ipywidgets at
  start and never falls back to PyPI, so the site loads nothing from another
  host;
* ``files/tutorials/``: the numbered tutorials (the bridge cells of 11-14
  print why a browser has no Linux bridge, see
  :func:`mirage_nb.sim.net.tap.tap_available`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from mirage_nb.gallery.vendor import VendorError, vendor_pyodide
from mirage_nb.gallery.wheels import PROJECT, SOURCE_DATE_EPOCH, source_root

__all__ = ["KERNEL_PACKAGES", "LITE_DIR", "PRELOADED", "build_lite", "lite_config"]

LITE_DIR = "lite"
"""Where the JupyterLite site goes inside the gallery's output directory."""

KERNEL_PACKAGES = ("ipython", "jedi", "comm", "ipywidgets")
"""What the Pyodide kernel installs at start (its ipykernel stand-in needs IPython, comm and jedi) and the widgets."""

PRELOADED = (PROJECT, "ipywidgets")
"""What Pyodide loads from the site's lock as the kernel starts. The kernel installs a package a cell imports, but
``mirage_nb.lab.run_viewer`` and ``builder_widget`` import ipywidgets inside the call, where it cannot see."""

_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def lite_config() -> dict[str, object]:
    """``jupyter-lite.json``: the Pyodide kernel loads this package at start, and never asks PyPI for anything."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "mirage_nb tutorials (JupyterLite)",
            "litePluginSettings": {
                _PLUGIN: {
                    "disablePyPIFallback": True,
                    "loadPyodideOptions": {"packages": list(PRELOADED)},
                }
            },
        },
    }


OVERRIDES = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}
"""JupyterLab settings of the site: every cell of a tutorial stays in the page (searchable, printable)."""


def _tutorials(root: Path) -> list[Path]:
    return sorted((root / "tutorials").glob("[0-9][0-9]_*.ipynb"))


def build_lite(
    out: Path,
    *,
    npm_cache: Path | None = None,
    wheel_cache: Path | None = None,
    progress: TextIO | None = None,
) -> Path:
    """Write the JupyterLite site of the tutorials into ``out/lite``; returns that directory."""
    for module in ("jupyterlite_core", "jupyterlite_pyodide_kernel"):
        if importlib.util.find_spec(module) is None:
            raise VendorError(
                f"--lite needs JupyterLite and its Pyodide kernel ({module} is missing): "
                "pip install 'mirage-nb[gallery]'"
            )
    root = source_root()
    dest = out / LITE_DIR
    with tempfile.TemporaryDirectory(prefix="mirage-nb-lite-") as tmp:
        stage = Path(tmp) / "stage"
        (stage / "files" / "tutorials").mkdir(parents=True)
        if progress is not None:
            progress.write("gallery: lite: Pyodide, the mirage-nb wheel and the kernel's wheels ...\n")
            progress.flush()
        vendor_pyodide(stage / "static" / "pyodide", npm_cache, KERNEL_PACKAGES, wheel_cache)
        for nb in _tutorials(root):
            shutil.copyfile(nb, stage / "files" / "tutorials" / nb.name)
        (stage / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2, sort_keys=True) + "\n")
        (stage / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2, sort_keys=True) + "\n")
        if progress is not None:
            progress.write("gallery: lite: jupyter lite build ...\n")
            progress.flush()
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        env.pop("JUPYTERLITE_PYODIDE_URL", None)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyterlite_core",
                "build",
                "--lite-dir",
                str(stage),
                "--output-dir",
                str(Path(tmp) / "site"),
                "--contents",
                str(stage / "files"),
                "--no-sourcemaps",
            ],
            cwd=stage,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if proc.returncode != 0:
            raise VendorError(f"jupyter lite build failed: {(proc.stderr or proc.stdout).strip()[-1500:]}")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(Path(tmp) / "site", dest)
    return dest
