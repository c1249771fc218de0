"""The run viewer over a real simulated run (the hello unikernel): filters, steps, timeline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import mirage_nb
from mirage_nb.errors import MirageNbError
from mirage_nb.notebook import mimebundle
from mirage_nb.notebook.run_viewer import RunView

HELLO = Path(mirage_nb.__file__).parent / "examples" / "hello" / "unikernel.py"


@pytest.fixture(scope="module")
def result():
    from mirage_nb.loader import load_config

    return load_config(str(HELLO.parent / "config.ml")).run(seed=1)


def test_filters_by_level_and_source(result):
    v = RunView(result)
    assert v.sources() == ["application"]
    assert v.levels() == ["info"]
    assert len(v.logs()) == 4
    assert v.logs(levels=["warning"]) == []
    assert v.logs(levels=v.max_level("info"), sources=["application"]) == v.logs()
    assert v.logs(sources=["nobody"]) == []
    with pytest.raises(MirageNbError):
        v.max_level("loud")


def test_frames_step_through_virtual_time(result):
    v = RunView(result)
    assert len(v) == len(result.timeline) > 4
    first = v.frame(0)
    assert first.kind == "boot" and first.time == "0.000000000s"
    last = v.frame(-1)
    assert last.time_ns == result.end_ns and len(last.console) == 4
    i = v.next_time(0)
    assert v.frame(i).time_ns == 1_000_000_000
    assert len(v.frame(i).console) == 2 and len(v.frame(i).logs) == 1
    assert len(v.frame(i + 1).logs) == 2
    boot_done = [f.kind for f in map(v.frame, range(len(v)))].index("stderr")
    assert len(v.frame(boot_done - 1).console) == 0 and len(v.frame(boot_done).console) == 1
    with pytest.raises(MirageNbError):
        v.frame(len(v))


def test_timeline_svg_is_valid_and_deterministic(result):
    v = RunView(result)
    svg = v.timeline_svg(cursor=3)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert svg == RunView(result).timeline_svg(cursor=3)
    assert svg.count("<circle") == len(result.timeline)


def test_run_result_displays_its_console(result):
    b = mimebundle(result)
    assert b["text/plain"].splitlines()[0] == "2025-01-01T00:00:00Z: [INFO] [application] hello"
    assert b["text/plain"].splitlines()[-1] == "[finished at 4.000000000s, exit 0: the main job returned]"
    assert "log records" in b["text/html"]


def test_run_viewer_widget_presents_frames(result):
    pytest.importorskip("ipywidgets")
    from mirage_nb.notebook.widgets import RunViewerWidget

    w = RunViewerWidget(result)
    assert "end" in w.event.value
    w.step.value = 0
    assert "boot" in w.event.value and "hello" not in w.console_out.value
    w.next_button.click()
    assert w.step.value == RunView(result).next_time(0)
    assert w.console_out.value.count("hello") == 2
    w.step.value = len(result.timeline) - 1
    assert w.console_out.value.count("hello") == 4
    w.levels.value = ()
    assert "<td>" not in w.logs_out.value


def test_run_view_rejects_other_objects():
    with pytest.raises(MirageNbError):
        RunView(42)
