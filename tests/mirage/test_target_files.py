"""Per-target files of ``mirage configure``: manifests, Xen ``.xl``, libvirt XML, unikraft contexts.

The reference runs (tests/functoria/test_codegen_reference.py) cover unix,
hvt, xen and qubes for the recorded configs; these tests cover the other
targets, block devices, and the per-run device registry.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import codegen
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.vfs import VirtualFS
from mirage_nb.mirage import target_files as T


def _eval(app, target: str):
    from mirage_nb.mirage import Key

    return app.evaluate(K.Context({"target": Key.Mode(target)}), full=True)


def _configure(c, target: str) -> VirtualFS:
    fs = VirtualFS()
    codegen.configure(c, fs, argv=["configure", "-t", target])
    return fs


def _stack_app():
    from mirage_nb.mirage import default_network, generic_stackv4v6, job, main, register, stackv4v6

    m = main("App", stackv4v6 @ job, pos=("config.ml", 4, 0, 0))
    return register("net", [m(generic_stackv4v6(default_network))], src="none")


def _blocks_app(*files: str):
    from mirage_nb.mirage import block, block_of_file, job, main, register

    typ = job
    for _ in files:
        typ = block @ typ
    m = main("App", typ, pos=("config.ml", 3, 0, 0))
    return register("disks", [m(*[block_of_file(f) for f in files])], src="none")


def test_manifest_lists_networks_once_per_run() -> None:
    """Two runs of one configured app do not pile up devices (no global list, unlike mirage)."""
    c = _eval(_stack_app(), "hvt")
    first = _configure(c, "hvt").read("mirage/manifest.json")
    second = _configure(c, "hvt").read("mirage/manifest.json")
    assert first == second
    assert first == (
        '{\n  "type": "solo5.manifest",\n  "version": 1,\n'
        '  "devices": [ { "name": "service", "type": "NET_BASIC" } ]\n}\n'
    )


def test_manifest_networks_then_blocks() -> None:
    from mirage_nb.mirage import (
        block,
        block_of_file,
        default_network,
        generic_stackv4v6,
        job,
        main,
        register,
        stackv4v6,
    )

    m = main("App", stackv4v6 @ block @ job)
    app = register("both", [m(generic_stackv4v6(default_network), block_of_file("data.img"))], src="none")
    fs = _configure(_eval(app, "spt"), "spt")
    assert (
        '"devices": [ { "name": "service", "type": "NET_BASIC" }, { "name": "data.img", "type": "BLOCK_BASIC" } ]'
        in (fs.read("mirage/manifest.json"))
    )
    assert fs.read("mirage/manifest.ml") == ""


def test_xen_files_number_the_disks() -> None:
    fs = _configure(_eval(_blocks_app("a.img", "b.img"), "xen"), "xen")
    xl = fs.read("mirage/disks.xl")
    # Numbers are given in registration order from 1 (0 is the boot disk);
    # they are listed in the order of mirage's hash table.
    assert "disk = [ 'format=raw, vdev=xvdb, access=rw, target=a.img', " in xl
    assert "'format=raw, vdev=xvdc, access=rw, target=b.img' ]" in xl
    xl_in = fs.read("mirage/disks.xl.in")
    assert "name = '@NAME@'\nkernel = '@KERNEL@'\ntype = 'pvh'\nmemory = @MEMORY@\n" in xl_in
    assert "target=@BLOCK:a.img@" in xl_in
    main = fs.read("mirage/main.ml")
    # The connect code names each disk by its xenstore id: (202 << 8) | (n << 4).
    assert 'Block.connect "51728"' in main and 'Block.connect "51744"' in main
    # Xen manifests list no devices.
    assert '"devices": [  ]' in fs.read("mirage/manifest.json")


def test_xen_vif_uses_the_bridge_stem() -> None:
    c = _eval(_stack_app(), "xen")
    fs = VirtualFS()
    c.info.extra["xen_bridge"] = "xenbr"
    codegen.configure(c, fs, argv=["configure", "-t", "xen"])
    assert "vif = [ 'bridge=xenbr0' ]\n" in fs.read("mirage/net.xl")
    assert "vif = [ 'bridge=@NETWORK:0@' ]\n" in fs.read("mirage/net.xl.in")


def test_virtio_writes_a_kvm_domain() -> None:
    c = _eval(_stack_app(), "virtio")
    fs = _configure(c, "virtio")
    xml = fs.read("mirage/net_libvirt.xml")
    assert xml.startswith("<domain type='kvm'>\n    <name>net</name>\n")
    assert "<kernel>net.virtio</kernel>" in xml and xml.endswith("</domain>\n")
    assert codegen.query(c, "files", argv=[]).endswith("main.ml manifest.json manifest.ml net_libvirt.xml\n")
    assert '-cclib "-z solo5-abi=virtio")' in fs.read("dune.build")
    assert "(target net.virtio)" in fs.read("dist/dune")


@pytest.mark.parametrize(
    ("target", "backend", "ext"), [("unikraft-qemu", "qemu", "qemu"), ("unikraft-firecracker", "firecracker", "fc")]
)
def test_unikraft(target: str, backend: str, ext: str) -> None:
    c = _eval(_stack_app(), target)
    fs = _configure(c, target)
    ws = fs.read("dune-workspace")
    assert f'(flags :standard -cclib "-z unikraft-backend={backend}")' in ws
    assert "(toolchain unikraft)" in ws and ws.endswith("\n\n;; Generated by mirage.4.11.1\n")
    assert fs.read("mirage/main.ml").startswith("open Lwt.Infix\ntype 'a io = 'a Lwt.t\nlet return = Lwt.return\n")
    assert "let run t = Unikraft_os.Main.run t ; exit\n0\n" in fs.read("mirage/main.ml")
    assert f"(target net.{ext})" in fs.read("dune.build")
    assert '(enabled_if (= %{context_name} "unikraft"))' in fs.read("dist/dune")
    assert set(fs.files()) >= {"mirage/main.ml", "dune.build"} and "mirage/manifest.json" not in fs.files()


def test_success_message_once_per_run() -> None:
    c = _eval(_stack_app(), "hvt")
    fs = _configure(c, "hvt")
    assert fs.messages == [T.SUCCESS_MESSAGE]
    out = codegen.query(c, "dune.build", argv=[])
    assert out.startswith(T.SUCCESS_MESSAGE + "\n(copy_files# ./mirage/main.ml)")
    assert out.count("Successfully") == 1
    assert codegen.query(c, "Makefile", argv=[]).count("Successfully") == 0


def test_registry_needs_a_run() -> None:
    with pytest.raises(ConfigError, match="no configure run"):
        T.register_network(Info(name="x"), "tap0")
    fs = VirtualFS()
    T.register_network(fs, "a")
    T.register_network(fs, "b")
    assert T.devices(fs).networks == ["b", "a"]
    assert T.block_number(fs, "x") == 1 and T.block_number(fs, "y") == 2 and T.block_number(fs, "x") == 1


@pytest.mark.parametrize(
    ("n", "name"), [(0, "a"), (1, "b"), (25, "z"), (26, "aa"), (27, "ab"), (701, "zz"), (702, "aaa")]
)
def test_xen_disk_letters(n: int, name: str) -> None:
    assert T._int26(n) == name


# -- OCaml's Hashtbl, which decides the order of several disks -------------------------------------

# Recorded with OCaml 5's Hashtbl.hash.
RECORDED = {"": 0, "a": 721651713, "foo": 763646369, "disk.img": 725416830, "hello world!": 774705101}


def test_string_hash_matches_recorded_ocaml() -> None:
    assert {s: T.ocaml_string_hash(s) for s in RECORDED} == RECORDED


def _ocaml_fold_order(names: list[str], tmp: Path) -> list[str]:
    lits = "; ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in names)
    src = tmp / "fold.ml"
    src.write_text(
        "let () = let t = Hashtbl.create 7 in\n"
        f"  List.iter (fun f -> Hashtbl.add t f ()) [{lits}];\n"
        '  print_string (String.concat "\\n" (Hashtbl.fold (fun k _ acc -> k :: acc) t []))\n'
    )
    out = subprocess.run(["ocaml", str(src)], capture_output=True, text=True, check=True).stdout
    return out.split("\n") if out else []


@pytest.mark.skipif(shutil.which("ocaml") is None, reason="the OCaml toplevel is not installed")
@settings(max_examples=15, deadline=None)
@given(st.lists(st.from_regex(r"[a-z0-9_./-]{1,12}", fullmatch=True), min_size=1, max_size=40, unique=True))
def test_block_order_matches_real_ocaml(tmp_path_factory, names: list[str]) -> None:
    reg = T.Devices()
    for i, n in enumerate(names, 1):
        reg.blocks[n] = i
    got = [f for f, _ in T._blocks_in_table_order(reg)]
    assert got == _ocaml_fold_order(names, tmp_path_factory.mktemp("ocaml"))
