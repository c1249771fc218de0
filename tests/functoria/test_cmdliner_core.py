"""The Cmdliner core both command lines use: how argv is split into options and positionals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.functoria.cmdliner_words import hint_options, is_option, scan

LONG_VALUE = ["--target", "--output", "--port"]
LONG_FLAG = ["--dot", "--eval", "--verbose"]
SHORT_VALUE = ["-t", "-o"]
SHORT_FLAG = ["-q", "-v"]


def kind(name: str) -> bool | None:
    if name in LONG_VALUE or name in SHORT_VALUE:
        return True
    if name in LONG_FLAG or name in SHORT_FLAG:
        return False
    return None


values = st.text(alphabet="abz019./:=", min_size=1, max_size=6)
option = st.one_of(
    st.tuples(st.sampled_from(LONG_VALUE), values).map(lambda t: ([f"{t[0]}={t[1]}"], (t[0], t[1]))),
    st.tuples(st.sampled_from(LONG_VALUE), values).map(lambda t: ([t[0], t[1]], (t[0], t[1]))),
    st.tuples(st.sampled_from(SHORT_VALUE), values).map(lambda t: ([t[0] + t[1]], (t[0], t[1]))),
    st.sampled_from(LONG_FLAG + SHORT_FLAG).map(lambda f: ([f], (f, None))),
)


@given(st.lists(option, max_size=6), st.lists(values, max_size=3))
def test_a_well_formed_command_line_splits_back_into_its_options(opts, rest) -> None:
    argv = [a for words, _ in opts for a in words] + ["--", *rest]
    scanned = scan(argv, kind)
    assert [(t.name, t.value) for t in scanned.tokens] == [o for _, o in opts]
    assert scanned.positionals == rest
    assert all(t.known is not None for t in scanned.tokens)


@given(st.lists(st.sampled_from(SHORT_FLAG), min_size=1, max_size=4))
def test_short_flags_share_a_dash(flags) -> None:
    scanned = scan(["-" + "".join(f[1] for f in flags)], kind)
    assert [t.name for t in scanned.tokens] == flags and all(t.value is None for t in scanned.tokens)


@given(st.lists(st.text(alphabet="-ab=x", max_size=5), max_size=6))
def test_every_argument_is_an_option_a_value_or_a_positional(argv) -> None:
    scanned = scan(argv, kind)
    if "--" not in argv:
        assert not any(is_option(p) for p in scanned.positionals)
    # an unknown option never takes the next argument as its value
    for t in scanned.tokens:
        if t.known is None and t.value is not None:
            assert t.arg.endswith(t.value)


def test_an_option_value_is_never_taken_from_an_option() -> None:
    scanned = scan(["-o", "--dot", "-t", "-", "x"], kind)
    assert [(t.name, t.value) for t in scanned.tokens] == [("-o", None), ("--dot", None), ("-t", "-")]
    assert scanned.positionals == ["x"]


def test_hints_name_near_options_and_the_short_form() -> None:
    assert hint_options("--targte", ["--output", "--target"]) == ["--target"]
    # a mistyped long option whose first letter is a short one: that too (cmdliner's hint_matching_opt)
    assert hint_options("--targte=hvt", ["--output", "--target", "-t"]) == ["-t", "--target"]
    assert hint_options("-x", ["--output", "--target", "-t"]) == []
