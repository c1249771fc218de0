"""The engine's behaviours a learner sees: sharing, numbering, choices, keys, errors."""

from __future__ import annotations

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.dot import dot_graph, render_dot
from mirage_nb.functoria.dsl import if_impl, impl, job, main, match_impl, noop, package, typ
from mirage_nb.functoria.graph import connect_order, evaluate
from mirage_nb.functoria.impl import App, Dev, If, simplify
from mirage_nb.functoria.info import Info, describe_text


def flag(name: str) -> K.Key:
    return K.create(name, K.Arg.flag(K.ArgInfo((name,))))


def test_application_by_call_appends_arguments_in_order():
    a, b = typ("a"), typ("b")
    f = impl("F", a @ b @ job)
    x, y = impl("X", a), impl("Y", b)
    t = f(x)(y)
    assert isinstance(t, Dev) and t.args == (x, y)
    assert f(x, y) == t


def test_at_groups_to_the_right_like_ocaml_arrow():
    a, b, c = typ("a"), typ("b"), typ("c")
    t = a @ b @ c @ job
    assert t.arg is a and t.res.arg is b and t.res.res.arg is c and t.res.res.res is job
    assert t.params() == [a, b, c]


def test_a_device_used_twice_is_one_node():
    ip, tcp_t = typ("ip"), typ("tcp")
    ipdev = impl("Ip", ip)
    tcp = impl("Tcp.Make", ip @ tcp_t)
    user = impl("User.Make", tcp_t @ tcp_t @ job)
    t = user(tcp(ipdev), tcp(ipdev))  # the same term built twice: shared
    g = dot_graph(t)
    assert [v.label.split("\n")[0] for v in g.vertices] == ["ip__1", "tcp_make__2", "user_make__3"]
    root = evaluate(t, K.Context())
    assert [n.var_name for n in connect_order(root)] == ["ip__1", "tcp_make__2", "user_make__3"]


def test_two_impl_calls_make_two_devices_even_when_identical():
    a = typ("a")
    d1, d2 = impl("Same", a), impl("Same", a)
    user = impl("User.Make", a @ a @ job)
    g = dot_graph(user(d1, d2))
    assert len(g.vertices) == 3


def test_dot_numbering_visits_arguments_right_to_left():
    a = typ("a")
    user = impl("User.Make", a @ a @ job)
    t = user(impl("Left", a), impl("Right", a))
    names = [v.label.split("\n")[0] for v in dot_graph(t).vertices]
    assert names == ["right__1", "left__2", "user_make__3"]
    # ... while the device graph numbers left to right (spec §2.3 vs §2.4).
    assert [n.var_name for n in connect_order(evaluate(t, K.Context()))] == ["left__1", "right__2", "user_make__3"]


def test_if_impl_prints_the_then_branch_twice_and_the_last_edge_bold():
    a = typ("a")
    c = K.pure(True)
    t = if_impl(c, impl("Yes", a), impl("No", a))
    text = render_dot(t)
    assert text == (
        "digraph G {\n  ordering=out;\n"
        '  1 [label="yes__1\\nYes\\n", shape="box"];\n'
        '  2 [label="no__2\\nNo\\n", shape="box"];\n'
        '  3 [label="If\\n"];\n  \n'
        '  3 -> 1 [style="dotted", headport="n"];\n'
        '  3 -> 2 [style="dotted", headport="n"];\n'
        '  3 -> 1 [style="bold", style="dotted", headport="n"];\n'
        "  }"
    )


def test_if_label_breaks_before_its_last_key():
    a = typ("a")
    k1, k2, k3 = flag("net"), flag("no-dhcp"), flag("target")
    v = K.app(K.app(K.map_(lambda x: lambda y: lambda z: x, k1.value()), k2.value()), k3.value())
    t = if_impl(v, impl("Yes", a), impl("No", a))
    assert 'label="If\\nnet, no-dhcp,\\ntarget"' in render_dot(t)


def test_application_of_a_choice_is_an_app_vertex_with_a_gap_in_numbering():
    a = typ("a")
    f = if_impl(K.pure(True), impl("F1.Make", a @ job), impl("F2.Make", a @ job))
    t = f(impl("Arg", a))
    assert isinstance(t, App)
    labels = [v.label for v in dot_graph(t).vertices]
    assert labels[-1] == "$"
    # Evaluation spends a number on the functor part: F1's node is #1, unused.
    root = evaluate(t, K.Context())
    assert root.var_name == "f1_make__3" and [n.var_name for n in root.args] == ["arg__2"]


def test_simplify_resolves_choices_whose_keys_are_given_and_keeps_the_others():
    a = typ("a")
    k = flag("fast")
    t = if_impl(k.value(), impl("Fast", a), impl("Slow", a))
    assert isinstance(simplify(t, full=False, context=K.Context()), If)
    chosen = simplify(t, full=False, context=K.Context().add(k, False))
    assert isinstance(chosen, Dev) and chosen.dev.module_name == "Slow"
    # Full evaluation takes the default value (false) for the missing key.
    assert simplify(t, full=True, context=K.Context()).dev.module_name == "Slow"


def test_match_impl_takes_the_first_equal_case_else_the_default():
    a = typ("a")
    k = K.create("mode", K.Arg.opt(K.Conv.enum([("x", "x"), ("y", "y"), ("z", "z")]), "z", K.ArgInfo(("mode",))))
    t = match_impl(k.value(), [("x", impl("X", a)), ("y", impl("Y", a))], default=impl("D", a))
    pick = lambda v: simplify(t, full=True, context=K.Context().add(k, v)).dev.module_name  # noqa: E731
    assert (pick("x"), pick("y"), pick("z")) == ("X", "Y", "D")


def test_keys_fit_on_the_name_line_when_short_and_break_when_long():
    short = [K.create(n, K.Arg.opt(K.STRING, "cat", K.ArgInfo((n,)))) for n in ("vote", "warn")]
    info = Info("noop", keys=tuple(short), context=K.Context().add("vote", "dog"))
    assert describe_text(info) == "Name       noop\nKeys       vote=dog,\n           warn=cat (default)"
    long = [K.create(f"key-number-{i}", K.Arg.opt(K.STRING, "value", K.ArgInfo((f"k{i}",)))) for i in range(3)]
    text = describe_text(Info("n", keys=tuple(long)))
    assert text.splitlines()[1] == "Keys      "  # trailing spaces kept, as Format prints them
    assert text.splitlines()[2] == "  key-number-0=value (default),"


def test_keys_layout_threshold_is_66_flat_columns():
    def text_for(width: int) -> str:
        name = "k" * (width - len("=x (default)"))
        key = K.create(name, K.Arg.opt(K.STRING, "x", K.ArgInfo((name,))))
        return describe_text(Info("n", keys=(key,)))

    assert text_for(66).splitlines()[1].startswith("Keys       k")
    assert text_for(67).splitlines()[1] == "Keys      "


def test_required_key_without_value_prints_its_bare_name():
    k = K.create("required", K.Arg.required(K.STRING, K.ArgInfo(("required",))))
    assert describe_text(Info("n", keys=(k,))).endswith("Keys       required")


def test_enum_printer_returns_the_last_label_of_a_value():
    conv = K.Conv.enum([("host", 1), ("socket", 1), ("direct", 2), ("ocaml", 2)])
    assert conv.print(1) == "socket" and conv.print(2) == "ocaml"
    with pytest.raises(K.ConvError, match="expected one of 'host', 'socket', 'direct' or 'ocaml'"):
        conv.parse("bogus")


def test_applying_the_wrong_device_names_both_types():
    network, ethernet = typ("network"), typ("ethernet")
    arp = impl("Arp.Make", ethernet @ typ("arpv4"))
    with pytest.raises(
        ConfigError, match="Netif has type network impl but an expression was expected of type ethernet"
    ):
        arp(impl("Netif", network))


def test_applying_too_many_devices_is_an_error():
    a = typ("a")
    with pytest.raises(ConfigError, match="too many devices"):
        impl("Leaf", a)(impl("Other", a))


def test_main_of_a_non_functor_gets_a_unit_argument_and_says_so(capsys):
    m = main("Unikernel", job)
    assert capsys.readouterr().out == "adding unit argument to 'start ()' (to delay execution)\n"
    assert m.deps == (noop,)


def test_key_names_cannot_be_empty_and_package_names_are_checked():
    with pytest.raises(ConfigError, match="key name cannot be the empty string"):
        K.create("", K.Arg.flag(K.ArgInfo(("x",))))
    for bad in ("bar.subfoo", "000", "é"):
        with pytest.raises(ConfigError, match=f'package name "{bad}" is invalid'):
            package(bad)


def test_package_merge_unions_bounds_and_prints_them_sorted():
    from mirage_nb.functoria.package import merge_all

    p = merge_all([package("foo", min="1.0", max="2.0"), package("foo", min="0.9", max="1.9")])["foo"]
    assert p.pp() == 'foo { ?monorepo & >= "0.9" & >= "1.0" & < "1.9" & < "2.0" }'
    assert package("foo", scope="switch", min="1.0", max="2.0").pp() == 'foo { >= "1.0" & < "2.0" }'
