"""How long ``mirage-nb gallery build`` takes for every bundled unikernel, and how big the site is.

Prints figures and ratios; nothing here asserts a time (the issue's aim: the
whole gallery in at most 60 s on a 2-core machine). Peer, measured in the
same run: the same ``describe`` texts obtained the way a script without the
Python API would get them, one ``mirage-nb describe -t TARGET`` process per
unikernel and target, against the in-process ``app.describe(target=...)``
calls the builder makes.

    python3 benchmarks/gallery.py [--sample N]   # N: unikernels in the describe comparison (default all)
    python3 benchmarks/gallery.py --in-browser   # also: the engine under Pyodide in headless chromium
    python3 benchmarks/gallery.py --lite         # also: the JupyterLite site of the tutorials

With ``--in-browser`` it also builds the site with the engine in each page
(Pyodide from npm, the mirage-nb wheel and its dependencies installed by
micropip from the site) and, in Debian's chromium, times the page load to
the first in-browser describe of the largest bundled unikernel (the most
vertices in its full graph) and then one describe per target once Pyodide
is loaded (aim: at most 1 s each), against the same describes in this
CPython process. With ``--lite`` it builds the JupyterLite site and times
opening tutorial 01 to its first mirage_nb output in the Pyodide kernel,
then one ``describe`` cell in the running kernel.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mirage_nb.gallery.collect import TARGETS, bundled_dirs
from mirage_nb.gallery.site import build
from mirage_nb.loader import load_config


def mirage_nb_command() -> list[str]:
    exe = shutil.which("mirage-nb")
    return [exe] if exe else [sys.executable, "-m", "mirage_nb"]


def in_process(dirs: list[Path]) -> tuple[float, dict[tuple[str, str], str]]:
    out: dict[tuple[str, str], str] = {}
    cwd = os.getcwd()
    t0 = time.perf_counter()
    for d in dirs:
        os.chdir(d)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                app = load_config("config.ml")
                for t in TARGETS:
                    out[d.name, t] = str(app.describe(target=t))
        finally:
            os.chdir(cwd)
    return time.perf_counter() - t0, out


def subprocesses(dirs: list[Path]) -> tuple[float, dict[tuple[str, str], str]]:
    out: dict[tuple[str, str], str] = {}
    cmd = mirage_nb_command()
    t0 = time.perf_counter()
    for d in dirs:
        for t in TARGETS:
            p = subprocess.run([*cmd, "describe", "-t", t], cwd=d, capture_output=True, text=True, check=False)
            out[d.name, t] = p.stdout
    return time.perf_counter() - t0, out


def largest() -> str:
    """The bundled unikernel with the most vertices in its full graph (``describe --dot`` before evaluation)."""
    sizes = {}
    cwd = os.getcwd()
    for d in bundled_dirs():
        os.chdir(d)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                dot = str(load_config("config.ml").dot("unix", eval=False))
            sizes[d.name] = len(re.findall(r"^\s*\d+ \[", dot, re.M))
        finally:
            os.chdir(cwd)
    return max(sorted(sizes), key=lambda n: sizes[n])


def _serve(directory: Path):  # noqa: ANN202 - a server and its base URL
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def lite() -> None:
    from playwright.sync_api import sync_playwright

    from mirage_nb.gallery.lite import build_lite

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        site = build_lite(Path(tmp))
        took = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"gallery build --lite (the JupyterLite part alone): {took:.1f} s, {size / 1024 / 1024:.1f} MiB")
        server, base = _serve(site)
        found = "Array.from(document.querySelectorAll('.jp-OutputArea-output')).some(o => o.innerText.includes({!r}))"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.set_default_timeout(300_000)
                t0 = time.perf_counter()
                page.goto(f"{base}/lab/index.html?path=tutorials/01_hello.ipynb")
                page.wait_for_selector(".jp-Notebook .jp-Cell .jp-OutputArea-output")
                # The saved outputs go first: every output waited for below comes from the Pyodide kernel.
                page.click('.lm-MenuBar-itemLabel:text-is("Edit")')
                page.click('.lm-Menu-itemLabel:text-is("Clear Outputs of All Cells")')
                page.click(".jp-Notebook .jp-Cell >> nth=0")
                page.keyboard.press("Escape")
                for _ in range(6):
                    page.keyboard.press("Shift+Enter")
                page.wait_for_function(found.format("adding unit argument"))
                first = time.perf_counter() - t0
                t1 = time.perf_counter()
                for _ in range(2):
                    page.keyboard.press("Shift+Enter")
                page.wait_for_function(found.format("Name"))
                cell = time.perf_counter() - t1
                browser.close()
        finally:
            server.shutdown()
    print(f"lite: open tutorial 01 to its first mirage_nb output: {first:.1f} s (JupyterLab, Pyodide, kernel start)")
    print(f"  then a note and the describe cell in the running kernel: {cell:.2f} s")


def in_browser(sample_name: str | None = None) -> None:
    from playwright.sync_api import sync_playwright

    sample_name = sample_name or largest()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        t0 = time.perf_counter()
        build(out, in_browser=True)
        took = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(
            f"gallery build --in-browser: {took:.1f} s, site {size / 1024 / 1024:.1f} MiB (Pyodide and viz.js included)"
        )
        server, base = _serve(out)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.set_default_timeout(300_000)
                t0 = time.perf_counter()
                page.goto(f"{base}/{sample_name}.html")
                page.click("#live-describe")
                page.wait_for_function("document.getElementById('live').dataset.describes === '1'")
                first = time.perf_counter() - t0
                times = []
                for i, t in enumerate(TARGETS, start=2):
                    t1 = time.perf_counter()
                    page.select_option("#live-target", t)
                    page.wait_for_function(f"document.getElementById('live').dataset.describes === '{i}'")
                    times.append(time.perf_counter() - t1)
                browser.close()
        finally:
            server.shutdown()
    ours, _ = in_process([d for d in bundled_dirs() if d.name == sample_name])
    per = sum(times) / len(times)
    print(f"in-browser ({sample_name}): page load to first describe {first:.1f} s (Pyodide start included)")
    print(f"  then describe+dot+configure+graph per target: {per * 1000:.0f} ms mean, {max(times) * 1000:.0f} ms max")
    print(f"  CPython describe per target, same unikernel: {ours / len(TARGETS) * 1000:.1f} ms")
    print(f"  ratio browser (whole answer) / CPython (describe): {per / (ours / len(TARGETS)):.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=None, help="unikernels in the describe comparison (default: all)")
    ap.add_argument("--in-browser", action="store_true", help="also time the engine under Pyodide in chromium")
    ap.add_argument("--lite", action="store_true", help="also build and time the JupyterLite site")
    args = ap.parse_args()
    dirs = bundled_dirs()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        t0 = time.perf_counter()
        entries = build(out, progress=None)
        took = time.perf_counter() - t0
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        pages = [p for p in files if p.suffix == ".html"]
        biggest = max(pages, key=lambda p: p.stat().st_size)
        biggest_kib = biggest.stat().st_size / 1024
    print(f"gallery build: {len(entries)} unikernels in {took:.1f} s (aim: <= 60 s), {took / len(entries):.2f} s each")
    print(f"site: {len(files)} files, {size / 1024:.0f} KiB; largest page {biggest.name} {biggest_kib:.0f} KiB")
    with tempfile.TemporaryDirectory() as tmp:
        # `mirage-nb describe` writes the project skeleton (dune, mirage/...) beside the config, as the real
        # tool does: work on copies, so the package's examples are never touched.
        sample = [Path(shutil.copytree(d, Path(tmp) / d.name)) for d in (dirs[: args.sample] if args.sample else dirs)]
        ours, texts = in_process(sample)
        peer, peer_texts = subprocesses(sample)
    n = len(sample) * len(TARGETS)
    # The processes also print the config's notices ("adding unit argument ...") before the describe text.
    same = sum(peer_texts[k].endswith(v) for k, v in texts.items())
    print(f"describe x {n} ({len(sample)} unikernels x {len(TARGETS)} targets):")
    print(f"  in process (app.describe):     {ours:7.2f} s  ({ours / n * 1000:.1f} ms each)")
    print(f"  mirage-nb describe processes:  {peer:7.2f} s  ({peer / n * 1000:.1f} ms each)")
    print(f"  ratio processes / in-process:  {peer / ours:7.1f}x   (same text: {same}/{n})")
    if args.in_browser:
        in_browser()
    if args.lite:
        lite()


if __name__ == "__main__":
    main()
