"""Hand-built device graphs for the bundled examples: a cross-check of what the engine builds from config.ml.

Each entry mirrors the connect order of the real generated unix ``main.ml``
for that config: the runtime devices every unikernel gets, the devices the
config declares, then the job. :func:`run_example` boots one of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.boot import DeviceNode, RuntimeArgRef, boot, standard_nodes
from mirage_nb.sim.run import RunResult

__all__ = ["EXAMPLES", "EXAMPLES_DIR", "example_nodes", "run_example"]

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _plain(name: str) -> Callable[..., list[DeviceNode]]:
    return lambda **_: standard_nodes(name)


def _kv_ro(kv: str = "crunch", **_: Any) -> list[DeviceNode]:
    kind = {"crunch": "kv_ro_crunch", "direct": "kv_ro_direct"}.get(kv)
    if kind is None:
        raise SimulationError(f"--kv_ro must be crunch or direct, got {kv!r}")
    module = "Static_t" if kv == "crunch" else "Kv_ro_unix"
    disk = DeviceNode("static_t__11" if kv == "crunch" else "kv_ro_unix__11", module, kind, params={"dir": "t"})
    return standard_nodes("kv_ro", [disk], job_module="Unikernel.Main")


def _block(name: str) -> Callable[..., list[DeviceNode]]:
    def nodes(
        disk: bytes | bytearray | None = None, size_sectors: int | None = None, file: str = "disk.img", **_: Any
    ) -> list[DeviceNode]:
        params: dict[str, Any] = {"file": file}
        if disk is not None:
            params["data"] = disk
        elif size_sectors is not None:
            params["size_sectors"] = size_sectors
        return standard_nodes(
            name, [DeviceNode("block__11", "Block", "block", params=params)], job_module="Unikernel.Main"
        )

    return nodes


def _littlefs(disk: bytes | bytearray | None = None, size_sectors: int = 1024, **_: Any) -> list[DeviceNode]:
    if disk is None:
        # The skeleton ships a formatted 512 KiB image; ours is formatted in our own chamelon layout.
        from mirage_nb.sim.block import MemBlock
        from mirage_nb.sim.chamelon import format_device

        mem = MemBlock("littlefs", size_sectors)
        format_device(mem)
        disk = mem.data
    params: dict[str, Any] = {"file": "littlefs", "data": disk}
    block = DeviceNode("block__11", "Block", "block", params=params)
    fs = DeviceNode(
        "chamelon__12",
        "Chamelon",
        "chamelon",
        deps=(block.id,),
        runtime_args=(RuntimeArgRef("Unikernel.program_block_size", "16"),),
    )
    return standard_nodes("elittlefs", [block, fs], job_module="Unikernel.Make")


def _app_info(libraries: Iterable[tuple[str, str | None]] | None = None, **_: Any) -> list[DeviceNode]:
    if libraries is None:
        # What its config.ml links on unix, as `mirage configure` would write the dune file.
        import contextlib
        import io

        from mirage_nb.loader import load_config
        from mirage_nb.sim.build_info import linked_libraries

        with contextlib.redirect_stdout(io.StringIO()):  # the config's "adding unit argument" notice
            app = load_config(os.path.join(EXAMPLES_DIR, "app_info", "config.ml"))
        libraries = linked_libraries(app.configured([], verb="run").info)
    return standard_nodes("app_info", job_params={"libraries": tuple(libraries)})


EXAMPLES: dict[str, Callable[..., list[DeviceNode]]] = {
    "noop": lambda **_: standard_nodes("noop", job_module=None),
    "hello": _plain("hello"),
    "hello-key": _plain("hello"),
    "local-library": _plain("local-library"),
    "app_info": _app_info,
    "heads1": _plain("heads1"),
    "heads2": _plain("heads2"),
    "timeout1": _plain("timeout1"),
    "timeout2": _plain("timeout2"),
    "echo_server": _plain("echo_server"),
    "clock": _plain("speaking_clock"),
    "kv_ro": _kv_ro,
    "block": _block("block_test"),
    "disk-lottery": _block("lottery"),
    "littlefs": _littlefs,
    "crypto": _plain("crypto-test"),
}
"""Example name -> a function of configure-time choices (``kv="direct"``, ``disk=...``) giving its nodes."""


def example_nodes(name: str, **choices: Any) -> list[DeviceNode]:
    """The device nodes of a bundled example, in connect order."""
    if name not in EXAMPLES:
        raise SimulationError(f"unknown example {name!r}; the bundled ones are {', '.join(sorted(EXAMPLES))}")
    return EXAMPLES[name](**choices)


def run_example(
    name: str,
    *,
    argv: Iterable[str] = (),
    seed: int = 0,
    until: int | float | str | None = None,
    tz_offset_s: int | None = 0,
    data_dir: str | None = None,
    **choices: Any,
) -> RunResult:
    """Boot a bundled example on the virtual clock and return what it printed."""
    nodes = example_nodes(name, **choices)
    path = os.path.join(EXAMPLES_DIR, name, "unikernel.py")
    from mirage_nb.sim.boot import load_unikernel

    uk = load_unikernel(path) if os.path.isfile(path) else {"__name__": name}
    return boot(
        nodes,
        uk,
        argv=argv,
        seed=seed,
        until=until,
        tz_offset_s=tz_offset_s,
        data_dir=data_dir or os.path.dirname(path),
    )
