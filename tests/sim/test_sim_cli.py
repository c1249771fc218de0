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


def test_graph_nodes_match_the_hand_built_ones() -> None:
    from mirage_nb.sim.cli import nodes_of_graph
    from mirage_nb.sim.example_nodes import example_nodes

    nodes = nodes_of_graph(configured("hello"))
    hand = example_nodes("hello")
    assert [(n.id, n.kind) for n in nodes][:-1] == [(n.id, n.kind) for n in hand]
    assert nodes[-1].kind == "noop" and nodes[-1].module_name == "Mirage_runtime"


@pytest.mark.parametrize(
    "name", ["hello", "hello-key", "heads1", "heads2", "timeout1", "timeout2", "echo_server", "local-library", "noop"]
)
def test_engine_graph_runs_like_the_hand_built_graph(name: str) -> None:
    from mirage_nb.sim.cli import run_configured
    from mirage_nb.sim.example_nodes import run_example

    c = configured(name)
    path = EXAMPLES / name / "unikernel.py"
    r = run_configured(c, str(path), seed=4, until="30s")
    assert r.console == run_example(name, seed=4, until="30s").console


def test_run_command_writes_the_console_and_returns_the_exit_code() -> None:
    from mirage_nb.sim.cli import run_command

    c = configured("hello")

    class Parsed:
        positionals: list[str] = []

        def get(self, key: str, default: object = None) -> object:
            return {"file": str(EXAMPLES / "hello" / "config.ml"), "seed": 0}.get(key, default)

    out, err = io.StringIO(), io.StringIO()
    assert run_command(c, Parsed(), out, err) == 0
    assert out.getvalue() == "" and err.getvalue().count("[INFO] [application] hello") == 4
