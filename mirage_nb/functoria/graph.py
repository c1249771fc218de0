"""The evaluated device graph: what ``configure`` generates code from (``Device.Graph``).

Evaluation resolves every ``If`` in a context and numbers the remaining
devices. Its numbering differs from the dot printer's on purpose, as in
functoria (spec §2.4): arguments left to right, then dependencies, then the
node itself; an ``App`` spends one number on its functor part, which leaves
a gap. Connect order is a depth-first walk, dependencies before arguments.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import keys as K
from .device import Device
from .impl import App, Dev, If, Impl, deep_recursion

__all__ = ["Node", "evaluate", "connect_order"]


class Node:
    """A device of the evaluated graph, with its number."""

    __slots__ = ("dev", "args", "deps", "id")

    def __init__(self, dev: Device, args: list[Node], deps: list[Node], id: int) -> None:
        self.dev = dev
        self.args = args
        self.deps = deps
        self.id = id

    @property
    def var_name(self) -> str:
        """The OCaml variable of this device in main.ml: ``<nice_name>__<id>``."""
        return f"{self.dev.nice_name}__{self.id}"

    @property
    def impl_name(self) -> str:
        """The OCaml module of this device: ``Capitalised_nice__<id>`` for functors, else its module."""
        if self.dev.module_type.is_functor:
            n = self.dev.nice_name
            return f"{n[:1].upper()}{n[1:]}__{self.id}"
        return self.dev.module_name

    def __repr__(self) -> str:
        return f"<node {self.var_name}>"


def evaluate(t: Impl, context: K.Context) -> Node:
    """``Impl.eval``: the device graph of a term in a context (missing keys at their defaults)."""
    counter = 0
    memo: dict[Impl, Node] = {}

    def new_id() -> int:
        nonlocal counter
        counter += 1
        return counter

    def aux(t: Impl) -> Node:
        r = memo.get(t)
        if r is not None:
            return r
        if isinstance(t, Dev):
            args = [aux(a) for a in t.args]
            deps = [aux(d) for d in t.deps]
            r = Node(t.dev, args, deps, new_id())
        elif isinstance(t, App):
            f = aux(t.f)  # numbered, then dropped: the gap functoria leaves
            extra = [aux(a) for a in t.args]
            r = Node(f.dev, f.args + extra, f.deps, new_id())
        else:
            assert isinstance(t, If)
            r = aux(t.choose(context))
        memo[t] = r
        return r

    with deep_recursion():
        return aux(t)


def connect_order(root: Node) -> Iterator[Node]:
    """``Device.Graph.fold``: each node once, its deps then its args first (post-order)."""
    seen: set[int] = set()
    out: list[Node] = []
    # Iterative DFS so that long chains need no recursion.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            out.append(v)
            continue
        if v.id in seen:
            continue
        seen.add(v.id)
        stack.append((v, True))
        for c in reversed(v.deps + v.args):
            if c.id not in seen:
                stack.append((c, False))
    return iter(out)


def left_most_device(t: Impl, context: K.Context) -> Device:
    """``Impl.with_left_most_device``: the device at the head of an application."""
    while True:
        if isinstance(t, Dev):
            return t.dev
        if isinstance(t, App):
            t = t.f
        else:
            assert isinstance(t, If)
            t = t.choose(context)
