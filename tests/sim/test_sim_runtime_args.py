"""Boot arguments as the real unikernel reads them (Cmdliner), and Mirage_runtime's exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_graphs import nodes as standard_nodes

from mirage_nb.sim.boot import boot
from mirage_nb.sim.cmdliner import Arg, ParseError, ParseHelp, ParseOk, parse
from mirage_nb.sim.logs import Level
from mirage_nb.sim.runtime import MIRAGE_ARGS, Mirage_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"


def run_example(name: str, **opts: Any) -> Any:
    """``app.run`` of a bundled example's config.ml."""
    from mirage_nb.loader import load_config

    return load_config(str(EXAMPLES / name / "config.ml")).run(**opts)


SPECS = [
    Arg.opt(Arg.string, "Hello World!", Arg.info(["hello"], doc="How to say hello.")),
    Arg.flag(Arg.info(["reset"])),
    Arg.opt(Arg.int64, 0, Arg.info(["slot"])),
    Arg.opt(Arg.int, 8080, Arg.info(["p", "port"])),
    MIRAGE_ARGS["logs"],
]


def values(argv: list[str]) -> tuple[Any, ...]:
    r = parse("hello", SPECS, argv)
    assert isinstance(r, ParseOk), r
    return r.values


def error(argv: list[str]) -> str:
    r = parse("hello", SPECS, argv)
    assert isinstance(r, ParseError), r
    return r.text


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], ("Hello World!", False, 0, 8080, [])),
        (["--hello=Hi"], ("Hi", False, 0, 8080, [])),
        (["--hello", "Hi there"], ("Hi there", False, 0, 8080, [])),
        (["--reset", "--slot", "3"], ("Hello World!", True, 3, 8080, [])),
        (["-p", "80"], ("Hello World!", False, 0, 80, [])),
        (["-p80"], ("Hello World!", False, 0, 80, [])),
        (["--port=0x10"], ("Hello World!", False, 0, 16, [])),
        (["-l", "debug"], ("Hello World!", False, 0, 8080, [(None, Level.Debug)])),
        (["--logs=*:info,block:debug"], ("Hello World!", False, 0, 8080, [(None, Level.Info), ("block", Level.Debug)])),
        (["-l", "quiet"], ("Hello World!", False, 0, 8080, [(None, None)])),
        (["--hello="], ("", False, 0, 8080, [])),
    ],
)
def test_accepted_command_lines(argv: list[str], expected: tuple[Any, ...]) -> None:
    assert values(argv) == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--helo=x"], "hello: unknown option '--helo'. Did you mean either '--help' or '--hello'?"),
        (["--frobnicate"], "hello: unknown option '--frobnicate'"),
        (["--slot=x"], "hello: option '--slot': invalid value 'x', expected a 64-bit integer"),
        (["--port", "eighty"], "hello: option '--port': invalid value 'eighty', expected an integer"),
        (["--hello"], "hello: option '--hello' needs an argument"),
        (["--hello", "--reset"], "hello: option '--hello' needs an argument"),
        (["--reset=yes"], "hello: option '--reset' is a flag, it cannot take the argument 'yes'"),
        (["--hello=a", "--hello=b"], "hello: option '--hello' cannot be repeated"),
        (["-p", "1", "--port", "2"], "hello: options '-p' and '--port' cannot be present at the same time"),
        (["-l", "loud"], "hello: option '-l': invalid element in list ('loud'): \"loud\": unknown log level"),
        (["-l", "a:b:c"], "hello: option '-l': invalid element in list ('a:b:c'): Can't parse log threshold: a:b:c"),
        (["extra"], "hello: too many arguments, don't know what to do with 'extra'"),
    ],
)
def test_rejected_command_lines_print_usage_and_cmdliner_message(argv: list[str], message: str) -> None:
    text = error(argv)
    lines = text.splitlines()
    # more than three options: Cmdliner's synopsis only says [OPTION]…
    assert lines[0] == "Usage: hello [--help] [OPTION]…"
    assert lines[1:] == [message]


def test_help_wins_and_lists_every_option() -> None:
    r = parse("hello", SPECS, ["--bogus", "--help"])
    assert isinstance(r, ParseHelp)
    for name in ("--hello=VAL", "--reset", "--slot=INT64", "-p INT, --port=INT", "-l LEVEL, --logs=LEVEL"):
        assert name in r.text
    assert "NAME\n       hello\n" in r.text and "EXIT STATUS" in r.text
    assert "(absent=Hello World!)" in r.text


@given(st.lists(st.text(alphabet="-=abcdehlorstp0123456789:*,", max_size=12), max_size=6))
def test_any_argv_parses_or_is_a_cmdliner_error(argv: list[str]) -> None:
    r = parse("hello", SPECS, argv)
    assert isinstance(r, ParseOk | ParseHelp | ParseError)
    if isinstance(r, ParseError):
        assert r.text.startswith("Usage: hello ") and "\nhello: " in r.text


def test_exit_codes_of_the_booted_unikernel() -> None:
    r = run_example("hello-key", argv=["--hello", "Bonjour"])
    assert r.exit_code == 0 and all(line.endswith("Bonjour") for line in r.lines) and len(r.lines) == 4
    r = run_example("hello-key", argv=["--help"])
    assert r.exit_code == Mirage_runtime.help_version == 63 and "--hello=VAL" in r.output
    r = run_example("hello-key", argv=["--hello"])
    assert r.exit_code == Mirage_runtime.argument_error == 64
    # the binary is named after the register call of config.ml: hello-key
    assert r.stderr == [
        "Usage: hello-key [--help] [--hello=VAL] [OPTION]…",
        "hello-key: option '--hello' needs an argument",
    ]
    assert r.end_ns == 0


def test_delay_name_and_at_exit() -> None:
    seen: list[Any] = []

    async def start() -> None:
        seen.append(Mirage_runtime.name())

        async def hook1() -> None:
            seen.append("hook1")

        async def hook2() -> None:
            seen.append("hook2")

        Mirage_runtime.at_exit(hook1)
        Mirage_runtime.at_exit(hook2)

    uk = {"__name__": "uk", "start": start}
    r = boot(standard_nodes("myname"), uk, argv=["--delay", "2"])
    assert r.end_ns == 2_000_000_000 and r.exit_code == 0
    # "The first hook registered will be executed last."
    assert seen == ["myname", "hook2", "hook1"]
    seen.clear()
    boot(standard_nodes("myname"), uk, argv=["--name=other"])
    assert seen[0] == "other"


def test_reading_an_arg_too_early_is_explained() -> None:
    from mirage_nb.errors import SimulationError
    from mirage_nb.sim.run import Run

    arg = Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.int, 1, Arg.info(["x"]))))

    async def main() -> None:
        arg()

    with pytest.raises(SimulationError, match="before the boot parsed"):
        Run().run(main)


def test_help_page_sections_and_exit_codes() -> None:
    r = run_example("disk-lottery", argv=["--help=plain"], disks={"disk.img": bytearray(8 * 512)})
    text = r.output
    assert r.exit_code == 63
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert sections == [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "LOG AND MONITORING OPTIONS",
        "OCAML RUNTIME OPTIONS",
        "COMMON OPTIONS",
        "EXIT STATUS",
    ]
    assert "       lottery [--reset] [--reset-all] [--slot=INT64] [OPTION]…" in text
    assert "       --slot=INT64 (absent=0)" in text
    for code in ("0", "1", "63", "64", "125", "255"):
        assert f"\n       {code} " in text
