"""How fast the engine is: whole ``mirage-nb`` processes, in-process describe, and graph growth.

Prints figures and ratios; nothing here asserts a time. Peers:

* the real ``mirage`` 4.11.1 took about 0.33 s for a fresh ``configure`` of a
  skeleton unikernel and 0.05-0.11 s for ``describe`` on this kind of machine
  (figures from the project's brief; the OCaml tool is not installable here);
* a bare ``python3 -c pass`` measured in the same run: the floor any Python
  command pays before doing anything.

The whole-process figures are taken as an installed package runs: with its
modules' bytecode cached (pip compiles it at install time; here the cache
goes to a temporary ``PYTHONPYCACHEPREFIX``, filled by a first run), even
where ``PYTHONDONTWRITEBYTECODE`` is set. The same command compiling every
module at each start is printed beside it. Each figure is the best of
``--repeat`` runs, in wall-clock time and in CPU time (user + system of the
child, which a busy machine inflates less).

    python3 benchmarks/engine.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REAL_CONFIGURE_S = 0.33
REAL_DESCRIBE_S = 0.08

CONFIG = """from mirage_nb.mirage import *

main = main("Unikernel.Main", stackv4v6 @ job, pos=("config.ml", 3, 11, 18))
register("network", [main(generic_stackv4v6(default_network))])
"""


def best(f, repeat: int) -> float:
    """The least wall-clock time ``f`` takes (or reports: the time of the process it runs, without its set-up)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        took = f()
        times.append(took if isinstance(took, float) else time.perf_counter() - t0)
    return min(times)


def best_cpu(f, repeat: int) -> float:
    """The least CPU time (user + system) the children ``f`` starts take, over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        f()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return min(times)


def process(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run a command; its wall-clock time is returned."""
    t0 = time.perf_counter()
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {p.stderr.decode()[-400:]}")
    return took


def whole_process(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as empty:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached.update(MIRAGE_DEFAULT_TARGET="unix", PYTHONPYCACHEPREFIX=cache)
        # An empty cache that is never written: every module is compiled at each start.
        compiling = dict(
            os.environ, MIRAGE_DEFAULT_TARGET="unix", PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=empty
        )

        def floor() -> None:
            subprocess.run([sys.executable, "-c", "pass"], check=True, env=cached)

        def fresh(verb: list[str], env: dict[str, str]):
            def go() -> float:
                # Only the command is timed: not making the directory, nor removing what it wrote.
                with tempfile.TemporaryDirectory() as d:
                    (Path(d) / "config.py").write_text(CONFIG)
                    return process([sys.executable, "-m", "mirage_nb", *verb], Path(d), env)

            return go

        fresh(["configure", "-t", "unix"], cached)()  # fills the bytecode cache
        fresh(["describe", "--dot", "-o-"], cached)()
        for clock, measure in (("wall", best), ("CPU", best_cpu)):
            base = measure(floor, repeat)
            conf = measure(fresh(["configure", "-t", "unix"], cached), repeat)
            desc = measure(fresh(["describe", "--dot", "-o-"], cached), repeat)
            cold = measure(fresh(["configure", "-t", "unix"], compiling), max(1, repeat // 2))
            print(f"[{clock} time] python3 -c pass (floor, same run): {base * 1000:7.1f} ms")
            print(
                f"[{clock} time] mirage-nb configure -t unix (fresh dir): {conf * 1000:7.1f} ms"
                f"  = {conf / REAL_CONFIGURE_S:.2f}x the real tool's {REAL_CONFIGURE_S * 1000:.0f} ms,"
                f" {conf / base:.1f}x the interpreter floor"
            )
            print(
                f"[{clock} time] mirage-nb describe --dot -o- (fresh dir): {desc * 1000:7.1f} ms"
                f"  = {desc / REAL_DESCRIBE_S:.2f}x the real tool's ~{REAL_DESCRIBE_S * 1000:.0f} ms"
            )
            print(
                f"[{clock} time] the same configure compiling every module at start (no bytecode cache):"
                f" {cold * 1000:7.1f} ms = {cold / REAL_CONFIGURE_S:.2f}x"
            )


def in_process(repeat: int) -> None:
    from mirage_nb.functoria.dot import render_dot
    from mirage_nb.mirage import default_network, generic_stackv4v6, job, main, register, stackv4v6

    app = register("network", [main("Unikernel.Main", stackv4v6 @ job)(generic_stackv4v6(default_network))])
    t_desc = best(lambda: app.describe(), repeat)
    t_dot = best(lambda: render_dot(app.root), repeat)
    print(f"in-process describe of the generic stack (74-vertex graph): {t_desc * 1000:.2f} ms;", end=" ")
    print(f"dot: {t_dot * 1000:.2f} ms")


def synthetic(n: int):
    """A graph of ``n`` devices: a chain of functors, each also taking a shared leaf."""
    from mirage_nb.functoria.dsl import impl, job, typ

    t = typ("t")
    leaf = impl("Leaf", t)
    f = impl("F.Make", t @ t @ t)  # one functor device, applied n times: n distinct nodes
    cur = leaf
    for _ in range(n - 2):
        cur = f(cur, leaf)
    return impl("Root.Make", t @ job)(cur)


def growth(repeat: int) -> None:
    from mirage_nb.functoria import keys as K
    from mirage_nb.functoria.dot import render_dot
    from mirage_nb.functoria.graph import connect_order, evaluate

    prev = None
    for n in (1_000, 10_000):
        t_build = best(lambda n=n: synthetic(n), max(1, repeat // 2))
        term = synthetic(n)
        t_dot = best(lambda term=term: render_dot(term), max(1, repeat // 2))
        t_eval = best(lambda term=term: list(connect_order(evaluate(term, K.Context()))), max(1, repeat // 2))
        total = t_build + t_dot + t_eval
        grow = f"  ({total / prev:.1f}x for 10x the devices)" if prev else ""
        print(
            f"{n:>6} devices: build {t_build * 1000:8.1f} ms, dot {t_dot * 1000:8.1f} ms, "
            f"evaluate+connect order {t_eval * 1000:8.1f} ms{grow}"
        )
        prev = total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    whole_process(a.repeat)
    in_process(a.repeat)
    growth(a.repeat)


if __name__ == "__main__":
    main()
