"""The gallery's HTML: an index of cards and one page per unikernel, every shown string escaped.

Each text that comes from a config, a unikernel, the engine or a run goes
through :func:`esc` (``html.escape``) on its way into the page, so a
unikernel registered as ``<script>...</script>`` shows as text. A ``<pre>``
always starts with a newline, which the HTML parser drops: its text is then
exactly the string shown, even when that starts with a newline itself.
Pages link only to files of the site (``gallery.css``, ``gallery.js``,
``pcap/``), never to another host.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from mirage_nb.gallery.collect import TARGETS, Entry
from mirage_nb.sim.net.capture_view import COLUMNS, PacketTable, SequenceDiagram

__all__ = ["esc", "page_html", "index_html"]


def esc(text: object) -> str:
    """``html.escape`` (quotes too, so the result is safe in text and in attribute values)."""
    return html.escape(str(text), quote=True)


def _pre(text: str, cls: str, ident: str | None = None) -> str:
    attr = f' id="{esc(ident)}"' if ident else ""
    return f'<pre class="{cls}"{attr}>\n{esc(text)}</pre>'


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        '<link rel="stylesheet" href="gallery.css">\n</head>\n'
    )


def _foot(live: bool = False) -> str:
    extra = '<script src="pyodide/viz-global.js"></script>\n<script src="gallery-live.js"></script>\n' if live else ""
    return '<script src="gallery.js"></script>\n' + extra + "</body>\n</html>\n"


def _live(e: Entry) -> str:
    """The in-browser engine: edit config.ml, pick a target and keys, describe again (Pyodide)."""
    options = "".join(
        f'<option value="{esc(t)}"{" selected" if t == "unix" else ""}>{esc(t)}</option>' for t in TARGETS
    )
    return (
        '<section id="live">\n<h2>Edit and describe in your browser</h2>\n'
        "<p>The engine runs in this page (Python compiled to WebAssembly, loaded from this site only). "
        "Change the config, the target or the keys, then describe: the text is what "
        "<code>mirage describe</code> prints, computed here.</p>\n"
        f'<textarea id="live-config" spellcheck="false" rows="14">\n{esc(e.config_source)}</textarea>\n'
        f'<p class="live-controls"><label>target <select id="live-target">{options}</select></label> '
        '<label>keys <input id="live-keys" placeholder="--net=direct --utcp" size="30"></label> '
        '<button type="button" id="live-describe">describe in the browser</button></p>\n'
        '<p id="live-status" class="status" aria-live="polite"></p>\n'
        '<pre id="live-notices" class="notice"></pre>\n'
        '<pre id="live-out" class="describe"></pre>\n'
        '<div id="live-graph" class="graph-frame live"></div>\n'
        '<div id="live-files"></div>\n</section>\n'
    )


def _tokens(values: Iterable[str]) -> str:
    return " ".join(esc("-".join(v.split())) for v in values)


def _options(label: str, key: str, values: Sequence[str]) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    return (
        f'<label>{esc(label)} <select data-filter="{esc(key)}" id="filter-{esc(key)}">'
        f'<option value="">any</option>{opts}</select></label>'
    )


def index_html(entries: Sequence[Entry], *, lite: bool = False) -> str:
    """The index: a card per unikernel, with filters on device, concept and target (and the tutorials' link)."""
    devices = sorted({d for e in entries for d in e.devices})
    concepts = sorted({c for e in entries for c in e.concepts})
    targets = [t for t in TARGETS if any(t in e.good_targets for e in entries)]
    cards = []
    for e in entries:
        tags = "".join(f'<span class="tag concept">{esc(c)}</span>' for c in e.concepts)
        tags += "".join(f'<span class="tag device">{esc(d)}</span>' for d in e.devices)
        cards.append(
            f'<article class="card" data-slug="{esc(e.slug)}" data-devices="{_tokens(e.devices)}" '
            f'data-concepts="{_tokens(e.concepts)}" data-targets="{_tokens(e.good_targets)}">\n'
            f'<h2><a href="{esc(e.slug)}.html">{esc(e.name)}</a></h2>\n'
            f'<p class="dir">{esc(e.directory.name)}/</p>\n'
            f'<p class="summary">{esc(e.summary)}</p>\n'
            f'<p class="tags">{tags}</p>\n'
            f'<p class="targets">{len(e.good_targets)} of {len(e.targets)} targets configure</p>\n'
            "</article>"
        )
    return (
        _head("MirageOS unikernel gallery — mirage_nb")
        + '<body class="index">\n<header>\n<h1>MirageOS unikernel gallery</h1>\n'
        "<p>Each unikernel as the mirage_nb engine sees it: its config.ml and unikernel.py, "
        "what <code>mirage describe</code> and <code>mirage configure</code> give for every target, "
        "its device graph and a simulated run in virtual time.</p>\n"
        + (
            '<p class="lite"><a href="lite/lab/index.html?path=tutorials/00_welcome.ipynb">The tutorials in '
            "JupyterLab, in your browser</a> — Python runs in the page (Pyodide), nothing to install.</p>\n"
            if lite
            else ""
        )
        + "</header>\n"
        '<form class="filters" id="filters">'
        + _options("device", "devices", devices)
        + _options("concept", "concepts", concepts)
        + _options("target", "targets", targets)
        + f'<span id="shown" aria-live="polite">{len(entries)} of {len(entries)} shown</span></form>\n'
        + '<main class="cards" id="cards">\n'
        + "\n".join(cards)
        + "\n</main>\n"
        + _foot()
    )


def _packet_table(table: PacketTable) -> str:
    # The notebook's packet table (tshark's one-line view), cell for cell, in the gallery's own markup.
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in table.cells(r)) + "</tr>\n" for r in table.rows)
    return f'<table class="packets"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table>'


_GRAPH_CHOICES = (
    ("learner", "learner view"),
    ("eval", "evaluated (unix)"),
    ("full", "full graph"),
)


def _graph_section(graphs: dict[str, str]) -> str:
    """The device graph: the learner view first (when something folds), the faithful graphs one click away."""
    kinds = [k for k, _ in _GRAPH_CHOICES if k in graphs]
    first = kinds[0]
    buttons = "".join(
        f'<button type="button" class="graph-choice{" active" if k == first else ""}" data-graph="{k}">{label}</button>'
        for k, label in _GRAPH_CHOICES
        if k in graphs
    )
    learner = (
        "The learner view folds the devices every unikernel gets (the ones <code>register</code> adds) "
        "into one dashed node: click it, or <em>evaluated (unix)</em>, for every vertex. "
        if "learner" in graphs
        else ""
    )
    return (
        '<section id="graph">\n<h2>Device graph</h2>\n'
        f'<p class="hint">Drag to pan; the buttons zoom. {learner}The evaluated graph is what '
        "<code>mirage describe --eval --dot</code> draws for unix; the full graph keeps every "
        "<code>if_impl</code> choice.</p>\n"
        f'<div class="graph-controls">{buttons}'
        '<button type="button" data-zoom="out" aria-label="zoom out">−</button>'
        '<button type="button" data-zoom="reset">100%</button>'
        '<button type="button" data-zoom="in" aria-label="zoom in">+</button></div>\n'
        + "".join(
            f'<div class="graph-frame{" active" if k == first else ""}" data-graph="{k}">\n{graphs[k]}</div>\n'
            for k in kinds
        )
        + "</section>\n"
    )


def page_html(
    e: Entry,
    graphs: dict[str, str],
    packets: PacketTable | None,
    pcap_href: str | None,
    *,
    live: bool = False,
    diagram: SequenceDiagram | None = None,
) -> str:
    """One unikernel's page; ``graphs`` maps ``learner`` (when something folds), ``eval`` and ``full`` to inline
    SVG drawn by dot; ``packets`` and ``diagram`` are the run's capture as the notebook shows it; ``live`` adds
    the in-browser engine."""
    good = e.good_targets
    first = "unix" if "unix" in good else (good[0] if good else e.targets[0].target)
    tabs, panels = [], []
    for v in e.targets:
        active = v.target == first
        tabs.append(
            f'<button type="button" role="tab" class="tab{" active" if active else ""}{" failed" if v.error else ""}" '
            f'data-tab="{esc(v.target)}" aria-selected="{"true" if active else "false"}">{esc(v.target)}</button>'
        )
        if v.error is not None:
            inner = f'<p class="error">mirage configure -t {esc(v.target)} fails:</p>\n' + _pre(
                v.error, "error", f"error-{v.target}"
            )
        else:
            files = "\n".join(
                f"<details><summary>{esc(path)}</summary>\n{_pre(text, 'file')}\n</details>" for path, text in v.files
            )
            inner = (
                f"<h3>mirage describe -t {esc(v.target)}</h3>\n"
                + _pre(v.describe, "describe", f"describe-{v.target}")
                + f"\n<h3>The {len(v.files)} files <code>mirage configure -t {esc(v.target)}</code> writes</h3>\n"
                + files
            )
        panels.append(
            f'<div class="tab-panel{" active" if active else ""}" role="tabpanel" id="target-{esc(v.target)}" '
            f'data-target="{esc(v.target)}">\n{inner}\n</div>'
        )
    notices = (
        f'<p class="notice">Reading {esc(e.config_name)}, the tool says:</p>\n' + _pre(e.notices, "notice")
        if e.notices
        else ""
    )
    graph = _graph_section(graphs)
    t = e.transcript
    run = '<section id="run">\n<h2>Simulated run</h2>\n'
    if t.error is not None:
        run += '<p class="error">Not run:</p>\n' + _pre(t.error, "error")
    else:
        if t.peers:
            run += f'<p class="peers">On the virtual LAN: {esc(t.peers)}.</p>\n'
        run += (
            f"<p>The console of <code>{esc(t.command)}</code>, log lines stamped with virtual time:</p>\n"
            + _pre("\n".join(t.lines), "transcript", "transcript")
            + f'\n<p class="status">{esc(t.status)}</p>\n'
        )
        if t.record:
            run += (
                "<details><summary>Reproducibility record</summary>\n<p>What <code>mirage-nb run --record</code> "
                "writes for this run; <code>mirage-nb replay</code> prints the same console again, byte for "
                "byte, from it and the two files it digests:</p>\n"
                + _pre(t.record, "record", "record")
                + "\n</details>\n"
            )
    run += "</section>\n"
    net = ""
    if packets is not None:
        net = '<section id="network">\n<h2>Packets on the LAN</h2>\n'
        if pcap_href:
            net += f'<p><a class="pcap" href="{esc(pcap_href)}" download>Download the capture (pcap)</a>'
            net += " — open it in Wireshark.</p>\n"
        net += _packet_table(packets) if packets else "<p>No packets were captured.</p>"
        if packets and diagram is not None and diagram.messages:
            net += "\n<h3>Sequence diagram</h3>\n" + f'<div class="sequence">\n{diagram.to_svg()}\n</div>'
        net += "\n</section>\n"
    sources = '<section id="sources">\n<h2>Sources</h2>\n'
    sources += f"<h3>{esc(e.config_name)}</h3>\n" + _pre(e.config_source, "source ocaml", "source-config") + "\n"
    if e.unikernel_source is not None:
        sources += "<h3>unikernel.py</h3>\n" + _pre(e.unikernel_source, "source python", "source-unikernel") + "\n"
    for name, text in e.extra_sources:
        sources += f"<h3>{esc(name)}</h3>\n" + _pre(text, "source python") + "\n"
    sources += "</section>\n"
    return (
        _head(f"{e.name} — MirageOS unikernel gallery")
        + '<body class="page">\n<header>\n<p><a href="index.html">← all unikernels</a></p>\n'
        + f'<h1 id="name">{esc(e.name)}</h1>\n'
        + (f'<p class="summary">{esc(e.summary)}</p>\n' if e.summary else "")
        + f'<p class="dir">from {esc(e.directory.name)}/{esc(e.config_name)}</p>\n</header>\n'
        + notices
        + graph
        + '<section id="targets">\n<h2>Targets</h2>\n<div class="tabs" role="tablist">'
        + "".join(tabs)
        + "</div>\n"
        + "\n".join(panels)
        + "\n</section>\n"
        + (_live(e) if live else "")
        + run
        + net
        + sources
        + _foot(live)
    )
