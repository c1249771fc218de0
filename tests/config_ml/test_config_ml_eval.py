"""The reader evaluates the OCaml of config files with OCaml's semantics (checked against a fake Mirage)."""

from __future__ import annotations

import pytest
from cm_support import CONFIGS

from mirage_nb.config_ml import Constr, PolyVariant, evaluate, loads
from mirage_nb.config_ml._values import op_attribute_names
from mirage_nb.errors import ConfigMlError


def run(src: str, mirage, filename: str = "config.ml"):
    return evaluate(src, filename, mirage=mirage)


def value(src: str, mirage, name: str = "x"):
    return run(src + '\nlet () = Mirage.register "t" []\n', mirage).values[name]


# -- the test configs of this directory -----------------------------------------------------


def test_basics_config(fake_mirage):
    ev = run((CONFIGS / "basics.ml").read_text(), fake_mirage)
    app = ev.app
    assert app.name == "basics"
    [job] = app.jobs
    # $ is left-associative: main applied to the stack, then to the network.
    assert [a.name for a in job.args] == ["stack", "default_network"]
    assert job.kw["packages"] == [
        ("package", "duration", None, None, None),
        ("package", "randomconv", "0.2.0", None, None),
    ]
    # @-> is right-associative.
    assert ev.values["arrow"].name == "(stackv4v6 -> (network -> (kv_ro -> job)))"
    assert ev.values["stack_in_group"].kw == {"group": "data"}
    # a label after the positional arguments, via the qualified Mirage.main
    assert ev.values["late_label"].kw == {"packages": [("package", "fmt", None, None, None)]}
    # shadowing: [other] is the main bound just before it, not the DSL function
    assert ev.values["other"] is ev.values["main"]


def test_functions_config(fake_mirage):
    ev = run((CONFIGS / "functions.ml").read_text(), fake_mirage)
    v = ev.values
    assert v["choices"] == ["left x", "same", "right 2", "nothing"]
    assert v["kinds"] == ["unix-like", "unix-like", "solo5/hvt", "other"]
    assert [v["l1"], v["l2"], v["l3"], v["l4"], v["l5"]] == ["ab!", "ab?", "p:ab!", "ab!", "nb!"]
    assert v["from_partial"] == "zy!"
    assert v["f10"] == 3628800
    assert (v["first"], v["second"]) == (1, "one")
    assert v["pos"] == ("config.ml", 44, 10, 17)
    assert v["tail"] == [2, 3]
    assert v["nested"] == "3a"
    assert v["added"] == 42
    assert v["code_value"] == ("code", ("config.ml", 52, 26, 33), "%s.start %s %S", ("Unikernel", "x", "y\n"))
    assert ev.app.name == "functions"


def test_opens_config(fake_mirage):
    ev = run((CONFIGS / "opens.ml").read_text(), fake_mirage)
    v = ev.values
    assert v["joined"] == "a+b+c"
    # Key.( ... ) really shadows: kv_ro there is Key.kv_ro, a key; outside, the kv_ro module type
    assert repr(v["data_key"]) == "KeyValue(what=Key(name='kv_ro', group='data'))"
    assert repr(v["outer_kv_ro"]) == "Typ(name='kv_ro')"
    assert v["util_kv_ro"] == v["shadowed"] == "Util.kv_ro"
    # Key's own ( $ ) (op_dollar) is used inside Key.( ... )
    what = v["keyed"].what
    assert what[0] == "app" and what[2].name == "target"
    assert v["four"] == 4
    assert v["depth"] == 2
    assert v["piped"] == 9
    assert v["app"] == "42"


def test_stdlib_config(fake_mirage):
    v = run((CONFIGS / "stdlib.ml").read_text(), fake_mirage).values
    assert v["escapes"] == 'tab\tnl\n"q" \\ ABC \u00e9continued'
    assert v["quoted"] == 'no \\escapes "here"'
    assert v["tagged"] == "a |} b"
    assert v["chars"] == ["a", "\n", "'", "A"]
    assert v["ints"] == [31, 15, 5, 1000, -3]
    assert v["arith"] == (3, -3, 1, -1, 10, 5, 16)
    assert v["compare"] == (True, True, True, True, False, True)
    assert v["concat"] == "a, b, c"
    assert v["lists"] == ([1, 2, 3], [1, 2, 3], 2, [3, 2, 1])
    assert v["env"] == Constr("None")
    assert v["defaulted"] == "none"
    assert v["fmt"] == 'x=42 "q\\""  3.14 ab | %'
    assert v["fmtstr"] == "3 and x"
    assert v["filtered"] == [2, 4]
    assert v["seq"] == 2


# -- single constructs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src, expected",
    [
        ("let x = 1 + 2 * 3", 7),
        ("let x = (1 + 2) * 3", 9),
        ("let x = 2 - 3 - 4", -5),
        ("let x = - 2 * 3", -6),
        ('let x = "a" ^ "b" ^ "c"', "abc"),
        ("let x = [ 1 ] @ [ 2 ] @ [ 3 ]", [1, 2, 3]),
        ("let x = 1 :: 2 :: []", [1, 2]),
        ("let x = [ 1; 2; ]", [1, 2]),
        ("let x = 1, 2, 3", (1, 2, 3)),
        ('let x = if 1 < 2 then "y" else "n"', "y"),
        ("let x = if false then ()", None),
        ("let x = let y = 1 in let y = y + 1 in y", 2),
        ("let y = 1 let f () = y let y = 2 let x = f ()", 1),
        ('let x = match 3 with 1 | 2 -> "small" | n when n > 2 -> "big" | _ -> "neg"', "big"),
        ('let x = match "a" with "a" -> 1 | _ -> 2', 1),
        ("let x = match 'c' with 'a' -> 1 | _ -> 2", 2),
        ("let x = match [ 1; 2 ] with [ a; b ] -> a + b | _ -> 0", 3),
        ("let x = match (1, [ 2 ]) with (a, b :: _) as t -> (a + b, t) | _ -> (0, (0, []))", (3, (1, [2]))),
        ("let x = (fun ?(a = 1) () -> a) ()", 1),
        ("let x = (fun ?(a = 1) () -> a) ~a:5 ()", 5),
        ("let f ?a () = a let x = f ()", Constr("None")),
        ("let f ?a () = a let x = f ~a:1 ()", Constr("Some", (1,))),
        ("let x = (fun ~a ~b -> a - b) ~b:1 ~a:10", 9),
        ('let f a b c = a ^ b ^ c let g = f "1" let x = g "2" "3"', "123"),
        ("let x = List.map (( * ) 2) [ 1; 2 ]", [2, 4]),
        ("let x = List.map (fun (a, b) -> a + b) [ (1, 2); (3, 4) ]", [3, 7]),
        ('let x = String.concat "-" (List.map string_of_int [ 1; 2 ])', "1-2"),
        ("let x = Option.value ~default:0 (Some 4)", 4),
        ("let x = Option.value (None) ~default:0", 0),
        ("let x = `A 1", PolyVariant("A", (1,))),
        ("let x = (1 : int)", 1),
        ("let x = begin 1 + 1 end", 2),
        ('let x = Printf.sprintf "%d-%s" 1 "a"', "1-a"),
        ('let x = let f = Printf.sprintf "<%s>" in List.map f [ "a" ]', ["<a>"]),
        ('let x = Printf.sprintf "%a!" (fun () s -> s ^ s) "ab"', "abab!"),
        ("let x = __LINE__", 1),
        ("let x = 0x7fff_ffff_ffff_ffff", -1),
        ("let x = 4611686018427387903 + 1", -4611686018427387904),
        ("let x = [] = []", True),
        ("let x = compare (Some 1) None", 1),
        ("let x = List.sort compare [ 3; 1; 2 ]", [1, 2, 3]),
        ("type t = A | B of int let x = [ A; B 2 ]", [Constr("A"), Constr("B", (2,))]),
        ("exception Oops let x = Oops", Constr("Oops")),
        ('let x = Sys.getenv_opt "PATH"', Constr("None")),
        ("let rec even n = n = 0 || odd (n - 1) and odd n = n <> 0 && even (n - 1) let x = even 10", True),
        ('let x = List.fold_left (fun acc x -> acc ^ x) "" [ "a"; "b" ]', "ab"),
        ('let x = Fmt.str "%s-%d" "a" 1', "a-1"),
        ("let x = fst (1, 2) + snd (1, 2)", 3),
        ('let x = true || (failwith "not evaluated")', True),
    ],
)
def test_expression_values(src, expected, fake_mirage):
    assert value(src, fake_mirage) == expected


def test_pos_is_ocaml_pos_with_byte_columns(fake_mirage):
    src = 'let x =\n  (* é *) "é", __POS__\nlet () = Mirage.register "t" []\n'
    # columns are bytes, 0-based, as OCaml's __POS__ gives them; the file name as given
    assert run(src, fake_mirage, "dir/config.ml").values["x"] == ("é", ("dir/config.ml", 2, 17, 24))


def test_loc_and_file(fake_mirage):
    v = run('let l = __LOC__\nlet f = __FILE__\nlet () = Mirage.register "t" []', fake_mirage).values
    assert v["l"] == 'File "config.ml", line 1, characters 8-15'
    assert v["f"] == "config.ml"


def test_evaluation_order_is_right_to_left(fake_mirage):
    src = 'let x = (print_string "f"; fun a b -> a ^ b) (print_string "a"; "1") (print_string "b"; "2")'
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert value(src, fake_mirage) == "12"
    assert out.getvalue() == "baf"


def test_register_returns_last_app_and_unit_to_the_config(fake_mirage):
    src = 'open Mirage\nlet () = register "one" []\nlet () = register "two" [ noop ]\n'
    ev = run(src, fake_mirage)
    assert [a.name for a in ev.apps] == ["one", "two"]
    assert ev.app.name == "two"
    assert loads(src, mirage=fake_mirage).name == "two"


def test_register_with_polymorphic_variant_label(fake_mirage):
    app = loads('open Mirage\nlet () = register ~src:`None "x" [ noop ]', mirage=fake_mirage)
    # polymorphic variants reach Python as their tag, or (tag, argument)
    assert app.kw == {"src": "None"}
    app = loads('open Mirage\nlet () = register ~src:(`Some "u") "x" [ noop ]', mirage=fake_mirage)
    assert app.kw == {"src": ("Some", "u")}


def test_open_only_exposes_all(fake_mirage):
    with pytest.raises(ConfigMlError, match="Unbound value helper_not_exported"):
        run("open Mirage\nlet x = helper_not_exported", fake_mirage)


def test_optional_argument_passing_to_python(fake_mirage):
    ev = run(
        'open Mirage\nlet a = package ?min:(Some "1.0") "p"\nlet b = package ?min:None "p"\n'
        'let () = Mirage.register "t" []',
        fake_mirage,
    )
    assert ev.values["a"] == ("package", "p", "1.0", None, None)
    assert ev.values["b"] == ("package", "p", None, None, None)


def test_unit_argument_triggers_python_call(fake_mirage):
    ev = run(
        'let k = Mirage.Key.kv_ro ~group:"g" ()\nlet p = Mirage.Key.kv_ro ~group:"g"\nlet () = Mirage.register "t" []',
        fake_mirage,
    )
    assert repr(ev.values["k"]) == "Key(name='kv_ro', group='g')"
    # without (), a labelled application is partial, as in OCaml
    assert "PyPartial" in repr(ev.values["p"])


def test_partial_application_of_python_function(fake_mirage):
    ev = run(
        "open Mirage\nlet mk = generic_stackv4v6\nlet s = List.map mk [ default_network ]\n"
        'let m = main "M"\nlet j = m job\nlet () = register "t" [ j ]',
        fake_mirage,
    )
    assert [x.name for x in ev.values["s"]] == ["stack"]
    assert ev.values["j"].name == "M"


def test_ocaml_function_passed_to_python(fake_mirage):
    src = (
        "open Mirage\n"
        "let connect _ modname = function [ a ] -> modname ^ a | _ -> assert false\n"
        'let d = impl ~connect "Dev" job\n'
        'let () = register "t" [ d ]'
    )
    ev = run(src, fake_mirage)
    fn = ev.values["d"].kw["connect"]
    assert fn(None, "M.", ["x"]) == "M.x"


def test_op_attribute_names():
    assert op_attribute_names("$")[0] == "op_dollar"
    assert op_attribute_names("@->")[0] == "op_at_minus_greater"
    assert "( $ )" in op_attribute_names("$")


def test_let_rec_function_and_records_type(fake_mirage):
    src = (
        "type r = { a : int; mutable b : string option }\n"
        "let rec count n = if n = 0 then [] else n :: count (n - 1)\n"
        "let x = count 3\n"
        'let () = Mirage.register "t" []'
    )
    assert run(src, fake_mirage).values["x"] == [3, 2, 1]


def test_module_with_signature_and_unit_constructor(fake_mirage):
    src = 'module T : sig end = struct\n  type t = ()\nend\nlet x = 1\nlet () = Mirage.register "t" []'
    assert run(src, fake_mirage).values["x"] == 1
