"""Our own highlighter: what each language's lexer marks, the round trip to the input, and no pygments.

The committed notebooks embed this HTML, so it must be the same bytes on
every machine: it is produced by mirage_nb alone, whatever pygments (if
any) is installed.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.notebook._highlight import LANGUAGES, highlight_html, tokens


def marked(text: str, language: str) -> dict[str, list[str]]:
    """The pieces of ``text`` each token class got (plain pieces left out)."""
    out: dict[str, list[str]] = {}
    for cls, piece in tokens(text, language):
        if cls is not None:
            out.setdefault(cls, []).append(piece)
    return out


def plain_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


# -- the round trip, as a property ------------------------------------------------------------

# Text made of the characters the lexers care about, so that every rule (and its failure) is reached.
_ALPHABET = st.sampled_from(
    list("abcXYZ_019 \t\n\"'`()[]{}<>&;:=#*%$@!?|\\/.-+,")
    + ["(*", "*)", "<!--", "-->", '"""', "#|", "|#", "{id|", "|id}", "$(", "%{", "é", "↳", "\x1b"]
)
_TEXT = st.lists(_ALPHABET, max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT | st.text(max_size=60), language=st.sampled_from([*LANGUAGES, "scheme", "unknown"]))
def test_highlighted_html_is_the_input_once_tags_are_stripped(text, language):
    pieces = list(tokens(text, language))
    assert "".join(p for _, p in pieces) == text
    markup = highlight_html(text, language)
    assert plain_text(markup) == text
    assert not re.search(r"<(?!/?span\b)", markup), "the only tags are our spans"
    assert '"' not in re.sub(r'<span class="mnb-[a-z]" style="[^"<>]*">', "", markup), "every quote is escaped"


@settings(max_examples=100, deadline=None)
@given(text=_TEXT, language=st.sampled_from(LANGUAGES))
def test_highlighting_is_a_function_of_its_input(text, language):
    assert highlight_html(text, language) == highlight_html(text, language)


# -- what each language marks -------------------------------------------------------------------


def test_ocaml():
    src = 'let x = "a \\" b" (* one (* nested *) comment *) in\n# 23 "mirage/main.ml"\nf \'c\' \'a 0x1F 3.5 {q|raw|q}'
    got = marked(src, "ocaml")
    assert got["k"] == ["let", "in"]
    assert got["s"] == ['"a \\" b"', "'c'", "{q|raw|q}"]
    assert "".join(got["c"]) == '(* one (* nested *) comment *)# 23 "mirage/main.ml"'
    assert got["n"] == ["0x1F", "3.5"]
    assert highlight_html('let s = "it\'s"', "ocaml") == (
        '<span class="mnb-k" style="color:#008000;font-weight:bold">let</span> s = '
        '<span class="mnb-s" style="color:#ba2121">&quot;it&#x27;s&quot;</span>'
    )


def test_dune():
    src = ';; Generated\n(rule\n (target app)\n (enabled_if (= %{context_name} "default"))\n (copy_files# x))'
    got = marked(src, "dune")
    assert got["c"] == [";; Generated"]
    assert got["k"] == ["rule", "target", "enabled_if", "copy_files#"]
    assert got["v"] == ["%{context_name}"] and got["s"] == ['"default"']
    assert marked("(a #| b |# c)", "scheme")["c"] == ["#|", " b ", "|#"]


def test_makefile():
    src = '# top\n-include Makefile.user\nOPAM = opam\nall::\n\t@$(MAKE) build\n\techo "$(OPAM) x" # c\nbuild: a\n'
    got = marked(src, "make")
    assert got["c"] == ["# top", "# c"]
    assert got["k"] == ["-include"]
    assert got["t"] == ["all::", "build:"]
    assert got["v"] == ["OPAM", "$(MAKE)"]
    assert got["s"] == ['"$(OPAM) x"']


def test_opam():
    src = '# Generated\nopam-version: "2.0"\ndescription: """\nmulti\n"""\ndepends: [ "lwt" { >= "5.0" } ]\n'
    got = marked(src, "opam")
    assert got["k"] == ["opam-version", "description", "depends"]
    assert got["s"] == ['"2.0"', '"""\nmulti\n"""', '"lwt"', '"5.0"']
    assert got["c"] == ["# Generated"]


def test_xl():
    got = marked("name = '@NAME@'\nmemory = @MEMORY@\nvcpus = 1\n# a comment\n", "xl")
    assert got["k"] == ["name", "memory", "vcpus"]
    assert got["s"] == ["'@NAME@'"] and got["v"] == ["@MEMORY@"] and got["n"] == ["1"]
    assert got["c"] == ["# a comment"]


def test_xml():
    src = "<?xml version='1.0'?>\n<domain type='xen'>\n <!-- note -->\n <name>a &amp; b</name><clock/>\n</domain>"
    got = marked(src, "xml")
    assert got["c"] == ["<?xml version='1.0'?>", "<!-- note -->"]
    assert got["t"] == ["<domain", ">", "<name", ">", "</name", ">", "<clock", "/>", "</domain", ">"]
    assert got["a"] == ["type"] and got["s"] == ["'xen'"] and got["v"] == ["&amp;"]


def test_json_shell_python():
    got = marked('{"type": "solo5", "n": -1.5, "ok": true}', "json")
    assert got["t"] == ['"type"', '"n"', '"ok"'] and got["s"] == ['"solo5"']
    assert got["n"] == ["-1.5"] and got["k"] == ["true"]
    got = marked('if [ "$X" ]; then echo ${Y} $1; fi # done\n', "shell")
    assert got["k"] == ["if", "then", "fi"] and got["s"] == ['"$X"'] and got["v"] == ["${Y}", "$1"]
    assert got["c"] == ["# done"]
    got = marked('from m import *\ndef f(x=1):  # c\n    return """doc"""\n', "python")
    assert got["k"] == ["from", "import", "def", "return"] and got["s"] == ['"""doc"""']
    assert got["c"] == ["# c"] and got["n"] == ["1"]


def test_unknown_language_is_escaped_plain_text():
    assert highlight_html('<a href="x">', "cobol") == "&lt;a href=&quot;x&quot;&gt;"


# -- no third-party highlighter on the path --------------------------------------------------------

_BUNDLES = """
import json, sys
from mirage_nb.loader import load_config
from mirage_nb.notebook import files, mimebundle
app = load_config("mirage_nb/examples/app_info/config.ml")
out = [mimebundle(app), mimebundle(files(app, "xen")), mimebundle(files(app, "hvt"))]
print(json.dumps(out, sort_keys=True))
"""


def test_displays_do_not_depend_on_pygments():
    """The same bytes whether pygments is importable or not: nothing of it reaches a display."""
    root = Path(__file__).resolve().parents[2]

    def bundles(prelude: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", prelude + _BUNDLES], cwd=root, capture_output=True, text=True, check=True
        ).stdout

    without = bundles("import sys; sys.modules['pygments'] = None\n")
    assert bundles("") == without
    shown = json.loads(without.splitlines()[-1])
    assert all("mnb-code" in b["text/html"] and "mnb-k" in b["text/html"] for b in shown[1:])
