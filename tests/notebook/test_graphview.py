"""The graph view: a learner view that folds only the runtime devices, a faithful full graph, no contradiction.

The learner view is a display: these tests check that the graph printed
(``app.dot()``) is untouched, that every vertex the application chose is
in the learner view exactly as in the full graph, and that what folds is
what ``register`` adds and nothing the application uses itself.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from mirage_nb.functoria.types import job
from mirage_nb.mirage import default_network, default_ptime, generic_stackv4v6, main, ptime, register, stackv4v6
from mirage_nb.notebook import graph, mimebundle, view_of
from mirage_nb.notebook._graphview import graph_view_html
from mirage_nb.notebook._learner import fold_of_app

from .conftest import needs_dot

VERTEX = re.compile(r"^\s*(\d+) \[(.*)\];$", re.M)
EDGE = re.compile(r"^\s*(\d+) -> (\d+) ", re.M)
RUNTIME = {"Mirage_bootvar", "Mirage_logs", "Mirage_sleep", "Mirage_ptime", "Mirage_mtime", "Mirage_crypto_rng_mirage"}


def vertices(dot: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in VERTEX.finditer(dot)}


def network():
    return register("network", [main("Unikernel.Main", stackv4v6 @ job)(generic_stackv4v6(default_network))])


def test_the_fold_is_what_register_adds_and_the_printed_graph_is_untouched():
    app = network()
    before = str(app.dot())
    fold = fold_of_app(app, source=before)
    assert fold is not None
    assert str(app.dot()) == before  # a display, not a different graph
    full, learner = vertices(before), vertices(fold.source)
    # Every vertex that stays is drawn exactly as in the full graph; the folded ones are gone.
    for v, attrs in full.items():
        if v in fold.vertices:
            assert v not in learner
        else:
            assert learner[v] == attrs
    extra = set(learner) - set(full)
    assert len(extra) == 1 and "every unikernel gets" in learner[extra.pop()]
    assert RUNTIME <= set(fold.modules)
    assert not {"Unikernel.Main", "Netif", "Tcpip_stack_direct.MakeV4V6"} & set(fold.modules)
    # The root and the job stay; the learner view has no edge to a folded vertex.
    root = max(full)
    assert root in learner
    assert all(int(a) not in fold.vertices and int(b) not in fold.vertices for a, b in EDGE.findall(fold.source))


def test_a_runtime_device_the_application_uses_itself_stays_visible():
    app = register("clocky", [main("Unikernel.Main", ptime @ job)(default_ptime)])
    fold = fold_of_app(app)
    assert fold is not None
    learner = vertices(fold.source)
    assert any("Mirage_ptime" in attrs for attrs in learner.values())  # the job's ptime is shown
    assert "Mirage_bootvar" in fold.modules


def test_a_device_term_has_no_learner_view_and_a_stale_source_none():
    assert graph(generic_stackv4v6(default_network)).fold is None
    app = network()
    assert fold_of_app(app, source="digraph G {}\n") is None
    assert graph(app).fold is not None and graph(app).source == str(app.dot())


@needs_dot
def test_html_draws_both_views_and_drops_the_untrusted_note():
    app = network()
    b = mimebundle(app)
    assert "run the cell in a trusted notebook" in b["text/plain"]  # the text twin still says it
    h = b["text/html"]
    assert "run the cell in a trusted notebook" not in h  # the HTML draws the graph: no contradiction above it
    imgs = re.findall(r'<img class="mnb-gv-img" alt="([^"]*)"[^>]*src="data:image/svg\+xml;base64,', h)
    assert imgs == ["device graph, learner view", "device graph"]
    assert 'data-mnb-fold="' in h and 'data-mnb-view="learner"' in h and 'data-mnb-view="full"' in h
    # Shown at graphviz's own size, in a pane that scrolls even without the stylesheet.
    assert 'style="overflow: auto; max-height: 75vh' in h and 'style="max-width: none' in h
    assert h == mimebundle(network())["text/html"]  # deterministic


@needs_dot
def test_the_learner_view_svg_carries_the_clickable_fold_node():
    from mirage_nb.notebook._graph import svg_of

    fold = fold_of_app(network())
    root = ET.fromstring(svg_of(fold.source))
    classes = [g.get("class", "") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert sum("mnb-fold" in c.split() for c in classes) == 1


def test_graph_view_says_why_when_the_graph_cannot_be_drawn():
    def broken(_source: str) -> str:
        raise RuntimeError("no <dot> here")

    h = graph_view_html('digraph G {\n  1 [label="a"];\n  }\n', None, draw=broken)
    assert "graph not drawn: no &lt;dot&gt; here" in h and "<script" not in h


@needs_dot
def test_text_plain_keeps_the_note_when_html_is_not_wanted():
    v = view_of(network())
    assert v.fold is not None
    text = mimebundle(network(), include={"text/plain"})["text/plain"]
    assert text.endswith("vertices; run the cell in a trusted notebook to draw it]")


@pytest.mark.parametrize("target", ["unix", "hvt"])
def test_graph_of_an_application_folds_the_graph_it_prints(target):
    app = network()
    g = graph(app, target)
    assert g.source == str(app.dot(target))
    assert g.fold is not None and set(g.fold.vertices) <= set(vertices(g.source))


def test_the_graph_magic_draws_the_learner_view_of_the_graph_it_prints(shell):
    from .conftest import NETWORK_PY

    shell.run_cell(NETWORK_PY)
    g = shell.run_line_magic("mirage", "graph -t hvt --eval")
    app = network()
    assert g.source == str(app.dot("hvt", eval=True))
    assert g.fold == fold_of_app(app, ["-t", "hvt", "--eval"])
    assert g.fold is not None and set(g.fold.vertices) <= set(vertices(g.source))
