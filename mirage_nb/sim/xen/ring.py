"""The generic split-driver ring of Xen's ``io/ring.h``, over a shared page of bytes.

A frontend and a backend share one 4096-byte page. Its first 64 bytes are
the header, four little-endian 32-bit indexes, ``req_prod`` (offset 0),
``req_event`` (4), ``rsp_prod`` (8) and ``rsp_event`` (12), then a private
word and padding; the slots follow from offset 64, each as wide as the larger
of the request and the response, their number the largest power of two that
fits. Requests and responses share the slots: a response overwrites the
request it answers.

Each side keeps private indexes (:class:`FrontRing`: ``req_prod_pvt``,
``rsp_cons``; :class:`BackRing`: ``rsp_prod_pvt``, ``req_cons``) and
publishes them with a *push*, which says whether the other side must be
notified: it must when the other side's event index (``req_event`` or
``rsp_event``, "wake me when the producer passes this") lies among the
slots just published. A consumer that runs out of work sets its event index
one past what it consumed, then looks again (the *final check*), so that a
producer pushing in between is seen either by that look or by a
notification, never by neither. Indexes are free-running 32-bit counters:
all arithmetic is modulo 2**32.

Nothing here knows what a request means (see :mod:`.blkif`, :mod:`.netif`):
entries are ``entry_size`` bytes.
"""

from __future__ import annotations

import struct

from mirage_nb.errors import ProtocolError

__all__ = [
    "PAGE_SIZE",
    "HEADER_SIZE",
    "ring_size",
    "init_shared_ring",
    "SharedRing",
    "FrontRing",
    "BackRing",
]

PAGE_SIZE = 4096
HEADER_SIZE = 64
_MASK32 = 0xFFFFFFFF
_U32 = struct.Struct("<I")


def ring_size(entry_size: int, page_size: int = PAGE_SIZE) -> int:
    """How many slots of ``entry_size`` bytes a page holds: the largest power of two that fits."""
    if entry_size <= 0:
        raise ProtocolError(f"ring entry size must be positive, got {entry_size}")
    n = (page_size - HEADER_SIZE) // entry_size
    if n < 1:
        raise ProtocolError(f"a ring entry of {entry_size} bytes does not fit a {page_size}-byte page")
    return 1 << (n.bit_length() - 1)


def init_shared_ring(page: bytearray) -> None:
    """``SHARED_RING_INIT``: both producers at 0, both event indexes at 1 (notify on the first entry)."""
    page[0:HEADER_SIZE] = bytes(HEADER_SIZE)
    _U32.pack_into(page, 4, 1)
    _U32.pack_into(page, 12, 1)


class SharedRing:
    """The header and slots of a shared page, read and written in place (both sides see every store)."""

    def __init__(self, page: bytearray, entry_size: int) -> None:
        if len(page) < PAGE_SIZE:
            raise ProtocolError(f"a shared ring needs a {PAGE_SIZE}-byte page, got {len(page)} bytes")
        self.page = page
        self.entry_size = entry_size
        self.size = ring_size(entry_size)

    def _get(self, off: int) -> int:
        return int(_U32.unpack_from(self.page, off)[0])

    def _set(self, off: int, v: int) -> None:
        _U32.pack_into(self.page, off, v & _MASK32)

    req_prod = property(lambda self: self._get(0), lambda self, v: self._set(0, v))
    req_event = property(lambda self: self._get(4), lambda self, v: self._set(4, v))
    rsp_prod = property(lambda self: self._get(8), lambda self, v: self._set(8, v))
    rsp_event = property(lambda self: self._get(12), lambda self, v: self._set(12, v))

    def slot(self, idx: int) -> int:
        """The byte offset of the slot a free-running index names."""
        return HEADER_SIZE + (idx & (self.size - 1)) * self.entry_size

    def read_slot(self, idx: int) -> bytes:
        off = self.slot(idx)
        return bytes(self.page[off : off + self.entry_size])

    def write_slot(self, idx: int, data: bytes) -> None:
        if len(data) > self.entry_size:
            raise ProtocolError(f"a ring entry is {self.entry_size} bytes; got {len(data)}")
        off = self.slot(idx)
        self.page[off : off + self.entry_size] = data.ljust(self.entry_size, b"\0")


def _notify_needed(new: int, old: int, event: int) -> bool:
    # The consumer asked to be woken when the producer passes `event`: did this push pass it?
    return ((new - event) & _MASK32) < ((new - old) & _MASK32)


class FrontRing:
    """The frontend's view: produces requests, consumes responses."""

    def __init__(self, sring: SharedRing) -> None:
        self.sring = sring
        self.req_prod_pvt = sring.req_prod
        self.rsp_cons = sring.rsp_prod

    @property
    def size(self) -> int:
        return self.sring.size

    def free_requests(self) -> int:
        """Slots free for new requests (a slot stays taken until its response is consumed)."""
        return self.size - ((self.req_prod_pvt - self.rsp_cons) & _MASK32)

    def full(self) -> bool:
        return self.free_requests() == 0

    def put_request(self, data: bytes) -> int:
        """Write a request in the next private slot (not yet visible to the backend); its index."""
        if self.full():
            raise ProtocolError("the ring is full: wait for responses before queueing another request")
        idx = self.req_prod_pvt
        self.sring.write_slot(idx, data)
        self.req_prod_pvt = (idx + 1) & _MASK32
        return idx

    def push_requests(self) -> bool:
        """``RING_PUSH_REQUESTS_AND_CHECK_NOTIFY``: publish, and say whether the backend must be notified."""
        old = self.sring.req_prod
        new = self.req_prod_pvt
        self.sring.req_prod = new
        return _notify_needed(new, old, self.sring.req_event)

    def unconsumed_responses(self) -> int:
        return (self.sring.rsp_prod - self.rsp_cons) & _MASK32

    def take_response(self) -> bytes:
        """The next response (the caller checked :meth:`unconsumed_responses`)."""
        if not self.unconsumed_responses():
            raise ProtocolError("no response to consume")
        data = self.sring.read_slot(self.rsp_cons)
        self.rsp_cons = (self.rsp_cons + 1) & _MASK32
        return data

    def final_check_for_responses(self) -> bool:
        """``RING_FINAL_CHECK_FOR_RESPONSES``: ask to be notified of the next one, then look once more."""
        if self.unconsumed_responses():
            return True
        self.sring.rsp_event = (self.rsp_cons + 1) & _MASK32
        return self.unconsumed_responses() > 0


class BackRing:
    """The backend's view: consumes requests, produces responses."""

    def __init__(self, sring: SharedRing) -> None:
        self.sring = sring
        self.rsp_prod_pvt = sring.rsp_prod
        self.req_cons = sring.rsp_prod  # at connection every request taken has been answered

    @property
    def size(self) -> int:
        return self.sring.size

    def unconsumed_requests(self) -> int:
        """Requests published and not yet taken (never more than the slots the responses left free)."""
        published = (self.sring.req_prod - self.req_cons) & _MASK32
        room = self.size - ((self.req_cons - self.rsp_prod_pvt) & _MASK32)
        return min(published, room)

    def take_request(self) -> bytes:
        if not self.unconsumed_requests():
            raise ProtocolError("no request to consume")
        data = self.sring.read_slot(self.req_cons)
        self.req_cons = (self.req_cons + 1) & _MASK32
        return data

    def put_response(self, data: bytes) -> int:
        idx = self.rsp_prod_pvt
        if ((self.req_cons - idx) & _MASK32) == 0:
            raise ProtocolError("a response needs a request taken and not yet answered")
        self.sring.write_slot(idx, data)
        self.rsp_prod_pvt = (idx + 1) & _MASK32
        return idx

    def push_responses(self) -> bool:
        """``RING_PUSH_RESPONSES_AND_CHECK_NOTIFY``: publish, and say whether the frontend must be notified."""
        old = self.sring.rsp_prod
        new = self.rsp_prod_pvt
        self.sring.rsp_prod = new
        return _notify_needed(new, old, self.sring.rsp_event)

    def final_check_for_requests(self) -> bool:
        """``RING_FINAL_CHECK_FOR_REQUESTS``: ask to be notified of the next one, then look once more."""
        if self.unconsumed_requests():
            return True
        self.sring.req_event = (self.req_cons + 1) & _MASK32
        return self.unconsumed_requests() > 0
