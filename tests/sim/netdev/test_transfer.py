"""Two simulated stacks exchange TCP data over the virtual LAN: bulk data arrives intact over lossy links."""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import subprocess
from typing import Any

import pytest

from mirage_nb.sim.lwt import wait, wakeup
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev import Data
from mirage_nb.sim.netdev.stack import STACK_MODULE as S
from mirage_nb.sim.netdev.stack import connect_direct_stack
from mirage_nb.sim.result import Ok


def transfer(in_run, n: int, *, loss: float, seed: int, pcap: Any = None, v6: bool = False) -> dict[str, Any]:
    payload = random.Random(seed).randbytes(n)
    got: dict[str, Any] = {}

    async def main(lan):
        a = await connect_direct_stack(interface="a", ipv4="10.0.0.2/24", ipv6="fd00::2/64")
        b = await connect_direct_stack(interface="b", ipv4="10.0.0.3/24", ipv6="fd00::3/64")
        done, fin = wait()
        chunks: list[bytes] = []

        async def sink(flow):
            while True:
                match await S.TCP.read(flow):
                    case Ok(Data(buf)):
                        chunks.append(bytes(buf))
                    case _:
                        break
            await S.TCP.close(flow)
            wakeup(fin, None)

        S.TCP.listen(S.tcp(a), port=5001, callback=sink)
        dst = "fd00::2" if v6 else "10.0.0.2"
        flow = (await S.TCP.create_connection(S.tcp(b), (dst, 5001))).value
        start = lan.run.now
        for i in range(0, n, 65536):
            assert await S.TCP.write(flow, payload[i : i + 65536]) == Ok(None)
        await S.TCP.close(flow)
        await done
        got["elapsed"] = lan.run.now - start
        got["data"] = b"".join(chunks)
        got["dropped"] = lan.switch.dropped

    kw: dict[str, Any] = {"profile": LinkProfile(latency=1_000_000, bandwidth=100_000_000, loss=loss)}
    if pcap is not None:
        kw["pcap"] = pcap
    result, _ = in_run(main, seed=seed, until="3600s", **kw)
    assert result.exit_code == 0, result.output
    got["ok"] = hashlib.sha256(got["data"]).digest() == hashlib.sha256(payload).digest()
    return got


def test_one_megabyte_clean_link(in_run):
    got = transfer(in_run, 1_000_000, loss=0.0, seed=1)
    assert got["ok"] and got["dropped"] == 0


def test_ipv6_transfer_with_loss(in_run):
    got = transfer(in_run, 300_000, loss=0.02, seed=2, v6=True)
    assert got["ok"] and got["dropped"] > 0


def test_ten_megabytes_over_a_lossy_link(in_run):
    # 1% loss on every link traversal (mirage-tcpip's Uniform_packet_loss backend); ~2-3 s of CPU.
    got = transfer(in_run, 10_000_000, loss=0.01, seed=3)
    assert got["dropped"] > 100
    assert got["ok"]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_lossy_transfer_pcap_passes_tshark_checksums(in_run, tmp_path):
    buf = io.BytesIO()
    got = transfer(in_run, 200_000, loss=0.02, seed=4, pcap=PcapWriter(buf))
    assert got["ok"]
    f = tmp_path / "transfer.pcap"
    f.write_bytes(buf.getvalue())
    out = subprocess.run(
        [
            "tshark",
            "-r",
            str(f),
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.severity",
            "-Y",
            'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || _ws.malformed',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == ""
