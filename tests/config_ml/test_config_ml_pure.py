"""The reader is pure Python (it must run under Pyodide): importing and using it loads no compiled extension."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_compiled_modules_outside_the_stdlib():
    code = textwrap.dedent(
        """
        import sys, sysconfig
        before = set(sys.modules)
        import mirage_nb.config_ml as c
        c.parse("let x = 1")
        c.check_version("(* mirage >= 4.9.0 *)")
        stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
        bad = []
        for name in sorted(set(sys.modules) - before):
            f = getattr(sys.modules[name], "__file__", None) or ""
            if f and not f.endswith(".py") and not any(f.startswith(p) for p in stdlib):
                bad.append((name, f))
        print(bad)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_reader_modules_import_nothing_compiled_from_third_parties():
    for path in (ROOT / "mirage_nb" / "config_ml").glob("*.py"):
        text = path.read_text()
        for banned in ("tree_sitter", "import ctypes", "cffi", "numpy"):
            assert banned not in text, (path.name, banned)
