"""The bridge from the engine's evaluated graph to a run (needs the engine and the config.ml reader)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mirage_nb import config_ml
from mirage_nb.functoria.app import Configured
from mirage_nb.functoria.tool import evaluate_for

EXAMPLES = Path(__file__).resolve().parents[2] / "mirage_nb" / "examples"


def configured(name: str) -> Configured:
    return evaluate_for(config_ml.load(str(EXAMPLES / name / "config.ml")), "run", [])


def test_graph_nodes_follow_the_generated_main_ml() -> None:
    from mirage_nb.sim.cli import nodes_of_graph

    nodes = nodes_of_graph(configured("hello"))
    # the connect order and variable names of the real tool's main.ml for tutorial/hello on unix
    assert [(n.id, n.kind) for n in nodes] == [
        ("mirage_bootvar__1", "noop"),
        ("struct_end__2", "argv"),
        ("cmdliner_stdlib__3", "cmdliner_stdlib"),
        ("mirage_runtime__4", "delay"),
        ("mirage_logs__5", "reporter"),
        ("mirage_sleep__6", "sleep"),
        ("mirage_ptime__7", "ptime"),
        ("mirage_mtime__8", "mtime"),
        ("mirage_crypto_rng_mirage__9", "rng"),
        ("mirage_runtime__10", "set_name"),
        ("unit__11", "unit"),
        ("unikernel__12", "job"),
        ("mirage_runtime__13", "noop"),
    ]
    assert nodes[-1].module_name == "Mirage_runtime"


# Recorded with seed 4 and until=30s: (console lines, the last one, virtual end in ns).
_RECORDED = {
    "hello": (4, "2025-01-01T00:00:03Z: [INFO] [application] hello", 4_000_000_000),
    "hello-key": (4, "2025-01-01T00:00:03Z: [INFO] [application] Hello World!", 4_000_000_000),
    "heads1": (3, "2025-01-01T00:00:02Z: [INFO] [application] Finished", 2_000_000_000),
    "heads2": (3, "2025-01-01T00:00:02Z: [INFO] [application] Finished", 2_000_000_000),
    "timeout1": (1, "2025-01-01T00:00:02Z: [INFO] [application] Cancelled", 2_000_000_000),
    "timeout2": (1, "2025-01-01T00:00:02Z: [INFO] [application] Cancelled", 2_000_000_000),
    "echo_server": (10, "2025-01-01T00:00:17Z: [INFO] [application] aaaa", 17_455_000_000),
    "local-library": (
        1,
        "2025-01-01T00:00:00Z: [INFO] [application] The hello library has a message for you: Hello!",
        0,
    ),
    "noop": (0, None, 0),
}


@pytest.mark.parametrize("name", sorted(_RECORDED))
def test_engine_graph_runs_as_recorded(name: str) -> None:
    from mirage_nb.sim.cli import run_configured

    c = configured(name)
    path = EXAMPLES / name / "unikernel.py"
    r = run_configured(c, str(path), seed=4, until="30s")
    count, last, end_ns = _RECORDED[name]
    assert (len(r.console), r.console[-1].text if r.console else None, r.end_ns) == (count, last, end_ns)


def test_run_command_writes_the_console_and_returns_the_exit_code() -> None:
    from mirage_nb.functoria.request import request_of_argv
    from mirage_nb.sim.cli import run_command

    c = configured("hello")
    request = request_of_argv("run", ["-f", str(EXAMPLES / "hello" / "config.ml")])
    out, err = io.StringIO(), io.StringIO()
    assert run_command(c, request, out, err) == 0
    assert out.getvalue() == "" and err.getvalue().count("[INFO] [application] hello") == 4
