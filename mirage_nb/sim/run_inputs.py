"""What a run reads besides its config and code, taken at boot: block images, and digests of data files.

A run's transcript depends on more than ``config.ml`` and ``unikernel.py``:
on the bytes of every block image it boots with (given as
``app.run(disks={"disk.img": ...})``, or the file ``disk.img`` in its data
directory), on the files of a ``crunch``/``direct_kv_ro`` directory, and on
the Python files its code loads (a local library, the ``connect.py`` of a
device the config defines itself; :func:`~mirage_nb.sim.boot.files_loaded`
collects those). :func:`inputs_of` snapshots the images and digests the data
files *before* the run, since a run writes to its disks. A
:class:`~mirage_nb.sim.record.RunRecord` keeps them, and :func:`check_files`
refuses a replay whose files no longer have the recorded digests: a replay
that silently read other data would print another transcript.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.sim.block import SECTOR_SIZE

__all__ = ["DiskImage", "inputs_of", "check_files", "image_path", "digest_bytes", "whole_sectors"]


def digest_bytes(data: bytes | bytearray) -> str:
    """``sha256:<hex>`` of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class DiskImage:
    """A block image a run booted with: its name, its size and digest at boot, and where its bytes are.

    ``name`` is the block device's file as the config names it
    (``block_of_file "disk.img"``), ``size`` its length in bytes and
    ``digest`` the ``sha256:`` of its bytes at boot, before the run wrote
    to it. ``data`` holds those bytes for a record made by a run; ``image``
    is the path of the copy a record read from a file keeps beside itself
    (neither is part of the record's JSON).
    """

    name: str
    size: int
    digest: str
    data: bytes | None = field(default=None, repr=False, compare=False)
    image: str | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "digest": self.digest}

    def bytes_at_boot(self, where: str = "record") -> bytes:
        """The image's bytes, checked against the recorded size and digest (a missing or changed copy is refused)."""
        if self.data is not None:
            data = self.data
        else:
            if self.image is None:
                raise ConfigError(f"{where}: disks: {self.name}: the record has no copy of the image")
            try:
                data = Path(self.image).read_bytes()
            except FileNotFoundError:
                raise ConfigError(
                    f"{where}: disks: the image of {self.name} is missing: {self.image} "
                    f"(expected {self.digest}, {self.size} bytes, written beside the record)"
                ) from None
            except OSError as e:
                raise ConfigError(f"{where}: disks: the image of {self.name} cannot be read: {e}") from None
        found = digest_bytes(data)
        if found != self.digest or len(data) != self.size:
            raise ConfigError(
                f"{where}: disks: the image of {self.name} has changed since the run was recorded: "
                f"{self.image or self.name} (expected {self.digest}, {self.size} bytes; "
                f"found {found}, {len(data)} bytes)"
            )
        return data


def whole_sectors(data: bytes) -> bytearray:
    """A memory disk of ``data``: as many whole sectors as a ``block_of_file`` of those bytes has.

    ``block_of_file`` sees ``size // 512`` sectors of a file and never reads
    the bytes after them, so the memory disk a replay boots with behaves as
    the file did.
    """
    return bytearray(data[: len(data) - len(data) % SECTOR_SIZE])


def image_path(name: str) -> str:
    """Where a disk named ``name`` is kept under a record's ``<stem>.disks/`` directory (a relative POSIX path).

    The name itself when it is a plain relative path (``disk.img``,
    ``disks/a.img``); an absolute name or one that climbs out (``../x.img``)
    is kept under ``_abs/`` or with ``..`` spelt ``__``, so that every image
    stays inside the directory.
    """
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    safe = ["__" if p == ".." else p for p in parts] or ["_"]
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or safe != parts:
        safe = ["_abs", *[p.replace(":", "_") for p in safe]]
    return str(PurePosixPath(*safe))


def _files_under(root: str) -> list[str]:
    """The files of a kv_ro directory, as the simulator's ``crunch`` walks it (relative POSIX paths, sorted)."""
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for f in sorted(filenames):
            out.append(f if rel == "." else PurePosixPath(*Path(rel).parts, f).as_posix())
    return sorted(out)


def _listing_digest(names: Iterable[str]) -> str:
    return digest_bytes("".join(n + "\n" for n in sorted(names)).encode("utf-8"))


def _file_digest(path: str) -> str:
    return digest_bytes(Path(path).read_bytes())


def inputs_of(nodes: Iterable[Any], data_dir: str) -> tuple[tuple[DiskImage, ...], dict[str, str]]:
    """The disks ``nodes`` boot with (bytes copied now) and the digests of the data files they read.

    Call it before the run: the images are taken as they are at boot. A
    block node's image is its ``data`` (given as bytes) or its ``file`` in
    ``data_dir``; a fresh memory disk (``size_sectors`` alone) has none.
    The data files map absolute paths to digests; a kv_ro directory is
    listed file by file, and as ``dir/`` mapped to the digest of its list of
    names, so that a file added later is noticed too.
    """
    disks: dict[str, DiskImage] = {}
    files: dict[str, str] = {}
    for n in nodes:
        params = n.params
        if n.kind == "block":
            name = str(params.get("file", n.id))
            if name in disks:
                continue
            if "data" in params:
                data = bytes(params["data"])
            elif "size_sectors" in params:
                continue
            else:
                path = name if os.path.isabs(name) else os.path.join(data_dir, name)
                if not os.path.isfile(path):
                    continue  # the boot refuses it, naming the file
                data = Path(path).read_bytes()
            disks[name] = DiskImage(name, len(data), digest_bytes(data), data=data)
        elif n.kind in ("kv_ro_crunch", "kv_ro_direct") and "dir" in params:
            d = str(params["dir"])
            root = os.path.abspath(d if os.path.isabs(d) else os.path.join(data_dir, d))
            if not os.path.isdir(root):
                continue
            names = _files_under(root)
            files[root + "/"] = _listing_digest(names)
            for rel in names:
                files[os.path.join(root, *rel.split("/"))] = _file_digest(os.path.join(root, *rel.split("/")))
    return tuple(disks.values()), files


def check_files(files: Mapping[str, str], where: str = "record") -> None:
    """Refuse files that changed since they were recorded (``inputs``: absolute paths to digests).

    Files are checked first, so that an edit names the file; then each
    directory's list of names, so that a file added or removed is named too.
    """
    for path, want in sorted(files.items()):
        if path.endswith("/"):
            continue
        if not os.path.isfile(path):
            raise ConfigError(f"{where}: inputs: {path} is missing (the run was recorded with it, {want})")
        now = _file_digest(path)
        if now != want:
            raise ConfigError(
                f"{where}: inputs: {path} has changed since the run was recorded "
                f"(expected {want}, found {now}); the record replays only the files it was made with"
            )
    for path, want in sorted(files.items()):
        if not path.endswith("/"):
            continue
        root = path[:-1]
        if not os.path.isdir(root):
            raise ConfigError(f"{where}: inputs: the directory {root} is missing (the run was recorded with it)")
        names = _files_under(root)
        now = _listing_digest(names)
        if now != want:
            recorded = {Path(os.path.relpath(p, root)).as_posix() for p in files if p.startswith(path) and p != path}
            added = sorted(set(names) - recorded)
            detail = f"; {', '.join(added)} added since" if added else ""
            raise ConfigError(
                f"{where}: inputs: the directory {root} has changed since the run was recorded "
                f"(expected {want}, found {now}){detail}"
            )
