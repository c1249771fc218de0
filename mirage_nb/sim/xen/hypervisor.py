"""The simulated hypervisor: domains, their pages, grant tables and event channels.

Pages are ``bytearray`` s numbered by frame; a mapped grant hands the peer
the *same* bytearray, so what one domain stores the other reads, as with
shared memory. The hypervisor is pure bookkeeping: it never schedules
anything. :meth:`Hypervisor.notify` returns the upcall to raise, and
:mod:`.host` delivers it on the virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mirage_nb.errors import SimulationError
from mirage_nb.sim.xen.event_channel import EventChannels
from mirage_nb.sim.xen.grant_table import GrantError, GrantTable, Mapping
from mirage_nb.sim.xen.ring import PAGE_SIZE

__all__ = ["Domain", "Hypervisor"]


@dataclass
class Domain:
    """One domain: its id, name, memory, the pages the builder gave it, and its event handlers."""

    domid: int
    name: str
    memory_mib: int
    role: str = "guest"  # control | xenstore | console | guest
    console_frame: int = 0
    console_port: int = 0
    xenstore_frame: int = 0
    xenstore_port: int = 0
    handlers: dict[int, Callable[[int], None]] = field(default_factory=dict)
    state: str = "running"  # running | shutdown | destroyed


class Hypervisor:
    """Frames, domains, one grant table per domain and the event-channel table."""

    def __init__(self) -> None:
        self.frames: dict[int, bytearray] = {}
        self.owner: dict[int, int] = {}
        self.domains: dict[int, Domain] = {}
        self.grant_tables: dict[int, GrantTable] = {}
        self.evtchn = EventChannels()
        self._next_frame = 0x1000
        self._next_handle = 1
        self.mappings: dict[tuple[int, int], Mapping] = {}  # (mapper domid, handle) -> mapping

    def create_domain(self, domid: int, name: str, memory_mib: int, role: str = "guest") -> Domain:
        if domid in self.domains:
            raise SimulationError(f"domain {domid} already exists ({self.domains[domid].name})")
        if any(d.name == name and d.state != "destroyed" for d in self.domains.values()):
            raise SimulationError(f"a domain called {name!r} already exists")
        d = Domain(domid, name, memory_mib, role)
        self.domains[domid] = d
        self.grant_tables[domid] = GrantTable(domid)
        return d

    def domain(self, domid: int) -> Domain:
        d = self.domains.get(domid)
        if d is None:
            raise SimulationError(f"no domain {domid}")
        return d

    def alloc_page(self, domid: int) -> tuple[int, bytearray]:
        """A fresh zeroed page of ``domid``: its frame number and bytes."""
        frame = self._next_frame
        self._next_frame += 1
        page = bytearray(PAGE_SIZE)
        self.frames[frame] = page
        self.owner[frame] = domid
        return frame, page

    def page(self, frame: int) -> bytearray:
        return self.frames[frame]

    def map_grant(self, mapper: int, granter: int, ref: int, *, readonly: bool = False) -> Mapping:
        """``GNTTABOP_map_grant_ref``: the page ``granter`` granted ``mapper`` through ``ref``."""
        gt = self.grant_tables.get(granter)
        if gt is None:
            raise GrantError(f"domain {mapper} maps a grant of domain {granter}, which does not exist")
        e = gt.check_map(mapper, ref, readonly)
        if self.owner.get(e.frame) != granter:
            raise GrantError(f"grant {ref} of domain {granter} names frame {e.frame:#x}, which it does not own")
        gt.mark_mapped(ref, readonly)
        m = Mapping(self._next_handle, granter, ref, self.frames[e.frame], readonly)
        self._next_handle += 1
        self.mappings[(mapper, m.handle)] = m
        return m

    def unmap_grant(self, mapper: int, m: Mapping) -> None:
        """``GNTTABOP_unmap_grant_ref``: the peer lets go; the granter may revoke again."""
        if self.mappings.pop((mapper, m.handle), None) is None:
            raise GrantError(f"domain {mapper} unmaps handle {m.handle}, which it has not mapped")
        self.grant_tables[m.granter].mark_unmapped(m.ref)

    def notify(self, domid: int, port: int) -> tuple[int, int] | None:
        return self.evtchn.notify(domid, port)
