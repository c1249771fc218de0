"""Fixture graphs for the simulator's tests, built with the DSL and evaluated by the engine.

A test that needs boot nodes writes the config it stands for
(``register name [main "Unikernel.Main" (block @-> job) $ block_of_file "disk.img"]``)
and boots what the engine evaluates it to, as ``app.run`` does: no node list is
written by hand.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import mirage_nb.mirage as M
from mirage_nb.functoria.impl import type_of
from mirage_nb.sim.boot import DeviceNode
from mirage_nb.sim.cli import nodes_of_graph


def application(name: str, devices: Sequence[Any] = (), *, job: str = "Unikernel") -> Any:
    """``register name [main job (types of devices @-> job) $ devices]``."""
    with contextlib.redirect_stdout(io.StringIO()):  # the "adding unit argument" notice of a device-less main
        typ: Any = M.job
        for d in reversed(devices):
            typ = type_of(d) @ typ
        main = M.main(job, typ)
        return M.register(name, [main(*devices) if devices else main])


def nodes(
    name: str, devices: Sequence[Any] = (), *, job: str = "Unikernel", args: Sequence[str] = ()
) -> list[DeviceNode]:
    """The boot nodes the engine evaluates :func:`application` to, in the generated main.ml's order."""
    return nodes_of_graph(application(name, devices, job=job).configured(list(args), verb="run"))
