"""The part of OCaml's Stdlib (and of Fmt) a config.ml may use, written for the reader.

Deliberate choices, so the same file always gives the same graph:

* ``Sys.getenv_opt`` always returns ``None`` and ``Sys.getenv`` raises
  ``Not_found``: the reader never reads the environment. (The real tool runs
  config.ml as a program, where they would see the environment; configs that
  depend on it are not reproducible, so the reader treats every variable as
  unset.) ``Sys.getcwd ()`` is the working directory: the real tool runs the
  configuration program where ``mirage`` was started, and configs use it to
  name files beside them.
* ``print_string``/``Printf.printf``/``Fmt.pr`` write to the process's stdout,
  as the real configuration program does.
* There are no references, exceptions handlers, arrays, files or processes.
* ``$`` and ``@->`` are always defined (functoria's application and functor
  arrow) even without ``open Mirage``; a module that defines them
  (``op_dollar``...) shadows them when opened.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mirage_nb.errors import ConfigMlError

from ._errors import ApplicationError, ConfigMlFailure
from ._format import FormatSpecError, check_star_widths, count_args, printf
from ._printer import ocaml_string
from ._values import NONE, Closure, Constr, FParam, Native, PolyVariant, StructModule, some

if TYPE_CHECKING:
    from ._eval import Evaluator

__all__ = ["make_stdlib", "native", "UNSUPPORTED_NAMES", "BUILTIN_OPS", "BUILTIN_CONSTRS"]

#: Stdlib names that exist in OCaml but that the reader deliberately leaves out, and why.
UNSUPPORTED_NAMES = {
    "ref": "mutable references",
    "raise": "raising exceptions",
    "raise_notrace": "raising exceptions",
    "!": "dereferencing a reference",
    ":=": "assigning a reference",
    "incr": "mutable references",
    "decr": "mutable references",
    "exit": "exiting the configuration program",
    "at_exit": "exit hooks",
    "open_in": "reading files",
    "open_in_bin": "reading files",
    "open_out": "writing files",
    "read_line": "reading stdin",
}

#: Constructors every config sees, with their arity.
BUILTIN_CONSTRS = {"None": 0, "Some": 1, "Ok": 1, "Error": 1, "Not_found": 0, "Exit": 0}

_MAX_INT = (1 << 62) - 1
_MAX_SIZE = 1_000_000

#: The natives for ``&&``/``||``: when they are not shadowed, the evaluator short-circuits them.
BUILTIN_OPS: dict[str, Native] = {}


def _err(cls: type, msg: str) -> Exception:
    from ._eval import NativeError

    return NativeError(cls, msg)


def _failure(msg: str) -> Exception:
    return _err(ConfigMlFailure, f"exception Failure({ocaml_string(msg)})")


def _invalid_arg(msg: str) -> Exception:
    return _err(ConfigMlFailure, f"exception Invalid_argument({ocaml_string(msg)})")


def _native(name: str, spec: str, fn: Callable[..., Any]) -> Native:
    params = []
    for tok in spec.split():
        if tok.startswith("~"):
            params.append(FParam("label", tok[1:]))
        elif tok.startswith("?"):
            params.append(FParam("optional", tok[1:]))
        else:
            params.append(FParam("pos", None))
    return Native(name, tuple(params), fn, tuple(range(len(params))))


def native(name: str, spec: str, fn: Callable[..., Any]) -> Native:
    """An OCaml function written in Python: ``spec`` lists its parameters (``pos``, ``~label``, ``?opt``)."""
    return _native(name, spec, fn)


def _wrap(n: int) -> int:
    return ((n + (1 << 62)) % (1 << 63)) - (1 << 62)


def _int(v: Any, op: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise _err(ApplicationError, f"( {op} ) expects ints, not {v!r}")
    return v


def _div(a: int, b: int) -> int:
    if b == 0:
        raise _err(ConfigMlFailure, "exception Division_by_zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _str(v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise _err(ApplicationError, f"{what} expects a string, not {v!r}")
    return v


def _list(v: Any, what: str) -> list[Any]:
    if not isinstance(v, list):
        raise _err(ApplicationError, f"{what} expects a list, not {v!r}")
    return v


def _size(n: int) -> None:
    if n > _MAX_SIZE:
        from ._errors import LimitError

        raise _err(LimitError, f"value too large ({n} elements; the reader allows {_MAX_SIZE})")


def _rank(v: Any) -> int:
    # OCaml's polymorphic compare puts immediate values (constant constructors, [], ()) before blocks.
    if isinstance(v, Constr):
        return 1 if v.args else 0
    if isinstance(v, PolyVariant):
        return 1 if v.args else 0
    if isinstance(v, list):
        return 1 if v else 0
    return 0


def _compare(a: Any, b: Any) -> int:
    """OCaml's structural ``compare`` on the reader's values."""
    # The DSL's values that stand for polymorphic variants (the target, --net...) compare as their tags.
    if getattr(a, "ocaml_tag", None) is not None:
        a = PolyVariant(a.ocaml_tag)
    if getattr(b, "ocaml_tag", None) is not None:
        b = PolyVariant(b.ocaml_tag)
    if isinstance(a, (Native, Closure)) or isinstance(b, (Native, Closure)):
        raise _err(ConfigMlFailure, 'exception Invalid_argument("compare: functional value")')
    if isinstance(a, (Constr, PolyVariant)) and isinstance(b, (Constr, PolyVariant)):
        ra, rb = _rank(a), _rank(b)
        if ra != rb:
            return -1 if ra < rb else 1
        na = a.name if isinstance(a, Constr) else a.tag
        nb = b.name if isinstance(b, Constr) else b.tag
        if na != nb:
            return -1 if na < nb else 1
        return _compare(list(a.args), list(b.args))
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b, strict=False):
            c = _compare(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return _compare(list(a), list(b))
    if isinstance(a, str) and isinstance(b, str):
        ab, bb = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
        return (ab > bb) - (ab < bb)
    try:
        if a == b:
            return 0
        return -1 if a < b else 1
    except TypeError:
        raise _err(ApplicationError, f"compare: cannot order {a!r} and {b!r}") from None


def _phys_eq(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float, bool)) or a is None:
        return a == b
    return a is b


def make_stdlib(ev: Evaluator) -> StructModule:
    """The Stdlib module for one evaluation (its natives call back into ``ev``)."""
    from ._eval import ArgValue

    def call(f: Any, *args: Any) -> Any:
        span = ev.call_span
        return ev.apply(f, [ArgValue("pos", None, a, span) for a in args], span)

    def truth(v: Any, what: str) -> bool:
        if not isinstance(v, bool):
            raise _err(ApplicationError, f"{what} must return a boolean, not {v!r}")
        return v

    values: dict[str, Any] = {}

    def define(name: str, spec: str, fn: Callable[..., Any]) -> Native:
        n = _native(name if name[0].isalpha() or name[0] == "_" else f"( {name} )", spec, fn)
        values[name] = n
        return n

    # -- operators ------------------------------------------------------------------
    define("+", "pos pos", lambda a, b: _wrap(_int(a, "+") + _int(b, "+")))
    define("-", "pos pos", lambda a, b: _wrap(_int(a, "-") - _int(b, "-")))
    define("*", "pos pos", lambda a, b: _wrap(_int(a, "*") * _int(b, "*")))
    define("/", "pos pos", lambda a, b: _div(_int(a, "/"), _int(b, "/")))
    define("mod", "pos pos", lambda a, b: _int(a, "mod") - _int(b, "mod") * _div(a, b))
    define("land", "pos pos", lambda a, b: _int(a, "land") & _int(b, "land"))
    define("lor", "pos pos", lambda a, b: _int(a, "lor") | _int(b, "lor"))
    define("lxor", "pos pos", lambda a, b: _int(a, "lxor") ^ _int(b, "lxor"))
    define("lsl", "pos pos", lambda a, b: _wrap(_int(a, "lsl") << (_int(b, "lsl") % 64)))
    define("asr", "pos pos", lambda a, b: _int(a, "asr") >> min(_int(b, "asr"), 63))
    define("lsr", "pos pos", lambda a, b: _wrap((_int(a, "lsr") % (1 << 63)) >> min(_int(b, "lsr"), 63)))
    define("~-", "pos", lambda a: _wrap(-_int(a, "~-")))
    define("~+", "pos", lambda a: _int(a, "~+"))
    define("+.", "pos pos", lambda a, b: float(a) + float(b))
    define("-.", "pos pos", lambda a, b: float(a) - float(b))
    define("*.", "pos pos", lambda a, b: float(a) * float(b))
    define("/.", "pos pos", lambda a, b: float(a) / float(b) if b else float("inf") * (1 if a >= 0 else -1))
    define("**", "pos pos", lambda a, b: float(a) ** float(b))
    define("~-.", "pos", lambda a: -float(a))
    define("~+.", "pos", lambda a: float(a))
    define("=", "pos pos", lambda a, b: _compare(a, b) == 0)
    define("<>", "pos pos", lambda a, b: _compare(a, b) != 0)
    define("<", "pos pos", lambda a, b: _compare(a, b) < 0)
    define(">", "pos pos", lambda a, b: _compare(a, b) > 0)
    define("<=", "pos pos", lambda a, b: _compare(a, b) <= 0)
    define(">=", "pos pos", lambda a, b: _compare(a, b) >= 0)
    define("==", "pos pos", _phys_eq)
    define("!=", "pos pos", lambda a, b: not _phys_eq(a, b))
    define("compare", "pos pos", _compare)
    define("min", "pos pos", lambda a, b: a if _compare(a, b) <= 0 else b)
    define("max", "pos pos", lambda a, b: a if _compare(a, b) >= 0 else b)
    for op in ("&&", "&"):
        BUILTIN_OPS[op] = define(op, "pos pos", lambda a, b: truth(a, "&&") and truth(b, "&&"))
    for op in ("||", "or"):
        BUILTIN_OPS[op] = define(op, "pos pos", lambda a, b: truth(a, "||") or truth(b, "||"))
    define("not", "pos", lambda a: not truth(a, "not"))

    def concat(a: Any, b: Any) -> str:
        r = _str(a, "( ^ )") + _str(b, "( ^ )")
        _size(len(r))
        return r

    def append(a: Any, b: Any) -> list[Any]:
        _size(len(_list(a, "( @ )")) + len(_list(b, "( @ )")))
        return [*a, *b]

    define("^", "pos pos", concat)
    define("@", "pos pos", append)
    define("|>", "pos pos", lambda x, f: call(f, x))
    define("@@", "pos pos", lambda f, x: call(f, x))

    # functoria's ``$`` and ``@->`` (see the module docstring).
    define("$", "pos pos", lambda f, x: call(f, x))

    def arrow(a: Any, b: Any) -> Any:
        if not hasattr(a, "__matmul__"):
            from ._eval import describe_value

            raise _err(
                ApplicationError,
                f"( @-> ) expects module types (typ) on both sides, not {describe_value(a)}",
            )
        return a @ b

    define("@->", "pos pos", arrow)

    # -- functions --------------------------------------------------------------------
    def failwith(s: Any) -> Any:
        raise _failure(_str(s, "failwith"))

    def invalid_arg(s: Any) -> Any:
        raise _invalid_arg(_str(s, "invalid_arg"))

    define("failwith", "pos", failwith)
    define("invalid_arg", "pos", invalid_arg)
    define("ignore", "pos", lambda _x: None)
    define("fst", "pos", lambda t: t[0])
    define("snd", "pos", lambda t: t[1])
    define("succ", "pos", lambda n: _wrap(_int(n, "succ") + 1))
    define("pred", "pos", lambda n: _wrap(_int(n, "pred") - 1))
    define("abs", "pos", lambda n: _wrap(abs(_int(n, "abs"))))
    define("string_of_int", "pos", lambda n: str(_int(n, "string_of_int")))
    define("string_of_bool", "pos", lambda b: "true" if b else "false")
    define("float_of_int", "pos", lambda n: float(_int(n, "float_of_int")))
    define("int_of_float", "pos", lambda f: _wrap(int(f)))
    define("string_of_float", "pos", _string_of_float)

    def int_of_string(s: Any) -> int:
        try:
            v = int(_str(s, "int_of_string").replace("_", ""), 0)
        except ValueError:
            raise _failure("int_of_string") from None
        if v > _MAX_INT or v < -_MAX_INT - 1:
            raise _failure("int_of_string")
        return v

    def int_of_string_opt(s: Any) -> Constr:
        try:
            return some(int_of_string(s))
        except Exception:
            return NONE

    define("int_of_string", "pos", int_of_string)
    define("int_of_string_opt", "pos", int_of_string_opt)

    def bool_of_string(s: Any) -> bool:
        if s in ("true", "false"):
            return s == "true"
        raise _invalid_arg("bool_of_string")

    define("bool_of_string", "pos", bool_of_string)

    def out(stream: Any, s: Any) -> None:
        stream.write(_str(s, "print"))

    define("print_string", "pos", lambda s: out(sys.stdout, s))
    define("print_endline", "pos", lambda s: out(sys.stdout, _str(s, "print_endline") + "\n"))
    define("prerr_string", "pos", lambda s: out(sys.stderr, s))
    define("prerr_endline", "pos", lambda s: out(sys.stderr, _str(s, "prerr_endline") + "\n"))
    define("print_newline", "pos", lambda _u: out(sys.stdout, "\n"))

    from ._eval import FILE_MARKER, LINE_MARKER, LOC_MARKER, POS_MARKER

    values["__POS__"] = POS_MARKER
    values["__LOC__"] = LOC_MARKER
    values["__FILE__"] = FILE_MARKER
    values["__LINE__"] = LINE_MARKER

    modules: dict[str, Any] = {
        "List": _list_module(call, truth),
        "String": _string_module(call),
        "Option": _option_module(call),
        "Sys": _sys_module(),
        "Printf": _printf_module(ev, call),
        "Int": StructModule(
            "Int",
            {
                "to_string": _native("Int.to_string", "pos", lambda n: str(_int(n, "Int.to_string"))),
                "of_string": _native("Int.of_string", "pos", int_of_string_opt),
                "equal": _native("Int.equal", "pos pos", lambda a, b: a == b),
                "compare": _native("Int.compare", "pos pos", _compare),
                "max_int": _MAX_INT,
                "min_int": -_MAX_INT - 1,
            },
        ),
        "Bool": StructModule(
            "Bool",
            {
                "to_string": _native("Bool.to_string", "pos", lambda b: "true" if b else "false"),
                "not": _native("Bool.not", "pos", lambda b: not truth(b, "Bool.not")),
            },
        ),
        "Fun": StructModule(
            "Fun",
            {
                "id": _native("Fun.id", "pos", lambda x: x),
                "const": _native("Fun.const", "pos pos", lambda x, _y: x),
                "flip": _native("Fun.flip", "pos pos pos", lambda f, x, y: call(f, y, x)),
            },
        ),
    }
    from ._cmdliner import cmdliner_module, logs_module

    modules["Cmdliner"] = cmdliner_module(ev)
    modules["Logs"] = logs_module()
    modules["Ipaddr"] = _ipaddr_module()
    modules["Macaddr"] = _macaddr_module()
    fmt_mod = _fmt_module(ev, call)
    modules["Fmt"] = fmt_mod
    modules["Format"] = StructModule(
        "Format",
        {
            "asprintf": fmt_mod.values["str"],
            "sprintf": fmt_mod.values["str"],
            "fprintf": fmt_mod.values["pf"],
            "pp_print_string": fmt_mod.values["string"],
            "pp_print_int": fmt_mod.values["int"],
        },
    )
    stdlib = StructModule("Stdlib", values, modules, dict(BUILTIN_CONSTRS))
    stdlib.modules["Stdlib"] = stdlib
    return stdlib


def _string_of_float(f: Any) -> str:
    r = repr(float(f))
    if r.endswith(".0"):
        return r[:-1]
    return r


def _list_module(call: Callable[..., Any], truth: Callable[[Any, str], bool]) -> StructModule:
    vals: dict[str, Any] = {}

    def d(name: str, spec: str, fn: Callable[..., Any]) -> None:
        vals[name] = _native(f"List.{name}", spec, fn)

    def hd(lst: Any) -> Any:
        if not _list(lst, "List.hd"):
            raise _failure("hd")
        return lst[0]

    def tl(lst: Any) -> Any:
        if not _list(lst, "List.tl"):
            raise _failure("tl")
        return lst[1:]

    def nth(lst: Any, n: Any) -> Any:
        if _int(n, "List.nth") < 0:
            raise _invalid_arg("List.nth")
        if n >= len(_list(lst, "List.nth")):
            raise _failure("nth")
        return lst[n]

    def init(n: Any, f: Any) -> list[Any]:
        if _int(n, "List.init") < 0:
            raise _invalid_arg("List.init")
        _size(n)
        return [call(f, i) for i in range(n)]

    def flatten(ls: Any) -> list[Any]:
        out: list[Any] = []
        for x in _list(ls, "List.concat"):
            out.extend(_list(x, "List.concat"))
            _size(len(out))
        return out

    def fold_left(f: Any, acc: Any, lst: Any) -> Any:
        for x in _list(lst, "List.fold_left"):
            acc = call(f, acc, x)
        return acc

    def fold_right(f: Any, lst: Any, acc: Any) -> Any:
        for x in reversed(_list(lst, "List.fold_right")):
            acc = call(f, x, acc)
        return acc

    def assoc(k: Any, lst: Any) -> Any:
        for pair in _list(lst, "List.assoc"):
            if _compare(pair[0], k) == 0:
                return pair[1]
        raise _err(ConfigMlFailure, "exception Not_found")

    def assoc_opt(k: Any, lst: Any) -> Any:
        for pair in _list(lst, "List.assoc_opt"):
            if _compare(pair[0], k) == 0:
                return some(pair[1])
        return NONE

    def find(p: Any, lst: Any) -> Any:
        for x in _list(lst, "List.find"):
            if truth(call(p, x), "List.find's predicate"):
                return x
        raise _err(ConfigMlFailure, "exception Not_found")

    def find_opt(p: Any, lst: Any) -> Any:
        for x in _list(lst, "List.find_opt"):
            if truth(call(p, x), "List.find_opt's predicate"):
                return some(x)
        return NONE

    def filter_map(f: Any, lst: Any) -> list[Any]:
        out = []
        for x in _list(lst, "List.filter_map"):
            r = call(f, x)
            if isinstance(r, Constr) and r.name == "Some":
                out.append(r.args[0])
        return out

    def combine(a: Any, b: Any) -> list[Any]:
        if len(_list(a, "List.combine")) != len(_list(b, "List.combine")):
            raise _invalid_arg("List.combine")
        return list(zip(a, b, strict=True))

    def map2(f: Any, a: Any, b: Any) -> list[Any]:
        if len(_list(a, "List.map2")) != len(_list(b, "List.map2")):
            raise _invalid_arg("List.map2")
        return [call(f, x, y) for x, y in zip(a, b, strict=True)]

    def sort(cmp: Any, lst: Any) -> list[Any]:
        def key(x: Any, y: Any) -> int:
            return _int(call(cmp, x, y), "List.sort's comparison")

        return sorted(_list(lst, "List.sort"), key=functools.cmp_to_key(key))

    def sort_uniq(cmp: Any, lst: Any) -> list[Any]:
        out: list[Any] = []
        for x in sort(cmp, lst):
            if not out or call(cmp, out[-1], x) != 0:
                out.append(x)
        return out

    def partition(p: Any, lst: Any) -> tuple[list[Any], list[Any]]:
        yes: list[Any] = []
        no: list[Any] = []
        for x in _list(lst, "List.partition"):
            (yes if truth(call(p, x), "List.partition's predicate") else no).append(x)
        return yes, no

    def concat_map(f: Any, lst: Any) -> list[Any]:
        out: list[Any] = []
        for x in _list(lst, "List.concat_map"):
            out.extend(_list(call(f, x), "List.concat_map"))
            _size(len(out))
        return out

    def iter_(f: Any, lst: Any) -> None:
        for x in _list(lst, "List.iter"):
            call(f, x)

    def iteri(f: Any, lst: Any) -> None:
        for i, x in enumerate(_list(lst, "List.iteri")):
            call(f, i, x)

    d("length", "pos", lambda lst: len(_list(lst, "List.length")))
    d("is_empty", "pos", lambda lst: not _list(lst, "List.is_empty"))
    d("hd", "pos", hd)
    d("tl", "pos", tl)
    d("nth", "pos pos", nth)
    d("rev", "pos", lambda lst: list(reversed(_list(lst, "List.rev"))))
    d("append", "pos pos", lambda a, b: [*_list(a, "List.append"), *_list(b, "List.append")])
    d("rev_append", "pos pos", lambda a, b: [*reversed(_list(a, "List.rev_append")), *_list(b, "List.rev_append")])
    d("concat", "pos", flatten)
    d("flatten", "pos", flatten)
    d("init", "pos pos", init)
    d("map", "pos pos", lambda f, lst: [call(f, x) for x in _list(lst, "List.map")])
    d("mapi", "pos pos", lambda f, lst: [call(f, i, x) for i, x in enumerate(_list(lst, "List.mapi"))])
    d("map2", "pos pos pos", map2)
    d("iter", "pos pos", iter_)
    d("iteri", "pos pos", iteri)
    d(
        "filter",
        "pos pos",
        lambda p, lst: [x for x in _list(lst, "List.filter") if truth(call(p, x), "List.filter's predicate")],
    )
    d("filter_map", "pos pos", filter_map)
    d("concat_map", "pos pos", concat_map)
    d("fold_left", "pos pos pos", fold_left)
    d("fold_right", "pos pos pos", fold_right)
    d(
        "exists",
        "pos pos",
        lambda p, lst: any(truth(call(p, x), "List.exists's predicate") for x in _list(lst, "List.exists")),
    )
    d(
        "for_all",
        "pos pos",
        lambda p, lst: all(truth(call(p, x), "List.for_all's predicate") for x in _list(lst, "List.for_all")),
    )
    d("mem", "pos pos", lambda x, lst: any(_compare(x, y) == 0 for y in _list(lst, "List.mem")))
    d("assoc", "pos pos", assoc)
    d("assoc_opt", "pos pos", assoc_opt)
    d("mem_assoc", "pos pos", lambda k, lst: any(_compare(p[0], k) == 0 for p in _list(lst, "List.mem_assoc")))
    d("find", "pos pos", find)
    d("find_opt", "pos pos", find_opt)
    d("combine", "pos pos", combine)
    d("split", "pos", lambda lst: ([p[0] for p in _list(lst, "List.split")], [p[1] for p in lst]))
    d("sort", "pos pos", sort)
    d("stable_sort", "pos pos", sort)
    d("sort_uniq", "pos pos", sort_uniq)
    d("partition", "pos pos", partition)
    return StructModule("List", vals)


def _string_module(call: Callable[..., Any]) -> StructModule:
    vals: dict[str, Any] = {}

    def d(name: str, spec: str, fn: Callable[..., Any]) -> None:
        vals[name] = _native(f"String.{name}", spec, fn)

    def concat(sep: Any, lst: Any) -> str:
        parts = [_str(x, "String.concat") for x in _list(lst, "String.concat")]
        r = _str(sep, "String.concat").join(parts)
        _size(len(r))
        return r

    def sub(s: Any, pos: Any, n: Any) -> str:
        s = _str(s, "String.sub")
        if _int(pos, "String.sub") < 0 or _int(n, "String.sub") < 0 or pos + n > len(s):
            raise _invalid_arg("String.sub / Bytes.sub")
        return s[pos : pos + n]

    def get(s: Any, i: Any) -> str:
        s = _str(s, "String.get")
        if not 0 <= _int(i, "String.get") < len(s):
            raise _invalid_arg("index out of bounds")
        return s[i]

    def make(n: Any, c: Any) -> str:
        if _int(n, "String.make") < 0:
            raise _invalid_arg("String.create")
        _size(n)
        return _str(c, "String.make") * n

    def capitalize(s: Any) -> str:
        s = _str(s, "String.capitalize_ascii")
        return s[:1].upper() + s[1:] if s[:1].isascii() else s

    def uncapitalize(s: Any) -> str:
        s = _str(s, "String.uncapitalize_ascii")
        return s[:1].lower() + s[1:] if s[:1].isascii() else s

    def index_opt(s: Any, c: Any) -> Any:
        i = _str(s, "String.index_opt").find(_str(c, "String.index_opt"))
        return NONE if i < 0 else some(i)

    def ascii_map(s: str, up: bool) -> str:
        return "".join((ch.upper() if up else ch.lower()) if ch.isascii() else ch for ch in s)

    d("concat", "pos pos", concat)
    d("length", "pos", lambda s: len(_str(s, "String.length").encode("utf-8", "surrogateescape")))
    d("sub", "pos pos pos", sub)
    d("get", "pos pos", get)
    d("make", "pos pos", make)
    d("cat", "pos pos", lambda a, b: _str(a, "String.cat") + _str(b, "String.cat"))
    d("equal", "pos pos", lambda a, b: a == b)
    d("compare", "pos pos", _compare)
    d("uppercase_ascii", "pos", lambda s: ascii_map(_str(s, "String.uppercase_ascii"), True))
    d("lowercase_ascii", "pos", lambda s: ascii_map(_str(s, "String.lowercase_ascii"), False))
    d("capitalize_ascii", "pos", capitalize)
    d("uncapitalize_ascii", "pos", uncapitalize)
    d("split_on_char", "pos pos", lambda c, s: _str(s, "String.split_on_char").split(_str(c, "String.split_on_char")))
    d("trim", "pos", lambda s: _str(s, "String.trim").strip(" \t\n\r\x0c"))
    d("starts_with", "~prefix pos", lambda prefix, s: _str(s, "String.starts_with").startswith(prefix))
    d("ends_with", "~suffix pos", lambda suffix, s: _str(s, "String.ends_with").endswith(suffix))
    d("contains", "pos pos", lambda s, c: _str(c, "String.contains") in _str(s, "String.contains"))
    d("index_opt", "pos pos", index_opt)
    d("escaped", "pos", lambda s: ocaml_string(_str(s, "String.escaped"))[1:-1])
    d("map", "pos pos", lambda f, s: "".join(_str(call(f, ch), "String.map") for ch in _str(s, "String.map")))
    d("iter", "pos pos", lambda f, s: [call(f, ch) for ch in _str(s, "String.iter")] and None)
    d("is_empty", "pos", lambda s: _str(s, "String.is_empty") == "")
    return StructModule("String", vals)


def _option_module(call: Callable[..., Any]) -> StructModule:
    def is_some(o: Any) -> bool:
        if not (isinstance(o, Constr) and o.name in ("None", "Some")):
            raise _err(ApplicationError, f"expected an option (None or Some x), not {o!r}")
        return o.name == "Some"

    def get(o: Any) -> Any:
        if not is_some(o):
            raise _invalid_arg("option is None")
        return o.args[0]

    vals = {
        "none": NONE,
        "some": _native("Option.some", "pos", some),
        "value": _native("Option.value", "pos ~default", lambda o, default: o.args[0] if is_some(o) else default),
        "get": _native("Option.get", "pos", get),
        "is_some": _native("Option.is_some", "pos", is_some),
        "is_none": _native("Option.is_none", "pos", lambda o: not is_some(o)),
        "map": _native("Option.map", "pos pos", lambda f, o: some(call(f, o.args[0])) if is_some(o) else NONE),
        "bind": _native("Option.bind", "pos pos", lambda o, f: call(f, o.args[0]) if is_some(o) else NONE),
        "iter": _native("Option.iter", "pos pos", lambda f, o: call(f, o.args[0]) if is_some(o) else None),
        "join": _native("Option.join", "pos", lambda o: o.args[0] if is_some(o) else NONE),
        "to_list": _native("Option.to_list", "pos", lambda o: [o.args[0]] if is_some(o) else []),
        "fold": _native(
            "Option.fold", "~none ~some pos", lambda none, some_, o: call(some_, o.args[0]) if is_some(o) else none
        ),
    }
    return StructModule("Option", vals)


def _parse_error(what: str, s: Any) -> Exception:
    return _err(ConfigMlFailure, f'exception Ipaddr.Parse_error("{what}", "{s}")')


def _address_module(name: str, version: int) -> StructModule:
    """``Ipaddr.V4``/``V6`` with their ``Prefix``: addresses are checked and kept as the strings
    Ipaddr prints, which is how the device library takes them (``~ipv4_network:"10.0.0.2/24"``)."""
    import ipaddress

    def addr(s: Any) -> str:
        try:
            a = ipaddress.ip_address(_str(s, f"Ipaddr.{name}.of_string_exn"))
        except ValueError:
            raise _parse_error(f"not an IPv{version} address", s) from None
        if a.version != version:
            raise _parse_error(f"not an IPv{version} address", s)
        return str(a)

    def prefix(s: Any) -> str:
        text = _str(s, f"Ipaddr.{name}.Prefix.of_string_exn")
        try:
            p = ipaddress.ip_interface(text)
        except ValueError:
            raise _parse_error(f"not an IPv{version} prefix", s) from None
        if p.version != version or "/" not in text:
            raise _parse_error(f"not an IPv{version} prefix", s)
        return str(p)

    prefix_mod = StructModule(
        f"Ipaddr.{name}.Prefix",
        {
            "of_string_exn": _native(f"Ipaddr.{name}.Prefix.of_string_exn", "pos", prefix),
            "to_string": _native(f"Ipaddr.{name}.Prefix.to_string", "pos", lambda p: p),
        },
    )
    return StructModule(
        f"Ipaddr.{name}",
        {
            "of_string_exn": _native(f"Ipaddr.{name}.of_string_exn", "pos", addr),
            "to_string": _native(f"Ipaddr.{name}.to_string", "pos", lambda a: a),
        },
        {"Prefix": prefix_mod},
    )


def _ipaddr_module() -> StructModule:
    """The parts of ``Ipaddr`` configs use to give addresses to devices."""
    return StructModule("Ipaddr", {}, {"V4": _address_module("V4", 4), "V6": _address_module("V6", 6)})


def _macaddr_module() -> StructModule:
    import re

    def of_string_exn(s: Any) -> str:
        text = _str(s, "Macaddr.of_string_exn")
        if not re.fullmatch(r"[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}", text):
            raise _err(ConfigMlFailure, f'exception Macaddr.Parse_error("not a MAC address", "{text}")')
        return text.lower().replace("-", ":")

    return StructModule("Macaddr", {"of_string_exn": _native("Macaddr.of_string_exn", "pos", of_string_exn)})


def _sys_module() -> StructModule:
    def getenv(_name: Any) -> Any:
        raise _err(ConfigMlFailure, "exception Not_found (the config.ml reader never reads the environment)")

    return StructModule(
        "Sys",
        {
            "getenv_opt": _native("Sys.getenv_opt", "pos", lambda _name: NONE),
            "getenv": _native("Sys.getenv", "pos", getenv),
            # the configuration program runs where the tool was started: its cwd is the config's directory
            "getcwd": _native("Sys.getcwd", "pos", lambda _u: os.getcwd()),
            "os_type": "Unix",
            "unix": True,
            "win32": False,
            "cygwin": False,
            "word_size": 64,
            "int_size": 63,
            "max_string_length": (1 << 57) - 9,
        },
    )


def _format_fn(name: str, fmt: Any, render: Callable[[str, list[Any]], Any]) -> Any:
    """A function of as many arguments as ``fmt`` takes, then ``render(fmt, args)``."""
    fmt = _str(fmt, name)
    try:
        n = count_args(fmt)
    except FormatSpecError as err:
        raise _err(ApplicationError, f"{name}: {err}") from None
    if n == 0:
        return render(fmt, [])
    return _native(name, " ".join(["pos"] * n), lambda *args: render(fmt, list(args)))


def _printf_module(ev: Evaluator, call: Callable[..., Any]) -> StructModule:
    def pp(p: Any, x: Any) -> str:
        r = call(p, None) if x is None else call(p, None, x)
        return _str(r, "a %a printer")

    def render(fmt: str, args: list[Any]) -> str:
        try:
            return printf(fmt, args, pp)
        except FormatSpecError as err:
            raise _err(ApplicationError, f"Printf.sprintf: {err}") from None

    def to_stdout(fmt: str, args: list[Any]) -> None:
        sys.stdout.write(render(fmt, args))

    def to_stderr(fmt: str, args: list[Any]) -> None:
        sys.stderr.write(render(fmt, args))

    return StructModule(
        "Printf",
        {
            "sprintf": _native("Printf.sprintf", "pos", lambda f: _format_fn("Printf.sprintf", f, render)),
            "printf": _native("Printf.printf", "pos", lambda f: _format_fn("Printf.printf", f, to_stdout)),
            "eprintf": _native("Printf.eprintf", "pos", lambda f: _format_fn("Printf.eprintf", f, to_stderr)),
        },
    )


def _fmt_module(ev: Evaluator, call: Callable[..., Any]) -> StructModule:
    """``Fmt`` (and ``Format``), rendered by the project's port of OCaml's Format."""
    from mirage_nb.functoria import fmt as F

    def render(fmt: str, args: list[Any]) -> str:
        try:
            check_star_widths(fmt, args)
            return F.sprintf(fmt, *[ev.to_py(a) for a in args])
        except ConfigMlError:
            raise
        except Exception as err:
            raise _err(ApplicationError, f"Fmt.str: {err}") from None

    def pf(ppf: Any, fmt: Any) -> Any:
        def go(f: str, args: list[Any]) -> None:
            if not isinstance(ppf, F.Formatter):
                raise _err(ApplicationError, "Fmt.pf expects a formatter (the first argument of a %a printer)")
            try:
                check_star_widths(f, args)
                F.fprintf(ppf, f, *[ev.to_py(a) for a in args])
            except ConfigMlError:
                raise
            except Exception as err:
                raise _err(ApplicationError, f"Fmt.pf: {err}") from None

        return _format_fn("Fmt.pf", fmt, go)

    def pr(fmt: str, args: list[Any]) -> None:
        sys.stdout.write(render(fmt, args))

    vals: dict[str, Any] = {
        "str": _native("Fmt.str", "pos", lambda f: _format_fn("Fmt.str", f, render)),
        "strf": _native("Fmt.strf", "pos", lambda f: _format_fn("Fmt.strf", f, render)),
        "pr": _native("Fmt.pr", "pos", lambda f: _format_fn("Fmt.pr", f, pr)),
        "pf": _native("Fmt.pf", "pos pos", pf),
    }
    if F is not None:
        vals["string"] = F.pp_string
        vals["int"] = F.pp_int
        vals["nop"] = F.pp_nop
        vals["cut"] = F.pp_cut
        vals["sp"] = F.pp_sp
        vals["list"] = _native(
            "Fmt.list", "?sep pos", lambda sep, pp: F.pp_list(ev.to_py(sep) or F.pp_cut, ev.to_py(pp))
        )
        _fmt_combinators(vals, call, F)
    return StructModule("Fmt", vals)


def _fmt_combinators(vals: dict[str, Any], call: Callable[..., Any], F: Any) -> None:  # noqa: N803
    """The ``Fmt`` printers and combinators configs use to build converters' printers."""

    def d(name: str, spec: str, fn: Callable[..., Any]) -> None:
        vals[name] = _native(f"Fmt.{name}", spec, fn)

    def pp_bool(ppf: Any, b: Any) -> None:
        ppf.string("true" if b else "false")

    def pp_option(none: Any, pp: Any, ppf: Any, o: Any) -> None:
        if isinstance(o, Constr) and o.name == "Some":
            call(pp, ppf, o.args[0])
        elif isinstance(none, Constr) and none.name == "Some":
            call(none.args[0], ppf, None)

    def pp_pair(sep: Any, pa: Any, pb: Any, ppf: Any, v: Any) -> None:
        call(pa, ppf, v[0])
        if isinstance(sep, Constr) and sep.name == "Some":
            call(sep.args[0], ppf, None)
        else:
            ppf.cut()
        call(pb, ppf, v[1])

    def failwith(fmt: Any) -> Any:
        def fail(f: str, args: list[Any]) -> Any:
            raise _failure(F.sprintf(f, *args))

        return _format_fn("Fmt.failwith", fmt, fail)

    d("using", "pos pos pos pos", lambda f, pp, ppf, v: call(pp, ppf, call(f, v)))
    d("const", "pos pos pos pos", lambda pp, v, ppf, _x: call(pp, ppf, v))
    d("any", "pos pos pos", lambda fmt, ppf, _x: F.fprintf(ppf, _str(fmt, "Fmt.any")))
    d("option", "?none pos pos pos", pp_option)
    d("pair", "?sep pos pos pos pos", pp_pair)
    d("to_to_string", "pos pos", lambda pp, v: _fmt_to_string(F, call, pp, v))
    d("failwith", "pos", failwith)
    vals["bool"] = pp_bool
    vals["float"] = lambda ppf, f: ppf.string(f"{float(f):g}")
    vals["char"] = lambda ppf, c: ppf.string(_str(c, "Fmt.char"))
    vals["text"] = F.pp_text
    vals["quote"] = _native(
        "Fmt.quote", "?mark pos pos pos", lambda mark, pp, ppf, v: _quote(F, call, mark, pp, ppf, v)
    )


def _fmt_to_string(F: Any, call: Callable[..., Any], pp: Any, v: Any) -> str:  # noqa: N803
    ppf = F.Formatter()
    call(pp, ppf, v)
    return ppf.contents()


def _quote(F: Any, call: Callable[..., Any], mark: Any, pp: Any, ppf: Any, v: Any) -> None:  # noqa: N803
    m = mark.args[0] if isinstance(mark, Constr) and mark.name == "Some" else '"'
    ppf.string(m)
    call(pp, ppf, v)
    ppf.string(m)
