"""A network run's reproducibility record: each unikernel's run record, the LANs' layout, the peers' scripts.

A :class:`~mirage_nb.sim.network.Network` run depends on more than one
config: on each unikernel's (with its keys, target, boot arguments, code,
disks and data files, recorded as :func:`~mirage_nb.sim.record.record_of`
records a single run), on how the LANs are laid out (which LAN each device
is on, the routers' interfaces, the links' profiles), on the peers' options
(their addresses) and on their scripts. :class:`NetworkRecord` holds all of
it, with the seed, the limit of the virtual clock and the versions, as
``result.record``; :meth:`NetworkRecord.write` stores it as JSON (sorted
keys, paths relative to the record: the same run writes the same bytes) and
the disk images beside it, in ``<stem>.disks/<unikernel>/``.

A peer's script is a Python function, often written in a notebook cell: the
record keeps its qualified name (``module:qualname``) and the ``sha256:`` of
its source, not the function. So a network record is not replayed (a
replay could not call the scripts again in general); it is for telling
what changed since a run: :meth:`NetworkRecord.check` names every config,
code, data file or disk image that no longer has its recorded digest, and
each script, loaded in this Python, whose source changed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.sim.record import (
    NETWORK_KIND,
    RECORD_FORMAT,
    RunRecord,
    _dumps,
    _expect,
    _mirage_version,
    _relative,
    _version,
    images_dir,
    read_json,
    write_with_images,
)
from mirage_nb.sim.run_inputs import check_files, image_path

__all__ = [
    "NETWORK_RECORD_FORMAT",
    "SOURCE_NOT_AVAILABLE",
    "NetworkRecord",
    "UnikernelEntry",
    "PeerEntry",
    "LanEntry",
    "RouterEntry",
    "ScriptRef",
    "json_value",
]

#: The version of a network record's layout (its ``format`` field).
NETWORK_RECORD_FORMAT = 1

SOURCE_NOT_AVAILABLE = "source not available"
"""A script's digest when Python cannot give its source (a builtin, a function made by ``exec``)."""

_SHARED = ("mirage_nb", "mirage", "seed", "until", "opam_repository", "format")
"""A unikernel's run-record fields that are the network's: written once, at the top of the record."""


@dataclass(frozen=True)
class ScriptRef:
    """A Python function a network run called: ``module:qualname`` and the ``sha256:`` of its source."""

    name: str
    digest: str

    @classmethod
    def of(cls, fn: Callable[..., Any], sources: dict[Any, str] | None = None) -> ScriptRef:
        """The reference of ``fn``; ``sources`` remembers digests by code object (peers made in a loop share one)."""
        target = inspect.unwrap(fn)
        while isinstance(target, functools.partial):  # the function it calls is what has a source
            target = inspect.unwrap(target.func)
        if not (inspect.isroutine(target) or inspect.isclass(target)):  # an object with __call__: its class
            target = type(target)
        module = getattr(target, "__module__", None) or "?"
        qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
        code = getattr(target, "__code__", None)
        if sources is None or code is None:
            return cls(f"{module}:{qualname}", _source_digest(target))
        if code not in sources:
            sources[code] = _source_digest(target)
        return cls(f"{module}:{qualname}", sources[code])

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "digest": self.digest}

    def now(self) -> str | None:
        """The digest of the function of this name as this Python has it now (None: not loaded here, nested, no source).

        Only modules already imported are looked in: checking a record runs no one's code.
        """
        module, _, qualname = self.name.partition(":")
        obj: Any = sys.modules.get(module)
        if obj is None or "<locals>" in qualname:
            return None
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        now = _source_digest(inspect.unwrap(obj)) if callable(obj) else SOURCE_NOT_AVAILABLE
        return None if now == SOURCE_NOT_AVAILABLE else now


def _source_digest(fn: Any) -> str:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return SOURCE_NOT_AVAILABLE
    return "sha256:" + hashlib.sha256(source.encode("utf-8")).hexdigest()


def json_value(value: Any) -> Any:
    """A peer's option (an address, a MAC, a ``LinkProfile``...) as JSON that is the same from run to run.

    Bytes are hex with colons (a MAC reads as one), a dataclass its type and
    fields, a function a :class:`ScriptRef`; anything else its ``repr``, or
    its type's name when the ``repr`` holds a memory address.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex(":")
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((json_value(v) for v in value), key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            if f.init:
                out[f.name] = json_value(getattr(value, f.name))
        return out
    if callable(value):
        return ScriptRef.of(value).to_dict()
    text = repr(value)
    return type(value).__qualname__ if " at 0x" in text else text


@dataclass(frozen=True)
class UnikernelEntry:
    """One unikernel of the network: its name, LAN, application and run record (keys, argv, digests...)."""

    name: str
    lan: str
    app: str
    run: RunRecord


@dataclass(frozen=True)
class PeerEntry:
    """One scripted peer: its name, LAN, options (its address: ``cidr``, ``gateway``...) and script."""

    name: str
    lan: str
    options: Mapping[str, Any] = field(default_factory=dict)
    script: ScriptRef | None = None


@dataclass(frozen=True)
class LanEntry:
    """One LAN: its name, its link profile (None: the default link) and its devices, in the order they were added."""

    name: str
    profile: Any = None
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouterEntry:
    """One router: its name, its address on each LAN it joins, and whether it answers an expired TTL."""

    name: str
    interfaces: Mapping[str, str]
    ttl_exceeded: bool = True


@dataclass(frozen=True)
class NetworkRecord:
    """Everything a network run was given: the devices in the order they were added, seed, limit, versions.

    ``unikernels`` each carry a :class:`~mirage_nb.sim.record.RunRecord`
    (its seed and limit are the network's); ``inputs`` are files the run
    loaded that belong to no unikernel's directory; ``hooks`` the other
    Python functions the run called (``on_lan``, the ``setup`` of
    :func:`~mirage_nb.lab.run_with_peers`).
    """

    mirage_nb: str
    mirage: str
    seed: int
    until: str | int | float | None
    lans: tuple[LanEntry, ...]
    unikernels: tuple[UnikernelEntry, ...]
    peers: tuple[PeerEntry, ...] = ()
    routers: tuple[RouterEntry, ...] = ()
    hooks: Mapping[str, ScriptRef] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    opam_repository: str | None = None
    format: int = NETWORK_RECORD_FORMAT

    @classmethod
    def make(
        cls,
        *,
        seed: int,
        until: str | int | float | None,
        lans: tuple[LanEntry, ...],
        unikernels: tuple[UnikernelEntry, ...],
        peers: tuple[PeerEntry, ...] = (),
        routers: tuple[RouterEntry, ...] = (),
        hooks: Mapping[str, ScriptRef] | None = None,
        inputs: Mapping[str, str] | None = None,
        opam_repository: str | None = None,
    ) -> NetworkRecord:
        """A record of this mirage_nb (its version and the reference mirage's filled in)."""
        return cls(
            _version(),
            _mirage_version(),
            seed,
            until,
            lans,
            unikernels,
            peers,
            routers,
            dict(hooks or {}),
            dict(sorted((inputs or {}).items())),
            opam_repository,
        )

    def unikernel(self, name: str) -> RunRecord:
        """The run record of the unikernel ``name``."""
        for u in self.unikernels:
            if u.name == name:
                return u.run
        raise ConfigError(
            f"the network record has no unikernel named {name!r}; it has {', '.join(u.name for u in self.unikernels)}"
        )

    def to_dict(self, base: str) -> dict[str, Any]:
        """The record's JSON fields (paths relative to the directory ``base``)."""
        unikernels = []
        for u in self.unikernels:
            entry = {k: v for k, v in u.run.to_dict(base).items() if k not in _SHARED}
            unikernels.append({"name": u.name, "lan": u.lan, "app": u.app, **entry})
        return {
            "kind": NETWORK_KIND,
            "format": self.format,
            "mirage_nb": self.mirage_nb,
            "mirage": self.mirage,
            "seed": self.seed,
            "until": self.until,
            "opam_repository": self.opam_repository,
            "lans": [{"name": n.name, "profile": n.profile, "devices": list(n.devices)} for n in self.lans],
            "routers": [
                {"name": r.name, "interfaces": dict(r.interfaces), "ttl_exceeded": r.ttl_exceeded} for r in self.routers
            ],
            "unikernels": unikernels,
            "peers": [
                {
                    "name": p.name,
                    "lan": p.lan,
                    "options": dict(p.options),
                    "script": None if p.script is None else p.script.name,
                    "script_digest": None if p.script is None else p.script.digest,
                }
                for p in self.peers
            ],
            "hooks": {k: v.to_dict() for k, v in self.hooks.items()},
            "inputs": {_relative(p, base) + ("/" if p.endswith("/") else ""): d for p, d in self.inputs.items()},
        }

    def to_json(self, relative_to: str | os.PathLike[str] | None = None) -> str:
        """The record as JSON: sorted keys, two-space indent, paths relative to ``relative_to`` (default: cwd)."""
        return _dumps(self.to_dict(os.path.abspath(relative_to if relative_to is not None else os.getcwd())))

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the record to ``path``, each unikernel's disk images beside it in ``<stem>.disks/<unikernel>/``.

        The images are as they were at boot, byte for byte; files of that
        directory that are not images of this record are removed.
        """
        p = Path(path)
        images = [
            (f"{image_path(u.name)}/{image_path(d.name)}", d.bytes_at_boot(str(path)))
            for u in self.unikernels
            for d in u.run.disks
        ]
        write_with_images(p, self.to_json(p.resolve().parent), images)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> NetworkRecord:
        """A record written by :meth:`write` (paths made absolute again); a malformed one names the field."""
        p = Path(path)
        data = read_json(p, "network record", "result.record.write")
        if not isinstance(data, dict) or data.get("kind") != NETWORK_KIND:
            raise ConfigError(
                f'{path}: not a network record (expected a JSON object with "kind": "network"); '
                "a single run's record is replayed with lab.replay or mirage-nb replay"
            )
        fmt = data.get("format")
        if fmt != NETWORK_RECORD_FORMAT or isinstance(fmt, bool):
            raise ConfigError(f"{path}: format: expected {NETWORK_RECORD_FORMAT}, got {fmt!r}")
        names = {"kind", "format", "mirage_nb", "mirage", "seed", "until", "opam_repository"}
        names |= {"lans", "routers", "unikernels", "peers", "hooks", "inputs"}
        missing = sorted(names - data.keys())
        if missing:
            raise ConfigError(f"{path}: the network record has no field {missing[0]!r}")
        unknown = sorted(data.keys() - names)
        if unknown:
            raise ConfigError(f"{path}: the network record has an unknown field {unknown[0]!r}")
        _expect(path, "seed", data["seed"], int)
        for name in ("lans", "routers", "unikernels", "peers"):
            _expect(path, name, data[name], list)
        for name in ("hooks", "inputs"):
            _expect(path, name, data[name], dict)
        base = p.resolve().parent
        images = images_dir(p.resolve())
        shared = {k: data[k] for k in _SHARED if k != "format"}
        unikernels = []
        for i, u in enumerate(data["unikernels"]):
            what = f"unikernels[{i}]."
            _expect(path, what[:-1], u, dict)
            head = {k: _text(path, what + k, u.get(k)) for k in ("name", "lan", "app")}
            body = {k: v for k, v in u.items() if k not in head}
            own = sorted(set(body) & set(_SHARED))
            if own:  # the network's own fields are written once, at the top
                raise ConfigError(f"{path}: the network record has an unknown field {what + own[0]!r}")
            run = RunRecord.from_dict(
                path, {**body, **shared, "format": RECORD_FORMAT}, base, images / image_path(head["name"]), what=what
            )
            unikernels.append(UnikernelEntry(head["name"], head["lan"], head["app"], run))
        peers = []
        for i, q in enumerate(data["peers"]):
            what = f"peers[{i}]"
            _expect(path, what, q, dict)
            _expect(path, what + ".options", q.get("options"), dict)
            script = q.get("script")
            ref = (
                None
                if script is None
                else ScriptRef(
                    _text(path, what + ".script", script), _text(path, what + ".script_digest", q.get("script_digest"))
                )
            )
            peers.append(
                PeerEntry(
                    _text(path, what + ".name", q.get("name")),
                    _text(path, what + ".lan", q.get("lan")),
                    q["options"],
                    ref,
                )
            )
        lans = []
        for i, n in enumerate(data["lans"]):
            _expect(path, f"lans[{i}]", n, dict)
            _expect(path, f"lans[{i}].devices", n.get("devices"), list)
            lans.append(LanEntry(_text(path, f"lans[{i}].name", n.get("name")), n.get("profile"), tuple(n["devices"])))
        routers = []
        for i, r in enumerate(data["routers"]):
            _expect(path, f"routers[{i}]", r, dict)
            _expect(path, f"routers[{i}].interfaces", r.get("interfaces"), dict)
            routers.append(
                RouterEntry(
                    _text(path, f"routers[{i}].name", r.get("name")), r["interfaces"], bool(r.get("ttl_exceeded", True))
                )
            )
        hooks = {}
        for k, h in data["hooks"].items():
            _expect(path, f"hooks[{k!r}]", h, dict)
            hooks[k] = ScriptRef(
                _text(path, f"hooks[{k!r}].name", h.get("name")), _text(path, f"hooks[{k!r}].digest", h.get("digest"))
            )
        inputs = {}
        for rel, d in data["inputs"].items():
            full = os.path.normpath(base / rel)
            inputs[full + "/" if rel.endswith("/") else full] = _text(path, f"inputs[{rel!r}]", d)
        return cls(
            data["mirage_nb"],
            data["mirage"],
            data["seed"],
            data["until"],
            tuple(lans),
            tuple(unikernels),
            tuple(peers),
            tuple(routers),
            hooks,
            inputs,
            data["opam_repository"],
            fmt,
        )

    def changes(self, where: str = "record") -> list[str]:
        """What is no longer as the run had it: one line per unikernel or script that changed (empty: nothing).

        Each unikernel's config, code, data files and disk images are checked
        against their digests (the first difference of each is named), then
        the files of ``inputs``, then each peer's script and each hook that this
        Python has loaded under its recorded name (a script defined inside a
        function, or in a module not imported here, cannot be looked up).
        """
        out: list[str] = []
        for u in self.unikernels:
            try:
                u.run.check(f"{where}: unikernel {u.name}")
            except ConfigError as e:
                out.append(str(e))
        try:
            check_files(self.inputs, where)
        except ConfigError as e:
            out.append(str(e))
        scripts = [(f"peer {p.name}", p.script) for p in self.peers if p.script is not None]
        scripts += [(f"hook {k}", h) for k, h in self.hooks.items()]
        for who, ref in scripts:
            now = ref.now()
            if now is not None and now != ref.digest:
                out.append(
                    f"{where}: {who}: its script {ref.name} has changed since the run was recorded "
                    f"(recorded {ref.digest}, now {now})"
                )
        return out

    def check(self, where: str = "record") -> None:
        """Refuse a record of which something changed (see :meth:`changes`); the error lists every change."""
        found = self.changes(where)
        if found:
            raise ConfigError("\n".join(found))


def _text(path: str | os.PathLike[str], name: str, value: Any) -> str:
    _expect(path, name, value, str)
    return str(value)
