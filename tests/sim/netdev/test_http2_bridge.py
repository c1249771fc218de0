"""Real ``curl --http2`` against the bundled ``http`` unikernel (``--tls``) through the Linux bridge, then tshark.

The unikernel boots from the engine's graph of the example's config.ml
(static 10.0.0.2/24) with a test CA and certificate; curl speaks HTTP/2
(ALPN ``h2``) and HTTP/1.1 to the HTTPS port and HTTP/1.1 to the plain one,
and gets the pages; ``/random`` and ``/hash`` agree across protocols.
tshark must decode every frame of the capture (HTTP/2 included, with the
TLS keys curl logged) without a malformed packet or a bad checksum.
Needs root, ``/dev/net/tun``, iproute2 and curl with HTTP/2 (skipped otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess

import pytest

from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.netdev.bridge import LinuxBridge, bridge_available
from mirage_nb.sim.netdev.http_examples import run_bridged_http_example
from mirage_nb.sim.netdev.pki import make_test_pki

REASON = bridge_available()
pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=f"Linux bridge: {REASON}")]
UK = "10.0.0.2"
TSHARK = shutil.which("tshark")
CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
SEED = "Vau9IWDa4Jg="


def _curl_has_http2() -> bool:
    if shutil.which("curl") is None:
        return False
    out = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
    return "HTTP2" in out


@pytest.mark.skipif(not _curl_has_http2(), reason="curl with HTTP/2 (nghttp2) is not installed")
def test_curl_http2_and_http1_against_the_http_example_and_tshark_decodes_every_frame(tmp_path):
    pki = make_test_pki([UK])
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca)
    keylog = tmp_path / "keys.log"
    out = tmp_path / "out"
    out.mkdir()

    def linux(br: LinuxBridge) -> list[subprocess.CompletedProcess[str]]:
        assert br.wait_for_console("Dual TCP/IP stack assembled"), "the unikernel never came up"
        curl = ["env", f"SSLKEYLOGFILE={keylog}", "curl", "-sS", "--max-time", "20", "--retry", "5"]
        curl += ["--retry-connrefused", "--cacert", str(ca)]
        return [
            br.exec(*curl, "--http2", "-w", "%{http_version}", "-o", str(out / "root2"), f"https://{UK}:4343/"),
            br.exec(*curl, "--http1.1", "-w", "%{http_version}", "-o", str(out / "root1"), f"https://{UK}:4343/"),
            br.exec(*curl, "-w", "%{http_version}", "-o", str(out / "plain"), f"http://{UK}:8080/"),
            br.exec(
                *curl,
                "--http2",
                "-H",
                "x-length:15000",
                "-H",
                f"x-seed:{SEED}",
                "-o",
                str(out / "random"),
                f"https://{UK}:4343/random",
            ),  # fmt: skip
            br.exec(
                *curl,
                "--http1.1",
                "-H",
                "x-length:15000",
                "-H",
                f"x-seed:{SEED}",
                "-o",
                str(out / "hash"),
                f"https://{UK}:4343/hash",
            ),  # fmt: skip
            br.exec(
                *curl,
                "--http2",
                "--data-binary",
                f"@{out / 'random'}",
                "-o",
                str(out / "transmit"),
                f"https://{UK}:4343/transmit",
            ),  # fmt: skip
            br.exec(*curl, "--http2", "-w", "%{http_code}", "-o", str(out / "nope"), f"https://{UK}:4343/nope"),
        ]

    buf = io.BytesIO()
    r = run_bridged_http_example("http", linux, pki=pki, argv=[f"--ipv4={UK}/24", "--tls"], pcap=PcapWriter(buf))
    for p in r.linux:
        assert p.returncode == 0, (p.args, p.stdout, p.stderr)
    h2, h1, plain, *_rest, nope = r.linux
    assert (h2.stdout, h1.stdout, plain.stdout) == ("2", "1.1", "1.1")
    assert (out / "root2").read_bytes() == (out / "root1").read_bytes() == (out / "plain").read_bytes()
    assert (out / "root2").read_bytes().startswith(b"Hello from a simulated MirageOS unikernel!")
    random_bytes = base64.b64decode((out / "random").read_bytes().replace(b"\r\n", b""))
    assert len(random_bytes) == 15000
    assert (out / "hash").read_bytes().decode() == hashlib.sha256(random_bytes).hexdigest()
    assert (out / "transmit").read_bytes() == (out / "random").read_bytes()
    assert nope.stdout == "404" and (out / "nope").read_bytes() == b"Not found."

    if TSHARK is None:
        pytest.skip("tshark not installed (apt-get install tshark): the capture was not decoded")
    pcap = tmp_path / "http.pcap"
    pcap.write_bytes(buf.getvalue())
    frames = read_pcap(pcap.read_bytes())
    keys = ["-o", f"tls.keylog_file:{keylog}", "-d", "tcp.port==4343,tls", "-d", "tcp.port==8080,http"]

    def tshark(*args: str) -> str:
        cmd = [TSHARK, "-r", str(pcap), *CHECKS, *keys, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout

    summary = tshark("-z", "expert,error", "-q")
    assert "Errors" not in summary, summary
    fields = tshark("-T", "fields", "-e", "frame.number", "-e", "_ws.malformed", "-e", "tcp.checksum.status")
    rows = [line.split("\t") for line in fields.splitlines()]
    assert len(rows) == len(frames)
    assert all(row[1] == "" for row in rows), [row for row in rows if row[1]]
    assert all(row[2] in ("", "1") for row in rows), [row for row in rows if row[2] not in ("", "1")]
    alpn = tshark("-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.extensions_alpn_str")
    assert {"h2", "http/1.1"} <= set(alpn.split())  # the server chose h2 for --http2, http/1.1 for --http1.1
    h2frames = tshark("-Y", "http2", "-T", "fields", "-e", "http2.type")
    types = {t for line in h2frames.split() for t in line.split(",")}
    assert {"0", "1", "4"} <= types, types  # DATA, HEADERS, SETTINGS decrypted and decoded
    status = tshark("-Y", "http2.headers.status", "-T", "fields", "-e", "http2.headers.status").split()
    assert "200" in status and "404" in status


def test_curl_through_the_unikernel_s_connect_proxy_reaches_a_linux_server(tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    www = tmp_path / "www"
    www.mkdir()
    (www / "hello.txt").write_bytes(b"hello from Linux\n")

    def linux(br: LinuxBridge) -> list[subprocess.CompletedProcess[str]]:
        import sys
        import time

        server = br.popen(sys.executable, "-m", "http.server", "--bind", "10.0.0.1", "--directory", str(www), "9000")
        try:
            time.sleep(1.0)
            assert br.wait_for_console("Dual TCP/IP stack assembled"), "the unikernel never came up"
            curl = ["curl", "-sS", "--max-time", "20", "--retry", "5", "--retry-connrefused"]
            return [br.exec(*curl, "-p", "--proxy", f"http://{UK}:8080", "http://10.0.0.1:9000/hello.txt", timeout=40)]
        finally:
            server.kill()

    r = run_bridged_http_example("http", linux, argv=[f"--ipv4={UK}/24", "-l", "server:debug"])
    (got,) = r.linux
    assert got.returncode == 0 and got.stdout == "hello from Linux\n", got
    lines = r.run.lines
    assert any("[DEBUG] [server] Start to transmit data over HTTP/1.1." in line for line in lines)
