"""Key-value stores (twins of ``Mirage_kv.RO`` and ``Mirage_kv.RW``).

- :class:`CrunchKv`: ``crunch "dir"`` — the directory's files are read once,
  when the device is made (the real tool compiles them into the unikernel at
  configure time); later changes to the directory are not seen.
- :class:`DirectKv`: ``direct_kv_ro "dir"`` (mirage-kv-unix) — every call
  reads the directory as it is now.
- :class:`MemKv`: ``kv_rw_mem ()`` — a read-write store in memory.

Keys are :class:`Key` (twin of ``Mirage_kv.Key``); values are OCaml strings,
i.e. bytes: the twin uses ``str`` with one character per byte (latin-1), so
``"foo\\n"`` compares as in OCaml and binary data round-trips. Errors are
values: ``Error(Not_found(key))``, ``Error(Value_expected(key))``,
``Error(Dictionary_expected(key))``, printed by ``pp_error`` with mirage-kv's
texts. Calls take no virtual time.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, ClassVar

from mirage_nb.errors import SimulationError
from mirage_nb.sim.clocks import Mirage_ptime, _Ptime
from mirage_nb.sim.lwt import Promise, return_
from mirage_nb.sim.result import Error, Ok

__all__ = [
    "Key",
    "Not_found",
    "Dictionary_expected",
    "Value_expected",
    "No_space",
    "Already_present",
    "Rename_source_prefix",
    "KvStore",
    "CrunchKv",
    "DirectKv",
    "MemKv",
    "KvModule",
    "Mirage_kv",
    "VALUE",
    "DICTIONARY",
]

VALUE = "Value"
DICTIONARY = "Dictionary"


def _escaped(s: str) -> str:
    from mirage_nb.sim.fmt import ocaml_escaped

    return ocaml_escaped(s)


@dataclass(frozen=True, slots=True, order=True)
class Key:
    """Twin of ``Mirage_kv.Key.t``: a path of segments; ``Key.v("/a/b")``, ``k / "c"``."""

    segments: tuple[str, ...] = ()
    empty: ClassVar[Key]

    @staticmethod
    def v(s: str) -> Key:
        return Key(tuple(p for p in s.split("/") if p))

    def add(self, seg: str) -> Key:
        if "/" in seg:
            raise SimulationError(f'"{seg}" is not a valid segment')
        return Key(self.segments + (seg,))

    def __truediv__(self, seg: str) -> Key:
        return self.add(seg)

    def append(self, other: Key) -> Key:
        return Key(self.segments + other.segments)

    def __floordiv__(self, other: Key) -> Key:
        return self.append(other)

    def basename(self) -> str:
        return self.segments[-1] if self.segments else ""

    def parent(self) -> Key:
        return Key(self.segments[:-1])

    def to_string(self) -> str:
        return "/" + "/".join(self.segments)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"Key.v({self.to_string()!r})"


Key.empty = Key()


def _pp_key(k: Key) -> str:
    return _escaped(k.to_string())


@dataclass(frozen=True, slots=True)
class Not_found:
    key: Key

    def __str__(self) -> str:
        return f"Cannot find the key {_pp_key(self.key)}"


@dataclass(frozen=True, slots=True)
class Dictionary_expected:
    key: Key

    def __str__(self) -> str:
        return f"Expecting a dictionary for the key {_pp_key(self.key)}"


@dataclass(frozen=True, slots=True)
class Value_expected:
    key: Key

    def __str__(self) -> str:
        return f"Expecting a value for the key {_pp_key(self.key)}"


@dataclass(frozen=True, slots=True)
class No_space:
    def __str__(self) -> str:
        return "No space left on device"


@dataclass(frozen=True, slots=True)
class Already_present:
    key: Key

    def __str__(self) -> str:
        return f"Key {_pp_key(self.key)} is already present"


@dataclass(frozen=True, slots=True)
class Rename_source_prefix:
    source: Key
    dest: Key

    def __str__(self) -> str:
        return f"Rename: source {_pp_key(self.source)} is prefix of destination {_pp_key(self.dest)}"


def _as_key(k: Key | str) -> Key:
    if isinstance(k, Key):
        return k
    if isinstance(k, str):
        return Key.v(k)
    raise SimulationError(f'a key is expected (Mirage_kv.Key.v "/path"), got {k!r}')


def _as_value(v: str | bytes | bytearray) -> str:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("latin-1")
    if isinstance(v, str):
        if any(ord(c) > 255 for c in v):
            raise SimulationError("values are byte strings: encode text first, e.g. s.encode('utf-8')")
        return v
    raise SimulationError(f"a value must be a string or bytes, got {v!r}")


class KvStore:
    """Read-only operations over a tree given by ``_lookup``/``_children``; subclasses supply the tree."""

    def _kind(self, key: Key) -> str | None:
        raise NotImplementedError

    def _read(self, key: Key) -> str:
        raise NotImplementedError

    def _children(self, key: Key) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _mtime(self, key: Key) -> _Ptime:
        return _Ptime(0)

    def _digest(self, key: Key) -> str:
        return hashlib.sha256(self._read(key).encode("latin-1")).digest().decode("latin-1")

    def _value(self, key: Key) -> Ok[str] | Error[Any]:
        kind = self._kind(key)
        if kind is None:
            return Error(Not_found(key))
        if kind == DICTIONARY:
            return Error(Value_expected(key))
        return Ok(self._read(key))

    def exists(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        return return_(Ok(self._kind(key)))

    def get(self, key: Key | str) -> Promise[Any]:
        return return_(self._value(_as_key(key)))

    def get_partial(self, key: Key | str, offset: int, length: int) -> Promise[Any]:
        if offset < 0 or length < 0:
            raise SimulationError("get_partial: offset and length must be >= 0")
        r = self._value(_as_key(key))
        if isinstance(r, Error):
            return return_(r)
        return return_(Ok(r.value[offset : offset + length]))

    def list(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        kind = self._kind(key)
        if kind is None:
            return return_(Error(Not_found(key)))
        if kind == VALUE:
            return return_(Error(Dictionary_expected(key)))
        return return_(Ok([(key / name, k) for name, k in sorted(self._children(key))]))

    def last_modified(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        if self._kind(key) is None:
            return return_(Error(Not_found(key)))
        return return_(Ok(self._mtime(key)))

    def digest(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        r = self._value(key)
        if isinstance(r, Error):
            return return_(r)
        return return_(Ok(self._digest(key)))

    def size(self, key: Key | str) -> Promise[Any]:
        r = self._value(_as_key(key))
        if isinstance(r, Error):
            return return_(r)
        return return_(Ok(len(r.value)))

    def disconnect(self) -> Promise[None]:
        return return_(None)


class _TreeKv(KvStore):
    """A store held as a dict of values plus the set of directories."""

    def __init__(self) -> None:
        self.values: dict[Key, str] = {}
        self.mtimes: dict[Key, _Ptime] = {}
        self.dirs: set[Key] = {Key()}

    def _kind(self, key: Key) -> str | None:
        if key in self.values:
            return VALUE
        if key in self.dirs:
            return DICTIONARY
        return None

    def _read(self, key: Key) -> str:
        return self.values[key]

    def _children(self, key: Key) -> list[tuple[str, str]]:
        n = len(key.segments)
        out = {k.segments[n]: VALUE for k in self.values if len(k.segments) == n + 1 and k.parent() == key}
        out.update({d.segments[n]: DICTIONARY for d in self.dirs if len(d.segments) == n + 1 and d.parent() == key})
        return list(out.items())

    def _mtime(self, key: Key) -> _Ptime:
        return self.mtimes.get(key, _Ptime(0))


def _walk(root: str) -> dict[Key, bytes]:
    out: dict[Key, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        base = Key() if rel == "." else Key(tuple(rel.split(os.sep)))
        for f in sorted(filenames):
            with open(os.path.join(dirpath, f), "rb") as fh:
                out[base / f] = fh.read()
    return out


def _shown(directory: str, name: str | None) -> str:
    """How an error names a kv_ro directory: as the config named it (read beside the config), else the path.

    A learner's config says ``crunch "htdocs"``; the machine's absolute path adds nothing and differs everywhere.
    """
    return f'"{name}" (beside the config)' if name is not None else directory


class CrunchKv(_TreeKv):
    """``crunch "dir"``: a snapshot of the directory taken when the device is made (configure time).

    ``last_modified`` is the POSIX epoch for every key: the snapshot does not depend on file dates.
    """

    def __init__(self, directory: str | os.PathLike[str], *, name: str | None = None) -> None:
        super().__init__()
        self.directory = os.fspath(directory)
        if not os.path.isdir(self.directory):
            raise SimulationError(f"crunch: the directory {_shown(self.directory, name)} does not exist")
        for key, data in _walk(self.directory).items():
            self.values[key] = data.decode("latin-1")
            for i in range(1, len(key.segments)):
                self.dirs.add(Key(key.segments[:i]))


class DirectKv(KvStore):
    """``direct_kv_ro "dir"``: reads the directory live, on every call (mirage-kv-unix)."""

    def __init__(self, directory: str | os.PathLike[str], *, name: str | None = None) -> None:
        self.directory = os.fspath(directory)
        if not os.path.isdir(self.directory):
            raise SimulationError(f"direct_kv_ro: the directory {_shown(self.directory, name)} does not exist")

    def _path(self, key: Key) -> str:
        return os.path.join(self.directory, *key.segments)

    def _kind(self, key: Key) -> str | None:
        p = self._path(key)
        if os.path.isfile(p):
            return VALUE
        if os.path.isdir(p):
            return DICTIONARY
        return None

    def _read(self, key: Key) -> str:
        with open(self._path(key), "rb") as f:
            return f.read().decode("latin-1")

    def _children(self, key: Key) -> list[tuple[str, str]]:
        p = self._path(key)
        return [(n, DICTIONARY if os.path.isdir(os.path.join(p, n)) else VALUE) for n in sorted(os.listdir(p))]

    def _mtime(self, key: Key) -> _Ptime:
        return _Ptime(int(os.stat(self._path(key)).st_mtime_ns) * 1000)


class MemKv(_TreeKv):
    """``kv_rw_mem ()``: a read-write store in memory; ``last_modified`` is the virtual time of the write."""

    def _now(self) -> _Ptime:
        return Mirage_ptime.now()

    def _parents_ok(self, key: Key) -> Error[Any] | None:
        for i in range(1, len(key.segments)):
            p = Key(key.segments[:i])
            if p in self.values:
                return Error(Dictionary_expected(p))
        return None

    def _store(self, key: Key, value: str) -> Any:
        if not key.segments:
            return Error(Value_expected(key))
        if key in self.dirs:
            return Error(Value_expected(key))
        err = self._parents_ok(key)
        if err is not None:
            return err
        for i in range(1, len(key.segments)):
            self.dirs.add(Key(key.segments[:i]))
        self.values[key] = value
        self.mtimes[key] = self._now()
        return Ok(None)

    def set(self, key: Key | str, value: str | bytes) -> Promise[Any]:
        return return_(self._store(_as_key(key), _as_value(value)))

    def set_partial(self, key: Key | str, offset: int, value: str | bytes) -> Promise[Any]:
        key = _as_key(key)
        value = _as_value(value)
        old = self.values.get(key, "")
        if key in self.dirs:
            return return_(Error(Value_expected(key)))
        new = old.ljust(offset, "\0")[:offset] + value + old[offset + len(value) :]
        return return_(self._store(key, new))

    def allocate(self, key: Key | str, size: int, last_modified: _Ptime | None = None) -> Promise[Any]:
        key = _as_key(key)
        if self._kind(key) is not None:
            return return_(Error(Already_present(key)))
        r = self._store(key, "\0" * size)
        if isinstance(r, Ok) and last_modified is not None:
            self.mtimes[key] = last_modified
        return return_(r)

    def remove(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        if key in self.values:
            del self.values[key]
            self.mtimes.pop(key, None)
            return return_(Ok(None))
        if key in self.dirs:
            n = len(key.segments)
            for k in [k for k in self.values if k.segments[:n] == key.segments]:
                del self.values[k]
            self.dirs = {d for d in self.dirs if d.segments[:n] != key.segments} | {Key()}
            return return_(Ok(None))
        return return_(Error(Not_found(key)))

    def rename(self, source: Key | str, dest: Key | str) -> Promise[Any]:
        source, dest = _as_key(source), _as_key(dest)
        err = _rename_error(self, source, dest)
        if err is not None:
            return return_(err)
        if source == dest:
            return return_(Ok(None))
        n = len(source.segments)
        if self._kind(source) == VALUE:
            value = self.values.pop(source)
            mtime = self.mtimes.pop(source, None)
            r = self._store(dest, value)
            if mtime is not None:
                self.mtimes[dest] = mtime
            return return_(r)
        # a dictionary replaces what was at dest; its entries are taken first, as dest may hold source
        moved = {k: v for k, v in self.values.items() if k.segments[:n] == source.segments}
        mtimes = {k: self.mtimes.pop(k, self._now()) for k in moved}
        subdirs = [d for d in self.dirs if d.segments[:n] == source.segments]
        for k in moved:
            del self.values[k]
        self.remove(dest)
        self.dirs = {d for d in self.dirs if d.segments[:n] != source.segments} | {Key()}
        for i in range(1, len(dest.segments) + 1):
            self.dirs.add(Key(dest.segments[:i]))
        for d in subdirs:
            self.dirs.add(dest.append(Key(d.segments[n:])))
        for k, v in moved.items():
            nk = dest.append(Key(k.segments[n:]))
            self.values[nk] = v
            self.mtimes[nk] = mtimes[k]
        return return_(Ok(None))


def _rename_error(kv: Any, source: Key, dest: Key) -> Any:
    """The checks every kv_rw makes before a rename, in mirage-kv's error values (None: go ahead)."""
    n = len(source.segments)
    kind = kv._kind(source)
    if kind is None:
        return Error(Not_found(source))
    if dest.segments[:n] == source.segments and source != dest:
        return Error(Rename_source_prefix(source, dest))
    for i in range(1, len(dest.segments)):
        p = Key(dest.segments[:i])
        if kv._kind(p) == VALUE:
            return Error(Dictionary_expected(p))
    dkind = kv._kind(dest)
    if kind == VALUE and dkind == DICTIONARY:
        return Error(Value_expected(dest))
    if kind == DICTIONARY and dkind == VALUE:
        return Error(Dictionary_expected(dest))
    return None


def _pp_error(ppf: Any, e: Any) -> None:
    ppf.string(str(e))


class KvModule:
    """The module a functor receives for a kv argument (``KV : Mirage_kv.RO`` or ``RW``)."""

    pp_error = staticmethod(_pp_error)
    pp_write_error = staticmethod(_pp_error)

    def __init__(self, name: str = "KV") -> None:
        self.name = name

    def __getattr__(self, op: str) -> Any:
        if op.startswith("_"):
            raise AttributeError(op)

        def call(t: Any, *args: Any, **kwargs: Any) -> Any:
            f = getattr(t, op, None)
            if f is None:
                raise SimulationError(
                    f"{self.name}.{op}: this store does not provide {op} (a read-only store has no set/remove/rename)"
                )
            return f(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"<module {self.name} : Mirage_kv>"


class Mirage_kv:
    """Twin of the ``Mirage_kv`` module: ``Key``, the error variants and ``pp_error``."""

    Key = Key
    Not_found = Not_found
    Dictionary_expected = Dictionary_expected
    Value_expected = Value_expected
    No_space = No_space
    Already_present = Already_present
    Rename_source_prefix = Rename_source_prefix
    pp_error = staticmethod(_pp_error)
    pp_write_error = staticmethod(_pp_error)
