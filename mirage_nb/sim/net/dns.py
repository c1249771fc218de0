"""DNS messages on the wire (RFC 1035) and zones, through dnspython, behind the project's error type.

The wire format and the zone-file syntax are not the lesson here, so they are
dnspython's (``dns.message``, ``dns.zone``); this module is the seam that keeps
the rest of ``sim.net`` independent of it:

- :func:`decode_dns` turns bytes into a ``dns.message.Message`` and raises only
  :class:`~mirage_nb.sim.net._base.FrameError` (layer ``dns``) whatever the
  bytes, as every decoder of the stack does;
- :func:`encode_dns` gives the wire form, truncated (TC set, sections emptied)
  when it does not fit ``max_size`` (RFC 1035 §4.2.1, RFC 6891 §7);
- :func:`frame_tcp` / :class:`TcpDnsReader` add and strip the two-byte length
  of DNS over TCP (RFC 1035 §4.2.2, RFC 7766);
- :func:`parse_zone` reads a master file into a ``dns.zone.Zone`` and reports
  a bad one as :class:`~mirage_nb.errors.ConfigError` naming file and line.
"""

from __future__ import annotations

import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from mirage_nb.errors import ConfigError, LocalProtocolError
from mirage_nb.sim.net._base import FrameError

__all__ = [
    "DNS_PORT",
    "UDP_PAYLOAD",
    "decode_dns",
    "encode_dns",
    "frame_tcp",
    "TcpDnsReader",
    "parse_zone",
    "name_of",
    "rdtype_of",
]

DNS_PORT = 53
UDP_PAYLOAD = 512
"""The largest DNS message over UDP without EDNS (RFC 1035 §2.3.4)."""

# What dnspython may raise on hostile bytes: its own errors, and a few
# built-ins its parsers let through on some inputs (the fuzz test keeps this honest).
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    dns.exception.DNSException,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    UnicodeError,
    OverflowError,
    AttributeError,
)


def decode_dns(data: bytes) -> dns.message.Message:
    """Decode one DNS message; :class:`FrameError` if ``data`` is not one (trailing bytes included)."""
    if len(data) < 12:
        raise FrameError("dns", "header", f"at least 12 bytes, got {len(data)}")
    try:
        return dns.message.from_wire(data, ignore_trailing=False)
    except _DECODE_ERRORS as e:
        what = type(e).__name__
        detail = str(e) or what
        raise FrameError("dns", "message", f"a DNS message ({what}: {detail})") from None


def encode_dns(msg: dns.message.Message, max_size: int = 65535) -> bytes:
    """The wire form of ``msg``; if larger than ``max_size``, a truncated copy (TC, empty sections).

    Records are written in the order their sets hold them (dnspython would
    shuffle them with Python's global random generator: runs must not differ).
    """
    try:
        wire = msg.to_wire(max_size=65535, want_shuffle=False)
    except dns.exception.DNSException as e:
        raise LocalProtocolError(f"DNS message cannot be encoded: {e}") from None
    if len(wire) <= max_size:
        return wire
    # RFC 2181 §9: a truncated answer drops whole RRsets; we drop them all and keep the question.
    short = dns.message.Message(id=msg.id)
    short.flags = msg.flags | dns.flags.TC
    short.set_rcode(msg.rcode())
    short.question = list(msg.question)
    if msg.edns >= 0:
        short.use_edns(msg.edns, msg.ednsflags, msg.payload)
    return short.to_wire(max_size=65535, want_shuffle=False)


def frame_tcp(wire: bytes) -> bytes:
    """Prefix a message with its two-byte length, as DNS over TCP sends it."""
    if len(wire) > 65535:
        raise LocalProtocolError(f"DNS message of {len(wire)} bytes: over TCP it must fit 65535")
    return len(wire).to_bytes(2, "big") + wire


class TcpDnsReader:
    """Reassembles length-prefixed messages from a TCP byte stream (any segmentation)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; the complete messages now available, in order."""
        self.buf += data
        out: list[bytes] = []
        while len(self.buf) >= 2:
            n = int.from_bytes(self.buf[:2], "big")
            if len(self.buf) < 2 + n:
                break
            out.append(bytes(self.buf[2 : 2 + n]))
            del self.buf[: 2 + n]
        return out


def name_of(text: str | dns.name.Name) -> dns.name.Name:
    """An absolute domain name; :class:`LocalProtocolError` naming the text if it is not one."""
    if isinstance(text, dns.name.Name):
        return text if text.is_absolute() else text.concatenate(dns.name.root)
    try:
        return dns.name.from_text(text)
    except dns.exception.DNSException as e:
        raise LocalProtocolError(f"{text!r} is not a domain name: {e}") from None


def rdtype_of(t: str | int) -> dns.rdatatype.RdataType:
    """A record type from ``"A"``, ``"aaaa"`` or a number."""
    try:
        return dns.rdatatype.RdataType.make(t.upper() if isinstance(t, str) else t)
    except (dns.exception.DNSException, ValueError) as e:
        raise LocalProtocolError(f"{t!r} is not a DNS record type (e.g. A, AAAA, MX, TXT): {e}") from None


def parse_zone(text: str, origin: str | None = None, *, filename: str = "<zone>") -> dns.zone.Zone:
    """A zone from master-file text (RFC 1035 §5); ``origin`` if the file has no ``$ORIGIN``.

    The zone must have an SOA at its apex (an authoritative server needs one
    for its negative answers).
    """
    try:
        z = dns.zone.from_text(
            text, origin=origin, relativize=False, filename=filename, check_origin=True, allow_include=False
        )
    except dns.exception.SyntaxError as e:
        raise ConfigError(f"{filename}: bad zone file: {e}") from None
    except dns.zone.NoSOA:
        raise ConfigError(f"{filename}: the zone has no SOA record at its origin ({origin or 'the $ORIGIN'})") from None
    except dns.zone.NoNS:
        raise ConfigError(f"{filename}: the zone has no NS record at its origin ({origin or 'the $ORIGIN'})") from None
    except (dns.exception.DNSException, ValueError) as e:
        raise ConfigError(f"{filename}: bad zone: {e}") from None
    return z
