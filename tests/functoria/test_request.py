"""The Python API and the command line make the same request: same output, same errors.

The command line's output is checked against the real tool's recorded
output elsewhere (``refcheck``, ``test_reference``); here the Python API,
which builds its :class:`Request` without any argv, must agree with it.
"""

from __future__ import annotations

import pytest

from mirage_nb.config_ml import loads
from mirage_nb.functoria.cmdline import CmdlineError
from mirage_nb.functoria.request import Keywords, Request, request_of_argv
from mirage_nb.functoria.tool import run_verb

CONFIG = """open Mirage

let main = main "Unikernel.Main" (stackv4v6 @-> job)

let () = register "network" [ main $ generic_stackv4v6 default_network ]
"""


@pytest.fixture(scope="module")
def app():
    return loads(CONFIG)


@pytest.mark.parametrize(
    ("kwargs", "argv"),
    [
        ({}, []),
        ({"target": "hvt"}, ["-t", "hvt"]),
        ({"target": "hvt", "no_dhcp": True, "net": "direct"}, ["-t", "hvt", "--no-dhcp", "--net=direct"]),
        ({"target": "unix", "eval": True}, ["-t", "unix", "--eval"]),
        ({"target": "xen", "dot": True}, ["-t", "xen", "--dot", "-o-"]),
    ],
)
def test_describe_from_python_prints_what_the_command_line_prints(app, kwargs, argv) -> None:
    assert str(app.describe(**kwargs)) == run_verb(app, "describe", argv).stdout


def test_query_and_configure_from_python_match_the_command_line(app) -> None:
    assert (
        str(app.query("opam", "hvt", net="direct"))
        == run_verb(app, "query", ["opam", "-t", "hvt", "--net=direct"]).stdout
    )
    assert app.configure("unix", no_dhcp=True) == run_verb(app, "configure", ["-t", "unix", "--no-dhcp"]).files


@pytest.mark.parametrize(
    ("kwargs", "argv"),
    [
        ({"target": "bogus"}, ["-t", "bogus"]),
        ({"nett": "direct"}, ["--nett=direct"]),
        ({"net": "nowhere"}, ["--net=nowhere"]),
        ({"no_dhcp": "yes"}, ["--no-dhcp=yes"]),
        ({"net": True}, ["--net"]),
    ],
)
def test_a_mistake_from_python_is_worded_as_on_the_command_line(app, kwargs, argv) -> None:
    with pytest.raises(CmdlineError) as from_cli:
        run_verb(app, "describe", argv)
    with pytest.raises(CmdlineError) as from_python:
        app.describe(**kwargs)
    assert str(from_python.value) == str(from_cli.value)


def test_the_command_line_a_python_request_stands_for(app) -> None:
    r = app.request("configure", "hvt", no_dhcp=True, net="direct", utcp=False)
    assert r.command_line() == ["-t", "hvt", "--no-dhcp", "--net=direct"]
    assert Request(verb="query", query="opam", keys=r.keys).command_line()[0] == "opam"


def test_a_command_line_is_parsed_into_the_verbs_fields() -> None:
    r = request_of_argv("describe", ["--eval", "--dot", "-o", "-", "-t", "hvt"])
    assert (r.verb, r.eval, r.dot, r.output) == ("describe", True, True, "-")
    r = request_of_argv("run", ["--seed", "7", "--until", "3s", "--record", "r.json"])
    assert (r.seed, r.until, r.record) == (7, "3s", "r.json")


def test_keywords_are_converted_by_the_keys_own_converters(app) -> None:
    from_python = app.configured(app.request("configure", "hvt", net="direct", no_dhcp=True)).info.context
    from_cli = app.configured(["-t", "hvt", "--net=direct", "--no-dhcp"]).info.context
    assert sorted(from_python.names()) == sorted(from_cli.names()) == ["net", "no-dhcp", "target"]
    keys = {k.name: k for k in app.keys()}
    assert all(from_python.get(keys[n]) == from_cli.get(keys[n]) for n in from_cli.names())
    # args= are read as the command line reads them, keywords over them
    kw = Keywords.of(app.keys(), "hvt", args=["--net=host"])
    host = app.configured(["--net=host"]).info.context.get(keys["net"])
    assert (
        app.configured(Request(verb="configure", keys=kw)).info.context.get(keys["net"])
        == host
        != from_cli.get(keys["net"])
    )
