"""The notebook's API: load an application, look at it, run it alone or on a network, view what it did.

This is what the tutorials import, and what a learner copies. It sits at the
top of the package (nothing imports it) and gathers, under one name, what the
layers below offer a notebook:

* **Applications.** :func:`example` (a bundled example by name, read from its
  ``config.ml``), :func:`load` (a ``config.ml`` or ``config.py`` file) and
  :func:`loads` (``config.ml`` text) give an ``Application``; the DSL stays
  ``from mirage_nb.mirage import *`` (``register`` gives one too). An
  application describes itself (``app.describe()``, ``app.dot()``,
  ``app.query("packages")``, ``app.configure()``, :func:`files`).
* **Running one unikernel.** ``app.run(argv=[...], seed=..., until=...)``
  evaluates the config (configure-time keys as keywords: ``kv_ro="direct"``,
  ``net="direct", no_dhcp=True``), boots the graph the engine evaluated with
  the ``unikernel.py`` beside the config (read afresh at each run, so an edit
  shows) and returns the run's result. Run-time data is explicit:
  ``disks={"disk.img": bytearray(...)}`` (see :func:`disk_image`),
  ``data_dir=...``; ``unikernel=`` gives code written in a notebook cell.
* **Running a network.** :class:`Network`: unikernels from any configs, each
  with its own keys and boot arguments, and scripted :class:`Peer` s, on one
  or more virtual LANs, run together (``Network().unikernel("server", app,
  argv=[...]).peer("client", talk, cidr="10.0.0.1/24").run(until="3s",
  pcap=True)``). Each unikernel has its own console, log levels and exit
  code (``result.console("server")``, ``result.transcript``,
  ``result.exit_codes``); a failed peer script is that peer's error
  (``result.errors``): see :mod:`mirage_nb.sim.network`. ``result.record``
  (a :class:`NetworkRecord`) says what the run was given: each unikernel's
  config, code, keys and boot arguments with their digests, the LANs, and the
  peers' scripts by name and digest; it is checked, not replayed
  (``NetworkRecord.read(path).check()``).
* **Views.** :func:`packet_table` and :func:`sequence_diagram` of a capture
  (or of a :class:`NetworkResult`), :class:`RunView` / :func:`run_viewer`
  for stepping through a run, :class:`Builder` / :func:`builder_widget` for
  building a device graph step by step.
* **The Linux bridge.** :func:`bridge_available`, :func:`run_bridged` (an
  application or a network with one LAN carried to a Linux namespace).
* **HTTP.** :class:`HttpPeer` (a scripted HTTP/HTTPS client peer),
  :func:`make_test_pki` (a throw-away CA and server certificate),
  :func:`run_http_example` / :func:`run_bridged_http_example` (the bundled
  HTTP unikernels from their config.ml, with a test PKI where they need one).
* **DNS and DHCP.** :class:`DnsServerPeer`, :class:`DnsClientPeer` (a stub
  resolver with a cache and timeouts), :class:`DhcpClientPeer`;
  :class:`SyslogPeer` (a log host collecting what a unikernel's ``syslog_udp``,
  ``syslog_tcp`` or ``syslog_tls`` reporter sends);
  :func:`run_with_peers` runs an application (or a network) with such peers
  made on its LAN first, and names them in the capture views;
  :func:`set_link` changes a peer's link mid-run (pull its cable).
* **Orchestration.** :class:`Fleet` starts and retires unikernels while a
  run goes on (from a peer's script: an orchestrator, in virtual time);
  :class:`Autoscaler` is its pure scaling rule (thresholds, hysteresis,
  bounds, cooldown).
* **Xen.** :class:`XenHost`: a simulated Xen machine (xenstored and
  xenconsoled in stub domains, grant tables, event channels, split drivers)
  that boots a ``-t xen`` unikernel from the ``.xl`` file the engine writes;
  :class:`Faults` makes its notifications late, doubled or lost.
* **The catalog.** :func:`catalog`: every device of the library and every
  protocol of the stack with its status, each computed by running its check;
  :func:`protocols` lists the protocol modules. The high-level devices that
  are a mirage_nb proposal, not MirageOS 4.11.1, are
  ``mirage_nb.mirage.proposals`` (``app.to_config_ml()`` prints the plain
  ``config.ml`` they stand for).
* **Exercises.** :func:`check`, :func:`hint`, :func:`solution`.
* **Time.** ``Duration``, ``Mirage_sleep`` and ``Mirage_mtime``, for peers'
  scripts, and ``Lwt`` (``Lwt.async_``: many requests at once from one script).

There is one path from a config to a run, whichever way it is taken
(``app.run``, ``%mirage run``, ``mirage-nb run``, :class:`Network`): the
config (``config.ml``, ``config.py`` or a notebook cell) gives an
``Application``; the engine evaluates it against the context the keys make
(``app.configured``); the evaluated graph becomes the boot nodes, in the
generated ``main.ml``'s connect order (:func:`boot_plan`); the simulator
connects them and starts the job with the unikernel's code (``unikernel.py``)
on a virtual clock, and returns what it printed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from mirage_nb import MIRAGE_VERSION
from mirage_nb.config_ml import loads
from mirage_nb.errors import MirageNbError
from mirage_nb.functoria.impl import type_of
from mirage_nb.gallery.catalog import catalog
from mirage_nb.loader import load_config
from mirage_nb.notebook import files
from mirage_nb.notebook.builder import Builder
from mirage_nb.notebook.exercises import check, hint, solution
from mirage_nb.notebook.run_viewer import RunView
from mirage_nb.sim.autoscale import Autoscaler
from mirage_nb.sim.boot import KINDS as BOOT_KINDS
from mirage_nb.sim.boot import DeviceNode
from mirage_nb.sim.cli import nodes_of_graph
from mirage_nb.sim.cli import replay as _replay
from mirage_nb.sim.fleet import Fleet
from mirage_nb.sim.net import capture_view, protocols
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.bridge import BridgedResult, bridge_available
from mirage_nb.sim.netdev.dns_peer import DhcpClientPeer, DnsClientPeer, DnsServerPeer
from mirage_nb.sim.netdev.http_examples import run_bridged_http_example, run_http_example
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.kinds import NET_KINDS
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.syslog import SyslogPeer
from mirage_nb.sim.network import Network, NetworkResult
from mirage_nb.sim.network_record import NetworkRecord, ScriptRef
from mirage_nb.sim.record import RecordedRun, RunRecord
from mirage_nb.sim.xen.host import Faults, XenHost
from mirage_nb.unikernel import Duration, Lwt, Mirage_mtime, Mirage_sleep

__all__ = [
    "MIRAGE_VERSION",
    "EXAMPLES_DIR",
    "examples",
    "example",
    "example_dir",
    "load",
    "loads",
    "files",
    "type_of",
    "boot_plan",
    "replay",
    "RunRecord",
    "RecordedRun",
    "NetworkRecord",
    "BOOT_KINDS",
    "NET_KINDS",
    "protocols",
    "catalog",
    "disk_image",
    "Network",
    "NetworkResult",
    "Peer",
    "LinkProfile",
    "packet_table",
    "sequence_diagram",
    "RunView",
    "run_viewer",
    "Builder",
    "builder_widget",
    "bridge_available",
    "run_bridged",
    "BridgedResult",
    "HttpPeer",
    "make_test_pki",
    "run_http_example",
    "run_bridged_http_example",
    "DnsServerPeer",
    "DnsClientPeer",
    "DhcpClientPeer",
    "SyslogPeer",
    "run_with_peers",
    "set_link",
    "Fleet",
    "Autoscaler",
    "XenHost",
    "Faults",
    "check",
    "hint",
    "solution",
    "Duration",
    "Mirage_sleep",
    "Mirage_mtime",
    "Lwt",
]

T = TypeVar("T")

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
"""Where the bundled examples live: one directory each, with ``config.ml`` and ``unikernel.py``."""

SECTOR = 512


def examples() -> list[str]:
    """The bundled examples' names (each a directory with a ``config.ml`` and its ``unikernel.py``)."""
    return sorted(
        d.name
        for d in EXAMPLES_DIR.iterdir()
        if d.is_dir() and (d / "config.ml").is_file() and (d / "unikernel.py").is_file()
    )


def example_dir(name: str) -> Path:
    """The directory of the bundled example ``name`` (its ``config.ml``, ``unikernel.py``, data)."""
    d = EXAMPLES_DIR / name
    if not (d / "config.ml").is_file():
        raise MirageNbError(f"no bundled example {name!r}; the bundled ones are {', '.join(examples())}")
    return d


def example(name: str) -> Any:
    """The application the bundled example ``name`` registers, read from its ``config.ml`` now.

    Running it boots what that ``config.ml`` evaluates to with the
    ``unikernel.py`` beside it: edit either and run again to see the change.
    The reader's notices (``adding unit argument to 'start ()'``) are not
    printed for a bundled example; :func:`load` prints them as the tool does.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        return load_config(str(example_dir(name) / "config.ml"))


def load(path: str | Path) -> Any:
    """The application a ``config.ml`` (read, never run) or ``config.py`` file registers."""
    return load_config(str(path))


def boot_plan(app: Any, target: str | None = None, *, args: Sequence[str] = (), **keys: Any) -> list[DeviceNode]:
    """The device graph the engine evaluates ``app`` to (as ``mirage-nb run`` would), as the simulator boots it.

    One node per device, in the generated ``main.ml``'s connect order: its
    id (``block__11``), module, simulated kind (one of :data:`BOOT_KINDS` or
    :data:`NET_KINDS`) and the nodes it depends on. This is what ``app.run``
    boots; a device the simulator cannot run raises a ``SimulationError``.
    """
    return nodes_of_graph(app.configured(app.request("run", target, args=args, **keys)))


def replay(record: str | Path) -> RecordedRun:
    """Run again what a record says (``app.run(...).record.write(path)``, ``mirage-nb run --record``).

    The config and ``unikernel.py`` are read from the files the record names;
    one that changed since is refused (the error names the field, e.g.
    ``config_digest``), as is a changed data file or library (``inputs``). The
    disks the run booted with are the images kept beside the record
    (``run.disks/``), checked against their digests. The result's console is
    the recorded run's, line for line.

    The record of a network run (``Network().run(...).record``) is refused:
    its peers are Python functions, which it keeps by name and digest only;
    ``NetworkRecord.read(path).check()`` says what changed since that run.
    """
    return _replay(str(record))


def disk_image(sectors: int, *, littlefs: bool = False) -> bytearray:
    """A fresh disk image of ``sectors`` 512-byte sectors, as ``dd if=/dev/zero`` makes one.

    ``littlefs=True`` formats it as ``chamelon format`` does. Give it to a run
    as ``app.run(disks={"disk.img": image})``: the unikernel writes into the
    bytearray, so its state carries over to the next run.
    """
    if not isinstance(sectors, int) or sectors <= 0:
        raise MirageNbError(f"disk_image: expected a positive number of sectors, got {sectors!r}")
    if not littlefs:
        return bytearray(sectors * SECTOR)
    from mirage_nb.sim.block import MemBlock
    from mirage_nb.sim.chamelon import format_device

    mem = MemBlock("littlefs", sectors)
    format_device(mem)
    return mem.data


def _capture(capture: Any) -> tuple[Any, Mapping[str, str] | None]:
    if isinstance(capture, NetworkResult):
        return capture.capture, capture.lan_names
    return capture, None


def packet_table(
    capture: Any, *, names: Mapping[str, str] | None = None, protocols: Iterable[str] | None = None
) -> Any:
    """The packet list of a capture (pcap bytes, a file, or a :class:`NetworkResult` run with ``pcap=True``).

    ``names`` renames IP addresses (``{"10.0.0.2": "unikernel"}``);
    ``protocols`` keeps only those (``{"ARP", "ICMP"}``).
    """
    data, _ = _capture(capture)
    return capture_view.packet_table(data, names=names, protocols=protocols)


def sequence_diagram(
    capture: Any,
    *,
    names: Mapping[str, str] | None = None,
    hosts: Sequence[str] | None = None,
    protocols: Iterable[str] | None = None,
    label: str = "summary",
) -> Any:
    """A sequence diagram of a capture: one column per host, one arrow per frame.

    Given a :class:`NetworkResult`, the columns are named after the devices
    (the names they were added to the network under) unless ``names`` says otherwise.
    """
    data, known = _capture(capture)
    return capture_view.sequence_diagram(
        data, names=names if names is not None else known, hosts=hosts, protocols=protocols, label=label
    )


def run_viewer(result: Any) -> Any:
    """A widget to step through a run (needs ipywidgets, as in Jupyter)."""
    from mirage_nb.notebook.widgets import run_viewer as viewer

    return viewer(result)


def builder_widget(name: str = "unikernel", **kw: Any) -> Any:
    """A widget to build a device graph step by step (needs ipywidgets, as in Jupyter); :class:`Builder` without it."""
    from mirage_nb.notebook.widgets import builder_widget as widget

    return widget(name, **kw)


def make_test_pki(*args: Any, **kwargs: Any) -> Any:
    """A throw-away CA and server certificate (:func:`mirage_nb.sim.netdev.pki.make_test_pki`, same arguments).

    Imported on first use: it needs the ``cryptography`` package, which a
    browser's Python (JupyterLite) lacks; the rest of this module works there.
    """
    try:
        from mirage_nb.sim.netdev.pki import make_test_pki as make
    except ImportError as e:
        raise MirageNbError(
            f"make_test_pki needs the cryptography package, which this Python lacks ({e}): "
            "pip install cryptography, or run this notebook in a local JupyterLab"
        ) from e
    return make(*args, **kwargs)


def run_bridged(
    what: Any,
    linux: Callable[[Any], T],
    *,
    argv: Sequence[str] = (),
    seed: int = 0,
    until: int | float | str | None = "120s",
    address: str = "10.0.0.1/24",
    lan: str = "lan",
    **keys: Any,
) -> BridgedResult[T]:
    """Run an application (or a :class:`Network`) with its LAN bridged to Linux, and ``linux(bridge)`` beside it.

    For an application, ``keys`` are its configure-time keys and ``argv`` its
    boot arguments (``run_bridged(example("network"), ping, net="direct",
    no_dhcp=True)``). ``linux(bridge)`` runs in a thread with the Linux side at
    ``address`` (``bridge.exec("ping", ...)``, ``bridge.popen(...)``,
    ``bridge.wait_for_console("...")``); the run ends when it returns.
    Needs root and ``/dev/net/tun``: :func:`bridge_available` says why not.
    """
    if isinstance(what, Network):
        if argv or keys:
            raise MirageNbError("run_bridged: give a network's unikernels their argv and keys when adding them")
        net = what
    else:
        net = Network().unikernel(getattr(what, "name", "unikernel"), what, argv=argv, **keys)
    result: BridgedResult[T] = net.run_bridged(linux, lan=lan, address=address, seed=seed, until=until)
    return result


def run_with_peers(
    what: Any,
    setup: Callable[[Any], Any],
    *,
    argv: Sequence[str] = (),
    seed: int = 0,
    until: int | float | str | None = "30s",
    pcap: bool = True,
    lan: str = "lan",
    **keys: Any,
) -> NetworkResult:
    """Run an application (or a :class:`Network`) with peers that ``setup(lan)`` makes on its LAN first.

    For peers a :class:`Network` cannot make by name (a :class:`DnsServerPeer`,
    :class:`DnsClientPeer`, :class:`DhcpClientPeer`, an :class:`HttpPeer`, a :class:`SyslogPeer`):
    ``setup`` receives the virtual LAN ``lan`` before anything boots, makes
    them (``DnsClientPeer(lan, cidr="10.0.0.9/24")``) and schedules their
    scripts. The application boots as ``app.run`` boots it (its config.ml
    evaluated with ``keys``, ``argv`` its boot arguments), so this is the same
    one path. The result names every peer made (by its ``name``) in
    :func:`packet_table` and :func:`sequence_diagram`.
    """
    if isinstance(what, Network):
        if argv or keys:
            raise MirageNbError("run_with_peers: give a network's unikernels their argv and keys when adding them")
        net = what
    else:
        net = Network().unikernel(getattr(what, "name", "unikernel"), what, argv=argv, **keys)
    made: dict[str, Any] = {}

    def on_lan(name: str, v: Any) -> None:
        if name == lan:
            made[name] = v
            setup(v)

    result = net.run(seed=seed, until=until, pcap=pcap, on_lan=on_lan)
    if not made:
        raise MirageNbError(f"run_with_peers: the network has no LAN named {lan!r}")
    names = {k: dict(v) for k, v in result.names.items()}
    peers = dict(result.peers)
    for port in made[lan].ports:
        owner = port.owner
        if isinstance(owner, Peer) and owner.name not in peers:
            peers[owner.name] = owner
            mac = bytes(owner.host.mac)
            names.setdefault(lan, {}).setdefault(":".join(f"{b:02x}" for b in mac), owner.name)
    record = result.record
    if record is not None:  # what made the peers is setup (on_lan above only hands it the LAN)
        hooks = {k: v for k, v in record.hooks.items() if k != "on_lan"}
        record = dataclasses.replace(record, hooks={**hooks, "setup": ScriptRef.of(setup)})
    return NetworkResult(result.run, result.captures, names, peers, result.lans, result.routers, record)


def set_link(peer: Any, profile: LinkProfile) -> None:
    """Give ``peer``'s port on its LAN the link ``profile`` from now on.

    ``set_link(peer, LinkProfile(loss=1.0))`` pulls its cable (nothing it
    sends arrives, nothing reaches it), ``set_link(peer, LinkProfile())``
    plugs it back. Call it from a script, at a virtual time.
    """
    if not isinstance(peer, Peer):
        raise MirageNbError(f"set_link: expected a peer (a Peer, DnsClientPeer...), got {type(peer).__name__}")
    if not isinstance(profile, LinkProfile):
        raise MirageNbError(f"set_link: expected a LinkProfile, got {profile!r}")
    peer.lan.switch.links[peer.port.index] = profile
