"""The scenario examples are ordinary configs: our reader reads them, the engine configures and describes them."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from mirage_nb.lab import boot_plan, example, example_dir, load

SCENARIO_EXAMPLES = {
    # name: (the job's module, device kinds its graph boots besides the stack's)
    "job_queue": ("Unikernel.Main", {"block", "chamelon"}),
    "job_worker": ("Unikernel.Main", set()),
    "web_server": ("Unikernel.Main", set()),
    "http_balancer": ("Unikernel.Main", set()),
}


def _in(directory: Path) -> Any:
    """The application as ``mirage-nb configure`` run inside ``directory`` sees it (generated paths are relative)."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return load("config.ml")
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", sorted(SCENARIO_EXAMPLES))
def test_read_from_config_ml_and_described(name: str) -> None:
    app = example(name)
    assert app.name == name
    assert app.config_file.endswith(f"{name}/config.ml")  # read by our reader, not a config.py
    text = str(app.describe())
    assert f"Name       {name}" in text
    assert "net=" in text  # generic_stackv4v6's keys: the stack is chosen at configure time


@pytest.mark.parametrize("name", sorted(SCENARIO_EXAMPLES))
def test_configured_for_unix_and_hvt(name: str) -> None:
    app = _in(example_dir(name))
    module, kinds = SCENARIO_EXAMPLES[name]
    for target in ("unix", "hvt"):
        files = dict(app.configure(target=target))
        main_ml = files["mirage/main.ml"]
        assert module.split(".")[0] in main_ml
        assert f"mirage/{name}-{target}.opam" in files
    plan = boot_plan(example(name), net="direct", no_dhcp=True)
    got = {n.kind for n in plan}
    assert kinds <= got and "tcp" in got and "netif" in got


def test_the_job_queue_keeps_its_jobs_on_a_littlefs_block_device() -> None:
    plan = boot_plan(example("job_queue"), net="direct", no_dhcp=True)
    block = next(n for n in plan if n.kind == "block")
    assert block.params.get("file") == "jobs.img"
    assert "chamelon" in {n.kind for n in plan}
    packages = str(example("job_queue").query("packages"))
    assert "chamelon" in packages
