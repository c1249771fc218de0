"""tree-sitter-ocaml as a test oracle: our parse tree has the same shape as its on every config file.

Compared: the kinds of top-level items, every application (its function and
the kind and label of each argument, in order) and every infix operator with
the source text of both operands (which checks precedence and associativity).
tree-sitter is a test-only dependency; the tests skip without it.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import tree_sitter as ts
import tree_sitter_ocaml as tso
from cm_support import SHARED, own_configs, reference_configs, skeleton_configs

from mirage_nb.config_ml import _ast as A
from mirage_nb.config_ml import parse

_PARSER = ts.Parser(ts.Language(tso.language_ocaml()))


def _strip_comments(s: str) -> str:
    return re.sub(r"\(\*.*?\*\)", " ", s, flags=re.S)


def norm(s: str) -> str:
    """Source text without comments, whitespace runs and enclosing parentheses."""
    s = " ".join(_strip_comments(s).split())
    while True:
        if s.startswith("begin ") and s.endswith(" end") and s.count("begin") == 1:
            s = s[6:-4].strip()  # begin ... end is parentheses
            continue
        if not (s.startswith("(") and s.endswith(")")):
            return s
        depth, in_string, escaped = 0, False, False
        for i, c in enumerate(s):
            if in_string:  # a parenthesis inside a string literal ("(")") opens or closes nothing
                escaped, in_string = (not escaped and c == "\\"), (escaped or c != '"')
                continue
            in_string = c == '"'
            depth += c == "("
            depth -= c == ")"
            if depth == 0 and i < len(s) - 1:
                return s
        s = s[1:-1].strip()


_TS_ITEMS = {
    "value_definition": "let",
    "open_module": "open",
    "include_module": "open",
    "type_definition": "type",
    "module_definition": "module",
    "exception_definition": "exception",
    "expression_item": "expr",
}


def ts_shape(text: str):
    tree = _PARSER.parse(text.encode())
    if tree.root_node.has_error:
        pytest.skip("tree-sitter-ocaml itself cannot parse this file (e.g. type t = ())")
    src = text.encode()
    items = [_TS_ITEMS[c.type] for c in tree.root_node.named_children if c.type in _TS_ITEMS]
    apps: Counter = Counter()
    infix: Counter = Counter()
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        stack.extend(n.named_children)
        if n.type == "application_expression":
            fn = n.child_by_field_name("function")
            if fn.type in ("constructor_path", "tag"):
                continue
            args = []
            for a in n.children_by_field_name("argument"):
                if a.type == "labeled_argument":
                    args.append(a.text.decode()[0] + a.named_children[0].text.decode())
                else:
                    args.append("pos")
            apps[(norm(src[fn.start_byte : fn.end_byte].decode()), tuple(args))] += 1
        elif n.type == "infix_expression":
            left = n.child_by_field_name("left")
            op = n.child_by_field_name("operator")
            right = n.child_by_field_name("right")
            infix[(op.text.decode(), norm(left.text.decode()), norm(right.text.decode()))] += 1
    return items, apps, infix


def _our_items(prog: A.Program) -> list[str]:
    kinds = {
        A.LetItem: "let",
        A.OpenItem: "open",
        A.TypeItem: "type",
        A.ModuleItem: "module",
        A.ModuleTypeItem: "module",
        A.ExceptionItem: "exception",
        A.ExprItem: "expr",
    }
    out = []
    for it in prog.items:
        if isinstance(it, A.ExprItem) and isinstance(it.expr, (A.Let, A.LetOpen)):
            out.append("expr")
        else:
            out.append(kinds[type(it)])
    return out


def our_shape(text: str):
    prog = parse(text, "config.ml")
    apps: Counter = Counter()
    infix: Counter = Counter()

    def sl(node: A.Node) -> str:
        return text[node.span.offset : node.span.end_offset]

    stack: list[object] = [prog]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
            continue
        if not isinstance(n, A.Node):
            continue
        for f in n.__dataclass_fields__:
            if f != "span":
                stack.append(getattr(n, f))
        if isinstance(n, A.Apply):
            args = tuple("pos" if a.kind == "pos" else ("~" if a.kind == "label" else "?") + a.label for a in n.args)
            apps[(norm(sl(n.func)), args)] += 1
        elif isinstance(n, A.Infix) and n.op != "::":
            infix[(n.op, norm(sl(n.left)), norm(sl(n.right)))] += 1
    return _our_items(prog), apps, infix


FILES = [(p.name, p.read_text()) for p in own_configs()]
FILES += [(p.relative_to(SHARED).as_posix(), p.read_text()) for p in reference_configs()]
FILES += [(f"skeleton/{n}", t) for n, t in skeleton_configs()]


@pytest.mark.parametrize("name_text", FILES, ids=lambda nt: nt[0])
def test_same_shape_as_tree_sitter(name_text):
    _name, text = name_text
    ours = our_shape(text)
    theirs = ts_shape(text)
    assert ours[0] == theirs[0], "top-level items differ"
    assert ours[1] == theirs[1], "applications differ"
    assert ours[2] == theirs[2], "infix operators differ"


def test_oracle_sees_precedence():
    items, apps, infix = ts_shape("let x = main $ a $ b\nlet y = a @-> b @-> c\n")
    ours = our_shape("let x = main $ a $ b\nlet y = a @-> b @-> c\n")
    assert ("$", "main $ a", "b") in infix and ("@->", "a", "b @-> c") in infix
    assert ours[2] == infix


def test_generated_programs_have_tree_sitters_shape():
    from hypothesis import HealthCheck, example, given, settings
    from test_config_ml_properties import programs

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs)
    @example('(* mirage >= 4.9.0 *)\nlet () = (")") $ 0\n')  # a parenthesis in a string, inside parentheses
    @example("(* mirage >= 4.9.0 *)\nlet () = fun x ~packages ?(min = 1) -> (Some 0) (0)\n")
    def check(text: str) -> None:
        tree = _PARSER.parse(text.encode())
        if tree.root_node.has_error:
            return
        ours = our_shape(text)
        theirs = ts_shape(text)
        assert ours[0] == theirs[0]
        assert ours[1] == theirs[1]
        assert ours[2] == theirs[2]

    check()
