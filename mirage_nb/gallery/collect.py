"""Everything a gallery page shows about one unikernel, computed once through the engine's Python API.

A :class:`Entry` is the plain model of one page (no HTML here): the sources,
``describe`` and the files ``configure`` writes for every target, the graph
as dot text (evaluated for unix, its learner view with the devices every
unikernel gets folded into one node, and the full graph before evaluation), the
devices and concepts the index filters on, and the simulated run.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirage_nb.errors import MirageNbError
from mirage_nb.functoria.app import Configured
from mirage_nb.functoria.impl import If, Impl, walk
from mirage_nb.gallery.runs import RUN_CHOICES, RunChoice, Transcript, simulate
from mirage_nb.mirage.keys import Mode
from mirage_nb.mirage.learner_view import fold_of_app

__all__ = ["TARGETS", "TargetView", "Entry", "collect", "bundled_dirs", "EXAMPLES_DIR"]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

TARGETS: tuple[str, ...] = tuple(m.value for m in Mode)
"""Every target of ``mirage configure -t``, in the order of the real tool's documentation."""

_STORAGE = {"block", "chamelon", "kv_ro_crunch", "kv_ro_direct", "fat", "tar"}
_BASE_KINDS = {
    "noop",
    "argv",
    "cmdliner_stdlib",
    "delay",
    "reporter",
    "sleep",
    "ptime",
    "mtime",
    "rng",
    "set_name",
    "job",
    "unit",
}


@dataclass(frozen=True)
class TargetView:
    """``describe`` and ``configure`` for one target, or the error the engine gave for it."""

    target: str
    describe: str
    files: tuple[tuple[str, str], ...]
    error: str | None


@dataclass
class Entry:
    """One unikernel of the gallery."""

    slug: str
    directory: Path
    name: str
    config_name: str
    config_source: str
    unikernel_source: str | None
    summary: str
    notices: str
    dot_eval: str
    dot_full: str
    dot_learner: str | None
    """The evaluated graph with the devices every unikernel gets folded into one node (None if nothing folds)."""
    targets: tuple[TargetView, ...]
    devices: tuple[str, ...]
    concepts: tuple[str, ...]
    transcript: Transcript
    extra_sources: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def good_targets(self) -> tuple[str, ...]:
        return tuple(t.target for t in self.targets if t.error is None)


def bundled_dirs() -> list[Path]:
    """The bundled examples' directories (each holds a config.ml and a unikernel.py), sorted by name."""
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.is_dir() and (p / "config.ml").is_file())


@contextlib.contextmanager
def _inside(directory: Path) -> Iterator[None]:
    """Work from the config's directory, as the real tool does: generated paths are relative to it."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(cwd)


def slug_of(name: str, taken: set[str]) -> str:
    """A file-name-safe, unique page name for a directory name."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "unikernel"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _summary(source: str | None) -> str:
    if source is None:
        return ""
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except SyntaxError:
        return ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _has_ifs(impl: Impl) -> bool:
    """Whether a simplified device graph still holds a choice (an ``if_impl``/``match_impl`` left unresolved)."""
    found = False

    def on_if(_i: If) -> None:
        nonlocal found
        found = True

    walk(impl, lambda _d: None, on_if)
    return found


def _concepts(app: Any, configured: Configured, nodes: list[Any], unikernel: str | None) -> list[str]:
    """The ideas a learner meets in this unikernel, read off its graph, keys and code (the index filters on them)."""
    kinds = {n.kind for n in nodes}
    out = set()
    if kinds & {"netif", "stack_direct", "tcp", "udp", "ipv4", "ipv6", "ipv4v6", "ethernet", "socket_stack"} or any(
        "net" in k or "stack" in k for k in kinds
    ):
        out.add("network")
    if kinds & _STORAGE:
        out.add("storage")
    if [k for k in app.keys() if k.name != "target"]:
        out.add("configure-keys")
    if _has_ifs(configured.impl):
        out.add("if-impl")
    if configured.info.local_libs:
        out.add("local-library")
    own = [a for a in configured.info.runtime_args if not a.code.startswith(("Mirage_runtime", "Cmdliner_stdlib"))]
    if own:
        out.add("runtime-args")
    if any(n.kind == "job" and n.args for n in nodes):
        out.add("functor")
    if unikernel is not None:
        if "Mirage_sleep" in unikernel or "Lwt." in unikernel:
            out.add("time-and-lwt")
        if "Mirage_crypto" in unikernel:
            out.add("crypto")
    return sorted(out)


def collect(directory: Path, slug: str, *, choice: RunChoice | None = None, run: bool = True) -> Entry:
    """Load ``directory/config.ml`` and compute every view of its page."""
    from mirage_nb.loader import find_default_config, load_config
    from mirage_nb.sim.cli import nodes_of_graph

    directory = directory.resolve()
    config_name = find_default_config(directory)
    if config_name is None:
        raise MirageNbError(f"{directory}: no config.ml (or config.py) in this directory")
    config_source = (directory / config_name).read_text(encoding="utf-8")
    uk_path = directory / "unikernel.py"
    unikernel = uk_path.read_text(encoding="utf-8") if uk_path.is_file() else None
    notices = io.StringIO()
    with _inside(directory), contextlib.redirect_stdout(notices):
        app = load_config(config_name)
        views = []
        for t in TARGETS:
            try:
                views.append(
                    TargetView(t, str(app.describe(target=t)), tuple(sorted(app.configure(target=t).items())), None)
                )
            except MirageNbError as e:
                views.append(TargetView(t, "", (), str(e)))
        dot_eval = str(app.dot("unix", eval=True))
        dot_full = str(app.dot("unix", eval=False))
        fold = fold_of_app(app, ["-t", "unix", "--eval"], source=dot_eval)
        configured = app.configured(["-t", "unix"], verb="describe")
        nodes = nodes_of_graph(configured)
        kinds = {n.kind for n in nodes}
        concepts = _concepts(app, configured, nodes, unikernel)
        if choice is None:
            bundled = directory.parent == EXAMPLES_DIR
            choice = RUN_CHOICES.get(directory.name, RunChoice()) if bundled else RunChoice()
        transcript = (
            simulate(app, directory, choice)
            if run
            else Transcript((), "not run", None, None, "runs were turned off for this build")
        )
    extra = tuple(
        (p.name, p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("*.py"))
        if p.name not in ("unikernel.py", config_name)
    )
    return Entry(
        slug=slug,
        directory=directory,
        name=app.name,
        config_name=config_name,
        config_source=config_source,
        unikernel_source=unikernel,
        summary=_summary(unikernel),
        notices=notices.getvalue(),
        dot_eval=dot_eval,
        dot_full=dot_full,
        dot_learner=None if fold is None else fold.source,
        targets=tuple(views),
        devices=tuple(sorted(kinds - _BASE_KINDS)),
        concepts=tuple(concepts),
        transcript=transcript,
        extra_sources=extra,
    )
