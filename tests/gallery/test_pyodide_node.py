"""The site's Pyodide directory run by Node.js, no browser: micropip installs the wheel, describe gives CPython's bytes;
the JupyterLite kernel's packages, loaded from the site's lock alone, import ``mirage_nb.lab`` and run tutorial 01.

Pyodide runs Python 3.14: this is also where the engine is checked on the
Python the browser ships. Needs ``node`` (Debian's nodejs), npm for Pyodide
and pip (the gallery extra) for the wheels, or skips with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mirage_nb.gallery.collect import EXAMPLES_DIR
from mirage_nb.gallery.lite import KERNEL_PACKAGES, lite_config
from mirage_nb.gallery.live import describe_json
from mirage_nb.gallery.vendor import VendorError, vendor_pyodide
from mirage_nb.gallery.wheels import source_root

SCRIPT = """
import { loadPyodide } from "%(index)s/pyodide.mjs";
import fs from "fs";
const py = await loadPyodide({ indexURL: "%(index)s/" });
await py.loadPackage("micropip");
await py.pyimport("micropip").install("mirage-nb");
const jobs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
py.globals.set("jobs", py.toPy(jobs));
const out = py.runPython(`
import json, sys
from mirage_nb.gallery.live import describe_json
from mirage_nb.sim.net.tap import tap_available
json.dumps({"python": sys.version_info[:2], "platform": sys.platform, "bridge": tap_available(),
            "answers": [json.loads(describe_json(c, t, k)) for c, t, k in jobs]})
`);
process.stdout.write(out);
"""

CASES = [("static_website_tls", "hvt", ""), ("network", "xen", "--net=direct --utcp"), ("kv_ro", "unix", "")]


@pytest.fixture(scope="module")
def pyodide_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    dest = tmp_path_factory.mktemp("pyodide") / "pyodide"
    try:
        # The JupyterLite site's directory (a superset of --in-browser's: the kernel's packages too).
        vendor_pyodide(dest, packages=KERNEL_PACKAGES)
    except VendorError as e:
        pytest.skip(f"the site's Pyodide directory could not be built here (npm, pip): {e}")
    return dest


def test_pyodide_installs_the_wheel_and_describes_as_cpython(pyodide_dir: Path, tmp_path: Path) -> None:
    jobs = [[(EXAMPLES_DIR / name / "config.ml").read_text(), target, keys] for name, target, keys in CASES]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    (tmp_path / "run.mjs").write_text(SCRIPT % {"index": pyodide_dir.as_posix()})
    proc = subprocess.run(
        ["node", str(tmp_path / "run.mjs"), str(tmp_path / "jobs.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["platform"] == "emscripten" and got["python"][0] == 3 and got["python"][1] >= 13
    assert "web browser" in got["bridge"]
    for (config, target, keys), answer in zip(jobs, got["answers"], strict=True):
        expected = json.loads(describe_json(config, target, keys, str(tmp_path / "cpython")))
        assert answer == expected
        assert answer["error"] is None and answer["describe"]


KERNEL_SCRIPT = """
import { loadPyodide } from "%(index)s/pyodide.mjs";
import fs from "fs";
// As the JupyterLite kernel starts: Pyodide loads the packages the site's jupyter-lite.json names, then the
// kernel's own; both from the site's pyodide-lock.json alone (no micropip, no PyPI).
const options = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const py = await loadPyodide({ indexURL: "%(index)s/", ...options, stdout: () => {}, stderr: () => {} });
await py.loadPackage(JSON.parse(process.argv[3]), { messageCallback: () => {} });
py.globals.set("notebook", fs.readFileSync(process.argv[4], "utf8"));
const out = py.runPython(`
import contextlib, io, json, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance(colors="nocolor")
cells = []
for cell in json.loads(notebook)["cells"]:
    if cell["cell_type"] != "code":
        continue
    source = "".join(cell["source"])
    out = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = shell.run_cell(source)
    error = result.error_before_exec or result.error_in_exec
    cells.append({"source": source, "output": out.getvalue(), "error": repr(error) if error else None,
                  "seconds": time.perf_counter() - t})
    if error is not None or source.strip() == "app.describe()":
        break
json.dumps(cells)
`);
process.stdout.write(out);
"""


def test_the_lite_kernel_imports_the_lab_and_runs_tutorial_01_from_the_sites_wheels(
    pyodide_dir: Path, tmp_path: Path
) -> None:
    """What a learner's first cells need in JupyterLite, from the site's own lock: a dependency of the package or of
    ``mirage_nb.lab`` missing from it fails here at once (the browser test only times out on the missing output)."""
    options = lite_config()["jupyter-config-data"]["litePluginSettings"]  # type: ignore[index]
    (tmp_path / "options.json").write_text(json.dumps(next(iter(options.values()))["loadPyodideOptions"]))
    (tmp_path / "run.mjs").write_text(KERNEL_SCRIPT % {"index": pyodide_dir.as_posix()})
    proc = subprocess.run(
        [
            "node",
            str(tmp_path / "run.mjs"),
            str(tmp_path / "options.json"),
            json.dumps(list(KERNEL_PACKAGES)),
            str(source_root() / "tutorials" / "01_hello.ipynb"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    cells = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [c["error"] for c in cells if c["error"]] == [], cells[-1]["output"][-2000:]
    assert cells[0]["source"].count("%load_ext mirage_nb") == 1 and "mirage_nb.lab" in cells[0]["source"]
    assert any("adding unit argument to 'start ()'" in c["output"] for c in cells), cells
    describe = cells[-1]
    assert describe["source"].strip() == "app.describe()"
    assert "hello" in describe["output"] and "target=unix (default)" in describe["output"], describe
    for c in cells:
        print(f"pyodide (node): {c['seconds']:.2f} s  {c['source'].splitlines()[-1][:60]}")
