"""Fixtures for the config.ml reader tests: where the shared reference lives, a fake Mirage module."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
#: ../shared next to the repository (read-only documents and outputs of the real tool).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONFIGS = HERE / "configs"


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
