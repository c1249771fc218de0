"""From the engine's evaluated graph to a simulated run: ``mirage-nb run`` and ``app.run``.

:func:`nodes_of_graph` turns a configured application (the evaluated device
graph, in connect order) into the simulator's :class:`~mirage_nb.sim.boot.DeviceNode`
list. A device says what it is to the simulator through ``Device.sim``: a
kind string (``"block"``), or a mapping ``{"kind": ..., "params": {...}}``
(e.g. ``{"kind": "block", "params": {"file": "disk.img"}}``). Devices without
it are recognised by their module name when they are MirageOS's own
(``Mirage_logs``, ``Mirage_runtime``...), and the job by its module type.

``mirage-nb run [-f config.ml] [-t target] [--key=v...] [--seed N] [--until T] [-- BOOT-ARGS...]``
(:func:`run_command`) and ``app.run(...)`` (:func:`run_application`) find the
unikernel's Python twin, ``unikernel.py``, beside the config file; device data
(``disk.img``, the ``htdocs`` of a crunch) is read relative to that directory.
Everything after ``--`` is the unikernel's boot command line, parsed at boot
by its Cmdliner terms (``--hello=Hi``, ``--logs=*:debug``, ``--help``).

Unlike the real tool's other verbs, ``run`` writes no project skeleton
(``dune``, ``dune-project``, ``dune.config``, ``mirage/``) beside the config:
nothing is built, so a bundled example's directory stays as it was, even when
run from inside the package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TextIO

from mirage_nb.errors import SimulationError
from mirage_nb.sim.boot import DeviceNode, RuntimeArgRef, boot, default_data_dir, files_loaded, load_unikernel
from mirage_nb.sim.build_info import linked_libraries
from mirage_nb.sim.netdev.dns import SERVICE_KIND_OF_MODULE
from mirage_nb.sim.netdev.kinds import KIND_OF_MODULE, NET_CONNECTORS
from mirage_nb.sim.netdev.syslog import SYSLOG_KIND_OF_MODULE
from mirage_nb.sim.record import RecordedRun, RunRecord, record_of, replay_files
from mirage_nb.sim.run import RunResult
from mirage_nb.sim.run_inputs import DiskImage, inputs_of

__all__ = [
    "nodes_of_graph",
    "with_disks",
    "run_configured",
    "configured_unikernel",
    "run_command",
    "run_application",
    "print_transcript",
    "replay",
    "replay_command",
    "unikernel_beside",
]

_BY_MODULE = {
    "Mirage_bootvar": "noop",
    "Struct_end": "argv",
    "Cmdliner_stdlib": "cmdliner_stdlib",
    "Mirage_logs": "reporter",
    "Mirage_sleep": "sleep",
    "Mirage_ptime": "ptime",
    "Mirage_mtime": "mtime",
    "Mirage_crypto_rng_mirage": "rng",
    "Unit": "unit",
}

_ARG_KEYS = {
    "Mirage_runtime.logs": ("logs",),
    "Mirage_runtime.delay": ("delay",),
}


def _arg_refs(dev: Any) -> tuple[RuntimeArgRef, ...]:
    refs: list[RuntimeArgRef] = []
    for a in getattr(dev, "runtime_args", ()) or ():
        code = getattr(a, "code", str(a)).strip()
        if code in _ARG_KEYS:
            refs.extend(RuntimeArgRef(k) for k in _ARG_KEYS[code])
        elif code.startswith("Cmdliner_stdlib.setup"):
            refs.extend([RuntimeArgRef("backtrace"), RuntimeArgRef("randomize-hashtables")])
        else:
            refs.append(RuntimeArgRef(code))
    return tuple(refs)


def _kind(dev: Any, name: str, has_deps: bool, jobs: set[int]) -> tuple[str, Mapping[str, Any]]:
    sim = getattr(dev, "sim", None)
    if isinstance(sim, str):
        return sim, {}
    if isinstance(sim, Mapping):
        return str(sim["kind"]), dict(sim.get("params", {}))
    module = dev.module_name
    nice = getattr(dev, "nice_name", module.lower())
    if module in _BY_MODULE:
        return _BY_MODULE[module], {}
    if module in KIND_OF_MODULE:  # the network devices of sim/netdev
        return KIND_OF_MODULE[module], {}
    if module in SERVICE_KIND_OF_MODULE:  # DNS client, happy eyeballs (sim/netdev/dns.py)
        return SERVICE_KIND_OF_MODULE[module], {}
    if module in SYSLOG_KIND_OF_MODULE:  # log reporters, monitoring (sim/netdev/syslog.py)
        return SYSLOG_KIND_OF_MODULE[module], {}
    if nice == "struct_end":
        return "argv", {"name": name}
    if id(dev) in jobs:
        return "job", {}
    if module == "Mirage_runtime":
        codes = [getattr(a, "code", "") for a in getattr(dev, "runtime_args", ()) or ()]
        if any("delay" in c for c in codes):
            return "delay", {}
        # the last Mirage_runtime node only waits for all the others (the generated main's final job)
        return ("noop", {}) if has_deps else ("set_name", {"name": name})
    raise SimulationError(
        f"the simulator does not know how to run the device {module} yet "
        "(its Device.sim should name a kind such as block, kv_ro_crunch or kv_rw_mem)"
    )


def _local_module(info: Any, node: Any) -> dict[str, Any] | None:
    """A device the config.ml itself defines (``impl ~connect "Connect.Make" ...``): its connect code, or None.

    Its module is the unikernel's own (``connect.ml`` beside it, here
    ``connect.py``); :mod:`~mirage_nb.sim.local_module` runs the connect code
    when it is the usual ``M.connect a b`` of the devices it was applied to.
    """
    names = [n.var_name for n in node.args + node.deps]
    rargs = list(node.dev.runtime_args)
    try:
        code = node.dev.connect(info, node.impl_name, ["_" + n for n in names] + ["_" + k.var_name for k in rargs])
    except Exception:  # noqa: BLE001 - a connect that cannot run here is not ours to explain
        return None
    if code.pos is None or not str(code.pos[0]).endswith("config.ml"):
        return None
    return {"code": code.code, "impl_name": node.impl_name, "names": names, "pos": code.pos}


def nodes_of_graph(configured: Any) -> list[DeviceNode]:
    """The configured application's devices as boot nodes, in the generated main.ml's connect order."""
    from mirage_nb.functoria.graph import connect_order, left_most_device

    name = configured.app.name
    context = configured.info.context
    jobs = {id(left_most_device(j, context)) for j in getattr(configured.app, "jobs", ())}
    out: list[DeviceNode] = []
    for node in connect_order(configured.graph):
        try:
            kind, params = _kind(node.dev, name, bool(node.deps), jobs)
        except SimulationError:
            local = _local_module(configured.info, node)
            if local is None:
                raise
            kind, params = "local_module", local
        if kind in ("argv", "set_name"):
            params = {"name": name, **params}
        elif kind == "job":  # what dune-build-info would tell it
            params = {"libraries": linked_libraries(configured.info), **params}
        out.append(
            DeviceNode(
                id=node.var_name,
                module_name=node.dev.module_name,
                kind=kind,
                args=tuple(a.var_name for a in node.args),
                deps=tuple(d.var_name for d in node.deps)
                if kind != "job"
                else tuple(a.var_name for a in node.args) or tuple(d.var_name for d in node.deps),
                runtime_args=_arg_refs(node.dev),
                params=params,
            )
        )
    return out


def with_disks(nodes: Sequence[DeviceNode], disks: Mapping[str, bytes | bytearray] | None) -> list[DeviceNode]:
    """``nodes`` with the block devices named in ``disks`` (file name -> image bytes) backed by memory.

    A ``block_of_file "disk.img"`` reads ``disk.img`` beside the config; a
    learner may hand the image's bytes instead (``disks={"disk.img": bytearray(8 * 512)}``).
    A ``bytearray`` is written in place, so its state survives the run.
    """
    if not disks:
        return list(nodes)
    files = {str(n.params.get("file")): n for n in nodes if n.kind == "block"}
    unknown = sorted(set(disks) - set(files))
    if unknown:
        have = ", ".join(sorted(files)) or "none"
        raise SimulationError(
            f"disks: no block device reads {', '.join(unknown)}; this unikernel's block files: {have}"
        )
    out = []
    for n in nodes:
        if n.kind == "block" and str(n.params.get("file")) in disks:
            data = disks[str(n.params.get("file"))]
            if not isinstance(data, bytes | bytearray):
                raise SimulationError(
                    f"disks[{n.params.get('file')!r}]: expected bytes or a bytearray, got {type(data).__name__}"
                )
            n = replace(n, params={**n.params, "data": data})
        out.append(n)
    return out


def run_configured(
    configured: Any,
    unikernel: Any,
    *,
    argv: list[str] | None = None,
    seed: int = 0,
    until: int | float | str | None = None,
    data_dir: str | None = None,
    disks: Mapping[str, bytes | bytearray] | None = None,
) -> RunResult:
    """Boot a configured application with its unikernel code (a module or a path to unikernel.py)."""
    return _boot_taking_inputs(
        configured, unikernel, argv=argv, seed=seed, until=until, data_dir=data_dir, disks=disks, take=False
    )[0]


def _boot_taking_inputs(
    configured: Any,
    unikernel: Any,
    *,
    argv: list[str] | None,
    seed: int,
    until: int | float | str | None,
    data_dir: str | None,
    disks: Mapping[str, bytes | bytearray] | None,
    take: bool = True,
) -> tuple[RunResult, str, tuple[DiskImage, ...], dict[str, str]]:
    """:func:`run_configured`, and what the run read: its data directory, disk images at boot, data files' digests.

    With ``take=False`` nothing is read for a record (no copy of the disks is made).
    """
    nodes = with_disks(nodes_of_graph(configured), disks)
    if isinstance(unikernel, str | os.PathLike):
        unikernel = load_unikernel(unikernel)
    where = data_dir or default_data_dir(unikernel)
    images, files = inputs_of(nodes, where) if take else ((), {})  # before the run writes to its disks
    result = boot(nodes, unikernel, argv=argv or [], seed=seed, until=until, data_dir=where, connectors=NET_CONNECTORS)
    return result, where, images, files


def unikernel_beside(config: str) -> tuple[str, str]:
    """The ``unikernel.py`` beside a config file, and that directory (where device data is read)."""
    base = os.path.dirname(os.path.abspath(config))
    path = os.path.join(base, "unikernel.py")
    if not os.path.isfile(path):
        raise SimulationError(f"no unikernel.py beside {config} (the Python twin of unikernel.ml)")
    return path, base


def configured_unikernel(
    app: Any,
    target: str | None = None,
    *,
    unikernel: Any = None,
    data_dir: str | None = None,
    args: Sequence[str] = (),
    **keys: Any,
) -> tuple[Any, Any, str | None]:
    """Evaluate ``app`` as ``mirage-nb run -t target --key=v...`` would: the graph, its code, its data directory.

    ``unikernel`` is a module, a mapping or a path to ``unikernel.py`` (by
    default the one beside ``app.config_file``, loaded afresh so that an edit
    shows at the next run); ``data_dir`` is where device data is read (by
    default the unikernel's directory).
    """
    configured = app.configured(app.request("run", target, args=args, **keys))
    where = None
    if unikernel is None:
        try:
            path, where = unikernel_beside(app.config_file)
        except SimulationError:
            raise SimulationError(
                f"no unikernel code to run {app.name}: give it in a %%unikernel cell (a start function or Main) "
                "and run it with %mirage run, or pass unikernel= (a module, or the path of a unikernel.py); "
                f"there is no unikernel.py beside {app.config_file}"
            ) from None
        unikernel = load_unikernel(path)
    elif isinstance(unikernel, str | os.PathLike):
        where = os.path.dirname(os.path.abspath(unikernel))
        unikernel = load_unikernel(unikernel)
    return configured, unikernel, data_dir or where


def run_application(
    app: Any,
    target: str | None = None,
    *,
    argv: Sequence[str] = (),
    seed: int = 0,
    until: int | float | str | None = None,
    unikernel: Any = None,
    args: Sequence[str] = (),
    data_dir: str | None = None,
    disks: Mapping[str, bytes | bytearray] | None = None,
    opam_repository: str | None = None,
    **keys: Any,
) -> RecordedRun:
    """``Application.run``: evaluate ``app`` as ``mirage-nb run -t target --key=v...`` would, then simulate.

    ``argv`` are the boot arguments (what follows ``--`` on the command line);
    ``unikernel`` a module or a path to ``unikernel.py`` (by default the one
    beside ``app.config_file``); ``data_dir`` where device data is read;
    ``disks`` block images given as bytes (see :func:`with_disks`). The
    result's ``record`` is the run's :class:`~mirage_nb.sim.record.RunRecord`
    (``opam_repository`` is a commit to keep in it): it keeps the disks'
    bytes as they were at boot, which ``record.write(path)`` stores beside the record.
    """
    if isinstance(argv, str):
        raise SimulationError(f"argv is a sequence of boot arguments, e.g. [{argv!r}], not a string")
    code = _code_file(app, unikernel)
    with files_loaded() as loaded:
        configured, unikernel, where = configured_unikernel(
            app, target, unikernel=unikernel, data_dir=data_dir, args=args, **keys
        )
        result, where, images, files = _boot_taking_inputs(
            configured, unikernel, argv=list(argv), seed=seed, until=until, data_dir=where, disks=disks
        )
    record = record_of(
        configured,
        config=getattr(app, "source_file", None),
        code=code,
        argv=argv,
        seed=seed,
        until=until,
        opam_repository=opam_repository,
        data_dir=where,
        disks=images,
        inputs={**files, **loaded},
    )
    return RecordedRun.of(result, record)


def _code_file(app: Any, unikernel: Any) -> str | None:
    """The unikernel.py a run reads (None for code given as a module or a mapping)."""
    if unikernel is None:
        try:
            return unikernel_beside(app.config_file)[0]
        except SimulationError:
            return None
    if isinstance(unikernel, str | os.PathLike):
        path = os.fspath(unikernel)
        return os.path.join(path, "unikernel.py") if os.path.isdir(path) else path
    return None


def print_transcript(result: RunResult, out: TextIO, err: TextIO) -> int:
    """Print a run's console as a terminal shows it (and how it ended); the exit code is returned."""
    for line in result.console:
        (out if line.stream == "stdout" else err).write(line.text + "\n")
    if result.exit_code is None:
        err.write(f"[{result.note}]\n")
        return 0
    return result.exit_code


def run_command(configured: Any, request: Any, out: TextIO, err: TextIO) -> int:
    """``mirage-nb run``: simulate, print the console as a terminal shows it, return the exit code.

    ``request`` is the command line's :class:`~mirage_nb.functoria.request.Request`;
    with ``--record FILE`` the run's :class:`~mirage_nb.sim.record.RunRecord` is written there,
    with the block images the run found in its directory, as they were at boot, in ``<stem>.disks/``.
    """
    config = request.config_file or "config.ml"
    try:
        path, base = unikernel_beside(config)
        with files_loaded() as loaded:
            result, base, images, files = _boot_taking_inputs(
                configured,
                load_unikernel(path),
                argv=list(request.boot_argv),
                seed=request.seed,
                until=request.until,
                data_dir=base,
                disks=None,
                take=request.record is not None,
            )
    except SimulationError as e:
        err.write(f"mirage-nb run: {e}\n")
        return 1
    if request.record is not None:
        record = record_of(
            configured,
            config=config,
            code=path,
            argv=request.boot_argv,
            seed=request.seed,
            until=request.until,
            opam_repository=request.opam_repository,
            data_dir=base,
            disks=images,
            inputs={**files, **loaded},
        )
        record.write(request.record)
    return print_transcript(result, out, err)


def replay(path: str, *, where: str | None = None) -> RecordedRun:
    """Run a :class:`~mirage_nb.sim.record.RunRecord` again (``mirage-nb replay FILE``, ``lab.replay``).

    The config and the unikernel's code are read from the files the record
    names, after checking they still have the recorded digests; a file that
    changed is refused with an error naming the field. The block images the
    run booted with are restored from the copies beside the record (checked
    against their digests) and given to the replay as memory disks, so the
    replay reads what the run read and leaves the files of the data directory alone.
    """
    from mirage_nb.loader import load_config

    where = where or path
    record = RunRecord.read(path)
    config, code = replay_files(record, where)
    disks = record.disk_images(where)
    app = load_config(config)
    keys: dict[str, Any] = dict(record.keys)
    target = keys.pop("target", None) or record.target  # the default target depends on the environment
    request = app.request("run", None if target is None else str(target), **keys)
    result = run_configured(
        app.configured(request),
        load_unikernel(code),
        argv=list(record.argv),
        seed=record.seed,
        until=record.until,
        data_dir=record.data_dir or os.path.dirname(code),
        disks=disks or None,
    )
    return RecordedRun.of(result, record)


def replay_command(path: str, out: TextIO, err: TextIO) -> int:
    """``mirage-nb replay FILE``: print the recorded run's transcript again, byte for byte.

    A record that cannot be replayed as it was made (a file changed, an
    image missing) raises the :class:`~mirage_nb.errors.ConfigError` that names it.
    """
    try:
        result = replay(path)
    except SimulationError as e:
        err.write(f"mirage-nb run: {e}\n")
        return 1
    return print_transcript(result, out, err)
