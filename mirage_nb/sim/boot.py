"""Booting a unikernel from its device graph: the interface between the engine and the simulator.

The engine evaluates a config into a device graph and knows the connect
order of the generated ``main.ml``. It hands the simulator a list of
:class:`DeviceNode` in that order; :func:`boot` connects each one as
``main.ml`` does (``Lazy.force`` of each device, then the job's ``start``)
and returns the :class:`~mirage_nb.sim.run.RunResult`.

A node says *what* to connect through its ``kind`` (one of :data:`KINDS`):

==================  ==========================================================
kind                runtime behaviour (the OCaml it stands for)
==================  ==========================================================
``argv``            ``Mirage_runtime.with_argv (runtime_args ()) name argv``:
                    parse the boot arguments (may print help/errors and exit)
``cmdliner_stdlib`` ``Cmdliner_stdlib.setup ...``: OCaml runtime options
``delay``           ``Mirage_sleep.ns (Duration.of_sec delay)``
``reporter``        ``Mirage_logs.create``, ``Mirage_runtime.set_level
                    ~default:(Some Logs.Info) logs``, ``Logs.set_reporter``
``sleep`` ``ptime`` ``mtime`` ``rng``  the 4.9+ globals: nothing to connect
``set_name``        ``Mirage_runtime.set_name name``
``unit`` ``noop``   ``return ()``
``block``           ``Block.connect "file"`` (``params``: ``file``, or
                    ``data`` / ``size_sectors`` for a memory disk,
                    ``read_write``)
``kv_ro_crunch``    a crunched directory (``params["dir"]``)
``kv_ro_direct``    ``Kv_ro_unix.connect "dir"`` (``params["dir"]``)
``kv_rw_mem``       ``Kv_rw_mem.connect ()``
``chamelon``        ``Chamelon.connect ~program_block_size block`` (one data
                    dep: the block node)
``job``             the unikernel: ``Unikernel.start`` or, for a functor
                    ``Unikernel.Main``, ``Main(modules).start(devices)``
==================  ==========================================================

Other kinds (network devices, say) are added per boot with
``boot(..., connectors={"netif": connect_netif})``: a connector is an async
function of the :class:`BootContext` and the node returning the connected
value and the module functors receive.

``args`` are the ids of the nodes whose *modules* a functor receives
(``Unikernel.Main (KV)``); ``deps`` are the ids of the nodes whose connected
*values* are passed to ``connect``/``start``, in order. ``runtime_args``
name the runtime arguments the node reads (``logs``, ``delay``...; for an
argument defined in the unikernel module, its dotted OCaml name such as
``Unikernel.program_block_size``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.block import BlockModule, FileBlock, MemBlock
from mirage_nb.sim.cmdliner import ArgSpec
from mirage_nb.sim.kv import CrunchKv, DirectKv, KvModule, MemKv
from mirage_nb.sim.lwt import Promise, spawn
from mirage_nb.sim.netdev.kinds import net_arg
from mirage_nb.sim.run import Run, RunResult
from mirage_nb.sim.runtime import MIRAGE_ARGS, RuntimeArg, set_level, with_argv

__all__ = [
    "RuntimeArgRef",
    "DeviceNode",
    "BootContext",
    "Connector",
    "KINDS",
    "boot",
    "boot_context",
    "default_data_dir",
    "files_loaded",
    "load_unikernel",
    "local_library",
    "unikernel_args",
]

KINDS = frozenset(
    {
        "argv",
        "cmdliner_stdlib",
        "delay",
        "reporter",
        "sleep",
        "ptime",
        "mtime",
        "rng",
        "set_name",
        "unit",
        "noop",
        "block",
        "kv_ro_crunch",
        "kv_ro_direct",
        "kv_rw_mem",
        "chamelon",
        "job",
    }
)


@dataclass(frozen=True)
class RuntimeArgRef:
    """A runtime argument a node reads: its key (``logs``, ``Unikernel.hello``...) and default as OCaml text."""

    key: str
    default: str | None = None


@dataclass(frozen=True)
class DeviceNode:
    """One device of the evaluated graph, in connect order (what the engine gives the simulator)."""

    id: str
    module_name: str
    kind: str
    args: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    runtime_args: tuple[RuntimeArgRef, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind or not isinstance(self.kind, str):
            raise SimulationError(
                f"device node {self.id} ({self.module_name}) needs a kind, e.g. one of {', '.join(sorted(KINDS))}"
            )


Connector = Callable[["BootContext", DeviceNode], Awaitable[tuple[Any, Any]]]
"""Connects a device of another kind (network devices...): returns its value and the module functors receive."""


def load_unikernel(path: str | os.PathLike[str]) -> types.ModuleType:
    """Load a ``unikernel.py`` as a fresh module (each call gives a new module, so runs do not share state)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "unikernel.py")
    if not os.path.isfile(path):
        raise SimulationError(f"no unikernel code at {path}: expected a unikernel.py mirroring unikernel.ml")
    return _exec_file(f"_mirage_nb_unikernel_{abs(hash(os.path.abspath(path)))}", path)


_LOADED: list[dict[str, str]] = []
"""The open :func:`files_loaded` collections (each gets every file :func:`_exec_file` runs)."""


def _exec_file(modname: str, path: str) -> types.ModuleType:
    """A fresh module run from ``path``, registered as ``modname``; no ``__pycache__`` is left beside it.

    The learner's directory is theirs: running a unikernel writes nothing there
    (importlib's loader would cache bytecode next to the file).
    """
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    # dataclasses and pickling look a module up by name: register it under its unique name.
    sys.modules[modname] = mod
    with open(path, "rb") as f:
        source = f.read()
    for seen in _LOADED:
        seen.setdefault(os.path.abspath(path), "sha256:" + hashlib.sha256(source).hexdigest())
    exec(_compiled(source, path), mod.__dict__)
    return mod


@functools.lru_cache(maxsize=64)
def _compiled(source: bytes, path: str) -> types.CodeType:
    """``source`` compiled once: a network of a thousand unikernels runs one ``unikernel.py`` a thousand times.

    Each run still gets a fresh module (its own classes and globals); only
    the code object, which is immutable, is shared.
    """
    return compile(source, path, "exec", dont_inherit=True)


@contextmanager
def files_loaded() -> Iterator[dict[str, str]]:
    """The Python files loaded meanwhile (``unikernel.py``, local libraries, a device's ``connect.py``).

    Yields a mapping, filled as files load, from each file's absolute path to
    the ``sha256:`` digest of the bytes that were run: a run's record keeps
    them, since the run depends on every one of them, not only on ``unikernel.py``.
    """
    seen: dict[str, str] = {}
    _LOADED.append(seen)
    try:
        yield seen
    finally:
        _LOADED.remove(seen)


def local_library(unikernel_file: str, name: str) -> types.ModuleType:
    """A local library beside the unikernel (``~local_libs:["hello"]`` or a ``lotto.ml`` next to it).

    Looks for ``<dir>/<name>/<name>.py`` then ``<dir>/<name>.py``; returns the module,
    which the unikernel binds to the OCaml module name (``Hello = local_library(__file__, "hello")``).
    """
    base = os.path.dirname(os.path.abspath(unikernel_file))
    for cand in (os.path.join(base, name, f"{name}.py"), os.path.join(base, f"{name}.py")):
        if os.path.isfile(cand):
            return _exec_file(f"_mirage_nb_lib_{name}_{abs(hash(cand))}", cand)
    raise SimulationError(
        f"local library {name} not found beside {unikernel_file} (expected {name}/{name}.py or {name}.py)"
    )


def unikernel_args(unikernel: Any) -> list[RuntimeArg]:
    """The runtime arguments a unikernel module registered, in the order they appear in the module."""
    found: list[RuntimeArg] = []
    seen: set[int] = set()

    def visit(ns: Mapping[str, Any]) -> None:
        for v in list(ns.values()):
            if isinstance(v, RuntimeArg) and id(v) not in seen:
                seen.add(id(v))
                found.append(v)

    ns = vars(unikernel) if not isinstance(unikernel, Mapping) else unikernel
    visit(ns)
    for v in list(ns.values()):
        if inspect.isclass(v) and getattr(v, "__module__", None) == ns.get("__name__"):
            visit(vars(v))
    return found


def _log_sources(unikernel: Any) -> list[Any]:
    from mirage_nb.sim.logs import Src, _Log

    ns = vars(unikernel) if not isinstance(unikernel, Mapping) else unikernel
    out: list[Any] = []
    spaces = [ns] + [
        vars(v) for v in ns.values() if inspect.isclass(v) and getattr(v, "__module__", None) == ns.get("__name__")
    ]
    # local libraries beside the unikernel (``Server = local_library(__file__, "server")``) create sources too
    home = os.path.dirname(os.path.abspath(str(ns.get("__file__") or ".")))
    spaces += [
        vars(v)
        for v in ns.values()
        if isinstance(v, types.ModuleType)
        and getattr(v, "__file__", None)
        and os.path.dirname(os.path.abspath(str(v.__file__))).startswith(home)
        and ns.get("__file__")
    ]
    for space in spaces:
        for v in space.values():
            if isinstance(v, Src):
                out.append(v)
            elif isinstance(v, _Log):
                out.append(v.src)
    return out


def _resolve_arg(ref: RuntimeArgRef, unikernel: Any, cache: dict[str, RuntimeArg]) -> RuntimeArg:
    if ref.key in cache:
        return cache[ref.key]
    if ref.key in MIRAGE_ARGS:
        arg = RuntimeArg(MIRAGE_ARGS[ref.key], ref.key)
    elif (net_spec := net_arg(ref.key, ref.default)) is not None:  # --ipv4, --interface...: sim/netdev/kinds.py
        arg = RuntimeArg(net_spec, ref.key)
    else:
        attr = ref.key.split(".", 1)[1] if ref.key.startswith("Unikernel.") else ref.key
        ns = vars(unikernel) if not isinstance(unikernel, Mapping) else unikernel
        v = ns.get(attr)
        if isinstance(v, RuntimeArg):
            arg = v
        elif isinstance(v, ArgSpec):
            arg = RuntimeArg(v, attr)
        else:
            raise SimulationError(
                f"the runtime argument {ref.key} is not defined: expected {attr} in the "
                "unikernel module to be an Arg term (e.g. Arg.value(Arg.opt(...)))"
            )
    cache[ref.key] = arg
    return arg


def boot(
    nodes: Iterable[DeviceNode],
    unikernel: Any,
    *,
    argv: Iterable[str] = (),
    seed: int = 0,
    until: int | float | str | None = None,
    max_events: int = 10_000_000,
    data_dir: str | os.PathLike[str] | None = None,
    tz_offset_s: int | None = 0,
    run: Run | None = None,
    connectors: Mapping[str, Connector] | None = None,
) -> RunResult:
    """Connect ``nodes`` in order and run the job, on a fresh virtual clock; returns what the unikernel did.

    ``unikernel`` is the module (or a path to ``unikernel.py``); ``data_dir``
    is where relative file names (disk images, kv directories) are found,
    by default the unikernel's directory. ``connectors`` add device kinds
    beyond :data:`KINDS` (kind -> async function of the boot context and the node).
    """
    nodes = list(nodes)
    if run is None:
        names = [n.params.get("name") for n in nodes if n.kind == "argv"]
        name = names[0] if names and names[0] else "unikernel"
        run = Run(seed=seed, argv=argv, name=name, until=until, max_events=max_events, tz_offset_s=tz_offset_s)
    booter = boot_context(nodes, unikernel, run, data_dir=data_dir, connectors=connectors)
    return run.run(booter.main)


def boot_context(
    nodes: Iterable[DeviceNode],
    unikernel: Any,
    run: Run,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    connectors: Mapping[str, Connector] | None = None,
) -> BootContext:
    """The boot of ``nodes`` with ``unikernel`` in ``run``, checked, not started (``ctx.main()`` boots it).

    What :func:`boot` drives alone; a run of several unikernels starts one per
    unikernel (:meth:`~mirage_nb.sim.run.Run.start`).
    """
    nodes = list(nodes)
    if isinstance(unikernel, str | os.PathLike):
        unikernel = load_unikernel(unikernel)
    if data_dir is None:
        data_dir = default_data_dir(unikernel)
    ids = [n.id for n in nodes]
    if len(set(ids)) != len(ids):
        raise SimulationError("device node ids must be unique; got " + ", ".join(ids))
    connectors = dict(connectors or {})
    for n in nodes:
        if n.kind not in KINDS and n.kind not in connectors:
            raise SimulationError(
                f"device node {n.id} ({n.module_name}) has kind {n.kind!r}, which the simulator does not know; "
                f"expected one of {', '.join(sorted(KINDS))} or a kind given in connectors="
            )
    return BootContext(nodes, unikernel, run, os.fspath(data_dir), connectors)


def default_data_dir(unikernel: Any) -> str:
    """Where a run of ``unikernel`` reads device data when not told: beside its file, else the working directory."""
    f = getattr(unikernel, "__file__", None)
    return os.path.dirname(os.path.abspath(f)) if f else os.getcwd()


class BootContext:
    """One boot in progress: the connected values and modules by node id, for connectors to read."""

    def __init__(
        self,
        nodes: list[DeviceNode],
        unikernel: Any,
        run: Run,
        data_dir: str,
        connectors: Mapping[str, Connector] | None = None,
    ) -> None:
        self.nodes = nodes
        self.unikernel = unikernel
        self.run = run
        self.data_dir = data_dir
        self.connectors = dict(connectors or {})
        self.values: dict[str, Any] = {}
        self.modules: dict[str, Any] = {}
        self.arg_cache: dict[str, RuntimeArg] = {}

    def value(self, node_id: str) -> Any:
        """The connected value of an earlier node."""
        return self.values[node_id]

    def module(self, node_id: str) -> Any:
        """The module an earlier node gives to functors (None for devices without one)."""
        return self.modules.get(node_id)

    def runtime_arg(self, ref: RuntimeArgRef) -> Any:
        """The parsed value of a runtime argument a node reads."""
        return _resolve_arg(ref, self.unikernel, self.arg_cache)()

    def all_args(self) -> list[RuntimeArg]:
        out: list[RuntimeArg] = []
        seen: set[int] = set()
        refs = [r for n in self.nodes for r in n.runtime_args]
        refs.append(RuntimeArgRef("name"))  # Mirage_runtime registers --name when it is linked
        for ref in refs:
            a = _resolve_arg(ref, self.unikernel, self.arg_cache)
            if id(a) not in seen:
                seen.add(id(a))
                out.append(a)
        for a in unikernel_args(self.unikernel):
            if id(a) not in seen:
                seen.add(id(a))
                out.append(a)
        return out

    def arg(self, key: str) -> Any:
        return self.arg_cache[key]()

    def path(self, p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(self.data_dir, p)

    async def main(self) -> None:
        run = self.run
        for src in _log_sources(self.unikernel):
            run.log_state.sources.setdefault(src.name, src)
        from mirage_nb.sim.logs import Src

        if any(n.kind == "block" for n in self.nodes):
            # a linked library's log source exists from module initialisation on, as in OCaml
            run.log_state.sources.setdefault("mirage-block-unix", Src("mirage-block-unix"))
        run.event("boot", f"{run.name}: {len(self.nodes)} devices")
        for node in self.nodes:
            run.event("connect", f"{node.id} ({node.module_name})")
            value = await self.connect(node)
            self.values[node.id] = value

    async def connect(self, node: DeviceNode) -> Any:
        run = self.run
        if node.kind in self.connectors:
            value, module = await self.connectors[node.kind](self, node)
            self.modules[node.id] = module
            return value
        match node.kind:
            case "argv":
                with_argv(run, node.params.get("name", run.name), self.all_args())
                return None
            case "delay":
                delay = self.arg("delay") if "delay" in self.arg_cache else 0
                await run.sleep_ns(delay * 1_000_000_000)
                return None
            case "reporter":
                from mirage_nb.sim.logs import Level

                levels = self.arg("logs") if "logs" in self.arg_cache else []
                run.log_state.reporter = True
                set_level(run, Level.Info, levels)
                return None
            case "set_name":
                name = self.arg("name") if "name" in self.arg_cache else None
                run.runtime_name = name or node.params.get("name") or run.name
                return None
            case "cmdliner_stdlib" | "sleep" | "ptime" | "mtime" | "rng" | "unit" | "noop":
                return None
            case "block":
                return self.connect_block(node)
            case "kv_ro_crunch":
                self.modules[node.id] = KvModule(node.module_name)
                return CrunchKv(self.path(_param(node, "dir")), name=_param(node, "dir"))
            case "kv_ro_direct":
                self.modules[node.id] = KvModule(node.module_name)
                return DirectKv(self.path(_param(node, "dir")), name=_param(node, "dir"))
            case "kv_rw_mem":
                self.modules[node.id] = KvModule(node.module_name)
                return MemKv()
            case "chamelon":
                from mirage_nb.sim.chamelon import Chamelon

                self.modules[node.id] = KvModule(node.module_name)
                # Kv.Make (Block): the engine's graph gives the block as the functor's argument
                blocks = node.deps or node.args
                if len(blocks) != 1:
                    raise SimulationError(f"chamelon node {node.id} needs exactly one dep: its block device")
                pbs = 16
                for ref in node.runtime_args:
                    pbs = _resolve_arg(ref, self.unikernel, self.arg_cache)()
                r = await Chamelon.connect(self.values[blocks[0]], program_block_size=pbs)
                return r
            case "job":
                return await self.start_job(node)
        raise SimulationError(f"unknown device kind {node.kind}")  # pragma: no cover - checked in DeviceNode

    def connect_block(self, node: DeviceNode) -> Any:
        self.modules[node.id] = BlockModule(node.module_name)
        p = node.params
        rw = bool(p.get("read_write", True))
        if "data" in p or "size_sectors" in p:
            return MemBlock(p.get("file", node.id), p.get("size_sectors", 0), data=p.get("data"), read_write=rw)
        return FileBlock(self.path(_param(node, "file")), name=p["file"], read_write=rw)

    async def start_job(self, node: DeviceNode) -> Any:
        self.run.devices["_build_info"] = tuple(node.params.get("libraries", ()))
        uk = self.unikernel
        ns = vars(uk) if not isinstance(uk, Mapping) else uk
        parts = node.module_name.split(".")
        if len(parts) == 1:
            start = ns.get("start")
            if start is None:
                raise SimulationError(
                    f"the unikernel has no start function (main {node.module_name!r} expects "
                    "`async def start()` in unikernel.py)"
                )
            target = start
        else:
            functor = ns.get(parts[1])
            if functor is None:
                raise SimulationError(
                    f"main {node.module_name!r}: unikernel.py defines no {parts[1]} "
                    f"(expected `class {parts[1]}` taking the functor's module arguments)"
                )
            mods = [self.modules.get(a) for a in node.args]
            try:
                inst = functor(*mods)
            except TypeError as e:
                raise SimulationError(f"{node.module_name} applied to {len(mods)} modules: {e}") from None
            target = inst.start
        dep_values = [self.values[d] for d in node.deps if not any(n.id == d and n.kind == "unit" for n in self.nodes)]
        sig = inspect.signature(target)
        nparams = len(sig.parameters)
        if nparams != len(dep_values):
            raise SimulationError(
                f"{node.module_name}.start takes {nparams} arguments but the job has "
                f"{len(dep_values)} devices: {', '.join(node.deps) or 'none'}"
            )
        result = target(*dep_values)
        p = spawn(result, node.module_name + ".start") if not isinstance(result, Promise) else result
        return await p


def _param(node: DeviceNode, key: str) -> Any:
    if key not in node.params:
        raise SimulationError(f"device node {node.id} ({node.kind}) needs the parameter {key!r}")
    return node.params[key]
