"""Event channels: the doorbells between domains.

A domain allocates an *unbound* port naming the remote domain allowed to
connect (``EVTCHNOP_alloc_unbound``); the remote domain binds its own new
port to it (``EVTCHNOP_bind_interdomain``); from then on a notify on either
port sets the *pending* bit of the other and, unless that port is masked or
was already pending, raises an upcall in the other domain. A notification
carries no data and repeated ones collapse into one pending bit: a domain
woken once must look at everything that changed (which is why rings have a
final check).

:class:`EventChannels` is the hypervisor's table, pure: :meth:`notify`
returns the upcall to deliver, and whoever drives the simulation decides
when it is delivered (:mod:`.host` adds the delays and faults).
"""

from __future__ import annotations

from dataclasses import dataclass

from mirage_nb.sim.xen.grant_table import GrantError

__all__ = ["Port", "EventChannels", "EventChannelError"]


class EventChannelError(GrantError):
    """An event-channel operation the hypervisor refuses."""


@dataclass(slots=True)
class Port:
    """One port of one domain: its state, its peer and its pending/mask bits."""

    domid: int
    port: int
    state: str = "unbound"  # unbound | interdomain | closed
    remote_domid: int = 0
    remote_port: int = 0
    pending: bool = False
    masked: bool = False


class EventChannels:
    """Every domain's ports (numbered from 1 per domain, as Xen does)."""

    def __init__(self) -> None:
        self.ports: dict[tuple[int, int], Port] = {}
        self._next: dict[int, int] = {}

    def _new(self, domid: int) -> Port:
        n = self._next.get(domid, 1)
        self._next[domid] = n + 1
        p = Port(domid, n)
        self.ports[(domid, n)] = p
        return p

    def get(self, domid: int, port: int) -> Port:
        p = self.ports.get((domid, port))
        if p is None or p.state == "closed":
            raise EventChannelError(f"domain {domid} has no event channel port {port}")
        return p

    def alloc_unbound(self, domid: int, remote_domid: int) -> int:
        """A new port of ``domid`` that ``remote_domid`` (and only it) may bind to."""
        p = self._new(domid)
        p.remote_domid = remote_domid
        return p.port

    def bind_interdomain(self, domid: int, remote_domid: int, remote_port: int) -> int:
        """Connect a new port of ``domid`` to ``remote_domid``'s unbound ``remote_port``; the new port."""
        r = self.get(remote_domid, remote_port)
        if r.state != "unbound":
            raise EventChannelError(
                f"domain {domid} binds port {remote_port} of domain {remote_domid}: it is already bound"
            )
        if r.remote_domid != domid:
            raise EventChannelError(
                f"domain {domid} binds port {remote_port} of domain {remote_domid}: "
                f"it was allocated for domain {r.remote_domid}"
            )
        p = self._new(domid)
        p.state = r.state = "interdomain"
        p.remote_domid, p.remote_port = remote_domid, remote_port
        r.remote_port = p.port
        return p.port

    def notify(self, domid: int, port: int) -> tuple[int, int] | None:
        """``EVTCHNOP_send``: mark the peer pending; the ``(domid, port)`` to raise an upcall in, if any."""
        p = self.get(domid, port)
        if p.state != "interdomain":
            return None  # nobody bound yet: Xen drops the send (the peer reads the ring once it binds)
        r = self.get(p.remote_domid, p.remote_port)
        was = r.pending
        r.pending = True
        if was or r.masked:
            return None
        return (r.domid, r.port)

    def clear(self, domid: int, port: int) -> bool:
        """The domain acknowledges ``port`` (clears its pending bit); whether it was pending."""
        p = self.get(domid, port)
        was = p.pending
        p.pending = False
        return was

    def close(self, domid: int, port: int) -> None:
        """``EVTCHNOP_close``: the peer's port goes back to unbound."""
        p = self.get(domid, port)
        if p.state == "interdomain":
            r = self.ports.get((p.remote_domid, p.remote_port))
            if r is not None and r.state == "interdomain":
                r.state, r.remote_port = "unbound", 0
        p.state = "closed"
