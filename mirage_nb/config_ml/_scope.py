"""Checks every name of a top-level item before it runs, as OCaml's compiler does.

OCaml rejects ``Unbound value x`` anywhere in config.ml, even inside a function
that is never called (a ``~connect`` function, a branch not taken). The
evaluator alone would only notice when the code runs, so each top-level item
is first walked with the scopes it will have: local binders are frames of an
:class:`Env` holding a placeholder, local opens are opened frames, and the
rest is the real environment of the items before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _ast as A
from ._eval import Env

if TYPE_CHECKING:
    from ._eval import Evaluator

__all__ = ["check_names", "check_bindings"]

_BOUND = object()
_PREFIX_NAMES = {"-": "~-", "-.": "~-.", "+": "~+", "+.": "~+."}


def _bind(env: Env, names: list[str]) -> Env:
    return Env(env, values=dict.fromkeys(names, _BOUND)) if names else env


class _Checker:
    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev

    # -- patterns: check constructors, return the variables bound ----------------------
    def pattern(self, p: A.Pattern, env: Env, out: list[str]) -> None:
        stack: list[Any] = [p]
        while stack:
            q = stack.pop()
            match q:
                case A.PVar(name=name):
                    out.append(name)
                case A.PConstr(path=path, name=name, arg=arg):
                    if path or name not in ("true", "false", "()", "[]"):
                        self.ev._constr_arity(path, name, env, q.span)
                    if arg is not None:
                        stack.append(arg)
                case A.PVariant(arg=arg):
                    if arg is not None:
                        stack.append(arg)
                case A.PTuple(items=items) | A.PList(items=items):
                    stack.extend(reversed(items))
                case A.PCons(head=head, tail=tail):
                    stack.extend((tail, head))
                case A.POr(left=left, right=right):
                    # both sides bind the same names (OCaml checks that); take the left's
                    names: list[str] = []
                    self.pattern(left, env, names)
                    self.pattern(right, env, [])
                    out.extend(names)
                case A.PAlias(pattern=inner, name=name):
                    stack.append(inner)
                    out.append(name)
                case A.PConstraint(pattern=inner):
                    stack.append(inner)
                case A.PRecord(fields=fields):
                    for _path, fname, sub in fields:
                        if sub is None:
                            out.append(fname)
                        else:
                            stack.append(sub)

    def params(self, params: tuple[A.Param, ...], env: Env) -> Env:
        for prm in params:
            if prm.default is not None:
                self.expr(prm.default, env)
            names: list[str] = []
            self.pattern(prm.pattern, env, names)
            env = _bind(env, names)
        return env

    def bindings(self, rec: bool, bindings: tuple[A.Binding, ...], env: Env) -> Env:
        names: list[str] = []
        for b in bindings:
            self.pattern(b.pattern, env, names)
        inner = _bind(env, names) if rec else env
        for b in bindings:
            self.expr(b.body, self.params(b.params, inner) if b.params else inner)
        return _bind(env, names)

    def cases(self, cases: tuple[A.Case, ...], env: Env) -> None:
        for c in cases:
            names: list[str] = []
            self.pattern(c.pattern, env, names)
            case_env = _bind(env, names)
            if c.guard is not None:
                self.expr(c.guard, case_env)
            self.expr(c.body, case_env)

    # -- expressions ---------------------------------------------------------------------
    def lookup(self, name: str, env: Env, span: Any) -> None:
        self.ev.cur_span = span
        found, _ = env.value(name)
        if not found:
            self.ev._unbound_value(name, env, span)

    def expr(self, e: A.Expr, env: Env) -> None:
        ev = self.ev
        match e:
            case A.Ident(path=path, name=name):
                if path:
                    mod = ev.module_at(path, env, e.span)
                    found, _ = mod.value(name)
                    if not found:
                        ev._ident(e, env)  # raises the located "Unbound value M.x"
                else:
                    self.lookup(name, env, e.span)
            case A.Constr(path=path, name=name, arg=arg):
                if path or name not in ("true", "false", "()", "[]"):
                    ev._constr_arity(path, name, env, e.span)
                if arg is not None:
                    self.expr(arg, env)
            case A.PolyVariant(arg=arg):
                if arg is not None:
                    self.expr(arg, env)
            case A.TupleExpr(items=items) | A.ListExpr(items=items) | A.ArrayExpr(items=items):
                for x in items:
                    self.expr(x, env)
            case A.RecordExpr(fields=fields, base=base):
                if base is not None:
                    self.expr(base, env)
                for _p, fname, value in fields:
                    if value is None:
                        self.lookup(fname, env, e.span)
                    else:
                        self.expr(value, env)
            case A.FieldExpr(expr=inner):
                self.expr(inner, env)
            case A.Apply(func=func, args=args):
                self.expr(func, env)
                for a in args:
                    if a.expr is None:
                        assert a.label is not None
                        self.lookup(a.label, env, a.span)
                    else:
                        self.expr(a.expr, env)
            case A.Infix(op=op, left=left, right=right):
                if op != "::":
                    self.lookup(op, env, e.span)
                self.expr(left, env)
                self.expr(right, env)
            case A.Prefix(op=op, operand=operand):
                self.lookup(_PREFIX_NAMES.get(op, op), env, e.span)
                self.expr(operand, env)
            case A.OpValue(path=path, op=op):
                ev._operator(op, path, env, e.span)
            case A.Let(rec=rec, bindings=bindings, body=body):
                self.expr(body, self.bindings(rec, bindings, env))
            case A.LetOpen(path=path, body=body):
                self.expr(body, Env(env, opened=ev.module_at(path, env, e.span)))
            case A.LocalOpen(path=path, expr=inner):
                self.expr(inner, Env(env, opened=ev.module_at(path, env, e.span)))
            case A.Fun(params=params, body=body):
                self.expr(body, self.params(params, env))
            case A.Function(cases=cases):
                self.cases(cases, env)
            case A.Match(scrutinee=scrut, cases=cases):
                self.expr(scrut, env)
                self.cases(cases, env)
            case A.IfThenElse(cond=cond, then=then, orelse=orelse):
                self.expr(cond, env)
                self.expr(then, env)
                if orelse is not None:
                    self.expr(orelse, env)
            case A.Seq(first=first, second=second):
                self.expr(first, env)
                self.expr(second, env)
            case A.Constraint(expr=inner) | A.Assert(expr=inner):
                self.expr(inner, env)


def check_names(ev: Evaluator, e: A.Expr, env: Env) -> None:
    """Raise the located UnboundError OCaml would give for the first unbound name of ``e``."""
    _Checker(ev).expr(e, env)


def check_bindings(ev: Evaluator, rec: bool, bindings: tuple[A.Binding, ...], env: Env) -> None:
    """The same for a top-level ``let [rec] ... and ...``."""
    _Checker(ev).bindings(rec, bindings, env)
