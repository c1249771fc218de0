"""The static gallery: one page per unikernel, the engine's own bytes per target, escaping, determinism."""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mirage_nb.cli import main as cli_main
from mirage_nb.gallery.collect import EXAMPLES_DIR, TARGETS, bundled_dirs
from mirage_nb.gallery.site import build
from mirage_nb.loader import load_config
from mirage_nb.sim.net.capture_view import packet_rows, packet_table, sequence_diagram
from mirage_nb.sim.net.pcap import read_pcap

from .conftest import HOSTILE_LOG, HOSTILE_NAME

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


class _Pres(HTMLParser):
    """The text of every element with an id, and every card's data attributes, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self.cards: list[dict[str, str]] = []
        self.refs: list[str] = []
        self.pres: set[str] = set()
        self._stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for k in ("src", "href"):
            if k in a:
                self.refs.append(a[k])
        if tag == "article" and "card" in a.get("class", ""):
            self.cards.append(a)
        if tag not in ("br", "meta", "link", "img", "input"):
            self._stack.append(a.get("id"))
            if a.get("id"):
                self.by_id[a["id"]] = ""
                if tag == "pre":
                    self.pres.add(a["id"])

    def handle_endtag(self, tag: str) -> None:
        if self._stack and tag not in ("br", "meta", "link", "img", "input"):
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._stack:
            if ident:
                self.by_id[ident] += data


def parse(path: Path) -> _Pres:
    p = _Pres()
    p.feed(path.read_text(encoding="utf-8"))
    # As a browser does (and Python's parser does not): a newline right after <pre> is not part of the text.
    p.by_id = {k: v[1:] if k in p.pres and v.startswith("\n") else v for k, v in p.by_id.items()}
    return p


def engine_app(directory: Path):
    """The application as ``mirage-nb describe`` run inside ``directory`` sees it."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return load_config("config.ml")
    finally:
        os.chdir(cwd)


def describe_in(directory: Path, target: str) -> str:
    app = engine_app(directory)
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        return str(app.describe(target=target))
    finally:
        os.chdir(cwd)


@needs_dot
def test_one_page_per_unikernel_and_one_card_each(site: Path) -> None:
    names = sorted(d.name for d in bundled_dirs())
    assert len(names) >= 18
    pages = sorted(p.stem for p in site.glob("*.html") if p.name not in ("index.html", "catalog.html"))
    assert pages == sorted([*names, "hostile"])
    cards = parse(site / "index.html").cards
    assert sorted(c["data-slug"] for c in cards) == pages
    by_slug = {c["data-slug"]: c for c in cards}
    # The filter data: what the index's selects match against.
    assert "network" in by_slug["network"]["data-concepts"].split()
    assert "netif" in by_slug["network"]["data-devices"].split()
    assert "storage" in by_slug["block"]["data-concepts"].split()
    assert "muen" not in by_slug["block"]["data-targets"].split()  # Block devices are not supported on Muen
    assert set(by_slug["hello"]["data-targets"].split()) == set(TARGETS)


@needs_dot
@pytest.mark.parametrize("name", ["hello", "network", "kv_ro", "littlefs"])
def test_each_target_tab_holds_the_engines_describe_bytes(site: Path, name: str) -> None:
    page = parse(site / f"{name}.html")
    for t in ("unix", "hvt", "xen", "unikraft-qemu"):
        assert page.by_id[f"describe-{t}"] == describe_in(EXAMPLES_DIR / name, t)


@needs_dot
def test_a_target_the_engine_refuses_shows_its_error(site: Path) -> None:
    page = parse(site / "block.html")
    assert page.by_id["error-muen"] == "Block devices not supported on Muen target."
    assert "describe-muen" not in page.by_id


@needs_dot
def test_page_shows_configure_files_graph_run_and_sources(site: Path) -> None:
    text = (site / "hello.html").read_text()
    files = dict(engine_app(EXAMPLES_DIR / "hello").configure(target="hvt"))
    assert "<summary>mirage/main.ml</summary>" in text and "<summary>mirage/hello-hvt.opam</summary>" in text
    start = text.index('id="target-hvt"')
    end = text.index('class="tab-panel', start)
    assert len(files) == text.count("<details><summary>", start, end)
    assert text.count("<svg") == 3 and "<!--" not in text and "<?xml" not in text
    assert "unikernel__2" in re.sub(r"<[^>]+>", "", text[text.index("<svg") :])
    page = parse(site / "hello.html")
    assert page.by_id["transcript"].splitlines()[0] == "2025-01-01T00:00:00Z: [INFO] [application] hello"
    assert page.by_id["source-config"] == (EXAMPLES_DIR / "hello" / "config.ml").read_text()
    assert page.by_id["source-unikernel"] == (EXAMPLES_DIR / "hello" / "unikernel.py").read_text()


def test_the_run_record_on_a_page_replays_its_transcript(site: Path, tmp_path: Path) -> None:
    from mirage_nb.lab import replay

    page = parse(site / "hello.html")
    record = json.loads(page.by_id["record"])
    assert (record["config"], record["code"], record["seed"]) == ("config.ml", "unikernel.py", 0)
    assert record["mirage"] == "4.11.1" and record["config_digest"].startswith("sha256:")
    shutil.copytree(EXAMPLES_DIR / "hello", tmp_path / "hello")
    (tmp_path / "hello" / "run.json").write_text(page.by_id["record"])
    assert replay(tmp_path / "hello" / "run.json").lines == page.by_id["transcript"].splitlines()


def _frame(text: str, kind: str) -> str:
    start = text.index(f'data-graph="{kind}">\n<svg')
    return html.unescape(text[start : text.index("</svg>", start)])  # dot writes a class's "-" as "&#45;"


@needs_dot
def test_the_graph_opens_on_the_learner_view_with_the_faithful_graphs_a_click_away(site: Path) -> None:
    text = (site / "network.html").read_text()
    assert '<button type="button" class="graph-choice active" data-graph="learner">learner view</button>' in text
    assert 'data-graph="eval">evaluated (unix)</button>' in text and 'data-graph="full">full graph</button>' in text
    learner, evaluated = _frame(text, "learner"), _frame(text, "eval")
    nodes = re.compile(r'<g id="[^"]*" class="node[ "]')
    assert learner.count('class="node mnb-fold"') == 1 and "devices every unikernel gets" in learner
    assert 1 < len(nodes.findall(learner)) < len(nodes.findall(evaluated))
    # What the learner chose stays in view; what `register` adds to every unikernel is folded away.
    shown = {w.strip() for w in re.findall(r">([^<>]+)</text>", learner)}
    every = {w.strip() for w in re.findall(r">([^<>]+)</text>", evaluated)}
    assert {"Unikernel.Main", "Netif", "Tcp.Flow.Make", "Ethernet.Make"} <= shown, shown
    assert {"Mirage_logs", "Mirage_sleep", "Mirage_crypto_rng_mirage"} <= every - shown


@needs_dot
class _Cells(HTMLParser):
    """The cells of a page's packet table, row by row, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._in_table = self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "packets") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


def _table_cells(page: Path) -> list[list[str]]:
    p = _Cells()
    p.feed(page.read_text())
    return p.rows


def test_network_pages_have_a_packet_table_and_a_pcap(site: Path) -> None:
    for name in ("network", "ping6"):
        pcap = (site / "pcap" / f"{name}.pcap").read_bytes()
        frames = read_pcap(pcap)
        assert frames
        text = (site / f"{name}.html").read_text()
        assert f'href="pcap/{name}.pcap" download' in text
        assert text.count("<tr><td>") == len(frames)
        cells = _table_cells(site / f"{name}.html")
        assert cells[0] == ["No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"]
        # The notebook's table, cell for cell: the gallery has no dissector of its own.
        assert cells[1:] == [list(map(str, packet_table(pcap).cells(r))) for r in packet_rows(pcap)]
        assert [c[0] for c in cells[1:]] == [str(i) for i in range(1, len(frames) + 1)]
        assert 'class="mirage-nb-sequence"' in text
    rows = _table_cells(site / "network.html")[1:]
    assert any(r[4] == "ARP" and r[6] == "who-has 10.0.0.2 tell 10.0.0.1" for r in rows)
    syn = [r for r in rows if r[4] == "TCP" and "[SYN]" in r[6] and r[3] == "10.0.0.2"]
    assert syn and re.match(r"\d+ → 8080 \[SYN\] Seq=0 Win=\d+ Len=0 MSS=\d+", syn[0][6]), syn
    assert any(r[4] == "TCP" and "[SYN, ACK] Seq=0 Ack=1 " in r[6] and r[2] == "10.0.0.2" for r in rows)
    assert "[application] new tcp connection from IP 10.0.0.1" in parse(site / "network.html").by_id["transcript"]
    assert any(r[4] == "ICMPv6" and r[6].startswith("Echo (ping) reply") for r in _table_cells(site / "ping6.html"))
    # The sequence diagram names each host by its address, and draws the handshake between them.
    diagram = sequence_diagram((site / "pcap" / "network.pcap").read_bytes())
    assert {"10.0.0.1", "10.0.0.2"} <= set(diagram.hosts)
    assert diagram.to_svg() in (site / "network.html").read_text()
    assert not (site / "pcap" / "hello.pcap").exists()


@needs_dot
def test_hostile_names_render_as_text(site: Path) -> None:
    for p in site.rglob("*.html"):
        raw = p.read_text()
        assert "<script>alert" not in raw and "<img src=x" not in raw and "<svg onload" not in raw, p
        assert len(re.findall(r"<script\b", raw)) == 1 and '<script src="gallery.js"></script>' in raw
    page = parse(site / "hostile.html")
    assert page.by_id["name"] == HOSTILE_NAME
    assert HOSTILE_LOG in page.by_id["transcript"]
    assert page.by_id["describe-hvt"].startswith(f"Name       {HOSTILE_NAME}\n")
    assert "&lt;svg onload=alert(3)&gt;.py" in (site / "hostile.html").read_text()
    assert any(c["data-slug"] == "hostile" for c in parse(site / "index.html").cards)


@needs_dot
def test_pages_refer_only_to_files_of_the_site(site: Path) -> None:
    for p in site.glob("*.html"):
        for ref in parse(p).refs:
            if ref == "data:,":  # the empty icon: it keeps the browser from asking for /favicon.ico
                continue
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", ref, re.I), (p.name, ref)
            assert (site / ref).is_file(), (p.name, ref)


@needs_dot
def test_building_twice_gives_the_same_bytes(tmp_path: Path, hostile_dir: Path) -> None:
    dirs = [EXAMPLES_DIR / n for n in ("network", "ping6", "littlefs", "kv_ro")] + [hostile_dir]
    build(tmp_path / "a", dirs, bundled=False)
    build(tmp_path / "b", dirs, bundled=False)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 2 + 5 + 2 + 1 + 1  # css, js, pages, pcaps, index, marker
    for f in files_a:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert str(tmp_path) not in "".join((tmp_path / "a" / f).read_text(errors="replace") for f in files_a)
    assert str(EXAMPLES_DIR) not in (tmp_path / "a" / "littlefs.html").read_text()


@needs_dot
def test_cli_builds_and_refuses_a_directory_that_is_not_a_gallery(tmp_path: Path, hostile_dir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["gallery", "build", str(tmp_path / "site"), "--no-bundled", str(hostile_dir)], out, err) == 0
    assert "[ 1/1] hostile" in err.getvalue()
    assert (tmp_path / "site" / "hostile.html").is_file()
    # Building again into the same site replaces it.
    assert cli_main(["gallery", "build", str(tmp_path / "site"), "--no-bundled", "-q", str(hostile_dir)], out, err) == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    err = io.StringIO()
    assert cli_main(["gallery", "build", str(tmp_path / "mine"), "--no-bundled", str(hostile_dir)], out, err) == 1
    assert "is not empty" in err.getvalue() and (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    err = io.StringIO()
    assert cli_main(["gallery", "build", str(tmp_path / "x"), "--no-bundled", str(tmp_path / "nope")], out, err) == 1
    assert "is not a directory" in err.getvalue()


@needs_dot
def test_a_config_with_a_mistake_stops_the_build_and_says_where(tmp_path: Path, hostile_dir: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.ml").write_text('open Mirage\nlet () = register "x" [ main "U" jobb ]\n')
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["gallery", "build", str(tmp_path / "site"), "--no-bundled", str(broken)], out, err) == 1
    assert f"in {broken}: config.ml:2:34: Unbound value jobb" in err.getvalue()
    # The half-built directory is still the gallery's own: the next build may replace it.
    assert cli_main(["gallery", "build", str(tmp_path / "site"), "--no-bundled", "-q", str(hostile_dir)], out, err) == 0
