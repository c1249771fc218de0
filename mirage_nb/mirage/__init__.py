"""The MirageOS device library, with the names of OCaml's ``open Mirage`` (twin of ``Mirage``).

A config reads like its OCaml twin::

    from mirage_nb.mirage import *

    main = main("Unikernel.Main", stackv4v6 @ job)   # @ stands for @->
    stack = generic_stackv4v6(default_network)
    app = register("network", [main(stack)])         # f(x) stands for f $ x

OCaml labelled and optional arguments are keyword-only parameters with the
same names (``generic_stackv4v6(net, group="g")``); a trailing ``()`` that
only delays evaluation is dropped (``Runtime_arg.ipv4_only()``). Where OCaml
takes an ``Ipaddr`` value, pass its text (``ipv4_network="10.0.0.2/24"``).

The device modules are named like mirage's ``lib/devices/*.ml``; several of
them share their name with a value exported here (``network``, ``block``,
``http``...), so ``mirage_nb.mirage.network`` is the module *type*. Reach a
module with ``from mirage_nb.mirage.network import netif``.
"""

from mirage_nb.functoria import types as Type
from mirage_nb.functoria.dsl import (
    Code,
    Impl,
    Package,
    RuntimeArg,
    Typ,
    abstract,
    argv,
    arrow,
    code,
    dep,
    if_impl,
    impl,
    info,
    job,
    key,
    main,
    match_impl,
    noop,
    package,
    runtime_arg,
    typ,
)
from mirage_nb.functoria.impl import of_device
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.keys import Context

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from ._util import connect_err
from .arp import arp, arpv4
from .block import (
    block,
    block_of_file,
    block_of_xenstore_id,
    ccm_block,
    chamelon,
    docteur,
    fat_ro,
    generic_block,
    ramdisk,
    tar_kv_ro,
    tar_kv_rw,
)
from .conduit import conduit, conduit_direct
from .dns import dns_client, generic_dns_client
from .ethernet import ethernet, ethif, etif
from .git import git_client, git_http, git_ssh, git_tcp, merge_git_clients
from .happy_eyeballs import generic_happy_eyeballs, happy_eyeballs
from .http import (
    alpn_client,
    cohttp_client,
    cohttp_server,
    http,
    http_client,
    http_server,
    httpaf_server,
    paf_client,
    paf_server,
)
from .ip import (
    DhcpRequests as dhcp_requests,
)
from .ip import (
    add_dhcp_request,
    create_ipv4,
    create_ipv4v6,
    create_ipv6,
    dhcp_ipv4,
    dhcp_proj_ipv4,
    dhcp_proj_lease,
    dhcp_proj_net,
    ipv4,
    ipv4_of_dhcp,
    ipv4_qubes,
    ipv4v6,
    ipv6,
    lease,
    make_dhcp_requests,
    no_lease,
)
from .jobs import (
    default_argv,
    default_mtime,
    default_ptime,
    default_random,
    default_reporter,
    default_sleep,
    delay,
    delay_startup,
    mock_mtime,
    mock_ptime,
    mtime,
    no_argv,
    no_mtime,
    no_ptime,
    no_random,
    no_reporter,
    no_sleep,
    ocaml_runtime,
    ptime,
    random,
    reporter,
    runtime_args,
    sleep,
    unikernel_name,
)
from .kv import crunch, direct_kv_ro, direct_kv_rw, generic_kv_ro, kv_ro, kv_rw, kv_rw_mem
from .mimic import mimic, mimic_happy_eyeballs
from .network import default_network, netif, network
from .project import PROJECT as Project
from .project import register
from .qubesdb import default_qubesdb, qubesdb
from .resolver import resolver, resolver_dns, resolver_unix_system
from .stack import (
    direct_stackv4v6,
    generic_stackv4v6,
    generic_stackv4v6_with_lease,
    stackv4v6,
    tcpv4v6_of_stackv4v6,
)
from .syslog import monitoring, syslog, syslog_tcp, syslog_tls, syslog_udp
from .tcp import direct_tcp, tcp, tcpv4v6
from .udp import direct_udp, udp, udpv4v6

__all__ = [
    "Code",
    "Context",
    "Impl",
    "Info",
    "Key",
    "Package",
    "Project",
    "RuntimeArg",
    "Runtime_arg",
    "Typ",
    "Type",
    "abstract",
    "add_dhcp_request",
    "alpn_client",
    "argv",
    "arp",
    "arpv4",
    "arrow",
    "block",
    "block_of_file",
    "block_of_xenstore_id",
    "ccm_block",
    "chamelon",
    "code",
    "cohttp_client",
    "cohttp_server",
    "conduit",
    "conduit_direct",
    "connect_err",
    "create_ipv4",
    "create_ipv4v6",
    "create_ipv6",
    "crunch",
    "default_argv",
    "default_mtime",
    "default_network",
    "default_ptime",
    "default_qubesdb",
    "default_random",
    "default_reporter",
    "default_sleep",
    "delay",
    "delay_startup",
    "dep",
    "dhcp_ipv4",
    "dhcp_proj_ipv4",
    "dhcp_proj_lease",
    "dhcp_proj_net",
    "dhcp_requests",
    "direct_kv_ro",
    "direct_kv_rw",
    "direct_stackv4v6",
    "direct_tcp",
    "direct_udp",
    "dns_client",
    "docteur",
    "ethernet",
    "ethif",
    "etif",
    "fat_ro",
    "generic_block",
    "generic_dns_client",
    "generic_happy_eyeballs",
    "generic_kv_ro",
    "generic_stackv4v6",
    "generic_stackv4v6_with_lease",
    "git_client",
    "git_http",
    "git_ssh",
    "git_tcp",
    "happy_eyeballs",
    "http",
    "http_client",
    "http_server",
    "httpaf_server",
    "if_impl",
    "impl",
    "info",
    "ipv4",
    "ipv4_of_dhcp",
    "ipv4_qubes",
    "ipv4v6",
    "ipv6",
    "job",
    "key",
    "kv_ro",
    "kv_rw",
    "kv_rw_mem",
    "lease",
    "main",
    "make_dhcp_requests",
    "match_impl",
    "merge_git_clients",
    "mimic",
    "mimic_happy_eyeballs",
    "mock_mtime",
    "mock_ptime",
    "monitoring",
    "mtime",
    "netif",
    "network",
    "no_argv",
    "no_lease",
    "no_mtime",
    "no_ptime",
    "no_random",
    "no_reporter",
    "no_sleep",
    "noop",
    "of_device",
    "ocaml_runtime",
    "package",
    "paf_client",
    "paf_server",
    "ptime",
    "qubesdb",
    "ramdisk",
    "random",
    "register",
    "reporter",
    "resolver",
    "resolver_dns",
    "resolver_unix_system",
    "runtime_arg",
    "runtime_args",
    "sleep",
    "stackv4v6",
    "syslog",
    "syslog_tcp",
    "syslog_tls",
    "syslog_udp",
    "tar_kv_ro",
    "tar_kv_rw",
    "tcp",
    "tcpv4v6",
    "tcpv4v6_of_stackv4v6",
    "typ",
    "udp",
    "udpv4v6",
    "unikernel_name",
]


def _record_exports() -> None:
    """Wrap the exported functions so each value they make remembers its call (``app.to_config_ml()``).

    Only what a config calls is wrapped: the library's own inner calls stay
    plain, so a value's noted call is the one the config wrote.
    """
    import inspect

    from mirage_nb.functoria.to_config_ml import recorded_namespace, recording

    g = globals()
    for name in __all__:
        v = g[name]
        if inspect.isfunction(v):
            g[name] = recording(v, name.removesuffix("_") if name.endswith("_") else name)
    g["Key"] = recorded_namespace(Key, "Key")
    g["Runtime_arg"] = recorded_namespace(Runtime_arg, "Runtime_arg")


_record_exports()
