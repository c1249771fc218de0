"""Views of a network capture: a packet table (tshark's one-line view) and a sequence diagram (SVG).

A capture is what the run's :class:`~mirage_nb.sim.net.pcap.PcapWriter`
recorded: the bytes of a pcap file, a file path, a ``BytesIO``, or a list of
``(virtual ns, frame)`` pairs. Each view is built in two steps, as every
display of the project is: first a plain view model (:class:`PacketRow`,
:class:`Message` records), then text, HTML and SVG renderings of it. It
lives in the simulator's layer, next to the pcap writer, because nothing in
it needs Jupyter: the notebook (through ``mirage_nb.lab``) and the static gallery
show the same table and diagram from this one dissector. Nothing here raises
on a strange frame: a frame the dissector cannot read becomes a row saying so.

Summaries follow tshark's one-line view where it has one
(``37890 → 8080 [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0 MSS=1460``, with
relative sequence numbers per connection, flags in Wireshark's order) and
tcpdump's words for ARP (``who-has 10.0.0.2 tell 10.0.0.1``,
``10.0.0.2 is-at 02:…``), which read better to a learner. Output depends on
the frames and the names only: the same capture gives the same text and SVG.
"""

from __future__ import annotations

import html
import io
import ipaddress
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import MirageNbError
from mirage_nb.sim.net.pcap import read_pcap

__all__ = [
    "PacketRow",
    "PacketTable",
    "Message",
    "SequenceDiagram",
    "frames_of",
    "packet_rows",
    "packet_table",
    "sequence_diagram",
    "lan_names",
    "mac_text",
    "COLUMNS",
    "CaptureError",
]


class CaptureError(MirageNbError):
    """A capture that is not a pcap, a path to one, or a list of (time, frame) pairs."""


# --- reading a capture -----------------------------------------------------------------------


def frames_of(capture: Any) -> list[tuple[int, bytes]]:
    """The ``(virtual ns, frame)`` pairs of a capture (pcap bytes, a path, a BytesIO, or pairs already)."""
    if isinstance(capture, PacketTable):
        raise CaptureError("a PacketTable is already a view: pass the capture it was made from")
    if isinstance(capture, io.BytesIO):
        capture = capture.getvalue()
    if isinstance(capture, str | os.PathLike):
        try:
            with open(capture, "rb") as f:
                capture = f.read()
        except OSError as e:
            raise CaptureError(f"cannot read the capture file {os.fspath(capture)!r}: {e.strerror}") from None
    if isinstance(capture, bytes | bytearray | memoryview):
        return read_pcap(bytes(capture))
    try:
        pairs = [(int(t), bytes(f)) for t, f in capture]
    except (TypeError, ValueError):
        raise CaptureError(
            f"a capture is pcap bytes, a path, a BytesIO or (time_ns, frame) pairs; got {type(capture).__name__}"
        ) from None
    return pairs


# --- the dissector ---------------------------------------------------------------------------

_BROADCAST = b"\xff" * 6
_TCP_FLAGS = (
    (0x01, "FIN"),
    (0x02, "SYN"),
    (0x04, "RST"),
    (0x08, "PSH"),
    (0x10, "ACK"),
    (0x20, "URG"),
    (0x40, "ECE"),
    (0x80, "CWR"),
)  # Wireshark's order: from the lowest bit up
_ICMP4 = {0: "Echo (ping) reply", 3: "Destination unreachable", 8: "Echo (ping) request", 11: "Time-to-live exceeded"}
_ICMP6 = {
    1: "Destination Unreachable",
    128: "Echo (ping) request",
    129: "Echo (ping) reply",
    133: "Router Solicitation",
    134: "Router Advertisement",
    135: "Neighbor Solicitation",
    136: "Neighbor Advertisement",
    143: "Multicast Listener Report Message v2",
}
_DHCP = {1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NAK", 7: "Release", 8: "Inform"}


def mac_text(mac: bytes) -> str:
    """``02:00:00:00:00:01``, or ``Broadcast`` as tshark writes ff:ff:ff:ff:ff:ff."""
    return "Broadcast" if mac == _BROADCAST else ":".join(f"{b:02x}" for b in mac)


@dataclass(frozen=True, slots=True)
class PacketRow:
    """One frame as a table row: number (from 1), virtual time, addresses, protocol and a one-line summary.

    ``src_mac``/``dst_mac`` say which hosts the frame went between on the
    LAN (the sequence diagram's columns); ``src``/``dst`` are what tshark's
    columns show (IP addresses, or MACs for ARP).
    """

    number: int
    time_ns: int
    src: str
    dst: str
    protocol: str
    length: int
    summary: str
    src_mac: str
    dst_mac: str

    @property
    def time(self) -> str:
        """Seconds with microseconds, as tshark prints the relative time."""
        return f"{self.time_ns // 1_000_000_000}.{(self.time_ns // 1000) % 1_000_000:06d}"


class _Streams:
    """Per-direction initial sequence numbers, for tshark's relative ``Seq=``/``Ack=``."""

    def __init__(self) -> None:
        self.isn: dict[tuple[bytes, int, bytes, int], int] = {}
        self.shift: dict[tuple[bytes, int, bytes, int], int | None] = {}

    def window(self, key: tuple[bytes, int, bytes, int], win: int, syn: bool, shift: int | None) -> int:
        """The window as tshark shows it: scaled once both SYNs offered scaling (RFC 7323 2.2), never on a SYN."""
        if syn:
            self.shift[key] = shift
            return win
        mine, theirs = self.shift.get(key), self.shift.get((key[2], key[3], key[0], key[1]))
        return win << mine if mine is not None and theirs is not None else win

    def rel(self, key: tuple[bytes, int, bytes, int], seq: int, syn: bool) -> int:
        if syn or key not in self.isn:
            self.isn[key] = seq
        return (seq - self.isn[key]) & 0xFFFFFFFF

    def rel_ack(self, key: tuple[bytes, int, bytes, int], ack: int) -> int | None:
        rev = (key[2], key[3], key[0], key[1])
        if rev not in self.isn:
            return None
        return (ack - self.isn[rev]) & 0xFFFFFFFF


def _tcp_options(opts: bytes) -> tuple[list[str], int | None]:
    out: list[str] = []
    shift = None
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        n = opts[i + 1]
        body = opts[i + 2 : i + n]
        if kind == 2 and len(body) == 2:
            out.append(f"MSS={int.from_bytes(body, 'big')}")
        elif kind == 3 and len(body) == 1:
            shift = min(body[0], 14)
            out.append(f"WS={1 << shift}")
        elif kind == 4:
            out.append("SACK_PERM")
        elif kind == 8 and len(body) == 8:
            tsval, tsecr = struct.unpack("!II", body)
            out.append(f"TSval={tsval} TSecr={tsecr}")
        i += n
    return out, shift


def _tcp(seg: bytes, src: bytes, dst: bytes, streams: _Streams) -> tuple[str, str]:
    if len(seg) < 20:
        return "TCP", "[Malformed: short TCP header]"
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", seg[:16])
    hlen = (off >> 4) * 4
    if hlen < 20 or hlen > len(seg):
        return "TCP", f"{sport} → {dport} [Malformed: header length {hlen}]"
    names = [n for bit, n in _TCP_FLAGS if flags & bit]
    key = (src, sport, dst, dport)
    parts = [f"{sport} → {dport}", f"[{', '.join(names)}]" if names else "[<None>]"]
    parts.append(f"Seq={streams.rel(key, seq, bool(flags & 0x02))}")
    if flags & 0x10:
        rel = streams.rel_ack(key, ack)
        parts.append(f"Ack={ack if rel is None else rel}")
    opts, shift = _tcp_options(seg[20:hlen])
    parts.append(f"Win={streams.window(key, win, bool(flags & 0x02), shift)}")
    parts.append(f"Len={len(seg) - hlen}")
    parts.extend(opts)
    return "TCP", " ".join(parts)


def _udp(seg: bytes) -> tuple[str, str]:
    if len(seg) < 8:
        return "UDP", "[Malformed: short UDP header]"
    sport, dport, length, _ = struct.unpack("!HHHH", seg[:8])
    if {sport, dport} & {67, 68} and len(seg) >= 8 + 240:
        body = seg[8:]
        xid = int.from_bytes(body[4:8], "big")
        kind = _dhcp_type(body[240:]) if body[236:240] == b"\x63\x82\x53\x63" else None
        if kind is not None:
            return "DHCP", f"DHCP {_DHCP.get(kind, str(kind))} - Transaction ID 0x{xid:08x}"
    if 53 in (sport, dport):
        return "DNS", f"{sport} → {dport} Len={max(0, length - 8)}"
    return "UDP", f"{sport} → {dport} Len={max(0, length - 8)}"


def _dhcp_type(opts: bytes) -> int | None:
    i = 0
    while i + 1 < len(opts):
        code = opts[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            return None
        n = opts[i + 1]
        if code == 53 and n == 1 and i + 2 < len(opts):
            return opts[i + 2]
        i += 2 + n
    return None


def _ip4(p: bytes, streams: _Streams) -> tuple[str, str, str, str]:
    if len(p) < 20:
        return "?", "?", "IPv4", "[Malformed: short IPv4 header]"
    ihl = (p[0] & 0x0F) * 4
    total, _ident, frag, ttl, proto = struct.unpack("!HHHBB", p[2:10])
    src, dst = p[12:16], p[16:20]
    s, d = str(ipaddress.IPv4Address(src)), str(ipaddress.IPv4Address(dst))
    body = p[ihl : max(ihl, min(total, len(p)))]
    if frag & 0x1FFF:
        return s, d, "IPv4", f"Fragmented IP protocol (proto={proto}, off={(frag & 0x1FFF) * 8})"
    if proto == 6:
        prot, summ = _tcp(body, src, dst, streams)
    elif proto == 17:
        prot, summ = _udp(body)
    elif proto == 1 and len(body) >= 8:
        t, _c = body[0], body[1]
        name = _ICMP4.get(t, f"type {t}")
        if t in (0, 8):
            ident, seq = struct.unpack("!HH", body[4:8])
            summ = f"{name} id=0x{ident:04x}, seq={seq}, ttl={ttl}"
        else:
            summ = name
        prot = "ICMP"
    else:
        prot, summ = "IPv4", f"protocol {proto}"
    return s, d, prot, summ


def _ip6(p: bytes, streams: _Streams) -> tuple[str, str, str, str]:
    if len(p) < 40:
        return "?", "?", "IPv6", "[Malformed: short IPv6 header]"
    plen, nxt = struct.unpack("!HB", p[4:7])
    src, dst = p[8:24], p[24:40]
    s, d = str(ipaddress.IPv6Address(src)), str(ipaddress.IPv6Address(dst))
    body = p[40 : 40 + plen]
    while nxt in (0, 43, 60) and len(body) >= 2:  # hop-by-hop, routing, destination options
        nxt, n = body[0], (body[1] + 1) * 8
        body = body[n:]
    if nxt == 58 and body:
        t = body[0]
        name = _ICMP6.get(t, f"ICMPv6 type {t}")
        if t in (135, 136) and len(body) >= 24:
            name += f" for {ipaddress.IPv6Address(body[8:24])}" if t == 135 else f" {ipaddress.IPv6Address(body[8:24])}"
        elif t in (128, 129) and len(body) >= 8:
            ident, seq = struct.unpack("!HH", body[4:8])
            name += f" id=0x{ident:04x}, seq={seq}"
        return s, d, "ICMPv6", name
    if nxt == 6:
        prot, summ = _tcp(body, src, dst, streams)
        return s, d, prot, summ
    if nxt == 17:
        prot, summ = _udp(body)
        return s, d, prot, summ
    return s, d, "IPv6", f"next header {nxt}"


def _dissect(frame: bytes, streams: _Streams) -> tuple[str, str, str, str]:
    if len(frame) < 14:
        return "?", "?", "Ethernet", f"[Malformed: {len(frame)}-byte frame]"
    dmac, smac, etype = frame[0:6], frame[6:12], int.from_bytes(frame[12:14], "big")
    p = frame[14:]
    if etype == 0x0806:
        if len(p) < 28:
            return mac_text(smac), mac_text(dmac), "ARP", "[Malformed: short ARP packet]"
        op = int.from_bytes(p[6:8], "big")
        sha, spa, tpa = p[8:14], p[14:18], p[24:28]
        sip, tip = str(ipaddress.IPv4Address(spa)), str(ipaddress.IPv4Address(tpa))
        if op == 1 and spa == tpa:
            summ = f"announce {sip}"
        elif op == 1:
            summ = f"who-has {tip} tell {sip}"
        elif op == 2:
            summ = f"{sip} is-at {mac_text(sha)}"
        else:
            summ = f"opcode {op}"
        return mac_text(smac), mac_text(dmac), "ARP", summ
    if etype == 0x0800:
        return _ip4(p, streams)
    if etype == 0x86DD:
        return _ip6(p, streams)
    return mac_text(smac), mac_text(dmac), "Ethernet", f"EtherType 0x{etype:04x}"


def packet_rows(capture: Any) -> tuple[PacketRow, ...]:
    """One :class:`PacketRow` per frame of ``capture``, in capture order (never raises on a bad frame)."""
    streams = _Streams()
    rows = []
    for i, (t, f) in enumerate(frames_of(capture), 1):
        try:
            src, dst, prot, summ = _dissect(f, streams)
        except (struct.error, ValueError, IndexError) as e:  # a frame we cannot read is shown, not fatal
            src, dst, prot, summ = "?", "?", "?", f"[Malformed: {e}]"
        smac = mac_text(f[6:12]) if len(f) >= 12 else "?"
        dmac = mac_text(f[0:6]) if len(f) >= 6 else "?"
        rows.append(PacketRow(i, t, src, dst, prot, len(f), summ, smac, dmac))
    return tuple(rows)


# --- the packet table ------------------------------------------------------------------------

COLUMNS = ("No.", "Time", "Source", "Destination", "Protocol", "Length", "Info")


class PacketTable:
    """A capture as tshark's packet list: ``rows``, a text table, an HTML table (escaped)."""

    def __init__(self, rows: Sequence[PacketRow], names: Mapping[str, str] | None = None) -> None:
        self.rows = tuple(rows)
        self.names = dict(names or {})

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> PacketRow:
        return self.rows[i]

    def cells(self, r: PacketRow) -> tuple[str, ...]:
        """The seven cells of ``r`` as the table shows them (names applied), for any renderer of the table."""
        n = self.names
        return (str(r.number), r.time, n.get(r.src, r.src), n.get(r.dst, r.dst), r.protocol, str(r.length), r.summary)

    def text(self) -> str:
        """The table as fixed-width text (what ``print`` shows)."""
        cells = [COLUMNS] + [self.cells(r) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS) - 1)]
        lines = []
        for c in cells:
            lines.append(
                "  ".join(c[i].rjust(widths[i]) if i in (0, 5) else c[i].ljust(widths[i]) for i in range(len(widths)))
                + "  "
                + c[-1]
            )
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        if not self.rows:
            return "(no packets captured)"
        return self.text()

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = "".join(
            f'<tr class="mnb-{html.escape(r.protocol.lower(), quote=True)}">'
            + "".join(f"<td>{html.escape(c)}</td>" for c in self.cells(r))
            + "</tr>"
            for r in self.rows
        )
        if not self.rows:
            body = f'<tr><td colspan="{len(COLUMNS)}">no packets captured</td></tr>'
        return (
            '<table class="mirage-nb-packets" style="font-family:monospace;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def packet_table(
    capture: Any, *, names: Mapping[str, str] | None = None, protocols: Iterable[str] | None = None
) -> PacketTable:
    """The packet list of ``capture``; ``names`` renames addresses (``{"10.0.0.2": "unikernel"}``),
    ``protocols`` keeps only those (``{"TCP"}``), numbers staying those of the capture."""
    rows = packet_rows(capture)
    if protocols is not None:
        keep = set(protocols)
        rows = tuple(r for r in rows if r.protocol in keep)
    return PacketTable(rows, names)


# --- the sequence diagram --------------------------------------------------------------------


MAX_LABEL = 64
"""Longest arrow label of a sequence diagram, in characters (longer ones end in an ellipsis)."""
_CHAR_PX = 7  # width of one 11px monospace character, rounded up


def _short(label: str) -> str:
    # Timestamps options change every segment and say little on an arrow: tshark's line keeps them.
    words = [w for w in label.split(" ") if not w.startswith(("TSval=", "TSecr="))]
    text = " ".join(words)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


@dataclass(frozen=True, slots=True)
class Message:
    """One arrow: frame ``number`` at ``time_ns`` from column ``src`` to columns ``dst`` (several if broadcast)."""

    number: int
    time_ns: int
    src: int
    dst: tuple[int, ...]
    label: str
    broadcast: bool


@dataclass(frozen=True)
class SequenceDiagram:
    """Hosts as columns, frames as arrows down the page in capture order, each with its virtual time."""

    hosts: tuple[str, ...]
    messages: tuple[Message, ...]

    def text(self) -> str:
        if not self.messages:
            return "(no packets captured)"
        width = max(len(h) for h in self.hosts)
        out = []
        for m in self.messages:
            t = f"{m.time_ns // 1_000_000_000}.{(m.time_ns // 1000) % 1_000_000:06d}"
            to = "*" if m.broadcast else ", ".join(self.hosts[d] for d in m.dst)
            out.append(f"{t}  {self.hosts[m.src]:>{width}} → {to:<{width}}  {m.label}")
        return "\n".join(line.rstrip() for line in out)

    def __repr__(self) -> str:
        return self.text()

    def to_svg(self, *, column_width: int | None = None, row_height: int = 26, gap_ns: int = 100_000_000) -> str:
        """The diagram as a standalone SVG document (text escaped; same input, same bytes).

        Arrows go down the page in capture order; where virtual time jumps by
        ``gap_ns`` or more between two frames, a marker row says how long
        nothing happened (``… 1.998 s later``). Columns are wide enough for the
        longest label (cut at :data:`MAX_LABEL` characters); ``column_width``
        forces a width in pixels.
        """
        if column_width is None:
            longest = max([len(h) for h in self.hosts] + [len(m.label) for m in self.messages] + [16])
            column_width = min(_CHAR_PX * MAX_LABEL, _CHAR_PX * longest) + 40
        left = 80
        top = 40
        n = len(self.hosts)
        # Row positions first: one per message, plus a half row before each long silence.
        ys: list[int] = []
        gaps: list[tuple[int, int]] = []  # (y of the marker, silence in ns)
        y = top
        prev: int | None = None
        for m in self.messages:
            if prev is not None and m.time_ns - prev >= gap_ns:
                y += row_height
                gaps.append((y, m.time_ns - prev))
            y += row_height
            ys.append(y)
            prev = m.time_ns
        width = left + max(1, n) * column_width
        height = y + row_height
        x = [left + column_width // 2 + i * column_width for i in range(n)]
        e = html.escape
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11" class="mirage-nb-sequence">',
            '<defs><marker id="mnb-seq-arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
            'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
            f'<text x="4" y="{top - 22}" font-weight="bold">time (s)</text>',
        ]
        for i, h in enumerate(self.hosts):
            parts.append(f'<text x="{x[i]}" y="{top - 22}" text-anchor="middle" font-weight="bold">{e(h)}</text>')
            parts.append(
                f'<line x1="{x[i]}" y1="{top - 14}" x2="{x[i]}" y2="{height - 6}" '
                'stroke="#999" stroke-dasharray="4,3"/>'
            )
        for gy, silence in gaps:
            secs = f"{silence // 1_000_000_000}.{(silence // 1_000_000) % 1000:03d}"
            parts.append(
                f'<text x="{width // 2}" y="{gy}" text-anchor="middle" fill="#888" '
                f'font-style="italic">… {secs} s later</text>'
            )
        for m, y in zip(self.messages, ys, strict=True):
            t = f"{m.time_ns // 1_000_000_000}.{(m.time_ns // 1000) % 1_000_000:06d}"
            parts.append(f'<text x="4" y="{y + 4}" fill="#555">{t}</text>')
            colour = "#8250df" if m.broadcast else "#0969da"
            for d in m.dst:
                dash = ' stroke-dasharray="5,3"' if m.broadcast else ""
                parts.append(
                    f'<line x1="{x[m.src]}" y1="{y}" x2="{x[d]}" y2="{y}" stroke="{colour}"{dash} '
                    'marker-end="url(#mnb-seq-arrow)"/>'
                )
            if m.dst:
                lo, hi = min([m.src, *m.dst]), max([m.src, *m.dst])
                mid = (x[lo] + x[hi]) // 2
            else:
                mid = x[m.src]
            parts.append(f'<text x="{mid}" y="{y - 4}" text-anchor="middle">{e(m.label)}</text>')
        parts.append("</svg>")
        return "\n".join(parts)

    def _repr_svg_(self) -> str:
        return self.to_svg()


def lan_names(lan: Any) -> dict[str, str]:
    """MAC text -> port name for every device on a run's virtual LAN (the unikernel's ``tap0``, peers...)."""
    out: dict[str, str] = {}
    for p in lan.ports:
        owner = p.owner
        mac = getattr(owner, "mac_bytes", None)
        if mac is None and getattr(owner, "host", None) is not None:
            mac = owner.host.mac
        if isinstance(mac, bytes | bytearray) and len(mac) == 6:
            out.setdefault(mac_text(bytes(mac)), p.name)
    return out


def sequence_diagram(
    capture: Any,
    *,
    names: Mapping[str, str] | None = None,
    hosts: Sequence[str] | None = None,
    protocols: Iterable[str] | None = None,
    label: str = "summary",
) -> SequenceDiagram:
    """A sequence diagram of ``capture``: one column per host, one arrow per frame.

    A host is a MAC address on the LAN; ``names`` maps a MAC (``lan_names(lan)``)
    or an IP address to the column's name (otherwise the first IP address the
    host sent from, or its MAC). ``hosts`` fixes the column order (names);
    others follow in order of first appearance. Broadcast and multicast frames
    go to every other column. ``label`` is ``"summary"`` (protocol and
    summary) or ``"protocol"``.
    """
    if label not in ("summary", "protocol"):
        raise CaptureError(f"sequence diagram label {label!r}: expected 'summary' or 'protocol'")
    rows = packet_rows(capture)
    names = dict(names or {})
    # Each MAC's first IPv4 source address (else IPv6), so a host is known by its IP if no name is given.
    ip4: dict[str, str] = {}
    ip6: dict[str, str] = {}
    for r in rows:
        if r.protocol == "ARP":
            if r.summary.startswith(("who-has", "announce")):
                ip4.setdefault(r.src_mac, r.summary.split()[-1])
        elif r.src not in ("?", "0.0.0.0", "::"):
            (ip6 if ":" in r.src else ip4).setdefault(r.src_mac, r.src)
    ip_of = {**ip6, **ip4}

    def name(mac: str) -> str:
        if mac in names:
            return names[mac]
        ip = ip_of.get(mac)
        if ip is not None:
            return names.get(ip, ip)
        return mac

    keep = None if protocols is None else set(protocols)
    order: list[str] = list(hosts or ())
    col: dict[str, int] = {h: i for i, h in enumerate(order)}

    def column(h: str) -> int:
        if h not in col:
            col[h] = len(order)
            order.append(h)
        return col[h]

    pending: list[tuple[PacketRow, int, str | None]] = []
    for r in rows:
        if keep is not None and r.protocol not in keep:
            continue
        s = column(name(r.src_mac))
        multicast = r.dst_mac == "Broadcast" or (r.dst_mac != "?" and int(r.dst_mac[:2], 16) & 1)
        pending.append((r, s, None if multicast else name(r.dst_mac)))
    for _r, _s, d in pending:
        if d is not None:
            column(d)
    msgs = []
    for r, s, d in pending:
        dst = tuple(i for i in range(len(order)) if i != s) if d is None else (col[d],)
        text = r.protocol if label == "protocol" else _short(f"{r.protocol} {r.summary}")
        msgs.append(Message(r.number, r.time_ns, s, dst, text, d is None))
    return SequenceDiagram(tuple(order), tuple(msgs))
