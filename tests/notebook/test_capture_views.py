"""Packet tables and sequence diagrams of captures: view models first, then text, HTML and SVG."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import MirageNbError
from mirage_nb.sim.net.arp import OP_REQUEST, encode_arp
from mirage_nb.sim.net.capture_view import (
    CaptureError,
    PacketTable,
    frames_of,
    lan_names,
    packet_rows,
    packet_table,
    sequence_diagram,
)
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, encode_ethernet
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.kinds import run_network_example
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.unikernel import Duration, Mirage_sleep

A_MAC = bytes.fromhex("020000000001")


def capture(seed: int = 0, message: bytes = b"hello\n", loss: float = 0.0) -> tuple[bytes, dict[str, str]]:
    """The network example, a client that pings it, then sends ``message`` over TCP."""
    seen: dict[str, Any] = {}

    def setup(lan):
        c = Peer(lan, name="client", cidr="10.0.0.1/24", profile=LinkProfile(loss=loss) if loss else None)
        seen["lan"] = lan

        async def talk():
            await Mirage_sleep.ns(Duration.of_sec(2))
            await c.ping("10.0.0.2", 1, b"hi")
            f = await c.connect("10.0.0.2", 8080)
            await c.send(f, message)
            await c.wait_closed(f, timeout_ns=10**9)
            await c.close(f)

        c.script(talk)

    buf = io.BytesIO()
    run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24"],
        seed=seed,
        until="5s",
        setup=setup,
        pcap=PcapWriter(buf),
        net="direct",
        dhcp=False,
    )
    return buf.getvalue(), lan_names(seen["lan"])


def test_rows_read_like_tshark_lines():
    pcap, _ = capture()
    rows = packet_rows(pcap)
    summaries = [(r.protocol, r.summary) for r in rows]
    assert ("ARP", "announce 10.0.0.2") in summaries
    assert ("ARP", "who-has 10.0.0.2 tell 10.0.0.1") in summaries
    assert any(p == "ARP" and s.startswith("10.0.0.2 is-at ") for p, s in summaries)
    assert ("ICMP", "Echo (ping) request id=0x0001, seq=1, ttl=64") in summaries
    syn = next(r for r in rows if "[SYN]" in r.summary)
    assert (syn.src, syn.dst) == ("10.0.0.1", "10.0.0.2")
    assert syn.summary.split(" → ")[1].startswith("8080 [SYN] Seq=0 Win=65535 Len=0 MSS=1460")
    synack = next(r for r in rows if "[SYN, ACK]" in r.summary)
    assert " Seq=0 Ack=1 " in synack.summary
    data = next(r for r in rows if "[PSH, ACK]" in r.summary)
    assert "Seq=1 Ack=1" in data.summary and "Len=6" in data.summary
    fin = next(r for r in rows if r.src == "10.0.0.2" and "[FIN, ACK]" in r.summary)
    assert "Ack=7" in fin.summary  # relative: the 6 bytes and the SYN
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].time == "0.000000" and syn.time == "2.000000"


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tcp_summaries_equal_tsharks(tmp_path):
    pcap, _ = capture()
    f = tmp_path / "c.pcap"
    f.write_bytes(pcap)
    out = subprocess.run(
        ["tshark", "-r", str(f), "-T", "fields", "-e", "_ws.col.Info", "-Y", "tcp"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.splitlines()
    ours = [r.summary for r in packet_rows(pcap) if r.protocol == "TCP"]
    assert [" ".join(s.split()) for s in ours] == [" ".join(s.split()) for s in out]


def test_table_text_and_html_escape_names():
    pcap, names = capture()
    t = packet_table(pcap, names={"10.0.0.2": "<uk & co>"})
    text = repr(t)
    assert text.splitlines()[0].split() == ["No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"]
    assert "<uk & co>" in text
    h = t._repr_html_()
    assert "&lt;uk &amp; co&gt;" in h and "<uk" not in h
    assert h.count("<tr") == len(t) + 1


def test_protocol_filter_keeps_capture_numbers():
    pcap, _ = capture()
    t = packet_table(pcap, protocols={"TCP"})
    assert {r.protocol for r in t.rows} == {"TCP"}
    assert t.rows[0].number > 1


def test_same_capture_same_views_and_another_seed_differs():
    p1, n1 = capture(seed=3)
    p2, n2 = capture(seed=3)
    p3, n3 = capture(seed=4)
    assert repr(packet_table(p1)) == repr(packet_table(p2))
    assert sequence_diagram(p1, names=n1).to_svg() == sequence_diagram(p2, names=n2).to_svg()
    assert sequence_diagram(p1, names=n1).to_svg() != sequence_diagram(p3, names=n3).to_svg()


def test_sequence_diagram_model_columns_and_broadcasts():
    pcap, names = capture()
    d = sequence_diagram(pcap, names=names)
    assert d.hosts == ("client", "tap0")
    first = d.messages[0]
    assert first.broadcast and first.label == "ARP announce 10.0.0.1" and first.dst == (1,)
    syn = next(m for m in d.messages if "[SYN]" in m.label)
    assert (d.hosts[syn.src], [d.hosts[i] for i in syn.dst]) == ("client", ["tap0"])
    assert "TSval" not in syn.label  # cut from arrows, kept in the table
    assert "client → tap0" in repr(d)
    fixed = sequence_diagram(pcap, names=names, hosts=["tap0"])
    assert fixed.hosts == ("tap0", "client")
    by_ip = sequence_diagram(pcap)
    assert by_ip.hosts == ("10.0.0.1", "10.0.0.2")
    only = sequence_diagram(pcap, names=names, protocols={"ICMP"}, label="protocol")
    assert [m.label for m in only.messages] == ["ICMP", "ICMP"]


def test_svg_is_well_formed_and_escaped():
    pcap, names = capture()
    d = sequence_diagram(pcap, names={**names, next(iter(names)): 'a<b>&"c'})
    svg = d.to_svg()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'a<b>&"c' in texts
    lines = [x for x in root.iter("{http://www.w3.org/2000/svg}line") if x.get("marker-end")]
    assert len(lines) == sum(len(m.dst) for m in d.messages)
    assert d._repr_svg_() == svg


def test_empty_and_degenerate_captures_render():
    empty = PcapWriter(io.BytesIO())
    data = empty.out.getvalue()  # type: ignore[attr-defined]
    t = packet_table(data)
    assert len(t) == 0 and repr(t) == "(no packets captured)" and "no packets captured" in t._repr_html_()
    d = sequence_diagram(data)
    assert d.hosts == () and repr(d) == "(no packets captured)"
    ET.fromstring(d.to_svg())
    odd = [(0, b"\x01\x02"), (5, b"\xff" * 6 + A_MAC + b"\x08\x06" + b"\x00" * 3), (9, b"\x00" * 12 + b"\x08\x00\x45")]
    rows = packet_rows(odd)
    assert [r.summary.startswith("[Malformed") for r in rows] == [True, True, True]
    ET.fromstring(sequence_diagram(odd).to_svg())


def test_capture_inputs_and_errors(tmp_path):
    arp = encode_ethernet(
        b"\xff" * 6,
        A_MAC,
        ETHERTYPE_ARP,
        encode_arp(OP_REQUEST, A_MAC, bytes([10, 0, 0, 1]), bytes(6), bytes([10, 0, 0, 9])),
    )
    buf = io.BytesIO()
    w = PcapWriter(buf)
    w.write(1_500_000, arp)
    p = tmp_path / "one.pcap"
    p.write_bytes(buf.getvalue())
    for cap in (buf, buf.getvalue(), p, str(p), [(1_500_000, arp)]):
        (row,) = packet_rows(cap)
        assert (row.time, row.summary, row.src, row.dst) == (
            "0.001500",
            "who-has 10.0.0.9 tell 10.0.0.1",
            "02:00:00:00:00:01",
            "Broadcast",
        )
    with pytest.raises(CaptureError, match="cannot read the capture file"):
        frames_of(tmp_path / "missing.pcap")
    with pytest.raises(CaptureError, match="pcap bytes, a path"):
        frames_of(42)
    with pytest.raises(MirageNbError):
        frames_of(PacketTable([]))
    with pytest.raises(CaptureError, match="label"):
        sequence_diagram([], label="colour")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=8), st.integers(0, 2**32 - 1))
def test_any_frames_give_a_row_each_and_valid_svg(frames, seed):
    rng = random.Random(seed)
    # Half the time, give the junk a plausible Ethernet/IPv4/TCP header so the deeper dissectors run.
    cooked = [
        (i, (b"\x02" * 12 + b"\x08\x00" + bytes([0x45, 0, 0, 60, 0, 0, 0, 0, 64, 6]) + f) if rng.random() < 0.5 else f)
        for i, f in enumerate(frames)
    ]
    rows = packet_rows(cooked)
    assert len(rows) == len(cooked)
    ET.fromstring(sequence_diagram(cooked).to_svg())
    packet_table(cooked)._repr_html_()


# --- the network tutorials' exercises -----------------------------------------------------------

from mirage_nb.notebook.exercises import check, hint, solution  # noqa: E402
from mirage_nb.notebook.net_exercises import NET_EXERCISES  # noqa: E402


@pytest.mark.parametrize("name", sorted(NET_EXERCISES))
def test_network_exercise_solutions_pass_and_wrong_answers_do_not(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {}
    exec(solution(name).code, ns)
    assert check(name, ns["answer"]).ok is True
    assert check(name, ...).ok is None
    for wrong in (None, 0, "z", [], object()):
        fb = check(name, wrong)
        assert fb.ok is False and fb.message
    assert hint(name).number == 1


def test_network_check_falls_back_to_the_main_catalogue():
    assert check("02.exit_code", 64).ok is True


def test_long_silences_are_marked_in_the_svg():
    pcap, names = capture()
    svg = sequence_diagram(pcap, names=names).to_svg()
    assert "… 2.000 s later" in svg  # boot at 0 s, the client's first frame at 2 s
    assert "s later" not in sequence_diagram(pcap, names=names).to_svg(gap_ns=10**12)
