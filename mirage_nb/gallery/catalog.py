"""The protocol and device catalog: each status computed by running the check it names, never written by hand.

For every device of the MirageOS 4.11.1 library (the devices
:mod:`mirage_nb.mirage` exports: ready-made device values and the functions
of its device modules) and every protocol of the simulated stack
(:func:`mirage_nb.sim.net.protocols`), :func:`catalog` runs:

* **configures identically** — every *case* (a bundled example, a reference
  config twin under ``tests/configs``, and, where ``../shared/reference/``
  exists, each recorded real config) is loaded; which library functions it
  called is read from the calls the library noted while it built the graph
  (:mod:`mirage_nb.functoria.to_config_ml`). Where the real tool's recorded
  ``describe.txt`` exists, the case passes when ``app.describe()`` equals it
  byte for byte; the count says which source it comes from.
* **runs in the simulator** — each bundled example that uses the device is
  booted: every node of its boot plan must have a kind the simulator knows
  (:data:`mirage_nb.sim.boot.KINDS` or a network kind) and a one-second run
  must end without an error.
* **tested against real Linux clients** — read from the test files marked
  ``pytest.mark.root`` (the bridged tests): the examples they boot and the
  protocol modules they import.
* **not simulated** — a device no example boots successfully.

A protocol *runs in the simulator* when one of those example runs called
into its module (the run is profiled per module).
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from mirage_nb.gallery.collect import EXAMPLES_DIR

__all__ = ["Case", "DeviceStatus", "ProtocolStatus", "Catalog", "catalog", "library_devices", "linux_tested"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = PACKAGE_DIR.parent
TESTS_DIR = REPO_DIR / "tests"
REFERENCE_DIR = REPO_DIR.parent / "shared" / "reference"


def library_devices() -> dict[str, Any]:
    """The devices of the MirageOS library: exported device values and device-module functions, by name."""
    import mirage_nb.mirage as M
    from mirage_nb.functoria.impl import Impl

    out: dict[str, Any] = {}
    for name in M.__all__:
        v = getattr(M, name)
        fn = inspect.unwrap(v) if inspect.isfunction(v) else None
        if isinstance(v, Impl):
            out[name] = v
        elif (
            fn is not None
            and fn.__module__.startswith("mirage_nb.mirage.")
            and fn.__module__ != "mirage_nb.mirage.project"
        ):
            out[name] = v
    return out


@dataclass
class Case:
    """One configuration the catalog checks: where it is, what it uses, what its checks gave."""

    name: str
    config: Path
    source: str  # "example", "tests/configs" or "shared/reference"
    uses: set[str] = field(default_factory=set)
    identical: bool | None = None  # None: no recorded output to compare with
    boots: bool | None = None  # None: not an example with unikernel code
    boot_error: str = ""
    modules_run: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    statuses: tuple[str, ...]
    reference_pass: int
    reference_total: int
    reference_source: str


@dataclass(frozen=True)
class ProtocolStatus:
    name: str
    statuses: tuple[str, ...]


@dataclass
class Catalog:
    devices: list[DeviceStatus]
    protocols: list[ProtocolStatus]
    cases: list[Case]
    reference_source: str


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[io.StringIO]:
    """Run in the config's directory (as the real tool does), its stdout kept (the tool's notices)."""
    here = os.getcwd()
    os.chdir(directory)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            yield out
    finally:
        os.chdir(here)


def _uses(app: Any, names: dict[str, Any]) -> set[str]:
    """The library devices ``app``'s config called (read from the calls noted on its devices)."""
    from mirage_nb.functoria.impl import walk
    from mirage_nb.functoria.to_config_ml import origin_of

    by_id = {id(v): n for n, v in names.items()}
    wanted = set(names)
    out: set[str] = set()

    def on_value(v: Any, seen: set[int]) -> None:
        if id(v) in seen:
            return
        seen.add(id(v))
        if id(v) in by_id and by_id[id(v)] in wanted:
            out.add(by_id[id(v)])
        call = origin_of(v)
        if call is not None:
            if call.name in wanted:
                out.add(call.name)
            for a in [*call.args, *(x for _, x in call.kwargs)]:
                on_value(a, seen)
        elif isinstance(v, (list, tuple)):
            for a in v:
                on_value(a, seen)

    seen: set[int] = set()

    def on_dev(d: Any) -> None:
        on_value(d, seen)
        for made, _ in d.dev.made_by:
            on_value(made, seen)

    for job in app.jobs:
        walk(job, on_dev, lambda i: on_value(i, seen))
    return out


def _cases(reference: Path | None) -> list[Case]:
    out = [Case(p.parent.name, p, "example") for p in sorted(EXAMPLES_DIR.glob("*/config.ml"))]
    if TESTS_DIR.is_dir():
        out += [
            Case(str(p.parent.relative_to(TESTS_DIR / "configs")), p, "tests/configs")
            for p in sorted((TESTS_DIR / "configs").rglob("config.py"))
        ]
    if reference is not None and reference.is_dir():
        for root in ("mirage-4.11.1", "wild-4.11.1"):
            for p in sorted((reference / root).rglob("config.ml")):
                if (p.parent / "describe.txt").is_file():
                    out.append(Case(f"{root}/{p.parent.relative_to(reference / root)}", p, "shared/reference"))
    return out


def _check_configures(case: Case, names: dict[str, Any], reference: Path | None) -> Any:
    from mirage_nb.loader import load_config

    with _inside(case.config.parent) as out:
        app = load_config(case.config.name)
        case.uses = _uses(app, names)
        printed = out.getvalue() + str(app.describe())  # what ``mirage describe`` prints: notices first
        expected = None
        if case.source == "shared/reference":
            expected = case.config.parent / "describe.txt"
        elif case.source == "tests/configs" and reference is not None:
            expected = reference / "mirage-4.11.1" / case.name / "describe.txt"
        if expected is not None and expected.is_file():
            case.identical = printed == expected.read_text()
    return app


def _profiled(modules: set[str], seen: set[str]) -> Callable[[FrameType, str, Any], None]:
    def prof(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            mod = frame.f_globals.get("__name__", "")
            if mod in modules:
                seen.add(mod)
            elif mod.rpartition(".")[0] in modules:  # a protocol kept as a package of modules
                seen.add(mod.rpartition(".")[0])

    return prof


def boot_kinds() -> frozenset[str]:
    """Every device kind a boot can connect: the simulator's boot table and its network kinds."""
    from mirage_nb.sim.boot import KINDS
    from mirage_nb.sim.netdev.kinds import NET_KINDS

    return frozenset(KINDS) | frozenset(NET_KINDS)


def _check_boots(case: Case, app: Any, protocol_modules: set[str]) -> None:
    """Boot an example: every node's kind known, and a one-second run that ends without an error."""
    from mirage_nb.sim.cli import nodes_of_graph

    if case.source != "example" or not (case.config.parent / "unikernel.py").is_file():
        return
    with _inside(case.config.parent):
        try:
            kinds = {n.kind for n in nodes_of_graph(app.configured([], verb="run"))}
            unknown = kinds - boot_kinds()
            if unknown:
                case.boots, case.boot_error = False, f"no simulated kind {', '.join(sorted(unknown))}"
                return
            seen: set[str] = set()
            old = sys.getprofile()
            sys.setprofile(_profiled(protocol_modules, seen))
            try:
                result = app.run(until="1s", seed=0, disks=_blank_disks(app))
            finally:
                sys.setprofile(old)
            case.modules_run = seen
            case.boots = result.exit_code in (None, 0)
            case.boot_error = "" if case.boots else f"exit code {result.exit_code}"
        except Exception as e:  # noqa: BLE001 - a run that crashes is a check that fails, with its reason
            case.boots, case.boot_error = False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def _blank_disks(app: Any) -> dict[str, bytearray]:
    """A blank 64-sector image for each ``block_of_file`` the config names and the directory lacks."""
    from mirage_nb.functoria.impl import walk
    from mirage_nb.functoria.to_config_ml import origin_of

    files: set[str] = set()

    def on_dev(d: Any) -> None:
        for made, _ in d.dev.made_by:
            call = origin_of(made)
            if call is not None and call.name == "block_of_file" and call.args and isinstance(call.args[0], str):
                files.add(call.args[0])

    for job in app.jobs:
        walk(job, on_dev)
    return {f: bytearray(64 * 512) for f in sorted(files) if not Path(f).exists()}


def linux_tested(tests_dir: Path = TESTS_DIR) -> tuple[set[str], set[str]]:
    """(examples, protocol modules) the bridged tests exercise: test files marked ``pytest.mark.root``.

    Read from the test code itself: a file counts when its ``pytestmark``
    names ``pytest.mark.root``; the examples are the example names its
    string constants mention, the protocols the ``mirage_nb.sim.net``
    modules it imports.
    """
    examples = {p.name for p in EXAMPLES_DIR.iterdir() if (p / "config.ml").is_file()}
    found_examples: set[str] = set()
    found_protocols: set[str] = set()
    if not tests_dir.is_dir():
        return found_examples, found_protocols
    for path in sorted(tests_dir.rglob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        if not any(_marks_root(node) for node in tree.body):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in examples:
                found_examples.add(node.value)
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                found_protocols.update(m for m in mods if m.startswith("mirage_nb.sim.net."))
    return found_examples, found_protocols


def _marks_root(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Assign) or not any(
        isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
    ):
        return False
    return any(isinstance(n, ast.Attribute) and n.attr == "root" for n in ast.walk(node.value))


def catalog(
    *,
    reference: Path | None = REFERENCE_DIR,
    tests_dir: Path = TESTS_DIR,
    only: Callable[[Case], bool] | None = None,
) -> Catalog:
    """Run every check and return the statuses (see the module docstring); ``only`` keeps some cases."""
    from mirage_nb.errors import MirageNbError
    from mirage_nb.sim.net import protocols

    if reference is not None and not reference.is_dir():
        reference = None
    names = library_devices()
    protos: list[ModuleType] = protocols()
    proto_names = {m.__name__ for m in protos}
    cases = [c for c in _cases(reference) if only is None or only(c)]
    for case in cases:
        try:
            app = _check_configures(case, names, reference)
        except (MirageNbError, OSError):
            case.identical = False if case.source == "shared/reference" else None
            continue
        _check_boots(case, app, proto_names)
    linux_examples, linux_protocols = linux_tested(tests_dir)
    source = "../shared/reference (recorded real mirage 4.11.1)" if reference is not None else "none in this checkout"
    devices = []
    for name in sorted(names):
        using = [c for c in cases if name in c.uses]
        compared = [c for c in using if c.identical is not None]
        passed = sum(1 for c in compared if c.identical)
        statuses = []
        if compared:
            statuses.append(f"configures identically ({passed}/{len(compared)} reference cases)")
        elif using:
            statuses.append(f"configures ({len(using)} cases; no recorded output here)")
        booted = [c for c in using if c.boots]
        if booted:
            statuses.append(f"runs in the simulator ({', '.join(c.name for c in booted)})")
        else:
            statuses.append("not simulated")
        linux = sorted({c.name for c in booted if c.name in linux_examples})
        if linux:
            statuses.append(f"tested against real Linux clients ({', '.join(linux)})")
        devices.append(DeviceStatus(name, tuple(statuses), passed, len(compared), source))
    ran = set().union(*(c.modules_run for c in cases)) if cases else set()
    protocol_rows = []
    for m in protos:
        st: list[str] = []
        st.append("runs in the simulator" if m.__name__ in ran else "not exercised by the example runs")
        if m.__name__ in linux_protocols:
            st.append("tested against real Linux clients")
        protocol_rows.append(ProtocolStatus(m.__name__.rsplit(".", 1)[1], tuple(st)))
    return Catalog(devices, protocol_rows, cases, source)


def catalog_html(cat: Catalog) -> str:
    """The gallery's catalog page: the two tables, with where the reference counts come from."""
    from mirage_nb.gallery.render import _foot, _head, esc

    def table(header: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>\n" for r in rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"

    devices = [[d.name, "; ".join(d.statuses)] for d in cat.devices]
    protocols = [[p.name, "; ".join(p.statuses)] for p in cat.protocols]
    return (
        _head("mirage_nb catalog")
        + "<body>\n<h1>Devices and protocols</h1>\n"
        + '<p><a href="index.html">back to the gallery</a></p>\n'
        + "<p>Each status was computed by running the check it names when this site was built "
        + f"(mirage_nb.gallery.catalog). Reference outputs: {esc(cat.reference_source)}.</p>\n"
        + "<h2>Devices of the MirageOS 4.11.1 library</h2>\n"
        + table(["device", "status"], devices)
        + "<h2>Protocols of the simulated stack</h2>\n"
        + table(["protocol", "status"], protocols)
        + _foot()
    )
