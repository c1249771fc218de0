"""The ``http`` and ``http-fetch`` examples, HTTP/2 over ALPN, ``paf_client`` and happy eyeballs, on virtual LANs.

``http`` (mirage-skeleton applications/http, ``minipaf``) serves HTTP/1.1 on
8080 and, with ``--tls``, HTTP/2 or HTTP/1.1 on 4343 as ALPN decides;
``http-fetch`` (device-usage/http-fetch) fetches a URI through
``resolver_dns`` and conduit's TLS, here the ``http`` example found by a DNS
peer. A ``paf_client`` unikernel (``Http_mirage_client``) reaches the same
site over HTTP/2 through mimic and happy eyeballs, which races IPv6 and IPv4.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket

import dpkt
import pytest

from mirage_nb.loader import load_config
from mirage_nb.sim.netdev.dns_peer import DnsServerPeer
from mirage_nb.sim.netdev.http_examples import SITE_ZONE, http_example_dir, run_http_example, run_http_fetch
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.pki import make_test_pki
from mirage_nb.sim.network import Network

UK = "10.0.0.2"
SEED = "Vau9IWDa4Jg="


@pytest.fixture(scope="module")
def pki():
    return make_test_pki([UK, "www.example.test"])


def serve(pki, urls, *, argv=("--tls",), http2=True, keep_alive=False, until="20s", requests=None):
    peers: list[HttpPeer] = []

    def setup(lan):
        web = HttpPeer.on(lan, ca=pki.ca, http2=http2)
        peers.append(web)
        if requests is None:
            web.fetch(urls, at="2s", keep_alive=keep_alive)
        else:

            async def go():
                await web.run.sleep_ns(2_000_000_000)
                for method, url, headers, body in requests:
                    web.responses.append(await web.request(method, url, headers=headers, body=body))

            web.peer.script(go)

    r = run_http_example("http", pki=pki, argv=[f"--ipv4={UK}/24", *argv], setup=setup, until=until)
    return r, peers[0]


def test_http_example_speaks_http1_in_clear_and_h2_over_tls_by_alpn(pki):
    urls = [f"http://{UK}:8080/", f"https://{UK}:4343/", f"https://{UK}:4343/nope", f"http://{UK}:8080/nope"]
    _r, web = serve(pki, urls)
    assert web.errors == []
    plain, tls, tls404, plain404 = web.responses
    assert (plain.http_version, plain.status, plain.reason) == ("HTTP/1.1", 200, "root")
    assert (tls.http_version, tls.status, tls.tls_version) == ("HTTP/2", 200, "TLSv1.3")
    assert plain.body == tls.body and tls.body.startswith(b"Hello from a simulated MirageOS unikernel!")
    assert plain.header("connection") == "close" and tls.header("connection") is None  # not HTTP/2
    assert (tls404.status, tls404.body) == (404, b"Not found.")
    assert (plain404.status, plain404.reason, plain404.body) == (404, "not-found", b"Not found.")


def test_random_and_hash_agree_across_protocols_and_transmit_echoes_past_the_flow_control_window(pki):
    seed = [("x-length", "15000"), ("x-seed", SEED)]
    big = bytes(range(256)) * 400  # 102400 bytes: more than HTTP/2's initial 65535-byte window
    reqs = [
        ("GET", f"https://{UK}:4343/random", seed, b""),
        ("GET", f"http://{UK}:8080/hash", seed, b""),
        ("GET", f"https://{UK}:4343/hash", seed, b""),
        ("POST", f"https://{UK}:4343/transmit", [("content-type", "application/x-test")], big),
        ("POST", f"http://{UK}:8080/transmit", [], big),
        ("GET", f"https://{UK}:4343/random", [("x-length", "12x")], b""),
    ]
    _r, web = serve(pki, None, requests=reqs, until="60s")
    random_h2, hash_h1, hash_h2, echo_h2, echo_h1, bad = web.responses
    raw = base64.b64decode(random_h2.body.replace(b"\r\n", b""))
    assert len(raw) == 15000 and all(len(line) <= 76 for line in random_h2.body.split(b"\r\n"))
    assert hash_h1.body.decode() == hash_h2.body.decode() == hashlib.sha256(raw).hexdigest()
    assert hash_h1.header("connection") == "close" and hash_h2.header("connection") is None
    assert echo_h2.http_version == "HTTP/2" and echo_h2.body == big
    assert echo_h2.header("content-type") == "application/x-test"
    assert echo_h1.header("transfer-encoding") == "chunked" and echo_h1.body == big
    assert (bad.status, bad.body) == (400, b"Invalid length.")


def test_if_none_match_with_the_hash_gets_304(pki):
    seed = [("x-length", "100"), ("x-seed", SEED)]
    first = ("GET", f"https://{UK}:4343/hash", seed, b"")
    _r, web = serve(pki, None, requests=[first], until="10s")
    etag = hashlib.sha256(web.responses[0].body).hexdigest()
    again = ("GET", f"https://{UK}:4343/hash", [*seed, ("if-none-match", f"x,{etag}")], b"")
    _r, web = serve(pki, None, requests=[first, again], until="10s")
    assert web.responses[1].status == 304 and web.responses[1].header("etag") == etag


def test_alpn_http11_only_makes_an_h2_client_fall_back(pki):
    _r, web = serve(pki, [f"https://{UK}:4343/"], argv=("--tls", "--alpn=http/1.1"))
    assert [x.http_version for x in web.responses] == ["HTTP/1.1"]


def test_without_tls_only_the_clear_port_listens(pki):
    _r, web = serve(pki, [f"http://{UK}:8080/", f"https://{UK}:4343/"], argv=())
    assert [x.status for x in web.responses] == [200]
    assert web.errors and web.errors[0][0] == f"https://{UK}:4343/"


def test_h2_keeps_one_connection_for_several_requests(pki):
    urls = [f"https://{UK}:4343/"] * 3
    r, web = serve(pki, urls, keep_alive=True)
    assert [x.http_version for x in web.responses] == ["HTTP/2"] * 3
    assert [x.status for x in web.responses] == [200] * 3


def test_http_fetch_finds_the_site_through_dns_and_prints_cohttp_s_response(pki):
    r = run_http_fetch(pki=pki)
    out = r.output
    assert "Fetching https://www.example.test/ with Cohttp\n" in out
    app = [line.split(": ", 1)[1] for line in r.lines if "[application]" in line]
    assert app[0].startswith(" [application] ((encoding (Fixed 390))")
    assert "(status OK)" in out and "(version HTTP_1_1)" in out
    assert " [application] Received body length: 390" in app
    assert " [application] Cohttp fetch done" in app
    assert r.run.exit_code == 0


def test_http_fetch_of_an_unknown_name_fails_with_conduit_s_message(pki):
    r = run_http_fetch(pki=pki, uri="https://nowhere.example.test/")
    assert "resolution failed" in str(r.run)
    assert r.run.exit_code not in (0, None)


PAF_CONFIG = """open Mirage

let client = main "Unikernel.Main" (alpn_client @-> job)

let () =
  let stack = generic_stackv4v6 default_network in
  let tcp = tcpv4v6_of_stackv4v6 stack in
  let he = generic_happy_eyeballs stack in
  let dns = generic_dns_client stack he in
  let ctx = mimic_happy_eyeballs stack he dns in
  register "paf-fetch" [ client $ paf_client tcp ctx ]
"""

PAF_UNIKERNEL = """
from mirage_nb.unikernel import Arg, Error, Http_mirage_client, Logs, Mirage_runtime, Ok

uri = Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.string, "https://www.example.test/", Arg.info(["uri"]))))


class Main:
    def __init__(self, Client):
        self.Client = Client

    async def start(self, ctx):
        match await Http_mirage_client.request(ctx=ctx, uri=uri(), f=lambda _r, acc, s: acc + s, init=""):
            case Ok((response, body)):
                Logs.info(lambda m: m("%s %d: %d bytes", response.version, response.status, len(body)))
            case Error(e):
                Logs.err(lambda m: m("%s", str(e)))
"""


def _syns(capture: bytes) -> list[tuple[float, str]]:
    out = []
    for ts, buf in dpkt.pcap.Reader(io.BytesIO(capture)):
        ip = dpkt.ethernet.Ethernet(buf).data
        tcp = getattr(ip, "data", None)
        if isinstance(tcp, dpkt.tcp.TCP) and tcp.flags & dpkt.tcp.TH_SYN and not tcp.flags & dpkt.tcp.TH_ACK:
            fam = socket.AF_INET6 if isinstance(ip, dpkt.ip6.IP6) else socket.AF_INET
            out.append((ts, socket.inet_ntop(fam, ip.dst)))
    return out


def _paf_fetch(tmp_path, pki, zone_extra: str, site_argv: list[str]):
    (tmp_path / "config.ml").write_text(PAF_CONFIG)
    (tmp_path / "unikernel.py").write_text(PAF_UNIKERNEL)
    site, tmp = http_example_dir("http", pki)
    zone = SITE_ZONE.format(dns="10.0.0.53", site="10.0.0.3") + zone_extra
    argv = ["--ipv4=10.0.0.2/24", "--ipv6=fd00::2/64", "--dns-servers=udp:10.0.0.53"]
    net = (
        Network()
        .unikernel("fetch", load_config(str(tmp_path / "config.ml")), argv=argv, net="direct", no_dhcp=True)
        .unikernel("site", load_config(os.path.join(site, "config.ml")), argv=site_argv, net="direct", no_dhcp=True)
    )
    return net.run(until="30s", pcap=True, on_lan=lambda _n, lan: DnsServerPeer(lan, cidr="10.0.0.53/24", zones=[zone]))


def test_paf_client_fetches_over_h2_and_happy_eyeballs_skips_an_ipv6_address_nobody_answers(tmp_path, pki):
    r = _paf_fetch(tmp_path, pki, "www IN AAAA fd00::99\n", ["--ipv4=10.0.0.3/24", "--tls", "--tls-port=443"])
    assert any(line.endswith("[INFO] [application] HTTP/2 200: 390 bytes") for line in r.lines), r.output
    capture = r.capture
    syns = _syns(capture)
    assert [dst for _, dst in syns] == ["10.0.0.3"]  # fd00::99 never got a SYN: no neighbour answered
    # The IPv6 attempt went first (neighbour discovery for fd00::99); IPv4 one connection attempt delay later.
    lookups = [ts for ts, buf in dpkt.pcap.Reader(io.BytesIO(capture)) if b"\xfd\x00" + b"\x00" * 13 + b"\x99" in buf]
    assert lookups and round((syns[0][0] - lookups[0]) * 1000) == 50


def test_paf_client_connects_over_ipv6_at_once_when_the_site_answers_there(tmp_path, pki):
    site_argv = ["--ipv4=10.0.0.3/24", "--ipv6=fd00::3/64", "--tls", "--tls-port=443"]
    r = _paf_fetch(tmp_path, pki, "www IN AAAA fd00::3\n", site_argv)
    assert any(line.endswith("[INFO] [application] HTTP/2 200: 390 bytes") for line in r.lines), r.output
    capture = r.capture
    assert [dst for _, dst in _syns(capture)][:1] == ["fd00::3"]


def test_an_h2_peer_sending_garbage_gets_goaway_and_the_server_keeps_serving(pki):
    from mirage_nb.sim.net.tls import TlsSession, client_context

    got: dict[str, bytes] = {}

    def setup(lan):
        web = HttpPeer.on(lan, ca=pki.ca, http2=True)

        async def go():
            await web.run.sleep_ns(2_000_000_000)
            ctx = client_context(pki.ca)
            ctx.check_hostname = False
            ctx.set_alpn_protocols(["h2"])
            c = await web._open(UK, 4343, False)
            c.tls = TlsSession(ctx, server=False)
            while not c.tls.handshake():
                await web._tls_pump(c)
                c.tls.receive(await web._recv(c.flow))
            await web._tls_pump(c)
            # the preface, then a frame of an unknown length on stream 0 claiming to be HEADERS
            await web._send(c, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x04\x01\x05\x00\x00\x00\x00junk")
            data = b""
            while True:
                d = await web._read(c)
                if not d:
                    break
                data += d
            got["reply"] = data
            web.responses.append(await web.get(f"https://{UK}:4343/"))

        web.peer.script(go)
        got["web"] = web  # type: ignore[assignment]

    run_http_example("http", pki=pki, argv=[f"--ipv4={UK}/24", "--tls"], setup=setup, until="20s")
    reply = got["reply"]
    frames = []
    while len(reply) >= 9:
        n = int.from_bytes(reply[:3], "big")
        frames.append(reply[3])
        reply = reply[9 + n :]
    assert frames[0] == 4 and 7 in frames  # our SETTINGS first, then a GOAWAY for the protocol error
    web = got["web"]
    assert [r.status for r in web.responses] == [200]  # type: ignore[attr-defined]


def test_connect_turns_the_http11_port_into_a_tunnel_through_happy_eyeballs(pki):
    got: dict[str, bytes] = {}

    def setup(lan):
        web = HttpPeer.on(lan, ca=pki.ca)
        web.peer.tcp.listen(9000)  # the tunnel's far end: the peer itself, on another port

        async def go():
            await web.run.sleep_ns(2_000_000_000)
            f = await web.peer.connect(UK, 8080)
            head = b"CONNECT 10.0.0.1:9000 HTTP/1.1\r\nHost: 10.0.0.1:9000\r\n\r\n"
            await web.peer.send(f, head + b"ping")  # the tunnelled bytes right behind the CONNECT
            await web.peer.wait_bytes(f, 40, 5_000_000_000)
            far = next(pf for pf in web.peer.flows.values() if pf is not f)
            await web.peer.wait_bytes(far, 4, 5_000_000_000)
            got["far"] = bytes(far.data)
            await web.peer.send(far, b"pong")
            await web.peer.close(far)
            await web.peer.wait_closed(f, 5_000_000_000)
            got["tunnel"] = bytes(f.data)
            f2 = await web.peer.connect(UK, 8080)
            await web.peer.send(f2, b"CONNECT nowhere.invalid:80 HTTP/1.1\r\nHost: nowhere.invalid:80\r\n\r\n")
            await web.peer.wait_closed(f2, 20_000_000_000)
            got["bad"] = bytes(f2.data)

        web.peer.script(go)

    r = run_http_example("http", pki=pki, argv=[f"--ipv4={UK}/24", "-l", "server:debug"], setup=setup, until="60s")
    first, _, rest = got["tunnel"].partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 CONNECT\r\n") and b"connection: close" in first.lower()
    assert got["far"] == b"ping" and rest == b"pong"
    assert got["bad"].startswith(b"HTTP/1.1 400 CONNECT\r\n")
    assert got["bad"].endswith(b'Invalid URI: "http://nowhere.invalid:80"')
    assert any("[DEBUG] [server] Start to transmit data over HTTP/1.1." in line for line in r.lines)
    assert any("[DEBUG] [server] Connection closed properly on both side." in line for line in r.lines)
    assert any('[ERROR] [server] Got an error while connection to "http://nowhere.invalid:80"' in x for x in r.lines)


def test_head_over_h2_gets_the_headers_without_a_body(pki):
    _r, web = serve(pki, None, requests=[("HEAD", f"https://{UK}:4343/", [], b"")], until="10s")
    (res,) = web.responses
    assert (res.http_version, res.status, res.header("content-length"), res.body) == ("HTTP/2", 200, "390", b"")


def test_without_a_certificate_tls_fails_at_start_and_plain_http_needs_none():
    r = run_http_example("http", argv=[f"--ipv4={UK}/24", "--tls"], until="5s")
    assert (
        r.exit_code == 2 and r.lines[-1] == 'Fatal error: exception Failure("TLS configuration error: no certificate.")'
    )
    peers = []
    r = run_http_example(
        "http", setup=lambda lan: peers.append(HttpPeer.on(lan)) or peers[0].fetch(f"http://{UK}:8080/"), until="5s"
    )
    assert [x.status for x in peers[0].responses] == [200]


def test_tshark_decodes_every_frame_of_an_http_fetch_run(pki, tmp_path):
    import shutil
    import subprocess

    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark not installed (apt-get install tshark)")
    r = run_http_fetch(pki=pki, pcap=True)
    pcap = tmp_path / "fetch.pcap"
    pcap.write_bytes(r.capture)
    checks = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]

    def run(*args: str) -> str:
        return subprocess.run(
            [tshark, "-r", str(pcap), *checks, *args], capture_output=True, text=True, check=True
        ).stdout

    assert "Errors" not in run("-z", "expert,error", "-q")
    rows = [
        line.split("\t")
        for line in run("-T", "fields", "-e", "_ws.malformed", "-e", "tcp.checksum.status").splitlines()
    ]
    assert rows and all(row[0] == "" for row in rows) and all(row[1] in ("", "1") for row in rows)
    protos = run("-T", "fields", "-e", "frame.protocols").split()
    assert any(p.endswith(":dns") for p in protos) and any(":tls" in p for p in protos)
    names = run("-Y", "dns.flags.response == 1", "-T", "fields", "-e", "dns.a").split()
    assert "10.0.0.3" in names
