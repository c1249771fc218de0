"""The values network devices hand a unikernel: read results, error variants, addresses, statistics.

OCaml's polymorphic variants become small frozen classes named like the
constructor, so a unikernel matches them with Python's ``match`` as it would
in OCaml::

    match await S.TCP.read(flow):           # S.TCP.read flow >>= function
        case Ok(Eof()): ...                  # | Ok `Eof -> ...
        case Ok(Data(buf)): ...              # | Ok (`Data b) -> ...
        case Error(e): ...                   # | Error e -> ... (S.TCP.pp_error)

Mapping (OCaml -> Python):

================================  ==========================================
```Data b`` / ```Eof``            ``Data(buf)`` / ``Eof()``
```Timeout`` ```Refused``         ``Timeout()`` ``Refused()`` (Tcpip.Tcp.error)
```Closed``                       ``Closed()`` (Mirage_flow.write_error)
```Not_ready``                    ``Not_ready()`` (write before ESTABLISHED)
```No_route s`` ```Would_fragment``  ``No_route(s)`` ``Would_fragment()`` (Tcpip.Ip.error)
```Exceeds_mtu``                  ``Exceeds_mtu()`` (Ethernet.S.error)
```Invalid_length`` ```Disconnected``  ``Invalid_length()`` ``Disconnected()`` (Mirage_net)
```Msg s``                        ``mirage_nb.sim.result.Msg(s)``
``Ipaddr.V4.t`` / ``V6.t``        ``ipaddress.IPv4Address`` / ``IPv6Address``
``Ipaddr.V4.Prefix.t``            ``ipaddress.IPv4Interface`` (address + prefix, as Ipaddr's prefix keeps the host part)
``Macaddr.t``                     ``Macaddr`` (6 bytes, printed ``02:00:..``)
``Mirage_net.stats``              ``Stats`` (mutable counters)
================================  ==========================================

``str(e)`` of an error is what the library's ``pp_error`` prints.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError

__all__ = [
    "Data",
    "Eof",
    "Timeout",
    "Refused",
    "Closed",
    "Not_ready",
    "No_route",
    "Would_fragment",
    "Exceeds_mtu",
    "Invalid_length",
    "Disconnected",
    "NetError",
    "Stats",
    "Macaddr",
    "Ipaddr",
    "IpAddr",
    "IpPrefix",
    "to_ip",
    "pp_error",
]

IpAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
IpPrefix = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(frozen=True, slots=True)
class Data:
    """Twin of ```Data buf``: bytes read from a flow (a ``memoryview``, as a Cstruct)."""

    buf: Any


@dataclass(frozen=True, slots=True)
class Eof:
    """Twin of ```Eof``: the peer closed its sending side; nothing more will be read."""


class NetError:
    """Base of the error variants; ``str`` gives the library's ``pp_error`` text."""

    __slots__ = ()
    text = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Timeout(NetError):
    """Twin of ```Timeout`` (Tcpip.Tcp.error, Arp.error)."""

    text = "connection attempt timed out"


@dataclass(frozen=True, slots=True)
class Refused(NetError):
    """Twin of ```Refused`` (Tcpip.Tcp.error)."""

    text = "connection attempt was refused"


@dataclass(frozen=True, slots=True)
class Closed(NetError):
    """Twin of ```Closed`` (Mirage_flow.write_error)."""

    text = "attempted to write to a closed flow"


@dataclass(frozen=True, slots=True)
class Not_ready(NetError):
    """Twin of Tcp.Flow's ```Not_ready``: a write before the connection is established."""

    text = "attempted to send data before connection was ready"


@dataclass(frozen=True, slots=True)
class No_route(NetError):
    """Twin of ```No_route s`` (Tcpip.Ip.error)."""

    reason: str = ""

    def __str__(self) -> str:
        return f"no route to destination: {self.reason}"


@dataclass(frozen=True, slots=True)
class Would_fragment(NetError):
    """Twin of ```Would_fragment`` (Tcpip.Ip.error)."""

    text = "would fragment"


@dataclass(frozen=True, slots=True)
class Exceeds_mtu(NetError):
    """Twin of ```Exceeds_mtu`` (Ethernet.S.error)."""

    text = "exceeds MTU"


@dataclass(frozen=True, slots=True)
class Invalid_length(NetError):
    """Twin of ```Invalid_length`` (Mirage_net.Net.error)."""

    text = "invalid length"


@dataclass(frozen=True, slots=True)
class Disconnected(NetError):
    """Twin of ```Disconnected`` (Mirage_net.Net.error)."""

    text = "device is disconnected"


def pp_error(ppf: Any, e: Any) -> None:
    """A ``%a`` printer for any error value (``S.TCP.pp_error`` and friends)."""
    ppf.string(str(e))


class Stats:
    """Twin of ``Mirage_net.stats``: frames and bytes received and sent."""

    __slots__ = ("rx_bytes", "rx_pkts", "tx_bytes", "tx_pkts")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.rx_bytes = 0
        self.rx_pkts = 0
        self.tx_bytes = 0
        self.tx_pkts = 0

    def __repr__(self) -> str:
        return f"Stats(rx={self.rx_pkts}/{self.rx_bytes}B, tx={self.tx_pkts}/{self.tx_bytes}B)"


@dataclass(frozen=True, slots=True)
class Macaddr:
    """Twin of ``Macaddr.t``: six bytes, printed ``02:00:00:00:00:01``."""

    raw: bytes

    def __str__(self) -> str:
        return ":".join(f"{b:02x}" for b in self.raw)

    @staticmethod
    def to_string(m: Macaddr) -> str:
        return str(m)

    @staticmethod
    def pp(ppf: Any, m: Macaddr) -> None:
        ppf.string(str(m))

    @staticmethod
    def of_string_exn(s: str) -> Macaddr:
        from mirage_nb.sim.net._base import mac

        return Macaddr(mac(s))


_RAW_IPS: dict[bytes, IpAddr] = {}
_RAW_IPS_MAX = 4096


def to_ip(x: Any) -> IpAddr:
    """An ``Ipaddr.t`` from a Python address, its text or its 4/16 raw bytes."""
    if isinstance(x, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return x
    if type(x) is bytes:
        # Per-packet path: the same few addresses come back again and again; addresses are immutable values.
        ip = _RAW_IPS.get(x)
        if ip is None:
            try:
                ip = ipaddress.ip_address(x)
            except ValueError:
                raise SimulationError(f"IP address {x!r}: expected 4 or 16 bytes") from None
            if len(_RAW_IPS) >= _RAW_IPS_MAX:
                _RAW_IPS.clear()
            _RAW_IPS[x] = ip
        return ip
    try:
        if isinstance(x, bytearray | memoryview):
            return ipaddress.ip_address(bytes(x))
        return ipaddress.ip_address(x)
    except ValueError:
        raise SimulationError(f"IP address {x!r}: expected an IPv4 or IPv6 address such as 10.0.0.2") from None


def _pp_str(ppf: Any, v: Any) -> None:
    ppf.string(str(v))


class _V4:
    """Twin of ``Ipaddr.V4``."""

    pp = staticmethod(_pp_str)
    to_string = staticmethod(str)
    any = ipaddress.IPv4Address("0.0.0.0")
    broadcast = ipaddress.IPv4Address("255.255.255.255")
    localhost = ipaddress.IPv4Address("127.0.0.1")

    @staticmethod
    def of_string_exn(s: str) -> ipaddress.IPv4Address:
        try:
            return ipaddress.IPv4Address(s)
        except ValueError:
            raise SimulationError(f"Ipaddr.V4.of_string_exn: {s!r} is not an IPv4 address") from None

    class Prefix:
        """Twin of ``Ipaddr.V4.Prefix``."""

        pp = staticmethod(_pp_str)
        to_string = staticmethod(str)

        @staticmethod
        def of_string_exn(s: str) -> ipaddress.IPv4Interface:
            try:
                return ipaddress.IPv4Interface(s)
            except ValueError:
                raise SimulationError(f"Ipaddr.V4.Prefix.of_string_exn: {s!r} is not an IPv4 prefix") from None

        @staticmethod
        def address(p: ipaddress.IPv4Interface) -> ipaddress.IPv4Address:
            return p.ip


class _V6:
    """Twin of ``Ipaddr.V6``."""

    pp = staticmethod(_pp_str)
    to_string = staticmethod(str)
    unspecified = ipaddress.IPv6Address("::")

    @staticmethod
    def of_string_exn(s: str) -> ipaddress.IPv6Address:
        try:
            return ipaddress.IPv6Address(s)
        except ValueError:
            raise SimulationError(f"Ipaddr.V6.of_string_exn: {s!r} is not an IPv6 address") from None

    class Prefix:
        """Twin of ``Ipaddr.V6.Prefix``."""

        pp = staticmethod(_pp_str)
        to_string = staticmethod(str)

        @staticmethod
        def of_string_exn(s: str) -> ipaddress.IPv6Interface:
            try:
                return ipaddress.IPv6Interface(s)
            except ValueError:
                raise SimulationError(f"Ipaddr.V6.Prefix.of_string_exn: {s!r} is not an IPv6 prefix") from None


class Ipaddr:
    """Twin of the ``Ipaddr`` library: ``Ipaddr.to_string``, ``Ipaddr.pp``, ``Ipaddr.V4``, ``Ipaddr.V6``."""

    V4 = _V4
    V6 = _V6
    pp = staticmethod(_pp_str)
    to_string = staticmethod(str)

    @staticmethod
    def of_string_exn(s: str) -> IpAddr:
        return to_ip(s)

    class Prefix:
        """Twin of ``Ipaddr.Prefix``."""

        pp = staticmethod(_pp_str)
        to_string = staticmethod(str)
