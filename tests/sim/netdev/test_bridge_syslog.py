"""The syslog reporters through the Linux bridge: a real ``socat`` listener receives the unikernel's log lines.

The bundled ``syslog`` example (``syslog_udp``; ``syslog_tcp`` and ``syslog_tls``
by editing one line of its config.ml) boots bridged to a Linux namespace at
10.0.0.1, where socat listens on UDP 514, TCP 514 or TLS 6514 (OpenSSL, the
test CA, client certificates required). tshark decodes the UDP capture's
syslog frames without a malformed frame or checksum error. Needs root,
``/dev/net/tun``, iproute2 and socat (skipped otherwise).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import load_unikernel
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.syslog import decode
from mirage_nb.sim.netdev.bridge import LinuxBridge, bridge_available, run_bridged_unikernel
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
from mirage_nb.sim.netdev.pki import write_test_pki

REASON = bridge_available()
pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=f"Linux bridge: {REASON}")]


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")


def app(tmp_path, reporter: str | None = None) -> str:
    d = str(tmp_path / "syslog")
    shutil.copytree(os.path.join(EXAMPLES_DIR, "syslog"), d)
    if reporter is not None:
        cfg = os.path.join(d, "config.ml")
        text = open(cfg).read().replace("let reporter = syslog_udp stack", f"let reporter = {reporter}")
        open(cfg, "w").write(text)
    return d


def listen(d: str, socat: list[str], argv: list[str], pcap=None) -> tuple[bytes, object]:
    """Boot the app in ``d`` (after a 2 s ``--delay``: socat is listening by then) and collect socat's output."""
    nodes = cli.nodes_of_graph(load(os.path.join(d, "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    uk = load_unikernel(os.path.join(d, "unikernel.py"))

    def linux(br: LinuxBridge) -> bytes:
        p = br.popen("socat", "-u", *socat, "STDOUT", text=False)
        try:
            assert br.wait_for_console("stack assembled", timeout=30), "the unikernel never booted"
            time.sleep(6)  # four hellos, one a second
        finally:
            p.terminate()
            out, err = p.communicate(timeout=20)
        assert p.returncode in (0, -15, 143), err
        return out

    argv = ["--ipv4", "10.0.0.2/24", "--delay=2", *argv]
    r = run_bridged_unikernel(nodes, uk, linux, argv=argv, pcap=pcap, until="30s")
    return r.linux, r


def test_socat_receives_udp_syslog_and_tshark_decodes_it(tmp_path):
    need("socat", "socat")
    buf = io.BytesIO()
    out, r = listen(app(tmp_path), ["UDP-RECV:514"], ["--syslog=10.0.0.1"], pcap=PcapWriter(buf))
    lines = [x.encode() for x in re.findall(r"<30>.*?hello", out.decode())]
    assert len(lines) >= 3, out
    assert all(decode(x).hostname == "syslog" and decode(x).tag == "application" for x in lines)
    assert "hello" not in "\n".join(r.run.lines)  # the console reporter was replaced
    if shutil.which("tshark") is not None:
        f = tmp_path / "run.pcap"
        f.write_bytes(buf.getvalue())
        common = ["tshark", "-r", str(f), "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
        bad = subprocess.run(
            [*common, "-Y", '_ws.malformed || udp.checksum.status == "Bad" || _ws.expert.severity == "error"'],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        shown = subprocess.run(
            [
                *common,
                "-Y",
                "syslog",
                "-T",
                "fields",
                "-e",
                "syslog.level",
                "-e",
                "syslog.facility",
                "-e",
                "syslog.msg",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.splitlines()
        assert bad.strip() == "", bad
        assert len(shown) >= 3 and shown[0].split("\t")[:2] == ["6", "3"], shown


def test_socat_receives_nul_framed_tcp_syslog(tmp_path):
    need("socat", "socat")
    d = app(tmp_path, "syslog_tcp stack")
    buf = io.BytesIO()
    argv = ["--syslog=10.0.0.1", "--syslog-truncate=1024"]
    out, _ = listen(d, ["TCP-LISTEN:514,reuseaddr"], argv, pcap=PcapWriter(buf))
    records = out.split(b"\x00")
    assert records[-1] == b"" and len(records) >= 4, out
    assert [decode(x).text for x in records[:-1]] == ["hello"] * (len(records) - 1)
    if shutil.which("tshark") is not None:  # syslog over TCP is not on a registered port: decode it as syslog
        f = tmp_path / "run.pcap"
        f.write_bytes(buf.getvalue())
        cmd = ["tshark", "-r", str(f), "-o", "tcp.check_checksum:TRUE", "-d", "tcp.port==514,syslog"]
        bad = subprocess.run([*cmd, "-Y", '_ws.malformed || tcp.checksum.status == "Bad"'], **_RUN).stdout
        shown = subprocess.run([*cmd, "-Y", "syslog", "-T", "fields", "-e", "syslog.level"], **_RUN).stdout
        assert bad.strip() == "", bad
        assert shown.split() == ["6"] * (len(records) - 1), shown


_RUN = {"capture_output": True, "text": True, "timeout": 120, "check": True}


def test_socat_receives_syslog_over_tls_with_a_client_certificate(tmp_path):
    need("socat", "socat")
    d = app(tmp_path, 'syslog_tls stack (generic_kv_ro "tls")')
    pki = write_test_pki(os.path.join(d, "tls"), ["10.0.0.1", "10.0.0.2"])
    host = tmp_path / "host"
    host.mkdir()
    for name, data in (("cert.pem", pki.cert), ("key.pem", pki.key), ("ca.pem", pki.ca)):
        (host / name).write_bytes(data)
    files = f"cert={host / 'cert.pem'},key={host / 'key.pem'},cafile={host / 'ca.pem'}"
    ssl = f"OPENSSL-LISTEN:6514,reuseaddr,{files},verify=1"
    argv = ["--syslog=10.0.0.1", "--syslog-port=6514", "--syslog-truncate=1024"]
    out, _ = listen(d, [ssl], argv)
    records = out.split(b"\x00")
    assert len(records) >= 4, out
    assert [decode(x).text for x in records[:-1]] == ["hello"] * (len(records) - 1)
