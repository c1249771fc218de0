"""``Cmdliner`` and ``Logs`` as a config.ml sees them, written for the reader.

Configs reach for ``Cmdliner.Arg`` to build the converters and infos of their
configure-time keys (``Key.create "tls" Key.Arg.(opt tls_conv No doc)``), and for
``Logs`` levels (``default_reporter ~level:(Some Logs.Debug) ()``). The converters
made here are :class:`mirage_nb.functoria.keys.Conv` values, so a converter the
config writes with ``Arg.conv (parse, print)`` carries its own parser, printer and
docv into ``describe``, the context file and ``--help``, as cmdliner's does: the
OCaml parser and printer run in the evaluator each time the tool needs them.

Cmdliner's *terms* (``Arg.opt``, ``Arg.value``, ``Arg.( & )``, ``Term``) only
exist so configs that build them type-check as far as the reader goes; handing
one to ``Key.create`` (which takes ``Key.Arg.t``) is the type error OCaml reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mirage_nb.functoria import fmt as F
from mirage_nb.functoria import keys as K

from ._errors import ApplicationError
from ._stdlib import native as _native
from ._values import NONE, Constr, Native, PolyVariant, StructModule, some

if TYPE_CHECKING:
    from ._eval import Evaluator

__all__ = ["cmdliner_module", "logs_module", "CmdlinerTerm", "LOG_LEVELS"]

#: ``Logs.level``'s constructors, in the order OCaml declares them.
LOG_LEVELS = ("App", "Error", "Warning", "Info", "Debug")


@dataclass(frozen=True, slots=True, eq=False)
class CmdlinerTerm:
    """A ``Cmdliner.Arg.t`` or ``Cmdliner.Term.t``: what ``Arg.opt``/``Arg.value`` build.

    Configs only pass these to ``Runtime_arg.create`` through code strings; the
    reader keeps what they were made from, for error messages.
    """

    kind: str
    what: str

    def __repr__(self) -> str:
        return f"<Cmdliner {self.kind} {self.what}>"


def _err(msg: str) -> Exception:
    from ._eval import NativeError

    return NativeError(ApplicationError, msg)


def _opt(v: Any) -> Any:
    """An optional argument as a native receives it: absent is ``None``, given is ``Some x`` or ``x``."""
    if isinstance(v, Constr) and v.name == "Some" and len(v.args) == 1:
        return v.args[0]
    if isinstance(v, Constr) and v.name == "None" and not v.args:
        return None
    return v


def _conv(v: Any, what: str) -> K.Conv:
    if not isinstance(v, K.Conv):
        raise _err(f"{what} expects a converter ('a Cmdliner.Arg.conv), not {v!r}")
    return v


def _float_parse(s: str) -> float:
    try:
        return float(s.replace("_", ""))
    except ValueError:
        raise K.ConvError(f"invalid value '{s}', expected a floating point number") from None


def _float_print(f: Any) -> str:
    # Format's "%g"
    return f"{float(f):g}"


def _char_parse(s: str) -> str:
    if len(s) != 1:
        raise K.ConvError(f"invalid value '{s}', expected a character")
    return s


def cmdliner_module(ev: Evaluator) -> StructModule:
    """``Cmdliner`` for one evaluation: its converters call back into ``ev``."""
    from ._eval import ArgValue

    def call(f: Any, *args: Any) -> Any:
        span = ev.call_span
        return ev.apply(f, [ArgValue("pos", None, a, span) for a in args], span)

    def printer_of(pp: Any) -> Callable[[Any], str]:
        """An OCaml ``'a Fmt.t`` as a Python ``value -> text``."""

        def print_(v: Any) -> str:
            ppf = F.Formatter()
            call(pp, ppf, ev.from_py(v))
            return ppf.contents()

        return print_

    def parser_of(parse: Any) -> Callable[[str], Any]:
        """An OCaml ``string -> ('a, [`Msg of string]) result`` as a Python parser."""

        def parse_(s: str) -> Any:
            r = call(parse, s)
            if isinstance(r, Constr) and r.name == "Ok" and len(r.args) == 1:
                return ev.to_py(r.args[0])
            if isinstance(r, Constr) and r.name == "Error" and len(r.args) == 1:
                msg = r.args[0]
                if isinstance(msg, PolyVariant) and msg.tag == "Msg" and msg.args:
                    raise K.ConvError(str(msg.args[0]))
                raise K.ConvError(str(msg))
            raise _err(f"a converter's parser must return Ok v or Error (`Msg m), not {r!r}")

        return parse_

    def conv(docv: Any, pair: Any) -> K.Conv:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise _err("Cmdliner.Arg.conv expects a pair (parser, printer)")
        parse, pp = pair
        return K.Conv("conv", parser_of(parse), printer_of(pp), _opt(docv) or "VALUE")

    def conv_prime(docv: Any, pair: Any) -> K.Conv:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise _err("Cmdliner.Arg.conv' expects a pair (parser, printer)")
        parse, pp = pair

        def parse_(s: str) -> Any:
            r = call(parse, s)
            if isinstance(r, Constr) and r.name == "Ok" and len(r.args) == 1:
                return ev.to_py(r.args[0])
            if isinstance(r, Constr) and r.name == "Error" and len(r.args) == 1 and isinstance(r.args[0], str):
                raise K.ConvError(r.args[0])
            raise _err(f"a converter's parser must return Ok v or Error msg, not {r!r}")

        return K.Conv("conv", parse_, printer_of(pp), _opt(docv) or "VALUE")

    def conv_printer(c: Any) -> Native:
        cv = _conv(c, "Cmdliner.Arg.conv_printer")
        return _native("Cmdliner.Arg.conv_printer", "pos pos", lambda ppf, v: ppf.string(cv.print(ev.to_py(v))))

    def conv_parser(c: Any) -> Native:
        cv = _conv(c, "Cmdliner.Arg.conv_parser")

        def parse(s: Any) -> Constr:
            try:
                return Constr("Ok", (ev.from_py(cv.parse(s)),))
            except K.ConvError as err:
                return Constr("Error", (PolyVariant("Msg", (str(err),)),))

        return _native("Cmdliner.Arg.conv_parser", "pos", parse)

    def enum(pairs: Any) -> K.Conv:
        if not isinstance(pairs, list) or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise _err("Cmdliner.Arg.enum expects a list of (string * 'a) pairs")
        return K.Conv.enum([(label, ev.to_py(v)) for label, v in pairs])

    def some_(none: Any, c: Any) -> K.Conv:
        return K.Conv.some(_conv(c, "Cmdliner.Arg.some"), _opt(none) or "")

    def list_(sep: Any, c: Any) -> K.Conv:
        return K.Conv.list_(_conv(c, "Cmdliner.Arg.list"), _opt(sep) or ",")

    def pair(sep: Any, a: Any, b: Any) -> K.Conv:
        ca, cb, s = _conv(a, "Cmdliner.Arg.pair"), _conv(b, "Cmdliner.Arg.pair"), _opt(sep) or ","

        def parse(text: str) -> Any:
            if s not in text:
                raise K.ConvError(f"invalid element in pair ('{text}'): missing a '{s}' separator")
            x, y = text.split(s, 1)
            return (ca.parse(x), cb.parse(y))

        return K.Conv("pair", parse, lambda v: ca.print(v[0]) + s + cb.print(v[1]), ca.docv)

    def info(deprecated: Any, absent: Any, docs: Any, doc_envs: Any, docv: Any, doc: Any, env: Any, names: Any) -> Any:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _err("Cmdliner.Arg.info expects a list of option names (string list)")
        return K.ArgInfo(tuple(names), docv=_opt(docv), doc=_opt(doc) or "", docs=_opt(docs), env=_opt(env))

    def term(kind: str, what: str) -> Callable[..., CmdlinerTerm]:
        return lambda *_args: CmdlinerTerm(kind, what)

    arg_vals: dict[str, Any] = {
        "string": K.STRING,
        "int": K.INT,
        "bool": K.BOOL,
        "float": K.Conv("float", _float_parse, _float_print, "FLOAT"),
        "char": K.Conv("char", _char_parse, str, "CHAR"),
        "int32": K.Conv("int32", K.INT.parse, str, "INT32"),
        "int64": K.Conv("int64", K.INT.parse, str, "INT64"),
        "nativeint": K.Conv("nativeint", K.INT.parse, str, "INT"),
        "file": K.Conv("file", str, str, "PATH"),
        "dir": K.Conv("dir", str, str, "DIR"),
        "non_dir_file": K.Conv("non_dir_file", str, str, "FILE"),
        "conv": _native("Cmdliner.Arg.conv", "?docv pos", conv),
        "conv'": _native("Cmdliner.Arg.conv'", "?docv pos", conv_prime),
        "conv_printer": _native("Cmdliner.Arg.conv_printer", "pos", conv_printer),
        "conv_parser": _native("Cmdliner.Arg.conv_parser", "pos", conv_parser),
        "conv_docv": _native("Cmdliner.Arg.conv_docv", "pos", lambda c: _conv(c, "Cmdliner.Arg.conv_docv").docv),
        "enum": _native("Cmdliner.Arg.enum", "pos", enum),
        "some": _native("Cmdliner.Arg.some", "?none pos", some_),
        "list": _native("Cmdliner.Arg.list", "?sep pos", list_),
        "pair": _native("Cmdliner.Arg.pair", "?sep pos pos", pair),
        "info": _native("Cmdliner.Arg.info", "?deprecated ?absent ?docs ?doc_envs ?docv ?doc ?env pos", info),
        "opt": _native("Cmdliner.Arg.opt", "?vopt pos pos pos", term("Arg.t", "Arg.opt")),
        "opt_all": _native("Cmdliner.Arg.opt_all", "?vopt pos pos pos", term("Arg.t", "Arg.opt_all")),
        "flag": _native("Cmdliner.Arg.flag", "pos", term("Arg.t", "Arg.flag")),
        "flag_all": _native("Cmdliner.Arg.flag_all", "pos", term("Arg.t", "Arg.flag_all")),
        "required": _native("Cmdliner.Arg.required", "pos", term("Arg.t", "Arg.required")),
        "pos": _native("Cmdliner.Arg.pos", "?rev pos pos pos pos", term("Arg.t", "Arg.pos")),
        "value": _native("Cmdliner.Arg.value", "pos", term("Term.t", "Arg.value")),
        "&": _native("( & )", "pos pos", lambda f, x: call(f, x)),
    }
    env_mod = StructModule(
        "Cmdliner.Cmd.Env",
        {"info": _native("Cmdliner.Cmd.Env.info", "?deprecated ?docs ?doc pos", lambda _d, _ds, _doc, var: var)},
    )
    term_mod = StructModule(
        "Cmdliner.Term",
        {
            "const": _native("Cmdliner.Term.const", "pos", lambda _v: CmdlinerTerm("Term.t", "Term.const")),
            "$": _native("( $ )", "pos pos", lambda _f, _x: CmdlinerTerm("Term.t", "Term.( $ )")),
        },
    )
    arg_mod = StructModule("Cmdliner.Arg", arg_vals)
    cmd_mod = StructModule("Cmdliner.Cmd", {}, {"Env": env_mod})
    return StructModule("Cmdliner", {}, {"Arg": arg_mod, "Cmd": cmd_mod, "Term": term_mod})


def logs_module() -> StructModule:
    """``Logs``: the level constructors (``Logs.Debug``) and their printers."""

    def level_to_string(level: Any) -> str:
        lv = _opt(level)
        if lv is None:
            return "quiet"
        if isinstance(lv, Constr) and lv.name in LOG_LEVELS:
            return lv.name.lower()
        raise _err(f"Logs.level_to_string expects a Logs.level option, not {level!r}")

    def level_of_string(s: Any) -> Constr:
        names = {lv.lower(): lv for lv in LOG_LEVELS}
        if s == "quiet":
            return Constr("Ok", (NONE,))
        if s in names:
            return Constr("Ok", (some(Constr(names[s])),))
        return Constr("Error", (PolyVariant("Msg", (f"invalid log level {s!r}",)),))

    return StructModule(
        "Logs",
        {
            "level_to_string": _native("Logs.level_to_string", "pos", level_to_string),
            "level_of_string": _native("Logs.level_of_string", "pos", level_of_string),
        },
        {},
        dict.fromkeys(LOG_LEVELS, 0),
    )
