"""Evaluates a parsed config.ml against the DSL, with OCaml's scoping and application rules.

Names are bound in an immutable chain of scopes (:class:`Env`): each ``let``
adds a frame, ``open M``/``M.(e)``/``let open M in`` add a frame that looks
names up in ``M`` first, so a local open really shadows (``Key.(value target)``
finds ``Key.value``). Application follows OCaml: labelled arguments go to the
parameter with that label wherever they are written, positional arguments
fill positional parameters in order, optional parameters left out are erased
once a later positional argument is applied, and a function applied to fewer
arguments is a partial application. Python functions of the DSL are applied
the same way through their ``inspect.signature`` (see the package docstring
for the convention).

Evaluation order is OCaml's (native code): arguments right to left, then the
function. Every step is counted and nesting is bounded, so a hostile config
ends in a :class:`LimitError`, never a hang or a Python stack overflow.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from mirage_nb.errors import ConfigMlError, MirageNbError

from . import _ast as A
from ._errors import (
    ApplicationError,
    ConfigMlFailure,
    ConfigMlTypeError,
    LimitError,
    MatchFailure,
    UnboundError,
    UnsupportedSyntaxError,
    error_at,
)
from ._pytypes import mismatch, param_hints
from ._span import Span
from ._values import NONE, Closure, Constr, FParam, Native, PolyVariant, PyModule, StructModule, some

__all__ = [
    "Env",
    "Evaluator",
    "PyPartial",
    "ArgValue",
    "NativeError",
    "POS_MARKER",
    "LOC_MARKER",
    "FILE_MARKER",
    "LINE_MARKER",
    "MAX_STEPS",
    "MAX_EVAL_DEPTH",
    "MAX_VALUE_SIZE",
    "describe_value",
]

#: Evaluation steps allowed for one config (the largest real config takes a few hundred).
MAX_STEPS = 200_000
#: Nesting of evaluation (including recursion through functions).
MAX_EVAL_DEPTH = 150
#: Largest string or list a config may build.
MAX_VALUE_SIZE = 1_000_000


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


POS_MARKER = _Marker("__POS__")
LOC_MARKER = _Marker("__LOC__")
FILE_MARKER = _Marker("__FILE__")
LINE_MARKER = _Marker("__LINE__")
_UNINIT = _Marker("<let rec value not yet defined>")


class Env:
    """One scope frame: bindings (values, modules, constructors) or an opened module; then the parent."""

    __slots__ = ("values", "modules", "constrs", "opened", "parent", "meter")

    def __init__(
        self,
        parent: Env | None = None,
        *,
        values: dict[str, Any] | None = None,
        modules: dict[str, Any] | None = None,
        constrs: dict[str, int] | None = None,
        opened: Any = None,
        meter: Any = None,
    ) -> None:
        self.parent = parent
        self.values = values
        self.modules = modules
        self.constrs = constrs
        self.opened = opened
        # Looking a name up walks the chain: the walk is charged to the evaluator's step budget,
        # so a config with thousands of top-level lets cannot make lookups quadratic without end.
        self.meter: Any = meter if meter is not None else (parent.meter if parent is not None else None)

    def _charge(self, walked: int) -> None:
        if self.meter is not None and walked > 16:
            self.meter.charge_walk(walked)

    def value(self, name: str) -> tuple[bool, Any]:
        e: Env | None = self
        walked = 0
        while e is not None:
            walked += 1
            if e.opened is not None:
                found, v = e.opened.value(name)
                if found:
                    self._charge(walked)
                    return True, v
            elif e.values is not None and name in e.values:
                self._charge(walked)
                return True, e.values[name]
            e = e.parent
        self._charge(walked)
        return False, None

    def module(self, name: str) -> tuple[bool, Any]:
        e: Env | None = self
        walked = 0
        while e is not None:
            walked += 1
            if e.opened is not None:
                found, v = e.opened.module(name)
                if found:
                    self._charge(walked)
                    return True, v
            elif e.modules is not None and name in e.modules:
                self._charge(walked)
                return True, e.modules[name]
            e = e.parent
        self._charge(walked)
        return False, None

    def constr(self, name: str) -> int | None:
        e: Env | None = self
        walked = 0
        while e is not None:
            walked += 1
            if e.opened is not None:
                n = e.opened.constr(name)
                if n is not None:
                    self._charge(walked)
                    return n
            elif e.constrs is not None and name in e.constrs:
                self._charge(walked)
                return e.constrs[name]
            e = e.parent
        self._charge(walked)
        return None

    def value_names(self) -> set[str]:
        names: set[str] = set()
        e: Env | None = self
        while e is not None:
            if e.opened is not None:
                names.update(e.opened.names())
            elif e.values is not None:
                names.update(e.values)
            e = e.parent
        return names

    def module_names(self) -> set[str]:
        names: set[str] = set()
        e: Env | None = self
        while e is not None:
            if e.modules is not None:
                names.update(e.modules)
            e = e.parent
        return names


@dataclass(frozen=True, slots=True)
class ArgValue:
    """An evaluated argument: ``kind`` pos/label/optional, its label, its value, where it was written."""

    kind: str
    label: str | None
    value: Any
    span: Span
    # where the value itself was written (``1`` in ``~min:1``), for type errors
    value_span: Span | None = None


@dataclass(frozen=True, slots=True)
class PyPartial:
    """A Python function applied to some of its arguments (OCaml partial application)."""

    fn: Callable[..., Any]
    name: str
    pos: tuple[Any, ...] = ()
    kw: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class _Spec:
    positional: tuple[tuple[str, bool, bool], ...]  # (name, required, positional_only)
    kwonly: tuple[tuple[str, bool], ...]  # (name, required)
    varargs: bool
    varkw: bool


class _OCamlCallable:
    """An OCaml function handed to Python (e.g. a ``~connect`` function given to ``impl``)."""

    __slots__ = ("_ev", "_fn", "_span", "__name__")

    def __init__(self, ev: Evaluator, fn: Any, span: Span) -> None:
        self._ev = ev
        self._fn = fn
        self._span = span
        self.__name__ = getattr(fn, "name", "fun")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ev = self._ev
        vals = [ArgValue("pos", None, ev.from_py(a), self._span) for a in args]
        vals += [ArgValue("label", k.rstrip("_"), ev.from_py(v), self._span) for k, v in kwargs.items()]
        if not vals:
            vals = [ArgValue("pos", None, None, self._span)]
        return ev.to_py(ev.apply(self._fn, vals, self._span))

    def __repr__(self) -> str:
        return f"<OCaml function {self.__name__}>"


def describe_value(v: Any) -> str:
    """A short, learner-facing description of a value, for error messages."""
    if v is None:
        return "()"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(v) if len(v) < 40 else repr(v[:37] + "...")
    if isinstance(v, list):
        return f"a list of {len(v)} elements"
    if isinstance(v, tuple):
        return f"a tuple of {len(v)} elements"
    if isinstance(v, (Constr, PolyVariant)):
        return f"the constructor {v!r}"
    if isinstance(v, (StructModule, PyModule)):
        return f"the module {v.name}"
    return f"a value of type {type(v).__name__}"


class Evaluator:
    """Evaluates one config.ml; ``registered`` collects what ``register`` returned, in order."""

    def __init__(
        self,
        source: str,
        filename: str,
        *,
        max_steps: int = MAX_STEPS,
        max_depth: int = MAX_EVAL_DEPTH,
    ) -> None:
        self.source = source
        self.filename = filename
        self.max_steps = max_steps
        self.max_depth = max_depth
        self.steps = 0
        self.depth = 0
        self.registered: list[Any] = []
        self.call_span: Span = Span(filename, 1, 1, 1, 1)
        self.cur_span: Span = self.call_span
        self._specs: dict[int, tuple[Any, _Spec | None]] = {}
        self._dispatch: dict[type, Callable[[Any, Env], Any]] = {
            A.IntLit: self._lit,
            A.FloatLit: self._lit,
            A.CharLit: self._lit,
            A.StringLit: self._lit,
            A.Ident: self._ident,
            A.Constr: self._constr,
            A.PolyVariant: self._polyvariant,
            A.TupleExpr: self._tuple,
            A.ListExpr: self._list,
            A.ArrayExpr: self._unsupported_node,
            A.RecordExpr: self._unsupported_node,
            A.FieldExpr: self._unsupported_node,
            A.Apply: self._apply_expr,
            A.Infix: self._infix,
            A.Prefix: self._prefix,
            A.OpValue: self._opvalue,
            A.Let: self._let,
            A.LetOpen: self._letopen,
            A.LocalOpen: self._localopen,
            A.Fun: self._fun,
            A.Function: self._function,
            A.Match: self._match,
            A.IfThenElse: self._if,
            A.Seq: self._seq,
            A.Constraint: self._constraint,
            A.Assert: self._assert,
        }

    # -- errors ------------------------------------------------------------------
    def fail(self, cls: type, msg: str, span: Span | None) -> NoReturn:
        raise error_at(cls, msg, span, self.source)

    def _depth_message(self) -> str:
        return (
            f"evaluation nested too deeply (more than {self.max_depth} levels of expressions and calls); "
            "is there a runaway recursion?"
        )

    def _hint(self, name: str, candidates: set[str]) -> str:
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.8)
        return f"\nHint: Did you mean {close[0]}?" if close else ""

    # -- module paths --------------------------------------------------------------
    def module_at(self, path: tuple[str, ...], env: Env, span: Span) -> Any:
        found, mod = env.module(path[0])
        if not found:
            self.fail(UnboundError, f"Unbound module {path[0]}" + self._hint(path[0], env.module_names()), span)
        for i, part in enumerate(path[1:], start=1):
            found, sub = mod.module(part)
            if not found:
                self.fail(UnboundError, f"Unbound module {'.'.join(path[: i + 1])}", span)
            mod = sub
        return mod

    # -- main dispatch -------------------------------------------------------------
    def eval(self, e: A.Expr, env: Env) -> Any:
        self.steps += 1
        if self.steps > self.max_steps:
            self.fail(
                LimitError,
                f"evaluation takes too many steps (more than {self.max_steps}); is there a runaway recursion?",
                e.span,
            )
        self.depth += 1
        self.cur_span = e.span
        try:
            if self.depth > self.max_depth:
                self.fail(LimitError, self._depth_message(), e.span)
            return self._dispatch[type(e)](e, env)
        finally:
            self.depth -= 1

    def _lit(self, e: Any, env: Env) -> Any:
        return e.value

    def _unsupported_node(self, e: A.Expr, env: Env) -> Any:
        what = {A.ArrayExpr: "arrays", A.RecordExpr: "records", A.FieldExpr: "record field access"}[type(e)]
        self.fail(UnsupportedSyntaxError, f"{what} are not supported by the config.ml reader", e.span)

    def _ident(self, e: A.Ident, env: Env) -> Any:
        if e.path:
            mod = self.module_at(e.path, env, e.span)
            found, v = mod.value(e.name)
            if not found:
                self.fail(
                    UnboundError,
                    f"Unbound value {'.'.join(e.path)}.{e.name}" + self._hint(e.name, set(mod.names())),
                    e.span,
                )
        else:
            found, v = env.value(e.name)
            if not found:
                self._unbound_value(e.name, env, e.span)
        if isinstance(v, _Marker):
            return self._marker(v, e, env)
        return v

    def _unbound_value(self, name: str, env: Env, span: Span) -> NoReturn:
        from ._stdlib import UNSUPPORTED_NAMES

        if name in UNSUPPORTED_NAMES:
            self.fail(
                UnsupportedSyntaxError,
                f"{name} ({UNSUPPORTED_NAMES[name]}) is not supported by the config.ml reader",
                span,
            )
        shown = name if name[0].isalpha() or name[0] == "_" else f"( {name} )"
        self.fail(UnboundError, f"Unbound value {shown}" + self._hint(name, env.value_names()), span)

    def _marker(self, m: _Marker, e: A.Ident, env: Env) -> Any:
        span = e.span
        if m is _UNINIT:
            self.fail(
                UnsupportedSyntaxError,
                f"This kind of expression is not allowed as right-hand side of `let rec' ({e.name} is used "
                "before it is defined)",
                span,
            )
        line_start = span.offset - (span.column - 1)
        # OCaml counts columns in bytes.
        col = len(self.source[line_start : span.offset].encode("utf-8"))
        if span.end_line == span.line:
            end_col = col + len(self.source[span.offset : span.end_offset].encode("utf-8"))
        else:
            end_col = col
        if m is POS_MARKER:
            return (self.filename, span.line, col, end_col)
        if m is LOC_MARKER:
            return f'File "{self.filename}", line {span.line}, characters {col}-{end_col}'
        if m is FILE_MARKER:
            return self.filename
        return span.line

    def _constr(self, e: A.Constr, env: Env) -> Any:
        name = e.name
        if not e.path:
            if name == "true":
                return True
            if name == "false":
                return False
            if name == "()":
                return None
            if name == "[]":
                return []
        arity = self._constr_arity(e.path, name, env, e.span)
        given = 0 if e.arg is None else 1
        if arity == 0 and given:
            self.fail(
                ApplicationError,
                f"The constructor {name} expects 0 argument(s), but is applied here to 1 argument(s)",
                e.span,
            )
        if arity > 0 and not given:
            self.fail(
                ApplicationError,
                f"The constructor {name} expects {arity} argument(s), but is applied here to 0 argument(s)",
                e.span,
            )
        if e.arg is None:
            return Constr(name)
        v = self.eval(e.arg, env)
        if arity == 1:
            return Constr(name, (v,))
        if not (isinstance(v, tuple) and len(v) == arity):
            self.fail(
                ApplicationError,
                f"The constructor {name} expects {arity} argument(s), but is applied here to 1 argument(s)",
                e.span,
            )
        return Constr(name, v)

    def _constr_arity(self, path: tuple[str, ...], name: str, env: Env, span: Span) -> int:
        if path:
            mod = self.module_at(path, env, span)
            n = mod.constr(name)
        else:
            n = env.constr(name)
        if n is None:
            shown = ".".join((*path, name))
            self.fail(UnboundError, f"Unbound constructor {shown}", span)
        return n

    def _polyvariant(self, e: A.PolyVariant, env: Env) -> Any:
        if e.arg is None:
            return PolyVariant(e.tag)
        return PolyVariant(e.tag, (self.eval(e.arg, env),))

    def _tuple(self, e: A.TupleExpr, env: Env) -> Any:
        vals = [self.eval(x, env) for x in reversed(e.items)]
        vals.reverse()
        return tuple(vals)

    def _list(self, e: A.ListExpr, env: Env) -> Any:
        vals = [self.eval(x, env) for x in reversed(e.items)]
        vals.reverse()
        return vals

    def _apply_expr(self, e: A.Apply, env: Env) -> Any:
        vals: list[ArgValue] = []
        for a in reversed(e.args):
            if a.expr is None:
                assert a.label is not None
                found, v = env.value(a.label)
                if not found:
                    self._unbound_value(a.label, env, a.span)
                if isinstance(v, _Marker):
                    v = self._marker(v, A.Ident((), a.label, span=a.span), env)
            else:
                v = self.eval(a.expr, env)
            vals.append(ArgValue(a.kind, a.label, v, a.span, a.expr.span if a.expr is not None else None))
        vals.reverse()
        f = self.eval(e.func, env)
        return self.apply(f, vals, e.span, e.func)

    def _operator(self, op: str, path: tuple[str, ...], env: Env, span: Span) -> Any:
        if path:
            mod = self.module_at(path, env, span)
            found, v = mod.value(op)
            if not found:
                self.fail(UnboundError, f"Unbound value {'.'.join(path)}.( {op} )", span)
            return v
        found, v = env.value(op)
        if not found:
            self._unbound_value(op, env, span)
        return v

    def _infix(self, e: A.Infix, env: Env) -> Any:
        op = e.op
        if op in ("&&", "&", "||", "or"):
            found, v = env.value(op)
            from ._stdlib import BUILTIN_OPS

            if found and v is BUILTIN_OPS.get(op):
                left = self._bool(self.eval(e.left, env), e.left.span, op)
                if (op in ("&&", "&")) != left:
                    return left
                return self._bool(self.eval(e.right, env), e.right.span, op)
        if op == "::":
            tail = self.eval(e.right, env)
            head = self.eval(e.left, env)
            if not isinstance(tail, list):
                self.fail(
                    ApplicationError,
                    f"The right operand of :: must be a list, not {describe_value(tail)}",
                    e.right.span,
                )
            self._check_size(len(tail) + 1, e.span)
            return [head, *tail]
        f = self._operator(op, (), env, e.span)
        right = self.eval(e.right, env)
        left = self.eval(e.left, env)
        return self.apply(
            f,
            [ArgValue("pos", None, left, e.left.span), ArgValue("pos", None, right, e.right.span)],
            e.span,
            None,
            name=f"( {op} )",
        )

    def _bool(self, v: Any, span: Span, op: str) -> bool:
        if not isinstance(v, bool):
            self.fail(ApplicationError, f"The operands of {op} must be booleans, not {describe_value(v)}", span)
        return v

    def _prefix(self, e: A.Prefix, env: Env) -> Any:
        op = e.op
        name = {"-": "~-", "-.": "~-.", "+": "~+", "+.": "~+."}.get(op, op)
        f = self._operator(name, (), env, e.span)
        v = self.eval(e.operand, env)
        return self.apply(f, [ArgValue("pos", None, v, e.operand.span)], e.span, None, name=f"( {name} )")

    def _opvalue(self, e: A.OpValue, env: Env) -> Any:
        return self._operator(e.op, e.path, env, e.span)

    # -- binding constructs --------------------------------------------------------
    def _let(self, e: A.Let, env: Env) -> Any:
        new_env = self.bind_let(e.rec, e.bindings, env, None)
        return self.eval(e.body, new_env)

    def bind_let(self, rec: bool, bindings: tuple[A.Binding, ...], env: Env, exports: dict[str, Any] | None) -> Env:
        """Evaluate a ``let`` (``rec`` or not) and return the scope with its names bound."""
        values: dict[str, Any] = {}
        if rec:
            for b in bindings:
                if not isinstance(b.pattern, A.PVar) and not (
                    isinstance(b.pattern, A.PConstraint) and isinstance(b.pattern.pattern, A.PVar)
                ):
                    self.fail(
                        UnsupportedSyntaxError,
                        "Only variables are allowed as left-hand side of `let rec'",
                        b.pattern.span,
                    )
                values[_pvar_name(b.pattern)] = _UNINIT
            new_env = Env(env, values=values)
            for b in bindings:
                values[_pvar_name(b.pattern)] = self._binding_value(b, new_env)
        else:
            # Right-hand sides see the old scope (non-recursive let); evaluated right to left
            # like OCaml's ``let ... and ...``, then bound left to right.
            results = [(b, self._binding_value(b, env)) for b in reversed(bindings)]
            results.reverse()
            for b, v in results:
                self.bind_pattern(b.pattern, v, values, env, b.span)
            new_env = Env(env, values=values)
        if exports is not None:
            exports.update(values)
        return new_env

    def _binding_value(self, b: A.Binding, env: Env) -> Any:
        if b.params:
            name = _pvar_name(b.pattern) if isinstance(b.pattern, (A.PVar, A.PConstraint)) else "fun"
            return self.make_closure(name, b.params, b.body, env)
        return self.eval(b.body, env)

    def make_closure(self, name: str, params: tuple[A.Param, ...], body: A.Expr, env: Env) -> Closure:
        return Closure(name, tuple(FParam(p.kind, p.label, p) for p in params), body, env)

    def bind_pattern(self, p: A.Pattern, v: Any, values: dict[str, Any], env: Env, span: Span) -> None:
        if not self.match_pattern(p, v, values, env):
            self.fail(MatchFailure, f"Match_failure: the value {describe_value(v)} does not match this pattern", p.span)

    def _letopen(self, e: A.LetOpen, env: Env) -> Any:
        mod = self.module_at(e.path, env, e.span)
        return self.eval(e.body, Env(env, opened=mod))

    def _localopen(self, e: A.LocalOpen, env: Env) -> Any:
        mod = self.module_at(e.path, env, e.span)
        return self.eval(e.expr, Env(env, opened=mod))

    def _fun(self, e: A.Fun, env: Env) -> Any:
        return self.make_closure("fun", e.params, e.body, env)

    def _function(self, e: A.Function, env: Env) -> Any:
        arg = A.Ident((), "function argument", span=e.span)
        body = A.Match(arg, e.cases, span=e.span)
        param = A.Param("pos", None, A.PVar("function argument", span=e.span), span=e.span)
        return Closure("function", (FParam("pos", None, param),), body, env)

    def _match(self, e: A.Match, env: Env) -> Any:
        v = self.eval(e.scrutinee, env)
        return self.match_cases(e.cases, v, env, e.span)

    def match_cases(self, cases: tuple[A.Case, ...], v: Any, env: Env, span: Span) -> Any:
        for c in cases:
            values: dict[str, Any] = {}
            if self.match_pattern(c.pattern, v, values, env):
                case_env = Env(env, values=values) if values else env
                if c.guard is not None:
                    g = self.eval(c.guard, case_env)
                    if not self._bool(g, c.guard.span, "when"):
                        continue
                return self.eval(c.body, case_env)
        self.fail(
            MatchFailure,
            f'Match_failure ("{span.file}", {span.line}, {span.column - 1}): no case matches {describe_value(v)}',
            span,
        )

    def _if(self, e: A.IfThenElse, env: Env) -> Any:
        c = self.eval(e.cond, env)
        if not isinstance(c, bool):
            self.fail(
                ApplicationError,
                f"The condition of if must be a boolean, not {describe_value(c)} "
                "(for a choice between devices, use if_impl)",
                e.cond.span,
            )
        if c:
            return self.eval(e.then, env)
        if e.orelse is None:
            return None
        return self.eval(e.orelse, env)

    def _seq(self, e: A.Seq, env: Env) -> Any:
        self.eval(e.first, env)
        return self.eval(e.second, env)

    def _constraint(self, e: A.Constraint, env: Env) -> Any:
        return self.eval(e.expr, env)

    def _assert(self, e: A.Assert, env: Env) -> Any:
        v = self.eval(e.expr, env)
        if v is not True:
            s = e.span
            col = s.column - 1
            self.fail(ConfigMlFailure, f'exception Assert_failure("{s.file}", {s.line}, {col})', s)
        return None

    # -- patterns ------------------------------------------------------------------
    def match_pattern(self, p: A.Pattern, v: Any, out: dict[str, Any], env: Env) -> bool:
        """Match ``v`` against ``p``, adding the variables it binds to ``out``."""
        self.steps += 1
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                self.fail(LimitError, self._depth_message(), p.span)
            return self._match_pattern(p, v, out, env)
        finally:
            self.depth -= 1

    def _match_pattern(self, p: A.Pattern, v: Any, out: dict[str, Any], env: Env) -> bool:
        match p:
            case A.PAny():
                return True
            case A.PVar(name=name):
                out[name] = v
                return True
            case A.PConst(value=lit):
                lv = lit.value
                return type(v) is type(lv) and v == lv
            case A.PConstr(path=path, name=name, arg=arg):
                if not path:
                    if name in ("true", "false"):
                        return isinstance(v, bool) and v == (name == "true")
                    if name == "()":
                        return v is None
                    if name == "[]":
                        return isinstance(v, list) and not v
                arity = self._constr_arity(path, name, env, p.span)
                if not (isinstance(v, Constr) and v.name == name):
                    return False
                if arg is None:
                    if arity and not isinstance(v, Constr):
                        return False
                    return True
                if arity == 0:
                    self.fail(
                        ApplicationError,
                        f"The constructor {name} expects 0 argument(s), but is applied here to 1 argument(s)",
                        p.span,
                    )
                if arity == 1:
                    return self.match_pattern(arg, v.args[0], out, env)
                if isinstance(arg, A.PAny):
                    return True
                return self.match_pattern(arg, tuple(v.args), out, env)
            case A.PVariant(tag=tag, arg=arg):
                if isinstance(v, str) and arg is None:  # a variant that went through Python
                    return v == tag
                if getattr(v, "ocaml_tag", None) is not None and arg is None:  # the DSL's own (Key.Mode.HVT)
                    return v.ocaml_tag == tag
                if isinstance(v, tuple) and len(v) == 2 and v[0] == tag and arg is not None:
                    return self.match_pattern(arg, v[1], out, env)
                if not (isinstance(v, PolyVariant) and v.tag == tag):
                    return False
                if arg is None:
                    return not v.args
                return bool(v.args) and self.match_pattern(arg, v.args[0], out, env)
            case A.PTuple(items=items):
                if not (isinstance(v, tuple) and len(v) == len(items)):
                    return False
                return all(self.match_pattern(pi, vi, out, env) for pi, vi in zip(items, v, strict=True))
            case A.PList(items=items):
                if not (isinstance(v, list) and len(v) == len(items)):
                    return False
                return all(self.match_pattern(pi, vi, out, env) for pi, vi in zip(items, v, strict=True))
            case A.PCons(head=head, tail=tail):
                if not (isinstance(v, list) and v):
                    return False
                self._charge(len(v), p.span)
                return self.match_pattern(head, v[0], out, env) and self.match_pattern(tail, v[1:], out, env)
            case A.POr(left=left, right=right):
                trial: dict[str, Any] = {}
                if self.match_pattern(left, v, trial, env):
                    out.update(trial)
                    return True
                return self.match_pattern(right, v, out, env)
            case A.PAlias(pattern=inner, name=name):
                if self.match_pattern(inner, v, out, env):
                    out[name] = v
                    return True
                return False
            case A.PConstraint(pattern=inner):
                return self.match_pattern(inner, v, out, env)
            case A.PRecord():
                self.fail(UnsupportedSyntaxError, "record patterns are not supported by the config.ml reader", p.span)
        raise AssertionError(p)

    # -- application ---------------------------------------------------------------
    def apply(
        self,
        f: Any,
        args: list[ArgValue],
        span: Span,
        func_expr: A.Expr | None = None,
        *,
        name: str | None = None,
    ) -> Any:
        """Apply ``f`` to ``args`` with OCaml's rules; returns the result (maybe a partial application)."""
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                self.fail(LimitError, self._depth_message(), span)
            while args:
                self.steps += 1
                if self.steps > self.max_steps:
                    self.fail(
                        LimitError,
                        f"evaluation takes too many steps (more than {self.max_steps}); is there a runaway recursion?",
                        span,
                    )
                if isinstance(f, (Closure, Native)):
                    f, args = self._apply_ocaml(f, args, span)
                elif isinstance(f, PyPartial):
                    f, args = self._apply_python(f, args, span)
                elif callable(f) and not isinstance(f, (StructModule, PyModule)):
                    fname = getattr(f, "__name__", None) or name or type(f).__name__
                    f, args = self._apply_python(PyPartial(f, str(fname)), args, span)
                elif func_expr is None and name is None:
                    self.fail(
                        ApplicationError,
                        f"This function is applied to too many arguments: its result, {describe_value(f)}, "
                        "is not a function",
                        args[0].span,
                    )
                else:
                    what = name or (_expr_name(func_expr) if func_expr is not None else None)
                    self.fail(
                        ApplicationError,
                        f"This expression{'' if what is None else ' (' + what + ')'} is "
                        f"{describe_value(f)}; it is not a function, it cannot be applied",
                        func_expr.span if func_expr is not None else span,
                    )
                func_expr = None
            return f
        finally:
            self.depth -= 1

    def _assign(
        self, fname: str, params: tuple[FParam, ...], args: list[ArgValue], span: Span
    ) -> tuple[dict[int, Any], set[int], list[ArgValue]]:
        """OCaml's matching of arguments to parameters: (assigned, erased optionals, leftover args)."""
        assigned: dict[int, Any] = {}
        leftover_idx: list[int] = []
        positional: list[int] = []
        for k, a in enumerate(args):
            if a.kind == "pos":
                positional.append(k)
                continue
            idx = next(
                (i for i, p in enumerate(params) if i not in assigned and p.kind != "pos" and p.label == a.label),
                None,
            )
            if idx is None:
                leftover_idx.append(k)
                continue
            p = params[idx]
            if a.kind == "label":
                assigned[idx] = some(a.value) if p.kind == "optional" else a.value
            else:
                if p.kind != "optional":
                    self.fail(
                        ApplicationError,
                        f"This argument cannot be applied with label ?{a.label}: "
                        f"the parameter ~{a.label} of {fname} is not optional",
                        a.span,
                    )
                if not (isinstance(a.value, Constr) and a.value.name in ("None", "Some")):
                    self.fail(
                        ApplicationError,
                        f"The argument ?{a.label} must be an option (None or Some x), not {describe_value(a.value)}",
                        a.span,
                    )
                assigned[idx] = a.value
        last_pos = -1
        pi = 0
        for i, p in enumerate(params):
            if pi >= len(positional):
                break
            if p.kind == "pos" and i not in assigned:
                assigned[i] = args[positional[pi]].value
                pi += 1
                last_pos = i
        leftover_idx.extend(positional[pi:])
        leftover_idx.sort()
        erased = {i for i, p in enumerate(params) if p.kind == "optional" and i not in assigned and i < last_pos}
        return assigned, erased, [args[k] for k in leftover_idx]

    def _apply_ocaml(self, f: Closure | Native, args: list[ArgValue], span: Span) -> tuple[Any, list[ArgValue]]:
        params = f.params
        assigned, erased, leftover = self._assign(f.name, params, args, span)
        remaining = [i for i in range(len(params)) if i not in assigned and i not in erased]
        if remaining and leftover:
            bad = leftover[0]
            missing = params[remaining[0]]
            if bad.kind != "pos" and not any(params[i].label == bad.label for i in remaining):
                self.fail(
                    ApplicationError,
                    f"This argument cannot be applied with label {'~' if bad.kind == 'label' else '?'}{bad.label}: "
                    f"{f.name} has no such parameter",
                    bad.span,
                )
            self.fail(
                ApplicationError,
                f"{f.name} still expects {_fparam_str(missing)} before its other arguments",
                bad.span,
            )
        if isinstance(f, Native):
            bound = list(f.bound)
            for i in range(len(params)):
                if i in assigned:
                    bound.append((f.remaining[i], assigned[i]))
                elif i in erased:
                    bound.append((f.remaining[i], NONE))
            if remaining:
                return Native(f.name, f.all_params, f.fn, tuple(f.remaining[i] for i in remaining), tuple(bound)), []
            bound.sort(key=lambda t: t[0])
            self.call_span = span
            values = [v for _, v in bound]
            # Natives do O(size) work in one step: charge it, so big values cannot make a config hang.
            self._charge(sum(len(v) for v in values if isinstance(v, (str, list, tuple))), span)
            try:
                result = f.fn(*values)
            except ConfigMlError:
                raise
            except NativeError as err:
                self.fail(err.cls, err.msg, span)
            except RecursionError:
                self.fail(LimitError, "evaluation nested too deeply", span)
            except MirageNbError as err:
                raise error_at(ConfigMlFailure, f"{f.name}: {err}", span, self.source) from err
            except Exception as err:
                raise error_at(
                    ConfigMlFailure, f"{f.name} failed: {type(err).__name__}: {err}", span, self.source
                ) from err
            if isinstance(result, (str, list, tuple)):
                self._charge(len(result), span)
            return result, leftover
        env = f.env
        rest: list[FParam] = []
        for i, fp in enumerate(params):
            if i not in assigned and i not in erased:
                rest.append(fp)
                continue
            p = fp.param
            assert p is not None
            if p.kind == "optional":
                value = NONE if i in erased else assigned[i]
                if p.default is not None:
                    value = self.eval(p.default, env) if value == NONE else value.args[0]
            else:
                value = assigned[i]
            bound_values: dict[str, Any] = {}
            self.bind_pattern(p.pattern, value, bound_values, env, p.span)
            env = Env(env, values=bound_values)
        if rest:
            return Closure(f.name, tuple(rest), f.body, env), []
        return self.eval(f.body, env), leftover

    # -- Python functions ------------------------------------------------------------
    def _spec(self, fn: Callable[..., Any]) -> _Spec | None:
        key = id(fn)
        cached = self._specs.get(key)
        if cached is not None and cached[0] is fn:
            return cached[1]
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            spec = None
        else:
            pos: list[tuple[str, bool, bool]] = []
            kwonly: list[tuple[str, bool]] = []
            varargs = varkw = False
            for prm in sig.parameters.values():
                required = prm.default is inspect.Parameter.empty
                if prm.kind is inspect.Parameter.POSITIONAL_ONLY:
                    pos.append((prm.name, required, True))
                elif prm.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
                    pos.append((prm.name, required, False))
                elif prm.kind is inspect.Parameter.VAR_POSITIONAL:
                    varargs = True
                elif prm.kind is inspect.Parameter.KEYWORD_ONLY:
                    kwonly.append((prm.name, required))
                else:
                    varkw = True
            spec = _Spec(tuple(pos), tuple(kwonly), varargs, varkw)
        self._specs[key] = (fn, spec)
        return spec

    def _py_label(self, spec: _Spec | None, label: str) -> str | None:
        from ._values import python_names

        if spec is None:
            return python_names(label)[0]
        names = {n for n, _, po in spec.positional if not po} | {n for n, _ in spec.kwonly}
        for cand in python_names(label):
            if cand in names:
                return cand
        return python_names(label)[0] if spec.varkw else None

    def _apply_python(self, f: PyPartial, args: list[ArgValue], span: Span) -> tuple[Any, list[ArgValue]]:
        spec = self._spec(f.fn)
        hints = param_hints(f.fn) if spec is not None else {}
        kw = dict(f.kw)
        pos = list(f.pos)
        # where each positional argument was written (those of an earlier partial application: the call)
        pos_spans = [span] * len(pos)
        for a in args:
            if a.kind == "pos":
                pos.append(a.value)
                pos_spans.append(a.span)
                continue
            assert a.label is not None
            pyname = self._py_label(spec, a.label)
            if pyname is None:
                mark = "~" if a.kind == "label" else "?"
                self.fail(
                    ApplicationError,
                    f"This argument cannot be applied with label {mark}{a.label}: "
                    f"{f.name} has no parameter {a.label}"
                    + self._hint(
                        a.label, {n for n, *_ in spec.positional} | {n for n, _ in spec.kwonly} if spec else set()
                    ),
                    a.span,
                )
            if pyname in kw:
                self.fail(ApplicationError, f"The label ~{a.label} is given twice to {f.name}", a.span)
            if a.kind == "label":
                kw[pyname] = self.to_py(a.value)
                self._check_arg(hints, pyname, kw[pyname], a.value_span or a.span)
            else:
                v = a.value
                if not (isinstance(v, Constr) and v.name in ("None", "Some")):
                    self.fail(
                        ApplicationError,
                        f"The argument ?{a.label} must be an option (None or Some x), not {describe_value(v)}",
                        a.span,
                    )
                if v.name == "Some":
                    kw[pyname] = self.to_py(v.args[0])
                    self._check_arg(hints, pyname, kw[pyname], a.value_span or a.span)
        if spec is None:
            if not pos:
                return PyPartial(f.fn, f.name, tuple(pos), tuple(kw.items())), []
            return self._call_python(f, [self.to_py(x) for x in pos if x is not None or len(pos) > 1], kw, span), []
        slots = [(n, req, po) for n, req, po in spec.positional if n not in kw]
        need = sum(1 for _, req, _ in slots if req)
        missing_kw = [n for n, req in spec.kwonly if req and n not in kw]
        if len(pos) < need or not pos or missing_kw:
            return PyPartial(f.fn, f.name, tuple(pos), tuple(kw.items())), []
        take = need
        while take < len(pos) and (take < len(slots) or spec.varargs) and pos[take] is not None:
            take += 1
        if spec.varargs:
            take = len(pos)
        used, leftover_vals = pos[:take], pos[take:]
        if leftover_vals and leftover_vals[0] is None and (need == 0 or take >= need):
            leftover_vals = leftover_vals[1:]  # a unit argument: the OCaml way of saying "call it now"
        call_pos: list[Any] = []
        it = iter(zip(used, pos_spans, strict=False))
        remaining_used = len(used)
        for n, _req, _po in spec.positional:
            if n in kw:
                if remaining_used == 0:
                    break
                call_pos.append(kw.pop(n))
            else:
                if remaining_used == 0:
                    break
                value, where = next(it)
                call_pos.append(self.to_py(value))
                self._check_arg(hints, n, call_pos[-1], where)
                remaining_used -= 1
        call_pos.extend(self.to_py(x) for x, _ in it)
        result = self._call_python(f, call_pos, kw, span)
        return result, [ArgValue("pos", None, v, span) for v in leftover_vals]

    def _check_arg(self, hints: dict[str, Any], name: str, value: Any, span: Span) -> None:
        """OCaml's type error when ``value`` cannot be the parameter ``name`` (see :mod:`._pytypes`)."""
        hint = hints.get(name)
        if hint is None:
            return
        problem = mismatch(value, hint)
        if problem is not None:
            self.fail(ConfigMlTypeError, problem, span)

    def _call_python(self, f: PyPartial, pos: list[Any], kw: dict[str, Any], span: Span) -> Any:
        try:
            result = f.fn(*pos, **kw)
        except ConfigMlError:
            raise
        except MirageNbError as err:
            raise error_at(ConfigMlFailure, f"{f.name}: {err}", span, self.source) from err
        except RecursionError as err:
            raise error_at(LimitError, "evaluation nested too deeply", span, self.source) from err
        except Exception as err:
            raise error_at(ConfigMlFailure, f"{f.name} failed: {type(err).__name__}: {err}", span, self.source) from err
        return self.from_py(result)

    # -- Python boundary -------------------------------------------------------------
    def to_py(self, v: Any) -> Any:
        """An OCaml value as the DSL expects it: options unwrapped, OCaml functions made callable."""
        if isinstance(v, Constr):
            if v.name == "None" and not v.args:
                return None
            if v.name == "Some" and len(v.args) == 1:
                return self.to_py(v.args[0])
            return v
        if isinstance(v, PolyVariant):
            # `None -> "None", `Some x -> ("Some", x): the DSL's spelling of polymorphic variants
            return v.tag if not v.args else (v.tag, *(self.to_py(a) for a in v.args))
        if isinstance(v, list):
            return [self.to_py(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.to_py(x) for x in v)
        if isinstance(v, (Closure, Native)):
            return _OCamlCallable(self, v, Span(self.filename, 1, 1, 1, 1))
        if isinstance(v, PyPartial):
            return functools.partial(v.fn, *[self.to_py(x) for x in v.pos], **dict(v.kw))
        return v

    def from_py(self, v: Any) -> Any:
        """A Python value seen from OCaml (``None`` is unit)."""
        if isinstance(v, _OCamlCallable):
            return v._fn
        return v

    def charge_walk(self, walked: int) -> None:
        """Charge a long scope walk (see :class:`Env`) to the step budget."""
        self.steps += walked >> 4
        if self.steps > self.max_steps:
            self.fail(
                LimitError,
                f"evaluation takes too many steps (more than {self.max_steps}); the config has too many names",
                self.cur_span,
            )

    def _charge(self, size: int, span: Span) -> None:
        self.steps += size >> 6
        if self.steps > self.max_steps:
            self.fail(
                LimitError,
                f"evaluation takes too many steps (more than {self.max_steps}); is there a runaway recursion?",
                span,
            )

    def _check_size(self, n: int, span: Span) -> None:
        if n > MAX_VALUE_SIZE:
            self.fail(LimitError, f"value too large ({n} elements; the reader allows {MAX_VALUE_SIZE})", span)


class NativeError(Exception):
    """Raised by Stdlib natives; the evaluator turns it into ``cls`` at the application's location."""

    def __init__(self, cls: type, msg: str) -> None:
        super().__init__(msg)
        self.cls = cls
        self.msg = msg


def _pvar_name(p: A.Pattern) -> str:
    if isinstance(p, A.PConstraint):
        p = p.pattern
    assert isinstance(p, A.PVar)
    return p.name


def _fparam_str(p: FParam) -> str:
    if p.kind == "label":
        return f"~{p.label}"
    if p.kind == "optional":
        return f"?{p.label}"
    return "a positional argument"


def _expr_name(e: A.Expr) -> str | None:
    if isinstance(e, A.Ident):
        return ".".join((*e.path, e.name))
    return None
