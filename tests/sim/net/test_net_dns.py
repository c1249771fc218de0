"""The DNS machines: the authoritative primary, the stub resolver, and the decoder under fuzzing."""

from __future__ import annotations

import random

import dns.flags
import dns.message
import dns.rcode
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import ConfigError, LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError
from mirage_nb.sim.net.dns import TcpDnsReader, decode_dns, frame_tcp, parse_zone
from mirage_nb.sim.net.dns_client import (
    DnsResult,
    DnsSend,
    Failure,
    NoData,
    NoDomain,
    Records,
    StubResolver,
    nameserver_of_string,
)
from mirage_nb.sim.net.dns_server import Answered, DnsPrimary

SEC = 1_000_000_000

ZONE = """$ORIGIN example.org.
$TTL 3600
@       IN SOA ns1 hostmaster 2026120701 86400 7200 1048576 300
@       IN NS  ns1
ns1     IN A   10.0.0.2
www     IN A   10.0.0.80
www     IN AAAA fd00::80
www2 60 IN A   10.0.0.81
alias   IN CNAME www
loop1   IN CNAME loop2
loop2   IN CNAME loop1
a.b.c   IN TXT "deep"
sub     IN NS  ns.sub
ns.sub  IN A   10.0.0.99
big     IN TXT {big}
""".format(big=" ".join('"' + "x" * 200 + '"' for _ in range(5)))


@pytest.fixture
def server() -> DnsPrimary:
    return DnsPrimary([ZONE])


def ask(server: DnsPrimary, name: str, rdtype: str = "A", *, tcp: bool = False, **kw) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, **kw)
    a = server.handle(q.to_wire(), tcp=tcp)
    assert isinstance(a, Answered)
    r = dns.message.from_wire(a.wire)
    assert r.id == q.id and q.is_response(r)
    return r


def answer_texts(r: dns.message.Message) -> list[str]:
    return [rr.to_text() for rr in r.answer]


# --- the primary -------------------------------------------------------------


def test_authoritative_answer(server):
    r = ask(server, "www.example.org", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert answer_texts(r) == ["www.example.org. 3600 IN A 10.0.0.80"]
    assert not r.flags & dns.flags.RA  # an authoritative-only server offers no recursion


def test_names_are_case_insensitive_and_echoed(server):
    r = ask(server, "WwW.ExAmPlE.oRg", "AAAA")
    assert str(r.question[0].name) == "WwW.ExAmPlE.oRg."
    assert [rd.to_text() for rd in r.answer[0]] == ["fd00::80"]


def test_cname_is_followed_inside_the_zone(server):
    r = ask(server, "alias.example.org", "A")
    assert answer_texts(r) == [
        "alias.example.org. 3600 IN CNAME www.example.org.",
        "www.example.org. 3600 IN A 10.0.0.80",
    ]


def test_cname_loop_ends(server):
    r = ask(server, "loop1.example.org", "A")
    assert r.rcode() == dns.rcode.NOERROR and 2 <= len(r.answer) <= 10


def test_nxdomain_carries_the_soa_with_the_negative_ttl(server):
    r = ask(server, "nope.example.org", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AA
    assert not r.answer
    (soa,) = r.authority
    assert soa.rdtype == dns.rdatatype.SOA and soa.ttl == 300  # min(3600, MINIMUM 300)


@pytest.mark.parametrize("name", ["www.example.org", "b.c.example.org"])  # a name without MX; an empty non-terminal
def test_nodata_is_an_empty_answer_with_soa(server, name):
    r = ask(server, name, "MX")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert [rr.rdtype for rr in r.authority] == [dns.rdatatype.SOA]


def test_outside_the_zones_is_refused(server):
    r = ask(server, "example.com", "A")
    assert r.rcode() == dns.rcode.REFUSED and not r.flags & dns.flags.AA


def test_delegation_gives_a_referral_with_glue(server):
    r = ask(server, "host.sub.example.org", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AA and not r.answer
    assert [rr.to_text() for rr in r.authority] == ["sub.example.org. 3600 IN NS ns.sub.example.org."]
    assert [rr.to_text() for rr in r.additional] == ["ns.sub.example.org. 3600 IN A 10.0.0.99"]


def test_other_opcodes_and_transfers(server):
    q = dns.message.make_query("example.org", "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    a = server.handle(q.to_wire())
    assert dns.message.from_wire(a.wire).rcode() == dns.rcode.NOTIMP
    assert ask(server, "example.org", "AXFR", tcp=True).rcode() == dns.rcode.REFUSED


def test_large_answer_truncated_over_udp_whole_over_tcp(server):
    r = ask(server, "big.example.org", "TXT")
    assert r.flags & dns.flags.TC and not r.answer
    r = ask(server, "big.example.org", "TXT", tcp=True)
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 1
    r = ask(server, "big.example.org", "TXT", use_edns=0, payload=4096)  # EDNS lets it through UDP
    assert not r.flags & dns.flags.TC


def test_garbage_and_responses_are_dropped(server):
    assert isinstance(server.handle(b"\x00" * 5), Dropped)
    r = dns.message.make_response(dns.message.make_query("www.example.org", "A"))
    assert isinstance(server.handle(r.to_wire()), Dropped)


def test_memoised_answers_keep_each_query_id(server):
    q1 = dns.message.make_query("www.example.org", "A", id=1)
    q2 = dns.message.make_query("www.example.org", "A", id=2)
    a1, a2 = server.handle(q1.to_wire()), server.handle(q2.to_wire())
    assert a1.wire[:2] == b"\x00\x01" and a2.wire[:2] == b"\x00\x02" and a1.wire[2:] == a2.wire[2:]


def test_bad_zone_file_is_a_config_error():
    with pytest.raises(ConfigError, match="zone.db"):
        parse_zone("$ORIGIN x.\n@ IN A 1.2.3.4\n", filename="zone.db")
    with pytest.raises(ConfigError, match="bad zone file"):
        parse_zone("$ORIGIN x.\n@ IN SOA a b 1 2 3 4 5\nfoo IN A not-an-ip\n", filename="zone.db")


def test_tcp_framing_reassembles_any_split():
    msgs = [b"\x01" * 20, b"\x02" * 300]
    stream = b"".join(frame_tcp(m) for m in msgs)
    r = TcpDnsReader()
    got = []
    for i in range(len(stream)):
        got += r.feed(stream[i : i + 1])
    assert got == msgs


# --- the stub resolver -------------------------------------------------------


def exchange(client: StubResolver, server: DnsPrimary, now: int, events: list) -> list:
    """Deliver every DnsSend to the server and the answers back, until only results are left."""
    out = []
    while events:
        e = events.pop(0)
        if isinstance(e, DnsSend):
            a = server.handle(e.wire, tcp=e.server.proto == "tcp")
            assert isinstance(a, Answered)
            events += client.receive(now, a.wire, token=e.token)
        else:
            out.append(e)
    return out


def client(**kw) -> StubResolver:
    return StubResolver([nameserver_of_string("udp:10.0.0.2")], rng=random.Random(1), **kw)


def test_stub_resolves_caches_and_expires_in_virtual_time(server):
    c = client()
    _, ev = c.lookup(0, "www2.example.org", "A")
    (res,) = exchange(c, server, 0, ev)
    assert res.answer == Records(60, ("10.0.0.81",), res.answer.rrset) and not res.cached
    _, ev = c.lookup(45 * SEC, "www2.example.org", "A")
    (res,) = ev
    assert isinstance(res, DnsResult) and res.cached and res.answer.ttl == 15
    _, ev = c.lookup(61 * SEC, "www2.example.org", "A")
    assert isinstance(ev[0], DnsSend) and c.sent == 2


def test_stub_negative_answers_are_cached_too(server):
    c = client()
    (res,) = exchange(c, server, 0, c.lookup(0, "nope.example.org")[1])
    assert res.answer == NoDomain("example.org.", 300)
    (res,) = exchange(c, server, 0, c.lookup(0, "www.example.org", "MX")[1])
    assert res.answer == NoData("example.org.", 300)
    assert c.lookup(299 * SEC, "nope.example.org")[1][0].cached


def test_stub_follows_cname_and_reports_refusal(server):
    c = client()
    (res,) = exchange(c, server, 0, c.lookup(0, "alias.example.org", "AAAA")[1])
    assert res.answer.values == ("fd00::80",)
    (res,) = exchange(c, server, 0, c.lookup(0, "example.com")[1])
    assert res.answer == Failure("Ok REFUSED, expected answer")


def test_stub_falls_back_to_tcp_on_truncation(server):
    c = client()
    _, ev = c.lookup(0, "big.example.org", "TXT")
    first = ev[0]
    a = server.handle(first.wire)
    (retry,) = c.receive(0, a.wire)
    assert isinstance(retry, DnsSend) and retry.server.proto == "tcp"
    (res,) = exchange(c, server, 0, [retry])
    assert isinstance(res.answer, Records) and len(res.answer.values) == 1


def test_stub_retries_then_times_out():
    c = StubResolver(
        [nameserver_of_string("udp:10.0.0.2"), nameserver_of_string("udp:10.0.0.3:5353")],
        timeout_ns=2 * SEC,
        retries=2,
        rng=random.Random(3),
    )
    _, ev = c.lookup(0, "www.example.org")
    servers = [ev[0].server]
    assert c.deadline == 2 * SEC
    assert c.timer(SEC) == []
    for t in (2, 4):
        (again,) = c.timer(t * SEC)
        servers.append(again.server)
    assert {str(s) for s in servers} == {"udp:10.0.0.2:53", "udp:10.0.0.3:5353"}
    (res,) = c.timer(6 * SEC)
    assert res.answer == Failure("DNS request timeout") and c.deadline is None


def test_stub_ignores_unsolicited_and_mismatched_replies(server):
    c = client()
    _, (send,) = c.lookup(0, "www.example.org")
    other = dns.message.make_query("www.example.org", "A", id=(dns.message.from_wire(send.wire).id + 1) % 65536)
    (d,) = c.receive(0, server.handle(other.to_wire()).wire)
    assert isinstance(d, Dropped) and "unsolicited" in d.reason
    (d,) = c.receive(0, b"junk")
    assert isinstance(d, Dropped)
    assert c.pending


def test_special_names_answer_without_a_query():
    c = client()
    assert c.lookup(0, "localhost")[1][0].answer == Records(300, ("127.0.0.1",))
    assert isinstance(c.lookup(0, "foo.invalid")[1][0].answer, NoDomain) and c.sent == 0


def test_cache_size_bounds_the_cache(server):
    c = client(cache_size=2)
    for n in ("www", "ns1", "www2"):
        exchange(c, server, 0, c.lookup(0, f"{n}.example.org")[1])
    assert len(c.cache) == 2


@pytest.mark.parametrize("text", ["dns:1.2.3.4", "udp:not-an-ip", "tcp:1.2.3.4:0", "tls:1.2.3.4", "udp"])
def test_bad_nameserver_strings(text):
    with pytest.raises(LocalProtocolError):
        nameserver_of_string(text)


def test_nameserver_strings():
    assert str(nameserver_of_string("tcp:[fd00::1]:5353")) == "tcp:[fd00::1]:5353"
    assert str(nameserver_of_string("udp:10.0.0.1")) == "udp:10.0.0.1:53"


# --- fuzzing -----------------------------------------------------------------


def _seed_messages() -> list[bytes]:
    s = DnsPrimary([ZONE])
    out = []
    for name, t in [("www.example.org", "A"), ("alias.example.org", "AAAA"), ("nope.example.org", "MX")]:
        q = dns.message.make_query(name, t, use_edns=0)
        out += [q.to_wire(), s.handle(q.to_wire()).wire]
    return out


def _mutate(rng: random.Random, b: bytes) -> bytes:
    a = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(4)
        if op == 0 and a:
            i = rng.randrange(len(a))
            a[i] ^= 1 << rng.randrange(8)
        elif op == 1 and a:
            a[rng.randrange(len(a))] = rng.randrange(256)
        elif op == 2 and a:
            del a[rng.randrange(len(a)) :]
        else:
            i = rng.randrange(len(a) + 1)
            a[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(a)


def _check(server: DnsPrimary, c: StubResolver, data: bytes) -> None:
    try:
        decode_dns(data)
    except FrameError:
        pass
    server.handle(data)  # never raises: answers or drops
    c.receive(0, data)


_FUZZ_SERVER = DnsPrimary([ZONE])


@given(st.binary(max_size=600))
@settings(max_examples=200, deadline=None)
def test_decoder_raises_only_frame_error_on_random_bytes(data):
    _check(_FUZZ_SERVER, client(), data)


def test_decoder_raises_only_frame_error_on_mutated_messages():
    rng = random.Random(12)
    seeds = _seed_messages()
    s, c = DnsPrimary([ZONE]), client()
    c.lookup(0, "www.example.org")
    for _ in range(2000):
        _check(s, c, _mutate(rng, rng.choice(seeds)))


@pytest.mark.slow
def test_decoder_a_million_fuzzed_messages():
    rng = random.Random(2026)
    seeds = _seed_messages()
    s, c = DnsPrimary([ZONE]), client()
    c.lookup(0, "www.example.org")
    for i in range(1_000_000):
        data = _mutate(rng, rng.choice(seeds)) if i % 4 else rng.randbytes(rng.randrange(64))
        _check(s, c, data)


# --- the wire-form path answers byte for byte as the dnspython path ----------------------------

_DIFF_ZONE = ZONE + "".join(f"h{i} IN A 10.9.0.{i}\n" for i in range(1, 120))


@given(
    st.sampled_from(
        ["www", "WwW", "www2", "alias", "ALIAS", "loop1", "ns1", "nope", "a.b.c", "b.c", "c", "big", "sub"]
        + ["x.sub", "ns.sub", "deep.x.sub", "h7", "h100", "", "many"]
    ),
    st.sampled_from(["A", "AAAA", "MX", "NS", "SOA", "TXT", "CNAME", "SRV", "DS", "ANY"]),
    st.sampled_from(["example.org", "EXAMPLE.org", "example.com"]),
    st.sampled_from([None, 512, 1232, 4096, 100]),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_wire_form_answers_equal_dnspython_answers(label, rdtype, origin, payload, rd, tcp):
    s = _DIFF_SERVER
    name = f"{label}.{origin}" if label else origin
    q = dns.message.make_query(name, rdtype, id=4242, use_edns=payload is not None, payload=payload or 512)
    if not rd:
        q.flags &= ~dns.flags.RD
    wire = q.to_wire()
    assert s.handle(wire, tcp=tcp) == s.handle_message(wire, tcp=tcp)


def test_the_big_answer_truncates_the_same_on_both_paths():
    q = dns.message.make_query("many.example.org", "A", id=7).to_wire()
    fast, slow = _DIFF_SERVER.handle(q), _DIFF_SERVER.handle_message(q)
    assert fast == slow and fast.truncated


_DIFF_SERVER = DnsPrimary([_DIFF_ZONE + "".join(f"many IN A 10.8.{i // 250}.{i % 250}\n" for i in range(60))])
