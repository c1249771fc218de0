"""The Jupyter kernelspec "MirageOS (mirage_nb)": IPython with ``mirage_nb`` loaded at start.

The spec is a data file of the package (``data/kernelspec/kernel.json``).
Its command starts ``python -m ipykernel_launcher ... --ext=mirage_nb.notebook``;
Jupyter replaces a bare ``python`` by the interpreter that runs the server,
so the spec works in any environment where mirage_nb is installed.

The kernel loads the extension under the name of the package that holds it
(``mirage_nb.notebook``), not ``mirage_nb``: every tutorial starts with
``%load_ext mirage_nb`` so that it also runs on the plain Python kernel, and
IPython answers a second load of the *same* name with "The mirage_nb
extension is already loaded". Under the other name, that first cell finds
the extension bound to the shell and does nothing, silently.

Install it with ``python -m mirage_nb.notebook.kernelspec install [--user | --sys-prefix | --prefix DIR]``
or from Python with :func:`install`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_NAME", "DISPLAY_NAME", "kernel_spec", "install", "main"]

KERNEL_NAME = "mirage_nb"
DISPLAY_NAME = "MirageOS (mirage_nb)"


def _spec_dir() -> Any:
    return resources.files("mirage_nb.notebook").joinpath("data", "kernelspec")


def kernel_spec(python: str | None = None) -> dict[str, Any]:
    """The kernel.json content; ``python`` replaces the bare ``python`` of the command if given."""
    spec = json.loads(_spec_dir().joinpath("kernel.json").read_text(encoding="utf-8"))
    if python is not None:
        spec["argv"][0] = python
    return spec


def install(*, user: bool = False, prefix: str | None = None, python: str | None = None) -> str:
    """Install the kernelspec (jupyter_client's ``install_kernel_spec``); returns the directory written.

    Without ``user`` or ``prefix`` it goes into ``sys.prefix`` (the current environment).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / KERNEL_NAME
        d.mkdir()
        (d / "kernel.json").write_text(json.dumps(kernel_spec(python), indent=1) + "\n", encoding="utf-8")
        for extra in _spec_dir().iterdir():
            if extra.name != "kernel.json" and extra.is_file():
                shutil.copyfileobj(extra.open("rb"), (d / extra.name).open("wb"))
        if not user and prefix is None:
            prefix = sys.prefix
        return KernelSpecManager().install_kernel_spec(str(d), KERNEL_NAME, user=user, prefix=prefix)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m mirage_nb.notebook.kernelspec", description=f"Install the Jupyter kernel {DISPLAY_NAME!r}."
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("install", help="install the kernelspec")
    where = i.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="into the user's Jupyter data directory")
    where.add_argument("--sys-prefix", action="store_true", help="into sys.prefix (the default)")
    where.add_argument("--prefix", help="into PREFIX/share/jupyter/kernels")
    i.add_argument("--python", help="the interpreter the kernel runs (default: python as found by Jupyter)")
    sub.add_parser("show", help="print the kernel.json")
    a = p.parse_args(argv)
    if a.cmd == "show":
        print(json.dumps(kernel_spec(), indent=1))
        return 0
    path = install(user=a.user, prefix=a.prefix, python=a.python)
    print(f"installed kernelspec {KERNEL_NAME} ({DISPLAY_NAME}) in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
