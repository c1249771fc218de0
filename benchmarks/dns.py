"""Answers per CPU second of the simulated authoritative DNS server, against dnspython's own server loop.

Both sides take the same stream of query messages (random IDs over a set of
names and types of a zone, as a resolver population sends them):

* ours: :meth:`mirage_nb.sim.net.dns_server.DnsPrimary.handle` (decode, zone
  lookup, NXDOMAIN/NODATA with SOA, truncation; answers are memoised by the
  query bytes without their ID) — the figure a unikernel run sees;
* ours without the memo (every query decoded and looked up afresh);
* peer: dnspython's bare server-style loop, ``dns.message.from_wire`` +
  ``dns.message.make_response`` + ``to_wire`` (no lookup at all).

Prints answers per CPU second (``time.process_time``) and the ratios; asserts nothing.

    python3 benchmarks/dns.py [--queries 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

# This file is called dns.py: keep its directory off the path so ``import dns`` is dnspython.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import dns.message  # noqa: E402

from mirage_nb.sim.net.dns_server import Answered, DnsPrimary  # noqa: E402

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
    return [
        dns.message.make_query(f"{rng.choice(NAMES)}.example.org", rng.choice(TYPES), id=rng.randrange(65536)).to_wire()
        for _ in range(n)
    ]


def ours(qs: list[bytes], memo: bool = True) -> float:
    s = DnsPrimary([ZONE])
    t0 = time.process_time()
    for q in qs:
        a = s.handle(q)
        if not memo:
            s._memo.clear()
        assert isinstance(a, Answered)
    return time.process_time() - t0


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
    cold = min(ours(qs, memo=False) for _ in range(a.repeat))
    n = len(qs)
    print(f"{n} queries, best of {a.repeat}, answers per CPU second:")
    print(f"  dnspython from_wire+make_response+to_wire  {n / peer:10.0f}")
    print(f"  DnsPrimary.handle (memoised answers)       {n / mine:10.0f}   ratio {peer / mine:5.2f}x")
    print(f"  DnsPrimary.handle (no memo)                {n / cold:10.0f}   ratio {peer / cold:5.2f}x")


if __name__ == "__main__":
    main()
