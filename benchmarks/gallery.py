"""How long ``mirage-nb gallery build`` takes for every bundled unikernel, and how big the site is.

Prints figures and ratios; nothing here asserts a time (the issue's aim: the
whole gallery in at most 60 s on a 2-core machine). Peer, measured in the
same run: the same ``describe`` texts obtained the way a script without the
Python API would get them, one ``mirage-nb describe -t TARGET`` process per
unikernel and target, against the in-process ``app.describe(target=...)``
calls the builder makes.

    python3 benchmarks/gallery.py [--sample N]   # N: unikernels in the describe comparison (default all)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=None, help="unikernels in the describe comparison (default: all)")
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
    sample = dirs[: args.sample] if args.sample else dirs
    ours, texts = in_process(sample)
    peer, peer_texts = subprocesses(sample)
    n = len(sample) * len(TARGETS)
    # The processes also print the config's notices ("adding unit argument ...") before the describe text.
    same = sum(peer_texts[k].endswith(v) for k, v in texts.items())
    print(f"describe x {n} ({len(sample)} unikernels x {len(TARGETS)} targets):")
    print(f"  in process (app.describe):     {ours:7.2f} s  ({ours / n * 1000:.1f} ms each)")
    print(f"  mirage-nb describe processes:  {peer:7.2f} s  ({peer / n * 1000:.1f} ms each)")
    print(f"  ratio processes / in-process:  {peer / ours:7.1f}x   (same text: {same}/{n})")


if __name__ == "__main__":
    main()
