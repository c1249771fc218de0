"""Storage devices: kv stores, blocks, tar/FAT/docteur/chamelon, encrypted blocks."""

from __future__ import annotations

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.impl import If
from mirage_nb.functoria.install import Install
from mirage_nb.mirage import (
    Key,
    Runtime_arg,
    block,
    block_of_file,
    block_of_xenstore_id,
    ccm_block,
    chamelon,
    crunch,
    direct_kv_ro,
    direct_kv_rw,
    docteur,
    fat_ro,
    generic_block,
    generic_kv_ro,
    kv_ro,
    kv_rw,
    kv_rw_mem,
    ramdisk,
    tar_kv_ro,
    tar_kv_rw,
)


def test_crunch(h):
    c = crunch("htdocs")
    d = h.dev(c).dev
    assert d.module_name == "Static_htdocs" and d.module_type is kv_ro
    assert h.connect(c, []).code == "Static_htdocs.connect ()"
    assert h.packages(c) == {
        "mirage-kv-mem": (["mirage-kv-mem"], ["4.0.0"], ["5.0.0"]),
        "crunch": (["crunch"], ["4.0.0"], ["5.0.0"]),
    }
    assert [p.build for p in d.packages.eval(h.ctx("unix"))] == [False, True]
    # As in the dune.build mirage 4.11.1 wrote for extra/static_web.
    assert d.dune(h.info()) == [
        "(rule\n"
        "  (targets Static_htdocs.ml Static_htdocs.mli)\n"
        "  (deps (source_tree htdocs))\n"
        "  (action\n"
        "    (run ocaml-crunch -o Static_htdocs.ml htdocs)))"
    ]
    assert h.dev(crunch("My-Files/é")).dev.module_name == "Static_my_files___"
    assert crunch("htdocs") != c


def test_direct_kv_ro_is_crunch_except_on_unix(h):
    t = direct_kv_ro("data")
    assert isinstance(t, If)
    unix = h.choose(t, "unix")
    assert h.dev(unix).dev.module_name == "Mirage_kv_unix"
    assert h.connect(unix, []).code == 'Mirage_kv_unix.connect "data"'
    assert h.packages(unix) == {"mirage-kv-unix": (["mirage-kv-unix"], ["2.1.0"], ["3.0.0"])}
    for target in ("xen", "qubes", "virtio", "hvt", "spt", "muen", "genode"):
        assert h.dev(h.choose(t, target)).dev.module_name == "Static_data"
    assert h.dev(h.choose(t, "unikraft-qemu")).dev.module_name == "Mirage_kv_unix"


def test_generic_kv_ro_key(h):
    t = generic_kv_ro("htdocs", group="web")
    assert [k.name for k in t.cond.deps] == ["web-kv_ro"]
    assert h.dev(h.choose(t)).dev.module_name == "Static_htdocs"
    direct = h.choose(t, **{"web-kv_ro": Key.KvRo.DIRECT})
    assert isinstance(direct, If)
    own = Key.kv_ro().value()
    assert generic_kv_ro("x", key=own).cond is own


def test_kv_rw(h):
    assert direct_kv_rw("d").module_type is kv_rw
    assert h.connect(direct_kv_rw("d"), []).pos[:2] == ("lib/devices/kv.ml", 72)
    m = kv_rw_mem()
    assert h.connect(m, []).code == "Mirage_kv_mem.connect ()"
    assert h.packages(m) == {"mirage-kv-mem": (["mirage-kv-mem"], ["3.0.0"], ["4.0.0"])}


@pytest.mark.parametrize(
    ("target", "pkg", "name"),
    [
        ("unix", "mirage-block-unix", "disk.img"),
        ("hvt", "mirage-block-solo5", "disk.img"),
        ("xen", "mirage-block-xen", "51728"),  # the first disk is number 1 (0 is the boot disk)
        ("qubes", "mirage-block-xen", "51728"),
        ("unikraft-firecracker", "mirage-block-unikraft", "disk.img"),
    ],
)
def test_block_of_file(h, target, pkg, name):
    b = block_of_file("disk.img")
    assert list(h.packages(b, target)) == [pkg]
    assert h.connect(b, [], target).code == f'Block.connect "{name}"'


def test_xen_block_numbers_follow_registration(h):
    i = h.info("xen")
    a, b = block_of_file("a.img"), block_of_file("b.img")
    h.dev(a).dev.configure(i, None)
    h.dev(b).dev.configure(i, None)
    # (202 << 8) | (n << 4) for the n-th disk
    assert h.dev(b).dev.connect(i, "Block", []).code == 'Block.connect "51744"'
    assert h.dev(a).dev.connect(i, "Block", []).code == 'Block.connect "51728"'


def test_block_errors(h):
    with pytest.raises(ConfigError, match="^Block devices not supported on Muen target.$"):
        h.connect(block_of_file("x"), [], "muen")
    x = h.dev(block_of_xenstore_id("51712")).dev
    x.configure(h.info("qubes"), None)
    with pytest.raises(ConfigError, match="^XenStore IDs are only valid ways"):
        x.configure(h.info("unix"), None)


def test_ramdisk_and_generic_block(h):
    assert h.connect(ramdisk("secrets\f42"), []).code == 'Ramdisk.connect ~name:"secrets\\01242"'
    g = generic_block("disk")
    assert [k.name for k in g.cond.deps] == ["block"]
    assert h.dev(h.choose(g)).dev.module_name == "Ramdisk"
    assert h.dev(h.choose(g, block=Key.BlockKind.BLOCK_FILE)).dev.module_name == "Block"
    assert h.packages(h.choose(g, block=Key.BlockKind.XENSTORE_ID)) == {
        "mirage-block-xen": (["mirage-block-xen.front"], ["2.1.0"], ["3.0.0"])
    }


@pytest.mark.parametrize(
    ("make", "module", "pkg", "line"),
    [
        (tar_kv_ro, "Tar_mirage.Make_KV_RO", ("tar-mirage", ["1.0.0"], ["4.0.0"]), 111),
        (tar_kv_rw, "Tar_mirage.Make_KV_RW", ("tar-mirage", ["2.2.0"], ["4.0.0"]), 119),
        (fat_ro, "Fat.KV_RO", ("fat-filesystem", ["0.15.0"], ["0.16.0"]), 130),
    ],
)
def test_stores_over_blocks(h, make, module, pkg, line):
    t = make(ramdisk("r"))
    assert h.dev(t).dev.module_name == module and make(ramdisk("r")).dev is t.dev
    name, lo, hi = pkg
    assert h.packages(t) == {name: ([name], lo, hi)}
    c = h.connect(t, ["_b"], modname="M")
    assert (c.code, c.pos[1]) == ("M.connect _b", line)


def test_docteur(h):
    t = docteur("relativize://data", branch="main", extra_deps=["a.txt"])
    unix = h.choose(t, "unix")
    d = h.dev(unix).dev
    assert d.module_name == "Docteur_unix.Fast" and [k.name for k in d.keys] == ["disk-output"]
    (ra,) = d.runtime_args
    assert (ra.code, ra.line) == ("Mirage_runtime.analyze", 293)
    i = h.info("unix")
    assert d.dune(i) == [
        "(rule\n"
        " (targets disk.img)\n"
        ' (enabled_if (= %{context_name} "default"))\n'
        " (deps (:make %{bin:docteur.make}) a.txt (source_tree data))\n"
        " (action (run %{make} relativize://data -b main disk.img)))"
    ]
    assert d.install(i).eval(i.context) == Install(etc=("disk.img",))
    assert h.connect(unix, ["_analyze"], modname="D").code == (
        "let ( <.> ) f g = fun x -> f (g x) in\n"
        '             let f = Rresult.R.(failwith_error_msg <.> reword_error (msgf "%a" D.pp_error)) in\n'
        '             Lwt.map f (D.connect ~analyze:_analyze "disk.img")'
    )
    solo5 = h.dev(h.choose(t, "hvt")).dev
    assert solo5.module_name == "Docteur_solo5.Fast"
    assert [k.name for k in solo5.keys] == ["disk-output", "disk-name"]
    assert '"docteur")' in solo5.connect(h.info("hvt"), "D", ["_a"]).code
    light = h.dev(h.choose(docteur("https://x/y.git", mode="Light"), "unix")).dev
    assert light.module_name == "Docteur_unix.Light"
    assert "(deps (:make %{bin:docteur.make}))" in light.dune(i)[0]
    with pytest.raises(ConfigError, match="Fast"):
        docteur("x", mode="Slow")


def test_chamelon_and_ccm(h):
    pbs = Runtime_arg.create(("config.ml", 1, 0, 0), "Unikernel.pbs")
    c = chamelon(ramdisk("r"), program_block_size=pbs)
    assert c.module_type is kv_rw
    assert h.packages(c) == {"chamelon": (["chamelon.kv"], ["0.0.8"], [])}
    assert h.connect(c, ["_b", "_p"], modname="K").code == (
        "K.connect ~program_block_size:_p _b\n"
        '                 >|= Result.map_error (Fmt.str "%a" K.pp_error)\n'
        "                 >|= Result.fold ~ok:Fun.id ~error:failwith"
    )
    with pytest.raises(ConfigError, match="The chameleon connect expects exactly 2 arguments"):
        h.connect(c, ["_b"])
    key = Runtime_arg.create(("config.ml", 2, 0, 0), "Unikernel.key")
    e = ccm_block(key, ramdisk("r"), nonce_len=8)
    assert e.module_type is block
    code = h.connect(e, ["_b", "_k"], modname="C").code
    assert code.startswith("let key = _k in\n")
    # Format counts the raw newlines above as columns, so the ``parens`` box opens past
    # max_indent and Format breaks the line before it (as OCaml's Format does).
    assert code.endswith("\n                 C.connect ?nonce_len:\n(Some 8) ~key:(Cstruct.of_hex key) _b")
    assert "?nonce_len:\n(None) ~key" in h.connect(ccm_block(key, ramdisk("r")), ["_b", "_k"]).code
