"""Issue 12's TLS bad-input check, to the letter: garbage gets an alert and a closed flow, and the run goes on.

test_http.py checks that the garbage sender gets an alert record and that the
next client is served; this checks the rest: the unikernel closes that TCP
flow itself (the sender sees the FIN well before its own timeout), for
garbage of any shape, and nothing escapes into the run as an exception.
"""

from __future__ import annotations

import os
import shutil

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.pki import write_test_pki
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep

GARBAGE = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # plaintext HTTP to the TLS port
    b"\x16\x03\x01\x00\x05hello",  # a handshake record header with a nonsense body
    b"\x17\x03\x03\x00\x10" + bytes(16),  # application data before any handshake
    bytes(range(256)) * 4,
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=["http", "bad-hello", "early-data", "bytes"])
def test_tls_garbage_gets_an_alert_and_the_unikernel_closes_the_flow(tmp_path, garbage):
    d = str(tmp_path / "site")
    shutil.copytree(os.path.join(EXAMPLES_DIR, "static_website_tls"), d)
    write_test_pki(os.path.join(d, "tls"), ["10.0.0.2"])
    nodes = cli.nodes_of_graph(load(os.path.join(d, "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    run = Run(seed=0, argv=["--ipv4=10.0.0.2/24"], name="https", until="20s")
    peer = Peer(VirtualLan.of_run(run), name="bad", cidr="10.0.0.1/24")
    box: dict[str, object] = {}

    async def go() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        f = await peer.connect("10.0.0.2", 443)
        await peer.send(f, garbage)
        box["closed"] = await peer.wait_closed(f, Duration.of_sec(5))
        box["data"] = bytes(f.data)
        box["at"] = run.now
        await peer.close(f)

    peer.script(go)
    r = boot(nodes, load_unikernel(os.path.join(d, "unikernel.py")), run=run, connectors=NET_CONNECTORS, data_dir=d)
    data = box["data"]
    assert isinstance(data, bytes) and data[:1] == b"\x15" and data[5:6] == b"\x02", data[:16]  # a fatal alert
    assert box["closed"] is True and box["at"] < Duration.of_sec(3)  # closed by the unikernel, not by a timeout
    assert r.exit_code is None and "until" in r.note  # the run went on to its limit
    assert any("listen: TLS failure" in line for line in r.lines)
