"""The exercises of tutorials 13 (DNS) and 14 (DHCP), checked by ``check("13.<topic>", answer)``.

They live apart from the other tutorials' lists, as tutorial 12's do, so the
service tutorials grow without touching them; :func:`~.exercises.exercise`
finds them by name. Solutions use only the public API (``mirage_nb.lab``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mirage_nb.notebook.exercises import Exercise, number_check

__all__ = ["DNS_DHCP_EXERCISES"]


_check_cache = number_check(
    "answer with a number: how many queries the client sent (c.resolver.sent).",
    1,
    "one query: the second and third lookups were answered from the stub resolver's cache.",
    {3: "that would be a resolver without a cache: look at .cached of each result."},
    "count the DNS queries in the packet table, or print c.resolver.sent.",
)


_check_ttl = number_check(
    "answer with the TTL, in seconds, of the cached answer.",
    3570,
    "3600 - 30: a cached record's TTL counts down in (virtual) time, and it is dropped at 0.",
    {3600: "3600 is the TTL in the zone; a cache gives what is left of it."},
    "the zone says $TTL 3600 and 30 seconds have passed.",
)


_check_timeout = number_check(
    "answer with the number of queries sent before the lookup failed.",
    3,
    "the first try and 2 retries, each given up after timeout_ns: then 'DNS request timeout'.",
    {2: "retries come after the first try."},
    "one first try, then `retries` more, each after a timeout.",
)


_DORA = ["DISCOVER", "OFFER", "REQUEST", "ACK"]


def _check_dora(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, list | tuple) or not all(isinstance(a, str) for a in answer) or not answer:
        return False, 'answer with a list of message types, e.g. ["DISCOVER", ...].'
    got = [a.strip().upper().removeprefix("DHCP").strip() for a in answer]
    if got == _DORA:
        return True, "DISCOVER, OFFER, REQUEST, ACK: D-O-R-A, two broadcasts from the client, two replies."
    if sorted(got) == sorted(_DORA):
        return False, "the right four messages, in the wrong order: who speaks first?"
    return False, "four messages, two each way; the client starts. Read the 'Message type' of each frame."


_check_pool = number_check(
    "answer with a number of addresses.",
    31,
    "192.168.1.70 to 192.168.1.100, both ends included: 31 leases at most.",
    {30: "both ends of the range are handed out."},
    "look at range in dhcp_config.py.",
)


_check_lease_time = number_check(
    "answer with the lease time, in seconds.",
    3600,
    "default_lease_time = 60 * 60 * 1: an hour, with T1 at half of it (1800 s) and T2 at 2880 s.",
    dict.fromkeys(
        (1800, 2880), "that is T1 or T2, when the client should renew or rebind; the lease itself lasts longer."
    ),
    "read 'IP lease time' in the ACK's options, or default_lease_time in dhcp_config.py.",
)


def _items() -> Mapping[str, Exercise]:
    dns = (
        "from mirage_nb.lab import DnsClientPeer, LinkProfile, Duration, Mirage_sleep, example, run_with_peers\n\n"
        "clients = []\n\n"
    )
    run = (
        'run_with_peers(example("dns_server"), setup, argv=["--ipv4=10.0.0.2/24"], net="direct", no_dhcp=True,\n'
        '               until="60s")\n'
    )
    items = [
        Exercise(
            "13.cache",
            "Look www.example.org up three times in a row: how many queries does the client send?",
            _check_cache,
            ("print(c.resolver.sent) after the run.", "A stub resolver keeps answers for their TTL."),
            dns + "def setup(lan):\n"
            '    c = DnsClientPeer(lan, cidr="10.0.0.9/24")\n'
            "    clients.append(c)\n\n"
            "    async def go():\n"
            "        await Mirage_sleep.ns(Duration.of_sec(2))\n"
            "        for _ in range(3):\n"
            '            await c.resolve("www.example.org")\n\n'
            "    c.script(go)\n\n" + run + "answer = clients[0].resolver.sent",
            "the first lookup asks the server; the next two are answered from the cache (cached=True).",
        ),
        Exercise(
            "13.ttl",
            "30 virtual seconds after the first answer, what TTL does the cached www.example.org A record have?",
            _check_ttl,
            ("await Mirage_sleep.ns(Duration.of_sec(30)) between two lookups.", "Print result.answer.ttl."),
            dns + "got = []\n\n"
            "def setup(lan):\n"
            '    c = DnsClientPeer(lan, cidr="10.0.0.9/24")\n\n'
            "    async def go():\n"
            "        await Mirage_sleep.ns(Duration.of_sec(2))\n"
            '        await c.resolve("www.example.org")\n'
            "        await Mirage_sleep.ns(Duration.of_sec(30))\n"
            '        got.append(await c.resolve("www.example.org"))\n\n'
            "    c.script(go)\n\n" + run + "answer = got[0].answer.ttl",
            "the zone's $TTL is 3600; the cache counts it down: 3570 after 30 s.",
        ),
        Exercise(
            "13.timeout",
            "On a link that loses every frame, with timeout 1 s and retries=2, how many queries are sent?",
            _check_timeout,
            ("DnsClientPeer(..., profile=LinkProfile(loss=1.0), timeout_ns=10**9, retries=2).", "c.resolver.sent."),
            dns + "def setup(lan):\n"
            '    c = DnsClientPeer(lan, cidr="10.0.0.9/24", profile=LinkProfile(loss=1.0), timeout_ns=10**9,\n'
            "                      retries=2)\n"
            "    clients.append(c)\n\n"
            "    async def go():\n"
            "        await Mirage_sleep.ns(Duration.of_sec(2))\n"
            '        await c.resolve("www.example.org")\n\n'
            "    c.script(go)\n\n" + run + "answer = clients[0].resolver.sent",
            "one try and two retries, then the resolver gives up with 'DNS request timeout'.",
        ),
        Exercise(
            "14.dora",
            "In which order do the four DHCP messages of a client's first lease cross the wire?",
            _check_dora,
            ("Each line 'Received packet' / 'Sent reply packet' of the log has an options line.", "D, O, R, A."),
            'answer = ["DISCOVER", "OFFER", "REQUEST", "ACK"]',
            "DISCOVER (client, broadcast), OFFER (server), REQUEST (client, naming the server), ACK (server).",
        ),
        Exercise(
            "14.pool",
            "How many clients can hold a lease from the dhcp example at the same time?",
            _check_pool,
            ("range = (192.168.1.70, 192.168.1.100) in dhcp_config.py.", "Count both ends."),
            "import ipaddress\n"
            'answer = int(ipaddress.IPv4Address("192.168.1.100")) - int(ipaddress.IPv4Address("192.168.1.70")) + 1',
            "the range's both ends are leased: 100 - 70 + 1 = 31.",
        ),
        Exercise(
            "14.lease_time",
            "How long, in seconds, is a lease the dhcp example grants?",
            _check_lease_time,
            ("Look for 'IP lease time' in the ACK.", "dhcp_config.py: default_lease_time."),
            "answer = 60 * 60",
            "default_lease_time = 60 * 60 * 1 seconds; the client renews at T1 = 1800 s.",
        ),
    ]
    return MappingProxyType({e.name: e for e in items})


DNS_DHCP_EXERCISES: Mapping[str, Exercise] = _items()
"""The exercises of tutorials 13 and 14, by name."""
