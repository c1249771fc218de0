"""Helpers for the Xen host tests: a bundled example copied where ``configure -t xen`` may write."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from mirage_nb import lab


def xen_example(name: str, where: Path) -> tuple[Any, str, str]:
    """The example ``name`` copied under ``where``: its application, its .xl text and the .xl file name."""
    d = where / name
    shutil.copytree(lab.example_dir(name), d)
    old = os.getcwd()
    os.chdir(d)
    try:
        app = lab.load("config.ml")
        files = app.configure(target="xen")
    finally:
        os.chdir(old)
    xl = next(p for p in files if p.endswith(".xl"))
    # configure wants the config's own directory as the working one; a run finds its code by the full path
    return lab.load(d / "config.ml"), files[xl], os.path.basename(xl)
