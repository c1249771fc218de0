"""Connect code whose layout comes from OCaml's Format, against what real OCaml printed.

``data/connect_code_ocaml.json`` holds the text OCaml 4.13.1's ``Format``
printed for mirage 4.11.1's format strings (boxes, ``@;`` hints, ``@.``
newlines, raw newlines that Format counts as columns) with the argument
names used below. Every case here has a layout quirk that a hand-written
f-string would miss.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mirage_nb.functoria.info import Info
from mirage_nb.mirage import (
    Runtime_arg,
    arp,
    ccm_block,
    chamelon,
    conduit_direct,
    create_ipv4,
    crunch,
    default_network,
    default_qubesdb,
    docteur,
    ethif,
    generic_dns_client,
    generic_happy_eyeballs,
    generic_stackv4v6,
    ipv4_qubes,
    make_dhcp_requests,
    monitoring,
    netif,
    no_lease,
    ramdisk,
    resolver_dns,
    syslog_tls,
    syslog_udp,
)

CASES = json.loads((Path(__file__).parent / "data" / "connect_code_ocaml.json").read_text(encoding="utf-8"))["cases"]

INFO = Info(name="t")
STACK = generic_stackv4v6(default_network)
HE = generic_happy_eyeballs(STACK)
KEY = Runtime_arg.create(("config.ml", 1, 0, 0), "Unikernel.key")
ETH = ethif(netif("x"))
ARP = arp(ETH)
DNS_ARGS = ["_mirage_runtime_network_dns_timeout_none", "_mirage_runtime_network_dns_cache_size_none"]
STACK_HE = ["_tcpip_stack_direct_makev4v6__11", "_happy_eyeballs_mirage_make__10"]


def _code(t, modname, names):
    return t.dev.connect(INFO, modname, names).code


PRINTED = {
    "ccm": lambda: _code(ccm_block(KEY, ramdisk("r"), nonce_len=8), "C", ["_b", "_k"]),
    "resolver": lambda: _code(resolver_dns(STACK), "R", ["_s", "_ns"]),
    "resolver_dhcp": lambda: _code(
        resolver_dns(STACK, dhcp=(make_dhcp_requests(), no_lease)), "R", ["_s", "_lease", "_ns"]
    ),
    "dns_dhcp": lambda: _code(
        generic_dns_client(STACK, HE, dhcp=(make_dhcp_requests(), no_lease)),
        "Dns_client_mirage_make__12",
        [*STACK_HE, "_l", "_n", *DNS_ARGS],
    ),
    "dns": lambda: _code(
        generic_dns_client(STACK, HE),
        "Dns_client_mirage_make__12",
        [*STACK_HE, "_mirage_runtime_network_dns_servers_none", *DNS_ARGS],
    ),
    "syslog_udp": lambda: _code(syslog_udp(STACK), "L", ["_s", "_e", "_p", "_t"]),
    "syslog_tls": lambda: _code(syslog_tls(STACK, crunch("k")), "L", ["_s", "_kv", "_e", "_p", "_t", "_k"]),
    "dns_servers": lambda: Runtime_arg.dns_servers([f"udp:10.0.0.{i}" for i in range(8)]).code,
    "headers": lambda: Runtime_arg.http_headers([("a", "b"), ("c", "d")]).code,
    "static_ipv4": lambda: _code(
        create_ipv4(ETH, ARP),
        "Static_ipv4_make__38",
        [
            "_ethernet_make__29",
            "_arp_make__30",
            "_mirage_runtime_network_v4_network_ipaddr_v4_prefix_of_string_exn_10_0_0_224",
            "_mirage_runtime_network_v4_gateway_none",
            "_mirage_runtime_network_ipv6_only_",
        ],
    ),
    "qubes": lambda: _code(
        ipv4_qubes(default_qubesdb, ETH, ARP),
        "Qubesdb_ipv4_make__36",
        ["_qubes_db__35", "_ethernet_make__29", "_arp_make__30"],
    ),
    "chamelon": lambda: _code(chamelon(ramdisk("r"), program_block_size=KEY), "K", ["_b", "_p"]),
    "docteur": lambda: docteur("x").default.dev.connect(INFO, "D", ["_a"]).code,
    "monitor": lambda: _code(monitoring(STACK), "M", ["_s", "_m"]),
    "conduit": lambda: _code(conduit_direct(STACK), "X", ["_tcpip_stack_direct_makev4v6__23"]),
}


def test_every_recorded_case_is_checked():
    assert set(PRINTED) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_as_ocaml_printed_it(name):
    assert PRINTED[name]() == CASES[name]
