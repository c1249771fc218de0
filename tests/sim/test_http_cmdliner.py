"""``Arg.opt_all`` and ``Arg.doc_alts`` (the ``--alpn`` option of the http example), as Cmdliner has them."""

from __future__ import annotations

from mirage_nb.sim.cmdliner import Arg, ParseError, ParseOk, man_page, parse

ALPNS = ["h2", "http/1.1"]
SPEC = Arg.value(
    Arg.opt_all(Arg.enum([(v, v) for v in ALPNS]), ALPNS, Arg.info(["alpn"], doc=f"Must be {Arg.doc_alts(ALPNS)}."))
)


def test_opt_all_collects_every_occurrence_in_order_and_defaults_when_absent():
    assert parse("minipaf", [SPEC], []) == ParseOk((ALPNS,))
    assert parse("minipaf", [SPEC], ["--alpn=http/1.1"]) == ParseOk((["http/1.1"],))
    assert parse("minipaf", [SPEC], ["--alpn", "http/1.1", "--alpn=h2"]) == ParseOk((["http/1.1", "h2"],))


def test_a_bad_value_is_a_cmdliner_error():
    r = parse("minipaf", [SPEC], ["--alpn=h3"])
    assert isinstance(r, ParseError)
    assert r.text.endswith("minipaf: option '--alpn': invalid value 'h3'. Did you mean 'h2'?\n")


def test_the_man_page_shows_the_alternatives_and_no_default_for_a_repeatable_option():
    page = man_page("minipaf", [SPEC])
    assert "       --alpn=ENUM\n           Must be either h2 or http/1.1.\n" in page
