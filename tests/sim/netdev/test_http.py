"""HTTP and HTTPS unikernels booted from the engine's graph, talked to by the scripted HTTP peer.

The bundled ``conduit_server`` and ``static_website_tls`` examples are read
by our config.ml reader, evaluated by the engine and booted with the
conduit/cohttp connectors; small unikernels written here cover chunked
bodies, keep-alive, a failing callback and the cohttp client.
"""

from __future__ import annotations

import os
import shutil
import types
from typing import Any

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS, attach_unikernel
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.pki import write_test_pki
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import (
    TCP,
    Cohttp,
    Cohttp_lwt,
    Cohttp_mirage,
    Duration,
    Logs,
    Mirage_sleep,
    Uri,
)

STATIC = ["--net=direct", "--no-dhcp"]


def nodes_of(config_dir: str, args: list[str] = STATIC) -> list[Any]:
    return cli.nodes_of_graph(load(os.path.join(config_dir, "config.ml")).configured(args))


def run_app(
    config_dir: str, setup, *, unikernel: Any = None, argv=("--ipv4=10.0.0.2/24",), until="30s", name="www"
) -> Any:
    run = Run(seed=0, argv=list(argv), name=name, until=until)
    lan = VirtualLan.of_run(run)
    setup(lan)
    uk = unikernel if unikernel is not None else load_unikernel(os.path.join(config_dir, "unikernel.py"))
    return boot(nodes_of(config_dir), uk, run=run, connectors=NET_CONNECTORS, data_dir=config_dir)


@pytest.fixture
def website(tmp_path):
    """A copy of static_website_tls with a fresh test CA and certificate in its tls/ directory."""
    d = tmp_path / "static_website_tls"
    shutil.copytree(os.path.join(EXAMPLES_DIR, "static_website_tls"), d)
    pki = write_test_pki(str(d / "tls"), ["10.0.0.2"])
    return str(d), pki


# --- conduit_server -------------------------------------------------------------------------


def test_conduit_server_answers_every_path_on_a_kept_alive_connection():
    box: dict[str, HttpPeer] = {}

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan)
        web.fetch(["http://10.0.0.2/", "http://10.0.0.2/a/b?c=d"], at="2s", keep_alive=True)

    d = os.path.join(EXAMPLES_DIR, "conduit_server")
    r = run_app(d, setup, argv=["--ipv4=10.0.0.2/24", "-l", "conduit_server:debug"], name="conduit_server")
    web = box["web"]
    assert web.errors == []
    assert [(x.status, x.body, x.header("connection")) for x in web.responses] == [
        (200, b"hello mirage world!\n", "keep-alive")
    ] * 2
    got = [line for line in r.lines if "[conduit_server]" in line]
    assert [g.split("] ", 2)[2] for g in got] == ["Got request for /", "Got request for /a/b"]
    # both requests went over one TCP connection: one SYN from the client
    conns = [e for _, e in web.peer.events if type(getattr(e, "event", None)).__name__ == "Connected"]
    assert len(conns) == 1


def test_the_engine_graph_names_conduit_and_cohttp_devices(website):
    d, _ = website
    kinds = [(n.module_name, n.kind) for n in nodes_of(d)]
    assert ("Conduit_mirage.TCP", "conduit_tcp") in kinds
    assert ("Conduit_mirage.TLS", "conduit_tls") in kinds
    assert ("Cohttp_mirage.Server.Make", "cohttp_server") in kinds
    names = [m for m, _ in kinds]
    assert (
        names.index("Conduit_mirage.TCP") < names.index("Conduit_mirage.TLS") < names.index("Cohttp_mirage.Server.Make")
    )


# --- static_website_tls ---------------------------------------------------------------------


@pytest.mark.parametrize("versions", [("1.2", "1.2"), ("1.3", "1.3")])
def test_static_website_redirects_then_serves_htdocs_over_tls(website, versions):
    d, pki = website
    box: dict[str, HttpPeer] = {}

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan, ca=pki.ca, tls_versions=versions)
        web.fetch(
            [
                "http://10.0.0.2/",
                "https://10.0.0.2/",
                "https://10.0.0.2/style.css",
                "https://10.0.0.2/missing.html",
            ],
            at="2s",
        )

    r = run_app(d, setup, name="https")
    web = box["web"]
    assert web.errors == []
    redirect, index, css, missing = web.responses
    assert redirect.status == 301 and redirect.header("location") == "https://10.0.0.2:443/"
    assert redirect.tls_version is None
    htdocs = os.path.join(d, "htdocs")
    with open(os.path.join(htdocs, "index.html"), "rb") as f:
        assert index.body == f.read()
    with open(os.path.join(htdocs, "style.css"), "rb") as f:
        assert css.body == f.read()
    assert index.status == css.status == 200
    assert index.header("content-type") == "text/html" and css.header("content-type") == "text/css"
    assert index.header("strict-transport-security") == "max-age=31536000"
    assert (missing.status, missing.body) == (404, b"Not found")
    want = "TLSv1.2" if versions[0] == "1.2" else "TLSv1.3"
    assert {index.tls_version, css.tls_version, missing.tls_version} == {want}
    tail = [line.split(": ", 1)[1] for line in r.lines if "[http" in line]
    assert tail == [
        "[INFO] [https] listening for HTTPS on 443/TCP",
        "[INFO] [http] listening for HTTP on 80/TCP",
        "[INFO] [https] [1] serving //10.0.0.2/.",
        "[INFO] [http] [//10.0.0.2/] -> [https://10.0.0.2:443/]",
        "[INFO] [https] [1] closing",
        "[INFO] [https] [2] serving //10.0.0.2/.",
        "[INFO] [https] [2] closing",
        "[INFO] [https] [3] serving //10.0.0.2/style.css.",
        "[INFO] [https] [3] closing",
        "[INFO] [https] [4] serving //10.0.0.2/missing.html.",
        "[INFO] [https] [4] closing",
    ]


def test_ports_are_runtime_arguments(website):
    d, pki = website
    box: dict[str, HttpPeer] = {}

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan, ca=pki.ca)
        web.fetch(["http://10.0.0.2:8080/x.html", "https://10.0.0.2:8443/"], at="2s")

    run_app(d, setup, argv=["--ipv4=10.0.0.2/24", "--http=8080", "--https=8443"], name="https")
    redirect, index = box["web"].responses
    assert redirect.header("location") == "https://10.0.0.2:8443/x.html"
    assert index.status == 200


def test_tls_garbage_gets_an_alert_and_a_closed_flow_and_others_are_still_served(website):
    d, pki = website
    box: dict[str, Any] = {}

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan, ca=pki.ca)

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            box["raw"] = await web.raw("10.0.0.2", 443, b"GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n")
            box["ok"] = await web.get("https://10.0.0.2/")

        web.peer.script(go)

    r = run_app(d, setup, name="https")
    assert box["raw"][:1] == b"\x15" and box["raw"][5:6] == b"\x02"  # a fatal alert record
    assert box["ok"].status == 200
    assert any(line.endswith("[INFO] [conduit_mirage] listen: TLS failure: HTTP_REQUEST") for line in r.lines)
    assert r.exit_code is None and "until" in r.note  # the run went on to its limit


# --- bad and slow clients -------------------------------------------------------------------


def test_a_malformed_request_gets_400_and_the_server_keeps_serving(website):
    d, pki = website
    box: dict[str, Any] = {}

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan, ca=pki.ca)

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            box["bad"] = await web.raw("10.0.0.2", 80, b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")
            box["good"] = await web.get("http://10.0.0.2/")

        web.peer.script(go)

    r = run_app(d, setup, name="https")
    assert box["bad"].startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert box["good"].status == 301
    assert any("[ERROR] [cohttp.lwt.server] invalid input" in line for line in r.lines)


def test_a_client_sending_one_byte_per_second_does_not_stall_others(website):
    d, pki = website
    box: dict[str, Any] = {}

    def setup(lan):
        slow = HttpPeer.on(lan, name="slow", cidr="10.0.0.3/24")
        fast = HttpPeer.on(lan, name="fast", cidr="10.0.0.4/24", ca=pki.ca)
        req = b"GET /index.html HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n"

        async def slow_go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            box["slow"] = await slow.raw("10.0.0.2", 80, req, delay_ns=Duration.of_sec(1))
            box["slow_done"] = slow.run.now

        slow.peer.script(slow_go)
        fast.fetch(["https://10.0.0.2/", "https://10.0.0.2/style.css"], at="5s")
        box["fast"] = fast

    run_app(d, setup, name="https", until=f"{len(b'x' * 80)}s")
    fast = box["fast"]
    assert [x.status for x in fast.responses] == [200, 200]
    assert all(x.at_ns < Duration.of_sec(6) for x in fast.responses)
    assert box["slow"].startswith(b"HTTP/1.1 301 Moved Permanently\r\n")
    assert box["slow_done"] > Duration.of_sec(60)


# --- chunked bodies, failing callbacks, the client ------------------------------------------


class Echo:
    """POST echoes the body back streamed in pieces (chunked); /boom raises; other paths say their path."""

    def __init__(self, CON):  # noqa: N803
        self.H = Cohttp_mirage.Server.Make(CON)

    async def start(self, conduit):
        H = self.H  # noqa: N806

        async def callback(_conn, req, body):
            path = Uri.path(Cohttp.Request.uri(req))
            if path == "/boom":
                raise ValueError("boom")
            if Cohttp.Request.meth(req) == "POST":
                data = await Cohttp_lwt.Body.to_string(body)
                pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
                return await H.respond(status="OK", body=Cohttp_lwt.Body.of_stream(pieces))
            return await H.respond_string(status="OK", body=path)

        await H.listen(conduit, TCP(80), H.make(callback=callback))


def module_of(name: str, **members: Any) -> types.ModuleType:
    m = types.ModuleType(name)
    for k, v in members.items():
        v.__module__ = name
        setattr(m, k, v)
    return m


def test_chunked_request_and_response_bodies_and_a_failing_callback():
    box: dict[str, Any] = {}
    body = bytes(range(32, 127)) * 3

    def setup(lan):
        web = box["web"] = HttpPeer.on(lan)

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            box["post"] = await web.request("POST", "http://10.0.0.2/echo", body=body, chunked=True, keep_alive=True)
            box["boom"] = await web.get("http://10.0.0.2/boom", keep_alive=True)
            box["after"] = await web.get("http://10.0.0.2/after")

        web.peer.script(go)

    d = os.path.join(EXAMPLES_DIR, "conduit_server")
    r = run_app(d, setup, unikernel=module_of("echo_uk", Main=Echo), name="conduit_server")
    post = box["post"]
    assert post.status == 200 and post.body == body
    assert post.header("transfer-encoding") == "chunked" and post.header("content-length") is None
    assert (box["boom"].status, box["boom"].body) == (500, b"Error: Internal Server Error")
    assert (box["after"].status, box["after"].body) == (200, b"/after")
    assert any("[ERROR] [cohttp.lwt.server] Error handling GET /boom: ValueError(boom)" in line for line in r.lines)


class Fetcher:
    """A client unikernel: GETs a page from 10.0.0.2 with cohttp's client over conduit and logs it."""

    def __init__(self, CON):  # noqa: N803
        self.Client = Cohttp_mirage.Client.Make(None, CON)

    async def start(self, conduit):
        await Mirage_sleep.ns(Duration.of_sec(2))
        ctx = self.Client.ctx(None, conduit)
        res, body = await self.Client.get(Uri.of_string("http://10.0.0.2/hello"), ctx=ctx)
        text = await Cohttp_lwt.Body.to_string(body)
        Logs.info("%d %s", Cohttp.Response.status(res), text.strip())


def test_the_cohttp_client_fetches_from_another_unikernel():
    d = os.path.join(EXAMPLES_DIR, "conduit_server")
    run = Run(seed=0, argv=["--ipv4=10.0.0.3/24"], name="fetcher", until="10s")
    lan = VirtualLan.of_run(run)
    attach_unikernel(lan, nodes_of(d), os.path.join(d, "unikernel.py"), argv=["--ipv4=10.0.0.2/24"])
    r = boot(nodes_of(d), module_of("fetch_uk", Main=Fetcher), run=run, connectors=NET_CONNECTORS)
    assert r.lines[-1].endswith("[INFO] [application] 200 hello mirage world!")


# --- the notebook entry point ---------------------------------------------------------------


def test_run_http_example_boots_a_bundled_example_with_a_test_pki_in_a_line():
    from mirage_nb.sim.netdev.http_examples import run_http_example
    from mirage_nb.sim.netdev.pki import make_test_pki

    pki = make_test_pki(["10.0.0.2"])
    webs: list[HttpPeer] = []

    def setup(lan):
        webs.append(HttpPeer.on(lan, ca=pki.ca))
        webs[0].fetch(["http://10.0.0.2/style.css", "https://10.0.0.2/style.css"], at="2s")

    r = run_http_example("static_website_tls", pki=pki, setup=setup, until="4s")
    redirect, css = webs[0].responses
    assert redirect.header("location") == "https://10.0.0.2:443/style.css"
    with open(os.path.join(EXAMPLES_DIR, "static_website_tls", "htdocs", "style.css"), "rb") as f:
        assert css.body == f.read()
    assert r.lines[-1].endswith("[INFO] [https] [2] closing")
    assert not os.path.exists(os.path.join(EXAMPLES_DIR, "static_website_tls", "tls"))  # the package stays clean


def test_run_http_example_says_what_is_missing():
    from mirage_nb.errors import SimulationError
    from mirage_nb.sim.netdev.http_examples import run_http_example

    with pytest.raises(SimulationError, match="pass pki=make_test_pki"):
        run_http_example("static_website_tls")
    with pytest.raises(SimulationError, match="expected one of conduit_server, static_website_tls"):
        run_http_example("nope")


def test_same_seed_same_console_even_over_tls():
    from mirage_nb.sim.netdev.http_examples import run_http_example
    from mirage_nb.sim.netdev.pki import make_test_pki

    pki = make_test_pki(["10.0.0.2"])

    def once() -> list[str]:
        def setup(lan):
            HttpPeer.on(lan, ca=pki.ca).fetch(["http://10.0.0.2/", "https://10.0.0.2/"], at="2s")

        return run_http_example("static_website_tls", pki=pki, setup=setup, until="4s").lines

    assert once() == once()
