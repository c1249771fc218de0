"""An authoritative zone kept ready for answering: wire-form RRsets, and a reader for the common query.

Why: decoding every query into a ``dns.message.Message``, building a
response object and rendering it again is most of an authoritative server's
work in Python (dnspython's own loop does only that and no lookup). An
authoritative server can do what NSD and Knot do instead: keep the zone in
the form answers are written in. :class:`CompiledZone` holds, for every name
of a zone (by its lower-case wire form), its RRsets as wire pieces — fixed
bytes, and the names inside the RDATA that a response compresses — so a
response is the query's header and question followed by RRsets copied in,
each name compressed against what is already written (RFC 1035 §4.1.4, the
same algorithm as dnspython's renderer, so the bytes are dnspython's).

:func:`parse_query` reads the query shape that nearly every resolver sends —
one question, class IN, no compression in the question, at most an EDNS OPT
record without padding — and returns None for anything else, which the
caller then hands to the general (dnspython) path. Nothing is cached between
queries: every query is read, looked up and written afresh.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rdataset
import dns.rdatatype
import dns.zone

__all__ = ["WireName", "RRset", "CompiledZone", "Query", "parse_query", "Writer"]

_IN = 1
_OPT = 41
_PACK_RR = struct.Struct("!HHIH").pack
_COMPRESSED_TYPES = {dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR}
_UNSUPPORTED_QTYPES = {dns.rdatatype.ANY, dns.rdatatype.AXFR, dns.rdatatype.IXFR, dns.rdatatype.DS, _OPT}
_LABEL_OK = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*")


@dataclass(frozen=True, slots=True)
class WireName:
    """A name in wire form (``wire``), its lower-case form (``low``, the lookup key) and its label offsets."""

    wire: bytes
    low: bytes
    offsets: tuple[int, ...]

    @classmethod
    def of_name(cls, name: dns.name.Name) -> WireName:
        wire = name.to_wire()
        assert wire is not None
        return cls.of_wire(wire)

    @classmethod
    def of_wire(cls, wire: bytes) -> WireName:
        offsets = []
        i = 0
        while wire[i]:
            offsets.append(i)
            i += wire[i] + 1
        return cls(wire, wire.lower(), tuple(offsets))


@dataclass(frozen=True, slots=True)
class RRset:
    """One RRset ready to write: type, TTL, and per RDATA its pieces (bytes, or a name to compress)."""

    rdtype: int
    ttl: int
    rdatas: tuple[tuple[bytes | WireName, ...], ...]

    @classmethod
    def of_rdataset(cls, rds: dns.rdataset.Rdataset, ttl: int | None = None) -> RRset:
        out: list[tuple[bytes | WireName, ...]] = []
        t = rds.rdtype
        for rd in rds:
            if t in _COMPRESSED_TYPES:
                out.append((WireName.of_name(rd.target),))
            elif t == dns.rdatatype.MX:
                out.append((struct.pack("!H", rd.preference), WireName.of_name(rd.exchange)))
            elif t == dns.rdatatype.SOA:
                five = struct.pack("!IIIII", rd.serial, rd.refresh, rd.retry, rd.expire, rd.minimum)
                out.append((WireName.of_name(rd.mname), WireName.of_name(rd.rname), five))
            else:
                out.append((rd.to_wire(),))
        return cls(int(t), rds.ttl if ttl is None else ttl, tuple(out))


class Writer:
    """A DNS message being written, with its compression table (lower-case suffix -> offset)."""

    __slots__ = ("buf", "comp")

    def __init__(self, head: bytes, question: WireName) -> None:
        self.buf = bytearray(head)
        comp: dict[bytes, int] = {}
        low = question.low
        for off in question.offsets:
            if 12 + off <= 0x3FFF:
                comp[low[off:]] = 12 + off
        self.comp = comp
        self.buf += question.wire

    def name(self, n: WireName) -> None:
        buf, comp, low = self.buf, self.comp, n.low
        pos = len(buf)
        for off in n.offsets:
            p = comp.get(low[off:])
            if p is not None:
                buf += n.wire[:off]
                buf += (0xC000 | p).to_bytes(2, "big")
                return
            if pos + off <= 0x3FFF:
                comp[low[off:]] = pos + off
        buf += n.wire

    def rrset(self, owner: WireName, rr: RRset) -> int:
        """Write every record of ``rr`` under ``owner``; the number of records written."""
        buf = self.buf
        fixed_head = _PACK_RR(rr.rdtype, _IN, rr.ttl, 0)[:-2]
        for parts in rr.rdatas:
            self.name(owner)
            buf += fixed_head
            at = len(buf)
            buf += b"\x00\x00"
            for p in parts:
                if type(p) is bytes:
                    buf += p
                else:
                    self.name(p)  # type: ignore[arg-type]
            buf[at : at + 2] = (len(buf) - at - 2).to_bytes(2, "big")
        return len(rr.rdatas)


class CompiledZone:
    """A zone's names (lower-case wire -> {type: RRset}), its empty non-terminals and its delegations."""

    def __init__(self, zone: dns.zone.Zone, names: Iterable[dns.name.Name], cuts: Iterable[dns.name.Name]) -> None:
        origin = zone.origin
        assert origin is not None
        self.origin = WireName.of_name(origin)
        self.nodes: dict[bytes, dict[int, RRset]] = {}
        self.owners: dict[bytes, WireName] = {}
        for n, node in zone.nodes.items():
            name = n if n.is_absolute() else n.derelativize(origin)
            w = WireName.of_name(name)
            self.owners[w.low] = w
            self.nodes[w.low] = {
                int(rds.rdtype): RRset.of_rdataset(rds) for rds in node.rdatasets if rds.rdclass == _IN
            }
        self.names = {WireName.of_name(n).low for n in names}
        self.cuts = {WireName.of_name(n).low for n in cuts}
        soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
        assert soa is not None
        self.negative = RRset.of_rdataset(soa, min(soa.ttl, soa[0].minimum))


@dataclass(frozen=True, slots=True)
class Query:
    """The parts of a query the fast path answers from."""

    id_flags: bytes  # the first four bytes
    qname: WireName
    qtype: int
    edns: bool
    payload: int
    text: str


def parse_query(data: bytes) -> Query | None:
    """The common query's parts, or None (anything else goes to the general path, which also rejects garbage)."""
    n = len(data)
    if n < 17:
        return None
    flags = data[2]
    # QR (a response) or an opcode other than QUERY: not for us; counts: one question, no answer or authority
    if flags & 0xF8 or data[4:10] != b"\x00\x01\x00\x00\x00\x00" or data[10] or data[11] > 1:
        return None
    i = 12
    labels: list[str] = []
    while True:
        if i >= n:
            return None
        ln = data[i]
        if ln == 0:
            break
        if ln > 63 or i + 1 + ln > n:
            return None
        lab = data[i + 1 : i + 1 + ln]
        if not _LABEL_OK.issuperset(lab):
            return None
        labels.append(lab.decode("ascii"))
        i += 1 + ln
    end = i + 1
    if end + 4 > n or end - 12 > 255:
        return None
    qtype = (data[end] << 8) | data[end + 1]
    if data[end + 2 : end + 4] != b"\x00\x01" or qtype in _UNSUPPORTED_QTYPES:
        return None
    i = end + 4
    edns, payload = False, 0
    if data[11] == 1:
        # an OPT pseudo-RR: root owner, type 41, class = payload, TTL = ext-rcode/version/flags, then options
        if i + 11 > n or data[i] != 0 or data[i + 1 : i + 3] != b"\x00\x29" or data[i + 6] != 0:
            return None
        payload = (data[i + 3] << 8) | data[i + 4]
        rdlen = (data[i + 9] << 8) | data[i + 10]
        j, stop = i + 11, i + 11 + rdlen
        if stop != n:
            return None
        while j < stop:  # options: refuse padding (the response would be padded) and malformed ones
            if j + 4 > stop:
                return None
            code, olen = (data[j] << 8) | data[j + 1], (data[j + 2] << 8) | data[j + 3]
            if code == 12 or j + 4 + olen > stop:
                return None
            j += 4 + olen
        edns = True
    elif i != n:
        return None
    text = ".".join(labels) + "."
    return Query(data[:4], WireName.of_wire(data[12:end]), qtype, edns, payload, text)
