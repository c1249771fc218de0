"""Grant tables: how a domain lets another domain map one of its pages.

Each domain owns a table of 8-byte entries (version 1 of Xen's
``grant_entry_v1``): ``flags`` (16 bits), ``domid`` (16 bits, the domain
allowed in) and ``frame`` (32 bits, the page), stored as bytes in the
table's own frames. The granting domain fills an entry (:meth:`GrantTable.grant_access`);
the hypervisor checks it when a peer maps the reference
(:meth:`Hypervisor.map_grant`), marks it being read or written while
mapped, and clears the marks at unmap. Revoking an entry
(:meth:`GrantTable.end_access`) is refused while those marks are set, so a
page is never reused while a peer can still see it.

References 0 and 1 are reserved, as in Xen, for the console and xenstore
pages the domain builder grants.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.errors import SimulationError

__all__ = [
    "GTF_PERMIT_ACCESS",
    "GTF_READONLY",
    "GTF_READING",
    "GTF_WRITING",
    "GNTTAB_RESERVED_CONSOLE",
    "GNTTAB_RESERVED_XENSTORE",
    "GrantError",
    "GrantEntry",
    "GrantTable",
    "Mapping",
]

GTF_PERMIT_ACCESS = 1
GTF_READONLY = 1 << 2
GTF_READING = 1 << 3
GTF_WRITING = 1 << 4
GNTTAB_RESERVED_CONSOLE = 0
GNTTAB_RESERVED_XENSTORE = 1
_ENTRY = struct.Struct("<HHI")


class GrantError(SimulationError):
    """A grant operation the hypervisor refuses (wrong domain, revoked, still mapped...)."""


@dataclass(frozen=True, slots=True)
class GrantEntry:
    """One decoded entry: who may map which frame, and how."""

    ref: int
    flags: int
    domid: int
    frame: int

    @property
    def readonly(self) -> bool:
        return bool(self.flags & GTF_READONLY)

    @property
    def mapped(self) -> bool:
        return bool(self.flags & (GTF_READING | GTF_WRITING))


@dataclass(frozen=True, slots=True)
class Mapping:
    """A peer's mapping of a granted page: the handle to unmap it and the page itself (shared bytes)."""

    handle: int
    granter: int
    ref: int
    page: bytearray
    readonly: bool


class GrantTable:
    """One domain's grant table: entries as bytes, plus the count of live mappings per reference."""

    def __init__(self, domid: int, entries: int = 512) -> None:
        self.domid = domid
        self.raw = bytearray(entries * _ENTRY.size)
        self.maps: dict[int, int] = {}
        self._free = list(range(entries - 1, GNTTAB_RESERVED_XENSTORE, -1))

    @property
    def entries(self) -> int:
        return len(self.raw) // _ENTRY.size

    def entry(self, ref: int) -> GrantEntry:
        if not 0 <= ref < self.entries:
            raise GrantError(f"grant reference {ref} of domain {self.domid}: out of range (0..{self.entries - 1})")
        flags, domid, frame = _ENTRY.unpack_from(self.raw, ref * _ENTRY.size)
        return GrantEntry(ref, flags, domid, frame)

    def _store(self, ref: int, flags: int, domid: int, frame: int) -> None:
        _ENTRY.pack_into(self.raw, ref * _ENTRY.size, flags, domid, frame)

    def alloc_ref(self) -> int:
        """A free reference (``gnttab_alloc_grant_references``): never one of the reserved ones."""
        if not self._free:
            raise GrantError(f"domain {self.domid} has no free grant reference left")
        return self._free.pop()

    def grant_access(self, ref: int, domid: int, frame: int, *, readonly: bool = False) -> None:
        """Let ``domid`` map ``frame`` through ``ref`` (``gnttab_grant_foreign_access_ref``)."""
        if self.entry(ref).flags & GTF_PERMIT_ACCESS:
            raise GrantError(f"grant reference {ref} of domain {self.domid} is already in use")
        self._store(ref, GTF_PERMIT_ACCESS | (GTF_READONLY if readonly else 0), domid, frame)

    def end_access(self, ref: int) -> None:
        """Revoke ``ref`` (``gnttab_end_foreign_access_ref``): refused while a peer has it mapped."""
        e = self.entry(ref)
        if e.mapped or self.maps.get(ref):
            raise GrantError(
                f"grant reference {ref} of domain {self.domid} is still mapped by domain {e.domid}: "
                "it cannot be revoked until the peer unmaps it"
            )
        self._store(ref, 0, 0, 0)

    def release_ref(self, ref: int) -> None:
        """Give a revoked reference back to the free list."""
        if self.entry(ref).flags & GTF_PERMIT_ACCESS:
            raise GrantError(f"grant reference {ref} of domain {self.domid} is still granted: end access first")
        if ref > GNTTAB_RESERVED_XENSTORE and ref not in self._free:
            self._free.append(ref)

    # -- the hypervisor's side -------------------------------------------------

    def check_map(self, mapper: int, ref: int, readonly: bool) -> GrantEntry:
        e = self.entry(ref)
        if not e.flags & GTF_PERMIT_ACCESS:
            raise GrantError(f"domain {mapper} maps grant {ref} of domain {self.domid}: it is not granted")
        if e.domid != mapper:
            raise GrantError(
                f"domain {mapper} maps grant {ref} of domain {self.domid}: it is granted to domain {e.domid}"
            )
        if e.readonly and not readonly:
            raise GrantError(
                f"domain {mapper} maps grant {ref} of domain {self.domid} writable: it is granted read-only"
            )
        return e

    def mark_mapped(self, ref: int, readonly: bool) -> None:
        e = self.entry(ref)
        self.maps[ref] = self.maps.get(ref, 0) + 1
        self._store(ref, e.flags | (GTF_READING if readonly else GTF_WRITING), e.domid, e.frame)

    def mark_unmapped(self, ref: int) -> None:
        e = self.entry(ref)
        n = self.maps.get(ref, 0) - 1
        if n <= 0:
            self.maps.pop(ref, None)
            self._store(ref, e.flags & ~(GTF_READING | GTF_WRITING), e.domid, e.frame)
        else:
            self.maps[ref] = n
