"""``mirage-nb gallery build OUT``: the static site, written from the entries' models.

The site is plain files: ``index.html``, one ``SLUG.html`` per unikernel,
``gallery.css`` and ``gallery.js`` (shipped in this package), and
``pcap/SLUG.pcap`` for the unikernels with a network. It needs no server and
loads nothing from another host. Everything is computed in a fixed order
from fixed inputs (runs are seeded, files written sorted), so building twice
gives the same bytes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TextIO

from mirage_nb.errors import MirageNbError
from mirage_nb.gallery.collect import Entry, bundled_dirs, collect, slug_of
from mirage_nb.gallery.graph import svg_of_dot
from mirage_nb.gallery.render import index_html, page_html
from mirage_nb.sim.net.capture_view import packet_table, sequence_diagram

__all__ = ["build", "MARKER", "STATIC_FILES"]

MARKER = ".mirage-nb-gallery"
"""A file in every built site: a later build may replace that directory, never another one."""

STATIC_FILES = ("gallery.css", "gallery.js")


def _prepare(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise MirageNbError(f"gallery build: {out} exists and is not a directory")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise MirageNbError(
                f"gallery build: {out} is not empty and holds no earlier gallery ({MARKER}); choose a new directory"
            )
        shutil.rmtree(out)
    (out / "pcap").mkdir(parents=True)
    _write(out / MARKER, "Built by `mirage-nb gallery build`; a new build replaces this directory.\n")


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def build(
    out: Path,
    extra_dirs: Sequence[Path] = (),
    *,
    bundled: bool = True,
    run: bool = True,
    in_browser: bool = False,
    lite: bool = False,
    npm_cache: Path | None = None,
    progress: TextIO | None = None,
    catalog_page: bool | None = None,
) -> list[Entry]:
    """Build the site into ``out``: the bundled examples (unless ``bundled=False``) then ``extra_dirs``.

    ``in_browser`` adds the engine to every page, running under Pyodide (vendored from npm, see
    :mod:`mirage_nb.gallery.vendor`); such a site must be served over HTTP (any static server), as
    browsers do not let a page started from ``file://`` load WebAssembly modules. ``lite`` adds
    ``out/lite/``, the tutorials in JupyterLite (:mod:`mirage_nb.gallery.lite`), linked from the index.
    """
    dirs = [*(bundled_dirs() if bundled else []), *(Path(d) for d in extra_dirs)]
    for d in extra_dirs:
        if not Path(d).is_dir():
            raise MirageNbError(f"gallery build: {d} is not a directory (expected a directory holding a config.ml)")
    _prepare(out)
    taken: set[str] = {"index", "gallery"}
    entries: list[Entry] = []
    start = time.monotonic()
    for i, d in enumerate(dirs, start=1):
        if progress is not None:
            progress.write(f"gallery: [{i:>2}/{len(dirs)}] {d.name} ...")
            progress.flush()
        t0 = time.monotonic()
        try:
            entry = collect(d, slug_of(d.name, taken), run=run)
        except MirageNbError as e:
            if progress is not None:
                progress.write(" failed\n")
            raise MirageNbError(f"in {d}: {e}") from e
        graphs = {"eval": svg_of_dot(entry.dot_eval), "full": svg_of_dot(entry.dot_full)}
        if entry.dot_learner is not None:
            graphs["learner"] = svg_of_dot(entry.dot_learner)
        rows, diagram, href = None, None, None
        if entry.transcript.pcap is not None:
            rows, diagram = packet_table(entry.transcript.pcap), sequence_diagram(entry.transcript.pcap)
            href = f"pcap/{entry.slug}.pcap"
            (out / href).write_bytes(entry.transcript.pcap)
        _write(out / f"{entry.slug}.html", page_html(entry, graphs, rows, href, live=in_browser, diagram=diagram))
        entries.append(entry)
        if progress is not None:
            progress.write(f" {time.monotonic() - t0:.1f}s\n")
    _write(out / "index.html", index_html(entries, lite=lite))
    if catalog_page if catalog_page is not None else bundled and run:  # the protocol and device catalog
        from mirage_nb.gallery.catalog import catalog, catalog_html

        _write(out / "catalog.html", catalog_html(catalog()))
    for name in STATIC_FILES:
        (out / name).write_bytes(resources.files("mirage_nb.gallery").joinpath("static", name).read_bytes())
    if in_browser:
        from mirage_nb.gallery.vendor import vendor

        if progress is not None:
            progress.write(
                "gallery: vendoring Pyodide and viz.js (npm pack), the mirage-nb wheel (pip wheel) "
                "and its dependencies (pip download) ...\n"
            )
        vendor(out, npm_cache)
        (out / "gallery-live.js").write_bytes(
            resources.files("mirage_nb.gallery").joinpath("static", "gallery-live.js").read_bytes()
        )
    if lite:
        from mirage_nb.gallery.lite import build_lite

        build_lite(out, npm_cache=npm_cache, progress=progress)
    if progress is not None:
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        progress.write(
            f"gallery: {len(entries)} unikernels, {size / 1024:.0f} KiB in {out} ({time.monotonic() - start:.1f}s)\n"
        )
    return entries
