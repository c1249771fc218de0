"""The xenstore wire protocol: message headers, operation numbers, and the ring page a domain talks over.

A message is a 16-byte little-endian header, ``type``, ``req_id``,
``tx_id``, ``len`` (32 bits each), then ``len`` bytes of payload (at most
4096), generally nul-terminated strings. The daemon echoes ``req_id`` and
``tx_id`` in its reply; an error reply has type ``XS_ERROR`` and the errno's
name as payload (``ENOENT\\0``); watch events arrive unasked, as
``XS_WATCH_EVENT`` with ``path\\0token\\0``.

A domain reaches the daemon through one shared page: a 1024-byte request
ring at offset 0, a 1024-byte reply ring at 1024, then the four 32-bit
indexes ``req_cons``, ``req_prod``, ``rsp_cons``, ``rsp_prod`` (offsets 2048
to 2060). These rings carry a byte stream (a message may wrap around and
be split across several writes), unlike the fixed slots of :mod:`.ring`.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from mirage_nb.errors import ProtocolError

__all__ = [
    "Op",
    "XS_ERRORS",
    "HEADER",
    "PAYLOAD_MAX",
    "XENSTORE_RING_SIZE",
    "Message",
    "MessageReader",
    "ByteRing",
    "xenstore_rings",
]

HEADER = struct.Struct("<IIII")
PAYLOAD_MAX = 4096
XENSTORE_RING_SIZE = 1024


class Op(enum.IntEnum):
    """``enum xsd_sockmsg_type`` (20 was XS_RESTRICT, now unused)."""

    CONTROL = 0
    DIRECTORY = 1
    READ = 2
    GET_PERMS = 3
    WATCH = 4
    UNWATCH = 5
    TRANSACTION_START = 6
    TRANSACTION_END = 7
    INTRODUCE = 8
    RELEASE = 9
    GET_DOMAIN_PATH = 10
    WRITE = 11
    MKDIR = 12
    RM = 13
    SET_PERMS = 14
    WATCH_EVENT = 15
    ERROR = 16
    IS_DOMAIN_INTRODUCED = 17
    RESUME = 18
    SET_TARGET = 19
    RESET_WATCHES = 21
    DIRECTORY_PART = 22


XS_ERRORS = (
    "EINVAL",
    "EACCES",
    "EEXIST",
    "EISDIR",
    "ENOENT",
    "ENOMEM",
    "ENOSPC",
    "EIO",
    "ENOTEMPTY",
    "ENOSYS",
    "EROFS",
    "EBUSY",
    "EAGAIN",
    "EISCONN",
    "E2BIG",
    "EPERM",
)
"""The error names a reply may carry."""


@dataclass(frozen=True, slots=True)
class Message:
    """One xenstore message: operation, request id, transaction id and payload bytes."""

    op: int
    req_id: int
    tx_id: int
    payload: bytes

    def to_bytes(self) -> bytes:
        if len(self.payload) > PAYLOAD_MAX:
            raise ProtocolError(f"xenstore payload of {len(self.payload)} bytes exceeds {PAYLOAD_MAX}")
        return HEADER.pack(self.op, self.req_id, self.tx_id, len(self.payload)) + self.payload

    @property
    def strings(self) -> list[str]:
        """The payload as nul-separated strings (a final nul ends the last one)."""
        data = self.payload[:-1] if self.payload.endswith(b"\0") else self.payload
        return data.decode("utf-8", "replace").split("\0") if data else []

    @property
    def op_name(self) -> str:
        try:
            return "XS_" + Op(self.op).name
        except ValueError:
            return f"XS_{self.op}"

    def __str__(self) -> str:
        shown = self.payload.replace(b"\0", b"\\0").decode("utf-8", "replace")
        return f"{self.op_name} req={self.req_id} tx={self.tx_id} '{shown}'"


def strings(*parts: str) -> bytes:
    """Payload of nul-terminated strings."""
    return b"".join(p.encode() + b"\0" for p in parts)


class MessageReader:
    """Reassembles messages from a byte stream that arrives in pieces (sans-IO)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        self.buf += data
        out = []
        while len(self.buf) >= HEADER.size:
            op, req_id, tx_id, n = HEADER.unpack_from(self.buf)
            if n > PAYLOAD_MAX:
                raise ProtocolError(f"xenstore message announces {n} payload bytes (at most {PAYLOAD_MAX})")
            if len(self.buf) < HEADER.size + n:
                break
            out.append(Message(op, req_id, tx_id, bytes(self.buf[HEADER.size : HEADER.size + n])))
            del self.buf[: HEADER.size + n]
        return out


class ByteRing:
    """One direction of a byte-stream ring inside a shared page: data area and cons/prod indexes."""

    def __init__(self, page: bytearray, data_off: int, size: int, cons_off: int, prod_off: int) -> None:
        self.page, self.data_off, self.size = page, data_off, size
        self.cons_off, self.prod_off = cons_off, prod_off

    def _idx(self, off: int) -> int:
        return int(struct.unpack_from("<I", self.page, off)[0])

    @property
    def cons(self) -> int:
        return self._idx(self.cons_off)

    @property
    def prod(self) -> int:
        return self._idx(self.prod_off)

    def available(self) -> int:
        """Bytes written and not yet read."""
        return (self.prod - self.cons) & 0xFFFFFFFF

    def space(self) -> int:
        return self.size - self.available()

    def write(self, data: bytes) -> int:
        """Producer: copy as much of ``data`` as fits, publish it; how many bytes went in."""
        n = min(len(data), self.space())
        prod = self.prod
        for i in range(n):
            self.page[self.data_off + ((prod + i) & (self.size - 1))] = data[i]
        struct.pack_into("<I", self.page, self.prod_off, (prod + n) & 0xFFFFFFFF)
        return n

    def read(self, limit: int | None = None) -> bytes:
        """Consumer: take every byte available (or ``limit``), publish the new consumer index."""
        n = self.available() if limit is None else min(limit, self.available())
        cons = self.cons
        out = bytes(self.page[self.data_off + ((cons + i) & (self.size - 1))] for i in range(n))
        struct.pack_into("<I", self.page, self.cons_off, (cons + n) & 0xFFFFFFFF)
        return out


def xenstore_rings(page: bytearray) -> tuple[ByteRing, ByteRing]:
    """The request and reply rings of a ``xenstore_domain_interface`` page."""
    req = ByteRing(page, 0, XENSTORE_RING_SIZE, 2048, 2052)
    rsp = ByteRing(page, XENSTORE_RING_SIZE, XENSTORE_RING_SIZE, 2056, 2060)
    return req, rsp
