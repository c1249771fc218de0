"""A recursive-descent (Pratt for operators) parser for the OCaml that config.ml files use.

Operator precedence and associativity follow the OCaml manual's table
(section "Expressions"): an operator's level is chosen by its first character,
so ``$`` sits with ``=``/``<``/``|`` (left), ``@->``/``@@``/``^`` with ``@``
(right), and application binds tighter than any infix operator.

Recursion depth is counted explicitly (``MAX_DEPTH``): deeply nested input is
refused with a :class:`LimitError` long before Python's own stack runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from . import _ast as A
from ._errors import ConfigMlSyntaxError, LimitError, UnsupportedSyntaxError, error_at
from ._lexer import Token, tokenize
from ._limits import stack_room
from ._span import Span

__all__ = ["parse", "parse_expression", "binop_level", "MAX_DEPTH"]

#: Deepest nesting of parentheses/operators/constructs accepted (configs use fewer than 10).
MAX_DEPTH = 120

_T = TypeVar("_T")

# Levels, from loosest to tightest (OCaml manual, "Expressions", precedence table).
LEVEL_ASSIGN = 1  # := <-             right
LEVEL_TUPLE = 2  # ,
LEVEL_OR = 3  # || or                 right
LEVEL_AND = 4  # & &&                 right
LEVEL_CMP = 5  # = < > | & $ !=       left
LEVEL_CONCAT = 6  # @ ^               right
LEVEL_CONS = 7  # ::                  right
LEVEL_ADD = 8  # + -                  left
LEVEL_MUL = 9  # * / % mod land lor lxor   left
LEVEL_POW = 10  # ** lsl lsr asr      right
LEVEL_UNARY = 11  # - -. (prefix)
LEVEL_APP = 12  # application, constructor application, assert
LEVEL_SIMPLE = 13

_RIGHT = {LEVEL_ASSIGN, LEVEL_OR, LEVEL_AND, LEVEL_CONCAT, LEVEL_CONS, LEVEL_POW}
_KW_OPS = {
    "or": LEVEL_OR,
    "mod": LEVEL_MUL,
    "land": LEVEL_MUL,
    "lor": LEVEL_MUL,
    "lxor": LEVEL_MUL,
    "lsl": LEVEL_POW,
    "lsr": LEVEL_POW,
    "asr": LEVEL_POW,
}
_NOT_INFIX = {"->", "|", "|]", "~", "?", "!", ".", "..", ":", ":>", "=>"}


def binop_level(op: str) -> int | None:
    """The precedence level of the infix operator ``op`` (None if ``op`` is not infix)."""
    if op in _KW_OPS:
        return _KW_OPS[op]
    if op in _NOT_INFIX or not op:
        return None
    if op in (":=", "<-"):
        return LEVEL_ASSIGN
    if op == ",":
        return LEVEL_TUPLE
    if op == "||":
        return LEVEL_OR
    if op in ("&", "&&"):
        return LEVEL_AND
    if op == "::":
        return LEVEL_CONS
    if op == "!=":
        return LEVEL_CMP
    c = op[0]
    if op.startswith("**"):
        return LEVEL_POW
    if c in "=<>|&$":
        return LEVEL_CMP
    if c in "@^":
        return LEVEL_CONCAT
    if c in "+-":
        return LEVEL_ADD
    if c in "*/%":
        return LEVEL_MUL
    return None


def is_right_assoc(level: int) -> bool:
    """Whether operators of ``level`` group to the right."""
    return level in _RIGHT


_OPEN_KW = {"let", "match", "fun", "function", "if", "try", "while", "for"}
_SIMPLE_START_SYMS = {"(", "[", "[|", "{", "`"}


class _Parser:
    def __init__(self, text: str, filename: str) -> None:
        self.src = text
        self.file = filename
        self.toks = tokenize(text, filename)
        self.i = 0
        self.depth = 0

    # -- token helpers -----------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def is_sym(self, text: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "sym" and t.text == text

    def is_kw(self, text: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "kw" and t.text == text

    def _describe(self, t: Token) -> str:
        if t.kind == "eof":
            return "end of file"
        if t.kind == "string":
            return "a string"
        if t.kind in ("int", "float", "char"):
            return f"{t.kind} literal {t.text}"
        if t.kind == "label":
            return f"label ~{t.text}:"
        if t.kind == "optlabel":
            return f"label ?{t.text}:"
        return f"'{t.text}'"

    def error(self, msg: str, tok: Token | None = None) -> NoReturn:
        t = tok or self.tok
        raise error_at(ConfigMlSyntaxError, msg, t.span, self.src)

    def unexpected(self, expected: str) -> NoReturn:
        self.error(f"Syntax error: expected {expected}, found {self._describe(self.tok)}")

    def unsupported(self, what: str, tok: Token | None = None) -> NoReturn:
        t = tok or self.tok
        raise error_at(
            UnsupportedSyntaxError,
            f"{what} is not supported by the config.ml reader",
            t.span,
            self.src,
        )

    def expect_sym(self, text: str, what: str | None = None) -> Token:
        if not self.is_sym(text):
            self.unexpected(what or f"'{text}'")
        return self.advance()

    def expect_kw(self, text: str) -> Token:
        if not self.is_kw(text):
            self.unexpected(f"'{text}'")
        return self.advance()

    def span_from(self, start: Token) -> Span:
        prev = self.toks[self.i - 1] if self.i > 0 else start
        if prev.span.end_offset < start.span.offset:
            prev = start
        return start.span.to(prev.span)

    def nested(self, fn: Callable[[], _T]) -> _T:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise error_at(
                LimitError,
                f"expression nested too deeply (the reader accepts at most {MAX_DEPTH} levels)",
                self.tok.span,
                self.src,
            )
        try:
            return fn()
        finally:
            self.depth -= 1

    def skip_attribute(self) -> None:
        """Skip ``[@...]``, ``[@@...]`` or ``[@@@...]`` (attributes do not change evaluation)."""
        start = self.advance()
        level = 1
        while level:
            t = self.advance()
            if t.kind == "eof":
                self.error("Syntax error: this attribute is not closed with ']'", start)
            if t.kind == "sym" and t.text.startswith("["):
                level += 1
            elif t.kind == "sym" and t.text in ("]", "|]"):
                level -= 1

    # -- structure ---------------------------------------------------------------
    def program(self) -> A.Program:
        start = self.tok
        items = self.structure(top=True)
        if self.tok.kind != "eof":
            self.unexpected("a top-level definition (let, open, type, module) or ';;'")
        return A.Program(tuple(items), span=self.span_from(start) if items else start.span)

    def structure(self, *, top: bool) -> list[A.Item]:
        items: list[A.Item] = []
        expr_ok = True
        while True:
            t = self.tok
            if t.kind == "eof" or self.is_kw("end", t):
                return items
            if self.is_sym(";;", t):
                self.advance()
                expr_ok = True
                continue
            if t.kind == "sym" and t.text in ("[@@@", "[@@"):
                self.skip_attribute()
                continue
            if t.kind == "sym" and t.text in ("[%%", "[%"):
                self.unsupported("an extension node [%...]")
            item = self.structure_item(expr_ok)
            if item is None:
                return items
            items.append(item)
            expr_ok = False
            while self.is_sym("[@@"):
                self.skip_attribute()

    def structure_item(self, expr_ok: bool) -> A.Item | None:
        t = self.tok
        if self.is_kw("let", t):
            if self.is_kw("open", self.peek()) or self.is_kw("module", self.peek()):
                return A.ExprItem(self.nested(self.expr), span=self.span_from(t))
            self.advance()
            rec = self._rec()
            bindings = self.let_bindings()
            if self.is_kw("in"):
                self.advance()
                body = self.nested(self.seq_expr)
                let = A.Let(rec, bindings, body, span=self.span_from(t))
                return A.ExprItem(let, span=let.span)
            return A.LetItem(rec, bindings, span=self.span_from(t))
        if self.is_kw("open", t) or self.is_kw("include", t):
            self.advance()
            if self.is_prefixop_bang():
                self.advance()
            if self.is_kw("struct"):
                self.unsupported("include struct ... end")
            path = self.module_path()
            return A.OpenItem(path, include=t.text == "include", span=self.span_from(t))
        if self.is_kw("type", t):
            return self.type_item()
        if self.is_kw("module", t):
            return self.module_item()
        if self.is_kw("exception", t):
            self.advance()
            decl = self.constr_decl()
            return A.ExceptionItem(decl, span=self.span_from(t))
        for kw, what in (
            ("external", "an external declaration"),
            ("class", "a class definition"),
            ("val", "a value specification"),
        ):
            if self.is_kw(kw, t):
                self.unsupported(what)
        if not expr_ok:
            self.unexpected("a top-level definition (let, open, type, module) or ';;'")
        if not self.starts_expr(t):
            self.unexpected("a top-level definition or expression")
        e = self.nested(self.seq_expr)
        return A.ExprItem(e, span=self.span_from(t))

    def is_prefixop_bang(self) -> bool:
        return self.tok.kind == "prefixop" and self.tok.text == "!"

    def _rec(self) -> bool:
        if self.is_kw("rec"):
            self.advance()
            return True
        if self.is_kw("nonrec"):
            self.advance()
        return False

    def module_path(self) -> tuple[str, ...]:
        if self.tok.kind != "uident":
            self.unexpected("a module name")
        parts = [self.advance().text]
        while self.is_sym(".") and self.peek().kind == "uident":
            self.advance()
            parts.append(self.advance().text)
        if self.is_sym("(") and not self.is_sym(")", self.peek()):
            self.unsupported("a functor application in a module path")
        return tuple(parts)

    def skip_balanced_signature(self) -> str:
        """Read a module type (``sig ... end`` or a path), returning its text: it is not checked."""
        start = self.tok
        if self.is_kw("sig"):
            level = 0
            while True:
                t = self.advance()
                if t.kind == "eof":
                    self.error("Syntax error: 'sig' is not closed with 'end'", start)
                if t.kind == "kw" and t.text in ("sig", "struct", "begin", "object"):
                    level += 1
                elif self.is_kw("end", t):
                    level -= 1
                    if level == 0:
                        break
        elif self.tok.kind == "uident":
            self.module_path()
            if self.is_kw("with"):
                self.unsupported("a module type with constraints")
        else:
            self.unexpected("a module type")
        end = self.toks[self.i - 1]
        return self.src[start.span.offset : end.span.end_offset]

    def module_item(self) -> A.Item:
        t = self.advance()
        if self.is_kw("type"):
            self.advance()
            name = self.ident_any("a module type name")
            self.expect_sym("=")
            mt_sig = self.skip_balanced_signature()
            return A.ModuleTypeItem(name, mt_sig, span=self.span_from(t))
        if self.is_kw("rec"):
            self.unsupported("module rec")
        if self.tok.kind != "uident":
            self.unexpected("a module name")
        name = self.advance().text
        if self.is_sym("("):
            self.unsupported("a functor definition")
        sig = None
        if self.is_sym(":"):
            self.advance()
            sig = self.skip_balanced_signature()
        self.expect_sym("=")
        mstart = self.tok
        mod: A.ModuleExpr
        if self.is_kw("struct"):
            self.advance()
            items = self.nested(lambda: self.structure(top=False))
            self.expect_kw("end")
            mod = A.ModStruct(tuple(items), span=self.span_from(mstart))
        elif self.tok.kind == "uident":
            path = self.module_path()
            mod = A.ModPath(path, span=self.span_from(mstart))
        else:
            self.unsupported("this kind of module expression")
        return A.ModuleItem(name, mod, sig, span=self.span_from(t))

    def ident_any(self, what: str) -> str:
        if self.tok.kind not in ("lident", "uident"):
            self.unexpected(what)
        return self.advance().text

    # -- type declarations -------------------------------------------------------
    def type_item(self) -> A.TypeItem:
        t = self.advance()
        if self.is_kw("nonrec"):
            self.advance()
        decls = [self.type_decl()]
        while self.is_kw("and"):
            self.advance()
            decls.append(self.type_decl())
        return A.TypeItem(tuple(decls), span=self.span_from(t))

    def type_decl(self) -> A.TypeDecl:
        start = self.tok
        params: list[str] = []
        if self.tok.kind == "tyvar":
            params.append(self.advance().text)
        elif self.is_sym("(") and self.peek().kind == "tyvar":
            self.advance()
            params.append(self.advance().text)
            while self.is_sym(","):
                self.advance()
                if self.tok.kind != "tyvar":
                    self.unexpected("a type parameter 'a")
                params.append(self.advance().text)
            self.expect_sym(")")
        if self.tok.kind != "lident":
            self.unexpected("a type name")
        name = self.advance().text
        manifest = None
        constructors = None
        fields = None
        if self.is_sym("="):
            self.advance()
            if self.is_kw("private"):
                self.advance()
            if self.starts_variant_repr():
                constructors = self.variant_repr()
            elif self.is_sym("{"):
                fields = self.record_repr()
            elif self.is_sym(".."):
                self.unsupported("an extensible variant type")
            else:
                manifest = self.type_expr()
                if self.is_sym("="):
                    self.advance()
                    if self.is_kw("private"):
                        self.advance()
                    if self.is_sym("{"):
                        fields = self.record_repr()
                    elif self.starts_variant_repr():
                        constructors = self.variant_repr()
                    else:
                        self.unexpected("constructors or a record after the second '='")
        if self.is_kw("constraint"):
            self.unsupported("a type constraint")
        if self.is_sym("+="):
            self.unsupported("a type extension")
        return A.TypeDecl(name, tuple(params), manifest, constructors, fields, span=self.span_from(start))

    def starts_variant_repr(self) -> bool:
        t = self.tok
        if self.is_sym("|", t):
            return True
        if t.kind == "uident":
            return not self.is_sym(".", self.peek())
        if self.is_sym("(", t) and self.is_sym(")", self.peek()):
            return True
        if self.is_sym("[", t) and self.is_sym("]", self.peek()):
            return True
        return self.is_kw("true", t) or self.is_kw("false", t)

    def variant_repr(self) -> tuple[A.ConstrDecl, ...]:
        if self.is_sym("|"):
            self.advance()
        decls = [self.constr_decl()]
        while self.is_sym("|"):
            self.advance()
            decls.append(self.constr_decl())
        return tuple(decls)

    def constr_decl(self) -> A.ConstrDecl:
        start = self.tok
        if self.tok.kind == "uident":
            name = self.advance().text
        elif self.is_sym("(") and self.is_sym(")", self.peek()):
            self.advance()
            self.advance()
            name = "()"
        elif self.is_sym("[") and self.is_sym("]", self.peek()):
            self.advance()
            self.advance()
            name = "[]"
        elif self.is_kw("true") or self.is_kw("false"):
            name = self.advance().text
        else:
            self.unexpected("a constructor name")
        args: list[A.TypeExpr] = []
        if self.is_kw("of"):
            self.advance()
            if self.is_sym("{"):
                self.unsupported("an inline record in a constructor")
            args.append(self.app_type())
            while self.is_sym("*"):
                self.advance()
                args.append(self.app_type())
        elif self.is_sym(":"):
            self.unsupported("a GADT constructor")
        return A.ConstrDecl(name, tuple(args), span=self.span_from(start))

    def record_repr(self) -> tuple[A.FieldDecl, ...]:
        self.expect_sym("{")
        fields: list[A.FieldDecl] = []
        while not self.is_sym("}"):
            start = self.tok
            mutable = False
            if self.is_kw("mutable"):
                self.advance()
                mutable = True
            if self.tok.kind != "lident":
                self.unexpected("a record field name")
            name = self.advance().text
            self.expect_sym(":")
            ty = self.type_expr()
            fields.append(A.FieldDecl(name, ty, mutable, span=self.span_from(start)))
            if self.is_sym(";"):
                self.advance()
            elif not self.is_sym("}"):
                self.unexpected("';' or '}'")
        self.advance()
        return tuple(fields)

    # -- type expressions --------------------------------------------------------
    def type_expr(self) -> A.TypeExpr:
        return self.nested(self._type_arrow)

    def _type_arrow(self) -> A.TypeExpr:
        start = self.tok
        label = None
        optional = False
        if self.tok.kind == "lident" and self.is_sym(":", self.peek()):
            label = self.advance().text
            self.advance()
        elif self.tok.kind == "optlabel":
            label = self.advance().text
            optional = True
        left = self.tuple_type()
        if self.is_sym("->"):
            self.advance()
            right = self.type_expr()
            return A.TArrow(label, optional, left, right, span=self.span_from(start))
        if label is not None:
            self.unexpected("'->' after a labelled argument type")
        return left

    def tuple_type(self) -> A.TypeExpr:
        start = self.tok
        items = [self.app_type()]
        while self.is_sym("*"):
            self.advance()
            items.append(self.app_type())
        if len(items) == 1:
            return items[0]
        return A.TTuple(tuple(items), span=self.span_from(start))

    def type_constr_path(self) -> tuple[tuple[str, ...], str]:
        path: list[str] = []
        while self.tok.kind == "uident":
            path.append(self.advance().text)
            self.expect_sym(".", "'.' and a type name")
        if self.tok.kind != "lident":
            self.unexpected("a type name")
        return tuple(path), self.advance().text

    def app_type(self) -> A.TypeExpr:
        start = self.tok
        t = self.atom_type()
        while self.tok.kind in ("lident", "uident"):
            path, name = self.type_constr_path()
            t = A.TConstr(path, name, (t,), span=self.span_from(start))
        return t

    def atom_type(self) -> A.TypeExpr:
        start = self.tok
        t = self.tok
        if t.kind == "tyvar":
            self.advance()
            return A.TVar(t.text, span=t.span)
        if self.is_kw("_", t) or (t.kind == "lident" and t.text == "_"):
            self.advance()
            return A.TAny(span=t.span)
        if t.kind in ("lident", "uident"):
            path, name = self.type_constr_path()
            return A.TConstr(path, name, (), span=self.span_from(start))
        if self.is_sym("(", t):
            self.advance()
            items = [self.type_expr()]
            while self.is_sym(","):
                self.advance()
                items.append(self.type_expr())
            self.expect_sym(")")
            if len(items) == 1:
                return items[0]
            if self.tok.kind not in ("lident", "uident"):
                self.unexpected("a type constructor after a parenthesised list of types")
            path, name = self.type_constr_path()
            return A.TConstr(path, name, tuple(items), span=self.span_from(start))
        if t.kind == "sym" and t.text in ("[", "[<", "[>"):
            return self.poly_variant_type()
        if self.is_sym("<", t) or self.is_sym("#", t):
            self.unsupported("an object or class type")
        self.unexpected("a type")

    def poly_variant_type(self) -> A.TypeExpr:
        start = self.advance()
        kind = start.text[1:]
        tags: list[tuple[str, A.TypeExpr | None]] = []
        if self.is_sym("|"):
            self.advance()
        while not self.is_sym("]"):
            if not self.is_sym("`"):
                self.unsupported("this polymorphic variant type")
            self.advance()
            tag = self.ident_any("a variant tag")
            arg = None
            if self.is_kw("of"):
                self.advance()
                arg = self.type_expr()
            tags.append((tag, arg))
            if self.is_sym("|"):
                self.advance()
            elif not self.is_sym("]"):
                self.unexpected("'|' or ']'")
        self.advance()
        return A.TPolyVariant(kind, tuple(tags), span=self.span_from(start))

    # -- patterns ----------------------------------------------------------------
    def pattern(self) -> A.Pattern:
        return self.nested(self._pattern_alias)

    def _pattern_alias(self) -> A.Pattern:
        start = self.tok
        p = self.pattern_or()
        while self.is_kw("as"):
            self.advance()
            if self.tok.kind != "lident":
                self.unexpected("a variable name after 'as'")
            name = self.advance().text
            p = A.PAlias(p, name, span=self.span_from(start))
        return p

    def pattern_or(self) -> A.Pattern:
        start = self.tok
        p = self.pattern_tuple()
        while self.is_sym("|"):
            self.advance()
            right = self.pattern_tuple()
            p = A.POr(p, right, span=self.span_from(start))
        return p

    def pattern_tuple(self) -> A.Pattern:
        start = self.tok
        p = self.pattern_cons()
        if not self.is_sym(","):
            return p
        items = [p]
        while self.is_sym(","):
            self.advance()
            items.append(self.pattern_cons())
        return A.PTuple(tuple(items), span=self.span_from(start))

    def pattern_cons(self) -> A.Pattern:
        start = self.tok
        p = self.pattern_app()
        if self.is_sym("::"):
            self.advance()
            tail = self.nested(self.pattern_cons)
            return A.PCons(p, tail, span=self.span_from(start))
        return p

    def pattern_app(self) -> A.Pattern:
        start = self.tok
        if self.tok.kind == "uident":
            path = self.constr_path_pattern()
            arg = None
            if self.starts_simple_pattern(self.tok):
                arg = self.simple_pattern()
            return A.PConstr(path[:-1], path[-1], arg, span=self.span_from(start))
        if self.is_sym("`"):
            self.advance()
            tag = self.ident_any("a variant tag")
            arg = None
            if self.starts_simple_pattern(self.tok):
                arg = self.simple_pattern()
            return A.PVariant(tag, arg, span=self.span_from(start))
        if self.is_kw("lazy") or self.is_kw("exception"):
            self.unsupported(f"a '{self.tok.text}' pattern")
        return self.simple_pattern()

    def constr_path_pattern(self) -> tuple[str, ...]:
        parts = [self.advance().text]
        while self.is_sym(".") and self.peek().kind == "uident":
            self.advance()
            parts.append(self.advance().text)
        if self.is_sym("."):
            self.unexpected("a constructor in the pattern")
        return tuple(parts)

    def starts_simple_pattern(self, t: Token) -> bool:
        if t.kind in ("lident", "uident", "int", "float", "char", "string"):
            return True
        if t.kind == "kw":
            return t.text in ("true", "false", "_")
        if t.kind == "sym":
            return t.text in ("(", "[", "[|", "{", "`", "-", "#")
        return False

    def simple_pattern(self) -> A.Pattern:
        return self.nested(self._simple_pattern)

    def _simple_pattern(self) -> A.Pattern:
        t = self.tok
        start = t
        if t.kind == "lident":
            self.advance()
            return A.PVar(t.text, span=t.span)
        if self.is_kw("_", t):
            self.advance()
            return A.PAny(span=t.span)
        if t.kind in ("int", "float", "char", "string") or (
            self.is_sym("-", t) and self.peek().kind in ("int", "float")
        ):
            lit = self.literal()
            if self.is_sym(".."):
                self.unsupported("a character range pattern")
            return A.PConst(lit, span=lit.span)
        if self.is_kw("true", t) or self.is_kw("false", t):
            self.advance()
            return A.PConstr((), t.text, span=t.span)
        if t.kind == "uident":
            path = self.constr_path_pattern()
            return A.PConstr(path[:-1], path[-1], span=self.span_from(start))
        if self.is_sym("`", t):
            self.advance()
            tag = self.ident_any("a variant tag")
            return A.PVariant(tag, span=self.span_from(start))
        if self.is_sym("(", t):
            self.advance()
            if self.is_sym(")"):
                self.advance()
                return A.PConstr((), "()", span=self.span_from(start))
            op = self.operator_in_parens()
            if op is not None:
                return A.PVar(op, span=self.span_from(start))
            p = self.pattern()
            if self.is_sym(":"):
                self.advance()
                ty = self.type_expr()
                self.expect_sym(")", "')'")
                return A.PConstraint(p, ty, span=self.span_from(start))
            self.expect_sym(")", "')'")
            return p
        if self.is_sym("[", t):
            self.advance()
            if self.is_sym("]"):
                self.advance()
                return A.PConstr((), "[]", span=self.span_from(start))
            items = []
            while True:
                items.append(self.pattern())
                if self.is_sym(";"):
                    self.advance()
                    if self.is_sym("]"):
                        break
                    continue
                break
            self.expect_sym("]", "';' or ']'")
            return A.PList(tuple(items), span=self.span_from(start))
        if self.is_sym("{", t):
            return self.record_pattern()
        if self.is_sym("[|", t):
            self.unsupported("an array pattern")
        if self.is_sym("#", t):
            self.unsupported("a #type pattern")
        self.unexpected("a pattern")

    def record_pattern(self) -> A.Pattern:
        start = self.advance()
        fields: list[tuple[tuple[str, ...], str, A.Pattern | None]] = []
        is_open = False
        while not self.is_sym("}"):
            if self.is_kw("_"):
                self.advance()
                is_open = True
            else:
                fields.append(self._record_field(self.pattern, "a type annotation in a record pattern"))
            self._record_separator()
        self.advance()
        return A.PRecord(tuple(fields), is_open, span=self.span_from(start))

    def operator_in_parens(self) -> str | None:
        """If the tokens are ``op )`` (we are past the ``(``), consume them and return ``op``."""
        t = self.tok
        nxt = self.peek()
        if not self.is_sym(")", nxt):
            return None
        if t.kind == "sym" and (binop_level(t.text) is not None or t.text in ("::",)):
            if t.text == ",":
                return None
        elif t.kind == "prefixop" or (t.kind == "kw" and t.text in _KW_OPS):
            pass
        else:
            return None
        self.advance()
        self.advance()
        return t.text

    # -- let bindings and parameters ---------------------------------------------
    def let_bindings(self) -> tuple[A.Binding, ...]:
        bindings = [self.binding()]
        while self.is_kw("and"):
            self.advance()
            bindings.append(self.binding())
        return tuple(bindings)

    def binding(self) -> A.Binding:
        start = self.tok
        params: list[A.Param] = []
        pat: A.Pattern
        if self.tok.kind == "lident" and (
            self.starts_param(self.peek()) or self.is_sym("=", self.peek()) or self.is_sym(":", self.peek())
        ):
            t = self.advance()
            pat = A.PVar(t.text, span=t.span)
            while self.starts_param(self.tok):
                params.append(self.param())
        elif self.is_sym("(") and self.operator_ahead():
            self.advance()
            op = self.operator_in_parens()
            assert op is not None
            pat = A.PVar(op, span=self.span_from(start))
            while self.starts_param(self.tok):
                params.append(self.param())
        else:
            pat = self.pattern()
        ty = None
        if self.is_sym(":"):
            self.advance()
            if self.is_kw("type"):
                self.unsupported("a polymorphic type annotation (type a.)")
            ty = self.type_expr()
        if self.is_sym(":>"):
            self.unsupported("a coercion")
        self.expect_sym("=", "'=' in the let binding")
        body = self.nested(self.seq_expr)
        return A.Binding(pat, tuple(params), body, ty, span=self.span_from(start))

    def operator_ahead(self) -> bool:
        t = self.peek()
        if not self.is_sym(")", self.peek(2)):
            return False
        return (
            (t.kind == "sym" and t.text != "," and binop_level(t.text) is not None)
            or t.kind == "prefixop"
            or (t.kind == "kw" and t.text in _KW_OPS)
        )

    def starts_param(self, t: Token) -> bool:
        if t.kind in ("label", "optlabel"):
            return True
        if t.kind == "sym" and t.text in ("~", "?"):
            return True
        if self.is_sym("-", t):
            return False
        return self.starts_simple_pattern(t)

    def param(self) -> A.Param:
        start = self.tok
        t = self.tok
        if t.kind == "label":
            self.advance()
            p = self.simple_pattern()
            return A.Param("label", t.text, p, span=self.span_from(start))
        if self.is_sym("~", t):
            self.advance()
            if self.tok.kind == "lident":
                n = self.advance()
                return A.Param("label", n.text, A.PVar(n.text, span=n.span), span=self.span_from(start))
            if self.is_sym("("):
                self.advance()
                if self.tok.kind != "lident":
                    self.unexpected("a label name")
                n = self.advance()
                p = A.PVar(n.text, span=n.span)
                if self.is_sym(":"):
                    self.advance()
                    p = A.PConstraint(p, self.type_expr(), span=self.span_from(n))
                self.expect_sym(")")
                return A.Param("label", n.text, p, span=self.span_from(start))
            self.unexpected("a label name after '~'")
        if t.kind == "optlabel":
            self.advance()
            if self.is_sym("("):
                self.advance()
                p = self.pattern()
                if self.is_sym(":"):
                    self.advance()
                    p = A.PConstraint(p, self.type_expr(), span=self.span_from(t))
                default = None
                if self.is_sym("="):
                    self.advance()
                    default = self.nested(self.seq_expr)
                self.expect_sym(")")
                return A.Param("optional", t.text, p, default, span=self.span_from(start))
            p = self.simple_pattern()
            return A.Param("optional", t.text, p, span=self.span_from(start))
        if self.is_sym("?", t):
            self.advance()
            if self.tok.kind == "lident":
                n = self.advance()
                return A.Param("optional", n.text, A.PVar(n.text, span=n.span), span=self.span_from(start))
            if self.is_sym("("):
                self.advance()
                if self.tok.kind != "lident":
                    self.unexpected("an optional parameter name")
                n = self.advance()
                p = A.PVar(n.text, span=n.span)
                if self.is_sym(":"):
                    self.advance()
                    p = A.PConstraint(p, self.type_expr(), span=self.span_from(n))
                default = None
                if self.is_sym("="):
                    self.advance()
                    default = self.nested(self.seq_expr)
                self.expect_sym(")")
                return A.Param("optional", n.text, p, default, span=self.span_from(start))
            self.unexpected("a parameter name after '?'")
        if self.is_sym("(") and self.is_kw("type", self.peek()):
            self.unsupported("a locally abstract type (type a)")
        p = self.simple_pattern()
        return A.Param("pos", None, p, span=self.span_from(start))

    # -- expressions -------------------------------------------------------------
    def starts_expr(self, t: Token) -> bool:
        if t.kind == "kw":
            return t.text in _OPEN_KW or t.text in ("true", "false", "begin", "assert", "lazy", "not")
        if t.kind == "sym" and t.text in ("-", "-.", "+", "+."):
            return True
        return self.starts_simple(t)

    def starts_simple(self, t: Token) -> bool:
        if t.kind in ("lident", "uident", "int", "float", "char", "string", "prefixop"):
            return True
        if t.kind == "kw":
            return t.text in ("true", "false", "begin")
        return t.kind == "sym" and t.text in _SIMPLE_START_SYMS

    def starts_arg(self, t: Token) -> bool:
        if t.kind in ("label", "optlabel"):
            return True
        if t.kind == "sym" and t.text in ("~", "?"):
            return self.peek().kind == "lident"
        return self.starts_simple(t)

    def seq_expr(self) -> A.Expr:
        start = self.tok
        e = self.expr()
        if self.is_sym(";"):
            if self.starts_expr(self.peek()):
                self.advance()
                rest = self.nested(self.seq_expr)
                return A.Seq(e, rest, span=self.span_from(start))
            self.advance()
        return e

    def expr(self) -> A.Expr:
        return self.nested(lambda: self.op_expr(LEVEL_ASSIGN))

    def binop_of(self, t: Token) -> int | None:
        if t.kind == "sym":
            return binop_level(t.text)
        if t.kind == "kw" and t.text in _KW_OPS:
            return _KW_OPS[t.text]
        return None

    def op_expr(self, min_level: int) -> A.Expr:
        start = self.tok
        if start.kind == "kw" and start.text in _OPEN_KW:
            return self.open_construct()
        left = self.unary_expr()
        while True:
            t = self.tok
            level = self.binop_of(t)
            if level is None or level < min_level:
                return left
            if level == LEVEL_TUPLE:
                items = [left]
                while self.is_sym(","):
                    self.advance()
                    items.append(self.nested(lambda: self.op_expr(LEVEL_TUPLE + 1)))
                left = A.TupleExpr(tuple(items), span=self.span_from(start))
                continue
            self.advance()
            right_min = level if is_right_assoc(level) else level + 1
            right = self.nested(lambda rm=right_min: self.op_expr(rm))  # type: ignore[misc]
            left = A.Infix(t.text, left, right, span=self.span_from(start))

    def unary_expr(self) -> A.Expr:
        t = self.tok
        if t.kind == "sym" and t.text in ("-", "-.", "+", "+."):
            self.advance()
            operand = self.nested(self.unary_expr)
            if t.text in ("-", "-.") and isinstance(operand, A.IntLit) and t.text == "-":
                return A.IntLit(-operand.value, span=self.span_from(t))
            if t.text in ("-", "-.") and isinstance(operand, A.FloatLit):
                return A.FloatLit(-operand.value, span=self.span_from(t))
            if t.text in ("+", "+.") and isinstance(operand, (A.IntLit, A.FloatLit)):
                return operand
            return A.Prefix(t.text, operand, span=self.span_from(t))
        return self.app_expr()

    def app_expr(self) -> A.Expr:
        start = self.tok
        if self.is_kw("assert"):
            self.advance()
            e = self.simple_expr()
            return A.Assert(e, span=self.span_from(start))
        if self.is_kw("lazy"):
            self.unsupported("lazy")
        head = self.simple_expr()
        # ``C e`` is a constructor application only when C is written bare (``(C) e`` applies a value).
        bare = start.kind == "uident" or self.is_sym("`", start)
        if (
            bare
            and isinstance(head, (A.Constr, A.PolyVariant))
            and head.arg is None
            and self._is_bare_constructor(head)
        ):
            if self.starts_simple(self.tok):
                arg = self.simple_expr()
                if isinstance(head, A.Constr):
                    head = A.Constr(head.path, head.name, arg, span=self.span_from(start))
                else:
                    head = A.PolyVariant(head.tag, arg, span=self.span_from(start))
                if self.starts_arg(self.tok):
                    self.error(
                        "Syntax error: a constructor takes a single argument; "
                        "parenthesise the argument or the application"
                    )
            return head
        args: list[A.Arg] = []
        while self.starts_arg(self.tok):
            args.append(self.argument())
        if not args:
            return head
        return A.Apply(head, tuple(args), span=self.span_from(start))

    def _is_bare_constructor(self, e: A.Expr) -> bool:
        # ``true``/``false``/``()``/``[]`` written as literals are not applied.
        return not (isinstance(e, A.Constr) and e.name in ("true", "false", "()", "[]"))

    def argument(self) -> A.Arg:
        t = self.tok
        if t.kind == "label":
            self.advance()
            return A.Arg("label", t.text, self.simple_expr(), span=self.span_from(t))
        if t.kind == "optlabel":
            self.advance()
            return A.Arg("optional", t.text, self.simple_expr(), span=self.span_from(t))
        if self.is_sym("~", t) or self.is_sym("?", t):
            self.advance()
            n = self.advance()
            kind = "label" if t.text == "~" else "optional"
            return A.Arg(kind, n.text, None, span=self.span_from(t))
        e = self.simple_expr()
        return A.Arg("pos", None, e, span=e.span)

    def literal(self) -> A.IntLit | A.FloatLit | A.CharLit | A.StringLit:
        t = self.advance()
        neg = False
        if self.is_sym("-", t):
            neg = True
            t2 = self.advance()
            if t2.kind == "int":
                return A.IntLit(-int(t2.value), span=t.span.to(t2.span))  # type: ignore[call-overload]
            return A.FloatLit(-float(t2.value), span=t.span.to(t2.span))  # type: ignore[arg-type]
        assert not neg
        if t.kind == "int":
            return A.IntLit(t.value, span=t.span)  # type: ignore[arg-type]
        if t.kind == "float":
            return A.FloatLit(t.value, span=t.span)  # type: ignore[arg-type]
        if t.kind == "char":
            return A.CharLit(t.value, span=t.span)  # type: ignore[arg-type]
        return A.StringLit(t.value, t.quote_id, span=t.span)  # type: ignore[arg-type]

    def simple_expr(self) -> A.Expr:
        return self.nested(self._simple_expr)

    def _simple_expr(self) -> A.Expr:
        start = self.tok
        e = self._atom()
        while True:
            if self.is_sym(".") and self.peek().kind in ("lident", "uident"):
                self.advance()
                path: list[str] = []
                while self.tok.kind == "uident":
                    path.append(self.advance().text)
                    self.expect_sym(".", "'.' and a field name")
                if self.tok.kind != "lident":
                    self.unexpected("a record field name")
                name = self.advance().text
                e = A.FieldExpr(e, tuple(path), name, span=self.span_from(start))
                continue
            if self.is_sym(".") and self.peek().kind == "sym" and self.peek().text in ("(", "[", "{"):
                self.unsupported("indexing with .( ) / .[ ] / .{ }")
            if self.tok.kind == "sym" and self.tok.text == "[@":
                self.skip_attribute()
                continue
            if self.tok.kind == "sym" and self.tok.text.startswith("#") and len(self.tok.text) > 1:
                self.unsupported(f"the operator {self.tok.text}")
            if self.is_sym("#"):
                self.unsupported("a method call (#)")
            return e

    def _atom(self) -> A.Expr:
        t = self.tok
        start = t
        if t.kind in ("int", "float", "char", "string"):
            return self.literal()
        if t.kind == "lident":
            self.advance()
            return A.Ident((), t.text, span=t.span)
        if self.is_kw("true", t) or self.is_kw("false", t):
            self.advance()
            return A.Constr((), t.text, span=t.span)
        if t.kind == "prefixop":
            self.advance()
            operand = self.simple_expr()
            return A.Prefix(t.text, operand, span=self.span_from(start))
        if t.kind == "uident":
            return self.uident_expr()
        if self.is_sym("`", t):
            self.advance()
            tag = self.ident_any("a variant tag")
            return A.PolyVariant(tag, span=self.span_from(start))
        if self.is_sym("(", t):
            self.advance()
            if self.is_sym(")"):
                self.advance()
                return A.Constr((), "()", span=self.span_from(start))
            op = self.operator_in_parens()
            if op is not None:
                return A.OpValue((), op, span=self.span_from(start))
            e = self.nested(self.seq_expr)
            if self.is_sym(":"):
                self.advance()
                ty = self.type_expr()
                self.expect_sym(")", "')'")
                return A.Constraint(e, ty, span=self.span_from(start))
            if self.is_sym(":>"):
                self.unsupported("a coercion (e :> t)")
            self.expect_sym(")", "')'")
            return e
        if self.is_kw("begin", t):
            self.advance()
            if self.is_kw("end"):
                self.advance()
                return A.Constr((), "()", span=self.span_from(start))
            e = self.nested(self.seq_expr)
            self.expect_kw("end")
            return e
        if self.is_sym("[", t):
            return self.list_expr()
        if self.is_sym("[|", t):
            self.advance()
            items = self.expr_items("|]")
            return A.ArrayExpr(tuple(items), span=self.span_from(start))
        if self.is_sym("{", t):
            return self.record_expr()
        if t.kind == "kw" and t.text in _OPEN_KW:
            self.error(f"Syntax error: '{t.text}' here must be put in parentheses")
        if t.kind == "sym" and t.text in ("[%", "[%%"):
            self.unsupported("an extension node [%...]")
        if t.kind == "kw" and t.text in ("object", "new"):
            self.unsupported("objects")
        self.unexpected("an expression")

    def expr_items(self, close: str) -> list[A.Expr]:
        items: list[A.Expr] = []
        while not self.is_sym(close):
            items.append(self.expr())
            if self.is_sym(";"):
                self.advance()
            elif not self.is_sym(close):
                self.unexpected(f"';' or '{close}'")
        self.advance()
        return items

    def list_expr(self) -> A.Expr:
        start = self.advance()
        if self.is_sym("]"):
            self.advance()
            return A.Constr((), "[]", span=self.span_from(start))
        items = self.expr_items("]")
        return A.ListExpr(tuple(items), span=self.span_from(start))

    def record_expr(self) -> A.Expr:
        start = self.advance()
        base = None
        save = self.i
        # ``{ e with ... }``: try a field list first; fall back to a base expression.
        if not (self.tok.kind in ("lident", "uident") and self._looks_like_field()):
            self.i = save
            base = self.expr()
            self.expect_kw("with")
        fields: list[tuple[tuple[str, ...], str, A.Expr | None]] = []
        while not self.is_sym("}"):
            fields.append(self._record_field(self.expr, "a type annotation on a record field"))
            self._record_separator()
        self.advance()
        return A.RecordExpr(tuple(fields), base, span=self.span_from(start))

    def _record_field(self, value: Callable[[], Any], annotation: str) -> tuple[tuple[str, ...], str, Any]:
        """``M.N.field [= value]`` in a record pattern or expression (punned when the value is absent)."""
        path: list[str] = []
        while self.tok.kind == "uident":
            path.append(self.advance().text)
            self.expect_sym(".")
        if self.tok.kind != "lident":
            self.unexpected("a record field name")
        name = self.advance().text
        if self.is_sym(":"):
            self.unsupported(annotation)
        sub = None
        if self.is_sym("="):
            self.advance()
            sub = value()
        return tuple(path), name, sub

    def _record_separator(self) -> None:
        if self.is_sym(";"):
            self.advance()
        elif not self.is_sym("}"):
            self.unexpected("';' or '}'")

    def _looks_like_field(self) -> bool:
        j = self.i
        toks = self.toks
        while toks[j].kind == "uident" and toks[j + 1].kind == "sym" and toks[j + 1].text == ".":
            j += 2
        if toks[j].kind != "lident":
            return False
        nxt = toks[j + 1]
        return nxt.kind == "sym" and nxt.text in ("=", ";", "}")

    def uident_expr(self) -> A.Expr:
        start = self.tok
        parts = [self.advance().text]
        while self.is_sym(".") and self.peek().kind == "uident":
            self.advance()
            parts.append(self.advance().text)
        if self.is_sym("."):
            nxt = self.peek()
            if nxt.kind == "lident":
                self.advance()
                name = self.advance().text
                return A.Ident(tuple(parts), name, span=self.span_from(start))
            if self.is_sym("(", nxt):
                self.advance()
                self.advance()
                op = self.operator_in_parens()
                if op is not None:
                    return A.OpValue(tuple(parts), op, span=self.span_from(start))
                if self.is_sym(")"):
                    self.advance()
                    inner: A.Expr = A.Constr((), "()", span=self.span_from(start))
                else:
                    inner = self.nested(self.seq_expr)
                    if self.is_sym(":"):
                        self.advance()
                        inner = A.Constraint(inner, self.type_expr(), span=self.span_from(start))
                    self.expect_sym(")", "')'")
                return A.LocalOpen(tuple(parts), inner, span=self.span_from(start))
            if self.is_sym("[", nxt):
                self.advance()
                inner = self.list_expr()
                return A.LocalOpen(tuple(parts), inner, span=self.span_from(start))
            if nxt.kind == "sym" and nxt.text in ("{", "[|"):
                self.unsupported("a local open of a record or array (M.{ } / M.[| |])")
            if self.is_kw("true", nxt) or self.is_kw("false", nxt):
                self.advance()
                name = self.advance().text
                return A.Constr(tuple(parts), name, span=self.span_from(start))
            self.advance()
            self.unexpected("a name or '(' after the module path")
        return A.Constr(tuple(parts[:-1]), parts[-1], span=self.span_from(start))

    # -- open constructs -----------------------------------------------------------
    def open_construct(self) -> A.Expr:
        t = self.tok
        if self.is_kw("let", t):
            return self.let_expr()
        if self.is_kw("fun", t):
            self.advance()
            params = []
            while self.starts_param(self.tok):
                params.append(self.param())
            if not params:
                self.unexpected("a parameter after 'fun'")
            if self.is_sym(":"):
                self.advance()
                self.type_expr()
            self.expect_sym("->", "'->'")
            body = self.nested(self.seq_expr)
            return A.Fun(tuple(params), body, span=self.span_from(t))
        if self.is_kw("function", t):
            self.advance()
            cases = self.cases()
            return A.Function(cases, span=self.span_from(t))
        if self.is_kw("match", t):
            self.advance()
            scrut = self.nested(self.seq_expr)
            self.expect_kw("with")
            cases = self.cases()
            return A.Match(scrut, cases, span=self.span_from(t))
        if self.is_kw("if", t):
            self.advance()
            cond = self.nested(self.seq_expr)
            self.expect_kw("then")
            then = self.nested(lambda: self.op_expr(LEVEL_ASSIGN))
            orelse = None
            if self.is_kw("else"):
                self.advance()
                orelse = self.nested(lambda: self.op_expr(LEVEL_ASSIGN))
            return A.IfThenElse(cond, then, orelse, span=self.span_from(t))
        if self.is_kw("try", t):
            self.unsupported("try ... with (exception handling)")
        self.unsupported(f"a '{t.text}' loop")

    def let_expr(self) -> A.Expr:
        t = self.advance()
        if self.is_kw("open"):
            self.advance()
            if self.is_prefixop_bang():
                self.advance()
            path = self.module_path()
            self.expect_kw("in")
            body = self.nested(self.seq_expr)
            return A.LetOpen(path, body, span=self.span_from(t))
        if self.is_kw("module"):
            self.unsupported("let module")
        if self.is_kw("exception"):
            self.unsupported("let exception")
        if self.tok.kind == "sym" and self.tok.text.startswith("let"):
            self.unsupported("binding operators (let*)")
        rec = self._rec()
        bindings = self.let_bindings()
        self.expect_kw("in")
        body = self.nested(self.seq_expr)
        return A.Let(rec, bindings, body, span=self.span_from(t))

    def cases(self) -> tuple[A.Case, ...]:
        if self.is_sym("|"):
            self.advance()
        cases = [self.case()]
        while self.is_sym("|"):
            self.advance()
            cases.append(self.case())
        return tuple(cases)

    def case(self) -> A.Case:
        start = self.tok
        p = self.pattern()
        guard = None
        if self.is_kw("when"):
            self.advance()
            guard = self.nested(self.seq_expr)
        self.expect_sym("->", "'->' after the pattern")
        if self.is_sym("."):
            self.unsupported("a refutation case (p -> .)")
        body = self.nested(self.seq_expr)
        return A.Case(p, guard, body, span=self.span_from(start))


def parse(text: str, filename: str = "config.ml") -> A.Program:
    """Parse a whole config.ml into a :class:`Program`; raises ConfigMlError subclasses only."""
    with stack_room():
        return _Parser(text, filename).program()


def parse_expression(text: str, filename: str = "<expr>") -> A.Expr:
    """Parse a single expression (used by tests and the notebook)."""
    with stack_room():
        p = _Parser(text, filename)
        e = p.nested(p.seq_expr)
        if p.tok.kind != "eof":
            p.unexpected("end of the expression")
        return e
