"""The site's Pyodide directory run by Node.js, no browser: micropip installs the wheel, describe gives CPython's bytes.

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
from mirage_nb.gallery.live import describe_json
from mirage_nb.gallery.vendor import VendorError, vendor_pyodide

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
        vendor_pyodide(dest)
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
