"""Real DNS and DHCP clients against the bundled dns_server and dhcp unikernels, through the Linux bridge.

``dig`` (bind9-dnsutils) asks the simulated authoritative server over UDP and
TCP; busybox's ``udhcpc`` gets a lease (DORA) from the simulated charrua server and releases it.
tshark then decodes every frame of the LAN's capture: no
malformed packet, no bad IP/UDP/TCP checksum. Needs root, ``/dev/net/tun``,
iproute2 and the tools (skipped otherwise).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import load_unikernel
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.netdev.bridge import LinuxBridge, bridge_available, run_bridged_unikernel
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR

REASON = bridge_available()
pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=f"Linux bridge: {REASON}")]


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")


def example(name: str, args: list[str]) -> tuple[list, object]:
    nodes = cli.nodes_of_graph(load(os.path.join(EXAMPLES_DIR, name, "config.ml")).configured(args))
    return nodes, load_unikernel(os.path.join(EXAMPLES_DIR, name, "unikernel.py"))


def tshark_problems(tmp_path, pcap: bytes, proto: str) -> tuple[int, str]:
    """How many ``proto`` frames tshark decodes, and the text of any malformed or bad-checksum frame."""
    f = tmp_path / "run.pcap"
    f.write_bytes(pcap)
    common = ["tshark", "-r", str(f), "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
    common += ["-o", "tcp.check_checksum:TRUE"]
    bad = subprocess.run(
        [
            *common,
            "-Y",
            '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" '
            '|| tcp.checksum.status == "Bad" || _ws.expert.severity == "error"',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    n = subprocess.run([*common, "-Y", proto], capture_output=True, text=True, timeout=120, check=True).stdout
    return len([line for line in n.splitlines() if line.strip()]), bad.strip()


def test_dig_gets_authoritative_answers_from_the_dns_server_unikernel(tmp_path):
    need("dig", "bind9-dnsutils")
    nodes, uk = example("dns_server", ["--no-dhcp", "--net=direct"])

    def linux(br: LinuxBridge) -> dict[str, str]:
        assert br.wait_for_console("serving example.org"), "the DNS server never started"
        dig = ["dig", "@10.0.0.2", "+tries=1", "+time=10"]
        out = {
            "a": br.exec(*dig, "www.example.org", "A", timeout=60).stdout,
            "short": br.exec(*dig, "+short", "web.example.org", "AAAA", timeout=60).stdout,
            "nx": br.exec(*dig, "nope.example.org", "A", timeout=60).stdout,
            "tcp": br.exec(*dig, "+tcp", "+short", "example.org", "MX", timeout=60).stdout,
            "refused": br.exec(*dig, "example.com", "A", timeout=60).stdout,
        }
        return out

    buf = io.BytesIO()
    r = run_bridged_unikernel(nodes, uk, linux, argv=["--ipv4", "10.0.0.2/24"], pcap=PcapWriter(buf))
    out = r.linux
    assert "status: NOERROR" in out["a"] and " aa" in out["a"].split("flags:")[1].split(";")[0], out["a"]
    assert "www.example.org.\t3600\tIN\tA\t10.0.0.80" in out["a"]
    assert out["short"].split() == ["www.example.org.", "fd00::80"]
    assert "status: NXDOMAIN" in out["nx"] and "IN\tSOA\tns1.example.org." in out["nx"]
    assert out["tcp"].strip() == "10 mail.example.org."
    assert "status: REFUSED" in out["refused"]
    if shutil.which("tshark") is not None:
        n, bad = tshark_problems(tmp_path, buf.getvalue(), "dns")
        assert n >= 10 and bad == "", bad


def test_udhcpc_gets_a_lease_from_the_dhcp_unikernel_and_releases_it(tmp_path):
    need("udhcpc", "udhcpc")
    nodes, uk = example("dhcp", [])
    script = tmp_path / "udhcpc.sh"  # on "bound", put the leased address on the interface (the release is sent from it)
    script.write_text('#!/bin/sh\ncase "$1" in bound) ip addr add "$ip/$mask" dev "$interface" ;; esac\nexit 0\n')
    script.chmod(0o755)

    def linux(br: LinuxBridge) -> tuple[str, bool]:
        assert br.wait_for_console("Sending gratuitous ARP"), "the DHCP server never started"
        # -f: stay in the foreground; -R: release on exit; SIGUSR2 asks it to release now
        cmd = ["udhcpc", "-i", br.device, "-f", "-R", "-t", "5", "-T", "3", "-s", str(script)]
        p = br.popen(*cmd, stderr=subprocess.STDOUT)
        try:
            assert br.wait_for_console("Message type DHCP ACK", timeout=60), "no DHCPACK"
            time.sleep(0.5)  # let udhcpc run its script and enter BOUND
            p.send_signal(signal.SIGUSR2)
            released = br.wait_for_console("Message type DHCP RELEASE", timeout=20)
        finally:
            p.terminate()
            out, _ = p.communicate(timeout=20)
        return out, released

    buf = io.BytesIO()
    r = run_bridged_unikernel(nodes, uk, linux, pcap=PcapWriter(buf), address="192.168.1.2/24")
    text, released = r.linux
    assert "lease of 192.168.1.70 obtained from 192.168.1.5, lease time 3600" in text, text
    out = "\n".join(r.run.lines)
    assert "Message type DHCP DISCOVER" in out and "Message type DHCP OFFER" in out
    assert "Message type DHCP REQUEST" in out and "Message type DHCP ACK" in out
    assert released and "updated lease database" in out, text  # the RELEASE freed the lease
    if shutil.which("tshark") is not None:
        n, bad = tshark_problems(tmp_path, buf.getvalue(), "dhcp")
        assert n >= 5 and bad == "", bad  # DISCOVER, OFFER, REQUEST, ACK, RELEASE
