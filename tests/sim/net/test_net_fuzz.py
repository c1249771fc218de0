"""Fuzzing the codecs and machines with h11's single invariant.

Any input either decodes or raises our :class:`RemoteProtocolError` (for
decoders); machines never raise at all, they drop. Inputs are random bytes
and mutations (bit flips, byte changes, cuts, insertions, splices) of valid
frames from a simulated exchange; for machines, mutated inner layers are
re-wrapped in valid outer layers with correct checksums so they reach the
deep code. The default run is small; the ``slow`` one feeds over a million.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from net_support import IP_A, IP_B, MAC_A, MAC_B, MAC_C, EndpointLan

from mirage_nb.errors import RemoteProtocolError
from mirage_nb.sim.net.arp import ArpCache, decode_arp
from mirage_nb.sim.net.checksum import fold, raw_sum
from mirage_nb.sim.net.dhcp import decode_dhcp
from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.net.dhcp_client import DhcpClient
from mirage_nb.sim.net.ethernet import decode_ethernet, encode_ethernet
from mirage_nb.sim.net.host import Host
from mirage_nb.sim.net.icmpv4 import decode_icmpv4
from mirage_nb.sim.net.icmpv6 import Ipv6Layer, decode_icmpv6, decode_ndp
from mirage_nb.sim.net.ipv4 import Ipv4Layer, decode_ipv4, encode_ipv4
from mirage_nb.sim.net.ipv6 import decode_ipv6, encode_ipv6, pseudo_header_v6
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.net.udp import decode_udp

MS = 1_000_000


def _corpus() -> list[bytes]:
    """Valid frames of every kind, recorded from a simulated run."""
    buf = io.BytesIO()
    lan = EndpointLan(9, pcap=PcapWriter(buf))
    a = Host(MAC_A, "10.0.0.1/24", name="a", ipv6=("fd00::1/64",))
    b = Host(MAC_B, "10.0.0.2/24", name="b", ipv6=("fd00::2/64",))
    a.serve_dhcp(DhcpServer(MAC_A, "10.0.0.1", "10.0.0.0/24", "10.0.0.100", "10.0.0.110", routers=("10.0.0.1",)))
    c = Host(MAC_C, name="c", dhcp=True, rng=random.Random(1))
    for h in (a, b, c):
        lan.attach(h, LinkProfile(latency=MS))
    b.listen_udp(7)
    lan.start()
    lan.run(50 * MS)
    lan.call(0, lambda now: a.ping(now, "10.0.0.2", seq=1, data=b"data"))
    lan.call(0, lambda now: a.send_udp(now, "10.0.0.2", 1, 7, b"x" * 3000))
    lan.call(0, lambda now: a.ping(now, "fd00::2", seq=2))
    lan.call(0, lambda now: a.send_udp(now, "fd00::2", 1, 7, b"six"))
    lan.run(300 * MS)
    return [f for _, f in read_pcap(buf.getvalue())]


CORPUS = _corpus()


def _layers(frame: bytes) -> dict[str, tuple]:
    """Split a frame into each decoder's input (with the addresses it needs)."""
    out: dict[str, tuple] = {"ethernet": (frame,)}
    eth = decode_ethernet(frame)
    if eth.ethertype == 0x0806:
        out["arp"] = (eth.payload,)
    elif eth.ethertype == 0x0800:
        ip = decode_ipv4(eth.payload)
        out["ipv4"] = (eth.payload,)
        if ip.proto == 1:
            out["icmpv4"] = (ip.payload,)
        elif ip.proto == 17 and not ip.is_fragment:
            out["udp"] = (ip.payload, ip.src, ip.dst)
            udp = decode_udp(ip.payload, ip.src, ip.dst)
            if udp.dst_port in (67, 68):
                out["dhcp"] = (udp.payload,)
    elif eth.ethertype == 0x86DD:
        ip6 = decode_ipv6(eth.payload)
        out["ipv6"] = (eth.payload,)
        if ip6.next_header == 58:
            out["icmpv6"] = (ip6.payload, ip6.src, ip6.dst)
        elif ip6.next_header == 17:
            out["udp"] = (ip6.payload, ip6.src, ip6.dst)
    return out


SEEDS: dict[str, list[tuple]] = {}
for _f in CORPUS:
    for _k, _v in _layers(_f).items():
        SEEDS.setdefault(_k, []).append(_v)


def _icmpv6_and_ndp(data: bytes, src: bytes, dst: bytes) -> None:
    msg = decode_icmpv6(data, src, dst)
    if msg.type in (134, 135, 136):
        decode_ndp(msg)


DECODERS: dict[str, Callable] = {
    "ethernet": decode_ethernet,
    "arp": decode_arp,
    "ipv4": decode_ipv4,
    "icmpv4": decode_icmpv4,
    "ipv6": decode_ipv6,
    "icmpv6": _icmpv6_and_ndp,
    "udp": decode_udp,
    "dhcp": decode_dhcp,
}


def mutate(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    """One to four random edits of ``data``."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        if op == 0 and b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 2:
            del b[rng.randrange(len(b) + 1) :]
        elif op == 3:
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif op == 4 and b:
            i = rng.randrange(len(b))
            del b[i : i + rng.randint(1, 16)]
        elif op == 5:
            b += rng.randbytes(rng.randint(1, 64))
        elif op == 6 and others:
            o = rng.choice(others)
            i = rng.randrange(len(b) + 1)
            b[i:] = o[rng.randrange(len(o) + 1) :]
        elif op == 7 and len(b) > 1:
            i = rng.randrange(len(b))
            b[i] = rng.choice((0, 0xFF, 0x7F, 0x80, 1))
    return bytes(b)


def _fix_udp(seg: bytes, src: bytes, dst: bytes) -> bytes:
    """Give a (mutated) UDP segment a correct checksum so the decoder looks deeper."""
    if len(seg) < 8:
        return seg
    length = int.from_bytes(seg[4:6], "big")
    if length < 8 or length > len(seg):
        return seg
    body = seg[:6] + b"\x00\x00" + seg[8:length]
    ph = (
        src + dst + b"\x00\x11" + length.to_bytes(2, "big") if len(src) == 4 else pseudo_header_v6(src, dst, 17, length)
    )
    return body[:6] + (fold(raw_sum(ph) + raw_sum(body)) or 0xFFFF).to_bytes(2, "big") + body[8:] + seg[length:]


def _fix_icmpv6(msg: bytes, src: bytes, dst: bytes) -> bytes:
    if len(msg) < 4:
        return msg
    body = msg[:2] + b"\x00\x00" + msg[4:]
    ph = pseudo_header_v6(src, dst, 58, len(body))
    return body[:2] + fold(raw_sum(ph) + raw_sum(body)).to_bytes(2, "big") + body[4:]


def _fix_icmpv4(msg: bytes) -> bytes:
    if len(msg) < 4:
        return msg
    body = msg[:2] + b"\x00\x00" + msg[4:]
    return body[:2] + fold(raw_sum(body)).to_bytes(2, "big") + body[4:]


def fuzz_decoders(n: int, seed: int) -> int:
    rng = random.Random(seed)
    names = sorted(DECODERS)
    count = 0
    for i in range(n):
        name = names[i % len(names)]
        args = rng.choice(SEEDS[name])
        others = [s[0] for s in SEEDS[name]]
        data = rng.randbytes(rng.randrange(0, 400)) if i % 10 == 0 else mutate(rng, args[0], others)
        if name == "udp" and i % 2:
            data = _fix_udp(data, args[1], args[2])
        elif name == "icmpv6" and i % 2:
            data = _fix_icmpv6(data, args[1], args[2])
        elif name == "icmpv4" and i % 2:
            data = _fix_icmpv4(data)
        try:
            DECODERS[name](data, *args[1:])
        except RemoteProtocolError:
            pass
        count += 1
    return count


def _machines():
    a = Host(MAC_A, "10.0.0.1/24", name="a", ipv6=("fd00::1/64",))
    a.serve_dhcp(DhcpServer(MAC_A, "10.0.0.1", "10.0.0.0/24", "10.0.0.100", "10.0.0.110"))
    a.listen_udp(7)
    c = Host(MAC_C, name="c", dhcp=True, rng=random.Random(2))
    c.start(0)
    client = DhcpClient(MAC_C, random.Random(3))
    client.start(0)
    arp = ArpCache(MAC_B)
    arp.start(0, IP_B)
    arp.query(0, IP_A)
    return a, c, client, arp, Ipv4Layer(MAC_B, "10.0.0.2/24", "10.0.0.1"), Ipv6Layer(MAC_B, ("fd00::2/64",))


def _rewrap(rng: random.Random, frame: bytes) -> bytes:
    """Mutate an inner layer of ``frame`` and rebuild valid outer layers around it."""
    layers = _layers(frame)
    eth = decode_ethernet(frame)
    if "dhcp" in layers or ("udp" in layers and eth.ethertype == 0x0800):
        ip = decode_ipv4(eth.payload)
        seg = ip.payload
        if "dhcp" in layers and rng.random() < 0.7:
            udp = decode_udp(seg, ip.src, ip.dst)
            inner = mutate(rng, udp.payload, [s[0] for s in SEEDS["dhcp"]])
            seg = seg[:4] + (8 + len(inner)).to_bytes(2, "big") + seg[6:8] + inner
        else:
            seg = mutate(rng, seg, [])
        seg = _fix_udp(seg, ip.src, ip.dst)
        return encode_ethernet(eth.dst, eth.src, 0x0800, encode_ipv4(ip.src, ip.dst, 17, seg, ident=ip.ident))
    if "icmpv4" in layers:
        ip = decode_ipv4(eth.payload)
        msg = _fix_icmpv4(mutate(rng, ip.payload, []))
        return encode_ethernet(eth.dst, eth.src, 0x0800, encode_ipv4(ip.src, ip.dst, 1, msg))
    if "icmpv6" in layers:
        ip6 = decode_ipv6(eth.payload)
        msg = _fix_icmpv6(mutate(rng, ip6.payload, [s[0] for s in SEEDS["icmpv6"]]), ip6.src, ip6.dst)
        return encode_ethernet(eth.dst, eth.src, 0x86DD, encode_ipv6(ip6.src, ip6.dst, 58, msg, hop_limit=255))
    if "arp" in layers:
        return encode_ethernet(eth.dst, eth.src, 0x0806, mutate(rng, eth.payload, []))
    return mutate(rng, frame, CORPUS)


def fuzz_machines(n: int, seed: int) -> int:
    """Feed frames to every machine; any exception is a failure."""
    rng = random.Random(seed)
    a, c, client, arp, ip4l, ip6l = _machines()
    for i in range(n):
        base = rng.choice(CORPUS)
        r = i % 3
        frame = (
            rng.randbytes(rng.randrange(0, 200))
            if r == 0
            else _rewrap(rng, base)
            if r == 1
            else mutate(rng, base, CORPUS)
        )
        now = i * 1000
        a.receive(now, frame)
        c.receive(now, frame)
        if len(frame) > 14:
            payload = frame[14:]
            arp.receive(now, payload)
            ip4l.receive(now, payload)
            ip6l.receive(now, payload)
            if len(frame) > 42:
                client.receive(now, frame[42:])
                a.dhcp_server.receive(now, frame[42:])
        if i % 97 == 0:
            for m in (a, c, client, arp, ip4l, ip6l):
                m.timer(now)
    return n


def test_corpus_covers_every_decoder():
    assert set(SEEDS) == set(DECODERS)


def test_fuzz_decoders_small():
    assert fuzz_decoders(16_000, seed=1) == 16_000


def test_fuzz_machines_small():
    assert fuzz_machines(3_000, seed=2) == 3_000


@pytest.mark.slow
def test_fuzz_decoders_and_machines_million():
    total = fuzz_decoders(850_000, seed=11) + fuzz_machines(160_000, seed=12)
    assert total >= 1_000_000


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_decode_or_raise_our_error(name, data):
    args = SEEDS[name][0]
    try:
        DECODERS[name](data, *args[1:])
    except RemoteProtocolError:
        pass


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_every_prefix_and_trailing_data(name):
    """Decoders get their input whole, cut byte by byte, and with trailing bytes."""
    for args in SEEDS[name][:5]:
        whole = args[0]
        DECODERS[name](whole, *args[1:])
        for n in range(len(whole)):
            try:
                DECODERS[name](whole[:n], *args[1:])
            except RemoteProtocolError:
                pass
        try:
            DECODERS[name](whole + b"\x00" * 7, *args[1:])
        except RemoteProtocolError:
            pass


def test_read_pcap_fuzz():
    rng = random.Random(4)
    buf = io.BytesIO()
    w = PcapWriter(buf)
    for i, f in enumerate(CORPUS[:10]):
        w.write(i, f)
    data = buf.getvalue()
    for _ in range(2000):
        try:
            read_pcap(mutate(rng, data, []))
        except RemoteProtocolError:
            pass
