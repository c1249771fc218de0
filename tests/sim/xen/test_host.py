"""The simulated Xen host end to end: xl create of the engine's .xl, split drivers, xenconsoled's log files."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xen_helpers import xen_example

from mirage_nb import lab
from mirage_nb.errors import SimulationError
from mirage_nb.sim.xen.host import Faults, XenHost


def run_block(tmp_path, *, seed=1, faults=None, image=None, sub="run"):
    app, xl, name = xen_example("block", tmp_path / sub)
    host = XenHost(tmp_path / sub / "logs", faults=faults)
    image = image if image is not None else lab.disk_image(64)
    host.create(xl, app, filename=name, disks={"disk.img": image})
    return host, host.run_guest(seed=seed), image


def states(host, who):
    out = []
    for e in host.events:
        m = re.fullmatch(rf"{who} (\S+) -> (\w+)", e.detail)
        if e.kind == "xenbus" and m:
            out.append(m.group(2))
    return out


def test_block_unikernel_boots_through_blkfront(tmp_path):
    host, result, image = run_block(tmp_path)
    assert result.run.exit_code == 0
    assert "Total tests passed:  10" in result.run.output
    assert "Total tests failed:  0" in result.run.output
    # the writes reached the image behind blkback, at both ends of the disk
    assert image[:2].decode() == "0:"
    assert b"All work and no play" in image[-512:]
    back = next(iter(host.backends.values()))
    front = next(iter(host.frontends.values()))
    assert front.requests == back.served > 10


def test_handshake_goes_through_every_state_in_order(tmp_path):
    host, _result, _ = run_block(tmp_path)
    assert states(host, "blkback") == ["InitWait", "Connected", "Closing", "Closed"]
    assert states(host, "blkfront") == ["Initialised", "Connected", "Closing", "Closed"]
    # the frontend published its ring and channel in xenstore, in one transaction, before Initialised
    writes = [req for dom, req, _ in host.xenstore.xenstored.trace if dom == 3 and req.startswith("XS_WRITE")]
    keys = [re.search(r"/device/vbd/51728/([\w-]+)", w).group(1) for w in writes if "/device/vbd/51728/" in w]
    assert keys[:4] == ["ring-ref", "event-channel", "protocol", "state"]
    assert all(" tx=0 " not in w for w in writes[:4])


def test_console_output_lands_in_xenconsoled_log_file(tmp_path):
    host, result, _ = run_block(tmp_path)
    logs = result.console_logs
    assert set(logs) == {"Xenstore", "xenconsoled", "block_test"}
    assert logs["block_test"] == result.run.output
    assert (tmp_path / "run" / "logs" / "guest-block_test.log").read_text() == result.run.output
    assert "introduced domain 3" in logs["Xenstore"]


def test_console_larger_than_the_ring_is_not_lost(tmp_path):
    app, xl, name = xen_example("hello", tmp_path)

    async def start():
        for i in range(400):
            print(f"line {i:03d} " + "x" * 40)

    host = XenHost(tmp_path / "logs")
    host.create(xl, app, filename=name, unikernel={"start": start})
    result = host.run_guest()
    text = host.console_log("hello")
    assert len(text) > 8 * 2048
    assert text == result.run.output
    assert text.splitlines()[-1].startswith("line 399")


def test_same_seed_same_run(tmp_path):
    h1, r1, _ = run_block(tmp_path, seed=3, sub="a")
    h2, r2, _ = run_block(tmp_path, seed=3, sub="b")
    assert r1.run.output == r2.run.output
    assert [(e.time_ns, e.kind, e.detail) for e in h1.events] == [(e.time_ns, e.kind, e.detail) for e in h2.events]


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    jitter=st.integers(0, 200_000),
    dup=st.sampled_from([0.0, 0.3]),
    lost=st.sampled_from([0.0, 0.2]),
    slow=st.integers(0, 500_000),
)
def test_block_io_survives_faulty_notifications_and_a_slow_backend(tmp_path_factory, seed, jitter, dup, lost, slow):
    tmp = tmp_path_factory.mktemp("faults")
    faults = Faults(notify_delay_ns=(0, jitter), duplicate=dup, lost=lost, backend_delay_ns=(0, slow))
    host, result, image = run_block(tmp, seed=seed, faults=faults)
    assert "Total tests passed:  10" in result.run.output
    back = next(iter(host.backends.values()))
    front = next(iter(host.frontends.values()))
    assert front.requests == back.served  # nothing lost, nothing served twice
    _h, _r, clean = run_block(tmp, seed=seed, sub="clean")
    assert image == clean


def test_network_unikernel_serves_a_peer_through_netfront(tmp_path):
    app, xl, name = xen_example("network", tmp_path)
    host = XenHost(tmp_path / "logs")
    host.create(xl, app, filename=name, argv=["--ipv4=10.0.0.2/24"])

    def on_lan(bridge, lan):
        assert bridge == "br0"
        client = lab.Peer(lan, name="client", cidr="10.0.0.1/24")

        async def talk():
            await lab.Mirage_sleep.ns(lab.Duration.of_sec(1))
            flow = await client.connect("10.0.0.2", 8080)
            await client.send(flow, b"hello")
            await client.close(flow)

        client.script(talk)

    result = host.run_guest(until="3s", on_lan=on_lan, pcap=True)
    assert "new tcp connection from IP 10.0.0.1" in host.console_log("network")
    assert states(host, "netfront") == ["Initialised", "Connected"]
    back = next(iter(host.backends.values()))
    assert back.tx_frames > 0 and back.rx_frames > 0
    assert result.captures["br0"][:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")


def test_a_disk_the_xl_file_does_not_name_is_an_error(tmp_path):
    app, xl, name = xen_example("block", tmp_path)
    host = XenHost(tmp_path / "logs")
    host.create(
        xl.replace("target=disk.img", "target=other.img"), app, filename=name, disks={"other.img": lab.disk_image(8)}
    )
    with pytest.raises(SimulationError, match="no disk with target=disk.img"):
        host.run_guest()
