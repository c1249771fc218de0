"""``mirage-nb``: the real ``mirage`` tool's verbs over config.ml or config.py files."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mirage-nb`` command; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    sys.stderr.write(f"mirage-nb: not implemented yet: {' '.join(args)}\n")
    return 1
