"""DNS and DHCP over the simulated stack: the engine's graphs of the bundled examples, the devices, the peers."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.net.dns_client import Failure, NoDomain, Records
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.netdev.dns import SERVICE_KIND_OF_MODULE
from mirage_nb.sim.netdev.dns_peer import DhcpClientPeer, DnsClientPeer, DnsServerPeer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep

ZONE_FILE = os.path.join(EXAMPLES_DIR, "dns_server", "zone", "example.org")


def nodes(example: str, args: list[str]) -> list[Any]:
    return cli.nodes_of_graph(load(os.path.join(EXAMPLES_DIR, example, "config.ml")).configured(args))


def run_example(example: str, run: Run, args: list[str] = ("--no-dhcp", "--net=direct")) -> Any:
    uk = load_unikernel(os.path.join(EXAMPLES_DIR, example, "unikernel.py"))
    return boot(nodes(example, list(args)), uk, run=run, connectors=NET_CONNECTORS)


def zone_text() -> str:
    with open(ZONE_FILE) as f:
        return f.read()


# --- the dns client example (Dns_client_mirage.Make, Happy_eyeballs_mirage.Make) -------------


def test_dns_example_graph_has_the_service_devices_in_main_ml_order():
    ns = nodes("dns", ["--no-dhcp", "--net=direct"])
    tail = [(n.module_name, n.kind) for n in ns if n.kind in ("happy_eyeballs", "dns_client", "job")]
    assert tail == [
        ("Happy_eyeballs_mirage.Make", "happy_eyeballs"),
        ("Dns_client_mirage.Make", "dns_client"),
        ("Unikernel.Make", "job"),
    ]
    assert SERVICE_KIND_OF_MODULE["Dns_client_mirage.Make"] == "dns_client"


def dns_run(ns: str, name: str = "www.example.org", until: str = "20s", server_ip: str = "10.0.0.1/24") -> Any:
    argv = ["--ipv4", "10.0.0.2/24", "--domain-name", name, "--dns-servers", ns]
    run = Run(seed=0, argv=argv, name="resolve", until=until)
    lan = VirtualLan.of_run(run)
    srv = DnsServerPeer(lan, name="ns", cidr=server_ip, zones=[zone_text()])
    return run_example("dns", run), srv


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_dns_example_resolves_through_the_simulated_server(proto):
    r, srv = dns_run(f"{proto}:10.0.0.1")
    assert r.lines[-1].endswith("[INFO] [application] www.example.org: 10.0.0.80")
    assert [(a.qname, a.qtype, a.rcode) for a in srv.answers] == [("www.example.org.", "A", "NOERROR")]


def test_dns_example_fails_with_the_clients_message():
    r, _ = dns_run("udp:10.0.0.1", name="nope.example.org")
    assert 'Failure("DNS cache error no domain example.org (type A)")' in r.output
    r, _ = dns_run("udp:10.0.0.7")  # nobody there: the 5 s timeout of dns-client
    assert 'Failure("DNS request timeout")' in r.output


def test_dns_runtime_arguments_are_checked():
    argv = ["--ipv4", "10.0.0.2/24", "--domain-name", "www.example.org", "--dns-timeout", "soon"]
    r = run_example("dns", Run(seed=0, argv=argv, name="resolve", until="5s"))
    assert "--dns-timeout" in r.output and "soon" in r.output


# --- the DNS server example -----------------------------------------------------------------


def serve(script, *, profile: LinkProfile | None = None, nameserver: str = "udp:10.0.0.2", **kw) -> Any:
    run = Run(seed=0, name="primary", until="90s", argv=["--ipv4", "10.0.0.2/24", "-l", "dns-server:debug"])
    lan = VirtualLan.of_run(run)
    c = DnsClientPeer(lan, cidr="10.0.0.9/24", nameservers=[nameserver], profile=profile, **kw)
    got: list[Any] = []

    async def go():
        await Mirage_sleep.ns(Duration.of_sec(2))
        await script(c, got)

    c.script(go)
    return run_example("dns_server", run), c, got


@pytest.mark.parametrize("ns", ["udp:10.0.0.2", "tcp:10.0.0.2"])
def test_dns_server_example_answers_and_the_peer_caches(ns):
    async def script(c, got):
        for name, t in [("www.example.org", "A"), ("web.example.org", "AAAA"), ("nope.example.org", "A")]:
            got.append(await c.resolve(name, t))
        await Mirage_sleep.ns(Duration.of_sec(30))
        got.append(await c.resolve("www.example.org", "A"))

    r, c, got = serve(script, nameserver=ns)
    assert [g.answer for g in got[:3]] == [
        Records(3600, ("10.0.0.80",), got[0].answer.rrset),
        Records(3600, ("fd00::80",), got[1].answer.rrset),
        NoDomain("example.org.", 300),
    ]
    assert got[3].cached and got[3].answer.ttl == 3570
    assert c.resolver.sent == 3
    assert "[DEBUG] [dns-server]" in r.output and "nope.example.org. A -> NXDOMAIN" in r.output


def test_dns_client_peer_ttl_expires_in_virtual_time():
    async def script(c, got):
        got.append(await c.resolve("short.example.org"))
        await Mirage_sleep.ns(Duration.of_sec(61))
        got.append(await c.resolve("short.example.org"))

    _, c, got = serve(script)
    assert not got[1].cached and c.resolver.sent == 2


def test_dns_client_peer_times_out_and_retries_on_a_lossy_link():
    async def script(c, got):
        got.append(await c.resolve("www.example.org"))

    _, c, got = serve(script, profile=LinkProfile(loss=1.0), timeout_ns=1_000_000_000, retries=2)
    assert got[0].answer == Failure("DNS request timeout") and c.resolver.sent == 3


# --- DHCP -----------------------------------------------------------------------------------


def dhcp_run(n_clients: int, until: str = "30s", script=None) -> tuple[Any, list[DhcpClientPeer], list[Any]]:
    run = Run(seed=0, name="dhcp", until=until)
    lan = VirtualLan.of_run(run)
    clients = [DhcpClientPeer(lan, name=f"c{i}") for i in range(n_clients)]
    got: list[Any] = []
    for c in clients:

        async def go(c=c):
            got.append((c.name, await c.wait_lease(timeout_ns=20_000_000_000)))
            if script is not None:
                await script(c, got)

        c.script(go)
    return run_example("dhcp", run, []), clients, got


def test_dhcp_example_graph_is_netif_then_the_job():
    assert [(n.module_name, n.kind) for n in nodes("dhcp", [])][10:12] == [
        ("Netif", "netif"),
        ("Unikernel.Main", "job"),
    ]


def test_dhcp_example_leases_from_the_range_with_options():
    r, clients, got = dhcp_run(2)
    assert sorted(str(ip) for _, ip in got) == ["192.168.1.70", "192.168.1.71"]
    lease = clients[0].lease.lease
    assert lease.lease_time == 3600 and lease.cidr.endswith("/24")
    out = r.output
    assert "options Message type DHCP OFFER, IP lease time 3600, Renewal T1 1800, Rebinding T2 2880" in out
    assert "Message type DHCP ACK" in out and "[INFO] [application] Sent reply packet" in out


def test_dhcp_example_exhausted_pool_warns_and_naks():
    r, _, got = dhcp_run(32, until="25s")
    leased = [ip for _, ip in got if ip is not None]
    assert len(leased) == 31 and len(set(leased)) == 31  # .70 to .100
    assert "[WARNING] [application] No ips left to offer" in r.output


# --- happy eyeballs -------------------------------------------------------------------------


class HeJob:
    """A job over the DNS client that connects to www.example.org:80 through the client's happy eyeballs."""

    def __init__(self, DNS):  # noqa: N803
        self.DNS = DNS

    async def start(self, dns):
        from mirage_nb.unikernel import Logs

        r = await dns.he.connect("www.example.org", [80])
        Logs.info("he: %s", repr(r.value[0]) if hasattr(r, "value") else str(r.error))


def test_happy_eyeballs_resolves_through_the_dns_client_and_connects():
    import types

    from mirage_nb.sim.netdev.peer import Peer

    argv = ["--ipv4", "10.0.0.2/24", "--dns-servers", "udp:10.0.0.1"]
    run = Run(seed=0, argv=argv, name="resolve", until="30s")
    lan = VirtualLan.of_run(run)
    srv = DnsServerPeer(lan, name="ns", cidr="10.0.0.1/24", zones=[zone_text()])
    web = Peer(lan, name="web", cidr="10.0.0.80/24")
    web.tcp.listen(80)
    uk = types.SimpleNamespace(Make=HeJob, __name__="he_job")
    r = boot(nodes("dns", ["--no-dhcp", "--net=direct"]), vars(uk), run=run, connectors=NET_CONNECTORS)
    assert r.lines[-1].endswith("he: (IPv4Address('10.0.0.80'), 80)"), r.lines[-3:]
    assert {(a.qname, a.qtype) for a in srv.answers} == {("www.example.org.", "AAAA"), ("www.example.org.", "A")}


# --- conduit's resolver (resolver_dns) --------------------------------------------------------

RESOLVER_CONFIG = """open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (resolver @-> job)
let () = register "res" [ main $ resolver_dns stack ]
"""


class ResolveJob:
    def __init__(self, R):  # noqa: N803
        self.R = R

    async def start(self, r):
        from mirage_nb.unikernel import Logs

        for uri in ("https://www.example.org/index.html", "http://10.0.0.9:8080/", "http://nope.example.org/"):
            Logs.info("%s -> %s", uri, repr(await r.resolve_uri(uri)))


def test_resolver_dns_resolves_uris_to_conduit_endpoints(tmp_path):
    import types

    (tmp_path / "config.ml").write_text(RESOLVER_CONFIG)
    ns = cli.nodes_of_graph(load(str(tmp_path / "config.ml")).configured(["--no-dhcp", "--net=direct"]))
    assert [n.kind for n in ns if n.module_name == "Resolver_mirage.Make"] == ["resolver_dns"]
    run = Run(seed=0, argv=["--ipv4", "10.0.0.2/24", "--resolver", "udp:10.0.0.1"], name="res", until="30s")
    lan = VirtualLan.of_run(run)
    DnsServerPeer(lan, name="ns", cidr="10.0.0.1/24", zones=[zone_text()])
    r = boot(ns, vars(types.SimpleNamespace(Main=ResolveJob, __name__="res_job")), run=run, connectors=NET_CONNECTORS)
    got = [line.split("[application] ", 1)[1] for line in r.lines if "[application]" in line]
    assert got == [
        "https://www.example.org/index.html -> TLS(host='www.example.org', "
        "endpoint=TCP(ip=IPv4Address('10.0.0.80'), port=443))",
        "http://10.0.0.9:8080/ -> TCP(ip=IPv4Address('10.0.0.9'), port=8080)",
        "http://nope.example.org/ -> Unknown(message='name resolution failed for nope.example.org: "
        "DNS cache error no domain example.org (type A)')",
    ]


def test_dns_client_takes_its_nameservers_from_the_dhcp_lease():
    from mirage_nb.sim.netdev.dns import _lease_nameservers

    opts = ((53, b"\\x05"), (6, bytes([10, 0, 0, 1, 10, 0, 0, 3])))
    assert _lease_nameservers(opts) == ["udp:10.0.0.1", "tcp:10.0.0.1", "udp:10.0.0.3", "tcp:10.0.0.3"]
    assert _lease_nameservers(None) is None and _lease_nameservers(((53, b"\\x05"),)) is None


def test_truncated_udp_answer_is_fetched_again_over_tcp_between_peers():
    from mirage_nb.sim.net.dns_client import DnsSend

    big = " ".join('"' + "x" * 200 + '"' for _ in range(4))
    run = Run(seed=0, name="peers", until="20s")
    lan = VirtualLan.of_run(run)
    srv = DnsServerPeer(lan, cidr="10.0.0.1/24", zones=[zone_text() + f"big IN TXT {big}\n"])
    c = DnsClientPeer(lan, cidr="10.0.0.9/24", nameservers=["udp:10.0.0.1"])
    got: list[Any] = []

    async def go():
        got.append(await c.resolve("big.example.org", "TXT"))

    c.script(go)
    run.run(lambda: Mirage_sleep.ns(Duration.of_sec(10)))
    assert isinstance(got[0].answer, Records) and len(got[0].answer.values[0]) > 800
    assert [e.server.proto for _, e in c.events if isinstance(e, DnsSend)] == ["udp", "tcp"]
    assert [a.truncated for a in srv.answers] == [True, False]
