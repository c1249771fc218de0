"""A network run's record: every unikernel's digests, boot arguments and LAN, the layout, the peers' scripts.

What a learner sees: ``result.record.to_json()`` / ``write(path)`` give the
same bytes for the same run; ``NetworkRecord.read(path).check()`` names the
config, disk image or peer script that changed since; ``lab.replay`` of a
network record says what such a record is for.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from mirage_nb import lab
from mirage_nb.errors import ConfigError
from mirage_nb.sim.network_record import NetworkRecord
from mirage_nb.unikernel import Duration, Mirage_sleep

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"
STATIC = {"net": "direct", "no_dhcp": True}


async def talk(peer):
    await Mirage_sleep.ns(Duration.of_sec(1))
    flow = await peer.connect("10.0.0.2", 8080)
    await peer.send(flow, b"hello across the router")
    assert await peer.wait_closed(flow)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def source_of_top_level_function(name: str) -> str:
    """The text of a function of this file, found by parsing the file (not by asking the function)."""
    text = Path(__file__).read_text(encoding="utf-8")
    node = next(
        n for n in ast.parse(text).body if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef) and n.name == name
    )
    segment = ast.get_source_segment(text, node)
    assert segment is not None
    return segment + "\n"


def copy_example(name: str, tmp_path: Path) -> Path:
    d = tmp_path / name
    shutil.copytree(EXAMPLES / name, d)
    (d / "config.py").unlink(missing_ok=True)
    return d


@pytest.fixture
def network_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    return copy_example("network", tmp_path)


def routed(config: Path, script=talk) -> lab.Network:
    """Two unikernels of one config on LAN a, a router, and a client peer on LAN b."""
    app = lab.load(config)
    return (
        lab.Network()
        .lan("a")
        .lan("b")
        .router("r", {"a": "10.0.0.1/24", "b": "10.0.1.1/24"})
        .unikernel("server", app, lan="a", argv=["--ipv4=10.0.0.2/24", "--ipv4-gateway=10.0.0.1"], **STATIC)
        .unikernel("backup", app, lan="a", argv=["--ipv4=10.0.0.3/24", "--ipv4-gateway=10.0.0.1"], **STATIC)
        .peer("client", script, lan="b", cidr="10.0.1.5/24", gateway="10.0.1.1")
    )


def test_the_record_has_every_unikernel_the_layout_and_the_peer_script(network_dir: Path, tmp_path: Path) -> None:
    config = network_dir / "config.ml"
    r = routed(config).run(until="5s", seed=7, opam_repository="abc123")
    assert r.errors == {} and any("new tcp connection from IP 10.0.1.5" in line for line in r.console("server"))
    r.record.write(tmp_path / "net.json")
    data = json.loads((tmp_path / "net.json").read_text())
    assert (data["kind"], data["seed"], data["until"], data["opam_repository"], data["mirage"]) == (
        "network",
        7,
        "5s",
        "abc123",
        "4.11.1",
    )
    by_name = {u["name"]: u for u in data["unikernels"]}
    assert [u["name"] for u in data["unikernels"]] == ["server", "backup"]  # the order they were added in
    for name, ip in (("server", "10.0.0.2/24"), ("backup", "10.0.0.3/24")):
        u = by_name[name]
        assert u["lan"] == "a" and u["app"] == "network" and u["target"] == "unix"
        assert u["argv"] == [f"--ipv4={ip}", "--ipv4-gateway=10.0.0.1"]
        assert u["keys"]["no-dhcp"] is True
        assert u["config"] == "network/config.ml" and u["code"] == "network/unikernel.py"  # relative to the record
        assert u["config_digest"] == sha256(config.read_bytes())
        assert u["code_digest"] == sha256((network_dir / "unikernel.py").read_bytes())
    assert data["lans"] == [
        {"name": "a", "profile": None, "devices": ["server", "backup", "r"]},
        {"name": "b", "profile": None, "devices": ["client", "r"]},
    ]
    assert data["routers"] == [
        {"name": "r", "interfaces": {"a": "10.0.0.1/24", "b": "10.0.1.1/24"}, "ttl_exceeded": True}
    ]
    (peer,) = data["peers"]
    assert (peer["name"], peer["lan"], peer["options"]) == (
        "client",
        "b",
        {"cidr": "10.0.1.5/24", "gateway": "10.0.1.1"},
    )
    assert peer["script"].endswith(":talk")
    assert peer["script_digest"] == sha256(source_of_top_level_function("talk").encode())
    # Read back, it is the same record, and nothing has changed since.
    again = NetworkRecord.read(tmp_path / "net.json")
    assert again == r.record and again.unikernel("backup").argv == ("--ipv4=10.0.0.3/24", "--ipv4-gateway=10.0.0.1")
    assert again.changes() == []
    again.check()


def test_the_same_run_twice_writes_the_same_bytes(network_dir: Path, tmp_path: Path) -> None:
    net = routed(network_dir / "config.ml")
    first, second = net.run(until="3s"), net.run(until="3s")
    first.record.write(tmp_path / "one.json")
    second.record.write(tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert first.record.to_json(tmp_path) == second.record.to_json(tmp_path)
    assert net.run(until="3s", seed=1).record.to_json(tmp_path) != first.record.to_json(tmp_path)


def test_a_changed_config_is_named_by_the_check(network_dir: Path, tmp_path: Path) -> None:
    config = network_dir / "config.ml"
    routed(config).run(until="3s").record.write(tmp_path / "net.json")
    config.write_text(config.read_text() + "(* an edit *)\n")
    record = NetworkRecord.read(tmp_path / "net.json")
    changes = record.changes("net.json")
    assert len(changes) == 2  # both unikernels were made from that config
    assert changes[0].startswith("net.json: unikernel server: config_digest: ")
    assert str(config) in changes[0] and "has changed since the run was recorded" in changes[0]
    with pytest.raises(ConfigError, match="unikernel backup: config_digest"):
        record.check("net.json")


def test_a_disk_is_kept_beside_the_record_and_a_changed_image_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    d = copy_example("disk-lottery", tmp_path)
    disk = lab.disk_image(8)
    net = lab.Network().unikernel("game", lab.load(d / "config.ml"), argv=["--reset-all"], disks={"disk.img": disk})
    at_boot = bytes(disk)
    r = net.run()
    assert bytes(disk) != at_boot  # the run wrote to the disk; the record keeps it as it was at boot
    r.record.write(tmp_path / "net.json")
    image = tmp_path / "net.disks" / "game" / "disk.img"
    assert image.read_bytes() == at_boot
    (game,) = json.loads((tmp_path / "net.json").read_text())["unikernels"]
    assert game["disks"] == [{"name": "disk.img", "size": len(at_boot), "digest": sha256(at_boot)}]
    assert game["inputs"] == {"disk-lottery/lotto.py": sha256((d / "lotto.py").read_bytes())}  # its local library
    NetworkRecord.read(tmp_path / "net.json").check()
    image.write_bytes(b"\1" * len(at_boot))
    with pytest.raises(ConfigError, match="unikernel game: disks: the image of disk.img has changed"):
        NetworkRecord.read(tmp_path / "net.json").check()


def test_a_changed_peer_script_is_named_when_its_module_is_loaded(network_dir: Path, tmp_path: Path) -> None:
    module = tmp_path / "talker_for_network_record.py"
    script = "async def talk(peer):\n    return 0\n"
    module.write_text(script)

    def load() -> object:
        spec = importlib.util.spec_from_file_location("talker_for_network_record", module)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["talker_for_network_record"] = mod
        spec.loader.exec_module(mod)
        return mod

    try:
        r = routed(network_dir / "config.ml", load().talk).run(until="1s")  # type: ignore[attr-defined]
        (peer,) = r.record.peers
        assert peer.script is not None
        assert peer.script.name == "talker_for_network_record:talk" and peer.script.digest == sha256(script.encode())
        assert r.record.changes() == []
        module.write_text(script.replace("0", "1"))
        load()
        (change,) = r.record.changes()
        assert change.startswith("record: peer client: its script talker_for_network_record:talk has changed")
    finally:
        sys.modules.pop("talker_for_network_record", None)


def test_replay_of_a_network_record_says_what_it_is_for(network_dir: Path, tmp_path: Path) -> None:
    routed(network_dir / "config.ml").run(until="1s").record.write(tmp_path / "net.json")
    with pytest.raises(ConfigError, match=r"record of a network run .* cannot be run again") as e:
        lab.replay(tmp_path / "net.json")
    assert "NetworkRecord.read(" in str(e.value) and ".check()" in str(e.value)
    with pytest.raises(ConfigError, match="not a network record"):
        NetworkRecord.read(network_dir / "config.ml")


def test_run_with_peers_records_the_setup_that_made_the_peers(network_dir: Path) -> None:
    def setup(lan: object) -> None:
        lab.DnsClientPeer(lan, cidr="10.0.0.9/24")

    app = lab.load(network_dir / "config.ml")
    r = lab.run_with_peers(app, setup, argv=["--ipv4=10.0.0.2/24"], until="1s", **STATIC)
    assert r.record is not None and set(r.record.hooks) == {"setup"}
    assert r.record.hooks["setup"].name.endswith("<locals>.setup")
    assert r.record.unikernel("network").argv == ("--ipv4=10.0.0.2/24",)


def test_a_malformed_network_record_names_the_field(network_dir: Path, tmp_path: Path) -> None:
    routed(network_dir / "config.ml").run(until="1s").record.write(tmp_path / "net.json")
    data = json.loads((tmp_path / "net.json").read_text())
    del data["unikernels"][1]["argv"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"bad.json: the run record has no field 'unikernels\[1\].argv'"):
        NetworkRecord.read(tmp_path / "bad.json")
    data["unikernels"][1]["argv"] = "--ipv4=10.0.0.3/24"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"unikernels\[1\].argv: expected list"):
        NetworkRecord.read(tmp_path / "bad.json")
