"""Shared pieces of the simulated network stack: the decode error, the step record, addresses.

Every machine in ``sim.net`` is sans-IO (the style of h11 and utcp): it is
given the current virtual time ``now`` (integer nanoseconds) and an input,
and answers with a :class:`Step` — what happened, what to send, and when it
wants to be woken up next. Addresses are plain ``bytes`` (6 for a MAC, 4 for
IPv4, 16 for IPv6) so codecs never convert on the hot path; the helpers here
turn them to and from text for people.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "Ns",
    "FrameError",
    "Step",
    "NO_STEP",
    "earliest",
    "mac",
    "mac_str",
    "ip4",
    "ip6",
    "mac_str",
    "BROADCAST_MAC",
    "ZERO_MAC",
    "Dropped",
    "record_maker",
]

_R = TypeVar("_R")


def record_maker(cls: type[_R]) -> Callable[..., _R]:
    """A fast positional constructor for a frozen, slotted dataclass: the decoders' hot path.

    Why: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, which costs about four times a plain assignment;
    for a decoder that builds one record per layer per frame that is most of
    its time. This builds the object as an instance of a mutable twin with the
    same slot layout, assigns the fields plainly, then switches its class to
    ``cls`` — the result is an ordinary, immutable ``cls`` instance (equal to,
    and hashing like, one made by ``cls(...)``). Only for classes without
    ``__post_init__`` validation: the maker does not run it.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": cls.__slots__})  # type: ignore[attr-defined]
    args = ", ".join(names)
    body = "".join(f"    o.{n} = {n}\n" for n in names)
    src = f"def make({args}):\n    o = new(Twin)\n{body}    o.__class__ = Cls\n    return o\n"
    ns: dict[str, Any] = {"new": object.__new__, "Twin": twin, "Cls": cls}
    exec(src, ns)
    make: Callable[..., _R] = ns["make"]
    make.__doc__ = f"Build a {cls.__name__} from its fields, in order (fast path)."
    return make


Ns = int
"""Virtual time or a duration, in integer nanoseconds."""

BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\x00" * 6


class FrameError(RemoteProtocolError):
    """A frame (or part of one) could not be decoded: ``layer`` and ``field`` say which part.

    Decoders raise only this (h11's single invariant): any other exception
    escaping a decoder is a bug in mirage_nb.
    """

    def __init__(self, layer: str, field: str, expected: str) -> None:
        super().__init__(f"{layer}: bad {field}: expected {expected}")
        self.layer = layer
        self.field = field


@dataclass(frozen=True, slots=True)
class Step:
    """What one call into a machine produced.

    ``events`` are records for the layer above (a datagram arrived, a lease
    was obtained); ``frames`` are whole Ethernet frames to transmit, in order;
    ``deadline`` is the virtual time the machine next wants its ``timer`` called
    (``None``: nothing pending).
    """

    events: tuple[Any, ...] = ()
    frames: tuple[bytes, ...] = ()
    deadline: Ns | None = None


NO_STEP = Step()


@dataclass(frozen=True, slots=True)
class Dropped:
    """An input a machine ignored, and why (a malformed frame, a wrong address...).

    Machines never raise on what the network sends them: they drop it, as
    MirageOS's stack logs and drops, and say so with this event.
    """

    layer: str
    reason: str


def earliest(*deadlines: Ns | None) -> Ns | None:
    """The smallest deadline that is set, or ``None``."""
    best: Ns | None = None
    for d in deadlines:
        if d is not None and (best is None or d < best):
            best = d
    return best


def mac(text: str) -> bytes:
    """``"02:00:00:00:00:01"`` -> 6 bytes (``-`` also accepted as separator)."""
    parts = text.replace("-", ":").split(":")
    try:
        if len(parts) != 6:
            raise ValueError
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        msg = f"MAC address {text!r}: expected six hex octets like 02:00:00:00:00:01"
        raise LocalProtocolError(msg) from None


def mac_str(b: bytes) -> str:
    """6 bytes -> ``"02:00:00:00:00:01"``."""
    return ":".join(f"{x:02x}" for x in b)


def ip4(text: str) -> bytes:
    """``"10.0.0.2"`` -> 4 bytes."""
    try:
        return ipaddress.IPv4Address(text).packed
    except ValueError:
        raise LocalProtocolError(f"IPv4 address {text!r}: expected dotted quad like 10.0.0.2") from None


def ip6(text: str) -> bytes:
    """``"fe80::1"`` -> 16 bytes."""
    try:
        return ipaddress.IPv6Address(text).packed
    except ValueError:
        raise LocalProtocolError(f"IPv6 address {text!r}: expected an address like fe80::1") from None
