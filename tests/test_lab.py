"""mirage_nb.lab, the notebook's API: what a learner does in a tutorial cell, end to end.

Expected values are recorded from the OCaml twins' behaviour (the same lines
tests/sim/test_sim_examples.py checks) or computed from the run's own inputs
(the bytes a unikernel wrote into the disk it was given).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mirage_nb import lab
from mirage_nb.errors import MirageNbError, SimulationError

APP = "[INFO] [application]"


def test_examples_are_named_and_load_from_their_config_ml() -> None:
    names = lab.examples()
    assert {"hello", "hello-key", "kv_ro", "network", "ping6", "disk-lottery"} <= set(names)
    assert lab.example("hello-key").name == "hello-key"
    assert lab.example_dir("kv_ro") == lab.EXAMPLES_DIR / "kv_ro"
    with pytest.raises(MirageNbError, match="no bundled example 'nope'; the bundled ones are app_info"):
        lab.example("nope")


def test_an_edit_to_a_copied_example_shows_at_the_next_run(tmp_path: Path) -> None:
    base = tmp_path / "hello-key"
    shutil.copytree(lab.example_dir("hello-key"), base, ignore=shutil.ignore_patterns("__pycache__"))
    app = lab.load(base / "config.ml")
    assert app.run(until="500ms").lines == [f"2025-01-01T00:00:00Z: {APP} Hello World!"]
    (base / "unikernel.py").write_text((base / "unikernel.py").read_text().replace("Logs.info(", "Logs.err("))
    assert app.run(until="500ms", argv=["--hello=Hi"]).lines == ["2025-01-01T00:00:00Z: [ERROR] [application] Hi"]


def test_configure_time_keys_are_the_configs() -> None:
    kv = lab.example("kv_ro")
    crunch = [n for n in lab.boot_plan(kv) if n.kind.startswith("kv_ro")]
    direct = [n for n in lab.boot_plan(kv, kv_ro="direct") if n.kind.startswith("kv_ro")]
    assert [(n.id, n.kind) for n in crunch] == [("static_t__11", "kv_ro_crunch")]
    assert [(n.id, n.kind) for n in direct] == [("mirage_kv_unix__11", "kv_ro_direct")]
    assert kv.run(kv_ro="direct").lines == [
        f"2025-01-01T00:00:00Z: {APP} Contents of extremely secret vital storage confirmed!"
    ]


def test_a_disk_is_run_time_data_given_to_the_run() -> None:
    lottery = lab.example("disk-lottery")
    disk = lab.disk_image(8)
    assert lottery.run(disks={"disk.img": disk}, argv=["--reset-all"]).lines == [
        "2025-01-01T00:00:00Z:  [application] All 8 game slots reset."
    ]
    assert disk[:4] == b"LOTO"  # the unikernel wrote into the bytearray it was given
    with pytest.raises(SimulationError, match=r"disks: no block device reads nope.img; .* disk.img"):
        lottery.run(disks={"nope.img": disk})
    fs = lab.disk_image(1024, littlefs=True)
    r = lab.example("littlefs").run(disks={"littlefs": fs})
    assert r.lines[0].endswith("foo: 00000000: 4865 6c6c 6f20 576f 726c 6421            Hello World!")
    with pytest.raises(MirageNbError, match="positive number of sectors"):
        lab.disk_image(0)


def test_a_network_of_a_unikernel_and_a_peer_with_its_views() -> None:
    replies = []

    async def ping(peer: lab.Peer) -> None:
        await lab.Mirage_sleep.ns(lab.Duration.of_sec(2))
        replies.append(await peer.ping("10.0.0.2", 7, b"lab"))

    net = (
        lab.Network()
        .unikernel("server", lab.example("network"), net="direct", no_dhcp=True)
        .peer("pinger", ping, cidr="10.0.0.1/24")
    )
    r = net.run(until="3s", pcap=True)
    assert [(x.seq, x.data) for x in replies] == [(7, b"lab")]
    assert net.devices == ["server", "pinger"]
    table = lab.packet_table(r, protocols={"ICMP"})
    assert [row.summary.split(",")[0] for row in table.rows] == [
        "Echo (ping) request id=0x0001",
        "Echo (ping) reply id=0x0001",
    ]
    diagram = lab.sequence_diagram(r, protocols={"ARP", "ICMP"})
    assert set(diagram.hosts) == {"server", "pinger"}
    assert r.run.exit_code is None and r.run.stopped.value == "until"


def test_run_bridged_over_an_application() -> None:
    reason = lab.bridge_available()
    if reason is not None:
        pytest.skip(f"Linux bridge: {reason}")
    if shutil.which("ping") is None:
        pytest.skip("no ping here")

    def linux(bridge):  # type: ignore[no-untyped-def]
        bridge.wait_for_console("stack assembled")
        return bridge.exec("ping", "-c", "1", "-W", "2", "10.0.0.2")

    r = lab.run_bridged(lab.example("network"), linux, net="direct", no_dhcp=True)
    assert r.linux.returncode == 0, r.linux.stdout + r.linux.stderr
    assert any("Dual TCP/IP stack assembled" in line for line in r.run.lines)


def test_run_with_peers_boots_the_dns_server_example_and_names_the_peers() -> None:
    got = []
    made = []

    def setup(lan):  # type: ignore[no-untyped-def]
        c = lab.DnsClientPeer(lan, name="client", cidr="10.0.0.9/24", nameservers=["udp:10.0.0.2"])
        made.append(c)

        async def ask() -> None:
            await lab.Mirage_sleep.ns(lab.Duration.of_sec(2))
            for name in ("www.example.org", "www.example.org", "nope.example.org"):
                got.append(await c.resolve(name))

        c.script(ask)

    app = lab.example("dns_server")
    r = lab.run_with_peers(app, setup, argv=["--ipv4=10.0.0.2/24"], net="direct", no_dhcp=True, until="5s")
    assert [g.answer.values for g in got[:2]] == [("10.0.0.80",), ("10.0.0.80",)]
    assert [g.cached for g in got] == [False, True, False] and made[0].resolver.sent == 2
    assert type(got[2].answer).__name__ == "NoDomain"
    assert r.peers["client"] is made[0]
    assert set(lab.sequence_diagram(r, protocols={"DNS"}).hosts) == {"primary", "client"}
    assert any("serving example.org (6 names)" in line for line in r.lines)
    with pytest.raises(MirageNbError, match="give a network's unikernels their argv"):
        lab.run_with_peers(lab.Network().unikernel("s", app), setup, argv=["-l", "debug"])


def test_run_with_peers_dhcp_lease_runs_out_once_its_holder_is_unplugged() -> None:
    peers: dict[str, lab.DhcpClientPeer] = {}

    def setup(lan):  # type: ignore[no-untyped-def]
        for i in range(31):  # the whole range, .70 to .100
            peers[f"c{i}"] = lab.DhcpClientPeer(lan, name=f"c{i}")
        peers["late"] = lab.DhcpClientPeer(lan, name="late")
        old = peers["c0"]

        async def leave() -> None:
            await old.wait_lease()
            lab.set_link(old, lab.LinkProfile(loss=1.0))

        old.script(leave)

    r = lab.run_with_peers(lab.example("dhcp"), setup, until="3700s", pcap=False)
    held = str(peers["c0"].ip)
    assert {str(p.ip) for n, p in peers.items() if n != "late"} == {f"192.168.1.{i}" for i in range(70, 101)}
    assert str(peers["late"].ip) == held, "the unplugged client's lease ran out and the address went to late"
    got_at = next(t for t, e in peers["late"].events if e is peers["late"].lease)
    assert 3600 * 10**9 < got_at < 3610 * 10**9
    assert "[WARNING] [application] No ips left to offer" in r.output
    with pytest.raises(MirageNbError, match="expected a LinkProfile"):
        lab.set_link(peers["c0"], 0.5)  # type: ignore[arg-type]
    with pytest.raises(MirageNbError, match="expected a peer"):
        lab.set_link("c0", lab.LinkProfile())


def test_an_application_read_from_an_absolute_path_configures_as_in_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mirage_nb.lab import example_dir, load

    shutil.copytree(example_dir("hello"), tmp_path / "hello")
    monkeypatch.chdir(tmp_path)
    from_abs = load(tmp_path / "hello" / "config.ml").configure(target="xen")
    monkeypatch.chdir(tmp_path / "hello")
    in_dir = load("config.ml").configure(target="xen")
    assert from_abs == in_dir and "mirage/hello.xl" in from_abs
