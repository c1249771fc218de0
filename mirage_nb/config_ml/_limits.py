"""Room on Python's stack for the reader's own, explicit, depth limits."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["stack_room", "FRAMES_NEEDED"]

#: Python frames the reader may need at its nesting limits (measured: about 600 for the parser
#: at MAX_DEPTH and 520 for the evaluator at MAX_EVAL_DEPTH), with room for the caller's own.
FRAMES_NEEDED = 4000


@contextlib.contextmanager
def stack_room() -> Iterator[None]:
    """Make sure Python's recursion limit is above what the reader's depth limits can use."""
    old = sys.getrecursionlimit()
    if old < FRAMES_NEEDED:
        sys.setrecursionlimit(FRAMES_NEEDED)
    try:
        yield
    finally:
        if old < FRAMES_NEEDED:
            sys.setrecursionlimit(old)
