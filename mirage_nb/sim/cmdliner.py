"""A twin of the part of Cmdliner (2.x) that unikernels use for their boot arguments.

A unikernel declares its runtime arguments with
``Mirage_runtime.register_arg Arg.(value & opt string "Hello World!" doc)``;
the Python twin is ``Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.string,
"Hello World!", doc)))``. At boot, :func:`parse` reads the run's argv as
Cmdliner does: ``--name=value``, ``--name value``, ``-n value``, ``-nvalue``,
flags, ``--`` and the same error texts (``unknown option '--helo'. Did you
mean '--hello'?``, ``option '--port': invalid value 'x', expected an
integer``...). Option names match exactly (Cmdliner 2 dropped prefix
matching). ``--help`` yields a man-like page; its layout follows Cmdliner's
plain-text man pages but is not byte-identical (written down as a
deviation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.functoria.cmdliner_words import edit_distance, quote_alts, suggest

__all__ = [
    "Conv",
    "Info",
    "ArgSpec",
    "Arg",
    "ParseOk",
    "ParseHelp",
    "ParseError",
    "parse",
    "usage",
    "edit_distance",
    "suggest",
    "man_page",
]


class ConvError(Exception):
    """A converter rejected a value; the message is Cmdliner's."""


@dataclass(frozen=True)
class Conv:
    """Twin of ``'a Arg.conv``: a parser from the command line string, a printer and a doc variable."""

    parse: Callable[[str], Any]
    show: Callable[[Any], str]
    docv: str

    def __repr__(self) -> str:
        return f"<conv {self.docv or 'VAL'}>"


def _parse_int(bits: int, what: str) -> Callable[[str], int]:
    def p(s: str) -> int:
        t = s.strip().replace("_", "")
        try:
            if t.lower().startswith(("0x", "-0x", "0o", "-0o", "0b", "-0b")):
                v = int(t, 0)
            else:
                v = int(t, 10)
        except ValueError:
            raise ConvError(f"invalid value '{s}', expected {what}") from None
        if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
            raise ConvError(f"invalid value '{s}', expected {what}")
        return v

    return p


def _parse_bool(s: str) -> bool:
    if s == "true":
        return True
    if s == "false":
        return False
    raise ConvError(f"invalid value '{s}', expected either 'true' or 'false'")


def _parse_float(s: str) -> float:
    try:
        return float(s.replace("_", ""))
    except ValueError:
        raise ConvError(f"invalid value '{s}', expected a floating point number") from None


@dataclass(frozen=True)
class Info:
    """Twin of ``Arg.info``: names (without dashes), doc, docv, the man section and the absent text."""

    names: tuple[str, ...]
    doc: str = ""
    docv: str = ""
    docs: str = "OPTIONS"
    absent: str | None = None

    @property
    def opt_names(self) -> list[str]:
        return [("-" + n) if len(n) == 1 else ("--" + n) for n in self.names]


@dataclass(frozen=True)
class ArgSpec:
    """A declared option: ``kind`` is opt or flag; ``required`` makes absence an error."""

    kind: str
    info: Info
    conv: Conv | None = None
    default: Any = None
    vopt: Any = None
    required: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def docv(self) -> str:
        return self.info.docv or (self.conv.docv if self.conv else "") or "VAL"


class Arg:
    """Twin of ``Cmdliner.Arg``."""

    string = Conv(lambda s: s, str, "")
    int = Conv(_parse_int(63, "an integer"), str, "INT")
    int32 = Conv(_parse_int(32, "a 32-bit integer"), str, "INT32")
    int64 = Conv(_parse_int(64, "a 64-bit integer"), str, "INT64")
    bool = Conv(_parse_bool, lambda b: "true" if b else "false", "BOOL")
    float = Conv(_parse_float, repr, "FLOAT")

    @staticmethod
    def info(
        names: Sequence[str], doc: str = "", docv: str = "", docs: str = "OPTIONS", absent: str | None = None
    ) -> Info:
        if isinstance(names, str):
            raise SimulationError(f"Arg.info expects a list of names, e.g. [{names!r}], not a string")
        for n in names:
            if not n or n.startswith("-"):
                raise SimulationError(f"Arg.info: option names are given without dashes, got {n!r}")
        return Info(tuple(names), doc, docv, docs, absent)

    @staticmethod
    def some(conv: Conv, none: str = "") -> Conv:
        return Conv(conv.parse, lambda v: none if v is None else conv.show(v), conv.docv)

    @staticmethod
    def list(conv: Conv, sep: str = ",") -> Conv:
        def p(s: str) -> list[Any]:
            if s == "":
                return []
            out = []
            for part in s.split(sep):
                try:
                    out.append(conv.parse(part))
                except ConvError as e:
                    raise ConvError(f"invalid element in list ('{s}'): {e}") from None
            return out

        return Conv(p, lambda xs: sep.join(conv.show(x) for x in xs), conv.docv)

    @staticmethod
    def enum(alts: Sequence[tuple[str, Any]], docv: str = "ENUM") -> Conv:
        table = dict(alts)

        def p(s: str) -> Any:
            if s in table:
                return table[s]
            names = [a for a, _ in alts]
            hints = suggest(s, names)
            if hints:
                raise ConvError(f"invalid value '{s}'. Did you mean {quote_alts(hints)}?")
            raise ConvError(f"invalid value '{s}', expected {quote_alts(names)}")

        def show(v: Any) -> str:
            for a, w in alts:
                if w == v:
                    return a
            return str(v)

        return Conv(p, show, docv)

    @staticmethod
    def conv(parser: Callable[[str], Any], printer: Callable[[Any], str] = str, docv: str = "") -> Conv:
        """Twin of ``Arg.conv (parser, pp)``: ``parser`` raises ValueError(message) to reject a value."""

        def p(s: str) -> Any:
            try:
                return parser(s)
            except ConvError:
                raise
            except ValueError as e:
                raise ConvError(str(e)) from None

        return Conv(p, printer, docv)

    @staticmethod
    def opt(conv: Conv, default: Any, info: Info, vopt: Any = None) -> ArgSpec:
        return ArgSpec("opt", info, conv, default, vopt)

    @staticmethod
    def flag(info: Info) -> ArgSpec:
        return ArgSpec("flag", info, None, False)

    @staticmethod
    def opt_all(conv: Conv, default: Sequence[Any], info: Info, vopt: Any = None) -> ArgSpec:
        """Twin of ``Arg.opt_all``: the option may be repeated; its values in order, ``default`` if absent."""
        return ArgSpec("opt_all", info, conv, list(default), vopt)

    @staticmethod
    def doc_alts(alts: Sequence[str]) -> str:
        """Twin of ``Arg.doc_alts``: ``either $(b,a) or $(b,b)``, ``one of $(b,a), $(b,b) or $(b,c)``."""
        from mirage_nb.functoria.help import _doc_alts

        return _doc_alts(list(alts))

    @staticmethod
    def value(spec: ArgSpec) -> ArgSpec:
        """Twin of ``Arg.value``: an absent option takes its default."""
        return spec

    @staticmethod
    def required(spec: ArgSpec) -> ArgSpec:
        """Twin of ``Arg.required``: an absent option is an error."""
        return replace(spec, required=True)


@dataclass(frozen=True)
class ParseOk:
    """Every declared argument's value, keyed by the position of its spec in the list given to parse."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class ParseHelp:
    """``--help`` was given: the text to print on stdout (the unikernel then exits with 63)."""

    text: str


@dataclass(frozen=True)
class ParseError:
    """A command line error: the text Cmdliner prints on stderr (the unikernel exits with 64)."""

    text: str


def usage(name: str, specs: Sequence[ArgSpec]) -> str:
    """The synopsis line Cmdliner prints after ``Usage:``."""
    opts = [s for s in specs if s.info.docs == "OPTIONS"]
    if not opts or len(opts) > 3:
        oargs = "[OPTION]…"
    else:
        parts = []
        for s in sorted(opts, key=lambda s: s.info.opt_names[0].lstrip("-").lower()):
            n = s.info.opt_names[0]
            if s.kind == "flag":
                syn = n
            elif len(n) > 2:
                syn = f"{n}={s.docv}"
            else:
                syn = f"{n} {s.docv}"
            parts.append(syn if s.required else f"[{syn}]")
        oargs = " ".join(parts + ["[OPTION]…"])
    return f"{name} [--help] {oargs}"


def _error(name: str, specs: Sequence[ArgSpec], err: str) -> ParseError:
    return ParseError(f"Usage: {usage(name, specs)}\n{name}: {err}\n")


def parse(name: str, specs: Sequence[ArgSpec], argv: Sequence[str]) -> ParseOk | ParseHelp | ParseError:
    """Read ``argv`` (without the program name) against ``specs`` as Cmdliner's ``Cmd.eval_value`` does."""
    index: dict[str, int] = {}
    for k, s in enumerate(specs):
        for n in s.info.opt_names:
            if n in index:
                raise SimulationError(f"the runtime argument {n} is declared twice")
            index[n] = k
    all_names = sorted(list(index) + ["--help"])
    seen: dict[int, list[tuple[str, str | None]]] = {}
    help_fmt: str | None = None
    errors: list[str] = []
    positional: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            positional.extend(args[i:])
            break
        if len(a) < 2 or not a.startswith("-"):
            positional.append(a)
            continue
        if a.startswith("--"):
            nm, eq, val = a.partition("=")
            value: str | None = val if eq else None
        else:
            nm, value = a[:2], (a[2:] or None)
        if nm == "--help":
            help_fmt = value or "auto"
            continue
        if nm not in index:
            hints = _hint_options(a, all_names)
            hint = f". Did you mean {quote_alts(hints)}?" if hints else ""
            errors.append(f"unknown option '{nm}'{hint}")
            continue
        k = index[nm]
        spec = specs[k]
        if spec.kind == "flag":
            if value is not None and not a.startswith("--"):
                # short flag dash sharing: -ab is -a -b
                args.insert(i, "-" + value)
                value = None
        elif value is None and i < len(args) and not (args[i].startswith("-") and len(args[i]) > 1):
            value = args[i]
            i += 1
        seen.setdefault(k, []).append((nm, value))
    if help_fmt is not None:
        return ParseHelp(man_page(name, specs))
    if errors:
        return _error(name, specs, "\n".join(errors))
    values: list[Any] = []
    for k, spec in enumerate(specs):
        occ = seen.get(k, [])
        try:
            values.append(_value(spec, occ))
        except ConvError as e:
            return _error(name, specs, str(e))
    if positional:
        quoted = ", ".join(f"'{p}'" for p in positional)
        return _error(name, specs, f"too many arguments, don't know what to do with {quoted}")
    return ParseOk(tuple(values))


def _hint_options(arg: str, names: list[str]) -> list[str]:
    if len(arg) <= 2:
        return []
    if arg[1] != "-":
        short, long = arg, "-" + arg
    else:
        short, long = arg[1:], arg
    short = short.partition("=")[0] if short.startswith("--") else short[:2]
    long = long.partition("=")[0]
    sugg = suggest(long, names)
    if short in names:
        return sugg if short in sugg else [short] + sugg
    return sugg


def _value(spec: ArgSpec, occ: list[tuple[str, str | None]]) -> Any:
    if not occ:
        if spec.required:
            raise ConvError(f"required option '{spec.info.opt_names[0]}' is missing")
        return spec.default
    if spec.kind == "opt_all":
        return [_value(replace(spec, kind="opt"), [o]) for o in occ]
    if len(occ) > 1:
        f0, f1 = occ[0][0], occ[1][0]
        if f0 == f1:
            raise ConvError(f"option '{f0}' cannot be repeated")
        raise ConvError(f"options '{f0}' and '{f1}' cannot be present at the same time")
    f, v = occ[0]
    if spec.kind == "flag":
        if v is not None:
            raise ConvError(f"option '{f}' is a flag, it cannot take the argument '{v}'")
        return True
    if v is None:
        if spec.vopt is not None:
            return spec.vopt
        raise ConvError(f"option '{f}' needs an argument")
    assert spec.conv is not None
    try:
        return spec.conv.parse(v)
    except ConvError as e:
        raise ConvError(f"option '{f}': {e}") from None


_EXITS = [
    ("0", "on success."),
    ("1", "on Solo5 internal error."),
    ("63", "on showing this help."),
    ("64", "on any argument parsing error."),
    ("125", "on unexpected internal errors (bugs) while processing the boot parameters."),
    ("255", "on OCaml uncaught exception."),
]


_WITH_ARGV_SECTIONS = (
    "ARGUMENTS",
    "OPTIONS",
    "HTTP OPTIONS",
    "SSH OPTIONS",
    "TLS OPTIONS",
    "HAPPY EYEBALLS OPTIONS",
    "DNS OPTIONS",
    "NETWORK OPTIONS",
    "LOG AND MONITORING OPTIONS",
    "DISK OPTIONS",
    "OCAML RUNTIME OPTIONS",
)
"""The sections ``Mirage_runtime.with_argv`` lists in the unikernel's man page, in its order."""


def man_page(name: str, specs: Sequence[ArgSpec]) -> str:
    """The unikernel's ``--help`` page, laid out by the engine's port of Cmdliner's plain man pages."""
    from mirage_nb.functoria import help as H  # only when a page is asked for: help is the engine's largest module

    docs = H._DOCS["help"]
    args = []
    for s in specs:
        absent: str | None
        if s.required:
            absent = None
        elif s.kind == "flag":
            absent = ""
        else:
            assert s.conv is not None
            if s.kind == "opt_all":
                absent = ""  # Cmdliner shows no default for a repeatable option
            else:
                absent = s.conv.show(s.default) if s.default is not None else ""
        args.append(
            H.ArgDoc(
                tuple(s.info.opt_names),
                doc=s.info.doc,
                docv=s.info.docv or (s.conv.docv if s.conv else ""),
                docs=s.info.docs,
                kind="opt" if s.kind == "opt_all" else s.kind,
                absent=absent,
                absent_doc=s.info.absent,
            )
        )
    args.append(
        H.ArgDoc(
            ("--help",), doc=docs.doc, docv=docs.docv, docs=docs.docs, kind="vopt", absent=docs.absent, vopt="auto"
        )
    )
    cmd = H.CmdDoc(name, "", tuple(("S", sec) for sec in _WITH_ARGV_SECTIONS), tuple(args))
    blocks = H.man_blocks(cmd)
    # Mirage_runtime.with_argv gives cmdliner its own list of exit codes.
    out: list[tuple[str, ...]] = []
    in_exit = False
    for b in blocks:
        if b[0] == "S":
            if in_exit:
                out.extend(("I", code, doc) for code, doc in _EXITS)
            in_exit = b[1] == "EXIT STATUS"
        if in_exit and b[0] == "I":
            continue
        out.append(b)
    if in_exit:
        out.extend(("I", code, doc) for code, doc in _EXITS)
    return H.render_plain(out)
