"""Kernel start to ``mirage_nb`` loaded: the "MirageOS (mirage_nb)" kernel against the plain python3 kernel.

Starts each kernel with jupyter_client, waits until it answers, then asks it
whether the extension is loaded and times a first display of an application
(engine + graphviz). Prints seconds and the ratio against the plain kernel,
measured in the same run (the named peer). The aim: the extension adds well
under a second to a kernel start.

    python benchmarks/notebook.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]
CHECK = "import sys; print('mirage_nb' in sys.modules and 'MirageMagics' in get_ipython().magics_manager.registry)"
LOAD = (
    "import time as _t; _s = _t.perf_counter(); get_ipython().run_line_magic('load_ext', 'mirage_nb'); "
    "print(_t.perf_counter() - _s)"
)
APP = """
from mirage_nb.mirage import *
main = main("Unikernel.Main", stackv4v6 @ job)
app = register("network", [main(generic_stackv4v6(default_network))])
"""


def _execute(kc, code: str, timeout: float = 60) -> tuple[str, dict]:
    msg_id = kc.execute(code)
    out, data = [], {}
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        t = m["msg_type"]
        if t == "stream":
            out.append(m["content"]["text"])
        elif t in ("execute_result", "display_data"):
            data = m["content"]["data"]
        elif t == "error":
            raise RuntimeError("\n".join(m["content"]["traceback"]))
        elif t == "status" and m["content"]["execution_state"] == "idle":
            return "".join(out), data


def _spec_dir(tmp: Path) -> Path:
    """A kernelspec directory holding the package's mirage_nb spec, run by this interpreter."""
    from mirage_nb.notebook.kernelspec import KERNEL_NAME, kernel_spec

    d = tmp / "share" / "jupyter" / "kernels" / KERNEL_NAME
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(json.dumps(kernel_spec(python=sys.executable)))
    return tmp / "share" / "jupyter"


def measure(kernel_name: str, *, display: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=kernel_name, cwd=str(ROOT))
    try:
        t_ready = time.perf_counter() - t0
        loaded, _ = _execute(kc, CHECK)
        t_loaded = time.perf_counter() - t0
        out = {"ready": t_ready, "loaded": t_loaded, "ext": loaded.strip() == "True"}
        if kernel_name == "python3":
            t, _ = _execute(kc, LOAD)
            out["load_ext"] = float(t.strip())
        if display:
            _execute(kc, APP)
            t1 = time.perf_counter()
            _, data = _execute(kc, "app")
            out["first_display"] = time.perf_counter() - t1
            out["mimetypes"] = len(data)
            t1 = time.perf_counter()
            _execute(kc, "app")
            out["second_display"] = time.perf_counter() - t1
        return out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> int:
    import os

    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JUPYTER_PATH"] = str(_spec_dir(Path(tmp))) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
        os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
        plain, mnb = [], []
        for _ in range(a.rounds):
            plain.append(measure("python3", display=False))
            mnb.append(measure("mirage_nb", display=True))
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(f"rounds: {a.rounds} (medians, seconds)")
    print(f"python3 kernel (peer): ready {med(plain, 'ready'):.3f}  first cell answered {med(plain, 'loaded'):.3f}")
    print(
        f"mirage_nb kernel:      ready {med(mnb, 'ready'):.3f}  extension loaded {med(mnb, 'loaded'):.3f}"
        f"  (loaded: {all(r['ext'] for r in mnb)})"
    )
    extra = med(mnb, "loaded") - med(plain, "loaded")
    print(
        f"extension cost: {extra:+.3f} s over the peer; ratio mirage_nb/python3 = "
        f"{med(mnb, 'loaded') / med(plain, 'loaded'):.2f}"
    )
    print(f"%load_ext mirage_nb inside a running python3 kernel: {med(plain, 'load_ext'):.3f} s")
    print(
        f"first display of an application (describe + dot SVG + PNG + HTML): {med(mnb, 'first_display'):.3f} s;"
        f" again (cached drawing): {med(mnb, 'second_display'):.3f} s; "
        f"ratio {med(mnb, 'first_display') / med(mnb, 'second_display'):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
