"""Frame codec speed: mirage_nb.sim.net against dpkt and scapy, measured in the same run.

Builds and parses the two frames of research/netstack.md §2:
Ethernet/IPv4/UDP with 64 bytes of payload (106 B) and Ethernet/IPv4/TCP
PSH|ACK with MSS, NOP, window-scale options and 64 bytes (126 B). "Build"
serialises a frame from its fields with every length and checksum computed;
"parse" decodes down to the transport header's destination port (our codec
also validates the IPv4 and UDP/TCP checksums, which dpkt and scapy do not).
Times are CPU time (``time.process_time``), best of 3; ratios are peer time
divided by ours over both frames, so "3x" means three times faster.

Run: ``python benchmarks/net.py`` (needs ``pip install dpkt scapy``).
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Callable

from mirage_nb.sim.net.checksum import fold
from mirage_nb.sim.net.ethernet import ETHERTYPE_IPV4, decode_ethernet, encode_ethernet
from mirage_nb.sim.net.ipv4 import decode_ipv4, encode_ipv4, pseudo_header_v4
from mirage_nb.sim.net.udp import decode_udp, encode_udp

SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
SRC_IP = bytes([10, 0, 0, 1])
DST_IP = bytes([10, 0, 0, 2])
PAYLOAD = bytes(range(64))
TCP_OPTS = b"\x02\x04\x05\xb4\x01\x03\x03\x07"  # MSS 1460, NOP, window scale 7
SEQ, ACK, WIN = 0x01020304, 0x0A0B0C0D, 512


# --- our codec ---------------------------------------------------------------

try:  # the TCP engineer's segment codec, when present
    from mirage_nb.sim.net.tcp import wire as tcp_wire

    def tcp_build(src: bytes, dst: bytes) -> bytes:
        seg = tcp_wire.Segment(
            src_port=40000,
            dst_port=80,
            seq=SEQ,
            ack=ACK,
            flags=0x18,
            window=WIN,
            payload=PAYLOAD,
            mss=1460,
            window_scale=7,
        )
        return tcp_wire.encode(seg, src, dst)

    def tcp_parse(data: bytes, src: bytes, dst: bytes) -> int:
        return tcp_wire.decode(data, src, dst).dst_port

    TCP_CODEC = "mirage_nb.sim.net.tcp.wire"
except ImportError:  # a minimal header codec of our own
    _TCP = struct.Struct("!HHIIBBHHH")

    def tcp_build(src: bytes, dst: bytes) -> bytes:
        head = _TCP.pack(40000, 80, SEQ, ACK, (20 + len(TCP_OPTS)) << 2, 0x18, WIN, 0, 0) + TCP_OPTS
        seg = head + PAYLOAD
        csum = fold(int.from_bytes(pseudo_header_v4(src, dst, 6, len(seg)), "big") + int.from_bytes(seg, "big"))
        return seg[:16] + csum.to_bytes(2, "big") + seg[18:]

    def tcp_parse(data: bytes, src: bytes, dst: bytes) -> int:
        n = int.from_bytes(pseudo_header_v4(src, dst, 6, len(data)), "big") + int.from_bytes(data, "big")
        if n % 0xFFFF:
            raise ValueError("bad TCP checksum")
        return _TCP.unpack_from(data)[1]

    TCP_CODEC = "benchmark-local minimal TCP header"


def ours_build_udp() -> bytes:
    udp = encode_udp(SRC_IP, DST_IP, 40000, 53, PAYLOAD)
    return encode_ethernet(DST_MAC, SRC_MAC, ETHERTYPE_IPV4, encode_ipv4(SRC_IP, DST_IP, 17, udp))


def ours_build_tcp() -> bytes:
    return encode_ethernet(DST_MAC, SRC_MAC, ETHERTYPE_IPV4, encode_ipv4(SRC_IP, DST_IP, 6, tcp_build(SRC_IP, DST_IP)))


def ours_parse_udp(frame: bytes) -> int:
    ip = decode_ipv4(decode_ethernet(frame).payload)
    return decode_udp(ip.payload, ip.src, ip.dst).dst_port


def ours_parse_tcp(frame: bytes) -> int:
    ip = decode_ipv4(decode_ethernet(frame).payload)
    return tcp_parse(ip.payload, ip.src, ip.dst)


# --- dpkt ------------------------------------------------------------------------


def dpkt_fns():
    import dpkt

    def build_udp() -> bytes:
        u = dpkt.udp.UDP(sport=40000, dport=53, data=PAYLOAD)
        u.ulen = 8 + len(PAYLOAD)
        ip = dpkt.ip.IP(src=SRC_IP, dst=DST_IP, p=17, ttl=64, data=u)
        ip.len = 20 + u.ulen
        return bytes(dpkt.ethernet.Ethernet(dst=DST_MAC, src=SRC_MAC, type=0x0800, data=ip))

    def build_tcp() -> bytes:
        t = dpkt.tcp.TCP(sport=40000, dport=80, seq=SEQ, ack=ACK, flags=0x18, win=WIN, opts=TCP_OPTS, data=PAYLOAD)
        t.off = (20 + len(TCP_OPTS)) >> 2
        ip = dpkt.ip.IP(src=SRC_IP, dst=DST_IP, p=6, ttl=64, data=t)
        ip.len = 20 + len(t)
        return bytes(dpkt.ethernet.Ethernet(dst=DST_MAC, src=SRC_MAC, type=0x0800, data=ip))

    def parse(frame: bytes) -> int:
        return dpkt.ethernet.Ethernet(frame).data.data.dport

    return build_udp, build_tcp, parse, parse


# --- scapy -------------------------------------------------------------------------


def scapy_fns():
    import logging

    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    def build_udp() -> bytes:
        # dport 9999 rather than 53 so scapy does not also dissect DNS when parsing.
        return bytes(
            Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")
            / IP(src="10.0.0.1", dst="10.0.0.2", ttl=64)
            / UDP(sport=40000, dport=9999)
            / Raw(PAYLOAD)
        )

    def build_tcp() -> bytes:
        return bytes(
            Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")
            / IP(src="10.0.0.1", dst="10.0.0.2", ttl=64)
            / TCP(
                sport=40000,
                dport=80,
                seq=SEQ,
                ack=ACK,
                flags="PA",
                window=WIN,
                options=[("MSS", 1460), ("NOP", None), ("WScale", 7)],
            )
            / Raw(PAYLOAD)
        )

    def parse_udp(frame: bytes) -> int:
        return Ether(frame)[UDP].dport

    def parse_tcp(frame: bytes) -> int:
        return Ether(frame)[TCP].dport

    return build_udp, build_tcp, parse_udp, parse_tcp


# --- timing ------------------------------------------------------------------------


def per_call(fn: Callable[[], object], n: int) -> float:
    """Best of 3 CPU-time runs of ``n`` calls: seconds per call."""
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - t0)
    return best / n


def measure(name: str, fns, n: int) -> dict[str, float]:
    build_udp, build_tcp, parse_udp, parse_tcp = fns
    udp_frame, tcp_frame = ours_build_udp(), ours_build_tcp()
    r = {
        "build_udp": per_call(build_udp, n),
        "build_tcp": per_call(build_tcp, n),
        "parse_udp": per_call(lambda: parse_udp(udp_frame), n),
        "parse_tcp": per_call(lambda: parse_tcp(tcp_frame), n),
    }
    print(
        f"{name:>6}: build UDP {r['build_udp'] * 1e6:7.2f} us  TCP {r['build_tcp'] * 1e6:7.2f} us   "
        f"parse UDP {r['parse_udp'] * 1e6:7.2f} us  TCP {r['parse_tcp'] * 1e6:7.2f} us"
    )
    return r


def ratio(peer: dict[str, float], ours: dict[str, float], kind: str) -> float:
    return (peer[f"{kind}_udp"] + peer[f"{kind}_tcp"]) / (ours[f"{kind}_udp"] + ours[f"{kind}_tcp"])


def tcp_bulk() -> str:
    from tcp_bulk import bulk_transfer_mb_per_cpu_s  # benchmarks/tcp_bulk.py, beside this script

    return f"{bulk_transfer_mb_per_cpu_s():.1f}"


def main() -> int:
    # Sanity: all three build the same bytes, and each parses the others' frames.
    import dpkt

    ours_fns = (ours_build_udp, ours_build_tcp, ours_parse_udp, ours_parse_tcp)
    d_fns, s_fns = dpkt_fns(), scapy_fns()
    if ours_build_udp() != d_fns[0]() or ours_build_tcp() != d_fns[1]():
        print("warning: dpkt builds different bytes than ours", file=sys.stderr)
    assert dpkt.ethernet.Ethernet(ours_build_tcp()).data.data.dport == 80
    print(f"TCP segment codec: {TCP_CODEC}")
    ours = measure("ours", ours_fns, 20_000)
    dp = measure("dpkt", d_fns, 5_000)
    sc = measure("scapy", s_fns, 300)
    bulk = tcp_bulk()
    print(
        f"codec vs dpkt: {ratio(dp, ours, 'build'):.1f}x build, {ratio(dp, ours, 'parse'):.1f}x parse; "
        f"vs scapy: {ratio(sc, ours, 'build'):.0f}x build, {ratio(sc, ours, 'parse'):.0f}x parse; "
        f"tcp bulk: {bulk} MB/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
