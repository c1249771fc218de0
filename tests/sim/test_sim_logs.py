"""The mirage-logs line format, levels and sources, on the virtual wall clock."""

from __future__ import annotations

from typing import Any

from sim_graphs import nodes as standard_nodes

from mirage_nb.sim.boot import boot
from mirage_nb.sim.clocks import Duration, Mirage_sleep, Ptime
from mirage_nb.sim.logs import Logs
from mirage_nb.sim.run import LogRecord

SRC = Logs.Src.create("net", doc="a test source")
Log = Logs.src_log(SRC)


async def start() -> None:
    Logs.app("app %d", 1)
    Logs.err("err")
    Logs.warn("warn")
    Logs.info(lambda m: m("info %S", "x"))
    Logs.debug("debug")
    await Mirage_sleep.ns(Duration.of_ms(1500))
    Log.info("from net")
    Log.debug("net debug")
    Logs.info("with header", header="HDR")


def run(argv: list[str] = (), **kw: Any) -> Any:  # type: ignore[assignment]
    return boot(standard_nodes("logs"), {"__name__": "uk", "start": start, "Log": Log}, argv=argv, **kw)


def test_default_level_info_and_exact_line_format() -> None:
    r = run()
    assert r.stderr == [
        "2025-01-01T00:00:00Z:  [application] app 1",
        "2025-01-01T00:00:00Z: [ERROR] [application] err",
        "2025-01-01T00:00:00Z: [WARNING] [application] warn",
        '2025-01-01T00:00:00Z: [INFO] [application] info "x"',
        "2025-01-01T00:00:01Z: [INFO] [net] from net",
        "2025-01-01T00:00:01Z: [HDR] [application] with header",
    ]
    assert r.logs[4] == LogRecord(1_500_000_000, "net", "info", "from net")


def test_log_levels_from_the_command_line() -> None:
    assert len(run(["-l", "debug"]).stderr) == 8
    r = run(["-l", "*:error,net:debug"])
    assert [line.split(" ", 1)[1] for line in r.stderr] == [
        " [application] app 1",
        "[ERROR] [application] err",
        "[INFO] [net] from net",
        "[DEBUG] [net] net debug",
    ]
    assert run(["-l", "quiet"]).stderr == []
    r = run(["-l", "nosuch:debug"])
    assert r.stdout == ["WARNING: nosuch is not a valid log source."]


def test_timezone_offsets_in_timestamps() -> None:
    assert run(tz_offset_s=None).stderr[0].startswith("2025-01-01T00:00:00-00:00: ")
    assert run(tz_offset_s=3600).stderr[0].startswith("2025-01-01T01:00:00+01:00: ")
    assert run(tz_offset_s=-5400).stderr[0].startswith("2024-12-31T22:30:00-01:30: ")


def test_no_reporter_no_output() -> None:
    from mirage_nb.sim.run import Run

    async def main() -> None:
        Logs.info("dropped")

    assert Run().run(main).console == ()


def test_ptime_printers() -> None:
    t = Ptime.of_float_s(1_735_689_600.25)
    assert Ptime.to_rfc3339(t) == "2025-01-01T00:00:00-00:00"
    assert Ptime.to_rfc3339(t, frac_s=3, tz_offset_s=0) == "2025-01-01T00:00:00.250Z"
    assert Ptime.to_rfc3339(t, space=True, tz_offset_s=7200) == "2025-01-01 02:00:00+02:00"
    assert Ptime.to_rfc3339(t, tz_offset_s=61) == "2025-01-01T00:00:00-00:00"  # not whole minutes: UTC, unknown
    assert Ptime.to_human(t, tz_offset_s=0) == "2025-01-01 00:00:00 +00:00"


def test_header_from_the_message_function_and_driver_sources() -> None:
    async def start2() -> None:
        Logs.warn(lambda m: m("careful %d", 3, header="HEY"))

    r = boot(standard_nodes("h"), {"__name__": "u", "start": start2})
    assert r.stderr == ["2025-01-01T00:00:00Z: [HEY] [application] careful 3"]
    from pathlib import Path

    from mirage_nb.loader import load_config

    block = load_config(str(Path(__file__).resolve().parents[2] / "mirage_nb" / "examples" / "block" / "config.ml"))
    r = block.run(disks={"disk.img": bytearray(32 * 512)}, argv=["-l", "*:info,mirage-block-unix:debug"])
    assert not r.stdout[0].startswith("WARNING")
    assert any("[DEBUG] [mirage-block-unix] write beyond end of file" in line for line in r.lines)
    assert not any("[DEBUG] [block]" in line for line in r.lines)


def test_first_all_threshold_wins() -> None:
    assert len(run(["-l", "error,debug"]).stderr) == 2  # app + error: the first `All level is used
