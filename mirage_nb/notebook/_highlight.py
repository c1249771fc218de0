"""Syntax highlighting of the files the notebook shows, by our own small lexers: the same bytes everywhere.

The displays used to embed pygments' markup, and pygments 2.21 escapes
quotes differently from 2.20: a committed notebook's HTML then depended on
whichever pygments the learner's environment happened to install, and nbval
failed on a fresh machine. The files shown are few and regular (what
``mirage configure`` writes, and the builder's config): OCaml, dune
s-expressions, a Makefile, opam files, Xen ``.xl``, libvirt XML, JSON, shell
and Python. Each has a lexer here that knows only what a reader needs to
see: keywords, strings, comments, numbers, and a few names (Makefile targets
and variables, opam fields, XML tags and attributes).

A lexer is a table of states, each a list of ``(pattern, class, next)``
rules tried as one alternation at every position; ``next`` pushes a state,
or ``"#pop"`` returns from one (OCaml's comments nest). Text no rule matches
is plain. Every piece of text is escaped with :func:`html.escape` (quotes
included), so stripping the tags and unescaping the entities gives the
input back exactly (tested as a property).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["LANGUAGES", "TOKEN_CSS", "INLINE_STYLE", "highlight_html", "tokens"]


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    cls: str | None
    next: str | None = None


_STRING = r'"(?:[^"\\]|\\.)*"'
_STRING_1LINE = r'"(?:[^"\\\n]|\\.)*"'
_SQ_1LINE = r"'(?:[^'\\\n]|\\.)*'"
_SPACE = _Rule(r"\s+", None)
_WORD = r"[A-Za-z_][A-Za-z0-9_']*"

_OCAML_KEYWORDS = frozenset(
    """and as assert asr begin class constraint do done downto else end exception external false for fun function
    functor if in include inherit initializer land lazy let lor lsl lsr lxor match method mod module mutable new
    nonrec object of open or private rec sig struct then to true try type val virtual when while with""".split()
)
_PYTHON_KEYWORDS = frozenset(
    """False None True and as assert async await break case class continue def del elif else except finally for
    from global if import in is lambda match nonlocal not or pass raise return try while with yield""".split()
)
_SHELL_KEYWORDS = frozenset(
    "if then elif else fi for while until do done case esac in function return exit export local".split()
)
_KEYWORDS = {"ocaml": _OCAML_KEYWORDS, "python": _PYTHON_KEYWORDS, "shell": _SHELL_KEYWORDS}
"""Languages whose identifiers (class ``w``) are keywords when they are in this set."""

_RULES: dict[str, dict[str, list[_Rule]]] = {
    "ocaml": {
        "root": [
            _SPACE,
            _Rule(r"\(\*", "c", "comment"),
            _Rule(r"(?m:^#[ \t]*\d+[^\n]*)", "c"),  # a line directive: # 23 "mirage/main.ml"
            _Rule(_STRING, "s"),
            _Rule(r"(?s:\{(?P<qid>[a-z_]*)\|.*?\|(?P=qid)\})", "s"),
            _Rule(r"'(?:[^'\\\n]|\\(?:[\\'\"ntbr ]|\d{3}|x[0-9a-fA-F]{2}|o[0-7]{3}))'", "s"),
            _Rule(_WORD, "w"),
            _Rule(r"0[xX][0-9a-fA-F_]+[lLn]?|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?[lLn]?", "n"),
        ],
        "comment": [
            _Rule(r"\(\*", "c", "comment"),
            _Rule(r"\*\)", "c", "#pop"),
            _Rule(r"[^(*]+|[(*]", "c"),
        ],
    },
    "python": {
        "root": [
            _SPACE,
            _Rule(r"#[^\n]*", "c"),
            _Rule(r"(?i:[rbuf]{0,2})(?s:\"\"\".*?\"\"\"|'''.*?''')", "s"),
            _Rule(r"(?i:[rbuf]{0,2})(?:" + _STRING_1LINE + "|" + _SQ_1LINE + ")", "s"),
            _Rule(r"[A-Za-z_][A-Za-z0-9_]*", "w"),
            _Rule(r"0[xXoObB][0-9a-fA-F_]+|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?j?", "n"),
        ],
    },
    "dune": {
        "root": [
            _SPACE,
            _Rule(r"#\|", "c", "block"),
            _Rule(r";[^\n]*", "c"),
            _Rule(_STRING, "s"),
            _Rule(r"%\{[^}\n]*\}", "v"),
            _Rule(r"(?<=\()[A-Za-z_][\w.\-#]*", "k"),  # the head of a stanza or field: (rule (target ...
            _Rule(r"[^\s()\";%]+", None),
        ],
        "block": [_Rule(r"\|#", "c", "#pop"), _Rule(r"[^|]+|\|", "c")],
    },
    "make": {
        "root": [
            _Rule(r"[ \t]+", None),
            _Rule(r"\n", None),
            _Rule(r"#[^\n]*", "c"),
            _Rule(r"(?m:^-?(?:s?include|ifn?eq|ifn?def|else|endif|define|endef|u?n?export|override|vpath)\b)", "k"),
            _Rule(r"(?m:^[A-Za-z_][\w.\-]*(?=[ \t]*[:?+!]?=))", "v"),
            _Rule(r"(?m:^[^\s#:=$][^:=#\n]*::?(?!=))", "t"),
            _Rule(r"\$\((?:[^()\n]|\([^()\n]*\))*\)|\$\{[^}\n]*\}|\$[@<^+?*%$]", "v"),
            _Rule(_STRING_1LINE + "|" + _SQ_1LINE, "s"),
            _Rule(r"[^\s#$\"']+", None),
        ],
    },
    "opam": {
        "root": [
            _SPACE,
            _Rule(r"#[^\n]*", "c"),
            _Rule(r"\(\*", "c", "comment"),
            _Rule(r'(?s:""".*?""")', "s"),
            _Rule(_STRING, "s"),
            _Rule(r"(?m:^[a-z][\w\-]*(?=:))", "k"),
            _Rule(r"[^\s\"#(]+|\(", None),
        ],
        "comment": [_Rule(r"\*\)", "c", "#pop"), _Rule(r"[^*]+|\*", "c")],
    },
    "xl": {
        "root": [
            _SPACE,
            _Rule(r"#[^\n]*", "c"),
            _Rule(_STRING_1LINE + "|" + _SQ_1LINE, "s"),
            _Rule(r"@[A-Z_]+@", "v"),  # a placeholder of the .xl.in template
            _Rule(r"(?m:^[A-Za-z_][\w.]*(?=[ \t]*=))", "k"),
            _Rule(r"\d+", "n"),
            _Rule(r"[A-Za-z_][\w.]*", None),
        ],
    },
    "shell": {
        "root": [
            _SPACE,
            _Rule(r"(?<!\S)#[^\n]*", "c"),
            _Rule(_STRING + "|'[^']*'", "s"),
            _Rule(r"\$\{[^}\n]*\}|\$\(|\$[A-Za-z_]\w*|\$[@#?$!*0-9\-]", "v"),
            _Rule(r"[A-Za-z_][\w\-]*", "w"),
            _Rule(r"\d+\b", "n"),
        ],
    },
    "xml": {
        "root": [
            _SPACE,
            _Rule(r"(?s:<!--.*?-->)", "c"),
            _Rule(r"(?s:<\?.*?\?>)", "c"),
            _Rule(r"(?s:<!\[CDATA\[.*?\]\]>)", "s"),
            _Rule(r"</?[\w:.\-]+", "t", "tag"),
            _Rule(r"&#?\w+;", "v"),
            _Rule(r"[^<&\s]+", None),
        ],
        "tag": [
            _SPACE,
            _Rule(r"/?>", "t", "#pop"),
            _Rule(r"[\w:.\-]+(?=\s*=)", "a"),
            _Rule(r'"[^"]*"|' + r"'[^']*'", "s"),
        ],
    },
    "json": {
        "root": [
            _SPACE,
            _Rule(_STRING_1LINE + r"(?=\s*:)", "t"),
            _Rule(_STRING_1LINE, "s"),
            _Rule(r"\b(?:true|false|null)\b", "k"),
            _Rule(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", "n"),
        ],
    },
    "text": {"root": []},
}

_ALIASES = {"scheme": "dune", "sexp": "dune", "makefile": "make", "sh": "shell", "bash": "shell", "xen": "xl"}

LANGUAGES = tuple(sorted(_RULES))
"""The languages :func:`highlight_html` knows (others are shown as plain escaped text)."""

_COLOURS = {
    "k": ("#008000", "font-weight:bold", "keyword"),
    "s": ("#ba2121", "", "string"),
    "c": ("#408080", "font-style:italic", "comment"),
    "n": ("#666666", "", "number"),
    "t": ("#0000ff", "font-weight:bold", "tag"),
    "v": ("#19177c", "", "variable-2"),
    "a": ("#7d9029", "", "attribute"),
}

INLINE_STYLE = {cls: ";".join(filter(None, (f"color:{hex_}", extra))) for cls, (hex_, extra, _) in _COLOURS.items()}
"""Each token class's colour as an inline style: what an untrusted notebook shows (JupyterLab keeps inline
``color: #hex`` but drops ``<style>`` elements and ``var()``)."""

TOKEN_CSS = "".join(
    f"\n.mirage-nb .mnb-{cls} {{ color: var(--jp-mirror-editor-{name}-color, {hex_}) !important; }}"
    for cls, (hex_, _, name) in _COLOURS.items()
)
"""In a trusted notebook, the theme's editor colours win over the inline ones, so a dark theme stays readable."""


def _compile(rules: list[_Rule]) -> re.Pattern[str] | None:
    if not rules:
        return None
    return re.compile("|".join(f"(?P<_{i}>{r.pattern})" for i, r in enumerate(rules)))


_COMPILED = {
    lang: {state: (_compile(rules), rules) for state, rules in states.items()} for lang, states in _RULES.items()
}


def _language(name: str) -> str | None:
    name = name.lower()
    name = _ALIASES.get(name, name)
    return name if name in _RULES else None


def tokens(text: str, language: str) -> Iterator[tuple[str | None, str]]:
    """``(class, text)`` pieces of ``text``, in order; their texts joined are ``text`` exactly.

    The class is one of k(eyword), s(tring), c(omment), n(umber), t (a name
    defined: target, field, tag), v(ariable), a(ttribute), or None (plain).
    """
    lang = _language(language) or "text"
    keywords = _KEYWORDS.get(lang, frozenset())
    states = _COMPILED[lang]
    stack = ["root"]
    pos = plain = 0
    n = len(text)
    while pos < n:
        pattern, rules = states[stack[-1]]
        m = pattern.match(text, pos) if pattern is not None else None
        if m is None or m.end() == pos:
            pos += 1
            continue
        rule = rules[int(str(m.lastgroup)[1:])]
        if plain < pos:
            yield None, text[plain:pos]
        cls = rule.cls
        if cls == "w":
            cls = "k" if m.group() in keywords else None
        yield cls, m.group()
        pos = plain = m.end()
        if rule.next == "#pop":
            if len(stack) > 1:
                stack.pop()
        elif rule.next is not None:
            stack.append(rule.next)
    if plain < n:
        yield None, text[plain:]


def highlight_html(text: str, language: str) -> str:
    """``text`` as HTML spans of the token classes (``mnb-k``...), every piece escaped the same way.

    Each span carries its class (themed by :data:`TOKEN_CSS`) and an inline
    colour (:data:`INLINE_STYLE`) for when the ``<style>`` is not applied.
    """
    out: list[str] = []
    run_cls: str | None = None
    run: list[str] = []

    def flush() -> None:
        if run:
            body = html.escape("".join(run), quote=True)
            out.append(
                f'<span class="mnb-{run_cls}" style="{INLINE_STYLE[run_cls]}">{body}</span>' if run_cls else body
            )
            run.clear()

    for cls, piece in tokens(text, language):
        if cls != run_cls:
            flush()
            run_cls = cls
        run.append(piece)
    flush()
    return "".join(out)
