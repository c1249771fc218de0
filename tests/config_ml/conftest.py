"""Fixtures for the config.ml reader tests: where the shared reference lives, a fake Mirage module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib, so make this directory's helper modules importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cm_support import SHARED


@pytest.fixture
def fake_mirage():
    import cm_fake_mirage

    return cm_fake_mirage.make()


@pytest.fixture
def shared_reference() -> Path:
    ref = SHARED / "reference"
    if not ref.is_dir():
        pytest.skip(f"the shared reference outputs are not available at {ref}")
    return ref
