"""Every bundled example runs from its config.ml through the engine, as ``mirage-nb run`` and ``app.run`` do.

The engine evaluates the config into a device graph (storage devices say what
they are through ``Device.sim``); each run must print what was recorded for it
(the first and last lines, their count, the exit code and the virtual end time;
test_sim_examples.py checks every line against the OCaml twins). Examples run
from a copy in a temporary directory, so disk images are files there, as the
skeleton's READMEs say (``dd``, ``chamelon format``). The network examples need
scripted peers: tests/sim/netdev.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"
# Booted with peers in tests/sim/netdev.
WITH_PEERS = {
    "network",
    "ping6",
    "conduit_server",
    "static_website_tls",
    "dns",
    "dns_server",
    "dhcp",
    "http",
    "http-fetch",
    "syslog",
}
# The scenario examples run together on a network: tests/scenarios.
WITH_PEERS |= {"job_queue", "job_worker", "http_balancer", "web_server"}
BUNDLED = sorted(p.name for p in EXAMPLES.iterdir() if (p / "unikernel.py").is_file() and p.name not in WITH_PEERS)

SECTOR = 512


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _image(path: Path, sectors: int) -> None:
    with open(path, "wb") as f:
        f.truncate(sectors * SECTOR)


def _cli(*args: str) -> tuple[int, str, str]:
    from mirage_nb.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(["run", *args], out, err)
    return status, out.getvalue(), err.getvalue()


def _app(config: Path) -> Any:
    from mirage_nb.loader import load_config

    return load_config(str(config))


# What each example is run with: (configure keys, boot argv, run options).
_CASES: dict[str, tuple[dict[str, Any], list[str], dict[str, Any]]] = {
    "clock": ({}, [], {"until": "2500ms"}),
    "hello": ({}, [], {"until": "10s"}),
    "hello-key": ({}, ["--hello=Hi!"], {"until": "10s"}),
    "timeout1": ({}, [], {"seed": 5}),
    "timeout2": ({}, [], {"seed": 6}),
    "heads1": ({}, [], {"seed": 2}),
    "heads2": ({}, [], {"seed": 3}),
    "echo_server": ({}, [], {"seed": 1, "until": "30s"}),
    "crypto": ({}, [], {"seed": 3}),
    "disk-lottery": ({}, ["--reset-all"], {}),
}

_T = "2025-01-01T00:00:0"
_APP = "[INFO] [application]"
# Recorded: (number of lines, first line, last line, exit code, virtual end in ns).
_RECORDED: dict[str, tuple[int, str | None, str | None, int | None, int]] = {
    "app_info": (-1, "libraries:", None, 0, 0),  # -1, None: the libraries listed depend on what is linked
    "block": (
        9,
        f"{_T}0Z: [INFO] [block] {{ Mirage_block.read_write = true;",
        f"{_T}0Z: [INFO] [block] Total tests failed:  0",
        0,
        0,
    ),
    "clock": (
        6,
        f"{_T}0Z:  [application] 0 nanoseconds have elapsed.",
        f"{_T}2Z:  [application] At the stroke, the time will be 2025-01-01 00:00:02 +00:00 \x07 *BEEP*",
        None,
        2_500_000_000,
    ),
    "crypto": (
        30,
        f"{_T}0Z: {_APP} using Fortuna, entropy sources: [0] rdrand, [1] timer",
        f"{_T}0Z: {_APP} Generated a RSA key of 4096 bits (sign + verify true)",
        0,
        0,
    ),
    "disk-lottery": (
        1,
        f"{_T}0Z:  [application] All 8 game slots reset.",
        f"{_T}0Z:  [application] All 8 game slots reset.",
        0,
        0,
    ),
    "echo_server": (10, f"{_T}0Z: {_APP} aaaaaaaaaaaaaaaaa", f"{_T}8Z: {_APP} aaaaaaaaaaaaaaaaaa", 0, 8_836_000_000),
    "heads1": (3, f"{_T}1Z: {_APP} Heads", f"{_T}2Z: {_APP} Finished", 0, 2_000_000_000),
    "heads2": (3, f"{_T}1Z: {_APP} Heads", f"{_T}2Z: {_APP} Finished", 0, 2_000_000_000),
    "hello": (4, f"{_T}0Z: {_APP} hello", f"{_T}3Z: {_APP} hello", 0, 4_000_000_000),
    "hello-key": (4, f"{_T}0Z: {_APP} Hi!", f"{_T}3Z: {_APP} Hi!", 0, 4_000_000_000),
    "kv_ro": (
        1,
        f"{_T}0Z: {_APP} Contents of extremely secret vital storage confirmed!",
        f"{_T}0Z: {_APP} Contents of extremely secret vital storage confirmed!",
        0,
        0,
    ),
    "littlefs": (
        2,
        f"{_T}0Z: {_APP} foo: 00000000: 4865 6c6c 6f20 576f 726c 6421            Hello World!",
        " " * 48,
        0,
        0,
    ),
    "local-library": (
        1,
        f"{_T}0Z: {_APP} The hello library has a message for you: Hello!",
        f"{_T}0Z: {_APP} The hello library has a message for you: Hello!",
        0,
        0,
    ),
    "noop": (0, None, None, 0, 0),
    "timeout1": (1, f'{_T}2Z: {_APP} Returned "Heads"', f'{_T}2Z: {_APP} Returned "Heads"', 0, 2_000_000_000),
    "timeout2": (1, f"{_T}2Z: {_APP} Cancelled", f"{_T}2Z: {_APP} Cancelled", 0, 2_000_000_000),
}


def test_every_bundled_example_has_a_config_ml() -> None:
    assert "crypto" in BUNDLED and "littlefs" in BUNDLED
    assert [n for n in BUNDLED if not (EXAMPLES / n / "config.ml").is_file()] == []
    assert sorted(_RECORDED) == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_example_runs_through_its_config_ml(name: str, tmp_path: Path) -> None:
    """``app.run`` on the loaded config.ml prints what was recorded for that example."""
    base = _copy(name, tmp_path)
    keys, argv, opts = _CASES.get(name, ({}, [], {}))
    if name == "block":
        _image(base / "disk.img", 100000)
    elif name == "disk-lottery":
        _image(base / "disk.img", 8)
    elif name == "littlefs":
        from mirage_nb.sim.chamelon import format_image

        _image(base / "littlefs", 1024)
        format_image(str(base / "littlefs"))
    got = _app(base / "config.ml").run(argv=argv, **opts, **keys)
    count, first, last, exit_code, end_ns = _RECORDED[name]
    assert (got.exit_code, got.end_ns) == (exit_code, end_ns)
    assert count == -1 or len(got.lines) == count
    if count:
        assert got.lines[0] == first and (last is None or got.lines[-1] == last)


def test_an_edited_unikernel_runs_at_the_next_run(tmp_path: Path) -> None:
    """A learner who edits unikernel.py (or config.ml) and runs again sees the change: nothing is cached."""
    base = _copy("hello-key", tmp_path)
    app = _app(base / "config.ml")
    assert app.run(until="1s").lines[0].endswith("[application] Hello World!")
    code = (base / "unikernel.py").read_text()
    (base / "unikernel.py").write_text(code.replace("Logs.info(", "Logs.warn("))
    assert "[WARNING] [application] Hello World!" in app.run(until="1s").lines[0]
    config = (base / "config.ml").read_text()
    (base / "config.ml").write_text(config.replace('register "hello-key"', 'register "renamed"'))
    assert _app(base / "config.ml").name == "renamed"


@pytest.mark.parametrize("kv", ["crunch", "direct"])
def test_kv_ro_key_picks_the_store(kv: str, tmp_path: Path) -> None:
    base = _copy("kv_ro", tmp_path)
    r = _app(base / "config.ml").run(args=[f"--kv_ro={kv}"])
    assert r.lines[-1].endswith("Contents of extremely secret vital storage confirmed!")
    (base / "t" / "secret").write_text("tampered\n")
    # crunch compiles the directory in; direct reads it: both see the file as it is at boot here.
    r = _app(base / "config.ml").run(args=[f"--kv_ro={kv}"])
    assert r.exit_code != 0 or "confirmed" not in r.lines[-1]


def test_disk_lottery_state_persists_in_the_image_across_runs(tmp_path: Path) -> None:
    base = _copy("disk-lottery", tmp_path)
    _image(base / "disk.img", 8)
    disk = bytearray(8 * SECTOR)
    app = _app(base / "config.ml")
    codes = []
    for argv, seed in ([[], 0], [["--reset-all"], 0], [[], 1], [[], 2], [["--slot=3"], 4], [["--slot=8"], 0]):
        on_file = app.run(argv=argv, seed=seed)
        in_memory = app.run(argv=argv, seed=seed, disks={"disk.img": disk})
        assert on_file.console == in_memory.console, argv
        codes.append(on_file.exit_code)
    assert codes == [6, 0, 0, 0, 0, 5]
    assert on_file.lines == [f"{_T}0Z: [ERROR] [application] Invalid sector 8"]
    assert disk[:4] == b"LOTO" and (base / "disk.img").read_bytes() == bytes(disk)


def test_cli_run_passes_boot_arguments_after_the_double_dash(tmp_path: Path) -> None:
    base = _copy("hello-key", tmp_path)
    status, out, err = _cli("-f", str(base / "config.ml"), "--seed", "1", "--until", "2s", "--", "--hello=Hi")
    assert status == 0
    assert [ln for ln in err.splitlines() if "[INFO]" in ln] == [
        f"2025-01-01T00:00:0{s}Z: [INFO] [application] Hi" for s in range(3)
    ]
    assert err.splitlines()[-1].startswith("[stopped at until=")


def test_cli_run_writes_no_project_skeleton(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _copy("hello", tmp_path)
    before = sorted(p.name for p in base.iterdir())
    # As on a learner's machine (CI may set PYTHONDONTWRITEBYTECODE): no __pycache__ beside unikernel.py.
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.chdir(base)
    assert _cli("--until", "1s")[0] == 0
    monkeypatch.chdir(tmp_path)
    assert _cli("-f", "hello/config.ml", "--until", "1s")[0] == 0
    assert sorted(p.name for p in base.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hello"]


def test_cli_run_boot_argument_errors_and_exit_codes(tmp_path: Path) -> None:
    base = _copy("disk-lottery", tmp_path)
    status, _, err = _cli("-f", str(base / "config.ml"))
    assert status == 1 and "disk.img does not exist" in err and "dd if=/dev/zero" in err
    _image(base / "disk.img", 8)
    status, _, err = _cli("-f", str(base / "config.ml"), "--", "--slot=x")
    assert status == 64 and "--slot" in err
    status, _, err = _cli("-f", str(base / "config.ml"), "--", "--slot=8")
    assert status == 5 and err.strip().endswith("Invalid sector 8")


def test_app_run_finds_no_unikernel_beside_a_config(tmp_path: Path) -> None:
    from mirage_nb.errors import SimulationError

    base = _copy("noop", tmp_path)
    (base / "unikernel.py").unlink()
    with pytest.raises(SimulationError, match="no unikernel.py beside"):
        _app(base / "config.ml").run()
    with pytest.raises(SimulationError, match="argv is a sequence"):
        _app(base / "config.ml").run(argv="--help")  # type: ignore[arg-type]


_STORAGE_CONFIG = """open Mirage

let main = main "Unikernel.Main" (block @-> kv_rw @-> job)
let () = register "storage" [ main $ generic_block "scratch" $ kv_rw_mem () ]
"""

_STORAGE_UNIKERNEL = """
from mirage_nb.unikernel import Logs, Mirage_kv, Ok


class Main:
    def __init__(self, B, KV):
        self.B, self.KV = B, KV

    async def start(self, block, kv):
        info = await self.B.get_info(block)
        Logs.info("%s: %d sectors of %d bytes", "scratch", info.size_sectors, info.sector_size)
        r = await self.KV.set(kv, Mirage_kv.Key.v("/a"), "b")
        got = await self.KV.get(kv, Mirage_kv.Key.v("/a"))
        Logs.info("set %B, got %S", isinstance(r, Ok), got.value)
"""


@pytest.mark.parametrize("block", [None, "ramdisk", "file"])
def test_generic_block_and_kv_rw_mem_from_the_engine(block: str | None, tmp_path: Path) -> None:
    (tmp_path / "config.ml").write_text(_STORAGE_CONFIG)
    (tmp_path / "unikernel.py").write_text(_STORAGE_UNIKERNEL)
    args = [] if block is None else [f"--block={block}"]
    if block == "file":
        _image(tmp_path / "scratch", 16)
    r = _app(tmp_path / "config.ml").run(args=args)
    sectors = 16 if block == "file" else 32768
    assert [ln.split("] ", 2)[-1] for ln in r.lines] == [
        f"scratch: {sectors} sectors of 512 bytes",
        'set true, got "b"',
    ]
    assert r.exit_code == 0
