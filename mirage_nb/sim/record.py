"""A run's reproducibility record: what it takes to run the same unikernel again and print the same bytes.

MirageOS's answer to "how was this built?" is an opam-repository commit
plus the ``config.ml``; a simulated run needs a little more: the
configure-time keys, the boot arguments, the seed and the limit of the
virtual clock, and the unikernel's code. :class:`RunRecord` holds all of
it, with a SHA-256 digest of the config and of ``unikernel.py`` so that a
replay can tell when either file has changed since. ``mirage-nb run
--record FILE`` writes it as JSON (sorted keys, paths relative to the
record, so the same run writes the same bytes); ``mirage-nb replay FILE``
and :func:`replay` run it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.sim.run import RunResult

__all__ = ["RECORD_FORMAT", "RunRecord", "RecordedRun", "digest", "record_of", "replay_files"]

#: The version of the record's layout (a field of every record).
RECORD_FORMAT = 1

KeyValue = str | bool | list[str]


def digest(path: str | os.PathLike[str]) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class RunRecord:
    """Everything a run was given, and digests of the files it read.

    ``keys`` are the configure-time keys the run was given (by name, as
    the command line spells their values; ``true`` for a flag), ``target``
    the target they evaluated to, ``argv`` the boot arguments. ``config``
    and ``code`` are paths (absolute in memory; relative to the record's
    directory in its JSON), ``None`` when the config or the code was
    given in Python rather than read from a file.
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
    format: int = RECORD_FORMAT

    def to_json(self, relative_to: str | os.PathLike[str] | None = None) -> str:
        """The record as JSON: sorted keys, two-space indent, paths relative to ``relative_to`` (default: cwd)."""
        base = os.path.abspath(relative_to if relative_to is not None else os.getcwd())
        data = asdict(self)
        data["keys"] = dict(self.keys)
        data["argv"] = list(self.argv)
        for name in ("config", "code"):
            if data[name] is not None:
                data[name] = Path(os.path.relpath(data[name], base)).as_posix()
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the record to ``path`` (its paths relative to the record's directory)."""
        p = Path(path)
        p.write_text(self.to_json(p.resolve().parent), encoding="utf-8")

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> RunRecord:
        """A record written by :meth:`write` (paths made absolute again); a malformed one names the field."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such run record") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(
                f"{path}: not a run record (expected JSON written by mirage-nb run --record): {e}"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not a run record (expected a JSON object)")
        names = {f.name for f in fields(cls)}
        required = names - {"opam_repository", "format"}
        missing = sorted(required - data.keys())
        if missing:
            raise ConfigError(f"{path}: the run record has no field {missing[0]!r}")
        unknown = sorted(data.keys() - names)
        if unknown:
            raise ConfigError(f"{path}: the run record has an unknown field {unknown[0]!r}")
        if data.get("format", RECORD_FORMAT) != RECORD_FORMAT:
            raise ConfigError(f"{path}: format: expected {RECORD_FORMAT}, got {data['format']!r}")
        _expect(path, "seed", data["seed"], int)
        _expect(path, "argv", data["argv"], list)
        _expect(path, "keys", data["keys"], dict)
        base = p.resolve().parent
        for name in ("config", "code"):
            if data[name] is not None:
                _expect(path, name, data[name], str)
                data[name] = str(base / data[name])
        data["argv"] = tuple(str(a) for a in data["argv"])
        return cls(**data)

    def check(self, where: str = "record") -> None:
        """Refuse a record whose config or code no longer has the digest it was recorded with."""
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
) -> RunRecord:
    """The record of a run of ``configured`` (the paths of the config and code files it read, if any)."""
    keys, target = _key_values(configured)
    config_path = os.path.abspath(config) if config is not None and os.path.isfile(config) else None
    code_path = os.path.abspath(code) if code is not None and os.path.isfile(code) else None
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
    )


def _version() -> str:
    """mirage_nb's own version, as installed (the package root is above this layer)."""
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
