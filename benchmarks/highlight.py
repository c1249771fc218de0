"""How fast the notebook's own highlighter is, against pygments on the same files in the same run.

The files are what ``mirage configure`` writes for every bundled example and
the targets unix, xen and hvt (main.ml, dune files, Makefile, opam, xl, XML,
JSON). Peer: pygments' lexers for the same languages with its inline-style
HTML formatter, as the displays used before (skipped if pygments is not
installed). Prints milliseconds and the ratio; nothing here asserts a time.

    python benchmarks/highlight.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYGMENTS_LEXER = {"ocaml": "ocaml", "dune": "scheme", "make": "make", "xml": "xml", "json": "json"}


def generated_files() -> list[tuple[str, str]]:
    from mirage_nb.errors import MirageNbError
    from mirage_nb.loader import load_config

    os.chdir(ROOT)
    files: list[tuple[str, str]] = []
    with contextlib.redirect_stdout(io.StringIO()):
        for cfg in sorted(glob.glob("mirage_nb/examples/*/config.ml")):
            app = load_config(cfg)
            for target in ("unix", "xen", "hvt"):
                with contextlib.suppress(MirageNbError):
                    files += sorted(app.configure(target=target).items())
    return files


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    from mirage_nb.notebook._highlight import highlight_html
    from mirage_nb.notebook._views import language_of

    files = [(path, text, language_of(path)) for path, text in generated_files()]
    chars = sum(len(t) for _, t, _ in files)
    ours = best(lambda: [highlight_html(t, lang) for _, t, lang in files], a.repeat)
    print(f"{len(files)} files, {chars} characters")
    print(f"mirage_nb highlighter: {ours * 1000:8.1f} ms")
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
    except ImportError:
        print("pygments (peer): not installed")
        return

    def pyg() -> None:
        for _, t, lang in files:
            lexer = get_lexer_by_name(PYGMENTS_LEXER.get(lang, "text"))
            highlight(t, lexer, HtmlFormatter(nowrap=True, noclasses=True))

    theirs = best(pyg, a.repeat)
    print(f"pygments (peer):       {theirs * 1000:8.1f} ms")
    print(f"ratio ours/pygments:   {ours / theirs:8.2f}")


if __name__ == "__main__":
    main()
