"""The ``mirage`` tool's manual pages, laid out as cmdliner lays them out in plain text.

``mirage configure --help=plain`` and ``mirage help configure`` print a man
page that cmdliner builds from the command's arguments: every option the
command line accepts is documented in a section (``MIRAGE PARAMETERS``,
``CONFIGURE OPTIONS``, ``COMMON OPTIONS``...), so the page depends on the
application's keys. Here the pages are built from the very option tables
the parser uses (:data:`~mirage_nb.functoria.request.COMMON`,
:data:`~mirage_nb.functoria.request.VERB_OPTS` and the keys' ``ArgInfo``), so
help can never disagree with parsing: an option without documentation is
a bug this module refuses to print. Which keys a page documents is given
to it as data by the command line (:mod:`mirage_nb.functoria.tool`, which
loads the config through the reader its caller hands it): nothing here
reads a file.

The model follows cmdliner's: a command has a name, a one-line doc, a list
of man blocks and arguments (:class:`ArgDoc`); the page is assembled by
inserting generated sections into the hand-written ones in cmdliner's
order, then rendered by OCaml's Format at 78 columns (the port in
:mod:`mirage_nb.functoria.fmt`). ``$(b,...)``/``$(i,...)`` markup and the
``$(mname)``/``$(docv)``/``$(opt)`` variables are expanded as cmdliner does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from mirage_nb.errors import MirageNbError

from . import keys as K
from .cmdline import CmdlineError, Opt, err_pos_excess, parse, render_error, spell
from .cmdliner_words import doc_alts, quote_alts
from .fmt import Formatter
from .queries import QUERY_KINDS

__all__ = [
    "ArgDoc",
    "CmdDoc",
    "HelpError",
    "MAN_FORMAT",
    "HELP_TOPICS",
    "page",
    "render_plain",
    "render_groff",
    "markup_to_groff",
    "man_blocks",
    "verb_command",
    "main_command",
    "key_arg",
    "keys_for",
    "synopsis",
    "usage_synopsis",
    "error_text",
    "ansi_styles",
    "show",
    "toplevel",
    "help_about",
    "check_command_line",
    "documented_keys",
    "own_keys",
    "tool_of",
    "Tool",
    "verb_opts",
    "markup_to_plain",
    "subst_vars",
]

# -- sections, in cmdliner's order -----------------------------------------------------------

S_NAME = "NAME"
S_SYNOPSIS = "SYNOPSIS"
S_DESCRIPTION = "DESCRIPTION"
S_COMMANDS = "COMMANDS"
S_ARGUMENTS = "ARGUMENTS"
S_OPTIONS = "OPTIONS"
S_COMMON_OPTIONS = "COMMON OPTIONS"
S_EXIT_STATUS = "EXIT STATUS"
S_ENVIRONMENT = "ENVIRONMENT"
S_SEE_ALSO = "SEE ALSO"
_S_NONE = "cmdliner-none"
_ORDER = [
    S_NAME,
    S_SYNOPSIS,
    S_DESCRIPTION,
    "",  # sections a page creates land here, after the description
    S_COMMANDS,
    S_ARGUMENTS,
    S_OPTIONS,
    S_COMMON_OPTIONS,
    S_EXIT_STATUS,
    S_ENVIRONMENT,
    "FILES",
    "EXAMPLES",
    "BUGS",
    "AUTHORS",
    S_SEE_ALSO,
    _S_NONE,
]
_ORDER_SYNOPSIS = 1
_ORDER_CREATED = 3

# functoria's sections (lib/functoria/cli.ml).
CONFIGURE_SECTION = "CONFIGURE OPTIONS"
QUERY_SECTION = "QUERY OPTIONS"
DESCRIBE_SECTION = "DESCRIBE OPTIONS"
RUN_SECTION = "RUN OPTIONS"


class HelpError(MirageNbError):
    """An option the parser accepts has no documentation (a bug in mirage_nb's tables)."""


# -- cmdliner's documentation markup ----------------------------------------------------------


def escape(s: str) -> str:
    """Protect text from the markup (``Cmdliner.Manpage.escape``)."""
    return "".join("\\" + c if c in "\\$)" else c for c in s)


def _doc_alts(alts: Sequence[str]) -> str:
    """``Arg.doc_alts``: ``one of $(b,a), $(b,b) or $(b,c)``, each alternative escaped."""
    return doc_alts([escape(a) for a in alts])


def subst_vars(s: str, subst: Callable[[str], str | None]) -> str:
    """Replace ``$(name)`` variables; ``$(b,...)``/``$(i,...)`` markup is kept as it is."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            out.append(s[i : i + 2])
            i += 2
            continue
        if c == "$" and i + 1 < n and s[i + 1] == "(":
            if i + 3 < n and s[i + 3] == ",":
                j = i + 4
                while j < n and s[j] != ")":
                    j += 2 if s[j] == "\\" else 1
                out.append(s[i : j + 1])
                i = j + 1
                continue
            j = s.find(")", i + 2)
            if j < 0:
                out.append(s[i:])
                break
            v = subst(s[i + 2 : j])
            out.append("undefined" if v is None else v)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def markup_to_plain(s: str, *, styled: bool = False) -> str:
    """``$(b,x)`` → ``x`` (bold/underlined with ANSI escapes when ``styled``), escapes undone."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            out.append(s[i + 1])
            i += 2
            continue
        if c == "$" and i + 3 < n and s[i + 1] == "(" and s[i + 3] == "," and s[i + 2] in "bi":
            if styled:
                out.append("\x1b[01m" if s[i + 2] == "b" else "\x1b[04m")
            j = i + 4
            while j < n and s[j] != ")":
                if s[j] == "\\" and j + 1 < n:
                    j += 1
                out.append(s[j])
                j += 1
            if styled:
                out.append("\x1b[m")
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


# -- the model ----------------------------------------------------------------------------------

Block = tuple[str, ...]  # ("S", name) | ("P", text) | ("Pre", text) | ("I", label, text) | ("Noblank",)


@dataclass(frozen=True)
class ArgDoc:
    """What the man page and the usage line say about one argument (cmdliner's ``Arg_info``).

    ``names`` are spelled (``-t``, ``--target``); none for a positional.
    ``absent`` is the printed default (``absent=...``; empty: not shown;
    ``None``: the argument is required); ``absent_doc`` replaces it with
    documentation markup. ``vopt`` is the value of a ``--help[=FMT]``-style
    option given bare.
    """

    names: tuple[str, ...]
    doc: str = ""
    docv: str = ""
    docs: str = S_OPTIONS
    kind: str = "flag"  # "flag" | "opt" | "vopt" | "pos"
    absent: str | None = ""
    absent_doc: str | None = None
    vopt: str = ""
    env: str | None = None
    env_doc: str = "See option $(opt)."
    pos_start: int = 0
    pos_len: int | None = 1

    @property
    def is_opt(self) -> bool:
        return bool(self.names)

    @property
    def is_req(self) -> bool:
        return self.absent is None

    def name_sample(self) -> str:
        """The first long name, else the first name (how cmdliner refers to the option)."""
        return next((n for n in self.names if len(n) > 2), self.names[0])

    def subst(self, outer: Callable[[str], str | None]) -> Callable[[str], str | None]:
        def f(var: str) -> str | None:
            if var == "docv":
                return f"$(i,{escape(self.docv or 'VAL')})"
            if var == "opt" and self.is_opt:
                return f"$(b,{escape(self.name_sample())})"
            if var == "env" and self.env is not None:
                return f"$(b,{escape(self.env)})"
            return outer(var)

        return f


@dataclass(frozen=True)
class CmdDoc:
    """A command as its man page sees it: name, tagline, hand-written blocks, arguments, children."""

    name: str
    doc: str
    man: tuple[Block, ...]
    args: tuple[ArgDoc, ...]
    children: tuple[CmdDoc, ...] = ()
    has_args: bool = True
    version: str | None = None
    docs: str = S_COMMANDS


# -- ordering rules ---------------------------------------------------------------------------


def _order_key(a: ArgDoc) -> tuple[int, str]:
    """cmdliner's ``order_args``: options (by their greatest name, dashes trimmed) before positionals."""
    if a.is_opt:
        k = max(a.names).lower()
        if len(k) > 1 and k[1] == "-":
            k = k[1:]
        return (0, k)
    return (1, a.docv.lower())


def _section_order(sec: str, unknown: int) -> int:
    return _ORDER.index(sec) if sec in _ORDER else unknown


class _Sections:
    """cmdliner's section map: hand-written sections in place, generated ones inserted in order."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.secs: list[list[Any]] = []  # [name, order, blocks] in document order
        name, order = "", _section_order("", _ORDER_SYNOPSIS)
        body: list[Block] = []
        rest = list(blocks)
        if rest and rest[0][0] == "S":
            name = rest.pop(0)[1]
            order = _section_order(name, _ORDER_SYNOPSIS)
        for b in rest:
            if b[0] == "S":
                self.secs.append([name, order, body])
                name, order, body = b[1], _section_order(b[1], order), []
            else:
                body.append(b)
        self.secs.append([name, order, body])

    def has(self, sec: str) -> bool:
        return any(s[0] == sec for s in self.secs)

    def append(self, sec: str, block: Block) -> None:
        for s in reversed(self.secs):
            if s[0] == sec:
                s[2].append(block)
                return
        o = _section_order(sec, _ORDER_CREATED)
        lower = [s[1] for s in self.secs if s[1] < o]
        if not lower:
            self.secs.insert(0, [sec, o, [block]])
            return
        target = max(lower)
        at = max(i for i, s in enumerate(self.secs) if s[1] == target)
        self.secs.insert(at + 1, [sec, o, [block]])

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        for name, _o, body in self.secs:
            if not body or name == _S_NONE:
                continue
            if name:
                out.append(("S", name))
            out.extend(body)
        return out


# -- synopses -------------------------------------------------------------------------------


def _opt_syn(a: ArgDoc, name: str) -> str:
    var = a.docv or "VAL"
    if a.kind == "flag":
        return f"$(b,{escape(name)})"
    if a.kind == "vopt":
        if len(name) > 2:
            return f"$(b,{escape(name)})[=$(i,{escape(var)})]"
        return f"$(b,{escape(name)}) [$(i,{escape(var)})]"
    if len(name) > 2:
        return f"$(b,{escape(name)})=$(i,{escape(var)})"
    return f"$(b,{escape(name)}) $(i,{escape(var)})"


def _pos_syn(a: ArgDoc) -> str:
    v = f"$(i,{escape(a.docv or 'ARG')})"
    v = v if a.is_req else f"[{v}]"
    if a.pos_len is None:
        return v + "…"
    return " ".join([v] * a.pos_len)


def synopsis(cmd: CmdDoc, ancestors: Sequence[CmdDoc] = (), *, show_help: bool = False) -> str:
    """The SYNOPSIS line (markup): ``$(b,mirage configure) [$(i,OPTION)]…``."""
    inv = escape(" ".join([c.name for c in reversed(ancestors)] + [cmd.name]))
    helps = " [$(b,--help)]" if show_help else ""
    if cmd.children:
        sub = "[$(i,COMMAND)]" if cmd.has_args else "$(i,COMMAND)"
        return f"$(b,{inv}){helps} {sub} …"
    listed = [
        a
        for a in cmd.args
        if a.is_opt and a.docs == S_OPTIONS and not any(n in ("--help", "--version") for n in a.names)
    ]
    opts = "[$(i,OPTION)]…"
    if 0 < len(listed) <= 3:
        syn = []
        for a in sorted(listed, key=_order_key):
            s = _opt_syn(a, a.name_sample())
            syn.append(s if a.is_req else f"[{s}]")
        opts = " ".join([*syn, opts])
    pos = sorted((a for a in cmd.args if not a.is_opt), key=lambda a: a.pos_start)
    pargs = "".join(" " + _pos_syn(a) for a in pos)
    return f"$(b,{inv}){helps} {opts}{pargs}"


def usage_synopsis(cmd: CmdDoc, ancestors: Sequence[CmdDoc] = (), *, styled: bool = False) -> str:
    """The synopsis printed after ``Usage:`` on a command-line error (with ``[--help]``)."""
    return markup_to_plain(synopsis(cmd, ancestors, show_help=True), styled=styled)


# -- the page's generated parts ------------------------------------------------------------------


def _cmd_subst(cmd: CmdDoc, ancestors: Sequence[CmdDoc]) -> Callable[[str], str | None]:
    main = ancestors[-1] if ancestors else cmd
    names = [c.name for c in reversed(ancestors)] + [cmd.name]

    def f(var: str) -> str | None:
        if var in ("tname", "cmd.name"):
            return f"$(b,{escape(cmd.name)})"
        if var in ("mname", "tool"):
            return f"$(b,{escape(main.name)})"
        if var in ("iname", "cmd"):
            return f"$(b,{escape(' '.join(names))})"
        if var == "cmd.parent":
            parents = [c.name for c in reversed(ancestors)] or [main.name]
            return f"$(b,{escape(' '.join(parents))})"
        return None

    return f


_EXITS = [
    ("0", "on success."),
    ("123", "on indiscriminate errors reported on standard error."),
    ("124", "on command line parsing errors."),
    ("125", "on unexpected internal errors (bugs)."),
]


def _arg_item(a: ArgDoc, subst: Callable[[str], str | None]) -> Block:
    asub = a.subst(subst)
    if a.is_opt:
        label = ", ".join(_opt_syn(a, n) for n in sorted(a.names, reverse=True))
    else:
        label = f"$(i,{escape(a.docv)})"

    def or_env(value: bool) -> str:
        if a.env is None:
            return ""
        return f"{' or' if value else 'absent '} $(b,{escape(a.env)}) env"

    if a.absent is None:
        absent = "required"
    elif a.absent_doc is not None:
        absent = f"absent={subst_vars(a.absent_doc, asub)}{or_env(True)}"
    elif a.absent == "":
        absent = or_env(False)
    else:
        absent = f"absent=$(b,{escape(a.absent)}){or_env(True)}"
    vopt = f"default=$(b,{escape(a.vopt)})" if a.kind == "vopt" else ""
    parts = [p for p in (vopt, absent) if p]
    argvdoc = "".join(f" ({p})" for p in parts)
    return ("I", label + argvdoc, subst_vars(a.doc, asub))


def man_blocks(cmd: CmdDoc, ancestors: Sequence[CmdDoc] = ()) -> list[Block]:
    """The page's blocks: the command's own, with the generated sections put in place."""
    subst = _cmd_subst(cmd, ancestors)
    sm = _Sections(cmd.man)
    if not sm.has(S_NAME):
        tname = "-".join([c.name for c in reversed(ancestors)] + [cmd.name])
        tag = f" - {cmd.doc}" if cmd.doc else ""
        sm.append(S_NAME, ("P", escape(tname) + tag))
    if not sm.has(S_SYNOPSIS):
        sm.append(S_SYNOPSIS, ("P", synopsis(cmd, ancestors)))
    has_env, has_exit = sm.has(S_ENVIRONMENT), sm.has(S_EXIT_STATUS)
    # COMMANDS
    for sec in sorted({c.docs for c in cmd.children}):
        for c in sorted((c for c in cmd.children if c.docs == sec), key=lambda c: synopsis(c)):
            sm.append(sec, ("I", synopsis(c), c.doc))
    # arguments, by section then in cmdliner's order
    shown = [a for a in cmd.args if a.is_opt or (a.docv and a.doc)]
    for sec in sorted({a.docs for a in shown}):
        for a in sorted((a for a in shown if a.docs == sec), key=_order_key):
            sm.append(sec, _arg_item(a, subst))
    # EXIT STATUS
    if not has_exit:
        sm.append(S_EXIT_STATUS, ("P", "$(cmd) exits with:"))
    for code, doc in _EXITS:
        sm.append(S_EXIT_STATUS, ("I", code, doc))
    # ENVIRONMENT
    envs: dict[str, Block] = {}
    for a in cmd.args:
        if a.env is not None and a.env not in envs:
            envs[a.env] = ("I", f"$(b,{escape(a.env)})", subst_vars(a.env_doc, a.subst(subst)))
    if envs and not has_env:
        sm.append(S_ENVIRONMENT, ("P", "These environment variables affect the execution of $(cmd):"))
    for var in sorted(envs):
        sm.append(S_ENVIRONMENT, envs[var])
    # SEE ALSO: the tool's own page, from a sub-command's page.
    if ancestors:
        sm.append(S_SEE_ALSO, ("P", f"{escape(ancestors[-1].name)}(1)"))
    return [_subst_block(b, subst) for b in sm.blocks()]


def _subst_block(b: Block, subst: Callable[[str], str | None]) -> Block:
    return (b[0], *(subst_vars(x, subst) for x in b[1:]))


# -- plain rendering ---------------------------------------------------------------------------


def _tokens(ppf: Formatter, s: str) -> None:
    """``Fmt.tokens ~spaces:true``: words separated by break hints, white runs collapsed."""
    n = len(s)
    i = start = 0
    while True:
        while i < n and s[i] not in " \n\r\t":
            i += 1
        ppf.string(s[start:i])
        if i >= n:
            return
        ppf.space()
        while i < n and s[i] in " \n\r\t":
            i += 1
        if i >= n:
            return
        start = i


def render_plain(blocks: Sequence[Block]) -> str:
    """The page as ``--help=plain`` prints it (cmdliner's plain layout, through Format at 78 columns)."""
    ppf = Formatter()
    ppf.open_box("v", 0)
    items = list(blocks)
    i = 0
    while i < len(items):
        b = items[i]
        i += 1
        kind = b[0]
        if kind == "Noblank":
            continue
        if kind == "S":
            ppf.open_box("b", 0)
            _tokens(ppf, markup_to_plain(b[1]))
            ppf.close_box()
            ppf.cut()
            continue
        if kind == "P":
            ppf.string(" " * 7)
            ppf.open_box("b", 0)
            _tokens(ppf, markup_to_plain(b[1]))
            ppf.close_box()
            ppf.cut()
        elif kind == "Pre":
            ppf.string(" " * 7)
            ppf.open_box("b", 0)
            lines = markup_to_plain(b[1]).split("\n")
            for k, line in enumerate(lines):
                if k:
                    ppf.force_newline()
                ppf.string(line)
            ppf.close_box()
            ppf.cut()
        elif kind == "I":
            label, text = markup_to_plain(b[1]), markup_to_plain(b[2])
            ppf.open_box("b", 0)
            ppf.string(" " * 7)
            ppf.open_box("b", 0)
            _tokens(ppf, label)
            ppf.close_box()
            if text:
                ll = len(label.encode("utf-8"))
                if ll < 4:
                    ppf.string(" " * (4 - ll))
                else:
                    ppf.force_newline()
                    ppf.string(" " * 11)
                ppf.open_box("b", 0)
                _tokens(ppf, text)
                ppf.close_box()
            ppf.close_box()
            ppf.cut()
        if not (i < len(items) and items[i][0] == "Noblank"):
            ppf.cut()
    ppf.close_box()
    return ppf.contents()


# -- groff rendering ---------------------------------------------------------------------------


def markup_to_groff(s: str) -> str:
    """Markup to groff: ``$(b,x)`` → ``\\fBx\\fR``; ``. ' - \\`` escaped as cmdliner 2.1 escapes them."""

    def esc(c: str) -> str:
        if c == "-":
            return "\\-"
        if c in ".'\\":
            return f"\\N'{ord(c)}'"
        return c

    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            out.append(esc(s[i + 1]))
            i += 2
            continue
        if c == "$" and i + 3 < n and s[i + 1] == "(" and s[i + 3] == ",":
            out.append("\\fB" if s[i + 2] == "b" else "\\fI")
            j = i + 4
            while j < n and s[j] != ")":
                if s[j] == "\\" and j + 1 < n:
                    j += 1
                out.append(esc(s[j]))
                j += 1
            out.append("\\fR")
            i = j + 1
            continue
        out.append(esc(c))
        i += 1
    return "".join(out)


def _groff_tokens(s: str) -> str:
    return " ".join(s.split()) if s.strip() else s.strip()


def render_groff(blocks: Sequence[Block], title: tuple[str, int, str, str, str]) -> str:
    """The page as ``--help=groff`` prints it (for ``groff -m man`` or ``man -l``)."""
    name, sec, a1, a2, a3 = title
    parts = [
        '.\\" Pipe this output to groff -m man -K utf8 -T utf8 | less -R\n',
        '.\\"\n',
        ".mso an.tmac\n",
        f'.TH "{name}" {sec} "{a1}" "{a2}" "{a3}"\n',
        '.\\" Disable hyphenation and ragged-right\n',
        ".nh\n",
        ".ad l",
    ]
    for b in blocks:
        kind = b[0]
        if kind == "P":
            parts.append("\n.P\n" + _groff_tokens(markup_to_groff(b[1])))
        elif kind == "Pre":
            parts.append("\n.P\n.nf\n" + markup_to_groff(b[1]) + "\n.fi")
        elif kind == "S":
            parts.append("\n.SH " + _groff_tokens(markup_to_groff(b[1])))
        elif kind == "Noblank":
            parts.append("\n.sp -1")
        elif kind == "I":
            parts.append(
                "\n.TP 4\n" + _groff_tokens(markup_to_groff(b[1])) + "\n" + _groff_tokens(markup_to_groff(b[2]))
            )
    return "".join(parts)


# -- mirage's commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    """Documentation of one option of the tables in tool.py, keyed by its first name."""

    doc: str
    docs: str
    docv: str = ""
    absent: str = ""
    env: str | None = None


_VERB_SECTION = "<verb>"  # depext & extra-repos: CONFIGURE OPTIONS, or QUERY OPTIONS under query

_LEVELS = ["quiet", "error", "warning", "info", "debug"]
_MAN_FORMATS = ["auto", "pager", "groff", "plain"]


def _man_fmts_doc(what: str) -> str:
    return (
        f"Show {what} in format $(docv). The value $(docv) must be {_doc_alts(_MAN_FORMATS)}. "
        "With $(b,auto), the format is $(b,pager) or $(b,plain) whenever the $(b,TERM) env var is "
        "$(b,dumb) or undefined."
    )


_DOCS: dict[str, _Doc] = {
    "f": _Doc("The configuration file to use.", CONFIGURE_SECTION, "FILE", "config.ml"),
    "context-file": _Doc("The context file to use.", CONFIGURE_SECTION, "FILE", "{mname}.context"),
    "o": _Doc("Name of the output file.", CONFIGURE_SECTION, "FILE"),
    "dry-run": _Doc("Display I/O actions instead of executing them.", CONFIGURE_SECTION),
    "color": _Doc(
        f"Colorize the output. $(docv) must be {_doc_alts(['auto', 'always', 'never'])}.",
        S_COMMON_OPTIONS,
        "WHEN",
        "auto",
    ),
    "q": _Doc("Be quiet. Takes over $(b,-v) and $(b,--verbosity).", S_COMMON_OPTIONS),
    "v": _Doc("Increase verbosity. Repeatable, but more than twice does not bring more.", S_COMMON_OPTIONS),
    "verbosity": _Doc(
        f"Be more or less verbose. $(docv) must be {_doc_alts(_LEVELS)}. Takes over $(b,-v).",
        S_COMMON_OPTIONS,
        "LEVEL",
        "warning",
    ),
    "help": _Doc(_man_fmts_doc("this help"), S_COMMON_OPTIONS, "FMT"),
    "version": _Doc("Show version information.", S_COMMON_OPTIONS),
    "depext": _Doc("Enable call to `opam depext' in the project Makefile.", _VERB_SECTION),
    "no-depext": _Doc("Disable call to `opam depext' in the project Makefile.", _VERB_SECTION),
    "extra-repos": _Doc(
        "Additional opam-repositories to use when using `opam monorepo lock' to gather local sources. "
        "Default: https://github.com/dune-universe/opam-overlays.git.",
        _VERB_SECTION,
        "NAME1:URL1,NAME2:URL2,...",
        "opam-overlays:https://github.com/dune-universe/opam-overlays.git",
        "MIRAGE_EXTRA_REPOS",
    ),
    "no-extra-repo": _Doc("Disable the use of any overlay repository.", _VERB_SECTION),
    "eval": _Doc(
        "Fully evaluate the graph before showing it. The default when the unikernel has already been configured.",
        DESCRIBE_SECTION,
    ),
    "no-eval": _Doc(
        "Do not evaluate the graph before showing it. See $(b,--eval). The default when the unikernel has "
        "not been configured.",
        DESCRIBE_SECTION,
    ),
    "dot": _Doc(
        "Output a dot description. If no output file is given, it will display the dot file using the  command  "
        "given to $(b,--dot-command). Use in combination with $(b,--output=-) (short version: $(b,-o-)) to "
        "display the dot file on stdout.",
        DESCRIBE_SECTION,
    ),
    "dot-command": _Doc(
        "Command used to show a dot file. This command should accept a dot file on its standard input.",
        DESCRIBE_SECTION,
        "COMMAND",
        "xdot",
    ),
    "man-format": _Doc(_man_fmts_doc("output"), S_OPTIONS, "FMT", "pager"),
    # mirage-nb's own verb: simulate the unikernel.
    "seed": _Doc("Seed of the simulation's random numbers; the same seed gives the same run.", RUN_SECTION, "SEED"),
    "until": _Doc(
        "Stop the simulation when the virtual clock reaches $(docv) (e.g. $(b,10s), $(b,500ms)).",
        RUN_SECTION,
        "DURATION",
    ),
    "record": _Doc(
        "Write the run's reproducibility record (versions, target, keys, boot arguments, digests of the "
        "config and the code, seed, limits) to $(docv), as JSON; $(b,mirage-nb replay) $(docv) runs it again.",
        RUN_SECTION,
        "FILE",
    ),
    "opam-repository": _Doc(
        "The opam-repository commit the unikernel is built against, kept in the $(b,--record) file.",
        RUN_SECTION,
        "COMMIT",
    ),
}


def _man_format(s: str) -> str:
    if s in _MAN_FORMATS:
        return s
    raise K.ConvError(f"invalid FMT value '{s}', expected {quote_alts(_MAN_FORMATS)}")


MAN_FORMAT = Opt(("man-format",), "man_format", parse=_man_format)

# The verbs of the real tool, in the order functoria declares them (Cli.eval).
_REAL_VERBS = ("configure", "describe", "query", "clean", "help")
#: What ``mirage help topics`` prints (cmdliner lists main's commands in reverse).
HELP_TOPICS = tuple(reversed(_REAL_VERBS))

_VERB_INFO: dict[str, tuple[str, tuple[Block, ...]]] = {
    "configure": (
        "Configure a $(mname) application.",
        (("S", S_DESCRIPTION), ("P", "The $(b,configure) command initializes a fresh $(mname) application.")),
    ),
    "query": (
        "Query information about the $(mname) application.",
        (("S", S_DESCRIPTION), ("P", "The $(b,query) command queries information about the $(mname) application.")),
    ),
    "describe": (
        "Describe a $(mname) application.",
        (
            ("S", S_DESCRIPTION),
            ("P", "The $(b,describe) command describes the configuration of a $(mname) application."),
            ("P", "The dot output contains the following elements:"),
            ("Noblank",),
            ("I", "If vertices", "Represented as circles. Branches are dotted, and the default branch is in bold."),
            ("Noblank",),
            (
                "I",
                "Configurables",
                "Represented as rectangles. The order of the output arrows is the order of the functor arguments.",
            ),
            ("Noblank",),
            ("I", "Data dependencies", "Represented as dashed arrows."),
            ("Noblank",),
            ("I", "App vertices", "Represented as diamonds. The bold arrow is the functor part."),
        ),
    ),
    "clean": (
        "Clean the files produced by $(mname) for a given application.",
        (("S", S_DESCRIPTION), ("P", "Clean the files produced by $(mname) for a given application.")),
    ),
    "help": (
        "Display help about $(mname) commands.",
        (
            ("S", S_DESCRIPTION),
            ("P", "Prints help."),
            ("P", "Use `$(mname) help topics' to get the full list of help topics."),
        ),
    ),
    "run": (
        "Simulate a $(mname) application.",
        (
            ("S", S_DESCRIPTION),
            (
                "P",
                "The $(b,run) command configures the application and runs it in $(b,mirage-nb)'s simulator, "
                "on a virtual clock: a unikernel that sleeps an hour finishes at once.",
            ),
        ),
    ),
}


def verb_opts(verb: str) -> list[Opt]:
    """The options a verb's command line takes, beyond the common ones (as the parser sees them)."""
    from .request import DEPEXT, DESCRIBE, VERB_OPTS

    if verb == "help":
        # functoria's help term also takes the configure and --eval options.
        evals = [o for o in DESCRIBE if o.dest == "eval"]
        return [*DEPEXT, *evals, MAN_FORMAT]
    return list(VERB_OPTS[verb])


def _common_opts() -> list[Opt]:
    from .request import COMMON

    return list(COMMON)


def _opt_arg(o: Opt, verb: str, mname: str) -> ArgDoc:
    d = _DOCS.get(o.names[0])
    if d is None:
        raise HelpError(f"option {spell(o.names[0])} has no documentation in mirage_nb.functoria.help")
    docs = d.docs
    if docs == _VERB_SECTION:
        docs = QUERY_SECTION if verb == "query" else CONFIGURE_SECTION
    kind = {"flag": "flag", "optional": "vopt", "value": "opt"}[o.takes]
    return ArgDoc(
        tuple(spell(n) for n in o.names),
        doc=d.doc,
        docv=d.docv,
        docs=docs,
        kind=kind,
        absent=d.absent.format(mname=mname),
        vopt=str(o.vopt) if kind == "vopt" else "",
        env=d.env,
    )


def _conv_docv(conv: K.Conv | None) -> str:
    """The docv cmdliner's converter would give (string: none; lists: ``X[,…]``)."""
    if conv is None:
        return ""
    base = "" if conv.name.startswith("string") else conv.docv
    return base + "[,…]" if conv.name.endswith(" list") else base


def key_arg(k: K.Key) -> ArgDoc:
    """How a configure-time key is documented (functoria's ``Key.Arg.to_cmdliner``)."""
    info = k.arg.info
    names = tuple(spell(n) for n in (info.names or (k.name,)))
    docs = info.docs or S_OPTIONS
    docv = info.docv or _conv_docv(k.arg.conv)
    common: dict[str, Any] = {"doc": info.doc, "docv": docv, "docs": docs, "env": info.env}
    if k.arg.kind == "flag":
        return ArgDoc(names, kind="flag", absent="", **common)
    if k.arg.kind == "required":
        return ArgDoc(names, kind="opt", absent=None, **common)
    if k.arg.kind == "opt_all":
        return ArgDoc(names, kind="opt", absent="", **common)
    return ArgDoc(names, kind="opt", absent=k.arg.print(k.default), **common)


def _dedupe_keys(keys: Sequence[K.Key]) -> list[K.Key]:
    """One key per name (functoria's ``Key.Names``), first in name order."""
    out: dict[str, K.Key] = {}
    for k in K.sort_keys(keys):
        out.setdefault(k.name, k)
    return list(out.values())


def _positionals(verb: str) -> list[ArgDoc]:
    if verb == "query":
        doc = f"The information to query. $(docv) must be {quote_alts(QUERY_KINDS)}"
        return [ArgDoc((), doc=doc, docv="INFO", docs=CONFIGURE_SECTION, kind="pos", absent="packages")]
    if verb == "help":
        return [ArgDoc((), doc="The topic to get help on.", docv="TOPIC", docs=S_ARGUMENTS, kind="pos")]
    return []


def verb_command(verb: str, keys: Sequence[K.Key] = (), *, mname: str = "mirage") -> CmdDoc:
    """The documented command for a verb: its options, positionals and the application's keys."""
    if verb not in _VERB_INFO:
        raise HelpError(f"no help for the command '{verb}'")
    doc, man = _VERB_INFO[verb]
    args = [_opt_arg(o, verb, mname) for o in [*_common_opts(), *verb_opts(verb)]]
    args += [key_arg(k) for k in _dedupe_keys(keys)]
    args += _positionals(verb)
    return CmdDoc(verb, doc, man, tuple(args))


_MAIN_ARGS = ("color", "q", "v", "verbosity", "help", "version")


def main_command(
    keys: Sequence[K.Key] = (), *, mname: str = "mirage", version: str = "", children: bool = True
) -> CmdDoc:
    """The tool itself: the page ``mirage`` prints with no command.

    Without ``children`` it only names the tool, as the parent of a verb's page needs.
    """
    args = [_opt_arg(o, "", mname) for o in _common_opts() if o.names[0] in _MAIN_ARGS]
    verbs = _REAL_VERBS if children else ()
    subs = tuple(verb_command(v, keys, mname=mname) for v in verbs)
    man: tuple[Block, ...] = (
        ("S", S_DESCRIPTION),
        (
            "P",
            "The $(mname) application builder. It glues together a set of libraries and configuration (e.g. "
            "network and storage) into a standalone unikernel or UNIX binary.",
        ),
        ("P", "Use $(mname) $(b,help <command>) for more information on a specific command."),
    )
    return CmdDoc(mname, "The $(mname) application builder", man, tuple(args), subs, True, version)


def page(
    verb: str | None, keys: Sequence[K.Key] = (), *, mname: str = "mirage", version: str = "", fmt: str = "plain"
) -> str:
    """The man page of ``verb`` (``None``: the tool's own page), for these keys.

    ``fmt`` is ``plain`` or ``groff``; ``auto`` and ``pager`` print plain
    text (mirage-nb never starts a pager).
    """
    main = main_command(keys, mname=mname, version=version, children=not verb)
    cmd, ancestors = (main, []) if not verb else (verb_command(verb, keys, mname=mname), [main])
    blocks = man_blocks(cmd, ancestors)
    if fmt == "groff":
        exec_ = mname.capitalize()
        title = "-".join([mname, verb] if verb else [mname]).upper()
        return render_groff(
            blocks, (escape(title), 1, "", escape(f"{exec_} {main.version}"), escape(f"{exec_} Manual"))
        )
    return render_plain(blocks)


# -- which keys a page documents ---------------------------------------------------------------


def keys_for(app: Any, verb: str, args: Sequence[str], *, cached_args: Sequence[str] = ()) -> list[K.Key]:
    """The keys the real tool documents for ``verb``: the ``If`` keys and the keys left after simplifying.

    As ``config.exe`` does, the ``If`` keys are peeked from the command line
    (over the cached context) to simplify the graph; ``describe`` keeps the
    ``If``s unless ``--eval`` or a cached context says otherwise.
    """
    from .app import all_keys
    from .impl import simplify
    from .request import context_of, key_opts

    opts = [*_common_opts(), *verb_opts(verb)]
    if_opts = key_opts(app.if_keys)

    def peeked(argv: Sequence[str]) -> K.Context:
        # A value that does not parse leaves the peeked context empty (eval_peek_opts fails).
        try:
            return context_of(parse(argv, opts + if_opts, peek=True), app.if_keys)
        except CmdlineError:
            return K.Context()

    base = peeked(args).merge_under(peeked(cached_args))
    full = True
    if verb == "describe":
        ev = parse(args, opts, peek=True).get("eval")
        full = bool(cached_args) if ev is None else ev
    simplified = simplify(app.root, full=full, context=base)
    return _dedupe_keys([*app.if_keys, *all_keys(simplified)])


# -- errors as cmdliner prints them --------------------------------------------------------------


def error_text(
    err: CmdlineError,
    verb: str | None,
    keys: Sequence[K.Key] = (),
    *,
    mname: str = "mirage",
    styled: bool | None = None,
) -> str:
    """The stderr text of a command-line error: the usage line (when cmdliner prints one) and the message.

    ``styled`` defaults to cmdliner's rule: ANSI styles unless ``NO_COLOR``
    is set or ``TERM`` is ``dumb`` or unset (whether stderr is a terminal
    does not matter).
    """
    if styled is None:
        styled = ansi_styles()
    usage = None
    if err.usage:
        cmd = err.command if err.command is not None else verb
        main = main_command(keys, mname=mname, children=not (cmd and cmd in _VERB_INFO))
        if cmd and cmd in _VERB_INFO:
            usage = usage_synopsis(verb_command(cmd, keys, mname=mname), [main], styled=styled)
        else:
            usage = usage_synopsis(main, styled=styled)
    msg = _style_message(err.msg) if styled else err.msg
    text = render_error(mname, msg, usage)
    if err.then is not None:
        # Printed by functoria through Fmt, which colours only a terminal: plain here, as the CLI's others.
        text += err.then + "\n"
    return text


def ansi_styles(env: Mapping[str, str] | None = None) -> bool:
    """cmdliner's choice of styled (ANSI) or plain messages, from the environment."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    return env.get("TERM") not in (None, "dumb")


_REASONS = (
    "unknown",
    "invalid",
    "missing",
    "ambiguous",
    "too many arguments",
    "needs an argument",
    "cannot be repeated",
    "cannot be present at the same time",
    "cannot take the argument",
)


def _style_message(msg: str) -> str:
    """Quoted words in bold (without their quotes) and the reasons in red, as cmdliner styles them."""
    msg = re.sub(r"(?<![A-Za-z])'([^']*)'", "\x1b[01m\\1\x1b[m", msg)
    for reason in _REASONS:
        msg = re.sub(rf"\b{reason}\b", f"\x1b[31m{reason}\x1b[m", msg)
    return msg


# -- the pages a command line asks for (its keys given as data) ----------------------------------


def help_about(verb: str, args: Sequence[str]) -> str:
    """The verb whose keys a help request documents: ``help X`` documents X as ``X --help`` does."""
    if verb == "help" and not _has_help_option(args):
        pos = parse(args, [*_common_opts(), *verb_opts("help")], peek=True).positionals
        return pos[0] if pos and pos[0] in _VERB_INFO else verb
    return verb


def show(out: TextIO, verb: str, args: Sequence[str], keys: Sequence[K.Key], tool: Tool) -> int:
    """Print the help a ``--help`` or a ``help`` verb asks for; the exit status is returned.

    ``keys`` are the keys to document (the command line found them: the
    config's, see :func:`keys_for`, or the tool's own without a config) and
    ``tool`` the tool's name and version. A bad ``help`` topic raises
    :class:`CmdlineError` (without usage line).
    """
    mname, version = tool
    args = list(args)
    if verb != "help" or _has_help_option(args):
        out.write(page(verb, keys, mname=mname, version=version, fmt=_help_format(args)))
        return 0
    # the help verb: [--man-format=FMT] [TOPIC]
    parsed = parse(args, [*_common_opts(), *verb_opts("help"), *_key_opts(keys)])
    if len(parsed.positionals) > 1:
        raise CmdlineError(err_pos_excess(parsed.positionals[1:]))
    topic = parsed.positionals[0] if parsed.positionals else None
    fmt = parsed.get("man_format", "pager")
    if topic is None:
        out.write(page(None, keys, mname=mname, version=version, fmt=fmt))
    elif topic == "topics":
        out.write("".join(t + "\n" for t in HELP_TOPICS))
    elif topic in _REAL_VERBS or topic == "run":
        out.write(page(topic, keys, mname=mname, version=version, fmt=fmt))
    else:
        alts = [*reversed(HELP_TOPICS), "topics"]
        raise CmdlineError(f"invalid value '{topic}', expected {quote_alts(alts)}", usage=False)
    return 0


def toplevel(
    args: Sequence[str], out: TextIO, keys: Sequence[K.Key], tool: Tool, *, then: Callable[[], str | None]
) -> int:
    """``mirage`` without a command: the tool's page, ``--version``, or an error against its usage.

    ``then()`` is the line printed after an error (the missing config file, if it is).
    """
    mname, version = tool
    main_opts = [o for o in _common_opts() if o.names[0] in _MAIN_ARGS]
    peeked = parse(args, main_opts, peek=True)
    if peeked.has("help"):
        out.write(page(None, keys, mname=mname, version=version, fmt=_help_format(args)))
        return 0
    if peeked.has("version"):
        out.write(f"{version}\n")
        return 0
    try:
        parsed = parse(args, main_opts)
    except CmdlineError as e:
        raise CmdlineError(e.msg, command="", then=then()) from None
    if parsed.positionals:
        raise CmdlineError(err_pos_excess(parsed.positionals), command="", then=then())
    out.write(page(None, keys, mname=mname, version=version))
    return 0


def check_command_line(verb: str, args: Sequence[str], keys: Sequence[K.Key], *, then: str) -> None:
    """Parse a verb's command line against ``keys``, as functoria does with no config file.

    A mistake raises :class:`CmdlineError` whose ``then`` line is ``then``
    (the missing-file message); a correct command line returns.
    """
    opts = [*_common_opts(), *verb_opts(verb), *_key_opts(keys)]
    try:
        parsed = parse(args, opts)
        pos = parsed.positionals
        if verb == "query" and pos and pos[0] not in QUERY_KINDS:
            alts = quote_alts(QUERY_KINDS)
            raise CmdlineError(f"INFO argument: invalid value '{pos[0]}', expected {alts}")
        excess = pos[1:] if verb in ("query", "help") else pos
        if excess:
            raise CmdlineError(err_pos_excess(excess))
    except CmdlineError as e:
        e.then = then
        raise


Tool = tuple[str, str]  # the tool's name and version, as its pages show them


def tool_of(project: Any) -> Tool:
    """The name and version a tool's pages show."""
    return (getattr(project, "name", None) or "mirage", getattr(project, "version", None) or "")


def own_keys(project: Any) -> list[K.Key]:
    """With no config, the tool's own keys (functoria's ``handle_parse_args_no_config``)."""
    if project is None:
        return []
    from .app import all_keys

    return _dedupe_keys(all_keys(project.create([])))


def documented_keys(app: Any, verb: str, args: Sequence[str], cached_args: Sequence[str] = ()) -> list[K.Key]:
    """The keys the page of ``verb`` documents for ``app`` (a verb without a page documents configure's)."""
    return keys_for(app, verb if verb in _VERB_INFO else "configure", args, cached_args=cached_args)


def file_option(args: Sequence[str]) -> str | None:
    """The config file ``-f`` names, if any (cmdliner's first look)."""
    given: str | None = parse(args, _common_opts(), peek=True).get("file")
    return given


def context_file_option(args: Sequence[str]) -> str | None:
    """The cached context ``--context-file`` names, if any."""
    given: str | None = parse(args, _common_opts(), peek=True).get("context_file")
    return given


def _help_format(args: Sequence[str]) -> str:
    """``--help[=FMT]``'s format; a bad FMT still shows the help (cmdliner falls back to auto)."""
    fmt = parse(args, _common_opts(), peek=True).get("help", "auto")
    return fmt if fmt in _MAN_FORMATS else "auto"


def _has_help_option(args: Sequence[str]) -> bool:
    return parse(args, _common_opts(), peek=True).has("help")


def _key_opts(keys: Sequence[K.Key]) -> list[Opt]:
    from .request import key_opts

    return key_opts(list(keys))
