"""Real ``curl`` against the bundled static_website_tls unikernel through the Linux bridge, and tshark on the capture.

The unikernel boots from the engine's graph of the example's config.ml
(static 10.0.0.2/24), with a test CA and certificate made here. curl fetches
over http (the redirect) and https (TLS 1.2 and 1.3, trusting the test CA),
and must get the htdocs files byte for byte; tshark must decode every HTTP
and TLS frame of the capture without a malformed packet or a bad checksum.
Needs root, ``/dev/net/tun``, iproute2 and curl (skipped otherwise).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import load_unikernel
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.netdev.bridge import LinuxBridge, bridge_available, run_bridged_unikernel
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
from mirage_nb.sim.netdev.pki import write_test_pki

REASON = bridge_available()
pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=f"Linux bridge: {REASON}")]
UK = "10.0.0.2"
TSHARK = shutil.which("tshark")
CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]


@pytest.fixture
def site(tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (apt-get install curl)")
    d = tmp_path / "static_website_tls"
    shutil.copytree(os.path.join(EXAMPLES_DIR, "static_website_tls"), d)
    pki = write_test_pki(str(d / "tls"), [UK])
    (tmp_path / "ca.pem").write_bytes(pki.ca)
    return d, tmp_path / "ca.pem"


def test_curl_fetches_the_static_website_over_http_and_https_and_tshark_decodes_it(site, tmp_path):
    d, ca = site
    nodes = cli.nodes_of_graph(load(str(d / "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    out = tmp_path / "out"
    out.mkdir()

    def linux(br: LinuxBridge) -> list[subprocess.CompletedProcess[str]]:
        assert br.wait_for_console("listening for HTTP on 80/TCP"), "the unikernel never listened"
        curl = ["curl", "-sS", "--max-time", "20"]
        return [
            br.exec(*curl, "-D", str(out / "redirect.h"), "-o", str(out / "redirect"), f"http://{UK}/", timeout=30),
            br.exec(
                *curl,
                "--cacert",
                str(ca),
                "--tlsv1.3",
                "-D",
                str(out / "index.h"),
                "-o",
                str(out / "index.html"),
                f"https://{UK}/",
                timeout=30,
            ),  # fmt: skip
            br.exec(
                *curl,
                "--cacert",
                str(ca),
                "--tlsv1.2",
                "--tls-max",
                "1.2",
                "-o",
                str(out / "style.css"),
                f"https://{UK}/style.css",
                timeout=30,
            ),  # fmt: skip
            br.exec(
                *curl,
                "--cacert",
                str(ca),
                "-o",
                str(out / "missing"),
                "-w",
                "%{http_code}",
                f"https://{UK}/missing.html",
                timeout=30,
            ),  # fmt: skip
            br.exec(
                *curl, "-L", "--cacert", str(ca), "-o", str(out / "followed"), f"http://{UK}/style.css", timeout=30
            ),  # fmt: skip
        ]

    buf = io.BytesIO()
    r = run_bridged_unikernel(
        nodes, load_unikernel(str(d / "unikernel.py")), linux, argv=[f"--ipv4={UK}/24"], pcap=PcapWriter(buf)
    )
    for p in r.linux:
        assert p.returncode == 0, (p.args, p.stdout, p.stderr)
    redirect_h = (out / "redirect.h").read_bytes().decode()
    assert redirect_h.startswith("HTTP/1.1 301 Moved Permanently\r\n")
    assert f"location: https://{UK}:443/\r\n" in redirect_h
    index_h = (out / "index.h").read_bytes().decode().lower()
    assert "strict-transport-security: max-age=31536000" in index_h and "content-type: text/html" in index_h
    htdocs = d / "htdocs"
    assert (out / "index.html").read_bytes() == (htdocs / "index.html").read_bytes()
    assert (out / "style.css").read_bytes() == (htdocs / "style.css").read_bytes()
    assert (out / "followed").read_bytes() == (htdocs / "style.css").read_bytes()
    assert r.linux[3].stdout == "404" and (out / "missing").read_bytes() == b"Not found"
    assert any("[INFO] [https] [2] serving //10.0.0.2/." in line for line in r.run.lines)

    if TSHARK is None:
        pytest.skip("tshark not installed (apt-get install tshark): the capture was not decoded")
    pcap = tmp_path / "site.pcap"
    pcap.write_bytes(buf.getvalue())
    frames = read_pcap(pcap.read_bytes())

    def tshark(*args: str) -> str:
        cmd = [TSHARK, "-r", str(pcap), *CHECKS, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout

    summary = tshark("-z", "expert,error", "-q")
    assert "Errors" not in summary, summary
    fields = tshark("-T", "fields", "-e", "frame.number", "-e", "_ws.malformed", "-e", "tcp.checksum.status")
    rows = [line.split("\t") for line in fields.splitlines()]
    assert len(rows) == len(frames)
    assert all(row[1] == "" for row in rows), [row for row in rows if row[1]]
    # tcp.checksum.status: 0 bad, 1 good, 2 unverified
    assert all(row[2] in ("", "1") for row in rows), [row for row in rows if row[2] not in ("", "1")]
    protos = tshark("-T", "fields", "-e", "frame.protocols").split()
    assert any(p.endswith(":http") for p in protos)
    tls = tshark("-Y", "tls", "-T", "fields", "-e", "tls.record.version", "-e", "tls.handshake.type")
    assert "0x0303" in tls  # TLS 1.2 records (TLS 1.3 records also carry 0x0303)
    hello = tshark("-Y", "tls.handshake.type == 2", "-T", "fields", "-e", "tls.handshake.extensions.supported_version")
    assert "0x0304" in hello  # one server hello chose TLS 1.3


def test_plain_text_to_the_https_port_gets_a_tls_alert_and_the_site_still_serves(site):
    d, ca = site
    nodes = cli.nodes_of_graph(load(str(d / "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    if shutil.which("nc") is None:
        pytest.skip("nc is not installed (apt-get install netcat-openbsd)")

    def linux(br: LinuxBridge) -> list[subprocess.CompletedProcess[str]]:
        assert br.wait_for_console("listening for HTTP on 80/TCP"), "the unikernel never listened"
        garbage = f"printf 'GET / HTTP/1.1\\r\\nHost: {UK}\\r\\n\\r\\n' | nc -w 5 {UK} 443 | od -An -tx1"
        return [
            br.exec("sh", "-c", garbage, timeout=30),
            br.exec("curl", "-sS", "--max-time", "20", "--cacert", str(ca), f"https://{UK}/", timeout=30),
        ]

    r = run_bridged_unikernel(nodes, load_unikernel(str(d / "unikernel.py")), linux, argv=[f"--ipv4={UK}/24"])
    alert, page = r.linux
    assert alert.stdout.split() == ["15", "03", "03", "00", "02", "02", "0a"], alert
    assert page.returncode == 0 and page.stdout.encode() == (d / "htdocs" / "index.html").read_bytes()
    assert any("[INFO] [conduit_mirage] listen: TLS failure: HTTP_REQUEST" in line for line in r.run.lines)
