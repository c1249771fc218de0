"""Classic libpcap files (the format tcpdump writes, LINKTYPE_ETHERNET) with virtual timestamps.

Timestamps are the simulation's virtual nanoseconds: microsecond files (magic
0xa1b2c3d4) round them down, nanosecond files (magic 0xa1b23c4d) keep them.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from mirage_nb.sim.net._base import FrameError, Ns

__all__ = ["PcapWriter", "read_pcap", "LINKTYPE_ETHERNET"]

LINKTYPE_ETHERNET = 1
_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Writes frames to a binary file object as they are recorded."""

    def __init__(self, out: BinaryIO, *, snaplen: int = 65535, nanosecond: bool = False) -> None:
        self.out = out
        self.snaplen = snaplen
        self.nanosecond = nanosecond
        self.count = 0
        out.write(_GLOBAL.pack(_MAGIC_NS if nanosecond else _MAGIC_US, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))

    def write(self, ts: Ns, frame: bytes) -> None:
        """Record ``frame`` as seen at virtual time ``ts``."""
        sec, rem = divmod(ts, 1_000_000_000)
        frac = rem if self.nanosecond else rem // 1000
        data = frame[: self.snaplen]
        self.out.write(_RECORD.pack(sec, frac, len(data), len(frame)) + data)
        self.count += 1


def read_pcap(data: bytes) -> list[tuple[Ns, bytes]]:
    """Read a classic pcap (either byte order, µs or ns) into ``(virtual ns, frame)`` pairs."""
    if len(data) < _GLOBAL.size:
        raise FrameError("pcap", "global header", f"{_GLOBAL.size} bytes, got {len(data)}")
    magic = int.from_bytes(data[:4], "little")
    if magic in (_MAGIC_US, _MAGIC_NS):
        order = "<"
    elif int.from_bytes(data[:4], "big") in (_MAGIC_US, _MAGIC_NS):
        order = ">"
        magic = int.from_bytes(data[:4], "big")
    else:
        raise FrameError("pcap", "magic number", f"a1b2c3d4 or a1b23c4d, got {data[:4].hex()}")
    scale = 1 if magic == _MAGIC_NS else 1000
    _m, _maj, _min, _tz, _sig, _snap, linktype = struct.unpack_from(order + "IHHiIII", data)
    if linktype != LINKTYPE_ETHERNET:
        raise FrameError("pcap", "link type", f"1 (Ethernet), got {linktype}")
    rec = struct.Struct(order + "IIII")
    out = []
    pos = _GLOBAL.size
    while pos < len(data):
        if pos + rec.size > len(data):
            raise FrameError("pcap", "record header", f"{rec.size} bytes at offset {pos}")
        sec, frac, incl, _orig = rec.unpack_from(data, pos)
        pos += rec.size
        if pos + incl > len(data):
            raise FrameError("pcap", "record length", f"at most {len(data) - pos} bytes, got {incl}")
        out.append((sec * 1_000_000_000 + frac * scale, bytes(data[pos : pos + incl])))
        pos += incl
    return out
