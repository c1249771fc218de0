"""A littlefs-like read-write key-value store on a block device (stands in for ``chamelon``).

The real chamelon implements littlefs's on-disk format. This one keeps the
same shape of guarantees with a smaller format of its own, written to the
block device sector by sector (nothing is kept only in memory but an index
read back from the disk at connect):

Blocks are the device's sectors (512 bytes). Blocks 0 and 1 are a
superblock *pair*, as littlefs's metadata pairs: each copy is ::

    0   4  magic "MNBC"
    4   4  revision (u32, big-endian); the valid copy with the higher one is current
    8   4  block size            12  4  block count
    16  4  program block size    20  4  first block of the directory table (0: empty)
    24  4  directory table length in bytes
    28  4  CRC-32 of bytes 0..27

Data (file contents and the directory table) lives in chains of blocks:
each block is ``next (u32, 0 ends the chain) | used (u16) | payload``. The
directory table is a sequence of entries ``kind (u8: 1 file, 2 directory) |
path length (u16) | path (UTF-8, "/a/b") | size (u32) | mtime (u64,
nanoseconds since the POSIX epoch) | first block (u32, 0 when empty)``.

Every change is copy-on-write: new data blocks and a new directory table go
to free blocks, then the superblock copy with revision + 1 is written to the
other slot. A crash before that last write leaves the previous tree intact.
Free blocks are those not reachable from the current superblock; the
allocator takes the lowest first, so runs are reproducible. When too few
are free, the change is refused with ``No_space`` and nothing is written.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.block import BlockDevice
from mirage_nb.sim.clocks import Mirage_ptime, _Ptime
from mirage_nb.sim.kv import (
    DICTIONARY,
    VALUE,
    Already_present,
    Dictionary_expected,
    Key,
    KvStore,
    No_space,
    Not_found,
    Value_expected,
    _as_key,
    _as_value,
    _rename_error,
)
from mirage_nb.sim.lwt import Promise, return_
from mirage_nb.sim.result import Error, Ok

__all__ = ["Chamelon", "ChamelonKv", "format_device", "format_image", "main", "MAGIC"]

MAGIC = b"MNBC"
_SB = struct.Struct(">4sIIIIII")  # magic, revision, block size, count, program block size, root, root length
_CHAIN = struct.Struct(">IH")
_ENTRY = struct.Struct(">IQI")  # size, mtime, first block (after kind, path length, path)


@dataclass(frozen=True)
class _Entry:
    kind: str
    size: int
    mtime: int
    first: int


def _sync(p: Promise[Any]) -> Any:
    if p._st == 0:
        raise SimulationError("chamelon needs a block device whose calls complete at once")
    if p._st == 2:
        raise p._val
    return p._val


def _superblock(rev: int, bs: int, count: int, pbs: int, root: int, root_len: int) -> bytes:
    head = _SB.pack(MAGIC, rev, bs, count, pbs, root, root_len)
    return (head + struct.pack(">I", zlib.crc32(head))).ljust(bs, b"\0")


def format_device(block: BlockDevice, program_block_size: int = 16) -> None:
    """Write an empty file system (what ``chamelon format`` does to an image)."""
    info = block.info
    if info.size_sectors < 4:
        raise SimulationError(f"chamelon: a file system needs at least 4 blocks, the device has {info.size_sectors}")
    bs = info.sector_size
    # Revision r lives in slot r % 2, so each commit overwrites the older copy, never the current one.
    for slot, rev in ((0, 0), (1, 1)):
        data = _superblock(rev, bs, info.size_sectors, program_block_size, 0, 0) if rev else bytes(bs)
        r = _sync(block.write(slot, [bytearray(data)]))
        if isinstance(r, Error):
            raise SimulationError(f"chamelon format: {r.error}")


class ChamelonKv(KvStore):
    """A mounted file system: reads go to the disk, the directory index is kept from the last commit."""

    def __init__(self, block: BlockDevice, program_block_size: int) -> None:
        self.block = block
        self.bs = block.info.sector_size
        self.count = block.info.size_sectors
        self.program_block_size = program_block_size
        self.revision = 0
        self.index: dict[Key, _Entry] = {}
        self.table: tuple[int, int] = (0, 0)

    # -- disk access ---------------------------------------------------------

    def _read_block(self, n: int) -> bytes:
        buf = bytearray(self.bs)
        r = _sync(self.block.read(n, [buf]))
        if isinstance(r, Error):
            raise SimulationError(f"chamelon: reading block {n}: {r.error}")
        return bytes(buf)

    def _write_block(self, n: int, data: bytes) -> None:
        r = _sync(self.block.write(n, [bytearray(data.ljust(self.bs, b"\0"))]))
        if isinstance(r, Error):
            raise SimulationError(f"chamelon: writing block {n}: {r.error}")

    def _read_chain(self, first: int, length: int) -> bytes:
        out = bytearray()
        n = first
        seen = set()
        while n and len(out) < length:
            if n in seen or not 2 <= n < self.count:
                raise SimulationError(f"chamelon: corrupt chain at block {n}")
            seen.add(n)
            blk = self._read_block(n)
            nxt, used = _CHAIN.unpack_from(blk)
            out += blk[_CHAIN.size : _CHAIN.size + used]
            n = nxt
        return bytes(out[:length])

    def _chain_blocks(self, first: int) -> list[int]:
        out = []
        n = first
        while n:
            out.append(n)
            n = _CHAIN.unpack_from(self._read_block(n))[0]
        return out

    def _payload(self) -> int:
        return self.bs - _CHAIN.size

    def _needed(self, length: int) -> int:
        return (length + self._payload() - 1) // self._payload()

    def _write_chain(self, data: bytes, blocks: list[int]) -> int:
        p = self._payload()
        for i, n in enumerate(blocks):
            chunk = data[i * p : (i + 1) * p]
            nxt = blocks[i + 1] if i + 1 < len(blocks) else 0
            self._write_block(n, _CHAIN.pack(nxt, len(chunk)) + chunk)
        return blocks[0] if blocks else 0

    # -- mount and commit -----------------------------------------------------

    def mount(self) -> str | None:
        best = None
        for slot in (0, 1):
            blk = self._read_block(slot)
            magic, rev, bs, count, pbs, root, root_len = _SB.unpack_from(blk)
            (crc,) = struct.unpack_from(">I", blk, _SB.size)
            if magic != MAGIC or crc != zlib.crc32(blk[: _SB.size]):
                continue
            if bs != self.bs or count != self.count:
                return f"superblock in block {slot} describes {count} blocks of {bs} bytes"
            if best is None or rev > best[0]:
                best = (rev, root, root_len)
        if best is None:
            return "no valid superblock: the block device is not formatted"
        self.revision, root, root_len = best
        self.table = (root, root_len)
        self.index = self._decode_table(self._read_chain(root, root_len))
        return None

    def _decode_table(self, data: bytes) -> dict[Key, _Entry]:
        out: dict[Key, _Entry] = {}
        i = 0
        while i < len(data):
            kind, plen = struct.unpack_from(">BH", data, i)
            i += 3
            path = data[i : i + plen].decode("utf-8")
            i += plen
            size, mtime, first = _ENTRY.unpack_from(data, i)
            i += _ENTRY.size
            out[Key.v(path)] = _Entry(VALUE if kind == 1 else DICTIONARY, size, mtime, first)
        return out

    def _encode_table(self, index: dict[Key, _Entry]) -> bytes:
        out = bytearray()
        for key in sorted(index):
            e = index[key]
            p = key.to_string().encode("utf-8")
            out += struct.pack(">BH", 1 if e.kind == VALUE else 2, len(p)) + p
            out += _ENTRY.pack(e.size, e.mtime, e.first)
        return bytes(out)

    def _used(self, index: dict[Key, _Entry], table_first: int) -> set[int]:
        used = {0, 1}
        used.update(self._chain_blocks(table_first))
        for e in index.values():
            if e.kind == VALUE and e.first:
                used.update(self._chain_blocks(e.first))
        return used

    def _commit(self, index: dict[Key, _Entry], new_data: dict[Key, str]) -> Any:
        """Write ``new_data`` and the new table to free blocks, then flip the superblock."""
        used = self._used(self.index, self.table[0])
        # Everything the current superblock reaches stays untouched until the flip (copy-on-write).
        free = [n for n in range(2, self.count) if n not in used]
        staged = dict(index)
        take = iter(free)
        try:
            for key, value in new_data.items():
                raw = value.encode("latin-1")
                blocks = [next(take) for _ in range(self._needed(len(raw)))]
                first = self._write_chain(raw, blocks)
                e = staged[key]
                staged[key] = _Entry(VALUE, len(raw), e.mtime, first)
            table = self._encode_table(staged)
            tblocks = [next(take) for _ in range(self._needed(len(table)))]
        except StopIteration:
            return Error(No_space())
        root = self._write_chain(table, tblocks)
        rev = self.revision + 1
        self._write_block(rev % 2, _superblock(rev, self.bs, self.count, self.program_block_size, root, len(table)))
        self.revision = rev
        self.index = staged
        self.table = (root, len(table))
        return Ok(None)

    # -- KvStore reading side ----------------------------------------------------

    def _kind(self, key: Key) -> str | None:
        if not key.segments:
            return DICTIONARY
        e = self.index.get(key)
        return e.kind if e else None

    def _read(self, key: Key) -> str:
        e = self.index[key]
        return self._read_chain(e.first, e.size).decode("latin-1")

    def _children(self, key: Key) -> list[tuple[str, str]]:
        n = len(key.segments)
        return [
            (k.segments[n], e.kind)
            for k, e in self.index.items()
            if len(k.segments) == n + 1 and k.segments[:n] == key.segments
        ]

    def _mtime(self, key: Key) -> _Ptime:
        e = self.index.get(key)
        return _Ptime(e.mtime * 1000 if e else 0)

    # -- writing side -----------------------------------------------------------

    def _prepare(self, key: Key) -> Any:
        if not key.segments:
            return Error(Value_expected(key))
        if self._kind(key) == DICTIONARY:
            return Error(Value_expected(key))
        index = dict(self.index)
        for i in range(1, len(key.segments)):
            p = Key(key.segments[:i])
            e = index.get(p)
            if e is not None and e.kind == VALUE:
                return Error(Dictionary_expected(p))
            if e is None:
                index[p] = _Entry(DICTIONARY, 0, Mirage_ptime.now().ps // 1000, 0)
        return index

    def set(self, key: Key | str, value: str | bytes) -> Promise[Any]:
        key = _as_key(key)
        value = _as_value(value)
        index = self._prepare(key)
        if isinstance(index, Error):
            return return_(index)
        index[key] = _Entry(VALUE, len(value), Mirage_ptime.now().ps // 1000, 0)
        return return_(self._commit(index, {key: value}))

    def set_partial(self, key: Key | str, offset: int, value: str | bytes) -> Promise[Any]:
        key = _as_key(key)
        value = _as_value(value)
        old = self._read(key) if self._kind(key) == VALUE else ""
        new = old.ljust(offset, "\0")[:offset] + value + old[offset + len(value) :]
        return self.set(key, new)

    def allocate(self, key: Key | str, size: int, last_modified: _Ptime | None = None) -> Promise[Any]:
        key = _as_key(key)
        if self._kind(key) is not None:
            return return_(Error(Already_present(key)))
        index = self._prepare(key)
        if isinstance(index, Error):
            return return_(index)
        mtime = (last_modified or Mirage_ptime.now()).ps // 1000
        index[key] = _Entry(VALUE, size, mtime, 0)
        return return_(self._commit(index, {key: "\0" * size}))

    def remove(self, key: Key | str) -> Promise[Any]:
        key = _as_key(key)
        if self._kind(key) is None:
            return return_(Error(Not_found(key)))
        n = len(key.segments)
        index = {k: e for k, e in self.index.items() if k.segments[:n] != key.segments}
        return return_(self._commit(index, {}))

    def rename(self, source: Key | str, dest: Key | str) -> Promise[Any]:
        source, dest = _as_key(source), _as_key(dest)
        err = _rename_error(self, source, dest)
        if err is not None:
            return return_(err)
        if source == dest:
            return return_(Ok(None))
        n, m = len(source.segments), len(dest.segments)
        # source's entries are taken first (dest may hold source), what was at dest goes away,
        # they move under dest; missing parents appear
        moved = {k: e for k, e in self.index.items() if k.segments[:n] == source.segments}
        index = {k: e for k, e in self.index.items() if k.segments[:m] != dest.segments and k not in moved}
        for i in range(1, m):
            p = Key(dest.segments[:i])
            if p not in index:
                index[p] = _Entry(DICTIONARY, 0, Mirage_ptime.now().ps // 1000, 0)
        for k, e in moved.items():
            index[dest.append(Key(k.segments[n:]))] = e
        return return_(self._commit(index, {}))


class Chamelon:
    """Twin of the ``Chamelon`` module's ``connect`` (and a ``format`` like its command-line tool)."""

    format = staticmethod(format_device)

    @staticmethod
    async def connect(block: BlockDevice, program_block_size: int = 16) -> ChamelonKv:
        fs = ChamelonKv(block, program_block_size)
        err = fs.mount()
        if err is not None:
            from mirage_nb.sim.runtime import Failure

            raise Failure(f"chamelon: cannot mount {block.name}: {err}")
        return fs


def format_image(path: str, block_size: int = 512, program_block_size: int = 16) -> None:
    """Format an existing image file (twin of ``chamelon format IMAGE BLOCK_SIZE`` of chamelon-unix).

    Create the file first, e.g. ``dd if=/dev/zero of=littlefs bs=512K count=1``.
    """
    from mirage_nb.sim.block import FileBlock

    format_device(FileBlock(path, sector_size=block_size), program_block_size)


def main(argv: list[str] | None = None) -> int:
    """``python -m mirage_nb.sim.chamelon format IMAGE [BLOCK_SIZE]``: the skeleton's ``create_image.sh`` step."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] != "format" or (len(args) == 3 and not args[2].isdigit()):
        sys.stderr.write("usage: python -m mirage_nb.sim.chamelon format IMAGE [BLOCK_SIZE]\n")
        return 2
    try:
        format_image(args[1], int(args[2]) if len(args) == 3 else 512)
    except SimulationError as e:
        sys.stderr.write(f"chamelon format: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
