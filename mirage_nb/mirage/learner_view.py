"""The learner view of a device graph: the devices every unikernel gets, folded into one node.

A pure computation over the engine's graph (no display, no Jupyter): the
notebook layer draws it beside the full graph, and so does the gallery.

``register`` adds init jobs to every MirageOS unikernel (the runtime
arguments and boot variables, the OCaml runtime, the startup delay, the
log reporter, sleep, the two clocks, the random generator and the
unikernel's name; see :func:`mirage_nb.mirage.project.register`). In the
graph of ``describe --dot`` they and their target choices are often more
vertices than the application's own devices. The learner view draws the
same graph with those vertices replaced by one node, so the devices the
learner chose stand out.

This is a display, not a different graph: the faithful source (what
``app.dot()`` and ``mirage describe --dot`` print) is untouched and stays
one click away; :class:`Fold` only records which of its vertices the
picture folds and the dot source of the folded picture.

Which vertices fold is read from the graph itself, not from module names:
the root device's dependencies are the init jobs followed by the jobs
(``Application.init`` then ``Application.jobs``); a vertex folds when it is
reachable from an init job but not from any job, so a device the
application shares with the runtime (a clock it also uses) stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FOLD_CLASS", "Fold", "fold_of_app", "fold_of_impl"]

FOLD_CLASS = "mnb-fold"
"""The SVG class of the folded node (graphviz copies a node's ``class`` onto its ``<g>``)."""


@dataclass(frozen=True, slots=True)
class Fold:
    """One graph's learner view: the folded vertex ids, their module names, and the folded picture's dot source."""

    vertices: tuple[int, ...]
    modules: tuple[str, ...]
    source: str
    # High-level devices (mirage_nb proposals) folded into one node each: (label, vertex ids).
    groups: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def label(self) -> str:
        """What the folded node says (also the text of the expand button)."""
        n = len(self.vertices)
        return f"devices every unikernel gets ({n} vertices)"  # at least two: one is not folded


def _reach(starts: Sequence[int], succ: dict[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    todo = list(starts)
    while todo:
        v = todo.pop()
        if v in seen:
            continue
        seen.add(v)
        todo.extend(succ.get(v, ()))
    return seen


def _dot_string(s: str) -> str:
    from mirage_nb.functoria.ocaml import escaped

    return f'"{escaped(s)}"'


def fold_of_impl(root: Any, n_init: int) -> Fold | None:
    """The learner view of the graph of ``root`` whose first ``n_init`` dependencies are init jobs.

    None when nothing folds (no init jobs, or a root that is not a device
    with init and job dependencies). Never raises (a display calls it).
    """
    try:
        return _fold(root, n_init)
    except Exception:  # noqa: BLE001 - without a learner view the full graph is shown alone
        return None


def _fold(root: Any, n_init: int) -> Fold | None:
    from mirage_nb.functoria.dot import dot_graph, edge_line, vertex_line
    from mirage_nb.functoria.impl import Dev

    if n_init <= 0 or not isinstance(root, Dev) or len(root.deps) <= n_init:
        return None
    g = dot_graph(root)
    ids = {v.node: v.id for v in g.vertices}
    succ: dict[int, list[int]] = {}
    for e in g.edges:
        succ.setdefault(e.src, []).append(e.dst)
    init = [ids[d] for d in root.deps[:n_init] if d in ids]
    jobs = [ids[d] for d in root.deps[n_init:] if d in ids]
    folded = _reach(init, succ) - _reach(jobs, succ) - {ids[root]}
    groups = _groups(root.deps[n_init:], g.vertices, ids, succ, folded)
    if len(folded) < 2 and not groups:
        return None
    if len(folded) < 2:
        folded = set()
    fid = max(v.id for v in g.vertices) + 1
    modules = sorted(
        {v.node.dev.module_name for v in g.vertices if v.id in folded and isinstance(v.node, Dev)}, key=str.casefold
    )
    into = dict.fromkeys(folded, fid)
    for i, (_label, members) in enumerate(groups):
        into.update(dict.fromkeys(members, fid + 1 + i))
    lines = ["digraph G {", "ordering=out;"]
    for v in g.vertices:
        if v.id not in into:
            lines.append(vertex_line(v))
    fold = Fold(tuple(sorted(folded)), tuple(modules), "", tuple((lb, tuple(sorted(m))) for lb, m in groups))
    if folded:
        label = f"{fold.label}\n(click to unfold)"
        lines.append(
            f'{fid} [label={_dot_string(label)}, shape="box", style="rounded,dashed,filled", '
            f'fillcolor="#e8f0fe", class="{FOLD_CLASS}", tooltip={_dot_string(", ".join(modules))}];'
        )
    for i, (glabel, members) in enumerate(groups):
        label = f"{glabel}\n{len(members)} vertices (click to unfold)"
        lines.append(
            f'{fid + 1 + i} [label={_dot_string(label)}, shape="box", style="rounded,dashed,filled", '
            f'fillcolor="#fef3e0", class="{FOLD_CLASS}", tooltip={_dot_string(glabel)}];'
        )
    lines.append("")
    seen: set[tuple[int, int]] = set()
    for e in g.edges:
        src = into.get(e.src, e.src)
        dst = into.get(e.dst, e.dst)
        if src == dst and src in into.values() or (src, dst) in seen:
            continue
        seen.add((src, dst))
        line = edge_line(e)
        head = f"{e.src} -> {e.dst} "
        lines.append(f"{src} -> {dst} " + line[len(head) :])
    body = "\n  ".join(lines)
    return Fold(fold.vertices, fold.modules, body + "\n  }\n", fold.groups)


def _groups(
    jobs: Sequence[Any], vertices: Sequence[Any], ids: dict[Any, int], succ: dict[int, list[int]], folded: set[int]
) -> list[tuple[str, set[int]]]:
    """The vertices of each high-level job (see :mod:`mirage_nb.mirage.proposals`) that only it reaches."""
    from mirage_nb.functoria.impl import Dev
    from mirage_nb.mirage.proposals import group_of

    out: list[tuple[str, set[int]]] = []
    for job in jobs:
        group = group_of(job.dev) if isinstance(job, Dev) else None
        if group is None or job not in ids:
            continue
        given = [v.id for v in vertices if isinstance(v.node, Dev) and any(v.node.dev is d for d in group.given)]
        others = [ids[j] for j in jobs if j is not job and j in ids]
        members = _reach([ids[job]], succ) - _reach(given + others, succ) - folded
        out.append((group.label, members))
    return out


def fold_of_app(app: Any, args: Any = (), *, source: str | None = None) -> Fold | None:
    """The learner view of ``app``'s graph as ``describe --dot`` with ``args`` draws it; None if nothing folds.

    ``args`` is a describe request (``app.request("describe", ...)``) or its command-line arguments.

    With ``source`` (the dot text displayed beside it), None unless the
    graph folded is exactly that one: the folded vertex numbers must name
    the vertices of the picture the learner unfolds to. Never raises: the
    learner view is an extra beside the faithful graph.
    """
    from mirage_nb.functoria.dot import render_dot

    try:
        c = app.configured(args if not isinstance(args, list | tuple) else list(args), verb="describe")
        if source is not None and render_dot(c.impl, 0) + "\n" != source:
            return None
        return fold_of_impl(c.impl, len(getattr(app, "init", ()) or ()))
    except Exception:  # noqa: BLE001 - without a learner view the full graph is shown alone
        return None
