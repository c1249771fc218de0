"""``mirage-nb gallery build OUT [CONFIG_DIR...]``: the command line of the gallery."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from mirage_nb.errors import MirageNbError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    b = argparse.ArgumentParser(
        prog="mirage-nb gallery build",
        description="Build a static site (no server, no network) of every bundled unikernel "
        "and of each CONFIG_DIR (a directory holding config.ml and unikernel.py).",
    )
    b.add_argument("out", metavar="OUT", type=Path, help="directory to write (replaced if it holds an earlier gallery)")
    b.add_argument("dirs", metavar="CONFIG_DIR", type=Path, nargs="*", help="more unikernels to show")
    b.add_argument("--no-bundled", action="store_true", help="leave out the bundled examples")
    b.add_argument("--no-run", action="store_true", help="skip the simulated runs")
    b.add_argument(
        "--in-browser",
        action="store_true",
        help="add the engine to every page, under Pyodide (fetched once with npm pack) with this package's wheel "
        "and its dependencies (pip, from the gallery extra); serve the site over HTTP",
    )
    b.add_argument(
        "--lite",
        action="store_true",
        help="add OUT/lite/: the tutorials in JupyterLite, run by Pyodide in the browser (needs mirage-nb[gallery])",
    )
    b.add_argument(
        "--npm-cache", type=Path, default=None, help="where npm packages are cached (~/.cache/mirage-nb/npm)"
    )
    b.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    return b


def main(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """Run ``mirage-nb gallery ...``; returns the exit status."""
    import contextlib

    from mirage_nb.gallery.site import build

    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if list(argv[:1]) != ["build"]:
                err.write("usage: mirage-nb gallery build OUT [CONFIG_DIR...]  (see mirage-nb gallery build --help)\n")
                return 1
            args = _parser().parse_intermixed_args(list(argv[1:]))
    except SystemExit as e:
        return int(e.code or 0)
    try:
        entries = build(
            args.out,
            args.dirs,
            bundled=not args.no_bundled,
            run=not args.no_run,
            in_browser=args.in_browser,
            lite=args.lite,
            npm_cache=args.npm_cache,
            progress=None if args.quiet else err,
        )
    except MirageNbError as e:
        err.write(f"mirage-nb gallery: {e}\n")
        return 1
    out.write(f"{args.out / 'index.html'} ({len(entries)} unikernels)\n")
    return 0
