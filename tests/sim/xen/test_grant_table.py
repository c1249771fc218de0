"""Grant-table rules: who may map a page, read-only grants, and no revoking while mapped; event channels."""

from __future__ import annotations

import struct

import pytest

from mirage_nb.sim.xen.event_channel import EventChannelError, EventChannels
from mirage_nb.sim.xen.grant_table import GTF_PERMIT_ACCESS, GTF_READONLY, GTF_WRITING, GrantError
from mirage_nb.sim.xen.hypervisor import Hypervisor


@pytest.fixture
def hv() -> Hypervisor:
    h = Hypervisor()
    for d in (0, 5, 7):
        h.create_domain(d, f"d{d}", 64)
    return h


def test_entry_is_the_v1_layout_in_the_table_bytes(hv):
    gt = hv.grant_tables[5]
    frame, _ = hv.alloc_page(5)
    ref = gt.alloc_ref()
    assert ref > 1  # 0 and 1 are reserved for the console and xenstore
    gt.grant_access(ref, 0, frame, readonly=True)
    assert struct.unpack_from("<HHI", gt.raw, ref * 8) == (GTF_PERMIT_ACCESS | GTF_READONLY, 0, frame)


def test_map_shares_the_page_and_marks_the_entry(hv):
    gt = hv.grant_tables[5]
    frame, page = hv.alloc_page(5)
    ref = gt.alloc_ref()
    gt.grant_access(ref, 0, frame)
    m = hv.map_grant(0, 5, ref)
    m.page[0:5] = b"hello"
    assert page[0:5] == b"hello"
    assert gt.entry(ref).flags & GTF_WRITING


def test_only_the_named_domain_may_map(hv):
    gt = hv.grant_tables[5]
    frame, _ = hv.alloc_page(5)
    ref = gt.alloc_ref()
    gt.grant_access(ref, 0, frame)
    with pytest.raises(GrantError, match="granted to domain 0"):
        hv.map_grant(7, 5, ref)
    with pytest.raises(GrantError, match="not granted"):
        hv.map_grant(0, 5, ref + 1)


def test_read_only_grant_refuses_a_writable_mapping(hv):
    gt = hv.grant_tables[5]
    frame, _ = hv.alloc_page(5)
    ref = gt.alloc_ref()
    gt.grant_access(ref, 0, frame, readonly=True)
    with pytest.raises(GrantError, match="read-only"):
        hv.map_grant(0, 5, ref)
    hv.map_grant(0, 5, ref, readonly=True)


def test_revoke_refused_while_mapped_allowed_after_unmap(hv):
    gt = hv.grant_tables[5]
    frame, _ = hv.alloc_page(5)
    ref = gt.alloc_ref()
    gt.grant_access(ref, 0, frame)
    m1 = hv.map_grant(0, 5, ref)
    m2 = hv.map_grant(0, 5, ref)
    with pytest.raises(GrantError, match="still mapped"):
        gt.end_access(ref)
    hv.unmap_grant(0, m1)
    with pytest.raises(GrantError, match="still mapped"):
        gt.end_access(ref)
    hv.unmap_grant(0, m2)
    gt.end_access(ref)
    with pytest.raises(GrantError):
        hv.map_grant(0, 5, ref)
    gt.release_ref(ref)
    with pytest.raises(GrantError):
        hv.unmap_grant(0, m2)  # twice


def test_event_channel_bind_rules_and_coalescing():
    ev = EventChannels()
    p = ev.alloc_unbound(5, remote_domid=0)
    with pytest.raises(EventChannelError, match="allocated for domain 0"):
        ev.bind_interdomain(7, 5, p)
    q = ev.bind_interdomain(0, 5, p)
    with pytest.raises(EventChannelError, match="already bound"):
        ev.bind_interdomain(0, 5, p)
    assert ev.notify(0, q) == (5, p)
    assert ev.notify(0, q) is None  # already pending: collapses into one upcall
    assert ev.clear(5, p) is True
    assert ev.notify(0, q) == (5, p)
    ev.get(0, q).masked = True
    ev.clear(0, q)
    assert ev.notify(5, p) is None  # masked: pending, no upcall
    assert ev.get(0, q).pending
    ev.close(5, p)
    assert ev.notify(0, q) is None  # the peer went away: back to unbound
