"""The abstract syntax tree of the OCaml subset config.ml files use.

Every node is a frozen, slotted dataclass carrying the :class:`Span` it was
parsed from. Spans are left out of equality (``compare=False``) so that a tree
and the tree of its printed form compare equal: that is the round-trip property
the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._span import Span

__all__ = [
    "Node",
    # expressions
    "Expr",
    "Ident",
    "Constr",
    "PolyVariant",
    "IntLit",
    "FloatLit",
    "CharLit",
    "StringLit",
    "TupleExpr",
    "ListExpr",
    "ArrayExpr",
    "RecordExpr",
    "FieldExpr",
    "Arg",
    "Apply",
    "Infix",
    "Prefix",
    "OpValue",
    "Binding",
    "Let",
    "LetOpen",
    "LocalOpen",
    "Param",
    "Fun",
    "Case",
    "Function",
    "Match",
    "IfThenElse",
    "Seq",
    "Constraint",
    "Assert",
    # patterns
    "Pattern",
    "PAny",
    "PVar",
    "PConst",
    "PConstr",
    "PVariant",
    "PTuple",
    "PList",
    "PCons",
    "POr",
    "PAlias",
    "PConstraint",
    "PRecord",
    # types
    "TypeExpr",
    "TVar",
    "TAny",
    "TConstr",
    "TArrow",
    "TTuple",
    "TPolyVariant",
    # declarations
    "ConstrDecl",
    "FieldDecl",
    "TypeDecl",
    "ModuleExpr",
    "ModStruct",
    "ModPath",
    "Item",
    "LetItem",
    "ExprItem",
    "OpenItem",
    "TypeItem",
    "ModuleItem",
    "ModuleTypeItem",
    "ExceptionItem",
    "Program",
]


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node: where it came from."""

    span: Span = field(compare=False, repr=False, kw_only=True)


# ---------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TVar(Node):
    """A type variable ``'a``."""

    name: str


@dataclass(frozen=True, slots=True)
class TAny(Node):
    """The anonymous type ``_``."""


@dataclass(frozen=True, slots=True)
class TConstr(Node):
    """A (possibly applied) type constructor: ``int``, ``string list``, ``(a, b) M.t``."""

    path: tuple[str, ...]
    name: str
    args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True, slots=True)
class TArrow(Node):
    """``a -> b``, ``l:a -> b`` or ``?l:a -> b``."""

    label: str | None
    optional: bool
    arg: TypeExpr
    result: TypeExpr


@dataclass(frozen=True, slots=True)
class TTuple(Node):
    """``a * b``."""

    items: tuple[TypeExpr, ...]


@dataclass(frozen=True, slots=True)
class TPolyVariant(Node):
    """``[ `A | `B of t ]``, ``[< ...]`` or ``[> ...]``: ``kind`` is ``""``, ``"<"`` or ``">"``."""

    kind: str
    tags: tuple[tuple[str, TypeExpr | None], ...]


TypeExpr = TVar | TAny | TConstr | TArrow | TTuple | TPolyVariant

# ---------------------------------------------------------------------------- patterns


@dataclass(frozen=True, slots=True)
class PAny(Node):
    """The wildcard ``_``."""


@dataclass(frozen=True, slots=True)
class PVar(Node):
    """A variable pattern ``x`` (or an operator name ``( + )``)."""

    name: str


@dataclass(frozen=True, slots=True)
class PConst(Node):
    """A literal pattern: int, char, string or float."""

    value: IntLit | CharLit | StringLit | FloatLit


@dataclass(frozen=True, slots=True)
class PConstr(Node):
    """A constructor pattern ``None``, ``Some p``, ``M.C (a, b)``, ``()``, ``true``, ``[]``."""

    path: tuple[str, ...]
    name: str
    arg: Pattern | None = None


@dataclass(frozen=True, slots=True)
class PVariant(Node):
    """A polymorphic variant pattern `` `A `` or `` `A p ``."""

    tag: str
    arg: Pattern | None = None


@dataclass(frozen=True, slots=True)
class PTuple(Node):
    """``p1, p2``."""

    items: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class PList(Node):
    """``[p1; p2]``."""

    items: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class PCons(Node):
    """``p1 :: p2``."""

    head: Pattern
    tail: Pattern


@dataclass(frozen=True, slots=True)
class POr(Node):
    """``p1 | p2``."""

    left: Pattern
    right: Pattern


@dataclass(frozen=True, slots=True)
class PAlias(Node):
    """``p as x``."""

    pattern: Pattern
    name: str


@dataclass(frozen=True, slots=True)
class PConstraint(Node):
    """``(p : t)``."""

    pattern: Pattern
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class PRecord(Node):
    """``{ f; g = p; _ }`` (parsed; records are not evaluated)."""

    fields: tuple[tuple[tuple[str, ...], str, Pattern | None], ...]
    open: bool = False


Pattern = PAny | PVar | PConst | PConstr | PVariant | PTuple | PList | PCons | POr | PAlias | PConstraint | PRecord

# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Ident(Node):
    """A value name, maybe qualified: ``x``, ``Key.value``, ``__POS__``."""

    path: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class Constr(Node):
    """A constructor, maybe applied: ``None``, ``Some x``, ``true``, ``()``, ``[]``, ``M.C``."""

    path: tuple[str, ...]
    name: str
    arg: Expr | None = None


@dataclass(frozen=True, slots=True)
class PolyVariant(Node):
    """`` `None `` or `` `Some x ``."""

    tag: str
    arg: Expr | None = None


@dataclass(frozen=True, slots=True)
class IntLit(Node):
    """An int literal (its value; the source spelling is not kept)."""

    value: int


@dataclass(frozen=True, slots=True)
class FloatLit(Node):
    """A float literal."""

    value: float


@dataclass(frozen=True, slots=True)
class CharLit(Node):
    """A char literal (one character)."""

    value: str


@dataclass(frozen=True, slots=True)
class StringLit(Node):
    """A string literal; ``quote_id`` is the ``id`` of ``{id|...|id}`` (``None`` for ``"..."``)."""

    value: str
    quote_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TupleExpr(Node):
    """``e1, e2``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ListExpr(Node):
    """``[e1; e2]`` (``[]`` is the constructor ``Constr((), "[]")``)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ArrayExpr(Node):
    """``[| e1; e2 |]`` (parsed; rejected by the evaluator)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class RecordExpr(Node):
    """``{ f = e; g }`` or ``{ e with f = e }`` (parsed; rejected by the evaluator)."""

    fields: tuple[tuple[tuple[str, ...], str, Expr | None], ...]
    base: Expr | None = None


@dataclass(frozen=True, slots=True)
class FieldExpr(Node):
    """``e.f`` record field access (parsed; rejected by the evaluator)."""

    expr: Expr
    path: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class Arg(Node):
    """One argument of an application.

    ``kind`` is ``"pos"`` (``e``), ``"label"`` (``~l:e``, or punned ``~l`` when ``expr`` is None)
    or ``"optional"`` (``?l:e``, or punned ``?l``).
    """

    kind: str
    label: str | None
    expr: Expr | None


@dataclass(frozen=True, slots=True)
class Apply(Node):
    """``f a ~l:b ?o:c``: one application with all its arguments, in source order."""

    func: Expr
    args: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class Infix(Node):
    """``l op r`` for every binary operator, ``::`` included."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Prefix(Node):
    """``-e``, ``-.e``, ``!e``, ``~-e``..."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class OpValue(Node):
    """An operator used as a value: ``( + )``, ``( $ )``, ``M.( @-> )``."""

    path: tuple[str, ...]
    op: str


@dataclass(frozen=True, slots=True)
class Param(Node):
    """A function parameter.

    ``kind`` is ``"pos"`` (a pattern), ``"label"`` (``~l`` / ``~l:p``) or ``"optional"``
    (``?l`` / ``?(l = d)`` / ``?l:(p = d)``), with its default expression.
    """

    kind: str
    label: str | None
    pattern: Pattern
    default: Expr | None = None


@dataclass(frozen=True, slots=True)
class Binding(Node):
    """``p = e`` or ``f params : t = e`` in a ``let``."""

    pattern: Pattern
    params: tuple[Param, ...]
    body: Expr
    type: TypeExpr | None = None


@dataclass(frozen=True, slots=True)
class Let(Node):
    """``let [rec] b1 and b2 in body``."""

    rec: bool
    bindings: tuple[Binding, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class LetOpen(Node):
    """``let open M in e``."""

    path: tuple[str, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class LocalOpen(Node):
    """``M.(e)``, ``M.[e]``: ``e`` with the names of ``M`` shadowing the outer ones."""

    path: tuple[str, ...]
    expr: Expr


@dataclass(frozen=True, slots=True)
class Fun(Node):
    """``fun p1 ~l ?(o = d) -> body``."""

    params: tuple[Param, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class Case(Node):
    """``p when g -> e`` in a match."""

    pattern: Pattern
    guard: Expr | None
    body: Expr


@dataclass(frozen=True, slots=True)
class Function(Node):
    """``function p1 -> e1 | p2 -> e2``."""

    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Match(Node):
    """``match e with p1 -> e1 | ...``."""

    scrutinee: Expr
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class IfThenElse(Node):
    """``if c then a [else b]``."""

    cond: Expr
    then: Expr
    orelse: Expr | None = None


@dataclass(frozen=True, slots=True)
class Seq(Node):
    """``e1; e2``."""

    first: Expr
    second: Expr


@dataclass(frozen=True, slots=True)
class Constraint(Node):
    """``(e : t)``: the type is read and ignored."""

    expr: Expr
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class Assert(Node):
    """``assert e``."""

    expr: Expr


Expr = (
    Ident
    | Constr
    | PolyVariant
    | IntLit
    | FloatLit
    | CharLit
    | StringLit
    | TupleExpr
    | ListExpr
    | ArrayExpr
    | RecordExpr
    | FieldExpr
    | Apply
    | Infix
    | Prefix
    | OpValue
    | Let
    | LetOpen
    | LocalOpen
    | Fun
    | Function
    | Match
    | IfThenElse
    | Seq
    | Constraint
    | Assert
)

# ---------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class ConstrDecl(Node):
    """A constructor in a variant type: ``A`` or ``B of t * u``."""

    name: str
    args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldDecl(Node):
    """A record field ``[mutable] f : t``."""

    name: str
    type: TypeExpr
    mutable: bool = False


@dataclass(frozen=True, slots=True)
class TypeDecl(Node):
    """``type ('a, 'b) t = manifest = A | B`` or ``= { f : t }``."""

    name: str
    params: tuple[str, ...] = ()
    manifest: TypeExpr | None = None
    constructors: tuple[ConstrDecl, ...] | None = None
    fields: tuple[FieldDecl, ...] | None = None


@dataclass(frozen=True, slots=True)
class ModStruct(Node):
    """``struct items end``."""

    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class ModPath(Node):
    """A module name used as a module expression: ``M.N``."""

    path: tuple[str, ...]


ModuleExpr = ModStruct | ModPath


@dataclass(frozen=True, slots=True)
class LetItem(Node):
    """A top-level ``let [rec] b1 and b2``."""

    rec: bool
    bindings: tuple[Binding, ...]


@dataclass(frozen=True, slots=True)
class ExprItem(Node):
    """A top-level expression (first item, or after ``;;``)."""

    expr: Expr


@dataclass(frozen=True, slots=True)
class OpenItem(Node):
    """``open M`` / ``open! M`` / ``include M`` (``include`` when ``include`` is true)."""

    path: tuple[str, ...]
    include: bool = False


@dataclass(frozen=True, slots=True)
class TypeItem(Node):
    """``type d1 and d2``."""

    decls: tuple[TypeDecl, ...]


@dataclass(frozen=True, slots=True)
class ModuleItem(Node):
    """``module M [: sig ... end] = mexpr``; the signature text is kept verbatim and not checked."""

    name: str
    module: ModuleExpr
    signature: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ModuleTypeItem(Node):
    """``module type S = sig ... end``: kept as text, ignored by the evaluator."""

    name: str
    signature: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ExceptionItem(Node):
    """``exception E [of t]``: declares a constructor."""

    decl: ConstrDecl


Item = LetItem | ExprItem | OpenItem | TypeItem | ModuleItem | ModuleTypeItem | ExceptionItem


@dataclass(frozen=True, slots=True)
class Program(Node):
    """A whole config.ml: its top-level items in order."""

    items: tuple[Item, ...]
