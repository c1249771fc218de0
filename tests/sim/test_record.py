"""The reproducibility record: ``run --record`` then ``replay`` prints the same bytes; a changed file is refused.

A run's disks are kept beside the record as they were at boot, so a replay elsewhere prints the same game.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirage_nb import lab
from mirage_nb.cli import main
from mirage_nb.errors import ConfigError
from mirage_nb.sim.record import DiskImage, RunRecord
from mirage_nb.sim.run_inputs import image_path

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"


def example(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / name
    shutil.copytree(EXAMPLES / name, d)
    (d / "config.py").unlink(missing_ok=True)
    monkeypatch.chdir(d)
    monkeypatch.setenv("MIRAGE_DEFAULT_TARGET", "unix")
    return d


@pytest.fixture
def hello(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example("hello", tmp_path, monkeypatch)


@pytest.fixture
def hello_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example("hello-key", tmp_path, monkeypatch)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), out, err)
    return status, out.getvalue(), err.getvalue()


def test_record_then_replay_prints_the_same_transcript(hello: Path) -> None:
    ran = cli("run", "--record", "run.json", "--seed", "3", "--until", "2500ms", "--opam-repository", "abc123")
    assert ran[0] == 0 and ran[2].count("hello") == 3
    record = json.loads((hello / "run.json").read_text())
    assert record["seed"] == 3 and record["until"] == "2500ms" and record["opam_repository"] == "abc123"
    assert (record["mirage"], record["target"], record["config"], record["code"]) == (
        "4.11.1",
        "unix",
        "config.ml",
        "unikernel.py",
    )
    assert cli("replay", "run.json") == ran
    # the same run writes the same record, byte for byte
    first = (hello / "run.json").read_bytes()
    cli("run", "--record", "run.json", "--seed", "3", "--until", "2500ms", "--opam-repository", "abc123")
    assert (hello / "run.json").read_bytes() == first


def test_boot_arguments_and_keys_are_replayed(hello_key: Path) -> None:
    hello = hello_key
    ran = cli("run", "-t", "hvt", "--record", "r.json", "--until", "1500ms", "--", "--hello=Bonjour")
    assert "Bonjour" in ran[2]
    record = json.loads((hello / "r.json").read_text())
    assert record["argv"] == ["--hello=Bonjour"] and record["keys"] == {"target": "hvt"}
    assert cli("replay", "r.json") == ran


def test_a_changed_config_is_refused_naming_the_field(hello: Path) -> None:
    cli("run", "--record", "r.json", "--until", "1s")
    with (hello / "config.ml").open("a") as f:
        f.write("\n(* edited *)\n")
    status, out, err = cli("replay", "r.json")
    assert (status, out) == (1, "")
    assert err.startswith("r.json: config_digest: ") and "has changed since the run was recorded" in err


def test_a_changed_unikernel_is_refused_naming_the_field(hello: Path) -> None:
    cli("run", "--record", "r.json", "--until", "1s")
    with (hello / "unikernel.py").open("a") as f:
        f.write("\n# edited\n")
    with pytest.raises(ConfigError, match="code_digest"):
        lab.replay(hello / "r.json")


def test_the_python_api_records_and_replays(hello_key: Path) -> None:
    hello = hello_key
    app = lab.load(hello / "config.ml")
    result = app.run(until="2s", seed=5, argv=["--hello=Hi"])
    assert result.record is not None and result.record.argv == ("--hello=Hi",)
    result.record.write(hello / "api.json")
    again = lab.replay(hello / "api.json")
    assert "Hi" in result.output and again.console == result.console and again.end_ns == result.end_ns


def test_a_malformed_record_names_what_is_wrong(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"seed": 0}))
    with pytest.raises(ConfigError, match="has no field 'argv'"):
        RunRecord.read(p)
    p.write_text("not json")
    with pytest.raises(ConfigError, match="not a run record"):
        RunRecord.read(p)


# --- Disks and the other files a run reads (record format 2) ---------------------------------------------


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def lottery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return example("disk-lottery", tmp_path, monkeypatch)


def play(d: Path, disk: bytearray, seed: int) -> lab.RecordedRun:
    return lab.load(d / "config.ml").run(disks={"disk.img": disk}, seed=seed)


def test_a_disk_given_as_bytes_is_kept_as_at_boot_and_replays_in_a_fresh_copy(lottery: Path, tmp_path: Path) -> None:
    disk = lab.disk_image(8)
    lab.load(lottery / "config.ml").run(disks={"disk.img": disk}, argv=["--reset-all"])
    at_boot = bytes(disk)
    game = play(lottery, disk, seed=1)
    assert "YOU WON!" in game.lines[0] and bytes(disk) != at_boot  # the game saved its score on the disk
    assert game.record is not None
    game.record.write(lottery / "run.json")
    record = json.loads((lottery / "run.json").read_text())
    assert record["format"] == 2
    assert record["disks"] == [{"name": "disk.img", "size": 4096, "digest": sha(at_boot)}]
    assert (lottery / "run.disks" / "disk.img").read_bytes() == at_boot
    # the local library the code loads is part of what the run read
    assert record["inputs"] == {"lotto.py": sha((lottery / "lotto.py").read_bytes())}
    # a new game on the same disk is another game; the replay, from a copy elsewhere, is the recorded one
    assert "YOU WON!" not in play(lottery, disk, seed=1).lines[0]
    fresh = tmp_path / "elsewhere" / "copy"
    shutil.copytree(lottery, fresh)
    again = lab.replay(fresh / "run.json")
    assert again.console == game.console and again.end_ns == game.end_ns


def test_the_same_run_writes_the_same_record_and_images(lottery: Path) -> None:
    def record_files() -> dict[str, bytes]:
        disk = lab.disk_image(8)
        run = lab.load(lottery / "config.ml").run(disks={"disk.img": disk}, argv=["--reset-all"])
        assert run.record is not None
        run.record.write(lottery / "r.json")
        return {p.relative_to(lottery).as_posix(): p.read_bytes() for p in sorted(lottery.glob("r.*/**/*"))} | {
            "r.json": (lottery / "r.json").read_bytes()
        }

    first = record_files()
    assert sorted(first) == ["r.disks/disk.img", "r.json"]
    (lottery / "r.disks" / "stale.img").write_bytes(b"x")  # not an image of this record: written over
    assert record_files() == first


def test_a_tampered_or_missing_image_is_refused_naming_it(lottery: Path) -> None:
    disk = lab.disk_image(8)
    run = lab.load(lottery / "config.ml").run(disks={"disk.img": disk}, seed=2)
    assert run.record is not None
    run.record.write(lottery / "run.json")
    image = lottery / "run.disks" / "disk.img"
    want = sha(image.read_bytes())
    tampered = bytearray(image.read_bytes())
    tampered[0] ^= 1
    image.write_bytes(bytes(tampered))
    status, out, err = cli("replay", "run.json")
    assert (status, out) == (1, "")
    assert err.startswith("run.json: disks: the image of disk.img has changed since the run was recorded: ")
    assert str(image) in err and f"expected {want}, 4096 bytes; found {sha(bytes(tampered))}, 4096 bytes" in err
    image.unlink()
    with pytest.raises(
        ConfigError, match=rf"disks: the image of disk.img is missing: .*run.disks/disk.img \(expected {want}"
    ):
        lab.replay(lottery / "run.json")


def test_cli_run_record_keeps_the_disk_file_as_it_was_at_boot(lottery: Path) -> None:
    (lottery / "disk.img").write_bytes(bytes(8 * 512))
    assert cli("run", "--", "--reset-all")[0] == 0
    at_boot = (lottery / "disk.img").read_bytes()
    ran = cli("run", "--record", "run.json", "--seed", "1")
    assert ran[0] == 0 and "YOU WON!" in ran[1] + ran[2]
    after = (lottery / "disk.img").read_bytes()
    assert after != at_boot and (lottery / "run.disks" / "disk.img").read_bytes() == at_boot
    assert json.loads((lottery / "run.json").read_text())["disks"] == [
        {"name": "disk.img", "size": 4096, "digest": sha(at_boot)}
    ]
    assert "YOU WON!" not in "".join(cli("run", "--seed", "1")[1:])  # the file has the new high score now
    # the replay runs on the recorded image, and leaves the file in the directory alone
    assert cli("replay", "run.json") == ran
    assert (lottery / "disk.img").read_bytes() != at_boot


def test_cli_round_trip_of_the_block_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = example("block", tmp_path, monkeypatch)
    (d / "disk.img").write_bytes(bytes(64 * 512))
    ran = cli("run", "--record", "run.json", "--", "-l", "*:debug")
    assert ran[0] == 0 and "Total tests failed:  0" in ran[2] and "mirage-block-unix" in ran[2]
    fresh = tmp_path / "fresh"
    shutil.copytree(d, fresh)
    (fresh / "disk.img").unlink()  # the replay needs only the record's own copy
    monkeypatch.chdir(fresh)
    assert cli("replay", "run.json") == ran


def test_a_changed_data_file_or_library_is_refused_naming_it(
    lottery: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = play(lottery, lab.disk_image(8), seed=0)
    assert run.record is not None
    run.record.write(lottery / "run.json")
    with (lottery / "lotto.py").open("a") as f:
        f.write("\n# edited\n")
    with pytest.raises(ConfigError, match=r"run.json: inputs: .*lotto.py has changed since the run was recorded"):
        lab.replay(lottery / "run.json")

    kv = example("kv_ro", tmp_path / "kv", monkeypatch)
    for kind in ("crunch", "direct"):
        (kv / "t" / "new").unlink(missing_ok=True)
        ran = cli("run", f"--kv_ro={kind}", "--record", f"{kind}.json")
        assert ran[0] == 0 and cli("replay", f"{kind}.json") == ran
        record = json.loads((kv / f"{kind}.json").read_text())
        assert sorted(record["inputs"]) == ["t/", "t/b", "t/secret"] and record["disks"] == []
        (kv / "t" / "new").write_text("a file the run did not see")
        with pytest.raises(ConfigError, match=r"inputs: the directory .*/t has changed .*\); new added since"):
            lab.replay(kv / f"{kind}.json")
    (kv / "t" / "new").unlink()
    (kv / "t" / "b").write_text("other bytes")
    with pytest.raises(ConfigError, match=r"inputs: .*/t/b has changed since the run was recorded \(expected sha256:"):
        lab.replay(kv / "crunch.json")


def test_the_connect_py_of_a_device_the_config_defines_is_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = example("http", tmp_path, monkeypatch)
    run = lab.load(d / "config.ml").run(until="1s")
    assert run.record is not None
    assert {"connect.py", "server.py"} <= {Path(p).name for p in run.record.inputs}
    run.record.write(d / "run.json")
    assert lab.replay(d / "run.json").console == run.console
    with (d / "connect.py").open("a") as f:
        f.write("\n# edited\n")
    with pytest.raises(ConfigError, match=r"inputs: .*connect.py has changed"):
        lab.replay(d / "run.json")


def test_a_format_1_record_still_replays(hello: Path) -> None:
    ran = cli("run", "--record", "run.json", "--until", "1500ms")
    record = json.loads((hello / "run.json").read_text())
    for name in ("data_dir", "disks", "inputs"):
        del record[name]
    (hello / "old.json").write_text(json.dumps({**record, "format": 1}))
    assert cli("replay", "old.json") == ran
    old = RunRecord.read(hello / "old.json")
    assert old.format == 1 and old.disks == ()
    old.write(hello / "again.json")  # written back in its own format
    assert json.loads((hello / "again.json").read_text()) == {**record, "format": 1}


def test_a_malformed_disk_entry_is_named(hello: Path) -> None:
    cli("run", "--record", "run.json", "--until", "1s")
    record = json.loads((hello / "run.json").read_text())
    (hello / "bad.json").write_text(json.dumps({**record, "disks": [{"name": "disk.img", "size": "8"}]}))
    with pytest.raises(ConfigError, match=r"bad.json: disks\[0\]: expected the fields digest, name and size"):
        RunRecord.read(hello / "bad.json")
    (hello / "bad.json").write_text(json.dumps({**record, "format": 3}))
    with pytest.raises(ConfigError, match="format: expected 1 or 2, got 3"):
        RunRecord.read(hello / "bad.json")


def test_images_of_any_name_stay_inside_the_record_directory(tmp_path: Path) -> None:
    images = {"disk.img": b"a" * 512, "../up.img": b"b" * 512, "/abs/x.img": b"c" * 1000, "sub/d.img": b""}
    record = RunRecord(
        mirage_nb="0",
        mirage="4.11.1",
        target="unix",
        keys={},
        argv=(),
        seed=0,
        until=None,
        config=None,
        config_digest=None,
        code=None,
        code_digest=None,
        disks=tuple(DiskImage(n, len(b), sha(b), data=b) for n, b in images.items()),
    )
    (tmp_path / "rec").mkdir()
    record.write(tmp_path / "rec" / "run.json")
    stored = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert stored == sorted(
        [tmp_path / "rec" / "run.json"]
        + [tmp_path / "rec" / "run.disks" / n for n in ("disk.img", "_abs/__/up.img", "_abs/abs/x.img", "sub/d.img")]
    )
    again = RunRecord.read(tmp_path / "rec" / "run.json")
    assert again == record and {d.name: bytes(d.bytes_at_boot()) for d in again.disks} == images
    # a memory disk of a file's bytes has the sectors block_of_file would see (1000 bytes: one sector)
    assert {n: len(b) for n, b in again.disk_images().items()} == {
        "disk.img": 512,
        "../up.img": 512,
        "/abs/x.img": 512,
        "sub/d.img": 0,
    }


@given(st.text(min_size=1, max_size=30))
def test_image_path_is_relative_and_never_climbs_out(name: str) -> None:
    rel = PurePosixPath(image_path(name))
    assert not rel.is_absolute() and ".." not in rel.parts and rel.parts
    plain = [p for p in name.split("/") if p]
    if name == "/".join(plain) and not set(plain) & {".", ".."} and "\\" not in name and ":" not in name[1:2]:
        assert str(rel) == name  # a plain relative name is kept as it is
