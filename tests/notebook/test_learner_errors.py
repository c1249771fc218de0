"""A learner's mistakes in a notebook: one clear message, no traceback unless asked for with ``%tb``.

Each case is one a new user met (issue 10): the wrong answer to exercise
04.fix_functor, ``app.run()`` on a ``%%config_ml`` application with no
unikernel code, a misspelt exercise name, a wrong device in a ``config.py``.
The cells run in a real IPython shell with the extension loaded; what the
learner would read is the shell's stdout/stderr and the bundles it publishes.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("IPython")

from mirage_nb.errors import MirageNbError  # noqa: E402

WRONG_FUNCTOR = (
    "from mirage_nb.mirage import *\n"
    'answer = register("reader", [main("Unikernel.Main", kv_ro @ job)(block_of_file("disk.img"))])\n'
    "check('04.fix_functor', answer)\n"
)


def run(shell, code: str) -> tuple[str, list[dict], object]:
    """Run a cell; what the learner reads (stdout, stderr, text of displays) and the bundles published."""
    published: list[dict] = []
    publish = shell.display_pub.publish

    def record(data, metadata=None, **kw):
        published.append(data)
        publish(data, metadata, **kw)  # prints the text/plain form, as a terminal shows it

    out = io.StringIO()
    shell.display_pub.publish = record
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = shell.run_cell(code)
    finally:
        shell.display_pub.publish = publish
    return out.getvalue(), published, result


def assert_no_traceback(seen: str) -> None:
    assert "Traceback" not in seen
    assert not re.search(r"mirage_nb/\S*\.py|line \d+, in ", seen), "no line of our own source"
    assert not re.search(r"0x[0-9a-f]{6,}", seen), "no memory address"
    assert str(Path.cwd()) not in seen and sys.prefix not in seen, "no path of this machine"


@pytest.fixture
def learner(shell):
    shell.run_cell("from mirage_nb.notebook.exercises import check, hint, solution")
    return shell


def test_wrong_answer_to_fix_functor_is_one_message(learner):
    seen, bundles, result = run(learner, WRONG_FUNCTOR)
    assert isinstance(result.error_in_exec, MirageNbError), "the cell still fails: Run All stops there"
    assert seen.startswith("ConfigError: wrong device for Unikernel.Main: Block has type block impl")
    assert "kv_ro impl" in seen and "%tb shows the full traceback" in seen
    assert_no_traceback(seen)
    html = bundles[0]["text/html"]
    assert "<b>ConfigError</b>" in html and "Traceback" not in html and "impl.py" not in html


def test_the_same_error_twice_displays_the_same_bytes(learner):
    """Deterministic: nbval compares what a failing cell shows."""
    _, first, _ = run(learner, WRONG_FUNCTOR)
    _, second, _ = run(learner, WRONG_FUNCTOR)
    assert first == second


def test_tb_shows_the_full_traceback_on_demand(learner):
    run(learner, WRONG_FUNCTOR)
    seen, _, _ = run(learner, "%tb")
    assert "Traceback" in seen and "impl.py" in seen and "ConfigError" in seen


def test_app_run_without_unikernel_code_says_to_give_it_in_a_cell(learner):
    seen, _, _ = run(learner, '%%config_ml www\nopen Mirage\nlet () = register "hi" [ main "Unikernel" job ]\n')
    assert "Name       hi" in seen
    seen, _, result = run(learner, "www.run()")
    assert result.error_in_exec is not None
    assert seen.startswith("SimulationError: no unikernel code to run hi: give it in a %%unikernel cell")
    assert "%mirage run" in seen and "no unikernel.py beside config.ml" in seen
    assert_no_traceback(seen)


def test_a_misspelt_exercise_name_is_feedback_not_an_exception(learner):
    seen, bundles, result = run(learner, "check('01.thre_hi', 1)")
    assert result.success, "feedback, not an exception"
    assert "no exercise called '01.thre_hi'; did you mean '01.three_hi'?" in seen
    assert "Error" not in seen
    assert_no_traceback(seen)
    assert "01.three_hi" in result.result._repr_html_()


def test_a_wrong_device_in_config_py_keeps_file_line_column(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("config.py").write_text(
        "from mirage_nb.mirage import *\n\n"
        'reader = main("Unikernel.Main", kv_ro @ job)\n'
        'register("reader", [reader(block_of_file("disk.img"))])\n',
        encoding="utf-8",
    )
    seen, _, _ = run(learner, "%mirage describe -f config.py")
    assert "mirage: config.py:4:21: wrong device for Unikernel.Main" in seen
    seen, _, result = run(learner, "from mirage_nb.loader import load_config\nload_config('config.py')")
    assert isinstance(result.error_in_exec, MirageNbError)
    assert seen.startswith("ConfigError: config.py:4:21: wrong device for Unikernel.Main")
    # ...and points at the place, as the config.ml reader does
    excerpt = '4 | register("reader", [reader(block_of_file("disk.img"))])\n' + " " * 24 + "^" * 33 + "\n"
    assert excerpt in seen
    assert_no_traceback(seen)


@pytest.mark.parametrize(
    ("source", "where"),
    [
        ("from mirage_nb.mirage import *\nregister('x', [main('Unikernel', jobb)])\n", "config.py:2:34: NameError"),
        ("from mirage_nb.mirage import *\nregister('x', [main('Unikernel', job)]\n", "config.py:2:9: syntax error"),
    ],
)
def test_other_errors_in_config_py_keep_their_place(tmp_path, source, where):
    from mirage_nb.loader import load_config

    (tmp_path / "config.py").write_text(source, encoding="utf-8")
    with pytest.raises(MirageNbError) as e:
        load_config(str(tmp_path / "config.py"))
    assert e.value.loc is not None and (e.value.loc.line, e.value.loc.column) == tuple(
        int(n) for n in where.split(":")[1:3]
    )
    assert str(e.value).startswith(f"{tmp_path}/{where}")


def test_other_exceptions_keep_ipythons_traceback(learner):
    seen, _, _ = run(learner, "def f():\n    raise ValueError('boom')\nf()")
    assert "Traceback" in seen and "ValueError" in seen and "boom" in seen


def test_unloading_the_extension_removes_the_handler(shell):
    before, _, _ = run(shell, "from mirage_nb.errors import ConfigError\nraise ConfigError('nope')")
    assert "Traceback" not in before and "ConfigError: nope" in before
    shell.run_line_magic("unload_ext", "mirage_nb")
    try:
        after, _, _ = run(shell, "raise ConfigError('nope')")
        assert "Traceback" in after and shell.custom_exceptions == ()
    finally:
        shell.run_line_magic("load_ext", "mirage_nb")


def test_unloading_puts_back_a_handler_installed_before(shell):
    shell.run_line_magic("unload_ext", "mirage_nb")
    mine = []
    shell.set_custom_exc((KeyError,), lambda *a, **k: mine.append(a[2]))
    shell.run_line_magic("load_ext", "mirage_nb")
    shell.run_line_magic("unload_ext", "mirage_nb")
    run(shell, "{}['k']")
    assert shell.custom_exceptions == (KeyError,) and len(mine) == 1
    shell.run_line_magic("load_ext", "mirage_nb")


def test_a_failed_config_ml_cell_unbinds_its_name_and_says_so(learner):
    run(learner, '%%config_ml www\nopen Mirage\nlet () = register "first" [ main "Unikernel" job ]\n')
    assert learner.user_ns["www"].name == "first"
    seen, _, _ = run(learner, '%%config_ml www\nopen Mirage\nlet () = register "second" [ main "Unikernel" jobb ]\n')
    assert "config.ml:2:" in seen and "Unbound value jobb" in seen
    assert "www is now unbound (it held the application 'first' from an earlier cell); there is no current" in seen
    assert "www" not in learner.user_ns
    seen, _, _ = run(learner, "%mirage describe")
    assert "no current application" in seen and "first" not in seen


def test_configure_says_where_its_files_are(learner):
    run(learner, '%%config_ml\nopen Mirage\nlet () = register "hi" [ main "Unikernel" job ]\n')
    seen, _, _ = run(learner, "%mirage configure")
    lines = seen.splitlines()
    said = lines.index(next(line for line in lines if line.startswith("Successfully configured the unikernel.")))
    assert "mirage_nb writes nothing to disk" in lines[said + 1] and "files['Makefile']" in lines[said + 1]


def test_in_a_notebook_the_output_area_shows_no_traceback(tmp_path):
    """The cases above run by nbclient on the plain python3 kernel, as the tutorials run: what the ipynb keeps."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        "%load_ext mirage_nb\nfrom mirage_nb.notebook.exercises import check, hint, solution",
        WRONG_FUNCTOR,
        "check('01.thre_hi', 1)",
        '%%config_ml www\nopen Mirage\nlet () = register "hi" [ main "Unikernel" job ]',
        "www.run()",
        '%%config_ml www\nopen Mirage\nlet () = register "hi" [ main "Unikernel" jobb ]',
        "www",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(
        nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [c.outputs for c in nb.cells]

    def shown(i: int) -> str:
        return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs[i])

    assert outputs[0] == []
    for i in (1, 2, 4, 5):
        assert all(o.output_type != "error" for o in outputs[i]), cells[i]
        assert_no_traceback(shown(i))
    assert shown(1).startswith("ConfigError: wrong device for Unikernel.Main")
    assert "<b>ConfigError</b>" in outputs[1][0].data["text/html"]
    assert "did you mean '01.three_hi'?" in shown(2)
    assert shown(4).startswith("SimulationError: no unikernel code to run hi: give it in a %%unikernel cell")
    assert "www is now unbound" in shown(5)
    assert [o.output_type for o in outputs[6]] == ["error"] and outputs[6][0].ename == "NameError"
