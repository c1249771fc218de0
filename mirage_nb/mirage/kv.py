"""Key-value stores: crunch (files compiled in), the host directory, memory (twin of ``lib/devices/kv.ml``)."""

from __future__ import annotations

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import keys as Key
from ._util import pos

__all__ = [
    "ro",
    "rw",
    "kv_ro",
    "kv_rw",
    "crunch",
    "crunch_module_name",
    "direct_kv_ro",
    "direct_kv_rw",
    "mem_kv_rw",
    "kv_rw_mem",
    "generic_kv_ro",
]

_FILE = "lib/devices/kv.ml"

ro = Typ("kv_ro")
rw = Typ("kv_rw")
kv_ro = ro
kv_rw = rw


def crunch_module_name(dirname: str) -> str:
    """``Static_`` + the directory name, lower-cased, every non-alphanumeric byte as ``_``."""
    # OCaml maps bytes: a multi-byte UTF-8 character becomes several underscores.
    mapped = "".join(c if c.isascii() and c.isalnum() else "_" * len(c.encode("utf-8")) for c in dirname)
    return "Static_" + mapped.lower()


def crunch(dirname: str) -> Impl:
    """Twin of ``crunch dirname``: the files of ``dirname`` compiled into the unikernel (fresh each call)."""
    name = crunch_module_name(dirname)

    def dune(_info: Info) -> list[str]:
        ml, mli = f"{name}.ml", f"{name}.mli"
        # ``Dune.stanzaf`` trims the text.
        return [
            "(rule\n"
            f"  (targets {ml} {mli})\n"
            f"  (deps (source_tree {dirname}))\n"
            "  (action\n"
            f"    (run ocaml-crunch -o {ml} {dirname})))"
        ]

    return impl(
        name,
        ro,
        packages=[
            package("mirage-kv-mem", min="4.0.0", max="5.0.0"),
            package("crunch", min="4.0.0", max="5.0.0", build=True),
        ],
        connect=lambda _i, m, _n: Code(f"{m}.connect ()", pos(_FILE, 23)),
        dune=dune,
        doc=f"The files of {dirname!r}, compiled in by ocaml-crunch.",
        sim={"kind": "kv_ro_crunch", "params": {"dir": dirname}},
    )


def _kv_unix(dirname: str, typ: Typ, line: int) -> Impl:
    return impl(
        "Mirage_kv_unix",
        typ,
        packages=[package("mirage-kv-unix", min="2.1.0", max="3.0.0")],
        connect=lambda _i, m, _n: Code(f'{m}.connect "{dirname}"', pos(_FILE, line)),
        doc=f"The host directory {dirname!r}.",
        sim={"kind": "kv_ro_direct", "params": {"dir": dirname}} if typ is ro else None,
    )


M = Key.Mode


def direct_kv_ro(dirname: str) -> Impl:
    """Twin of ``direct_kv_ro dirname``: the host directory on unix, crunch elsewhere."""
    return match_impl(
        Key.target.value(),
        [
            (M.XEN, crunch(dirname)),
            (M.QUBES, crunch(dirname)),
            (M.VIRTIO, crunch(dirname)),
            (M.HVT, crunch(dirname)),
            (M.SPT, crunch(dirname)),
            (M.MUEN, crunch(dirname)),
            (M.GENODE, crunch(dirname)),
        ],
        default=_kv_unix(dirname, ro, 47),
    )


def direct_kv_rw(dirname: str) -> Impl:
    """Twin of ``direct_kv_rw dirname``: a writable host directory."""
    return _kv_unix(dirname, rw, 72)


def mem_kv_rw() -> Impl:
    """Twin of ``kv_rw_mem ()``: a writable store in memory (OCaml's ``()`` is dropped)."""
    return impl(
        "Mirage_kv_mem",
        rw,
        packages=[package("mirage-kv-mem", min="3.0.0", max="4.0.0")],
        connect=lambda _i, m, _n: Code(f"{m}.connect ()", pos(_FILE, 78)),
        doc="A key-value store in memory.",
        sim="kv_rw_mem",
    )


kv_rw_mem = mem_kv_rw


def generic_kv_ro(dir: str, *, group: str | None = None, key: K.Value | None = None) -> Impl:
    """Twin of ``generic_kv_ro ?group ?key dir``: crunch or direct, as ``--kv_ro`` says."""
    k = key if key is not None else Key.kv_ro(group).value()
    return match_impl(
        k,
        [(Key.KvRo.CRUNCH, crunch(dir)), (Key.KvRo.DIRECT, direct_kv_ro(dir))],
        default=direct_kv_ro(dir),
    )
