"""The dot graph ``mirage describe --dot`` prints (twin of ``Impl.Dot``).

Numbering belongs to this traversal (STYLE §3.7): a counter starts at 1 and
numbers nodes in post-order, visiting a device's dependencies right to left,
then its arguments right to left (OCaml's evaluation order of the printer's
list building, spec §2.3); an ``App`` visits its functor first; an ``If`` its
branches left to right, then its default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .fmt import Formatter, sprintf
from .impl import App, Dev, If, Impl, deep_recursion
from .ocaml import escaped

__all__ = ["DotGraph", "Vertex", "Edge", "dot_graph", "dot_text", "render_dot"]


@dataclass(frozen=True, slots=True)
class Vertex:
    id: int
    kind: str  # "dev" | "if" | "app"
    label: str
    node: Impl


@dataclass(frozen=True, slots=True)
class Edge:
    src: int
    dst: int
    kind: str  # "arg" | "dep" | "functor" | "branch" | "default"

    def attrs(self) -> list[tuple[str, str]]:
        match self.kind:
            case "functor":
                return [("style", "bold"), ("tailport", "sw")]
            case "arg":
                return []
            case "dep":
                return [("style", "dashed")]
            case "branch":
                return [("style", "dotted"), ("headport", "n")]
            case _:
                return [("style", "bold"), ("style", "dotted"), ("headport", "n")]


@dataclass(frozen=True, slots=True)
class DotGraph:
    """The numbered vertices and edges of a term, in printing order."""

    vertices: list[Vertex]
    edges: list[Edge]


def if_label(names: list[str]) -> str:
    """``Fmt.str "If\n%a" Key.pp_deps``: keys joined by ``",@ "`` break hints.

    The last hint is still pending when the string formatter is flushed, so
    Format breaks there: ``If\nnet, no-dhcp,\ntarget`` (spec §0).
    """

    def pp_keys(ppf: Formatter, ns: list[str]) -> None:
        for i, n in enumerate(ns):
            if i:
                ppf.string(",")
                ppf.space()
            ppf.string(n)

    return sprintf("If\n%a", pp_keys, names)


def dot_graph(t: Impl) -> DotGraph:
    counter = 0
    memo: dict[Impl, int] = {}
    vertices: list[Vertex] = []
    edges: list[Edge] = []

    def new_id() -> int:
        nonlocal counter
        counter += 1
        return counter

    def aux(t: Impl) -> int:
        r = memo.get(t)
        if r is not None:
            return r
        if isinstance(t, Dev):
            deps = [aux(d) for d in reversed(t.deps)][::-1]
            args = [aux(a) for a in reversed(t.args)][::-1]
            i = new_id()
            keys = ", ".join(k.name for k in t.dev.keys)
            label = f"{t.dev.nice_name}__{i}\n{t.dev.module_name}\n{keys}"
            vertices.append(Vertex(i, "dev", label, t))
            edges.extend(Edge(i, a, "arg") for a in args)
            edges.extend(Edge(i, d, "dep") for d in deps)
        elif isinstance(t, App):
            f = aux(t.f)
            args = [aux(a) for a in reversed(t.args)][::-1]
            i = new_id()
            vertices.append(Vertex(i, "app", "$", t))
            edges.append(Edge(i, f, "functor"))
            edges.extend(Edge(i, a, "arg") for a in args)
        else:
            assert isinstance(t, If)
            branches = [aux(b) for _, b in t.branches]
            default = aux(t.default)
            i = new_id()
            label = if_label([k.name for k in t.cond.sorted_deps()])
            vertices.append(Vertex(i, "if", label, t))
            edges.extend(Edge(i, b, "branch") for b in branches)
            edges.append(Edge(i, default, "default"))
        memo[t] = i
        return i

    with deep_recursion():
        aux(t)
    return DotGraph(vertices, edges)


def _attrs(attrs: list[tuple[str, str]]) -> str:
    return ", ".join(f'{k}="{escaped(v)}"' for k, v in attrs)


def vertex_line(v: Vertex) -> str:
    match v.kind:
        case "app":
            attrs = [("label", "$"), ("shape", "diamond")]
        case "if":
            attrs = [("label", v.label)]
        case _:
            attrs = [("label", v.label), ("shape", "box")]
    return f"{v.id} [{_attrs(attrs)}];"


def edge_line(e: Edge) -> str:
    return f"{e.src} -> {e.dst} [{_attrs(e.attrs())}];"


def render_dot(t: Impl, column: int = 0) -> str:
    """``Impl.pp_dot`` printed at ``column``: every line after the first is indented ``column + 2``.

    Functoria prints ``@[<v2>digraph G {@,ordering=out;@,%a@,@,%a@,}@]``: a
    vertical box, so the blank separator line holds the indentation spaces.
    """
    g = dot_graph(t)
    return dot_text([vertex_line(v) for v in g.vertices], [edge_line(e) for e in g.edges], column)


def dot_text(vertices: Sequence[str], edges: Sequence[str], column: int = 0) -> str:
    """The ``digraph G`` box around vertex and edge lines, its lines after the first indented ``column + 2``."""
    ind = "\n" + " " * (column + 2)
    body = ["digraph G {", "ordering=out;", *vertices, ""]
    body += edges if edges else [""]
    body.append("}")
    return ind.join(body)
