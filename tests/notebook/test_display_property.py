"""Property tests: any learner-given text is escaped in HTML, and a display never raises."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.dsl import impl, job
from mirage_nb.notebook import GeneratedFiles, mimebundle

TEXT = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
ASCII = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40).filter(
    lambda s: s.strip() != ""
)
OUR_TAGS = {
    "div",
    "style",
    "pre",
    "p",
    "table",
    "tr",
    "th",
    "td",
    "code",
    "span",
    "details",
    "summary",
    "img",
    "small",
    "br",
    "b",
    "button",  # the graph view's buttons
    "script",  # only the graph view's own script: see only_our_script
}


def only_our_script(h: str) -> bool:
    """Every ``<script>`` in a display is the graph view's script shipped in the package, verbatim."""
    from mirage_nb.notebook._graphview import graph_view_js

    return h.count("<script") == h.count(f"<script>{graph_view_js()}</script>")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(h: str) -> _Collect:
    c = _Collect()
    c.feed(h)
    c.close()
    return c


KEY_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(name=st.one_of(ASCII, TEXT), doc=TEXT, keyname=KEY_NAME, default=st.text(max_size=20))
def test_device_text_is_escaped_and_display_never_raises(name, doc, keyname, default):
    k = K.create(keyname, K.Arg.opt(K.STRING, default, K.ArgInfo((keyname,), doc=doc)))
    t = impl(name, job, keys=[k], doc=doc)
    b = mimebundle(t, include={"text/plain", "text/html"})
    assert b["text/plain"]
    page = parse(b["text/html"])
    assert page.tags <= OUR_TAGS  # nothing the learner wrote became markup
    assert only_our_script(b["text/html"])
    if "mirage-nb-fallback" not in b["text/html"]:
        assert html.escape(name, quote=True) in b["text/html"]
        assert name in "".join(page.text)


@settings(max_examples=60, deadline=None)
@given(files=st.dictionaries(TEXT, st.text(max_size=200), max_size=4))
def test_generated_files_escape_paths_and_contents(files):
    h = mimebundle(GeneratedFiles(files))["text/html"]
    page = parse(h)
    assert page.tags <= OUR_TAGS
    text = "".join(page.text)
    for path, content in files.items():
        assert f"<code>{html.escape(path, quote=True)}</code>" in h
        assert path in text and content in text  # our highlighter keeps every character
