"""Random device graphs print a dot graph that real graphviz parses, the same way every time."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.dot import dot_graph, render_dot
from mirage_nb.functoria.dsl import if_impl, impl, job, typ
from mirage_nb.functoria.impl import Impl

T = typ("t")
NAMES = st.text(alphabet='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh_.-"\\ é', min_size=1, max_size=12).filter(
    lambda s: any(c.isascii() and c.isalpha() for c in s)
)


@st.composite
def graphs(draw, depth: int = 0) -> Impl:
    """A term of type ``t``: leaves, functors applied to sub-terms (shared or not), choices."""
    kind = draw(st.sampled_from(["leaf", "app", "if"] if depth < 4 else ["leaf"]))
    name = draw(NAMES)
    if name[0].isdigit() or not (name[0].isascii() and name[0].isalpha()):
        name = "M" + name
    if kind == "leaf":
        return impl(name, T)
    if kind == "if":
        cond = K.create(draw(st.sampled_from(["a", "b", "target"])), K.Arg.flag(K.ArgInfo(("x",)))).value()
        return if_impl(cond, draw(graphs(depth + 1)), draw(graphs(depth + 1)))
    n = draw(st.integers(1, 3))
    ty = T
    for _ in range(n):
        ty = T @ ty
    args = [draw(graphs(depth + 1)) for _ in range(n)]
    if draw(st.booleans()) and n > 1:
        args[-1] = args[0]  # sharing
    return impl(name, ty)(*args)


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed (apt-get install graphviz)")
@settings(max_examples=60, deadline=None)
@given(graphs())
def test_random_graphs_print_dot_that_graphviz_parses(t: Impl) -> None:
    root = impl("Root", T @ job)(t)
    text = render_dot(root) + "\n"
    assert text == render_dot(root) + "\n"  # deterministic
    p = subprocess.run(["dot", "-Tcanon"], input=text.encode(), capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode()
    g = dot_graph(root)
    assert [v.id for v in g.vertices] == list(range(1, len(g.vertices) + 1))
    assert all(e.src > e.dst for e in g.edges)  # post-order: children are numbered first
