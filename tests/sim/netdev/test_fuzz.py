"""Whatever arrives on the wire, a simulated stack keeps running and keeps serving (h11's fuzz invariant)."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirage_nb.sim.net.ethernet import encode_ethernet
from mirage_nb.sim.net.ipv4 import encode_ipv4
from mirage_nb.sim.net.ipv6 import encode_ipv6
from mirage_nb.sim.net.tcp import Segment, encode
from mirage_nb.sim.netdev.stack import STACK_MODULE as S
from mirage_nb.sim.netdev.stack import connect_direct_stack
from mirage_nb.sim.result import Ok

A, B = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 9])
ETHERTYPES = st.sampled_from([0x0806, 0x0800, 0x86DD, 0x1234])


def valid_syn(src_port: int) -> bytes:
    return encode_ipv4(B, A, 6, encode(Segment(src_port, 80, 1000, 0, 0x02, window=1000), B, A))


@st.composite
def frames(draw: Any) -> bytes:
    kind = draw(st.sampled_from(["random", "mutated_tcp", "ipv4_any_proto", "ipv6_any"]))
    if kind == "random":
        payload = draw(st.binary(max_size=200))
        etype = draw(ETHERTYPES)
    elif kind == "mutated_tcp":
        p = bytearray(valid_syn(draw(st.integers(1, 65535))))
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(p) - 1))
            p[i] = draw(st.integers(0, 255))
        payload, etype = bytes(p), 0x0800
    elif kind == "ipv4_any_proto":
        payload = encode_ipv4(
            B,
            A,
            draw(st.integers(0, 255)),
            draw(st.binary(max_size=100)),
            frag=draw(st.sampled_from([0, 0x2000, 0x2001, 0x0003])),
        )
        etype = 0x0800
    else:
        payload = encode_ipv6(
            bytes.fromhex("fe80" + "00" * 13 + "09"),
            bytes.fromhex("ff02" + "00" * 13 + "01"),
            draw(st.sampled_from([6, 17, 58, 0, 59])),
            draw(st.binary(max_size=100)),
        )
        etype = 0x86DD
    dst = draw(st.sampled_from(["stack", "broadcast"]))
    return encode_ethernet(b"STACK!" if dst == "stack" else b"\xff" * 6, b"\x02\x00\x00\x00\x00\x09", etype, payload)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(frames(), min_size=1, max_size=8))
def test_garbage_frames_never_stop_the_stack(in_run, batch):
    got: dict[str, Any] = {}

    async def main(lan):
        a = await connect_direct_stack(interface="a", ipv4="10.0.0.2/24")
        b = await connect_direct_stack(interface="b", ipv4="10.0.0.3/24")
        S.TCP.listen(S.tcp(a), port=80, callback=lambda flow: None)
        mac = a.netif.mac_bytes
        raw = lan.attach("fuzzer", lambda frame: None)
        for f in batch:
            raw.send(f.replace(b"STACK!", mac, 1) if f.startswith(b"STACK!") else f)
        await lan.run.sleep_ns(10_000_000)
        got["after"] = await S.TCP.create_connection(S.tcp(b), (ipaddress.ip_address("10.0.0.2"), 80))

    result, _ = in_run(main, until="100s")
    assert result.exit_code == 0, result.output
    assert isinstance(got["after"], Ok)
