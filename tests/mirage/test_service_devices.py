"""Higher-level devices: conduit, resolvers, HTTP, happy eyeballs, DNS, mimic, git, syslog, monitoring."""

from __future__ import annotations

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.types import job
from mirage_nb.mirage import (
    Runtime_arg,
    alpn_client,
    cohttp_client,
    cohttp_server,
    conduit,
    conduit_direct,
    crunch,
    default_network,
    dns_client,
    generic_dns_client,
    generic_happy_eyeballs,
    generic_stackv4v6,
    git_client,
    git_http,
    git_ssh,
    git_tcp,
    happy_eyeballs,
    http,
    http_client,
    http_server,
    httpaf_server,
    make_dhcp_requests,
    merge_git_clients,
    mimic,
    mimic_happy_eyeballs,
    monitoring,
    no_lease,
    paf_client,
    paf_server,
    resolver,
    resolver_dns,
    resolver_unix_system,
    syslog,
    syslog_tcp,
    syslog_tls,
    syslog_udp,
    tcpv4v6_of_stackv4v6,
)


@pytest.fixture(scope="module")
def stack():
    return generic_stackv4v6(default_network)


def test_conduit(h, stack):
    c = conduit_direct(stack)
    assert c.module_type is conduit and c == conduit_direct(stack)  # shared functor
    code = h.connect(c, ["_stack__23"])
    # The trailing "@;" of mirage's format becomes a newline at flush (reference main.ml).
    assert (code.code, code.pos[:2]) == ("Lwt.return _stack__23\n", ("lib/devices/conduit.ml", 11))
    t = conduit_direct(stack, tls=True)
    assert h.dev(t).dev.module_name == "Conduit_mirage.TLS" and h.dev(t).args == (c,)
    assert sorted(h.packages(t)) == ["conduit-mirage", "tls-mirage"]


def test_resolvers(h, stack):
    assert h.packages(resolver_unix_system, "unix") == {
        "conduit-mirage": (["conduit-mirage"], ["8.0.0"], ["9.0.0"]),
        "conduit-lwt-unix": (["conduit-lwt-unix"], ["8.0.0"], ["9.0.0"]),
    }
    assert h.packages(resolver_unix_system, "hvt") == {}
    with pytest.raises(ConfigError, match="^Unix resolver not supported on non-UNIX targets.$"):
        h.dev(resolver_unix_system).dev.configure(h.info("hvt"), None)
    r = resolver_dns(stack, ns=["tcp:8.8.8.8"])
    assert r.module_type is resolver
    (ns,) = h.dev(r).dev.runtime_args
    assert ns.code == 'Mirage_runtime_network.resolver ~default:["tcp:8.8.8.8"] ()'
    assert h.connect(r, ["_s", "_ns"], modname="R").code == (
        # "@;" hints in Format's top-level box: they break only when the line is full,
        # and the last one, pending at flush, always breaks.
        "let nameservers = _ns in R.v ?nameservers _s >|= function | Ok r -> r\n| Error (`Msg e) -> invalid_arg e\n"
    )
    reqs = make_dhcp_requests()
    rd = resolver_dns(stack, dhcp=(reqs, no_lease))
    assert reqs.requests == {6} and h.dev(rd).deps == (no_lease,)
    assert "charrua" in h.packages(rd)
    code = h.connect(rd, ["_s", "_lease", "_ns"], modname="R").code
    assert code.startswith("let nameservers = match _ns, _lease with")
    assert "\n             R.v ?nameservers _s >|= function" in code


def test_http(h, stack):
    c = conduit_direct(stack)
    s = cohttp_server(c)
    assert s.module_type is http
    assert h.connect(s, ["_c"], modname="S").code == "Lwt.return (S.listen _c)"
    cl = cohttp_client(resolver_dns(stack), c)
    assert cl.module_type is http_client
    assert h.connect(cl, ["_r", "_c"], modname="C").code == "Lwt.return (C.ctx _r _c)"
    a = httpaf_server(c)
    assert h.dev(a).deps == (c,) and a.module_type is http
    tcp = tcpv4v6_of_stackv4v6(stack)
    port = Runtime_arg.create(("config.ml", 1, 0, 0), "Unikernel.port")
    p = paf_server(tcp, port=port)
    assert p.module_type is http_server
    assert h.connect(p, ["_t", "_port"], modname="P").code == "P.init ~port:_port _t"
    he = generic_happy_eyeballs(stack)
    m = mimic_happy_eyeballs(stack, he, generic_dns_client(stack, he))
    pc = paf_client(tcp, m)
    assert pc.module_type is alpn_client and h.connect(pc, ["_t", "_m"], modname="P").code == "P.connect _m"


def test_happy_eyeballs(h, stack):
    he = generic_happy_eyeballs(stack, group="g", connect_delay=50_000_000)
    assert he.module_type is happy_eyeballs
    codes = [ra.code.split(".", 1)[1] for ra in h.dev(he).dev.runtime_args]
    assert codes[1] == 'he_connect_delay ~group:"g" (Some 50000000)' and len(codes) == 6
    assert h.connect(he, ["_s", "a", "b", "c", "d", "e", "f"], modname="H").code == (
        "H.connect_device ?aaaa_timeout:a ?connect_delay:b\n"
        "?connect_timeout:c ?resolve_timeout:d ?resolve_retries:e ?timer_interval:f _s"
    )


def test_dns_client(h, stack):
    he = generic_happy_eyeballs(stack)
    d = generic_dns_client(stack, he, nameservers=["udp:1.1.1.1"], timeout=1, cache_size=10)
    assert d.module_type is dns_client
    assert [ra.code.split(".", 1)[1] for ra in h.dev(d).dev.runtime_args] == [
        'dns_servers (Some ["udp:1.1.1.1"])',
        "dns_timeout (Some 1)",
        "dns_cache_size (Some 10)",
    ]
    assert h.connect(d, ["_s", "_he", "_n", "_t", "_c"], modname="D").code == (
        "D.connect ?nameservers:_n ?timeout:_t ?cache_size:_c (_s, _he)"
    )
    reqs = make_dhcp_requests()
    dd = generic_dns_client(stack, he, dhcp=(reqs, no_lease))
    assert reqs.requests == {6}
    code = h.connect(dd, ["_s", "_he", "_l", "_n", "_t", "_c"], modname="D").code
    assert code.startswith("let nameservers = match _n, _l with")
    assert code.endswith("in\nD.connect ?nameservers ?timeout:_t ?cache_size:_c (_s, _he)")


def test_git(h, stack):
    tcp = tcpv4v6_of_stackv4v6(stack)
    he = generic_happy_eyeballs(stack)
    m = mimic_happy_eyeballs(stack, he, generic_dns_client(stack, he))
    assert m.module_type is mimic and m == mimic_happy_eyeballs(stack, he, m.args[2])
    t = git_tcp(tcp, m)
    assert t.module_type is git_client and h.connect(t, ["_t", "_m"], modname="G").code == "G.connect _m"
    s = git_ssh(tcp, m, key="rsa:x")
    assert h.dev(s).dev.runtime_args[0].code == 'Mirage_runtime_network.ssh_key (Some "rsa:x")'
    assert h.connect(s, ["_t", "_m", "_k", "_p", "_a"], modname="G").code == (
        "G.connect _m >>= G.with_optionnal_key ?authenticator:_a ~key:_k ~password:_p"
    )
    w = git_http(tcp, m, headers=[("User-Agent", "x")])
    assert h.connect(w, ["_t", "_m", "_a", "_h"], modname="G").code == (
        "G.connect _m >>= G.with_optional_tls_config_and_headers ?headers:_h ?authenticator:_a"
    )
    both = merge_git_clients(t, w)
    assert h.connect(both, ["_a", "_b"]).code == "Lwt.return (Mimic.merge _a _b)"
    assert h.packages(t) == {"git-net": (["git-net"], [], ["1.0.0"])}


def test_syslog_and_monitoring(h, stack):
    u = syslog_udp(stack)
    assert u.module_type is syslog
    assert h.connect(u, ["_s", "_e", "_p", "_t"], modname="L").code == (
        "match _e with\n"
        '  | None ->Logs.warn (fun m -> m "no syslog server specified, dumping logs to stdout"); Lwt.return_unit\n'
        "  | Some server ->\n"
        "  let reporter =\n"
        "  L.create _s ~hostname:(Mirage_runtime.name ()) ~port:_p server ?truncate:_t ()\n"
        "  in\n"
        "  Logs.set_reporter reporter;\n"
        "  Lwt.return_unit"
    )
    with pytest.raises(ConfigError, match="The syslog_udp connect expects exactly 5 arguments"):
        h.connect(u, ["_s"])
    t = syslog_tcp(stack, group="log")
    assert h.dev(t).dev.runtime_args[0].code == 'Mirage_runtime_network.syslog ~group:"log" None'
    assert "  | Error e -> invalid_arg e" in h.connect(t, ["_s", "_e", "_p", "_t"]).code
    s = syslog_tls(stack, crunch("keys"))
    assert sorted(h.packages(s)["logs-syslog"][0]) == ["logs-syslog.mirage", "logs-syslog.mirage.tls"]
    assert "?keyname:_k ()" in h.connect(s, ["_s", "_kv", "_e", "_p", "_t", "_k"]).code
    mon = monitoring(stack)
    assert mon.module_type is job
    assert h.connect(mon, ["_s", "_m"], modname="M").code == (
        'Lwt.return (match _m with| None -> Logs.warn (fun m -> m "no monitor specified, '
        'not outputting statistics")| Some ip -> M.create ip ~hostname:(Mirage_runtime.name ()) _s)'
    )
