"""Shared fixtures of the notebook layer's tests: the network application, shells with the extension."""

from __future__ import annotations

import shutil

import pytest

NETWORK_PY = """\
from mirage_nb.mirage import *

main = main("Unikernel.Main", stackv4v6 @ job)
stack = generic_stackv4v6(default_network)
app = register("network", [main(stack)])
"""

NETWORK_ML = """\
open Mirage

let main = main "Unikernel.Main" (stackv4v6 @-> job)
let stack = generic_stackv4v6 default_network
let () = register "network" [ main $ stack ]
"""

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def network_app():
    """The network application written by hand (DESIGN.md's example)."""
    ns: dict = {}
    exec(NETWORK_PY, ns)
    return ns["app"]


@pytest.fixture
def app():
    return network_app()


@pytest.fixture
def shell():
    """A fresh IPython shell with ``mirage_nb`` loaded; unloaded afterwards."""
    IPython = pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    assert IPython
    sh = InteractiveShell()
    sh.run_line_magic("load_ext", "mirage_nb")
    yield sh
    sh.run_line_magic("unload_ext", "mirage_nb")
