"""How fast the config.ml reader is: parse, parse + evaluate, and whole ``mirage-nb describe`` processes.

Prints figures and ratios; nothing here asserts a time. Peers:

* tree-sitter-ocaml parsing the same files, measured in the same run (a C
  parser: the floor for "just parsing"), when it is installed;
* a bare ``python3 -c pass`` measured in the same run (the floor of any
  Python command);
* the real ``mirage describe`` 4.11.1, which took 0.05-0.11 s per config on
  this kind of machine (figures from the project's brief; the OCaml tool is
  not installable here, so they are constants, not a same-run measurement).

The first figure is the one the project tracks: reading + evaluating the
largest real-world config of ``wild-4.11.1`` in-process, as a fraction of
the real tool's ``describe`` (aim: at most 0.1x).

    python3 benchmarks/config_ml.py [--repeat 5] [--wild-only]
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

REAL_DESCRIBE_S = (0.05, 0.11)
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "mirage-4.11.1"
WILD = ROOT.parent / "shared" / "reference" / "wild-4.11.1"


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def configs() -> list[Path]:
    if not SHARED.is_dir():
        sys.exit(f"no reference configs at {SHARED}")
    return sorted(p for p in SHARED.rglob("config.ml") if ".files" not in p.as_posix())


def largest_wild(repeat: int) -> None:
    """Read + evaluate the largest wild config in-process, against the real tool's recorded describe time."""
    from mirage_nb.config_ml import evaluate

    if not WILD.is_dir():
        print(f"no wild configs at {WILD}: skipped\n")
        return
    path = max((p for p in WILD.rglob("config.ml")), key=lambda p: p.stat().st_size)
    text = path.read_text()
    work = tempfile.mkdtemp()
    cwd = os.getcwd()

    def read_and_evaluate() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            evaluate(text, "config.ml").app  # noqa: B018 - the registered application

    os.chdir(work)  # Sys.getcwd () and friends see a scratch directory
    try:
        t = best(read_and_evaluate, repeat)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work)
    lo, hi = REAL_DESCRIBE_S
    print(f"largest wild config: {path.parent.name} ({len(text)} bytes), best of {repeat}")
    print(f"  read + evaluate in-process: {t * 1e3:.2f} ms")
    print(
        f"  ratio to the real `mirage describe` ({lo}-{hi} s, a figure recorded on this kind of machine: "
        f"OCaml is not installed here, so it is not measured in this run): {t / hi:.3f}x-{t / lo:.3f}x "
        "(target <= 0.1x)\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--processes", type=int, default=3, help="how many configs to run as whole processes")
    ap.add_argument("--wild-only", action="store_true", help="only the largest wild config")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    largest_wild(args.repeat)
    if args.wild_only:
        return
    from mirage_nb.config_ml import evaluate, parse

    try:
        import tree_sitter
        import tree_sitter_ocaml

        ts_parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_ocaml.language_ocaml()))
    except ImportError:
        ts_parser = None

    files = configs()
    print(f"{len(files)} reference configs, best of {args.repeat} runs each\n")
    print(f"{'config':45} {'parse':>9} {'tree-sit':>9} {'ratio':>6} {'read+eval+describe':>19}")
    total_parse = total_ts = total_eval = 0.0
    for path in files:
        text = path.read_text()
        t_parse = best(lambda text=text: parse(text, "config.ml"), args.repeat)

        def read_and_describe(text=text) -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                evaluate(text, "config.ml").app.describe()

        t_eval = best(read_and_describe, args.repeat)
        if ts_parser is not None:
            data = text.encode()
            t_ts = best(lambda data=data: ts_parser.parse(data), args.repeat)
            ts_col, ratio = f"{t_ts * 1e3:7.3f}ms", f"{t_parse / t_ts:5.0f}x"
            total_ts += t_ts
        else:
            ts_col, ratio = "      n/a", "   n/a"
        total_parse += t_parse
        total_eval += t_eval
        name = path.relative_to(SHARED).parent.as_posix()
        print(f"{name:45} {t_parse * 1e3:7.3f}ms {ts_col} {ratio} {t_eval * 1e3:17.3f}ms")
    n = len(files)
    print(f"\nmean parse {total_parse / n * 1e3:.3f} ms", end="")
    if ts_parser is not None:
        print(f" (tree-sitter {total_ts / n * 1e3:.3f} ms: {total_parse / total_ts:.0f}x slower)", end="")
    print(f"; mean read + evaluate + describe {total_eval / n * 1e3:.3f} ms")
    lo, hi = REAL_DESCRIBE_S
    print(
        f"in-process read+describe vs the real `mirage describe` ({lo}-{hi} s): "
        f"{lo / (total_eval / n):.0f}x-{hi / (total_eval / n):.0f}x faster"
    )

    # whole processes: python -m mirage_nb describe -f config.ml
    exe = [sys.executable, "-m", "mirage_nb", "describe", "-f", "config.ml"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), MIRAGE_DEFAULT_TARGET="unix")
    t_python = best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.repeat)
    print(f"\nwhole processes (best of {args.repeat}); bare `python3 -c pass`: {t_python:.3f} s")
    for path in files[: args.processes]:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(path, Path(tmp) / "config.ml")

            def run(tmp=tmp) -> None:
                subprocess.run(exe, cwd=tmp, env=env, check=True, capture_output=True)

            try:
                t = best(run, args.repeat)
            except subprocess.CalledProcessError as err:
                print(f"  {path.parent.name}: mirage-nb describe failed: {err.stderr.decode()[:200]}")
                continue
        name = path.relative_to(SHARED).parent.as_posix()
        print(
            f"  {name:40} {t:.3f} s  = {t / hi:.1f}x-{t / lo:.1f}x the real tool's time, "
            f"{t / t_python:.1f}x a bare python"
        )


if __name__ == "__main__":
    main()
