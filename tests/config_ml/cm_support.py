"""Paths and helpers shared by the config.ml reader tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: ../shared next to the repository (read-only documents and outputs of the real tool).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
#: This directory's own config.ml test files.
CONFIGS = HERE / "configs"
#: A git directory of mirage-skeleton (never committed), named by MIRAGE_SKELETON_GIT;
#: else the snapshot a fetch leaves beside the workplace's repositories, if any.
SKELETON_MIRROR = Path(
    os.environ.get("MIRAGE_SKELETON_GIT")
    or Path(__file__).resolve().parents[3] / ".mirror" / "mirage+mirage-skeleton" / "repo"
)


def reference_configs() -> list[Path]:
    """Every OCaml config file under ../shared/reference (none when it is absent)."""
    ref = SHARED / "reference"
    if not ref.is_dir():
        return []
    out = [
        p
        for p in ref.rglob("*.ml")
        if ".files" not in p.as_posix() and (p.name.startswith("config") or "_inputs" in p.as_posix())
    ]
    return sorted(out)


def own_configs() -> list[Path]:
    return sorted(CONFIGS.glob("*.ml"))


def skeleton_configs() -> list[tuple[str, str]]:
    """(path, text) of every config.ml of the local mirage-skeleton snapshot, if there is one."""
    if not SKELETON_MIRROR.is_dir():
        return []
    names = subprocess.run(
        ["git", "-C", str(SKELETON_MIRROR), "ls-tree", "-r", "--name-only", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out = []
    for name in names:
        if name.endswith("/config.ml"):
            text = subprocess.run(
                ["git", "-C", str(SKELETON_MIRROR), "show", f"HEAD:{name}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            out.append((name, text))
    return out
