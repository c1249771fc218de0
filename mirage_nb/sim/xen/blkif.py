"""The block ring's messages (``io/blkif.h``): a request names sectors and the granted pages they go to.

A request is 112 bytes: ``operation`` (u8: 0 read, 1 write), ``nr_segments``
(u8, at most 11), ``handle`` (u16, the device), 4 bytes of padding, ``id``
(u64, echoed in the response), ``sector_number`` (u64, in 512-byte sectors)
and 11 segments of 8 bytes: ``gref`` (u32, a grant of a 4096-byte page),
``first_sect`` and ``last_sect`` (u8, the sectors of that page used,
inclusive), 2 bytes of padding. A response is ``id`` (u64), ``operation``
(u8) and ``status`` (s16 at offset 10: 0 ok, -1 error, -2 not supported).
A ring page holds 32 of them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.errors import ProtocolError

__all__ = [
    "BLKIF_OP_READ",
    "BLKIF_OP_WRITE",
    "BLKIF_RSP_OKAY",
    "BLKIF_RSP_ERROR",
    "BLKIF_RSP_EOPNOTSUPP",
    "MAX_SEGMENTS",
    "SECTORS_PER_PAGE",
    "REQUEST_SIZE",
    "Segment",
    "BlkRequest",
    "BlkResponse",
]

BLKIF_OP_READ = 0
BLKIF_OP_WRITE = 1
BLKIF_RSP_OKAY = 0
BLKIF_RSP_ERROR = -1
BLKIF_RSP_EOPNOTSUPP = -2
MAX_SEGMENTS = 11
SECTORS_PER_PAGE = 8
_HEAD = struct.Struct("<BBH4xQQ")
_SEG = struct.Struct("<IBB2x")
_RSP = struct.Struct("<QBxh")
REQUEST_SIZE = _HEAD.size + MAX_SEGMENTS * _SEG.size


@dataclass(frozen=True, slots=True)
class Segment:
    gref: int
    first_sect: int
    last_sect: int


@dataclass(frozen=True, slots=True)
class BlkRequest:
    operation: int
    handle: int
    id: int
    sector_number: int
    segments: tuple[Segment, ...]

    def to_bytes(self) -> bytes:
        if not 1 <= len(self.segments) <= MAX_SEGMENTS:
            raise ProtocolError(f"a block request carries 1 to {MAX_SEGMENTS} segments, not {len(self.segments)}")
        out = _HEAD.pack(self.operation, len(self.segments), self.handle, self.id, self.sector_number)
        out += b"".join(_SEG.pack(s.gref, s.first_sect, s.last_sect) for s in self.segments)
        return out.ljust(REQUEST_SIZE, b"\0")

    @classmethod
    def from_bytes(cls, data: bytes) -> BlkRequest:
        op, n, handle, rid, sector = _HEAD.unpack_from(data)
        if n > MAX_SEGMENTS:
            raise ProtocolError(f"block request {rid} announces {n} segments (at most {MAX_SEGMENTS})")
        segs = tuple(Segment(*_SEG.unpack_from(data, _HEAD.size + i * _SEG.size)) for i in range(n))
        return cls(op, handle, rid, sector, segs)


@dataclass(frozen=True, slots=True)
class BlkResponse:
    id: int
    operation: int
    status: int

    def to_bytes(self) -> bytes:
        return _RSP.pack(self.id, self.operation, self.status)

    @classmethod
    def from_bytes(cls, data: bytes) -> BlkResponse:
        return cls(*_RSP.unpack_from(data))
