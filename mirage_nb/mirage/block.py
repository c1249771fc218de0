"""Block devices and the stores built on them (twin of mirage's ``lib/devices/block.ml``).

Files, ramdisks and Xen disks; tar, FAT, docteur and chamelon stores over
them; encrypted (CCM) blocks. Block numbers for Xen's xenstore ids are
handed out per configure run (:func:`.target_files.block_number`), not globally.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import fmt as F
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.install import Install
from mirage_nb.functoria.package import Package, package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from ._util import expect, get_target, pos
from .kv import ro, rw

__all__ = [
    "block",
    "xenstore_id_of_index",
    "block_of_xenstore_id",
    "block_conf",
    "block_of_file",
    "ramdisk",
    "generic_block",
    "tar_kv_ro",
    "tar_kv_rw",
    "fat_ro",
    "disk_name",
    "disk_output",
    "analyze",
    "docteur_unix",
    "docteur_solo5",
    "docteur",
    "chamelon",
    "ccm_block",
]

_FILE = "lib/devices/block.ml"

block = Typ("block")


def _xen_block_packages() -> list[Package]:
    return [package("mirage-block-xen", min="2.1.0", max="3.0.0", sublibs=["front"])]


def _xen_only(info: Info, _fs=None) -> None:
    if get_target(info).group != "xen":
        raise ConfigError(
            "XenStore IDs are only valid ways of specifying block devices when the target is Xen or Qubes."
        )


def block_of_xenstore_id(id: str) -> Impl:
    """Twin of ``block_of_xenstore_id id``: a Xen disk by its xenstore id (e.g. ``"51712"``)."""
    return impl(
        "Block",
        block,
        configure=_xen_only,
        connect=lambda _i, m, _n: Code(F.sprintf("%s.connect %S", m, id), pos(_FILE, 45)),
        packages=_xen_block_packages(),
        doc=f"The Xen disk {id!r}.",
    )


def _block_number(info: Info, filename: str) -> int:
    """``make_block_t``: the registration number of a block device in this configure run."""
    from .target_files import block_number

    return block_number(info, filename)


def xenstore_id_of_index(number: int) -> int:
    """The xenstore id of the n-th Xen disk (as mirage-block-xen numbers them)."""
    if number < 16:
        return (202 << 8) | (number << 4)
    return (1 << 28) | (number << 8)


def _block_packages(m: Key.Mode) -> list[Package]:
    match m.group:
        case "xen":
            return _xen_block_packages()
        case "solo5":
            return [package("mirage-block-solo5", min="0.8.0", max="0.9.0")]
        case "unix":
            return [package("mirage-block-unix", min="2.12.0", max="3.0.0")]
        case _:
            return [package("mirage-block-unikraft", min="1.0.0", max="2.0.0")]


def block_conf(file: str) -> Impl:
    """A fresh ``Block`` device for ``file`` (a host file, a solo5 device name, or the n-th Xen disk)."""

    def connect_name(info: Info, target: Key.Mode) -> str:
        if target.group == "xen":
            return str(xenstore_id_of_index(_block_number(info, file)))
        return file

    def configure(info: Info, _fs=None) -> None:
        _block_number(info, file)

    def connect(info: Info, s: str, _names: Sequence[str]) -> Code:
        target = get_target(info)
        if target is Key.Mode.MUEN:
            raise ConfigError("Block devices not supported on Muen target.")
        return Code(F.sprintf("%s.connect %S", s, connect_name(info, target)), pos(_FILE, 88))

    return impl(
        "Block",
        block,
        configure=configure,
        packages_v=K.map_(_block_packages, Key.target.value()),
        connect=connect,
        doc=f"The block device {file!r}.",
        sim={"kind": "block", "params": {"file": file}},
    )


def block_of_file(file: str) -> Impl:
    """Twin of ``block_of_file file``."""
    return block_conf(file)


def ramdisk(rname: str) -> Impl:
    """Twin of ``ramdisk name``: a block device in memory."""
    return impl(
        "Ramdisk",
        block,
        connect=lambda _i, m, _n: Code(F.sprintf("%s.connect ~name:%S", m, rname), pos(_FILE, 96)),
        packages=[package("mirage-block-ramdisk")],
        doc=f"The ramdisk {rname!r}.",
        sim={"kind": "block", "params": {"file": rname, "size_sectors": 32768}},
    )


def generic_block(name: str, *, group: str | None = None, key: K.Value | None = None) -> Impl:
    """Twin of ``generic_block ?group ?key name``: xenstore, file or ramdisk, as ``--block`` says."""
    k = key if key is not None else Key.block(group).value()
    B = Key.BlockKind
    return match_impl(
        k,
        [
            (B.XENSTORE_ID, block_of_xenstore_id(name)),
            (B.BLOCK_FILE, block_of_file(name)),
            (B.RAMDISK, ramdisk(name)),
        ],
        default=ramdisk(name),
    )


def _over_block(module: str, res: Typ, pkg: Package, line: int, err: str, doc: str) -> Impl:
    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (b,) = expect(names, 1, err)
        return Code(f"{modname}.connect {b}", pos(_FILE, line))

    return impl(module, block @ res, packages=[pkg], connect=connect, doc=doc)


_tar_kv_ro_conf = _over_block(
    "Tar_mirage.Make_KV_RO",
    ro,
    package("tar-mirage", min="1.0.0", max="4.0.0"),
    111,
    "tar_kv_ro",
    "A read-only store in a tar archive.",
)
_tar_kv_rw_conf = _over_block(
    "Tar_mirage.Make_KV_RW",
    rw,
    package("tar-mirage", min="2.2.0", max="4.0.0"),
    119,
    "tar_kv_rw",
    "A writable store in a tar archive.",
)
_fat_conf = _over_block(
    "Fat.KV_RO",
    ro,
    package("fat-filesystem", min="0.15.0", max="0.16.0"),
    130,
    "fat",
    "A read-only FAT file system.",
)


def tar_kv_ro(b: Impl) -> Impl:
    """Twin of ``tar_kv_ro block``."""
    return _tar_kv_ro_conf(b)


def tar_kv_rw(b: Impl) -> Impl:
    """Twin of ``tar_kv_rw block``."""
    return _tar_kv_rw_conf(b)


def fat_ro(b: Impl) -> Impl:
    """Twin of ``fat_ro block``."""
    return _fat_conf(b)


# -- docteur ----------------------------------------------------------------------------

disk_name = K.create(
    "disk-name",
    K.Arg.opt(
        K.STRING,
        "docteur",
        K.ArgInfo(
            ("disk-name",),
            doc="Name of the docteur disk (for Solo5 targets, the name must contains only alpanumeric characters).",
        ),
    ),
)

disk_output = K.create(
    "disk-output",
    K.Arg.opt(K.STRING, "disk.img", K.ArgInfo(("disk-output",), doc="The output of the generated docteur image.")),
)

analyze = Runtime_arg.create(pos(_FILE, 293), "Mirage_runtime.analyze")
_ANALYZE = analyze

_DOCTEUR_CONNECT = (
    "let ( <.> ) f g = fun x -> f (g x) in\n"
    '             let f = Rresult.R.(failwith_error_msg <.> reword_error (msgf "%%a" %s.pp_error)) in\n'
    "             Lwt.map f (%s.connect ~analyze:%s %S)"
)


def _source_tree(remote: str) -> str:
    u = urlsplit(remote)
    path = (u.netloc or "") + u.path
    if u.scheme == "file":
        return f" (source_tree /{path})"
    if u.scheme == "relativize":
        return f" (source_tree {path})"
    return ""


def _docteur(
    variant: str,
    mode: str,
    extra_deps: Sequence[str],
    *,
    name: K.Key,
    output: K.Key,
    branch: str | None,
    analyze: RuntimeArg,
    remote: str,
) -> Impl:
    line = 193 if variant == "unix" else 252

    def dune(info: Info) -> list[str]:
        out = info.context.get(output)
        deps = "".join(f" {d}" for d in extra_deps)
        b = f" -b {branch}" if branch is not None else ""
        return [
            "(rule\n"
            f" (targets {out})\n"
            ' (enabled_if (= %{context_name} "default"))\n'
            f" (deps (:make %{{bin:docteur.make}}){deps}{_source_tree(remote)})\n"
            f" (action (run %{{make}} {remote}{b} {out})))"
        ]

    def install(info: Info) -> Install:
        return Install(etc=(info.context.get(output),))

    # The solo5 variant names its disk after --disk-name, the unix one after --disk-output.
    disk_key = output if variant == "unix" else name

    def configure(info: Info, _fs=None) -> None:
        _block_number(info, info.context.get(disk_key))

    def connect(info: Info, modname: str, names: Sequence[str]) -> Code:
        (a,) = expect(names, 1, f"docteur_{variant}")
        text = F.sprintf(_DOCTEUR_CONNECT, modname, modname, a, info.context.get(disk_key))
        return Code(text, pos(_FILE, line))

    keys = [output] if variant == "unix" else [output, name]
    return impl(
        f"Docteur_{variant}.{mode}",
        ro,
        keys=keys,
        runtime_args=[analyze],
        packages=[package(f"docteur-{variant}", min="0.0.6")],
        dune=dune,
        install=install,
        configure=configure,
        connect=connect,
        doc=f"A read-only store in a docteur (Git PACK) image, {variant} flavour.",
    )


def docteur_unix(
    mode: str,
    extra_deps: Sequence[str],
    branch: str | None,
    analyze: RuntimeArg,
    remote: str,
    *,
    name: K.Key = disk_name,
    output: K.Key = disk_output,
) -> Impl:
    return _docteur("unix", mode, extra_deps, name=name, output=output, branch=branch, analyze=analyze, remote=remote)


def docteur_solo5(
    mode: str,
    extra_deps: Sequence[str],
    branch: str | None,
    analyze: RuntimeArg,
    remote: str,
    *,
    name: K.Key = disk_name,
    output: K.Key = disk_output,
) -> Impl:
    return _docteur("solo5", mode, extra_deps, name=name, output=output, branch=branch, analyze=analyze, remote=remote)


_MODES = {"fast": "Fast", "light": "Light"}


def docteur(
    remote: str,
    *,
    mode: str = "Fast",
    name: K.Key | None = None,
    output: K.Key | None = None,
    analyze: RuntimeArg | None = None,
    branch: str | None = None,
    extra_deps: Sequence[str] = (),
) -> Impl:
    """Twin of ``docteur ?mode ?name ?output ?analyze ?branch ?extra_deps remote``.

    ``mode`` is ``"Fast"`` or ``"Light"`` (OCaml's `` `Fast``/`` `Light``).
    """
    m = _MODES.get(str(mode).lower())
    if m is None:
        raise ConfigError(f"docteur: mode must be 'Fast' or 'Light', not {mode!r}")
    ra = analyze if analyze is not None else _ANALYZE
    kw = {"name": name or disk_name, "output": output or disk_output}
    deps = list(extra_deps)

    def solo5() -> Impl:
        return docteur_solo5(m, deps, branch, ra, remote, **kw)

    M = Key.Mode
    return match_impl(
        Key.target.value(),
        [
            (M.XEN, solo5()),
            (M.QUBES, solo5()),
            (M.VIRTIO, solo5()),
            (M.HVT, solo5()),
            (M.SPT, solo5()),
            (M.MUEN, solo5()),
            (M.GENODE, solo5()),
        ],
        default=docteur_unix(m, deps, branch, ra, remote, **kw),
    )


# -- chamelon and encrypted blocks ---------------------------------------------------------

_CHAMELON_CONNECT = (
    "%s.connect ~program_block_size:%s %s\n"
    '                 >|= Result.map_error (Fmt.str "%%a" %s.pp_error)\n'
    "                 >|= Result.fold ~ok:Fun.id ~error:failwith"
)


def chamelon(b: Impl, *, program_block_size: RuntimeArg) -> Impl:
    """Twin of ``chamelon ~program_block_size block``: a writable littlefs-like store (fresh)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        blk, pbs = expect(names, 2, "chameleon")
        return Code(F.sprintf(_CHAMELON_CONNECT, modname, pbs, blk, modname), pos(_FILE, 317))

    conf = impl(
        "Kv.Make",
        block @ rw,
        packages=[package("chamelon", sublibs=["kv"], min="0.0.8")],
        runtime_args=[program_block_size],
        connect=connect,
        doc="A chamelon store over a block device.",
        sim="chamelon",
    )
    return conf(b)


_CCM_CONNECT = (
    "let key = %s in\n"
    "                 let key =\n"
    '                   if String.length key >= 2 && String.(equal "0x" (sub key 0 2)) then\n'
    "                     String.sub key 2 (String.length key - 2)\n"
    "                   else\n"
    "                     key\n"
    "                 in\n"
    "                 %s.connect ?nonce_len:%a ~key:(Cstruct.of_hex key) %s"
)

_pp_nonce = Runtime_arg.parens(Runtime_arg.dump_option(Runtime_arg.pp_int))


def ccm_block(key: RuntimeArg, b: Impl, *, nonce_len: int | None = None) -> Impl:
    """Twin of ``ccm_block ?nonce_len key block``: a block encrypted with AES-CCM (fresh)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        blk, k = expect(names, 2, "ccm_block")
        return Code(F.sprintf(_CCM_CONNECT, k, modname, _pp_nonce, nonce_len, blk), pos(_FILE, 331))

    conf = impl(
        "Block_ccm.Make",
        block @ block,
        packages=[package("mirage-block-ccm", min="2.0.0", max="3.0.0")],
        runtime_args=[key],
        connect=connect,
        doc="An encrypted block device (AES-CCM).",
    )
    return conf(b)
