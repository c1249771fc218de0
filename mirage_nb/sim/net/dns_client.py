"""A stub resolver machine: ocaml-dns's ``Dns_client`` (queries, answers, a cache) over no particular I/O.

A lookup either answers at once (from the cache, or for the special names
``localhost`` and ``invalid`` of RFC 6761, as ``Dns_client`` does) or asks its
shell to send a query (:class:`DnsSend`: to which server, over which
protocol, what bytes). The shell hands back what arrived
(:meth:`StubResolver.receive`) and calls :meth:`StubResolver.timer` at
:attr:`StubResolver.deadline`; the machine reports each finished lookup
as a :class:`DnsResult`. Time is the virtual clock, in nanoseconds.

- **Answers** follow CNAMEs inside the answer section (at most 20, as
  ``Dns_client.Pure.follow_cname``): :class:`Records`; an empty answer with
  an SOA is :class:`NoData`; NXDOMAIN with an SOA is :class:`NoDomain`;
  anything else is :class:`Failure` with a message.
- **Cache**: at most ``cache_size`` entries (the least recently used goes),
  each kept for its TTL (negative answers for the SOA's TTL, RFC 2308);
  a cached answer is returned with the TTL that is left.
- **Timeouts and retries**: each attempt waits ``timeout_ns``; a lost query is
  sent again (to the next nameserver) up to ``retries`` times, then the lookup
  fails with ``DNS request timeout``.
- **Truncation**: a UDP answer with TC set is asked again over TCP from the
  same server (RFC 7766 §5); the shell frames TCP messages.
- Replies that do not match a pending query (ID, question, sender) are
  dropped: :class:`~mirage_nb.sim.net._base.Dropped`.
"""

from __future__ import annotations

import ipaddress
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError, Ns
from mirage_nb.sim.net.dns import decode_dns, name_of, rdtype_of

__all__ = [
    "Nameserver",
    "nameserver_of_string",
    "DnsSend",
    "DnsResult",
    "Records",
    "NoData",
    "NoDomain",
    "Failure",
    "StubResolver",
]

_SEC = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Nameserver:
    """Where queries go: ``proto`` is ``udp`` or ``tcp``."""

    proto: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.ip}]" if self.ip.version == 6 else str(self.ip)
        return f"{self.proto}:{host}:{self.port}"


def nameserver_of_string(text: str) -> Nameserver:
    """Parse ``udp:IP[:port]`` / ``tcp:IP[:port]`` (``[::1]:port`` for IPv6), as ``--dns-servers`` takes them."""
    proto, sep, rest = text.partition(":")
    if not sep or proto not in ("udp", "tcp"):
        if proto == "tls":
            raise LocalProtocolError(f"nameserver {text!r}: DNS over TLS is not simulated; use udp:IP or tcp:IP")
        raise LocalProtocolError(f"Unable to decode nameserver {text} (expected udp:IP[:port] or tcp:IP[:port])")
    port = 53
    host = rest
    try:
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            if tail:
                port = int(tail.lstrip(":"))
        elif rest.count(":") == 1:
            host, p = rest.split(":")
            port = int(p)
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise LocalProtocolError(f"nameserver {text!r}: expected an IP address and optional port") from None
    if not 0 < port < 65536:
        raise LocalProtocolError(f"nameserver {text!r}: port {port} is not in 1..65535")
    return Nameserver(proto, ip, port)


@dataclass(frozen=True, slots=True)
class Records:
    """The records asked for: their (remaining) TTL and values in presentation form."""

    ttl: int
    values: tuple[str, ...]
    rrset: Any = None


@dataclass(frozen=True, slots=True)
class NoData:
    """The name exists, without records of that type; ``soa_name`` is the zone's apex."""

    soa_name: str
    ttl: int


@dataclass(frozen=True, slots=True)
class NoDomain:
    """The name does not exist (NXDOMAIN); ``soa_name`` is the zone's apex."""

    soa_name: str
    ttl: int


@dataclass(frozen=True, slots=True)
class Failure:
    """The lookup failed: a timeout, a server error, an unusable reply."""

    message: str


Answer = Records | NoData | NoDomain | Failure


@dataclass(frozen=True, slots=True)
class DnsSend:
    """Send ``wire`` to ``server`` for lookup ``token`` (over TCP the shell adds the length prefix)."""

    token: int
    server: Nameserver
    wire: bytes


@dataclass(frozen=True, slots=True)
class DnsResult:
    """Lookup ``token`` of ``name``/``rdtype`` finished; ``cached`` if no query was sent."""

    token: int
    name: str
    rdtype: str
    answer: Answer
    cached: bool = False


@dataclass(slots=True)
class _Pending:
    token: int
    name: dns.name.Name
    rdtype: int
    query: dns.message.Message
    server: int
    proto: str
    attempts: int
    deadline: Ns


class StubResolver:
    """Queries ``nameservers`` for lookups, caching answers; see the module docstring."""

    def __init__(
        self,
        nameservers: list[Nameserver] | tuple[Nameserver, ...],
        *,
        timeout_ns: int = 5 * _SEC,
        retries: int = 0,
        cache_size: int = 32,
        rng: random.Random | None = None,
        recursion_desired: bool = True,
    ) -> None:
        if not nameservers:
            raise LocalProtocolError("a DNS client needs at least one nameserver")
        if timeout_ns <= 0 or retries < 0 or cache_size < 0:
            raise LocalProtocolError(
                f"DNS client: timeout {timeout_ns} ns, retries {retries}, cache size {cache_size}: "
                "expected a positive timeout and non-negative counts"
            )
        self.nameservers = tuple(nameservers)
        self.timeout_ns = timeout_ns
        self.retries = retries
        self.cache_size = cache_size
        self.rng = rng or random.Random(0)
        self.rd = recursion_desired
        self.cache: OrderedDict[tuple[dns.name.Name, int], tuple[Ns, Ns, Answer]] = OrderedDict()
        self.pending: dict[int, _Pending] = {}
        self._next_token = 0
        self.sent = 0
        self.cache_hits = 0

    # --- queries ---------------------------------------------------------------

    @property
    def deadline(self) -> Ns | None:
        if not self.pending:
            return None
        return min(p.deadline for p in self.pending.values())

    def lookup(self, now: Ns, name: str | dns.name.Name, rdtype: str | int = "A") -> tuple[int, list[Any]]:
        """Start a lookup: its token and the events (a :class:`DnsResult` at once, or a :class:`DnsSend`)."""
        qname = name_of(name)
        qtype = int(rdtype_of(rdtype))
        token = self._next_token
        self._next_token += 1
        special = _special(qname, qtype)
        if special is not None:
            return token, [DnsResult(token, str(qname), _t(qtype), special, cached=True)]
        hit = self._cached(now, qname, qtype)
        if hit is not None:
            self.cache_hits += 1
            return token, [DnsResult(token, str(qname), _t(qtype), hit, cached=True)]
        server = self.rng.randrange(len(self.nameservers)) if len(self.nameservers) > 1 else 0
        p = _Pending(token, qname, qtype, self._query(qname, qtype), server, "", 0, 0)
        return token, [self._send(now, p, self.nameservers[server].proto)]

    def _query(self, qname: dns.name.Name, qtype: int) -> dns.message.Message:
        q = dns.message.make_query(qname, qtype, id=self.rng.randrange(65536))
        if not self.rd:
            q.flags &= ~dns.flags.RD
        return q

    def _send(self, now: Ns, p: _Pending, proto: str) -> DnsSend:
        ns = self.nameservers[p.server]
        p.proto = proto
        p.attempts += 1
        p.deadline = now + self.timeout_ns
        self.pending[p.token] = p
        self.sent += 1
        return DnsSend(p.token, Nameserver(proto, ns.ip, ns.port), p.query.to_wire())

    def timer(self, now: Ns) -> list[Any]:
        """Retry or fail the queries whose attempt timed out."""
        out: list[Any] = []
        for p in sorted(self.pending.values(), key=lambda p: p.token):
            if p.deadline > now:
                continue
            if p.attempts <= self.retries:
                p.server = (p.server + 1) % len(self.nameservers)
                p.query = self._query(p.name, p.rdtype)
                out.append(self._send(now, p, self.nameservers[p.server].proto))
            else:
                del self.pending[p.token]
                out.append(DnsResult(p.token, str(p.name), _t(p.rdtype), Failure("DNS request timeout")))
        return out

    def cancel(self, token: int) -> None:
        """Forget a lookup (its shell gave up on it)."""
        self.pending.pop(token, None)

    # --- replies ---------------------------------------------------------------

    def receive(self, now: Ns, wire: bytes, *, token: int | None = None, src: Any = None) -> list[Any]:
        """A reply arrived (for ``token`` if the transport knows, e.g. a TCP connection; from ``src``)."""
        try:
            m = decode_dns(wire)
        except FrameError as e:
            return [Dropped("dns", str(e))]
        cands = [self.pending[token]] if token is not None and token in self.pending else list(self.pending.values())
        p = next((c for c in cands if c.query.id == m.id), None)
        if p is None:
            return [Dropped("dns", f"received unsolicited data (id {m.id}), ignoring")]
        if src is not None and ipaddress.ip_address(src) != self.nameservers[p.server].ip:
            return [Dropped("dns", f"reply from {src}, expected {self.nameservers[p.server].ip}")]
        if not p.query.is_response(m):
            return [Dropped("dns", "the reply does not match the question")]
        if m.flags & dns.flags.TC and p.proto == "udp":
            return [self._send(now, p, "tcp")]  # retry the same question over TCP
        del self.pending[p.token]
        answer = _interpret(p.name, p.rdtype, m)
        self._store(now, p.name, p.rdtype, answer)
        return [DnsResult(p.token, str(p.name), _t(p.rdtype), answer)]

    # --- cache -----------------------------------------------------------------

    def _cached(self, now: Ns, name: dns.name.Name, rdtype: int) -> Answer | None:
        e = self.cache.get((name, rdtype))
        if e is None:
            return None
        stored, expires, answer = e
        if expires <= now:
            del self.cache[(name, rdtype)]
            return None
        self.cache.move_to_end((name, rdtype))
        left = (expires - now) // _SEC
        match answer:
            case Records(_, values, rrset):
                return Records(int(left), values, rrset)
            case NoData(soa, _):
                return NoData(soa, int(left))
            case NoDomain(soa, _):
                return NoDomain(soa, int(left))
        return None

    def _store(self, now: Ns, name: dns.name.Name, rdtype: int, answer: Answer) -> None:
        if self.cache_size == 0 or isinstance(answer, Failure) or answer.ttl <= 0:
            return
        self.cache[(name, rdtype)] = (now, now + answer.ttl * _SEC, answer)
        self.cache.move_to_end((name, rdtype))
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def flush(self) -> None:
        """Empty the cache."""
        self.cache.clear()


def _t(rdtype: int) -> str:
    return dns.rdatatype.to_text(rdtype)


_LOCALHOST = dns.name.from_text("localhost")
_INVALID = dns.name.from_text("invalid")


def _special(name: dns.name.Name, rdtype: int) -> Answer | None:
    if name.is_subdomain(_LOCALHOST):
        if rdtype == dns.rdatatype.A:
            return Records(300, ("127.0.0.1",))
        if rdtype == dns.rdatatype.AAAA:
            return Records(300, ("::1",))
        return NoDomain("localhost", 300)
    if name.is_subdomain(_INVALID):
        return NoDomain("invalid", 300)
    return None


def _find_soa(m: dns.message.Message) -> dns.rrset.RRset | None:
    for rr in m.authority:
        if rr.rdtype == dns.rdatatype.SOA:
            return rr
    return None


def _interpret(name: dns.name.Name, rdtype: int, m: dns.message.Message) -> Answer:
    rcode = m.rcode()
    if rcode == dns.rcode.NOERROR:
        if m.answer:
            target = name
            for _ in range(20):
                rr = _find(m, target, rdtype)
                if rr is not None:
                    return Records(rr.ttl, tuple(sorted(r.to_text() for r in rr)), rr)
                cname = _find(m, target, dns.rdatatype.CNAME)
                if cname is None:
                    break
                target = cname[0].target
            else:
                return Failure("CNAME recursion too deep")
            soa = _find_soa(m)
            if soa is None:
                return Failure("invalid reply, couldn't find SOA")
            return NoData(str(soa.name), soa.ttl)
        soa = _find_soa(m)
        if soa is None:
            return Failure("invalid reply, no SOA in no data")
        return NoData(str(soa.name), soa.ttl)
    if rcode == dns.rcode.NXDOMAIN:
        soa = _find_soa(m)
        if soa is None:
            return Failure("invalid reply, no SOA in nodomain")
        return NoDomain(str(soa.name), soa.ttl)
    return Failure(f"Ok {dns.rcode.to_text(rcode)}, expected answer")


def _find(m: dns.message.Message, name: dns.name.Name, rdtype: int) -> dns.rrset.RRset | None:
    for rr in m.answer:
        if rr.rdtype == rdtype and rr.name == name and rr.rdclass == dns.rdataclass.IN:
            return rr
    return None
