"""The extension in a real IPython shell: magics, the current application, formatters, unloading."""

from __future__ import annotations

from pathlib import Path

import pytest

import mirage_nb
from mirage_nb.notebook import GeneratedFiles, Graph

from .conftest import NETWORK_ML, NETWORK_PY, needs_dot, network_app

pytest.importorskip("IPython")

HELLO = Path(mirage_nb.__file__).parent / "examples" / "hello" / "unikernel.py"


def ext(shell):
    return shell.magics_manager.registry["MirageMagics"]


def test_an_application_registered_in_a_cell_becomes_current(shell, capsys):
    shell.run_cell(NETWORK_PY)
    assert ext(shell).app is shell.user_ns["app"]
    shell.run_line_magic("mirage", "describe")
    assert capsys.readouterr().out == network_app().describe()


def test_describe_with_target_and_keys_is_the_tools_output(shell, capsys):
    shell.run_cell(NETWORK_PY)
    capsys.readouterr()
    shell.run_line_magic("mirage", "describe -t hvt --no-dhcp")
    assert capsys.readouterr().out == network_app().describe(target="hvt", no_dhcp=True)
    shell.run_line_magic("mirage", "query name")
    assert capsys.readouterr().out == "network\n"


def test_describe_dot_prints_with_o_minus_and_draws_without(shell, capsys):
    shell.run_cell(NETWORK_PY)
    capsys.readouterr()
    assert shell.run_line_magic("mirage", "describe --dot -o-") is None
    out = capsys.readouterr().out
    assert out == network_app().describe(dot=True)
    g = shell.run_line_magic("mirage", "describe --dot")
    assert isinstance(g, Graph) and g.source == network_app().dot()
    assert capsys.readouterr().out == network_app().describe()


def test_user_mistakes_are_one_short_message(shell, capsys):
    shell.run_line_magic("mirage", "describe")
    err = capsys.readouterr().err
    assert err.startswith("mirage: no current application") and "Traceback" not in err
    shell.run_cell(NETWORK_PY)
    shell.run_line_magic("mirage", "describe -t windows")
    err = capsys.readouterr().err
    assert "mirage: option '-t': invalid value 'windows'" in err and "Traceback" not in err
    shell.run_line_magic("mirage", "frobnicate")
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
    shell.run_line_magic("mirage", "use nothing_here")
    assert "expected a variable holding an application" in capsys.readouterr().err
    shell.run_line_magic("mirage", 'describe "unclosed')
    assert "cannot read the arguments" in capsys.readouterr().err


def test_use_makes_a_variable_current(shell, capsys):
    shell.run_cell(NETWORK_PY.replace("app = ", "first = "))
    shell.run_cell('second = register("second", [main(generic_stackv4v6(default_network))])')
    assert ext(shell).app.name == "second"
    shell.run_line_magic("mirage", "use first")
    assert ext(shell).app is shell.user_ns["first"]
    shell.run_line_magic("mirage", "status")
    assert "application: network" in capsys.readouterr().out


def test_config_ml_cell_gives_the_application(shell, capsys):
    pytest.importorskip("mirage_nb.config_ml")
    app = shell.run_cell_magic("config_ml", "net", NETWORK_ML)
    assert app is ext(shell).app is shell.user_ns["net"]
    assert app.describe() == network_app().describe()
    shell.run_cell_magic("config_ml", "", 'let () = register "x" [ ')
    err = capsys.readouterr().err
    assert err.startswith("mirage: config.ml:") and "Traceback" not in err


def test_configure_returns_the_files_without_writing(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shell.run_cell(NETWORK_PY)
    files = shell.run_line_magic("mirage", "configure -t hvt")
    assert isinstance(files, GeneratedFiles)
    assert "mirage/main.ml" in files.files
    assert dict(files.files) == network_app().configure(target="hvt")
    assert list(tmp_path.iterdir()) == []


def test_file_argument_loads_and_makes_current(shell, tmp_path, capsys):
    (tmp_path / "config.py").write_text(NETWORK_PY)
    shell.run_line_magic("mirage", f"describe -f {tmp_path / 'config.py'}")
    assert ext(shell).app.name == "network"
    assert capsys.readouterr().out == network_app().describe()


def test_unikernel_cell_and_run(shell, capsys):
    shell.run_cell('from mirage_nb.mirage import *\napp = register("hello", [main("Unikernel", job)])')
    shell.run_cell_magic("unikernel", "", HELLO.read_text())
    assert "unikernel unikernel: start" in capsys.readouterr().out
    result = shell.run_line_magic("mirage", "run --seed 3")
    assert result.exit_code == 0 and len(result.logs) == 4
    assert [c.text for c in result.console][0] == "2025-01-01T00:00:00Z: [INFO] [application] hello"
    again = shell.run_line_magic("mirage", "run --seed 3")
    assert again.console == result.console


def test_unikernel_cell_errors_name_the_line(shell, capsys):
    shell.run_cell_magic("unikernel", "", "x = 1\nraise ValueError('nope')\n")
    assert "mirage: %%unikernel: ValueError at line 2: nope" in capsys.readouterr().err
    shell.run_cell_magic("unikernel", "", "def start(:\n")
    assert "syntax error at line 1" in capsys.readouterr().err
    assert ext(shell).unikernel is None


def test_run_without_unikernel_says_what_to_do(shell, capsys):
    shell.run_cell('from mirage_nb.mirage import *\napp = register("hello", [main("Unikernel", job)])')
    shell.run_line_magic("mirage", "run")
    assert "give it in a %%unikernel cell" in capsys.readouterr().err


@needs_dot
def test_formatters_give_rich_displays_in_the_shell(shell):
    shell.run_cell(NETWORK_PY)
    data, _md = shell.display_formatter.format(shell.user_ns["app"])
    assert {"text/plain", "text/html", "image/svg+xml"} == set(data)
    assert data["text/plain"].startswith("Name       network")
    data, _ = shell.display_formatter.format(shell.user_ns["stack"])
    assert data["text/plain"].startswith("choice if net, no-dhcp, target : stackv4v6")
    shell.run_line_magic("mirage", "display text")
    data, _ = shell.display_formatter.format(shell.user_ns["app"])
    assert set(data) == {"text/plain"}


def test_state_is_per_shell():
    from IPython.core.interactiveshell import InteractiveShell

    a, b = InteractiveShell(), InteractiveShell()
    for s in (a, b):
        s.run_line_magic("load_ext", "mirage_nb")
    a.run_cell(NETWORK_PY)
    assert ext(a).app is not None and ext(b).app is None
    for s in (a, b):
        s.run_line_magic("unload_ext", "mirage_nb")


def test_unload_removes_magics_and_formatters(shell):
    shell.run_cell(NETWORK_PY)
    shell.run_line_magic("unload_ext", "mirage_nb")
    assert "mirage" not in shell.magics_manager.magics["line"]
    assert "MirageMagics" not in shell.magics_manager.registry
    data, _ = shell.display_formatter.format(shell.user_ns["app"])
    assert "text/html" not in data
    shell.run_line_magic("load_ext", "mirage_nb")
    assert "mirage" in shell.magics_manager.magics["line"]


def test_help_lists_the_verbs(shell, capsys):
    shell.run_line_magic("mirage", "")
    out = capsys.readouterr().out
    assert "%%config_ml" in out and "describe" in out
    shell.run_line_magic("mirage", "help")
    assert capsys.readouterr().out


def test_run_a_config_file_with_the_unikernel_beside_it(shell, capsys):
    config = Path(mirage_nb.__file__).parent / "examples" / "hello-key" / "config.ml"
    shell.run_line_magic("mirage", f"describe -f {config}")
    result = shell.run_line_magic("mirage", "run --seed 1 --until 2s -- --hello=Bonjour")
    assert [c.text for c in result.console] == [
        f"2025-01-01T00:00:0{i}Z: [INFO] [application] Bonjour" for i in range(3)
    ]
    assert result.exit_code is None  # stopped by --until, still running
    data, _ = shell.display_formatter.format(result)
    assert data["text/plain"].endswith(
        "[until at 2.000000000s, exit -: stopped at until=2000000000 ns with work pending]"
    )


def test_run_viewer_from_the_magic(shell):
    pytest.importorskip("ipywidgets")
    from mirage_nb.notebook.widgets import RunViewerWidget

    shell.run_cell('from mirage_nb.mirage import *\napp = register("hello", [main("Unikernel", job)])')
    shell.run_cell_magic("unikernel", "", HELLO.read_text())
    w = shell.run_line_magic("mirage", "run --viewer")
    assert isinstance(w, RunViewerWidget) and w.console_out.value.count("hello") == 4
