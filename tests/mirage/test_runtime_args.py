"""Runtime-argument helpers: the OCaml code each registers, its name, position and package."""

from __future__ import annotations

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.mirage import Runtime_arg as R

NET = "Mirage_runtime_network."


@pytest.mark.parametrize(
    ("arg", "code", "line"),
    [
        (R.interface("tap0"), 'interface "tap0"', 51),
        (R.interface("service", group="g", docs="D"), 'interface ~group:"g" ~docs:"D" "service"', 51),
        (R.V4.network("10.0.0.2/24"), 'V4.network (Ipaddr.V4.Prefix.of_string_exn "10.0.0.2/24")', 63),
        (R.V4.network("0.0.0.0/0", group=""), 'V4.network (Ipaddr.V4.Prefix.of_string_exn "0.0.0.0/0")', 63),
        (R.V4.optional_network(group="second"), 'V4.optional_network ~group:"second" ()', 67),
        (R.V4.gateway(None), "V4.gateway None", 71),
        (R.V4.gateway("10.0.0.1"), 'V4.gateway (Some (Ipaddr.V4.of_string_exn "10.0.0.1"))', 71),
        (R.V6.network(None), "V6.network None", 84),
        (R.V6.network("fe80::1/64"), 'V6.network (Some (Ipaddr.V6.Prefix.of_string_exn "fe80::1/64"))', 84),
        (R.V6.gateway("FE80:0::1"), 'V6.gateway (Some (Ipaddr.V6.of_string_exn "fe80::1"))', 88),
        (R.V6.accept_router_advertisements(), "V6.accept_router_advertisements ()", 92),
        (R.ipv4_only(), "ipv4_only ()", 97),
        (R.ipv6_only(group="x"), 'ipv6_only ~group:"x" ()', 101),
        (R.resolver(), "resolver ()", 109),
        (
            R.resolver(default=["tcp:1.1.1.1", "udp:9.9.9.9"]),
            'resolver ~default:["tcp:1.1.1.1"; "udp:9.9.9.9"] ()',
            109,
        ),
        (R.dns_servers(None), "dns_servers None", 113),
        (R.dns_servers(["a"]), 'dns_servers (Some ["a"])', 113),
        (R.dns_timeout(5_000_000_000), "dns_timeout (Some 5000000000)", 119),
        (R.dns_cache_size(32), "dns_cache_size (Some 32)", 123),
        (R.he_aaaa_timeout(None), "he_aaaa_timeout None", 127),
        (R.he_connect_delay(1), "he_connect_delay (Some 1)", 131),
        (R.he_connect_timeout(2), "he_connect_timeout (Some 2)", 135),
        (R.he_resolve_timeout(3), "he_resolve_timeout (Some 3)", 139),
        (R.he_resolve_retries(4), "he_resolve_retries (Some 4)", 143),
        (R.he_timer_interval(5), "he_timer_interval (Some 5)", 147),
        (R.ssh_key('k"1'), 'ssh_key (Some "k\\"1")', 151),
        (R.ssh_password(None), "ssh_password None", 156),
        (R.ssh_authenticator("SHA256:x"), 'ssh_authenticator (Some "SHA256:x")', 162),
        (R.tls_authenticator(None), "tls_authenticator None", 168),
        (R.http_headers([("a", "b"), ("c", "d")]), 'http_headers (Some [("a", "b"); ("c", "d")])', 174),
        (R.syslog("10.0.0.1"), 'syslog (Some Ipaddr.of_string "10.0.0.1")', 182),
        (R.syslog_port(514), "syslog_port (Some 514)", 186),
        (R.syslog_truncate(None), "syslog_truncate None", 190),
        # mirage prints the key name with Fmt.string, unquoted
        (R.syslog_keyname("key"), "syslog_keyname (Some key)", 194),
        (R.monitor("::1"), 'monitor (Some Ipaddr.of_string "::1")', 198),
    ],
)
def test_network_runtime_arg_code(arg, code, line):
    assert arg.code == NET + code
    assert (arg.file, arg.line) == ("lib/devices/runtime_arg.ml", line)
    (pkg,) = arg.packages
    assert pkg.name == "mirage-runtime" and pkg.libraries() == ["mirage-runtime.network"]


def test_variable_names_are_the_ocamlified_code():
    # As in the generated main.ml of mirage 4.11.1 (extra/stack, configure -t unix).
    assert R.interface("tap0").var_name == "mirage_runtime_network_interface_tap0"
    assert R.V4.gateway(None).var_name == "mirage_runtime_network_v4_gateway_none"
    assert R.V4.optional_network().var_name == "mirage_runtime_network_v4_optional_network_"
    assert R.V6.accept_router_advertisements().var_name == ("mirage_runtime_network_v6_accept_router_advertisements_")


def test_runtime_own_args():
    assert (R.delay.code, R.delay.line) == ("Mirage_runtime.delay", 32)
    assert (R.logs.code, R.logs.line) == ("Mirage_runtime.logs", 203)
    assert [p.libraries() for p in R.logs.packages] == [["mirage-runtime"]]


def test_long_lists_wrap_like_fmt_dump():
    servers = [f"udp:10.0.0.{i}" for i in range(8)]
    code = R.dns_servers(servers).code
    # Fmt.Dump.list is a box indented by one after "[": a long list breaks at "; ".
    first, *rest = code.split("\n")
    assert first.startswith(NET + 'dns_servers (Some ["udp:10.0.0.0";')
    assert rest and all(line.startswith(" " * (first.index("[") + 1) + '"') for line in rest)


@pytest.mark.parametrize(
    "make",
    [
        lambda: R.V4.network("10.0.0.300/24"),
        lambda: R.V4.gateway("not-an-ip"),
        lambda: R.V6.network("10.0.0.1/24"),
        lambda: R.syslog("example.org"),
        lambda: R.dns_timeout("5s"),
    ],
)
def test_bad_values_raise_config_errors(make):
    with pytest.raises(ConfigError):
        make()
