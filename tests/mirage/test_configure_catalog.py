"""Every device of the catalog in one unikernel, configured for each target family.

This checks what unit tests of single devices cannot: that each connect gets
its names in the order functoria passes them (functor arguments, then data
dependencies, then runtime arguments), that configure hooks run, and that the
generated main.ml connects every device.
"""

from __future__ import annotations

import pytest

from mirage_nb.functoria.tool import run_verb
from mirage_nb.mirage import (
    Runtime_arg,
    block_of_file,
    ccm_block,
    chamelon,
    cohttp_client,
    cohttp_server,
    conduit_direct,
    default_network,
    docteur,
    fat_ro,
    generic_block,
    generic_dns_client,
    generic_happy_eyeballs,
    generic_kv_ro,
    generic_stackv4v6_with_lease,
    git_http,
    git_ssh,
    git_tcp,
    httpaf_server,
    job,
    kv_ro,
    kv_rw,
    kv_rw_mem,
    main,
    make_dhcp_requests,
    merge_git_clients,
    mimic_happy_eyeballs,
    monitoring,
    paf_client,
    paf_server,
    register,
    resolver_dns,
    syslog_tcp,
    syslog_tls,
    syslog_udp,
    tar_kv_ro,
    tar_kv_rw,
    tcpv4v6_of_stackv4v6,
)


def kitchen_sink():
    reqs = make_dhcp_requests()
    stack, lease = generic_stackv4v6_with_lease(default_network, dhcp_requests=reqs)
    he = generic_happy_eyeballs(stack)
    dns = generic_dns_client(stack, he, dhcp=(reqs, lease))
    mimic = mimic_happy_eyeballs(stack, he, dns)
    tcp = tcpv4v6_of_stackv4v6(stack)
    conduit = conduit_direct(stack, tls=True)
    port = Runtime_arg.create(("config.ml", 1, 0, 0), "Unikernel.port")
    key = Runtime_arg.create(("config.ml", 2, 0, 0), "Unikernel.key")
    pbs = Runtime_arg.create(("config.ml", 3, 0, 0), "Unikernel.program_block_size")
    disk = block_of_file("disk.img")
    devices = [
        (kv_ro, generic_kv_ro("htdocs")),
        (kv_ro, tar_kv_ro(disk)),
        (kv_ro, fat_ro(generic_block("fat"))),
        (kv_rw, tar_kv_rw(ccm_block(key, disk, nonce_len=8))),
        (kv_rw, chamelon(block_of_file("chamelon.img"), program_block_size=pbs)),
        (kv_rw, kv_rw_mem()),
        (kv_ro, docteur("relativize://data")),
        (cohttp_server(conduit).module_type, cohttp_server(conduit)),
        (httpaf_server(conduit).module_type, httpaf_server(conduit)),
        (None, cohttp_client(resolver_dns(stack, dhcp=(reqs, lease)), conduit)),
        (None, paf_server(tcp, port=port)),
        (None, paf_client(tcp, mimic)),
        (None, merge_git_clients(git_tcp(tcp, mimic), merge_git_clients(git_ssh(tcp, mimic), git_http(tcp, mimic)))),
        (None, syslog_udp(stack)),
        (None, syslog_tcp(stack)),
        (None, syslog_tls(stack, generic_kv_ro("keys"))),
    ]
    typ = job
    for t, d in reversed(devices):
        typ = (t or d.module_type) @ typ
    unikernel = main("Unikernel.Make", typ, pos=("config.ml", 9, 0, 0))
    return register("sink", [unikernel(*[d for _, d in devices]), monitoring(stack)])


def _in_empty_project(monkeypatch, tmp_path):
    # configure reads the config file for its version comment, even in memory.
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.ml").write_text("")


@pytest.mark.parametrize("target", ["unix", "hvt", "xen", "qubes", "spt", "virtio", "unikraft-qemu"])
def test_every_device_configures(target, monkeypatch, tmp_path):
    _in_empty_project(monkeypatch, tmp_path)
    r = run_verb(kitchen_sink(), "configure", ["-t", target])
    assert r.status == 0, r.stderr
    main_ml = r.files["mirage/main.ml"]
    for text in [
        "Dns_client_mirage_make__",
        "Dhcp_wire.collect_dns_servers",
        "Conduit_mirage_tls__",
        "Git_net_ssh_make__",
        "Logs_syslog_mirage_tls_tls__",
        "Mirage_monitoring_make__",
        "Block_ccm_make__",
        "Kv_make__",
        "?nonce_len:",
        "Mirage_runtime_network.he_timer_interval None",
    ]:
        assert text in main_ml, text
    if target == "qubes":
        # qubes takes its addresses from QubesDB, not DHCP
        assert "Qubes.DB.connect ~domid:0 ()" in main_ml and "Dhcp_ipv4" not in main_ml
    else:
        # the DNS servers option (6) the resolver and the DNS client asked for
        assert "(Some [1; 3; 6])" in main_ml
    if target in ("xen", "qubes"):
        # Xen disks are named by xenstore id, in registration order from 1.
        assert 'Block.connect "51728"' in main_ml and 'Block.connect "51744"' in main_ml
    else:
        assert 'Block.connect "disk.img"' in main_ml


STACK_CONFIG = """\
from mirage_nb.mirage import generic_stackv4v6, default_network, main, stackv4v6, job, register

main = main("App", stackv4v6 @ job, pos=("config.ml", 4, 21, 28))
register("stack", [main(generic_stackv4v6(default_network))])
"""


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["-t", "hvt", "--net=host"], 1, "UDPv4v6 socket not supported on non-UNIX targets."),
        (["-t", "qubes", "--net=host"], 0, ""),  # qubes always takes the QubesDB stack
        (["-t", "unix", "--net=host"], 0, ""),
        (["-t", "unix", "--no-dhcp"], 0, ""),
    ],
)
def test_configure_errors_of_the_socket_stack(args, status, message, monkeypatch, tmp_path):
    import contextlib
    import io

    from mirage_nb.cli import main as cli

    _in_empty_project(monkeypatch, tmp_path)
    (tmp_path / "config.py").write_text(STACK_CONFIG)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(["configure", "-f", "config.py", *args], out, err) == status
    assert message in err.getvalue()
