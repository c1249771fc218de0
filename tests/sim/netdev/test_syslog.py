"""The log reporters (syslog_udp, syslog_tcp, syslog_tls) and monitoring, booted from config.ml, with a log host."""

from __future__ import annotations

import os
import shutil

import pytest

from mirage_nb.config_ml import load
from mirage_nb.errors import SimulationError
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.net.syslog import decode
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.pki import write_test_pki
from mirage_nb.sim.netdev.syslog import SyslogPeer
from mirage_nb.sim.run import Run

EXAMPLE = os.path.join(EXAMPLES_DIR, "syslog")


def app_dir(tmp_path, reporter: str | None = None) -> str:
    d = str(tmp_path / "syslog")
    shutil.copytree(EXAMPLE, d)
    if reporter is not None:
        cfg = os.path.join(d, "config.ml")
        text = open(cfg).read().replace("let reporter = syslog_udp stack", f"let reporter = {reporter}")
        open(cfg, "w").write(text)
    return d


def run_app(d, argv, *, until="8s", **peer_kw):
    nodes = cli.nodes_of_graph(load(os.path.join(d, "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    run = Run(seed=0, argv=["--ipv4=10.0.0.2/24", *argv], name="syslog", until=until)
    host = SyslogPeer.on(VirtualLan.of_run(run), **peer_kw)
    r = boot(nodes, load_unikernel(os.path.join(d, "unikernel.py")), run=run, connectors=NET_CONNECTORS, data_dir=d)
    return r, host


def test_the_example_configures_its_udp_reporter_from_config_ml():
    nodes = cli.nodes_of_graph(load(os.path.join(EXAMPLE, "config.ml")).configured(["--net=direct"]))
    kinds = [n.kind for n in nodes]
    assert "syslog_udp" in kinds and kinds.index("syslog_udp") < kinds.index("job")
    job = nodes[kinds.index("job")]
    assert job.deps == (nodes[kinds.index("syslog_udp")].id,)


def test_without_syslog_the_reporter_warns_and_logs_stay_on_the_console(tmp_path):
    r, host = run_app(app_dir(tmp_path), [])
    assert "[WARNING] [application] no syslog server specified, dumping logs to stdout" in r.output
    assert r.output.count("[INFO] [application] hello") == 4
    assert host.received == []


def test_udp_ships_rfc3164_lines_and_the_console_goes_quiet(tmp_path):
    r, host = run_app(app_dir(tmp_path), ["--syslog=10.0.0.1"])
    assert host.lines == [f"<30>Jan 01 00:00:0{i} syslog application hello" for i in range(1, 5)]
    assert [x.transport for x in host.received] == ["udp"] * 4 and host.received[0].src == "10.0.0.2"
    assert "hello" not in r.output  # Logs.set_reporter replaced the console reporter
    assert [m.text for m in host.messages] == ["hello"] * 4
    assert [(lr.source, lr.message) for lr in r.logs if lr.message == "hello"] == [("application", "hello")] * 4


def test_levels_map_to_severities_and_truncate_cuts(tmp_path):
    d = app_dir(tmp_path)
    with open(os.path.join(d, "unikernel.py"), "w") as f:
        f.write(
            "from mirage_nb.unikernel import Duration, Logs, Mirage_sleep\n"
            "src = Logs.Src.create('a.very.long.source.name.that.goes.on.and.on')\n"
            "L = Logs.src_log(src)\n"
            "async def start(_s):\n"
            "    L.err('bad %d', 1)\n"
            "    L.warn('careful')\n"
            "    L.debug('not shown at info')\n"
            "    Logs.app('app level', header='HDR')\n"
            "    await Mirage_sleep.ns(Duration.of_sec(1))  # the sends are not awaited: let them go out\n"
        )
    _, host = run_app(d, ["--syslog=10.0.0.1", "--syslog-port=1514", "--syslog-truncate=40"], udp=1514, tcp=None)
    assert [m.severity for m in host.messages] == [3, 4, 6]
    assert [m.facility for m in host.messages] == [3, 3, 3]  # daemon
    full = [
        "<27>Jan 01 00:00:01 syslog a.very.long.source.name.that.goe bad 1",  # the tag: 32 characters
        "<28>Jan 01 00:00:01 syslog a.very.long.source.name.that.goe careful",
        "<30>Jan 01 00:00:01 syslog application HDR app level",  # App is info; the header leads the content
    ]
    assert host.lines == [x[:40] for x in full]


def test_tcp_frames_each_line_with_nul_and_default_truncate_empties_them(tmp_path):
    d = app_dir(tmp_path, "syslog_tcp stack")
    _, host = run_app(d, ["--syslog=10.0.0.1", "--syslog-truncate=1024"])
    assert [x.transport for x in host.received] == ["tcp"] * 4
    assert [m.text for m in host.messages] == ["hello"] * 4
    # logs-syslog's TCP default truncate is 0, and syslog-message cuts to 0 bytes: empty NUL-framed records
    _, host = run_app(d, ["--syslog=10.0.0.1"])
    assert [x.line for x in host.received] == [b""] * 4


def test_tcp_reporter_without_a_listener_fails_the_boot(tmp_path):
    d = app_dir(tmp_path, "syslog_tcp stack")
    with pytest.raises(SimulationError, match="Logs_syslog_mirage.Tcp.create"):
        run_app(d, ["--syslog=10.0.0.1"], tcp=None)


def test_tls_authenticates_both_ways_and_ships_lines(tmp_path):
    d = app_dir(tmp_path, 'syslog_tls stack (generic_kv_ro "tls")')
    pki = write_test_pki(os.path.join(d, "tls"), ["10.0.0.1", "10.0.0.2"])
    _, host = run_app(
        d,
        ["--syslog=10.0.0.1", "--syslog-port=6514", "--syslog-truncate=1024"],
        tls=6514,
        certificate=pki,
        client_ca=pki.ca,
    )
    assert [x.transport for x in host.received] == ["tls"] * 4
    assert [m.text for m in host.messages] == ["hello"] * 4


def test_tls_with_an_untrusted_host_fails_the_boot(tmp_path):
    d = app_dir(tmp_path, 'syslog_tls stack (generic_kv_ro "tls")')
    write_test_pki(os.path.join(d, "tls"), ["10.0.0.2"])
    other = write_test_pki(str(tmp_path / "other"), ["10.0.0.1"])
    with pytest.raises(SimulationError, match="Logs_syslog_mirage_tls.Tls.create: .*TLS failure"):
        run_app(d, ["--syslog=10.0.0.1"], tls=514, certificate=other)


def test_monitoring_says_what_it_omits(tmp_path):
    d = app_dir(tmp_path)
    cfg = os.path.join(d, "config.ml")
    text = open(cfg).read().replace("[ dep reporter ]", "[ dep reporter; dep (monitoring stack) ]")
    open(cfg, "w").write(text)
    uk = os.path.join(d, "unikernel.py")
    code = open(uk).read().replace("async def start(_syslog)", "async def start(_syslog, _monitoring)")
    open(uk, "w").write(code)
    r, _ = run_app(d, [])
    assert "[WARNING] [application] no monitor specified, not outputting statistics" in r.output
    r, _ = run_app(d, ["--monitor=10.0.0.1"])
    assert "[WARNING] [mirage_nb] Mirage_monitoring is not simulated: no statistics to 10.0.0.1:8094" in r.output
    assert r.output.count("hello") == 4


def test_help_lists_the_syslog_arguments(tmp_path):
    r, _ = run_app(app_dir(tmp_path), ["--help=plain"])
    for opt in ("--syslog=IP", "--syslog-port=PORT", "--syslog-truncate=", "LOG AND MONITORING OPTIONS"):
        assert opt in r.output
    assert decode(b"<30>Jan 01 00:00:01 syslog application hello").tag == "application"


def test_a_notebook_runs_the_example_with_a_log_host_in_a_line():
    from mirage_nb import lab

    r = lab.run_with_peers(
        lab.example("syslog"),
        lambda lan: lab.SyslogPeer(lan, cidr="10.0.0.1/24"),
        argv=["--ipv4=10.0.0.2/24", "--syslog=10.0.0.1"],
        net="direct",
        no_dhcp=True,
        until="6s",
    )
    assert [m.text for m in r.peers["loghost"].messages] == ["hello"] * 4
