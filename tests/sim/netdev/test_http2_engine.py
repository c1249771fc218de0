"""What the engine says about the ``http`` and ``http-fetch`` examples: describe, configure, the boot graph.

No recording of the real tool on these two configs exists in ../shared/reference
(applications/http and device-usage/http-fetch are not among its cases), so
this checks what follows from mirage 4.11.1's device definitions: the
connect code of ``paf_server``, ``mimic_happy_eyeballs``, ``cohttp_client``
and the config's own ``Connect.Make``, whose ``__POS__`` is line 24 of the
config as in mirage-skeleton's file, and the packages each device adds.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from mirage_nb.cli import main
from mirage_nb.config_ml import load
from mirage_nb.sim.cli import nodes_of_graph
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR


def _cli(cwd, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        status = main(list(args), out, err)
    finally:
        os.chdir(old)
    return status, out.getvalue() + err.getvalue()


@pytest.fixture
def copy(tmp_path):
    def make(name: str):
        d = tmp_path / name
        shutil.copytree(os.path.join(EXAMPLES_DIR, name), d)
        return d

    return make


def test_http_configures_paf_mimic_and_the_config_s_own_connect(copy):
    d = copy("http")
    status, out = _cli(d, "configure", "-t", "unix", "--net=direct", "--no-dhcp")
    assert status == 0, out
    main_ml = (d / "mirage" / "main.ml").read_text()
    assert (
        "module Connect_make__27 = Connect.Make(Tcpip_stack_direct_tcpv4v6__23)(Mimic_happy_eyeballs_make__26)"
        in main_ml
    )
    assert '# 24 "config.ml"\n  Connect_make__27.connect _mimic_happy_eyeballs_make__26\n' in main_ml
    assert (
        '# 11 "lib/devices/mimic.ml"\n  Mimic_happy_eyeballs_make__26.connect _happy_eyeballs_mirage_make__24\n'
        in main_ml
    )
    assert "Paf_mirage_make__28.init ~port:_unikernel_port _tcpip_stack_direct_tcpv4v6__23" in main_ml
    status, pkgs = _cli(d, "query", "-t", "unix", "packages")
    for p in (
        '"h2" { ?monorepo & >= "0.13.0" }',
        '"paf" { ?monorepo & >= "0.8.0" & < "0.9.0" }',
        '"mimic-happy-eyeballs"',
    ):
        assert p in pkgs


def test_http_fetch_configures_cohttp_client_over_resolver_dns_and_conduit_tls(copy):
    d = copy("http-fetch")
    status, out = _cli(d, "describe")
    assert status == 0 and out.startswith("Name       http-fetch\n"), out
    status, out = _cli(d, "configure", "-t", "unix", "--net=direct", "--no-dhcp")
    assert status == 0, out
    main_ml = (d / "mirage" / "main.ml").read_text()
    assert "Cohttp_mirage_client_make__24.ctx _resolver_mirage_make__21 _conduit_mirage_tls__23" in main_ml
    assert "Unikernel_client__25.start _cohttp_mirage_client_make__24" in main_ml


def test_the_boot_graphs_have_a_runtime_for_every_device():
    http = nodes_of_graph(
        load(os.path.join(EXAMPLES_DIR, "http", "config.ml")).configured(["--net=direct", "--no-dhcp"])
    )
    assert [n.kind for n in http][-8:] == [
        "tcpv4v6_of_stack",
        "happy_eyeballs",
        "dns_client",
        "mimic_happy_eyeballs",
        "local_module",
        "paf_server",
        "job",
        "noop",
    ]
    local = next(n for n in http if n.kind == "local_module")
    assert local.module_name == "Connect.Make" and local.params["pos"][1] == 24
    fetch = load(os.path.join(EXAMPLES_DIR, "http-fetch", "config.ml")).configured(["--net=direct", "--no-dhcp"])
    assert [n.kind for n in nodes_of_graph(fetch)][-7:-2] == [
        "stack_direct",
        "resolver_dns",
        "conduit_tcp",
        "conduit_tls",
        "cohttp_client",
    ]
