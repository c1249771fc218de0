"""paf's ``http_server`` device (``paf_server ~port tcpv4v6``) booted from a config.ml, with httpaf's API.

The config and unikernel are written here (the skeleton's ``applications/http``
needs mimic, happy-eyeballs and DNS): requests answered with a string or a
streamed body, keep-alive, a chunked request body, a malformed request
answered through ``error_handler``, and the same service over TLS
(``https_service ~tls``) with a certificate from a kv_ro.
"""

from __future__ import annotations

import textwrap

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.kinds import NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.pki import write_test_pki
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep

CONFIG = """\
open Mirage

let stack = generic_stackv4v6 default_network
let tcp = tcpv4v6_of_stackv4v6 stack
let certs = generic_kv_ro "tls"
let port = Runtime_arg.create ~pos:__POS__ "Unikernel.port"
let server = paf_server ~port tcp
let main = main "Unikernel.Make" (kv_ro @-> http_server @-> job)
let () = register "paf" [ main $ certs $ server ]
"""

UNIKERNEL = """\
from mirage_nb.unikernel import (
    H1, Arg, Duration, Error, Initialized, Logs, Lwt, Mirage_runtime, Mirage_sleep, Ok, Paf, Tls, Tls_mirage,
)

port = Arg.value(Arg.opt(Arg.int, 8080, Arg.info(["p", "port"], doc="Port of HTTP service.")))
use_tls = Mirage_runtime.register_arg(Arg.value(Arg.flag(Arg.info(["tls"], doc="Serve over TLS."))))


class Make:
    def __init__(self, KEYS, HTTP_server):
        self.X509 = Tls_mirage.X509(KEYS)
        self.HTTP = HTTP_server

    async def start(self, keys, http_server):
        def request_handler(flow, dst):
            def handle(reqd):
                req = H1.Reqd.request(reqd)
                Logs.info("%s %s from %s", req.meth, req.target, str(dst[0]))
                if req.target == "/stream":
                    w = H1.Reqd.respond_with_streaming(reqd, H1.Response.create("OK"))

                    async def feed():
                        for i in range(3):
                            await Mirage_sleep.ns(Duration.of_ms(100))
                            H1.Body.Writer.write_string(w, f"part {i}\\n")
                        H1.Body.Writer.close(w)

                    Lwt.async_(feed)
                    return
                got = []
                H1.Body.Reader.schedule_read(
                    H1.Reqd.request_body(reqd), on_eof=lambda: None, on_read=lambda b, off, len: got.append(len)
                )
                body = f"{req.meth} {req.target} {sum(got)}\\n"
                headers = H1.Headers.of_list([("content-length", str(len(body)))])
                H1.Reqd.respond_with_string(reqd, H1.Response.create("OK", headers=headers), body)

            return handle

        def error_handler(dst):
            def handle(error, start_response):
                w = start_response(H1.Headers.of_list([("content-type", "text/plain")]))
                H1.Body.Writer.write_string(w, "bad request\\n")
                H1.Body.Writer.close(w)

            return handle

        if use_tls():
            cert = await self.X509.certificate(keys, "Default")
            match Tls.Config.server(certificates=("Single", cert)):
                case Ok(tls):
                    service = self.HTTP.https_service(
                        tls=tls, error_handler=error_handler, request_handler=request_handler
                    )
                case Error(e):
                    raise ValueError(str(e))
        else:
            service = self.HTTP.http_service(error_handler=error_handler, request_handler=request_handler)
        match Paf.serve(service, http_server):
            case Initialized(th):
                await th
"""


@pytest.fixture
def app(tmp_path):
    (tmp_path / "config.ml").write_text(CONFIG)
    (tmp_path / "unikernel.py").write_text(textwrap.dedent(UNIKERNEL))
    pki = write_test_pki(str(tmp_path / "tls"), ["10.0.0.2"])
    return tmp_path, pki


def run(d, argv, script, pki=None):
    nodes = cli.nodes_of_graph(load(str(d / "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    r = Run(seed=0, argv=["--ipv4=10.0.0.2/24", *argv], name="paf", until="10s")
    lan = VirtualLan.of_run(r)
    web = HttpPeer.on(lan, ca=pki.ca if pki else None)
    box: dict = {}

    async def go():
        await Mirage_sleep.ns(Duration.of_sec(2))
        await script(web, box)

    web.peer.script(go)
    result = boot(nodes, load_unikernel(str(d / "unikernel.py")), run=r, connectors=NET_CONNECTORS)
    return result, box, nodes


def test_the_graph_has_the_paf_server_and_the_tcp_of_the_stack(app):
    d, _ = app
    nodes = cli.nodes_of_graph(load(str(d / "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    kinds = {n.module_name: n for n in nodes}
    assert kinds["Tcpip_stack_direct.TCPV4V6"].kind == "tcpv4v6_of_stack"
    paf = kinds["Paf_mirage.Make"]
    assert paf.kind == "paf_server" and [r.key for r in paf.runtime_args] == ["Unikernel.port"]


def test_strings_streams_keep_alive_and_a_malformed_request(app):
    d, _ = app

    async def script(web, box):
        box["a"] = await web.get("http://10.0.0.2:8081/x", keep_alive=True)
        box["b"] = await web.request("POST", "http://10.0.0.2:8081/y", body=b"12345", chunked=True, keep_alive=True)
        box["c"] = await web.get("http://10.0.0.2:8081/stream")
        box["d"] = await web.raw("10.0.0.2", 8081, b"BAD\r\n\r\n")
        box["e"] = await web.get("http://10.0.0.2:8081/after")

    r, box, _ = run(d, ["--port=8081"], script)
    assert (box["a"].status, box["a"].body) == (200, b"GET /x 0\n")
    assert (box["b"].status, box["b"].body) == (200, b"POST /y 5\n")
    assert box["c"].body == b"part 0\npart 1\npart 2\n" and box["c"].header("transfer-encoding") == "chunked"
    assert box["c"].at_ns >= Duration.of_sec(2) + Duration.of_ms(300)  # the parts came 100 ms apart
    assert box["d"] == (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n"
        b"connection: close\r\n\r\nbad request\n"
    )
    assert box["e"].body == b"GET /after 0\n"
    logged = [line.split("[application] ")[1] for line in r.lines if "[application]" in line]
    assert logged == [
        "GET /x from 10.0.0.1",
        "POST /y from 10.0.0.1",
        "GET /stream from 10.0.0.1",
        "GET /after from 10.0.0.1",
    ]


def test_the_same_service_over_tls(app):
    d, pki = app

    async def script(web, box):
        box["a"] = await web.get("https://10.0.0.2:8080/secure", keep_alive=True)
        box["b"] = await web.get("https://10.0.0.2:8080/stream")
        box["raw"] = await web.raw("10.0.0.2", 8080, b"plain text, not TLS\r\n\r\n")

    r, box, _ = run(d, ["--tls"], script, pki)
    assert box["a"].body == b"GET /secure 0\n" and box["a"].tls_version == "TLSv1.3"
    assert box["b"].body == b"part 0\npart 1\npart 2\n"
    assert box["raw"][:1] == b"\x15"
    assert any("[INFO] [paf-mirage] TLS handshake failed: TLS failure:" in line for line in r.lines)
