"""MirageOS's configure-time keys: the target and the stack/storage choices (twin of ``Mirage.Key``)."""

from __future__ import annotations

import enum
import os
import platform
from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.cmdliner_words import doc_alts as _cmdliner_doc_alts

__all__ = [
    "Mode",
    "target",
    "is_unix",
    "is_solo5",
    "is_xen",
    "is_unikraft",
    "net",
    "no_dhcp",
    "utcp",
    "kv_ro",
    "block",
    "pp_target",
    "MIRAGE_SECTION",
    "UNIKERNEL_SECTION",
]

MIRAGE_SECTION = "MIRAGE PARAMETERS"
UNIKERNEL_SECTION = "UNIKERNEL PARAMETERS"


class Mode(enum.Enum):
    """A target backend (OCaml's polymorphic variants `` `Unix ``, `` `Hvt ``...)."""

    UNIX = "unix"
    MACOSX = "macosx"
    XEN = "xen"
    VIRTIO = "virtio"
    HVT = "hvt"
    MUEN = "muen"
    QUBES = "qubes"
    GENODE = "genode"
    SPT = "spt"
    FIRECRACKER = "unikraft-firecracker"
    QEMU = "unikraft-qemu"

    @property
    def group(self) -> str:
        """``unix``, ``xen``, ``solo5`` or ``unikraft`` (the target families of key.ml)."""
        return _GROUP[self]

    @property
    def ocaml_tag(self) -> str:
        """The OCaml polymorphic variant (`` `Hvt ``), so config.ml patterns match it."""
        return _TAG[self]


_GROUP = {
    Mode.UNIX: "unix",
    Mode.MACOSX: "unix",
    Mode.XEN: "xen",
    Mode.QUBES: "xen",
    Mode.HVT: "solo5",
    Mode.SPT: "solo5",
    Mode.VIRTIO: "solo5",
    Mode.MUEN: "solo5",
    Mode.GENODE: "solo5",
    Mode.FIRECRACKER: "unikraft",
    Mode.QEMU: "unikraft",
}

_TAG = {
    Mode.UNIX: "Unix",
    Mode.MACOSX: "MacOSX",
    Mode.XEN: "Xen",
    Mode.QUBES: "Qubes",
    Mode.HVT: "Hvt",
    Mode.SPT: "Spt",
    Mode.VIRTIO: "Virtio",
    Mode.MUEN: "Muen",
    Mode.GENODE: "Genode",
    Mode.FIRECRACKER: "Firecracker",
    Mode.QEMU: "QEMU",
}

target_conv = K.Conv.enum([(m.value, m) for m in Mode], name="target")


def doc_alts(labels: list[str]) -> str:
    """``Cmdliner.Arg.doc_alts_enum``: ``one of $(b,a), $(b,b) or $(b,c)``."""
    return _cmdliner_doc_alts(labels)


def default_target() -> Mode:
    """``MIRAGE_DEFAULT_TARGET`` (only ``unix`` is accepted), else macosx on Darwin, else unix."""
    v = os.environ.get("MIRAGE_DEFAULT_TARGET")
    if v is not None:
        if v == "unix":
            return Mode.UNIX
        raise ConfigError(f'invalid default target: "{v}"')
    return Mode.MACOSX if platform.system() == "Darwin" else Mode.UNIX


def pp_target(m: Mode) -> str:
    return target_conv.print(m)


target = K.create(
    "target",
    K.Arg.opt(
        target_conv,
        None,
        K.ArgInfo(
            ("t", "target"),
            docv="TARGET",
            doc="Target platform to compile the unikernel for. Valid values are: " + doc_alts([m.value for m in Mode]),
            docs=MIRAGE_SECTION,
            env="MODE",
        ),
        default_fn=default_target,
    ),
)

# One value object each, shared by every If built on them (spec §3.2).
is_unix = K.map_(lambda m: m.group == "unix", target.value())
is_solo5 = K.map_(lambda m: m.group == "solo5", target.value())
is_xen = K.map_(lambda m: m.group == "xen", target.value())
is_unikraft = K.map_(lambda m: m.group == "unikraft", target.value())


def _pp_group(group: str | None) -> str:
    return "the unikernel" if group is None else f"the {group} group"


def _prefixed(group: str | None, name: str) -> str:
    return name if not group else f"{group}-{name}"


def _configure_key(group: str | None, doc: str, default, conv: K.Conv, name: str) -> K.Key:
    full = _prefixed(group, name)
    info = K.ArgInfo((full,), docv=name.upper(), doc=doc, docs=UNIKERNEL_SECTION)
    return K.create(full, K.Arg.opt(conv, default, info))


def _configure_flag(group: str | None, doc: str, name: str) -> K.Key:
    full = _prefixed(group, name)
    info = K.ArgInfo((full,), docv=name.upper(), doc=doc, docs=UNIKERNEL_SECTION)
    return K.create(full, K.Arg.flag(info))


class _Tagged(enum.Enum):
    """An OCaml polymorphic variant: the member's value is its tag (`` `Host `` is ``"Host"``)."""

    @property
    def ocaml_tag(self) -> str:
        return self.value


class Net(_Tagged):
    HOST = "Host"
    OCAML = "OCaml"


class KvRo(_Tagged):
    CRUNCH = "Crunch"
    DIRECT = "Direct"


class BlockKind(_Tagged):
    XENSTORE_ID = "XenstoreId"
    BLOCK_FILE = "BlockFile"
    RAMDISK = "Ramdisk"


def kv_ro(group: str | None = None) -> K.Key:
    """``Key.kv_ro ?group ()``: ``--kv_ro=crunch|direct`` (a new key each call)."""
    labels = [("crunch", KvRo.CRUNCH), ("direct", KvRo.DIRECT)]
    doc = f"Use {doc_alts([x for x, _ in labels])} pass-through implementation for {_pp_group(group)}."
    return _configure_key(group, doc, KvRo.CRUNCH, K.Conv.enum(labels), "kv_ro")


def block(group: str | None = None) -> K.Key:
    """``Key.block ?group ()``: ``--block=xenstore|file|ramdisk``."""
    labels = [
        ("xenstore", BlockKind.XENSTORE_ID),
        ("file", BlockKind.BLOCK_FILE),
        ("ramdisk", BlockKind.RAMDISK),
    ]
    doc = f"Use {doc_alts([x for x, _ in labels])} pass-through implementation for {_pp_group(group)}."
    return _configure_key(group, doc, BlockKind.RAMDISK, K.Conv.enum(labels), "block")


def no_dhcp(group: str | None = None) -> K.Key:
    """``Key.no_dhcp ?group ()``: the ``--no-dhcp`` flag."""
    return _configure_flag(group, f"Disable dhcp for {_pp_group(group)}.", "no-dhcp")


def utcp(group: str | None = None) -> K.Key:
    """``Key.utcp ?group ()``: the ``--utcp`` flag."""
    return _configure_flag(group, f"Enable µTCP stack for {_pp_group(group)}.", "utcp")


def net(group: str | None = None) -> K.Key:
    """``Key.net ?group ()``: ``--net=host|socket|direct|ocaml``, unset by default."""
    labels = [("host", Net.HOST), ("socket", Net.HOST), ("direct", Net.OCAML), ("ocaml", Net.OCAML)]
    doc = f"Use {doc_alts([x for x, _ in labels])} group for {_pp_group(group)}."
    return _configure_key(group, doc, None, K.Conv.some(K.Conv.enum(labels)), "net")


# -- the functoria Key API, so that ``Key.(value target)`` reads as in OCaml --------

from mirage_nb.functoria.keys import (  # noqa: E402
    BOOL,
    INT,
    STRING,
    Context,
    Conv,
    Value,
    app,
    create,
    if_,
    match_,
    pure,
)
from mirage_nb.functoria.keys import Arg as _Arg  # noqa: E402
from mirage_nb.functoria.keys import ArgInfo as _ArgInfo  # noqa: E402
from mirage_nb.functoria.keys import map_ as map  # noqa: E402
from mirage_nb.functoria.keys import value as value  # noqa: E402

op_dollar = app  # ``Key.($)``, for the config.ml reader


def v(k: K.Key) -> K.Key:
    """``Key.v``: a key as an element of ``Key.t`` lists (``impl ~keys:[ Key.v k ]``)."""
    return k


def name(k: K.Key) -> str:
    """``Key.name``."""
    return k.name


def equal(a: K.Key, b: K.Key) -> bool:
    """``Key.equal``: keys are equal when their names are."""
    return a.name == b.name


def get(ctx: Context, k: K.Key):
    """``Key.get ctx k``: the key's value in the context, else its default."""
    return ctx.get(k)


def find(ctx: Context, k: K.Key):
    """``Key.find ctx k``: the value given for the key (``None`` when not given)."""
    return ctx.find(k) if ctx.mem(k) else None


def mem(ctx: Context, v: Value) -> bool:
    """``Key.mem ctx v``: every key ``v`` depends on has a value in ``ctx``."""
    return v.mem(ctx)


def peek(ctx: Context, v: Value):
    """``Key.peek ctx v``: ``v``'s value when ``mem ctx v``, else ``None``."""
    return v.eval(ctx) if v.mem(ctx) else None


def eval_(ctx: Context, v: Value):
    """``Key.eval ctx v``: ``v``'s value, defaults filling the keys not given."""
    return v.eval(ctx)


def default(v: Value):
    """``Key.default v``: ``v``'s value with every key at its default."""
    return v.default()


def add_to_context(k: K.Key, x, ctx: Context) -> Context:
    """``Key.add_to_context k x ctx``."""
    return ctx.add(k, x)


def _check_default(conv: Conv, default) -> None:
    """OCaml's type error for ``opt Arg.int "8080"``: the default must have the converter's type."""
    for c, typ, name in ((INT, int, "int"), (STRING, str, "string"), (BOOL, bool, "bool")):
        if conv is c and (not isinstance(default, typ) or (typ is int and isinstance(default, bool))):
            shown = (
                "bool" if isinstance(default, bool) else {int: "int", str: "string"}.get(type(default), "another type")
            )
            raise ConfigError(
                f"the default value has type {shown} but Cmdliner.Arg.{name} expects a value of type {name}"
            )


class Arg:
    """``Key.Arg``: argument kinds for ``Key.create`` (converters come from ``Cmdliner.Arg``).

    OCaml's ``Mirage.Key.Arg`` has only ``opt``, ``required``, ``flag``, ``opt_all``
    and ``info`` (``__all__``, what the config.ml reader sees); ``string``/``int``/...
    stay here for Python configs, which have no ``Cmdliner``.
    """

    __all__ = ["opt", "required", "flag", "opt_all", "info"]

    string = STRING
    int = INT
    bool = BOOL

    @staticmethod
    def info(
        names: Sequence[str], *, deprecated=None, absent=None, docs=None, doc_envs=None, docv=None, doc="", env=None
    ) -> _ArgInfo:
        return _ArgInfo(tuple(names), docv=docv, doc=doc or "", docs=docs, env=env)

    @staticmethod
    def opt(conv: Conv, default, info: _ArgInfo) -> _Arg:
        _check_default(conv, default)
        return _Arg.opt(conv, default, info)

    @staticmethod
    def flag(info: _ArgInfo) -> _Arg:
        return _Arg.flag(info)

    @staticmethod
    def required(conv: Conv, info: _ArgInfo) -> _Arg:
        return _Arg.required(conv, info)

    @staticmethod
    def opt_all(conv: Conv, info: _ArgInfo) -> _Arg:
        return _Arg.opt_all(conv, info)

    @staticmethod
    def enum(pairs) -> Conv:
        return Conv.enum(pairs)

    @staticmethod
    def some(conv: Conv) -> Conv:
        return Conv.some(conv)

    @staticmethod
    def list(conv: Conv) -> Conv:
        return Conv.list_(conv)


__all__ += [
    "Arg",
    "Context",
    "Conv",
    "Value",
    "app",
    "create",
    "if_",
    "map",
    "match_",
    "pure",
    "value",
    "op_dollar",
    "v",
    "name",
    "equal",
    "get",
    "find",
    "mem",
    "peek",
    "eval_",
    "default",
    "add_to_context",
]
