"""The TCP and UDP APIs a unikernel calls (``Tcpip.Tcp.S``, ``Tcpip.Udp.S``): results and error values.

Two direct stacks share one run's virtual LAN; ``S`` is the module a
``Unikernel.Main (S : Tcpip.Stack.V4V6)`` receives.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import wait, wakeup
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.netdev import Closed, Data, Eof, Refused, Timeout
from mirage_nb.sim.netdev.stack import STACK_MODULE as S
from mirage_nb.sim.netdev.stack import connect_direct_stack
from mirage_nb.sim.result import Error, Ok

A, B = "10.0.0.2", "10.0.0.3"


async def two_stacks() -> tuple[Any, Any]:
    a = await connect_direct_stack(interface="a", ipv4=f"{A}/24")
    b = await connect_direct_stack(interface="b", ipv4=f"{B}/24")
    return a, b


def test_read_data_then_eof_and_dst(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a, b = await two_stacks()
        reads: list[Any] = []
        done, finished = wait()

        async def server(flow):
            got["dst"] = S.TCP.dst(flow)
            got["src"] = S.TCP.src(flow)
            while True:
                r = await S.TCP.read(flow)
                reads.append(r)
                if r == Ok(Eof()):
                    break
            wakeup(finished, None)

        S.TCP.listen(S.tcp(a), port=8080, callback=server)
        res = await S.TCP.create_connection(S.tcp(b), (ipaddress.ip_address(A), 8080))
        assert isinstance(res, Ok)
        flow = res.value
        got["client_dst"] = S.TCP.dst(flow)
        got["w1"] = await S.TCP.write(flow, b"hello ")
        got["w2"] = await S.TCP.writev(flow, [b"mirage", b"!"])
        await S.TCP.close(flow)
        await done
        got["reads"] = reads
        got["after_close"] = await S.TCP.write(flow, b"late")

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got["w1"] == Ok(None) and got["w2"] == Ok(None)
    assert got["client_dst"] == (ipaddress.ip_address(A), 8080)
    peer_ip, peer_port = got["dst"]
    assert peer_ip == ipaddress.ip_address(B) and 49152 <= peer_port < 65536
    assert got["src"] == (ipaddress.ip_address(A), 8080)
    data = b"".join(bytes(r.value.buf) for r in got["reads"] if isinstance(r.value, Data))
    assert data == b"hello mirage!"
    assert got["reads"][-1] == Ok(Eof())
    assert got["after_close"] == Error(Closed())
    assert str(got["after_close"].error) == "attempted to write to a closed flow"


def test_connection_refused_and_timeout(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a, b = await two_stacks()
        got["refused"] = await S.TCP.create_connection(S.tcp(b), (A, 9999))
        # Nobody has 10.0.0.77: ARP fails, SYNs go nowhere, the connection attempt times out.
        t0 = lan.run.now
        got["timeout"] = await S.TCP.create_connection(S.tcp(b), ("10.0.0.77", 80))
        got["timeout_after"] = lan.run.now - t0

    result, _ = in_run(main, until="1000s")
    assert result.exit_code == 0, result.output
    assert got["refused"] == Error(Refused())
    assert str(got["refused"].error) == "connection attempt was refused"
    assert got["timeout"] == Error(Timeout())
    assert str(got["timeout"].error) == "connection attempt timed out"
    assert got["timeout_after"] > 60_000_000_000


def test_shutdown_write_half_closes(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a, b = await two_stacks()
        server_flow: list[Any] = []
        ready, go = wait()

        async def server(flow):
            server_flow.append(flow)
            wakeup(go, None)

        S.TCP.listen(S.tcp(a), port=7, callback=server)
        flow = (await S.TCP.create_connection(S.tcp(b), (A, 7))).value
        await ready
        sflow = server_flow[0]
        await S.TCP.shutdown(flow, "write")
        got["server_read"] = await S.TCP.read(sflow)  # the client's FIN
        got["client_write"] = await S.TCP.write(flow, b"x")  # shut down for writing
        got["server_write"] = await S.TCP.write(sflow, b"still open")
        got["client_read"] = await S.TCP.read(flow)
        await S.TCP.close(sflow)
        got["client_eof"] = await S.TCP.read(flow)

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got["server_read"] == Ok(Eof())
    assert got["client_write"] == Error(Closed())
    assert got["server_write"] == Ok(None)
    assert bytes(got["client_read"].value.buf) == b"still open"
    assert got["client_eof"] == Ok(Eof())


def test_unlisten_refuses_new_connections(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a, b = await two_stacks()
        S.TCP.listen(S.tcp(a), port=80, callback=lambda flow: None)
        got["first"] = await S.TCP.create_connection(S.tcp(b), (A, 80))
        S.TCP.unlisten(S.tcp(a), port=80)
        got["second"] = await S.TCP.create_connection(S.tcp(b), (A, 80))

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert isinstance(got["first"], Ok)
    assert got["second"] == Error(Refused())


def test_listen_rejects_bad_port(in_run):
    async def main(lan):
        a, _ = await two_stacks()
        S.TCP.listen(S.tcp(a), port=70000, callback=lambda flow: None)

    with pytest.raises(SimulationError, match="TCP listen: port 70000, expected 0..65535"):
        in_run(main)


def test_udp_listen_write_src_port_and_ttl(in_run):
    import io

    got: list[Any] = []
    buf = io.BytesIO()

    async def main(lan):
        a, b = await two_stacks()

        def on_datagram(*, src, dst, src_port, buf):
            got.append((str(src), str(dst), src_port, bytes(buf)))

        S.UDP.listen(S.udp(a), port=53, callback=on_datagram)
        r1 = await S.UDP.write(S.udp(b), b"query", dst=ipaddress.ip_address(A), dst_port=53, src_port=5353, ttl=7)
        await lan.run.sleep_ns(1_000_000)  # the datagram is in flight until then
        S.UDP.unlisten(S.udp(a), port=53)
        r2 = await S.UDP.write(S.udp(b), b"nobody", dst=ipaddress.ip_address(A), dst_port=53, src_port=5353)
        await lan.run.sleep_ns(1_000_000)
        got.append((r1, r2))

    result, _ = in_run(main, pcap=PcapWriter(buf))
    assert result.exit_code == 0, result.output
    assert got[0] == (B, A, 5353, b"query")
    assert got[1] == (Ok(None), Ok(None))
    assert len(got) == 2  # the second datagram found no listener
    ttls = []
    for _t, frame in read_pcap(buf.getvalue()):
        if frame[12:14] == b"\x08\x00" and frame[23] == 17:
            ttls.append((frame[22], struct.unpack("!H", frame[34:36])[0]))
    assert (7, 5353) in ttls


def test_flow_reads_are_cstruct_buffers(in_run):
    from mirage_nb.unikernel import Cstruct

    got: list[Any] = []

    async def main(lan):
        a, b = await two_stacks()
        done, fin = wait()

        async def server(flow):
            match await S.TCP.read(flow):
                case Ok(Data(buf)):
                    got.append((Cstruct.length(buf), Cstruct.to_string(buf)))
            wakeup(fin, None)

        S.TCP.listen(S.tcp(a), port=1, callback=server)
        flow = (await S.TCP.create_connection(S.tcp(b), (A, 1))).value
        await S.TCP.write(flow, b"abc")
        await done

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got == [(3, "abc")]


def test_reset_by_peer_reads_as_eof_and_writes_fail(in_run):
    from mirage_nb.sim.netdev.peer import Peer

    got: dict[str, Any] = {}

    async def main(lan):
        a, _b = await two_stacks()
        peer = Peer(lan, name="rude", cidr="10.0.0.9/24")
        flows: list[Any] = []
        ready, go = wait()

        async def server(flow):
            flows.append(flow)
            wakeup(go, None)

        S.TCP.listen(S.tcp(a), port=80, callback=server)
        pf = await peer.connect(A, 80)
        await ready
        peer.apply_tcp(peer.tcp.abort(lan.run.now, pf.flow))  # RST
        await lan.run.sleep_ns(1_000_000)
        got["read"] = await S.TCP.read(flows[0])
        got["write"] = await S.TCP.write(flows[0], b"anyone?")

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got["read"] == Ok(Eof())  # mirage-tcpip reports a reset as the end of the stream
    assert got["write"] == Error(Closed())


def test_netif_and_ethernet_devices(in_run):
    from mirage_nb.sim.netdev import Exceeds_mtu, Invalid_length
    from mirage_nb.sim.netdev.link import EthernetDevice, Netif

    got: dict[str, Any] = {}

    async def main(lan):
        n1 = await Netif.connect("n1")
        n2 = await Netif.connect("n2")
        e1 = await EthernetDevice.connect(n1)
        frames: list[bytes] = []
        from mirage_nb.sim.lwt import spawn

        listening = spawn(n2.listen(14, lambda buf: frames.append(bytes(buf))))

        def fill(buf):
            buf[0:6] = n2.mac().raw
            buf[6:12] = n1.mac().raw
            buf[12:14] = b"\x88\xb5"
            buf[14:18] = b"ping"
            return 18

        got["write"] = await n1.write(size=64, fill=fill)
        got["too_big"] = await n1.write(size=1515, fill=fill)
        got["eth"] = await e1.write(n2.mac(), "IPv4", lambda b: 0)
        got["eth_big"] = await e1.write(n2.mac(), "IPv4", lambda b: 0, size=1501)
        await lan.run.sleep_ns(1)
        got["frames"] = frames
        st = n1.get_stats_counters()
        got["tx"] = (st.tx_pkts, st.tx_bytes)
        await n2.disconnect()
        got["listen"] = await listening
        got["mtu"] = (n1.mtu(), e1.mtu())

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got["write"] == Ok(None) and got["too_big"] == Error(Invalid_length())
    assert got["eth"] == Ok(None) and got["eth_big"] == Error(Exceeds_mtu())
    assert got["frames"][0][12:18] == b"\x88\xb5ping" and len(got["frames"]) == 2
    assert got["tx"] == (2, 18 + 14)
    assert got["listen"] == Ok(None)
    assert got["mtu"] == (1500, 1500)
