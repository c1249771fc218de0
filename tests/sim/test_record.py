"""The reproducibility record: ``run --record`` then ``replay`` prints the same bytes; a changed file is refused."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from mirage_nb import lab
from mirage_nb.cli import main
from mirage_nb.errors import ConfigError
from mirage_nb.sim.record import RunRecord

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
