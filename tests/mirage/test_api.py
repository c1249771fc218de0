"""The Python API mirrors ``Mirage``'s: every public value has a twin, labels become keywords."""

from __future__ import annotations

import inspect

import pytest

import mirage_nb.mirage as M

# Public values of mirage 4.11.1's lib/mirage.mli (plus Functoria.DSL's), by name.
VALUES = """
qubesdb default_qubesdb sleep default_sleep no_sleep ptime default_ptime no_ptime mock_ptime mtime
default_mtime no_mtime mock_mtime reporter default_reporter no_reporter random default_random no_random
block block_of_file block_of_xenstore_id ramdisk generic_block kv_ro crunch tar_kv_ro direct_kv_ro fat_ro
generic_kv_ro docteur kv_rw direct_kv_rw kv_rw_mem chamelon tar_kv_rw ccm_block network default_network
netif ethernet etif ethif arpv4 arp ipv4 ipv6 ipv4v6 dhcp_ipv4 lease ipv4_of_dhcp make_dhcp_requests
add_dhcp_request dhcp_proj_net dhcp_proj_ipv4 dhcp_proj_lease no_lease create_ipv4 ipv4_qubes create_ipv6
create_ipv4v6 udp udpv4v6 direct_udp tcp tcpv4v6 direct_tcp stackv4v6 direct_stackv4v6 generic_stackv4v6
generic_stackv4v6_with_lease tcpv4v6_of_stackv4v6 resolver resolver_dns resolver_unix_system happy_eyeballs
generic_happy_eyeballs dns_client generic_dns_client syslog syslog_udp syslog_tcp syslog_tls monitoring
conduit conduit_direct mimic mimic_happy_eyeballs http cohttp_server httpaf_server http_client
cohttp_client http_server paf_server alpn_client paf_client argv default_argv no_argv git_client
merge_git_clients git_tcp git_ssh git_http job noop runtime_args register connect_err
typ dep runtime_arg key if_impl match_impl package main code of_device impl
Key Runtime_arg Type Info Context
""".split()


def test_every_public_value_has_a_twin():
    assert [n for n in VALUES if not hasattr(M, n)] == []
    assert set(VALUES) <= set(M.__all__)


def test_module_types_that_ocaml_aliases_are_one_object():
    assert M.ipv4 is M.ipv6 is M.ipv4v6
    assert M.udp is M.udpv4v6 and M.tcp is M.tcpv4v6
    assert M.sleep is M.ptime is M.mtime is M.random is M.reporter is M.delay is M.job


# (positional parameters, keyword-only parameters) as in the OCaml signature
SIGNATURES = {
    "netif": (["dev"], ["group"]),
    "generic_stackv4v6": (["tap"], ["group", "ipv4_network", "ipv4_gateway", "ipv6_network", "ipv6_gateway"]),
    "generic_stackv4v6_with_lease": (
        ["tap"],
        ["group", "dhcp_requests", "ipv4_network", "ipv4_gateway", "ipv6_network", "ipv6_gateway"],
    ),
    "direct_stackv4v6": (["network_", "eth", "arp", "ipv4", "ipv6"], ["group"]),
    "ipv4_of_dhcp": (["net", "ethif", "arp"], ["group", "dhcp_requests", "gateway"]),
    "create_ipv4": (["etif", "arp"], ["group"]),
    "create_ipv6": (["netif", "etif"], ["group"]),
    "create_ipv4v6": (["ipv4", "ipv6"], ["group"]),
    "direct_tcp": (["ip_"], ["group"]),
    "generic_kv_ro": (["dir"], ["group", "key"]),
    "generic_block": (["name"], ["group", "key"]),
    "docteur": (["remote"], ["mode", "name", "output", "analyze", "branch", "extra_deps"]),
    "chamelon": (["b"], ["program_block_size"]),
    "ccm_block": (["key", "b"], ["nonce_len"]),
    "conduit_direct": (["s"], ["tls"]),
    "resolver_dns": (["stack"], ["dhcp", "ns"]),
    "generic_happy_eyeballs": (
        ["stack"],
        [
            "group",
            "aaaa_timeout",
            "connect_delay",
            "connect_timeout",
            "resolve_timeout",
            "resolve_retries",
            "timer_interval",
        ],
    ),
    "generic_dns_client": (["stack", "he"], ["dhcp", "group", "timeout", "nameservers", "cache_size"]),
    "paf_server": (["tcp"], ["port"]),
    "git_ssh": (["tcp", "ctx"], ["group", "authenticator", "key", "password"]),
    "git_http": (["tcp", "ctx"], ["group", "authenticator", "headers"]),
    "syslog_udp": (["stack"], ["group"]),
    "syslog_tls": (["stack", "kv"], ["group"]),
    "monitoring": (["stack"], ["group"]),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_labels_become_keyword_only_parameters(name):
    params = inspect.signature(getattr(M, name)).parameters.values()
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    assert (positional, keywords) == SIGNATURES[name]
