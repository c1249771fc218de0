"""An authoritative DNS server machine: the primary role of ocaml-dns's ``Dns_server.Primary``.

It answers from the zones it holds and from nothing else (no recursion):

- a name and type it has: the records, with AA set (CNAMEs inside the zone
  are followed, as RFC 1034 §4.3.2 step 3a says);
- a name it has without that type (or an empty non-terminal): NODATA, an
  empty answer with the zone's SOA in the authority section (RFC 2308 §2.2);
- a name below its zone that does not exist: NXDOMAIN with the SOA (RFC 2308 §2.1);
  the SOA's TTL is the smaller of its own TTL and its MINIMUM field (§3);
- a name below a delegation (an NS set under the apex): a referral, without AA,
  with the glue addresses the zone holds;
- a name outside all its zones, or a class other than IN: REFUSED;
- an opcode other than QUERY (UPDATE, NOTIFY...): NOTIMP; a question count
  other than one: FORMERR; zone transfers (AXFR/IXFR): REFUSED (this primary
  has no secondaries and no keys).

Over UDP an answer larger than 512 bytes (or the EDNS payload size the query
announced) is sent truncated (TC) so the client retries over TCP, where the
limit is 65535. A message that does not decode, or that is itself a response,
is dropped (:class:`~mirage_nb.sim.net._base.Dropped`), never answered.

The machine is pure: :meth:`DnsPrimary.handle` maps a query's bytes to the
answer's bytes. Nothing is memoised: as ocaml-dns's server does, every query
is decoded, looked up and encoded afresh. The common query (one question of
class IN, at most an EDNS record) is read and answered from the zone kept in
wire form (:mod:`~mirage_nb.sim.net.dns_compiled`); any other message goes
through dnspython's ``Message``. Both give the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError
from mirage_nb.sim.net.dns import UDP_PAYLOAD, decode_dns, encode_dns, parse_zone
from mirage_nb.sim.net.dns_compiled import CompiledZone, Query, RRset, WireName, Writer, parse_query

__all__ = ["Answered", "DnsPrimary"]

_IN = dns.rdataclass.IN
_SOA = dns.rdatatype.SOA
_NS = dns.rdatatype.NS
_CNAME = dns.rdatatype.CNAME
_ANY = dns.rdatatype.ANY
_GLUE = (dns.rdatatype.A, dns.rdatatype.AAAA)
_RCODE_TEXT = {0: "NOERROR", 3: "NXDOMAIN", 5: "REFUSED"}
_OPT_RR = b"\x00" + struct.pack("!HHIH", 41, 8192, 0, 0)  # dnspython's make_response: payload 8192, no options


@dataclass(frozen=True, slots=True)
class Answered:
    """The server answered a query for ``qname``/``qtype`` with ``rcode`` (``wire`` is the response)."""

    qname: str
    qtype: str
    rcode: str
    authoritative: bool
    truncated: bool
    wire: bytes


class DnsPrimary:
    """Authoritative answers from ``zones`` (``dns.zone.Zone`` values or zone-file texts with ``$ORIGIN``)."""

    def __init__(self, zones: Iterable[dns.zone.Zone | str] = ()) -> None:
        self.zones: dict[dns.name.Name, dns.zone.Zone] = {}
        self._cuts: dict[dns.name.Name, set[dns.name.Name]] = {}
        self._names: dict[dns.name.Name, set[dns.name.Name]] = {}
        self._compiled: dict[bytes, CompiledZone] = {}
        self._qtypes: dict[int, str] = {}
        self._rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
        self.queries = 0
        for z in zones:
            self.add_zone(z)

    def add_zone(self, zone: dns.zone.Zone | str) -> None:
        """Serve ``zone`` (replacing one with the same origin)."""
        if isinstance(zone, str):
            zone = parse_zone(zone)
        origin = zone.origin
        if origin is None or zone.get_rdataset(origin, _SOA) is None:
            raise LocalProtocolError(f"zone {origin}: an authoritative zone needs an SOA at its origin")
        self.zones[origin] = zone
        names: set[dns.name.Name] = set()
        cuts: set[dns.name.Name] = set()
        for n, node in zone.nodes.items():
            name = n if n.is_absolute() else n.derelativize(origin)
            # every ancestor up to the origin exists (empty non-terminals answer NODATA, not NXDOMAIN)
            while name != origin and name.is_subdomain(origin):
                names.add(name)
                name = name.parent()
            name = n if n.is_absolute() else n.derelativize(origin)
            if name != origin and node.get_rdataset(_IN, _NS) is not None:
                cuts.add(name)
        names.add(origin)
        self._names[origin] = names
        self._cuts[origin] = cuts
        self._compiled[WireName.of_name(origin).low] = CompiledZone(zone, names, cuts)
        self._rrsets.clear()

    def zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        """The most specific zone containing ``name``, or None."""
        best: dns.zone.Zone | None = None
        for origin, z in self.zones.items():
            if name.is_subdomain(origin) and (best is None or len(origin) > len(best.origin)):  # type: ignore[arg-type]
                best = z
        return best

    # --- the machine ---------------------------------------------------------

    def handle(self, query: bytes, *, tcp: bool = False) -> Answered | Dropped:
        """Answer the DNS message ``query`` (received over TCP if ``tcp``): :class:`Answered` or :class:`Dropped`."""
        self.queries += 1
        q = parse_query(query)
        if q is not None:
            fast = self._answer_compiled(q, tcp)
            if fast is not None:
                return fast
        return self.handle_message(query, tcp=tcp)

    def handle_message(self, query: bytes, *, tcp: bool = False) -> Answered | Dropped:
        """:meth:`handle` through dnspython's ``Message`` for every query (what the wire-form path must equal)."""
        try:
            q = decode_dns(bytes(query))
        except FrameError as e:
            return Dropped("dns", str(e))
        if q.flags & dns.flags.QR:
            return Dropped("dns", "a response sent to the server")
        r = self._respond(q)
        limit = 65535 if tcp else max(UDP_PAYLOAD, q.payload if q.edns >= 0 else 0)
        wire = encode_dns(r, limit)
        qname = str(q.question[0].name) if q.question else ""
        qtype = dns.rdatatype.to_text(q.question[0].rdtype) if q.question else ""
        a = Answered(
            qname,
            qtype,
            dns.rcode.to_text(r.rcode()),
            bool(r.flags & dns.flags.AA),
            bool(wire[2] & 0x02),
            wire,
        )
        return a

    # --- the common query, from the zones in wire form ---------------------------------------

    def _answer_compiled(self, q: Query, tcp: bool) -> Answered | None:
        qname = q.qname
        low = qname.low
        zone = None
        for off in qname.offsets:
            zone = self._compiled.get(low[off:])
            if zone is not None:
                break
        else:
            zone = self._compiled.get(b"\x00")  # a root zone holds every name
        answer: list[tuple[WireName, RRset]] = []
        authority: list[tuple[WireName, RRset]] = []
        additional: list[tuple[WireName, RRset]] = []
        if zone is None:
            rcode, aa = 5, False
        else:
            rcode, aa = self._fill(zone, qname, q.qtype, 0, answer, authority, additional)
        flags2 = 0x80 | (q.id_flags[2] & 0x01) | (0x04 if aa else 0)
        w = Writer(bytes(12), qname)
        buf = w.buf
        buf += q.qtype.to_bytes(2, "big") + b"\x00\x01"
        an = sum(w.rrset(o, r) for o, r in answer)
        ns = sum(w.rrset(o, r) for o, r in authority)
        ar = sum(w.rrset(o, r) for o, r in additional)
        if q.edns:
            buf += _OPT_RR
            ar += 1
        limit = 65535 if tcp else max(UDP_PAYLOAD, q.payload if q.edns else 0)
        truncated = len(buf) > limit
        if len(buf) > 65535:
            return None  # the general path says why it cannot be sent
        if truncated:  # RFC 2181 §9: every RRset dropped, the question kept (as encode_dns does)
            end = 12 + len(qname.wire) + 4
            buf[end:] = _OPT_RR if q.edns else b""
            an = ns = 0
            ar = 1 if q.edns else 0
            flags2 |= 0x02
        buf[0:12] = q.id_flags[:2] + bytes((flags2, rcode)) + struct.pack("!HHHH", 1, an, ns, ar)
        qtype = self._qtypes.get(q.qtype)
        if qtype is None:
            qtype = self._qtypes[q.qtype] = dns.rdatatype.to_text(q.qtype)  # type: ignore[arg-type]
        return Answered(q.text, qtype, _RCODE_TEXT[rcode], aa, truncated, bytes(buf))

    def _fill(
        self,
        zone: CompiledZone,
        qname: WireName,
        qtype: int,
        depth: int,
        answer: list[tuple[WireName, RRset]],
        authority: list[tuple[WireName, RRset]],
        additional: list[tuple[WireName, RRset]],
    ) -> tuple[int, bool]:
        """What :meth:`_answer` does, on the compiled zone: (rcode, authoritative)."""
        low, origin = qname.low, zone.origin.low
        cut_at = -1
        if zone.cuts:
            for off in qname.offsets:
                suffix = low[off:]
                if suffix == origin:
                    break
                if suffix in zone.cuts:
                    cut_at = off  # the highest cut wins: keep climbing
        if cut_at >= 0:
            cut = WireName.of_wire(qname.wire[cut_at:])
            ns = zone.nodes[cut.low][dns.rdatatype.NS]
            authority.append((cut, ns))
            for (target,) in ns.rdatas:
                assert isinstance(target, WireName)
                if _under(target, origin):
                    glue = zone.nodes.get(target.low)
                    if glue is not None:
                        for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
                            g = glue.get(t)
                            if g is not None:
                                additional.append((target, g))
            return 0, depth > 0
        node = zone.nodes.get(low)
        if node is None:
            authority.append((zone.origin, zone.negative))
            return (0 if low in zone.names else 3), True
        rr = node.get(qtype)
        if rr is not None:
            answer.append((qname, rr))
            return 0, True
        cname = node.get(dns.rdatatype.CNAME)
        if cname is not None:
            answer.append((qname, cname))
            target = cname.rdatas[0][0]
            assert isinstance(target, WireName)
            if depth < 8 and _under(target, origin) and target.low != low:
                return self._fill(zone, target, qtype, depth + 1, answer, authority, additional)
            return 0, True
        authority.append((zone.origin, zone.negative))
        return 0, True

    def _respond(self, q: dns.message.Message) -> dns.message.Message:
        r = dns.message.make_response(q)
        r.flags &= ~dns.flags.RA
        if q.opcode() != dns.opcode.QUERY:
            r.set_rcode(dns.rcode.NOTIMP)
            return r
        if len(q.question) != 1:
            r.set_rcode(dns.rcode.FORMERR)
            return r
        question = q.question[0]
        qname, qtype = question.name, question.rdtype
        if question.rdclass != _IN or qtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
            r.set_rcode(dns.rcode.REFUSED)
            return r
        zone = self.zone_for(qname)
        if zone is None:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        self._answer(r, zone, qname, qtype, 0)
        return r

    def _answer(
        self,
        r: dns.message.Message,
        zone: dns.zone.Zone,
        qname: dns.name.Name,
        qtype: dns.rdatatype.RdataType,
        depth: int,
    ) -> None:
        origin = zone.origin
        assert origin is not None
        cut = self._cut_above(origin, qname)
        if cut is not None and not (cut == qname and qtype == dns.rdatatype.DS):
            if depth == 0:
                r.flags &= ~dns.flags.AA
            ns = zone.get_rdataset(cut, _NS)
            assert ns is not None
            r.authority.append(self._rr(cut, ns))
            for rd in ns:
                target = rd.target
                if target.is_subdomain(origin):
                    for t in _GLUE:
                        g = zone.get_rdataset(target, t)
                        if g is not None:
                            r.additional.append(self._rr(target, g))
            return
        r.flags |= dns.flags.AA
        node = zone.get_node(qname)
        if node is None:
            if qname in self._names[origin]:
                self._negative(r, zone)  # an empty non-terminal: NODATA
            else:
                r.set_rcode(dns.rcode.NXDOMAIN)
                self._negative(r, zone)
            return
        if qtype == _ANY:
            for rds in node.rdatasets:
                r.answer.append(self._rr(qname, rds))
            return
        rds = node.get_rdataset(_IN, qtype)
        if rds is not None:
            r.answer.append(self._rr(qname, rds))
            return
        cname = node.get_rdataset(_IN, _CNAME)
        if cname is not None:
            r.answer.append(self._rr(qname, cname))
            target = cname[0].target
            if depth < 8 and target.is_subdomain(origin) and target != qname:
                self._answer(r, zone, target, qtype, depth + 1)
            return
        self._negative(r, zone)

    def _rr(self, name: dns.name.Name, rds: dns.rdataset.Rdataset) -> dns.rrset.RRset:
        """The RRset of a zone's rdataset, built once (RRsets are not changed after they are built)."""
        key = (name, rds.rdtype)
        rr = self._rrsets.get(key)
        if rr is None:
            rr = self._rrsets[key] = _rrset(name, rds)
        return rr

    def _cut_above(self, origin: dns.name.Name, qname: dns.name.Name) -> dns.name.Name | None:
        cuts = self._cuts[origin]
        if not cuts:
            return None
        name = qname
        found = None
        while name != origin:
            if name in cuts:
                found = name  # the highest cut wins: keep climbing
            name = name.parent()
        return found

    def _negative(self, r: dns.message.Message, zone: dns.zone.Zone) -> None:
        origin = zone.origin
        assert origin is not None
        key = (origin, -1)  # the SOA with the negative-caching TTL
        rrset = self._rrsets.get(key)
        if rrset is None:
            soa = zone.get_rdataset(origin, _SOA)
            assert soa is not None
            rrset = self._rrsets[key] = _rrset(origin, soa)
            rrset.ttl = min(soa.ttl, soa[0].minimum)
        r.authority.append(rrset)


def _rrset(name: dns.name.Name, rds: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rr = dns.rrset.RRset(name, rds.rdclass, rds.rdtype, rds.covers)
    for rd in rds:  # what Rdataset.update does, through the typed add
        rr.add(rd)
    rr.ttl = rds.ttl
    return rr


def _under(name: WireName, origin_low: bytes) -> bool:
    """Whether ``name`` is ``origin`` or below it."""
    low = name.low
    return any(low[off:] == origin_low for off in name.offsets) or origin_low == b"\x00"
