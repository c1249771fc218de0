"""Prints an AST back as OCaml source that parses to the same tree.

The printer puts parentheses wherever precedence needs them, and around every
``let``/``match``/``fun``/``if`` that is not in a position where it is sure to
end at a closing token; it does not try to reproduce the original layout.
"""

from __future__ import annotations

from . import _ast as A
from ._lexer import KEYWORDS
from ._parser import (
    LEVEL_APP,
    LEVEL_CONS,
    LEVEL_SIMPLE,
    LEVEL_TUPLE,
    LEVEL_UNARY,
    binop_level,
    is_right_assoc,
)

__all__ = ["print_program", "print_expr", "print_pattern", "print_type", "ocaml_string"]


def ocaml_string(value: str) -> str:
    """``value`` as an OCaml string literal, escaped as OCaml's ``%S`` does."""
    out = ['"']
    for b in value.encode("utf-8", "surrogateescape"):
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c == "\b":
            out.append("\\b")
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:03d}")
    out.append('"')
    return "".join(out)


def _char(value: str) -> str:
    if value == "'":
        return "'\\''"
    if value == "\\":
        return "'\\\\'"
    b = ord(value)
    if 32 <= b < 127:
        return f"'{value}'"
    return f"'\\{b:03d}'" if b < 256 else f"'{value}'"


def _quoted(value: str, quote_id: str) -> str | None:
    if ("|" + quote_id + "}") in value:
        return None
    return "{" + quote_id + "|" + value + "|" + quote_id + "}"


def _path(path: tuple[str, ...], name: str) -> str:
    return ".".join((*path, name))


def _opname(op: str) -> str:
    # ``( * )`` needs spaces so it does not read as a comment.
    return f"( {op} )"


def _float(v: float) -> str:
    r = repr(v)
    if "e" not in r and "." not in r and "n" not in r:
        r += "."
    return r


# ---------------------------------------------------------------------------- types


def print_type(t: A.TypeExpr, level: int = 0) -> str:
    """A type expression; ``level`` 0 = arrow, 1 = tuple, 2 = application, 3 = atom."""
    match t:
        case A.TVar(name=name):
            return name
        case A.TAny():
            return "_"
        case A.TConstr(path=path, name=name, args=args):
            if not args:
                return _path(path, name)
            if len(args) == 1:
                s = f"{print_type(args[0], 2)} {_path(path, name)}"
            else:
                s = "(" + ", ".join(print_type(a) for a in args) + ") " + _path(path, name)
            return s if level <= 2 else f"({s})"
        case A.TArrow(label=label, optional=optional, arg=arg, result=result):
            lab = "" if label is None else ("?" if optional else "") + label + ":"
            s = f"{lab}{print_type(arg, 1)} -> {print_type(result, 0)}"
            return s if level == 0 else f"({s})"
        case A.TTuple(items=items):
            s = " * ".join(print_type(i, 2) for i in items)
            return s if level <= 1 else f"({s})"
        case A.TPolyVariant(kind=kind, tags=tags):
            parts = []
            for tag, targ in tags:
                parts.append(f"`{tag}" + ("" if targ is None else f" of {print_type(targ)}"))
            return f"[{kind} " + " | ".join(parts) + " ]"
    raise AssertionError(f"not a type: {t!r}")


# ---------------------------------------------------------------------------- patterns

_P_ALIAS, _P_OR, _P_TUPLE, _P_CONS, _P_APP, _P_SIMPLE = range(6)


def print_pattern(p: A.Pattern, level: int = 0) -> str:
    """A pattern, parenthesised as needed for the context ``level``."""
    s, own = _pattern(p)
    return s if own >= level else f"({s})"


def _pattern(p: A.Pattern) -> tuple[str, int]:
    match p:
        case A.PAny():
            return "_", _P_SIMPLE
        case A.PVar(name=name):
            if name[0].isalpha() or name[0] == "_":
                return name, _P_SIMPLE
            return _opname(name), _P_SIMPLE
        case A.PConst(value=lit):
            s = _literal(lit)
            return s, (_P_SIMPLE if not s.startswith("(") else _P_SIMPLE)
        case A.PConstr(path=path, name=name, arg=arg):
            head = _path(path, name) if name not in ("()", "[]") or path else name
            if arg is None:
                return head, _P_SIMPLE
            return f"{head} {print_pattern(arg, _P_SIMPLE)}", _P_APP
        case A.PVariant(tag=tag, arg=arg):
            if arg is None:
                return f"`{tag}", _P_SIMPLE
            return f"`{tag} {print_pattern(arg, _P_SIMPLE)}", _P_APP
        case A.PTuple(items=items):
            return ", ".join(print_pattern(i, _P_CONS) for i in items), _P_TUPLE
        case A.PList(items=items):
            return "[ " + "; ".join(print_pattern(i, _P_OR) for i in items) + " ]", _P_SIMPLE
        case A.PCons(head=head, tail=tail):
            return f"{print_pattern(head, _P_APP)} :: {print_pattern(tail, _P_CONS)}", _P_CONS
        case A.POr(left=left, right=right):
            return f"{print_pattern(left, _P_OR)} | {print_pattern(right, _P_TUPLE)}", _P_OR
        case A.PAlias(pattern=inner, name=name):
            return f"{print_pattern(inner, _P_ALIAS)} as {name}", _P_ALIAS
        case A.PConstraint(pattern=inner, type=ty):
            return f"({print_pattern(inner)} : {print_type(ty)})", _P_SIMPLE
        case A.PRecord(fields=fields, open=is_open):
            parts = []
            for path, name, sub in fields:
                f = _path(path, name)
                parts.append(f if sub is None else f"{f} = {print_pattern(sub, _P_OR)}")
            if is_open:
                parts.append("_")
            return "{ " + "; ".join(parts) + " }", _P_SIMPLE
    raise AssertionError(f"not a pattern: {p!r}")


# ---------------------------------------------------------------------------- expressions


def _literal(lit: A.IntLit | A.FloatLit | A.CharLit | A.StringLit) -> str:
    match lit:
        case A.IntLit(value=v):
            return str(v) if v >= 0 else f"({v})"
        case A.FloatLit(value=v):
            return _float(v) if v >= 0 else f"({_float(v)})"
        case A.CharLit(value=v):
            return _char(v)
        case A.StringLit(value=v, quote_id=qid):
            if qid is not None:
                q = _quoted(v, qid)
                if q is not None:
                    return q
            return ocaml_string(v)
    raise AssertionError(lit)


_OPEN = (A.Let, A.LetOpen, A.Fun, A.Function, A.Match, A.IfThenElse, A.Seq)


def print_expr(e: A.Expr, level: int = 0) -> str:
    """An expression; ``level`` 0 means a position that ends at a closing token (``in``, ``)``...)."""
    if isinstance(e, _OPEN):
        s = _open(e)
        return s if level == 0 else f"({s})"
    s, own = _expr(e)
    return s if own >= level else f"({s})"


def _arm_body(e: A.Expr, last: bool) -> str:
    if not last and isinstance(e, _OPEN):
        return f"({_open(e)})"
    return print_expr(e, 0)


def _params(params: tuple[A.Param, ...]) -> str:
    out = []
    for p in params:
        if p.kind == "pos":
            out.append(print_pattern(p.pattern, _P_SIMPLE))
        elif p.kind == "label":
            if isinstance(p.pattern, A.PVar) and p.pattern.name == p.label:
                out.append(f"~{p.label}")
            else:
                out.append(f"~{p.label}:{print_pattern(p.pattern, _P_SIMPLE)}")
        else:
            inner = print_pattern(p.pattern, _P_ALIAS)
            if p.default is not None:
                out.append(f"?{p.label}:({inner} = {print_expr(p.default)})")
            elif isinstance(p.pattern, A.PVar) and p.pattern.name == p.label:
                out.append(f"?{p.label}")
            else:
                out.append(f"?{p.label}:{print_pattern(p.pattern, _P_SIMPLE)}")
    return " ".join(out)


def _binding(b: A.Binding) -> str:
    if b.params or (isinstance(b.pattern, A.PVar)):
        head = print_pattern(b.pattern, _P_SIMPLE)
        if b.params:
            head += " " + _params(b.params)
    else:
        head = print_pattern(b.pattern, _P_ALIAS)
        if b.type is not None:
            head = f"({head})"
    if b.type is not None:
        head += f" : {print_type(b.type)}"
    return f"{head} = {print_expr(b.body)}"


def _bindings(rec: bool, bindings: tuple[A.Binding, ...]) -> str:
    return ("let rec " if rec else "let ") + "\nand ".join(_binding(b) for b in bindings)


def _cases(cases: tuple[A.Case, ...]) -> str:
    parts = []
    for i, c in enumerate(cases):
        g = "" if c.guard is None else f" when {print_expr(c.guard)}"
        parts.append(f"| {print_pattern(c.pattern)}{g} -> {_arm_body(c.body, i == len(cases) - 1)}")
    return "\n".join(parts)


def _open(e: A.Expr) -> str:
    match e:
        case A.Let(rec=rec, bindings=bindings, body=body):
            return f"{_bindings(rec, bindings)} in\n{print_expr(body)}"
        case A.LetOpen(path=path, body=body):
            return f"let open {'.'.join(path)} in\n{print_expr(body)}"
        case A.Fun(params=params, body=body):
            return f"fun {_params(params)} -> {print_expr(body)}"
        case A.Function(cases=cases):
            return f"function\n{_cases(cases)}"
        case A.Match(scrutinee=scrut, cases=cases):
            return f"match {print_expr(scrut)} with\n{_cases(cases)}"
        case A.IfThenElse(cond=cond, then=then, orelse=orelse):
            s = f"if {print_expr(cond)} then {print_expr(then, 1)}"
            if orelse is not None:
                s += f" else {print_expr(orelse, 1)}"
            return s
        case A.Seq(first=first, second=second):
            return f"{print_expr(first, 1)};\n{print_expr(second)}"
    raise AssertionError(e)


def _arg(a: A.Arg) -> str:
    if a.kind == "pos":
        assert a.expr is not None
        return print_expr(a.expr, LEVEL_SIMPLE)
    mark = "~" if a.kind == "label" else "?"
    if a.expr is None:
        return f"{mark}{a.label}"
    return f"{mark}{a.label}:{print_expr(a.expr, LEVEL_SIMPLE)}"


def _expr(e: A.Expr) -> tuple[str, int]:
    match e:
        case A.IntLit() | A.FloatLit() | A.CharLit() | A.StringLit():
            return _literal(e), LEVEL_SIMPLE
        case A.Ident(path=path, name=name):
            if name in KEYWORDS:
                raise AssertionError(name)
            return _path(path, name), LEVEL_SIMPLE
        case A.OpValue(path=path, op=op):
            return (".".join(path) + "." if path else "") + _opname(op), LEVEL_SIMPLE
        case A.Constr(path=path, name=name, arg=arg):
            head = _path(path, name) if name not in ("()", "[]") or path else name
            if arg is None:
                return head, LEVEL_SIMPLE
            return f"{head} {print_expr(arg, LEVEL_SIMPLE)}", LEVEL_APP
        case A.PolyVariant(tag=tag, arg=arg):
            if arg is None:
                return f"`{tag}", LEVEL_SIMPLE
            return f"`{tag} {print_expr(arg, LEVEL_SIMPLE)}", LEVEL_APP
        case A.TupleExpr(items=items):
            return ", ".join(print_expr(i, LEVEL_TUPLE + 1) for i in items), LEVEL_TUPLE
        case A.ListExpr(items=items):
            return "[ " + "; ".join(print_expr(i, 1) for i in items) + " ]", LEVEL_SIMPLE
        case A.ArrayExpr(items=items):
            return "[| " + "; ".join(print_expr(i, 1) for i in items) + " |]", LEVEL_SIMPLE
        case A.RecordExpr(fields=fields, base=base):
            parts = []
            for path, name, value in fields:
                f = _path(path, name)
                parts.append(f if value is None else f"{f} = {print_expr(value, 1)}")
            b = "" if base is None else f"{print_expr(base, LEVEL_SIMPLE)} with "
            return "{ " + b + "; ".join(parts) + " }", LEVEL_SIMPLE
        case A.FieldExpr(expr=inner, path=path, name=name):
            return f"{print_expr(inner, LEVEL_SIMPLE)}.{_path(path, name)}", LEVEL_SIMPLE
        case A.Apply(func=func, args=args):
            head = print_expr(func, LEVEL_SIMPLE)
            if isinstance(func, (A.Constr, A.PolyVariant)):
                head = f"({head})"  # a bare ``C e`` would read as a constructor application
            return head + " " + " ".join(_arg(a) for a in args), LEVEL_APP
        case A.Infix(op=op, left=left, right=right):
            level = binop_level(op)
            assert level is not None
            if is_right_assoc(level):
                ll, rl = level + 1, level
            else:
                ll, rl = level, level + 1
            return f"{print_expr(left, ll)} {op} {print_expr(right, rl)}", level
        case A.Prefix(op=op, operand=operand):
            if op in ("-", "-.", "+", "+."):
                return f"{op} {print_expr(operand, LEVEL_UNARY)}", LEVEL_UNARY
            return f"{op} {print_expr(operand, LEVEL_SIMPLE)}", LEVEL_SIMPLE
        case A.LocalOpen(path=path, expr=inner):
            return f"{'.'.join(path)}.({print_expr(inner)})", LEVEL_SIMPLE
        case A.Constraint(expr=inner, type=ty):
            return f"({print_expr(inner)} : {print_type(ty)})", LEVEL_SIMPLE
        case A.Assert(expr=inner):
            return f"assert {print_expr(inner, LEVEL_SIMPLE)}", LEVEL_APP
    raise AssertionError(f"not an expression: {e!r}")


assert LEVEL_CONS  # imported for readers: ``::`` is printed through binop_level


# ---------------------------------------------------------------------------- structure


def _type_decl(d: A.TypeDecl) -> str:
    params = ""
    if len(d.params) == 1:
        params = d.params[0] + " "
    elif d.params:
        params = "(" + ", ".join(d.params) + ") "
    s = params + d.name
    if d.manifest is not None:
        s += f" = {print_type(d.manifest)}"
    if d.constructors is not None:
        parts = []
        for c in d.constructors:
            parts.append(c.name + ("" if not c.args else " of " + " * ".join(print_type(a, 2) for a in c.args)))
        s += " = " + " | ".join(parts)
    if d.fields is not None:
        fs = "; ".join(("mutable " if f.mutable else "") + f"{f.name} : {print_type(f.type)}" for f in d.fields)
        s += " = { " + fs + " }"
    return s


def _item(item: A.Item) -> str:
    match item:
        case A.LetItem(rec=rec, bindings=bindings):
            return _bindings(rec, bindings)
        case A.ExprItem(expr=e):
            return ";;\n" + print_expr(e) + "\n;;"
        case A.OpenItem(path=path, include=include):
            return ("include " if include else "open ") + ".".join(path)
        case A.TypeItem(decls=decls):
            return "type " + "\nand ".join(_type_decl(d) for d in decls)
        case A.ModuleItem(name=name, module=mod, signature=sig):
            s = f"module {name}"
            if sig is not None:
                s += f" : {sig}"
            if isinstance(mod, A.ModStruct):
                body = "\n".join(_item(i) for i in mod.items)
                return f"{s} = struct\n{body}\nend"
            return f"{s} = {'.'.join(mod.path)}"
        case A.ModuleTypeItem(name=name, signature=sig):
            return f"module type {name} = {sig}"
        case A.ExceptionItem(decl=d):
            return "exception " + d.name + ("" if not d.args else " of " + " * ".join(print_type(a, 2) for a in d.args))
    raise AssertionError(item)


def print_program(prog: A.Program) -> str:
    """The whole program as OCaml source."""
    return "\n\n".join(_item(i) for i in prog.items) + "\n"
