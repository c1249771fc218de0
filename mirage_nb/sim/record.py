"""A run's reproducibility record: what it takes to run the same unikernel again and print the same bytes.

MirageOS's answer to "how was this built?" is an opam-repository commit
plus the ``config.ml``; a simulated run needs a little more: the
configure-time keys, the boot arguments, the seed and the limit of the
virtual clock, the unikernel's code, and the data it reads. :class:`RunRecord`
holds all of it, with a SHA-256 digest of the config and of ``unikernel.py``
so that a replay can tell when either file has changed since; the block
images the run booted with (given as bytes, ``app.run(disks=...)``, or read
from the data directory) with their size and digest at boot; and the digests
of the other files it read (a kv_ro directory's files, a local library, a
device's ``connect.py``; see :mod:`~mirage_nb.sim.run_inputs`).
``mirage-nb run --record FILE`` writes it as JSON (sorted keys, paths
relative to the record, so the same run writes the same bytes) and the
images, byte for byte, beside it in ``<stem>.disks/``; ``mirage-nb replay
FILE`` and :func:`~mirage_nb.sim.cli.replay` run it again on those images
(in memory: the files in the data directory are left alone), after checking
every digest. Records of format 1 (before disks were kept) still replay.
A network run's record (:mod:`~mirage_nb.sim.network_record`) holds one of
these per unikernel; it is checked, not replayed, and :meth:`RunRecord.read`
says so when given one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.sim.run import RunResult
from mirage_nb.sim.run_inputs import DiskImage, check_files, image_path, whole_sectors

__all__ = ["RECORD_FORMAT", "RunRecord", "RecordedRun", "DiskImage", "digest", "read_json", "record_of", "replay_files"]

#: The version of the record's layout (a field of every record): 2 added ``data_dir``, ``disks`` and ``inputs``.
RECORD_FORMAT = 2

NETWORK_KIND = "network"
"""The ``kind`` field of a network run's record (:mod:`~mirage_nb.sim.network_record`); a single run's has none."""

_FORMAT_2 = ("data_dir", "disks", "inputs")
"""The fields format 2 added (a format 1 record has none of them)."""

KeyValue = str | bool | list[str]


def digest(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_json(path: Path, what: str, written_by: str) -> Any:
    """The JSON in ``path``; a missing or unreadable file is a :class:`ConfigError` saying what it should be."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{path}: not a {what} (expected JSON written by {written_by}): {e}") from None


@dataclass(frozen=True)
class RunRecord:
    """Everything a run was given, and digests of the files it read.

    ``keys`` are the configure-time keys the run was given (by name, as
    the command line spells their values; ``true`` for a flag), ``target``
    the target they evaluated to, ``argv`` the boot arguments. ``config``
    and ``code`` are paths (absolute in memory; relative to the record's
    directory in its JSON), ``None`` when the config or the code was
    given in Python rather than read from a file.

    ``data_dir`` is where the run read device data (``None``: beside the
    code); ``disks`` the block images it booted with (name, size, digest
    at boot; :meth:`write` stores their bytes in ``<stem>.disks/``);
    ``inputs`` the other files it read, by path, with their digests (a
    path ending in ``/`` is a kv_ro directory, its digest that of its list
    of files).
    """

    mirage_nb: str
    mirage: str
    target: str | None
    keys: Mapping[str, KeyValue]
    argv: tuple[str, ...]
    seed: int
    until: str | int | float | None
    config: str | None
    config_digest: str | None
    code: str | None
    code_digest: str | None
    opam_repository: str | None = None
    data_dir: str | None = None
    disks: tuple[DiskImage, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    format: int = RECORD_FORMAT

    def to_json(self, relative_to: str | os.PathLike[str] | None = None) -> str:
        """The record as JSON: sorted keys, two-space indent, paths relative to ``relative_to`` (default: cwd)."""
        base = os.path.abspath(relative_to if relative_to is not None else os.getcwd())
        return _dumps(self.to_dict(base))

    def to_dict(self, base: str) -> dict[str, Any]:
        """The record's JSON fields (paths relative to the directory ``base``)."""
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["keys"] = dict(self.keys)
        data["argv"] = list(self.argv)
        for name in ("config", "code", "data_dir"):
            if data[name] is not None:
                data[name] = _relative(data[name], base)
        data["disks"] = [d.to_dict() for d in self.disks]
        data["inputs"] = {_relative(p, base) + ("/" if p.endswith("/") else ""): d for p, d in self.inputs.items()}
        if self.format < 2:
            for name in _FORMAT_2:
                del data[name]
        return data

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the record to ``path`` (its paths relative to the record's directory), its disk images beside it.

        Each image goes to ``<stem>.disks/<name>`` (``run.json`` keeps
        ``disk.img`` as ``run.disks/disk.img``) as it was at boot, byte for
        byte, so the same run writes the same files; files of that
        directory that are not images of this record are removed.
        """
        p = Path(path)
        images = [(image_path(d.name), d.bytes_at_boot(str(path))) for d in self.disks]
        write_with_images(p, self.to_json(p.resolve().parent), images)

    def disk_images(self, where: str = "record") -> dict[str, bytearray]:
        """The disks to boot a replay with, by name: memory copies of the images as they were at boot.

        Each image is checked against its recorded size and digest; a
        missing or changed one is refused, naming the file.
        """
        return {d.name: whole_sectors(d.bytes_at_boot(where)) for d in self.disks}

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> RunRecord:
        """A record written by :meth:`write` (paths made absolute again); a malformed one names the field."""
        p = Path(path)
        data = read_json(p, "run record", "mirage-nb run --record")
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not a run record (expected a JSON object)")
        if data.get("kind") == NETWORK_KIND:
            raise ConfigError(
                f"{path}: this is the record of a network run (result.record of Network.run), which cannot "
                "be run again: its peers are Python functions, kept only by name and digest. It is for "
                f"checking what changed: NetworkRecord.read({str(path)!r}).check() names every config, code, "
                "data file or disk image that is no longer as it was, and each peer script whose source changed"
            )
        return cls.from_dict(path, data, p.resolve().parent, images_dir(p.resolve()))

    @classmethod
    def from_dict(
        cls, path: str | os.PathLike[str], data: dict[str, Any], base: Path, images: Path, *, what: str = ""
    ) -> RunRecord:
        """A record from its JSON fields (as :meth:`to_dict` gives them; paths relative to ``base``).

        ``images`` is the directory its disk images are kept in; ``what``
        prefixes the names of fields in errors (``unikernels[0].``).
        """
        fmt = data.get("format", 1)
        if fmt not in (1, RECORD_FORMAT) or isinstance(fmt, bool):
            raise ConfigError(f"{path}: format: expected 1 or {RECORD_FORMAT}, got {fmt!r}")
        names = {f.name for f in fields(cls)} - (set(_FORMAT_2) if fmt == 1 else set())
        required = names - {"opam_repository", "format"}
        missing = sorted(required - data.keys())
        if missing:
            raise ConfigError(f"{path}: the run record has no field {what + missing[0]!r}")
        unknown = sorted(data.keys() - names)
        if unknown:
            raise ConfigError(f"{path}: the run record has an unknown field {what + unknown[0]!r}")
        data = dict(data)
        _expect(path, what + "seed", data["seed"], int)
        _expect(path, what + "argv", data["argv"], list)
        _expect(path, what + "keys", data["keys"], dict)
        for name in ("config", "code", "data_dir"):
            if data.get(name) is not None:
                _expect(path, what + name, data[name], str)
                data[name] = os.path.normpath(base / data[name])
        data["argv"] = tuple(str(a) for a in data["argv"])
        if fmt != 1:
            data["disks"] = _read_disks(path, data["disks"], images, what)
            data["inputs"] = _read_inputs(path, data["inputs"], base, what)
        return cls(**data)

    def check(self, where: str = "record") -> None:
        """Refuse a record whose config, code, data files or disk images no longer have their recorded digests."""
        for name in ("config", "code"):
            path: str | None = getattr(self, name)
            want: str | None = getattr(self, f"{name}_digest")
            if path is None or want is None:
                continue
            if not os.path.isfile(path):
                raise ConfigError(f"{where}: {name}: {path} is missing (the run was recorded with it)")
            now = digest(path)
            if now != want:
                raise ConfigError(
                    f"{where}: {name}_digest: {path} has changed since the run was recorded "
                    f"(recorded {want}, now {now}); the record replays only the files it was made with"
                )
        check_files(self.inputs, where)
        for d in self.disks:
            d.bytes_at_boot(where)


def images_dir(record: str | os.PathLike[str]) -> Path:
    """The directory a record at ``record`` keeps its disk images in: ``<stem>.disks`` beside it."""
    p = Path(record)
    return p.with_name((p.stem if p.suffix != ".disks" else p.name) + ".disks")


def _dumps(data: Mapping[str, Any]) -> str:
    """A record's JSON text: sorted keys, two-space indent, one final newline (the same record, the same bytes)."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _relative(path: str, base: str) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def write_with_images(path: Path, text: str, images: list[tuple[str, bytes]]) -> None:
    """Write a record's JSON ``text`` to ``path`` and its ``images`` (relative name, bytes) in :func:`images_dir`.

    An image already there with the same bytes is left untouched; files of
    that directory that are not among ``images`` are removed.
    """
    path.write_text(text, encoding="utf-8")
    directory = images_dir(path)
    for rel, data in images:
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    _remove_stale(directory, {rel for rel, _ in images})


def _remove_stale(directory: Path, keep: set[str]) -> None:
    """Remove the files of a record's image directory that are not its images (and the directory, once empty)."""
    if not directory.is_dir():
        return
    for sub, _dirnames, filenames in os.walk(directory, topdown=False):
        for f in filenames:
            full = Path(sub) / f
            if full.relative_to(directory).as_posix() not in keep:
                full.unlink()
        if not os.listdir(sub):
            os.rmdir(sub)


def _read_disks(path: str | os.PathLike[str], value: Any, directory: Path, what: str = "") -> tuple[DiskImage, ...]:
    _expect(path, what + "disks", value, list)
    out: list[DiskImage] = []
    for i, d in enumerate(value):
        where = f"{what}disks[{i}]"
        _expect(path, where, d, dict)
        if set(d) != {"name", "size", "digest"}:
            raise ConfigError(f"{path}: {where}: expected the fields digest, name and size, got {sorted(d)}")
        _expect(path, f"{where}.name", d["name"], str)
        _expect(path, f"{where}.size", d["size"], int)
        _expect(path, f"{where}.digest", d["digest"], str)
        image = str(directory / image_path(d["name"]))
        out.append(DiskImage(d["name"], d["size"], d["digest"], image=image))
    return tuple(out)


def _read_inputs(path: str | os.PathLike[str], value: Any, base: Path, what: str = "") -> dict[str, str]:
    _expect(path, what + "inputs", value, dict)
    out: dict[str, str] = {}
    for rel, d in value.items():
        _expect(path, f"{what}inputs[{rel!r}]", d, str)
        full = os.path.normpath(base / rel)
        out[full + "/" if rel.endswith("/") else full] = d
    return out


def _expect(path: str | os.PathLike[str], name: str, value: Any, typ: type) -> None:
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: {name}: expected {typ.__name__}, got {value!r}")


@dataclass(frozen=True, repr=False, eq=False)
class RecordedRun(RunResult):
    """A run's result with its :class:`RunRecord` (what ``app.run(...)`` returns).

    Shown, printed and compared as the :class:`~mirage_nb.sim.run.RunResult` it extends.
    """

    record: RunRecord | None = None

    @classmethod
    def of(cls, result: RunResult, record: RunRecord) -> RecordedRun:
        return cls(**{f.name: getattr(result, f.name) for f in fields(RunResult)}, record=record)


def _key_values(configured: Any) -> tuple[dict[str, KeyValue], str | None]:
    """The keys the context gives explicitly (as the command line spells them), and the target's value."""
    info = configured.info
    ctx = info.context
    out: dict[str, KeyValue] = {}
    target: str | None = None
    for k in info.keys:
        if k.name == "target":
            target = k.arg.print(ctx.get(k))
        if not ctx.mem(k) or k.name in out:
            continue
        v = ctx.get(k)
        if k.arg.kind == "flag":
            if v:
                out[k.name] = True
        elif k.arg.kind == "opt_all":
            assert k.arg.conv is not None
            out[k.name] = [k.arg.conv.print(x) for x in v]
        else:
            out[k.name] = k.arg.print(v)
    return out, target


def record_of(
    configured: Any,
    *,
    config: str | None,
    code: str | None,
    argv: Sequence[str],
    seed: int,
    until: str | int | float | None,
    opam_repository: str | None = None,
    data_dir: str | None = None,
    disks: Sequence[DiskImage] = (),
    inputs: Mapping[str, str] | None = None,
) -> RunRecord:
    """The record of a run of ``configured`` (the paths of the config and code files it read, if any).

    ``configured`` is ``None`` for a unikernel booted from nodes made by hand
    (:meth:`~mirage_nb.sim.network.Network.add`): no keys, no target.

    ``data_dir``, ``disks`` and ``inputs`` are what :func:`~mirage_nb.sim.run_inputs.inputs_of`
    and :func:`~mirage_nb.sim.boot.files_loaded` found the run reading
    (the config and the code themselves are left out of ``inputs``: they have their own digests).
    """
    keys, target = _key_values(configured) if configured is not None else ({}, None)
    config_path = os.path.abspath(config) if config is not None and os.path.isfile(config) else None
    code_path = os.path.abspath(code) if code is not None and os.path.isfile(code) else None
    own = {config_path, code_path}
    read = {p: d for p, d in sorted((inputs or {}).items()) if p not in own}
    return RunRecord(
        mirage_nb=_version(),
        mirage=_mirage_version(),
        target=target,
        keys=keys,
        argv=tuple(argv),
        seed=seed,
        until=until,
        config=config_path,
        config_digest=digest(config_path) if config_path else None,
        code=code_path,
        code_digest=digest(code_path) if code_path else None,
        opam_repository=opam_repository,
        data_dir=os.path.abspath(data_dir) if data_dir is not None else None,
        disks=tuple(disks),
        inputs=read,
    )


@functools.cache
def _version() -> str:
    """mirage_nb's own version, as installed (the package root is above this layer; read once: it is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mirage-nb")
    except PackageNotFoundError:
        return "unknown"


def _mirage_version() -> str:
    from mirage_nb.mirage.project import MIRAGE_VERSION

    return MIRAGE_VERSION


def replay_files(record: RunRecord, where: str = "record") -> tuple[str, str]:
    """The config and code a record runs again, once their digests are checked."""
    if record.config is None:
        raise ConfigError(f"{where}: config: the run was not read from a config file, so it cannot be replayed")
    if record.code is None:
        raise ConfigError(f"{where}: code: the unikernel's code was given in Python, so the run cannot be replayed")
    record.check(where)
    return record.config, record.code
