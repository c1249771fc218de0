"""The network rings' messages (``io/netif.h``): one ring to transmit, one to receive.

Transmit: the frontend grants the page holding a frame and queues a 12-byte
request, ``gref`` (u32), ``offset`` (u16), ``flags`` (u16), ``id`` (u16),
``size`` (u16); the backend copies the frame out and answers with ``id``
(u16) and ``status`` (s16: 0 ok, -1 error, -2 dropped). Receive: the
frontend posts empty granted pages as 8-byte requests, ``id`` (u16), 2
bytes of padding, ``gref`` (u32); the backend copies an arriving frame into
one and answers ``id``, ``offset``, ``flags`` (u16 each) and ``status``
(s16: the frame's length, or negative for an error). Both rings hold 256
entries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["TxRequest", "TxResponse", "RxRequest", "RxResponse", "TX_ENTRY", "RX_ENTRY", "NETIF_RSP_OKAY"]

NETIF_RSP_OKAY = 0
NETIF_RSP_ERROR = -1
NETIF_RSP_DROPPED = -2
_TXREQ = struct.Struct("<IHHHH")
_TXRSP = struct.Struct("<Hh")
_RXREQ = struct.Struct("<H2xI")
_RXRSP = struct.Struct("<HHHh")
TX_ENTRY = _TXREQ.size
RX_ENTRY = _RXREQ.size


@dataclass(frozen=True, slots=True)
class TxRequest:
    gref: int
    offset: int
    flags: int
    id: int
    size: int

    def to_bytes(self) -> bytes:
        return _TXREQ.pack(self.gref, self.offset, self.flags, self.id, self.size)

    @classmethod
    def from_bytes(cls, data: bytes) -> TxRequest:
        return cls(*_TXREQ.unpack_from(data))


@dataclass(frozen=True, slots=True)
class TxResponse:
    id: int
    status: int

    def to_bytes(self) -> bytes:
        return _TXRSP.pack(self.id, self.status)

    @classmethod
    def from_bytes(cls, data: bytes) -> TxResponse:
        return cls(*_TXRSP.unpack_from(data))


@dataclass(frozen=True, slots=True)
class RxRequest:
    id: int
    gref: int

    def to_bytes(self) -> bytes:
        return _RXREQ.pack(self.id, self.gref)

    @classmethod
    def from_bytes(cls, data: bytes) -> RxRequest:
        return cls(*_RXREQ.unpack_from(data))


@dataclass(frozen=True, slots=True)
class RxResponse:
    id: int
    offset: int
    flags: int
    status: int

    def to_bytes(self) -> bytes:
        return _RXRSP.pack(self.id, self.offset, self.flags, self.status)

    @classmethod
    def from_bytes(cls, data: bytes) -> RxResponse:
        return cls(*_RXRSP.unpack_from(data))
