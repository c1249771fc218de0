"""Network devices for simulated unikernels: the MirageOS-facing async shells over ``sim.net``'s machines."""

from mirage_nb.sim.netdev.values import (
    Closed,
    Data,
    Disconnected,
    Eof,
    Exceeds_mtu,
    Invalid_length,
    Ipaddr,
    Macaddr,
    No_route,
    Not_ready,
    Refused,
    Stats,
    Timeout,
    Would_fragment,
)

__all__ = [
    "Closed",
    "Data",
    "Disconnected",
    "Eof",
    "Exceeds_mtu",
    "Invalid_length",
    "Ipaddr",
    "Macaddr",
    "No_route",
    "Not_ready",
    "Refused",
    "Stats",
    "Timeout",
    "Would_fragment",
]
