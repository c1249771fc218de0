"""Suite-wide test options.

Tests marked ``slow`` (fuzzing a million messages, 10 MB transfers, hundreds
of random links) run only when selected with ``-m slow``: the default run
stays within a few minutes on a 2-core machine.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow run: select it with -m slow")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
