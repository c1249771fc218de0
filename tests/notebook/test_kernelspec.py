"""The "MirageOS (mirage_nb)" kernelspec: its contents, its installation, and a kernel that starts with it."""

from __future__ import annotations

import json
import sys

import pytest

from mirage_nb.notebook.kernelspec import DISPLAY_NAME, KERNEL_NAME, install, kernel_spec, main


def test_spec_runs_ipykernel_with_the_extension():
    spec = kernel_spec()
    assert spec["display_name"] == DISPLAY_NAME == "MirageOS (mirage_nb)"
    assert spec["language"] == "python"
    assert spec["argv"][:3] == ["python", "-m", "ipykernel_launcher"]
    assert "{connection_file}" in spec["argv"]
    assert "--ext=mirage_nb.notebook" in spec["argv"]
    assert kernel_spec(python="/x/python3")["argv"][0] == "/x/python3"


def test_install_into_a_prefix_is_found_by_jupyter(tmp_path):
    pytest.importorskip("jupyter_client")
    from jupyter_client.kernelspec import KernelSpecManager

    where = install(prefix=str(tmp_path), python=sys.executable)
    assert (
        json.loads((tmp_path / "share/jupyter/kernels" / KERNEL_NAME / "kernel.json").read_text())["display_name"]
        == DISPLAY_NAME
    )
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "share/jupyter/kernels")])
    spec = ksm.get_kernel_spec(KERNEL_NAME)
    assert spec.display_name == DISPLAY_NAME and spec.argv[0] == sys.executable
    assert where.endswith(KERNEL_NAME)


def test_command_line_show(capsys):
    assert main(["show"]) == 0
    assert json.loads(capsys.readouterr().out) == kernel_spec()


def test_a_kernel_started_from_the_spec_has_the_extension(tmp_path, monkeypatch):
    pytest.importorskip("ipykernel")
    from jupyter_client.manager import start_new_kernel

    install(prefix=str(tmp_path), python=sys.executable)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share/jupyter"))
    outputs: list[dict] = []
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME)
    try:
        reply = kc.execute_interactive(
            "print('MirageMagics' in get_ipython().magics_manager.registry)",
            timeout=60,
            output_hook=outputs.append,
        )
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    texts = [m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream"]
    assert "True\n" in texts


def test_the_kernel_is_silent_on_the_tutorials_first_cell_and_shows_learner_errors_without_traceback(
    tmp_path, monkeypatch
):
    """On the MirageOS kernel, ``%load_ext mirage_nb`` prints nothing; a learner's ConfigError is one message."""
    pytest.importorskip("ipykernel")
    from jupyter_client.manager import start_new_kernel

    install(prefix=str(tmp_path), python=sys.executable)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share/jupyter"))
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME)

    def run(code: str) -> tuple[dict, list[dict]]:
        out: list[dict] = []
        reply = kc.execute_interactive(code, timeout=60, output_hook=out.append)
        return reply, [m for m in out if m["msg_type"] in ("stream", "error", "display_data", "execute_result")]

    try:
        reply, first = run("%load_ext mirage_nb")
        wrong_reply, wrong = run(
            "from mirage_nb.mirage import *\n"
            'register("reader", [main("Unikernel.Main", kv_ro @ job)(block_of_file("disk.img"))])'
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok" and first == []
    assert wrong_reply["content"]["status"] == "error"  # Run All still stops at the mistake
    assert [m["msg_type"] for m in wrong] == ["display_data"]
    text = wrong[0]["content"]["data"]["text/plain"]
    assert text.startswith("ConfigError: wrong device for Unikernel.Main") and "%tb" in text
    assert "Traceback" not in str(wrong)
