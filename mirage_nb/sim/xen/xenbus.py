"""The xenbus device handshake: states, and where a split device's keys live in xenstore.

A frontend (in the guest) and its backend (in a driver domain) each keep a
``state`` key and watch the other's. The toolstack creates both directories
in ``Initialising``; the backend, once ready, says ``InitWait``; the
frontend then allocates its ring(s) and event channel, writes their
``ring-ref`` and ``event-channel`` keys and says ``Initialised``; the
backend maps the ring, binds the channel and says ``Connected``; the
frontend reads what the backend published and says ``Connected`` too.
Shutting down goes ``Closing`` then ``Closed`` on both sides.

Devices are numbered as the real tools number them: a ``vif`` by its index,
a ``vbd`` by the Linux device number of its ``vdev`` (``xvdb`` is
202 * 256 + 1 * 16 = 51728).
"""

from __future__ import annotations

import enum
import re

from mirage_nb.errors import SimulationError

__all__ = ["XenbusState", "vdev_number", "frontend_path", "backend_path", "check_transition"]


class XenbusState(enum.IntEnum):
    """``enum xenbus_state``: the value of a device's ``state`` key."""

    Unknown = 0
    Initialising = 1
    InitWait = 2
    Initialised = 3
    Connected = 4
    Closing = 5
    Closed = 6
    Reconfiguring = 7
    Reconfigured = 8


_NEXT = {
    XenbusState.Unknown: {XenbusState.Initialising},
    XenbusState.Initialising: {XenbusState.InitWait, XenbusState.Initialised, XenbusState.Closing},
    XenbusState.InitWait: {XenbusState.Initialised, XenbusState.Connected, XenbusState.Closing},
    XenbusState.Initialised: {XenbusState.Connected, XenbusState.Closing},
    XenbusState.Connected: {XenbusState.Closing, XenbusState.Reconfiguring},
    XenbusState.Reconfiguring: {XenbusState.Reconfigured},
    XenbusState.Reconfigured: {XenbusState.Connected},
    XenbusState.Closing: {XenbusState.Closed},
    XenbusState.Closed: {XenbusState.Initialising},
}


def check_transition(who: str, old: XenbusState, new: XenbusState) -> None:
    """Refuse a state change the handshake does not allow (a driver bug, shown as one)."""
    if new != old and new not in _NEXT[old]:
        raise SimulationError(f"{who}: xenbus state {old.name} cannot go to {new.name}")


def vdev_number(vdev: str) -> int:
    """The device number of a virtual disk name (``xvda`` 51712, ``xvdb`` 51728) or a number given as is."""
    if vdev.isdigit():
        return int(vdev)
    m = re.fullmatch(r"xvd([a-p])", vdev)
    if m is None:
        raise SimulationError(f"vdev {vdev!r}: expected xvda..xvdp or a device number")
    return 202 * 256 + (ord(m.group(1)) - ord("a")) * 16


def frontend_path(domid: int, kind: str, devid: int) -> str:
    return f"/local/domain/{domid}/device/{kind}/{devid}"


def backend_path(backend: int, kind: str, domid: int, devid: int) -> str:
    return f"/local/domain/{backend}/backend/{kind}/{domid}/{devid}"
