"""Property tests: configs generated from the grammar round-trip through the printer; garbage never crashes.

h11's fuzzing invariant, applied to config.ml: any input either reads or
raises the reader's own error type (with a location when it comes from the text).
"""

from __future__ import annotations

import contextlib
import io

import cm_fake_mirage
from cm_support import own_configs, reference_configs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirage_nb.config_ml import evaluate, parse, print_program
from mirage_nb.config_ml._printer import ocaml_string
from mirage_nb.errors import ConfigMlError

# -- a generator of config.ml text, following the grammar --------------------------------------

IDENTS = ["a", "b", "x", "main", "stack", "f", "noop", "job", "packages", "_unused"]
LABELS = ["packages", "group", "min", "pos", "tls", "key"]
OPS = ["$", "@->", "@@", "^", "+", "-", "*", "/", "|>", "=", "<", "<>", "&&", "||", "::", "@", "mod", ">=", "**"]
CONSTRS = ["None", "Hash", "A"]
MODULES = ["Key", "Mirage", "List", "M.N"]


def parens(s: str) -> str:
    return f"({s})"


def _head(s: str) -> str:
    """An expression applied to more arguments: a constructor application is parenthesised first.

    ``Some 0 (0)`` is not OCaml (a constructor takes one argument); ``(Some 0) (0)`` is.
    """
    return parens(s) if s.startswith("Some ") else s


ints = st.integers(min_value=-(10**6), max_value=10**6).map(lambda n: str(n) if n >= 0 else f"({n})")
strings = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=8).map(ocaml_string)
quoted = (
    st.tuples(st.sampled_from(["", "x", "ocaml"]), st.text(alphabet='ab %s|\n"\\', max_size=8))
    .filter(lambda t: f"|{t[0]}}}" not in t[1])
    .map(lambda t: "{" + t[0] + "|" + t[1] + "|" + t[0] + "}")
)
chars = st.sampled_from(["'a'", "'\\n'", "'\\''", "'\\065'", "' '"])
idents = st.sampled_from(IDENTS).filter(lambda s: s != "_unused")
qualified = st.tuples(st.sampled_from(MODULES), st.sampled_from(["value", "create", "is_solo5", "map"])).map(
    lambda t: f"{t[0]}.{t[1]}"
)
atoms = st.one_of(
    ints,
    strings,
    quoted,
    chars,
    idents,
    qualified,
    st.sampled_from(["()", "[]", "true", "false", "None", "Hash", "`None", "`Solo5", "__POS__"]),
)


def exprs(depth: int) -> st.SearchStrategy[str]:
    if depth <= 0:
        return atoms
    sub = exprs(depth - 1)
    arg = st.one_of(atoms, sub.map(parens))
    labelled = st.one_of(
        st.tuples(st.sampled_from(LABELS), arg).map(lambda t: f"~{t[0]}:{t[1]}"),
        st.sampled_from(LABELS).map(lambda lab: f"~{lab}"),
        st.tuples(st.sampled_from(LABELS), arg).map(lambda t: f"?{t[0]}:{t[1]}"),
        st.sampled_from(LABELS).map(lambda lab: f"?{lab}"),
    )
    app = st.tuples(st.one_of(idents, qualified), st.lists(st.one_of(arg, labelled), min_size=1, max_size=4)).map(
        lambda t: t[0] + " " + " ".join(t[1])
    )
    # flat operator chains without parentheses: the printer must keep OCaml's grouping
    chain = st.tuples(arg, st.lists(st.tuples(st.sampled_from(OPS), st.one_of(arg, app)), min_size=1, max_size=4)).map(
        lambda t: t[0] + "".join(f" {op} {e}" for op, e in t[1])
    )
    pattern = st.sampled_from(
        ["_", "x", "None", "Some y", "[]", "[ a; b ]", "h :: t", "(a, b)", "`A", "`B z", "1 | 2", '"s"', "A as q"]
    )
    cases = st.lists(st.tuples(pattern, sub), min_size=1, max_size=3).map(
        lambda cs: " ".join(f"| {p} -> {parens(e)}" for p, e in cs)
    )
    return st.one_of(
        sub,
        app,
        chain,
        st.tuples(sub, sub).map(lambda t: f"{parens(t[0])}, {parens(t[1])}"),
        st.lists(sub, max_size=3).map(lambda es: "[ " + "; ".join(parens(e) for e in es) + " ]"),
        st.tuples(idents, sub, sub).map(lambda t: f"let {t[0]} = {t[1]} in {t[2]}"),
        st.tuples(sub, sub).map(lambda t: f"fun x ~packages ?(min = 1) -> {_head(t[0])} {parens(t[1])}"),
        st.tuples(sub, cases).map(lambda t: f"match {t[0]} with {t[1]}"),
        cases.map(lambda c: f"function {c}"),
        st.tuples(sub, sub, sub).map(lambda t: f"if {t[0]} then {parens(t[1])} else {parens(t[2])}"),
        st.tuples(st.sampled_from(["Key", "M"]), sub).map(lambda t: f"{t[0]}.({t[1]})"),
        st.tuples(sub).map(lambda t: f"let open Key in {t[0]}"),
        sub.map(lambda e: f"({e} : string list)"),
        st.tuples(st.sampled_from(CONSTRS[1:]), arg).map(lambda t: f"Some {t[1]}"),
        sub.map(lambda e: f"begin {e} end"),
        st.tuples(sub, sub).map(lambda t: f"{parens(t[0])}; {t[1]}"),
    )


items = st.one_of(
    st.tuples(st.sampled_from(IDENTS), exprs(2)).map(lambda t: f"let {t[0]} = {t[1]}"),
    st.tuples(st.sampled_from(IDENTS), exprs(2)).map(lambda t: f'let {t[0]} a ~packages ?(min = "1") () = {t[1]}'),
    st.tuples(exprs(2)).map(lambda t: f"let () = {t[0]}"),
    st.just("open Mirage"),
    st.just("type t = A | B of int * string | C of t list"),
    st.just("type 'a box = { v : 'a; mutable n : int }"),
    st.tuples(exprs(1)).map(lambda t: f"module M = struct let v = {t[0]} end"),
    st.tuples(exprs(2)).map(lambda t: f"let rec loop x = {t[0]}"),
)
programs = st.lists(items, min_size=1, max_size=5).map(lambda its: "(* mirage >= 4.9.0 *)\n" + "\n".join(its) + "\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_generated_configs_round_trip(text):
    prog = parse(text, "gen.ml")
    printed = print_program(prog)
    again = parse(printed, "printed.ml")
    assert again == prog, printed
    assert print_program(again) == printed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs(3))
def test_generated_expressions_evaluate_or_fail_cleanly(expr):
    text = f'open Mirage\nlet result = {expr}\nlet () = register "t" []\n'
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            evaluate(text, "gen.ml", mirage=cm_fake_mirage.make())
        except ConfigMlError as err:
            assert err.loc is not None or "register" in str(err)


# -- fuzzing: random and mutated inputs --------------------------------------------------------

SEEDS = [p.read_text() for p in own_configs()] + [p.read_text() for p in reference_configs()[:12]]
SEEDS = SEEDS or ['open Mirage\nlet () = register "x" [ noop ]\n']


def _reads_or_fails_cleanly(text: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            _ = evaluate(text, "fuzz.ml", mirage=cm_fake_mirage.make()).app
        except ConfigMlError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes(text):
    _reads_or_fails_cleanly(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()[]{}|;:~?`'\"*$@-><=^,._ \n\taAxz019", max_size=120))
def test_random_ocaml_symbols_never_crash(text):
    _reads_or_fails_cleanly(text)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        piece = draw(st.sampled_from(list("()[]{};|~?`'\"*$@-=:,. \n") + ["let ", " in ", "fun ", "->", "match "]))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)) :]
        elif op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + piece + text[i + 1 :]
        else:
            j = draw(st.integers(i, min(len(text), i + 30)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutated_configs_never_crash(text):
    _reads_or_fails_cleanly(text)


def test_byte_by_byte_prefixes_never_crash():
    text = SEEDS[0]
    for n in range(0, len(text), 7):
        _reads_or_fails_cleanly(text[:n])
