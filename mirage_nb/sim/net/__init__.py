"""The simulated network stack: sans-IO protocol machines over real wire formats.

Each protocol is a pure state machine in the style of h11 and utcp: it is
given the virtual time ``now`` (integer nanoseconds) and an input, and
returns a frozen :class:`~mirage_nb.sim.net._base.Step` of (events, frames to
send, next deadline). No socket, clock or event loop lives inside.

Modules, bottom up (MirageOS twin in brackets):

- ``checksum``: the Internet checksum (RFC 1071).
- ``ethernet``: Ethernet II codec [ethernet].
- ``arp``: ARP codec and ``ArpCache`` [arp's ``Arp_handler``].
- ``ipv4``: codec, fragmentation, ``Reassembler``, ``Ipv4Layer`` routing via ARP
  [tcpip's ``Static_ipv4``, ``Fragments``, ``Routing``]; ``pseudo_header_v4``.
- ``icmpv4``: codec and echo replies [``Icmpv4``].
- ``ipv6``: codec with extension-header skipping; ``pseudo_header_v6``.
- ``icmpv6``: ICMPv6 and Neighbour Discovery codec, ``Ipv6Layer`` [``Ndpv6``, cut down].
- ``udp``: codec over v4/v6 and ``UdpDemux`` [``Udp``].
- ``dhcp``, ``dhcp_client``, ``dhcp_charrua``: BOOTP/DHCP codec, client
  [charrua's ``Dhcp_client`` driven as ``Dhcp_ipv4`` does], charrua's server.
- ``dns``, ``dns_compiled``, ``dns_server``, ``dns_client``: DNS wire format and zones
  (dnspython), a zone kept in wire form, the authoritative server, the stub resolver [ocaml-dns].
- ``tls``: TLS over memory BIOs (Python's ``ssl``) [ocaml-tls].
- ``syslog``: RFC 3164 lines and stream framings as logs-syslog writes them [syslog-message].
- ``host``: the above composed into one interface's stack below TCP.
- ``switch``: a learning switch with per-link latency, bandwidth and seeded loss.
- ``lan``: a tiny deterministic scheduler running endpoints over a switch.
- ``pcap``: classic pcap writer and reader with virtual timestamps.
- ``tcp``: TCP (its own package).

Deliberate departures from MirageOS, in one place:

- ARP only asks for timer calls while it holds dynamic or pending entries;
  idle ticks are skipped arithmetically (same epochs as MirageOS's endless tick).
- IPv4 datagram identifiers count up from 0 per interface (MirageOS draws
  them at random); this keeps runs reproducible without a generator.
- The DHCP client takes the server identifier from option 54 when present
  (charrua uses the offer's ``siaddr``); the fallback is ``siaddr``.
- IPv6: no duplicate address detection, no router solicitation at start,
  no STALE/DELAY/PROBE neighbour states, no reassembly, no redirects.
- UDP to a closed port is dropped silently, as MirageOS does (no ICMP port
  unreachable), and reported as a ``Dropped`` event.
- The switch learns a source MAC when a frame is sent rather than when it
  arrives (the arrival time is known in advance).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def protocols() -> list[ModuleType]:
    """The simulator's network protocols (Ethernet, ARP, IPv4, TCP...): pure state machines, one module each."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
        if not info.name.startswith("_")
    ]
