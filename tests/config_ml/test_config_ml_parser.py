"""The lexer and parser: OCaml's precedence table, labels anywhere, spans, literals and comments."""

from __future__ import annotations

import pytest

from mirage_nb.config_ml import _ast as A
from mirage_nb.config_ml import parse, parse_expression, print_expr, print_program
from mirage_nb.config_ml._lexer import tokenize


def shape(e: A.Expr) -> str:
    """A fully parenthesised rendering of operator grouping."""
    match e:
        case A.Infix(op=op, left=left, right=right):
            return f"({shape(left)} {op} {shape(right)})"
        case A.Apply(func=func, args=args):
            parts = [shape(func)]
            for a in args:
                inner = "" if a.expr is None else shape(a.expr)
                parts.append(inner if a.kind == "pos" else f"{'~' if a.kind == 'label' else '?'}{a.label}:{inner}")
            return "[" + " ".join(parts) + "]"
        case A.Ident(path=path, name=name):
            return ".".join((*path, name))
        case A.Constr(name=name, arg=arg):
            return name if arg is None else f"[{name} {shape(arg)}]"
        case A.IntLit(value=v):
            return str(v)
        case A.TupleExpr(items=items):
            return "<" + ", ".join(shape(i) for i in items) + ">"
        case A.Prefix(op=op, operand=operand):
            return f"({op}{shape(operand)})"
        case A.LocalOpen(path=path, expr=inner):
            return f"{'.'.join(path)}.{{{shape(inner)}}}"
    return type(e).__name__


@pytest.mark.parametrize(
    "src, expected",
    [
        ("main $ a $ b $ c", "(((main $ a) $ b) $ c)"),
        ("a @-> b @-> c", "(a @-> (b @-> c))"),
        ("f @@ g @@ x", "(f @@ (g @@ x))"),
        ("unikernel $ docteur ~branch:x remote", "(unikernel $ [docteur ~branch:x remote])"),
        ("main $ a @-> b", "(main $ (a @-> b))"),
        ("x |> f |> g", "((x |> f) |> g)"),
        ("a ^ b ^ c", "(a ^ (b ^ c))"),
        ("a :: b :: c", "(a :: (b :: c))"),
        ("a :: b @ c", "((a :: b) @ c)"),
        ("a + b * c - d", "((a + (b * c)) - d)"),
        ("a ** b ** c", "(a ** (b ** c))"),
        ("a = b && c || d", "(((a = b) && c) || d)"),
        ("a || b || c", "(a || (b || c))"),
        ("- f x", "(-[f x])"),
        ("f x - 1", "([f x] - 1)"),
        ("f (-1)", "[f -1]"),
        ("a, b $ c, d", "<a, (b $ c), d>"),
        ('main ~packages "M" job ~local_libs:l', "[main ~packages: StringLit job ~local_libs:l]"),
        ("f ?x ?y:None", "[f ?x: ?y:None]"),
        ("Some f", "[Some f]"),
        ("Key.(value @@ kv_ro ~group:g ())", "Key.{(value @@ [kv_ro ~group:g ()])}"),
        ("Key.is_solo5", "Key.is_solo5"),
        ("a $ b |> c", "((a $ b) |> c)"),
        ("a @ b $ c", "((a @ b) $ c)"),
        ("x mod 2 = 0", "((x mod 2) = 0)"),
    ],
)
def test_precedence_and_associativity(src, expected):
    e = parse_expression(src)
    assert shape(e) == expected
    assert parse_expression(print_expr(e)) == e


def test_spans_are_one_based_with_end():
    prog = parse('open Mirage\n\nlet main =\n  main "U" job\n', "cfg.ml")
    let = prog.items[1]
    assert isinstance(let, A.LetItem)
    s = let.span
    assert (s.file, s.line, s.column, s.end_line, s.end_column) == ("cfg.ml", 3, 1, 4, 15)
    body = let.bindings[0].body
    assert (body.span.line, body.span.column, body.span.end_column) == (4, 3, 15)
    assert isinstance(body, A.Apply) and [a.kind for a in body.args] == ["pos", "pos"]


def test_every_node_has_a_span():
    from cm_support import CONFIGS

    prog = parse((CONFIGS / "functions.ml").read_text())
    stack: list[object] = [prog]
    count = 0
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif isinstance(n, A.Node):
            count += 1
            assert n.span.line >= 1 and n.span.column >= 1
            stack.extend(getattr(n, f) for f in n.__dataclass_fields__ if f != "span")
    assert count > 200


def test_nodes_are_frozen():
    e = parse_expression("f x")
    with pytest.raises(AttributeError):
        e.func = e  # type: ignore[misc]


@pytest.mark.parametrize(
    "src, value",
    [
        (r'"a\tb"', "a\tb"),
        (r'"\\ \" \' \n \r \b \ "', "\\ \" ' \n \r \b  "),
        (r'"\065\x42\o103"', "ABC"),
        (r'"\u{1F600}"', "\U0001f600"),
        ('"line\\\n     next"', "linenext"),
        (r'"keep \q"', "keep \\q"),
        ("{|a\\nb|}", "a\\nb"),
        ("{id|x |} y|id}", "x |} y"),
        ('"multi\nline"', "multi\nline"),
    ],
)
def test_string_literals(src, value):
    [tok, _eof] = tokenize(src)
    assert tok.kind == "string" and tok.value == value


def test_comments_nest_and_skip_strings():
    toks = tokenize('(* a (* b *) "*)" {x|*)|x} \'"\' *) x')
    assert [t.text for t in toks] == ["x", ""]


def test_tokens_of_labels_and_operators():
    toks = tokenize("f ~l:x ?o:y ~p a@->b |> c ::d 'a '\\n'")
    assert [(t.kind, t.text) for t in toks[:-1]] == [
        ("lident", "f"),
        ("label", "l"),
        ("lident", "x"),
        ("optlabel", "o"),
        ("lident", "y"),
        ("sym", "~"),
        ("lident", "p"),
        ("lident", "a"),
        ("sym", "@->"),
        ("lident", "b"),
        ("sym", "|>"),
        ("lident", "c"),
        ("sym", "::"),
        ("lident", "d"),
        ("tyvar", "'a"),
        ("char", "'\\n'"),
    ]


def test_top_level_items():
    prog = parse(
        "(* mirage >= 4.9.0 *)\nopen Mirage\ntype t = A | B of int\nmodule M = struct let x = 1 end\n"
        "module type S = sig val x : int end\nexception E of string\nlet rec f x = f x and g = 1\n"
        '[@@@warning "-32"]\nlet () = register "x" [] [@@attr]\n;;\nprint_string "hi"\n'
    )
    kinds = [type(i).__name__ for i in prog.items]
    assert kinds == [
        "OpenItem",
        "TypeItem",
        "ModuleItem",
        "ModuleTypeItem",
        "ExceptionItem",
        "LetItem",
        "LetItem",
        "ExprItem",
    ]
    assert prog.items[5].rec is True and len(prog.items[5].bindings) == 2


@pytest.mark.parametrize(
    "src",
    [
        "let x = ( * ) 2 3",
        "let x = List.fold_left ( + ) 0 l",
        "let x = M.( @-> ) a b",
        "let x = ! r",
        "let x = { a = 1; b }",
        "let x = { r with a = 1; M.b = 2 }",
        "let x = [| 1; 2 |]",
        "let x = r.field + r.M.other",
        "let f (x : int) ~(l : string) ?(o : int = 3) () : string = l",
        "let f : int -> ?x:int -> l:string -> unit = fun _ ?x ~l -> ()",
        "type 'a t = [ `A | `B of int ] list\nand ('a, 'b) u = ('a * 'b) option -> [< `C ] -> [> `D ]",
        "let x = ('\\'', '\\\\', '\\010', \"\\255\")",
        "let x = -1.5 +. 2e3 -. 0.25",
        "let f = function { a; b = Some c; _ } -> a | _ -> 0",
        "let x = match y with `A (a, b) | `B (b, a) as z -> z | exception_ -> y",
        "let x = if a then b else if c then d else e",
        "let x = (if a then b); c",
        "let x = a := !b; c <- d",
        "let x = f (fun x -> x) (function A -> 1 | B -> 2) (match x with _ -> 3)",
        "let x = let open M in let module_ = 1 in module_",
        "let x = begin match a with A -> (match b with B -> 1 | _ -> 2) | _ -> 3 end",
        "module M : sig\n  val x : int\nend = struct\n  let x = 1\n  module N = M\nend",
        "let () = assert (x = 1)",
        "let x = `Tag (1, 2) :: [] @ [ `Other ]",
    ],
)
def test_more_syntax_round_trips(src):
    prog = parse(src)
    printed = print_program(prog)
    assert parse(printed) == prog, printed
