"""Answers per CPU second of the simulated authoritative DNS server, against dnspython's own server loop.

Both sides take the same stream of query messages (random IDs over a set of
names and types of a zone, half of them with an EDNS record, as a resolver
population sends them). Nothing is cached between queries on either side:
like ocaml-dns's server, ours keeps no answers, every query is read, looked up
and written afresh (the zone itself is held in wire form, see
``mirage_nb/sim/net/dns_compiled.py``).

* ours: :meth:`mirage_nb.sim.net.dns_server.DnsPrimary.handle` — decode, zone
  lookup (CNAME chase, NXDOMAIN/NODATA with SOA, referrals), encode with name
  compression, truncation — the path a unikernel run takes;
* ours through dnspython: :meth:`DnsPrimary.handle_message`, the same answers
  through ``dns.message`` objects (the path taken by unusual queries);
* peer: dnspython's bare server-style loop, ``dns.message.from_wire`` +
  ``dns.message.make_response`` + ``to_wire`` — no lookup at all, so an upper
  bound for any server built on dnspython's messages.

Prints answers per CPU second (``time.process_time``) and the ratios (ours /
peer); checks that both of our paths give the same bytes; asserts nothing about time.

    python3 benchmarks/dns_answers.py [--queries 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import time

import dns.message

from mirage_nb.sim.net.dns_server import Answered, DnsPrimary

ZONE = """$ORIGIN example.org.
$TTL 3600
@    IN SOA ns1 hostmaster 1 86400 7200 1048576 300
@    IN NS  ns1
@    IN MX  10 mail
ns1  IN A   10.0.0.2
mail IN A   10.0.0.25
web  IN CNAME www
www  IN A   10.1.0.1
www  IN A   10.1.0.2
www  IN AAAA fd00::1
""" + "".join(f"host{i} IN A 10.0.{i // 250}.{i % 250 + 1}\n" for i in range(200))

NAMES = ["www", "web", "mail", "ns1", "nope", "missing.sub"] + [f"host{i}" for i in range(0, 200, 7)]
TYPES = ["A", "AAAA", "MX"]


def queries(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, rdtype = f"{rng.choice(NAMES)}.example.org", rng.choice(TYPES)
        edns = rng.random() < 0.5
        q = dns.message.make_query(name, rdtype, id=rng.randrange(65536), use_edns=edns, payload=1232)
        out.append(q.to_wire())
    return out


def ours(qs: list[bytes], general: bool = False) -> float:
    s = DnsPrimary([ZONE])
    handle = s.handle_message if general else s.handle
    t0 = time.process_time()
    for q in qs:
        a = handle(q)
        assert isinstance(a, Answered)
    return time.process_time() - t0


def same_answers(qs: list[bytes]) -> bool:
    s = DnsPrimary([ZONE])
    return all(s.handle(q) == s.handle_message(q) for q in qs)


def dnspython_loop(qs: list[bytes]) -> float:
    t0 = time.process_time()
    for q in qs:
        m = dns.message.from_wire(q)
        r = dns.message.make_response(m)
        r.to_wire()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    qs = queries(a.queries)
    peer = min(dnspython_loop(qs) for _ in range(a.repeat))
    mine = min(ours(qs) for _ in range(a.repeat))
    general = min(ours(qs, general=True) for _ in range(a.repeat))
    n = len(qs)
    print(f"{n} queries, best of {a.repeat}, answers per CPU second (no answer cache on any side):")
    print(f"  dnspython from_wire+make_response+to_wire (no lookup)   {n / peer:10.0f}")
    print(f"  DnsPrimary.handle (wire-form zone)                      {n / mine:10.0f}   ratio {peer / mine:5.2f}x")
    ratio = peer / general
    print(f"  DnsPrimary.handle_message (through dnspython)           {n / general:10.0f}   ratio {ratio:5.2f}x")
    print(f"  both paths give the same bytes: {same_answers(qs[:2000])}")


if __name__ == "__main__":
    main()
