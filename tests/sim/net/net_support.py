"""Addresses and helpers shared by the network-layer tests."""

from __future__ import annotations

from mirage_nb.sim.net._base import Step
from mirage_nb.sim.net.arp import PROBE_DELAY, ArpPacket, decode_arp
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, decode_ethernet

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
MAC_C = bytes.fromhex("020000000003")
IP_A = bytes([10, 0, 0, 1])
IP_B = bytes([10, 0, 0, 2])
IP_C = bytes([10, 0, 0, 3])


def tick_time(k: int) -> int:
    """Virtual time of the k-th ARP tick of a cache created at 0."""
    return k * PROBE_DELAY


def arp_frames(step: Step) -> list[tuple[bytes, ArpPacket]]:
    """The ARP messages a step sends, with their Ethernet destination."""
    out = []
    for f in step.frames:
        eth = decode_ethernet(f)
        assert eth.ethertype == ETHERTYPE_ARP
        out.append((eth.dst, decode_arp(eth.payload)))
    return out
