"""Shared paths for the tutorial tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"


@pytest.fixture(scope="session")
def tutorials_dir() -> Path:
    return TUTORIALS
