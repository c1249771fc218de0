"""Each bundled example prints, line for line and at the same virtual times, what its OCaml twin prints.

Expected outputs are derived from the OCaml sources' behaviour (mirage-skeleton
unikernel.ml + the mirage-logs format). The random draws a run makes are
recorded values, not recomputed here: with seed ``s`` the simulated
``Mirage_crypto_rng`` gives ``random.Random(s).randbytes``, and ``Randomconv.int``
over those bytes gave the numbers below when this file was written (a change
in either shows up as a failure, never as a moving expectation). Every run goes the one
way a learner's does: the engine evaluates the example's config.ml and the
simulator boots that graph with the unikernel.py beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mirage_nb.loader import load_config
from mirage_nb.sim.run import RunResult

S = 1_000_000_000
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"
EXAMPLES = sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "config.ml").is_file())
SECTOR = 512


def run_example(
    name: str,
    *,
    kv: str | None = None,
    disk: bytearray | None = None,
    size_sectors: int | None = None,
    **opts: Any,
) -> RunResult:
    """``app.run`` of the example's config.ml: ``kv`` is its --kv_ro key, ``disk`` / ``size_sectors`` a memory disk."""
    app = load_config(str(EXAMPLES_DIR / name / "config.ml"))
    disks = None
    if disk is not None or size_sectors is not None:
        disks = {"disk.img": disk if disk is not None else bytearray((size_sectors or 0) * SECTOR)}
    elif name == "littlefs":
        from mirage_nb.sim.block import MemBlock
        from mirage_nb.sim.chamelon import format_device

        mem = MemBlock("littlefs", 1024)
        format_device(mem)  # what `chamelon format littlefs 512` does to the image the README makes
        disks = {"littlefs": mem.data}
    keys = {"kv_ro": kv} if kv is not None else {}
    result: RunResult = app.run(disks=disks, **keys, **opts)
    return result


def ts(sec: int) -> str:
    return f"2025-01-01T00:00:{sec:02d}Z" if sec < 60 else f"2025-01-01T00:{sec // 60:02d}:{sec % 60:02d}Z"


def info(sec: int, msg: str, src: str = "application") -> str:
    return f"{ts(sec)}: [INFO] [{src}] {msg}"


# ``Randomconv.int ~bound:3000`` (the first draw of timeout1 and timeout2), by seed.
TIMEOUT_MS = {0: 2092, 1: 613, 2: 1214, 3: 1975, 4: 2665, 5: 356, 6: 2840, 7: 742, 8: 2569, 9: 1671, 10: 583, 11: 975}
# echo_server's ten (``Randomconv.int ~bound:2500`` ms to wait, ``Randomconv.int ~bound:20`` bytes) pairs, by seed.
ECHO_DRAWS: dict[int, list[tuple[int, int]]] = {
    0: [(2092, 2), (521, 3), (584, 2), (1961, 11), (2215, 13), (1985, 4), (2170, 1), (935, 8), (966, 1), (2118, 12)],
    1: [(613, 17), (2289, 13), (902, 16), (332, 2), (785, 6), (302, 9), (1471, 7), (1200, 3), (804, 4), (138, 18)],
    7: [
        (742, 18),
        (1694, 5),
        (1699, 12),
        (651, 18),
        (2351, 14),
        (2274, 1),
        (1782, 9),
        (1536, 15),
        (482, 13),
        (940, 16),
    ],
}
# disk-lottery's draw: the first four random bytes, big-endian, by seed.
LOTTERY_DRAW = {1: 4122043682, 2: 1940504308, 3: 4248824636}


def test_every_example_has_a_config_and_a_twin() -> None:
    assert len(EXAMPLES) >= 18
    for name in EXAMPLES:
        assert (EXAMPLES_DIR / name / "unikernel.py").is_file(), name


def test_noop() -> None:
    r = run_example("noop")
    assert r.lines == [] and r.exit_code == 0 and r.end_ns == 0


def test_hello() -> None:
    r = run_example("hello")
    assert r.lines == [info(s, "hello") for s in range(4)]
    assert [c.time_ns for c in r.console] == [0, S, 2 * S, 3 * S]
    assert r.end_ns == 4 * S and r.exit_code == 0


def test_hello_key() -> None:
    assert run_example("hello-key").lines == [info(s, "Hello World!") for s in range(4)]
    assert run_example("hello-key", argv=["--hello=Hi!"]).lines == [info(s, "Hi!") for s in range(4)]


def test_local_library() -> None:
    assert run_example("local-library").lines == [info(0, "The hello library has a message for you: Hello!")]


def test_app_info() -> None:
    assert run_example("app_info").stdout[0] == "libraries:"
    # Given the libraries a build links, the unikernel lists them as Build_info does.
    from dataclasses import replace

    from mirage_nb.sim.boot import boot
    from mirage_nb.sim.cli import nodes_of_graph

    app = load_config(str(EXAMPLES_DIR / "app_info" / "config.ml"))
    libraries = (("fmt", "0.9.0"), ("lwt", "5.9.1"), ("stdlib-shims", None))
    nodes = [
        replace(n, params={**n.params, "libraries": libraries}) if n.kind == "job" else n
        for n in nodes_of_graph(app.configured([], verb="run"))
    ]
    r = boot(nodes, str(EXAMPLES_DIR / "app_info" / "unikernel.py"))
    assert r.stdout == ["libraries:", "  - fmt.0.9.0", "  - lwt.5.9.1", "  - stdlib-shims.n/a"]


def test_app_info_lists_what_its_configuration_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like the real unikernel, never an empty list: the libraries the generated dune file links, with versions."""
    r = run_example("app_info")
    assert "  - fmt.n/a" in r.stdout and "  - mirage-runtime.4.11.0" in r.stdout
    assert "  - mirage-sleep.unix.4.1.0" in r.stdout and "  - cmdliner-stdlib.1.0.1" in r.stdout
    monkeypatch.chdir(EXAMPLES_DIR)
    app = load_config("app_info/config.ml")
    dune = app.configure()["app_info/dune.build"]
    linked = dune.split("(libraries", 1)[1].split(")", 1)[0].split()
    assert r.stdout[0] == "libraries:" and len(r.stdout) == 1 + len(linked) > 10
    assert all(line.startswith(f"  - {lib}.") for line, lib in zip(r.stdout[1:], linked, strict=True))
    assert app.run().stdout == r.stdout, "app.run() on the config gives the same list"
    assert "  - mirage-sleep.solo5.4.1.0" in app.run("hvt").stdout


@pytest.mark.parametrize("name", ["heads1", "heads2"])
def test_heads(name: str) -> None:
    r = run_example(name)
    assert r.lines == [info(1, "Heads"), info(2, "Tails"), info(2, "Finished")]
    assert r.end_ns == 2 * S


@pytest.mark.parametrize("seed", range(12))
def test_timeout1_always_answers_at_two_seconds(seed: int) -> None:
    ms = TIMEOUT_MS[seed]
    r = run_example("timeout1", seed=seed)
    assert r.lines == [info(2, "Cancelled" if ms > 2000 else 'Returned "Heads"')]
    assert r.console[0].time_ns == 2 * S


@pytest.mark.parametrize("seed", range(12))
def test_timeout2_answers_when_the_first_finishes(seed: int) -> None:
    ms = TIMEOUT_MS[seed]
    r = run_example("timeout2", seed=seed)
    if ms <= 2000:
        assert r.lines == [info(ms // 1000, 'Returned "Heads"')] and r.console[0].time_ns == ms * 1_000_000
    else:
        assert r.lines == [info(2, "Cancelled")] and r.console[0].time_ns == 2 * S
    assert r.end_ns == r.console[0].time_ns


def test_timeout_outcomes_differ_across_seeds() -> None:
    outcomes = {run_example("timeout2", seed=s).lines[0].split("] ", 2)[-1] for s in range(12)}
    assert outcomes == {"Cancelled", 'Returned "Heads"'}


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_echo_server(seed: int) -> None:
    expected, times, t = [], [], 0
    for wait_ms, n in ECHO_DRAWS[seed]:
        t += wait_ms * 1_000_000
        expected.append(info(t // S, "a" * n))
        times.append(t)
    r = run_example("echo_server", seed=seed)
    assert r.lines == expected and [c.time_ns for c in r.console] == times


def test_clock_runs_until_stopped() -> None:
    r = run_example("clock", until="2500ms")
    lines = []
    for s in range(3):
        lines.append(f"{ts(s)}:  [application] {s * S} nanoseconds have elapsed.")
        stroke = f"2025-01-01 00:00:0{s} +00:00"
        lines.append(f"{ts(s)}:  [application] At the stroke, the time will be {stroke} \x07 *BEEP*")
    assert r.lines == lines
    assert r.exit_code is None and r.stopped.value == "until" and r.end_ns == 2_500_000_000


@pytest.mark.parametrize("kv", ["crunch", "direct"])
def test_kv_ro(kv: str) -> None:
    assert run_example("kv_ro", kv=kv).lines == [info(0, "Contents of extremely secret vital storage confirmed!")]


def test_kv_ro_mismatch_and_missing(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    r = run_example("kv_ro", data_dir=str(tmp_path))
    assert r.lines == [
        f"{ts(0)}: [WARNING] [application] Could not compare the secret against a known constant: "
        "Cannot find the key /secret"
    ]
    (tmp_path / "t" / "secret").write_text("bar\n")
    r = run_example("kv_ro", data_dir=str(tmp_path), kv="direct")
    assert r.lines == [f"{ts(0)}: [WARNING] [application] The secret provided does not match!"]


def test_block() -> None:
    r = run_example("block", size_sectors=100000)
    assert r.lines == [
        f"{ts(0)}: [INFO] [block] {{ Mirage_block.read_write = true;",
        "                                       sector_size = 512;",
        "                                       size_sectors = 100000L }",
        "reading 1 sectors at 100000",
        "reading 12 sectors at 99989",
        info(0, "Test sequence finished", "block"),
        info(0, "Total tests started: 10", "block"),
        info(0, "Total tests passed:  10", "block"),
        info(0, "Total tests failed:  0", "block"),
    ]
    assert r.exit_code == 0


def test_block_debug_shows_the_driver_messages() -> None:
    r = run_example("block", size_sectors=64, argv=["-l", "debug"])
    debug = [line for line in r.lines if "[DEBUG]" in line]
    assert f"{ts(0)}: [DEBUG] [block] writing 1 sector(s) at 0" in debug
    assert any("[mirage-block-unix] read: End_of_file at file disk.img offset 32768" in line for line in debug)


def test_disk_lottery_game_over_runs() -> None:
    disk = bytearray(8 * 512)
    r = run_example("disk-lottery", disk=disk)
    assert r.lines == [f"{ts(0)}: [ERROR] [application] Error reading state: bad magic; is this lottery data?"]
    assert r.exit_code == 6
    r = run_example("disk-lottery", disk=disk, argv=["--reset-all"])
    assert r.lines == [f"{ts(0)}:  [application] All 8 game slots reset."] and r.exit_code == 0
    hiscore = 0
    for seed in (1, 2, 3):
        draw = LOTTERY_DRAW[seed]
        r = run_example("disk-lottery", disk=disk, seed=seed)
        if draw > hiscore:
            first = f"YOU WON! You beat the old high score {hiscore} with {draw}!"
            hiscore = draw
        elif draw == hiscore:
            first = f"TIE! You tied with the high score {hiscore}"
        else:
            first = f"YOU LOST! With {draw} you didn't beat the high score {hiscore}"
        assert r.lines == [
            f"{ts(0)}:  [application] {first}",
            info(0, "Saving new game state..."),
            info(0, "Done!"),
            f"{ts(0)}:  [application] Thank you for playing! Exiting...",
        ]
    assert disk[:4] == b"LOTO" and int.from_bytes(disk[4:8], "big") == hiscore
    r = run_example("disk-lottery", disk=disk, argv=["--reset", "--slot", "3"])
    assert r.lines == [f"{ts(0)}:  [application] Reset game slot 3."]
    r = run_example("disk-lottery", disk=disk, argv=["--slot=8"])
    assert r.lines == [f"{ts(0)}: [ERROR] [application] Invalid sector 8"] and r.exit_code == 5
    disk[5] ^= 1
    r = run_example("disk-lottery", disk=disk)
    assert r.lines[0].endswith("Error reading state: bad checksum; possible data corruption") and r.exit_code == 6


def test_littlefs() -> None:
    r = run_example("littlefs")
    # hxd ends its line with a Format cut, which breaks past the margin: OCaml prints a blank indented line.
    assert r.lines == [info(0, "foo: 00000000: 4865 6c6c 6f20 576f 726c 6421            Hello World!"), " " * 48]
    assert r.exit_code == 0


def test_crypto() -> None:
    r = run_example("crypto", seed=3)
    lines = r.lines
    assert lines[0] == info(0, "using Fortuna, entropy sources: [0] rdrand, [1] timer")
    # Recorded: seed 3's first 8, 4, 2 and 1 random bytes, read little-endian.
    assert lines[1] == info(0, "Random numbers: 0x5E 0x2163 0x8B529B4A 0x97B750923CEB3FFD")
    assert lines[2] == info(0, "64 byte random:")
    assert lines[3].startswith(" " * 43 + "000000  ") and lines[4].startswith("000010  ")
    md5 = lines.index(
        info(0, "MD5 of the empty string 000000  d41d 8cd9 8f00 b204  e980 0998 ecf8 427e  ..............B~")
    )
    assert lines[md5 + 1] == ""
    assert (
        info(0, "SHA256 of the empty string 000000  e3b0 c442 98fc 1c14  9afb f4c8 996f b924  ...B.........o.$")
        in lines
    )
    chacha = [i for i, line in enumerate(lines) if "Chacha20/Poly1305" in line][0]
    assert lines[chacha].endswith("000000  9f07 e7be 5551 387a  98ba 977c 732d 080d  ....UQ8z...|s-..")
    assert lines[-1] == info(0, "Generated a RSA key of 4096 bits (sign + verify true)")
    assert r.exit_code == 0
