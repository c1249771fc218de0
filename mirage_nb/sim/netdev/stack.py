"""Whole stacks: ``Tcpip_stack_direct.MakeV4V6`` and the socket stack ``Tcpip_stack_socket.V4V6``.

The direct stack assembles the devices the graph connected before it and,
as mirage-tcpip does, starts its listening loop at connect time: frames from
the interface go through Ethernet to ARP, IPv4/IPv6, then ICMP, UDP or TCP.

The socket stack (``--net=host`` on unix) uses the host's kernel in MirageOS.
Here the "host" is a plain stack attached to the run's LAN on a port named
``host``: it answers ARP and pings and carries the unikernel's sockets, but
logs nothing (a kernel does not write to the unikernel's log). Its IPv4
address is the ``--ipv4`` given; the socket stack's default ``0.0.0.0/0``
("every address of the host") becomes :data:`HOST_DEFAULT_CIDR`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mirage_nb.sim.logs import Logs
from mirage_nb.sim.lwt import async_
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.ip import STACK_SRC, DualIp, Ipv4Device, Ipv6Device
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.link import SIZEOF_ETHERNET, ArpDevice, EthernetDevice, Netif
from mirage_nb.sim.netdev.transport import TcpDevice, UdpDevice
from mirage_nb.sim.result import Error
from mirage_nb.sim.run import current_run

__all__ = [
    "StackDevice",
    "HostStack",
    "SocketStack",
    "HOST_DEFAULT_CIDR",
    "host_stack",
    "connect_direct_stack",
    "STACK_MODULE",
]

HOST_DEFAULT_CIDR = "10.0.0.2/24"
"""The host's address on the LAN when the socket stack is given ``0.0.0.0/0``."""


class StackDevice:
    """Twin of ``Tcpip_stack_direct.MakeV4V6``: ``tcp``, ``udp``, ``ip``, ``listen``, ``disconnect``."""

    def __init__(self, netif: Any, ethernet: Any, arp: Any, ip: Any, icmpv4: Any, udp: Any, tcp: Any) -> None:
        self.netif = netif
        self.ethernet = ethernet
        self.arp = arp
        self._ip = ip
        self.icmpv4 = icmpv4
        self._udp = udp
        self._tcp = tcp

    @classmethod
    async def connect(
        cls, netif: Any, ethernet: Any, arp: Any, ip: Any, icmpv4: Any, udp: Any, tcp: Any
    ) -> StackDevice:
        t = cls(netif, ethernet, arp, ip, icmpv4, udp, tcp)
        Logs.info("Dual TCP/IP stack assembled: %s", t.describe(), src=STACK_SRC)
        async_(t._listen_loop())
        return t

    def describe(self) -> str:
        """What ``pp`` prints: ``mac=..,ip=..``."""
        ips = ", ".join(str(p) for p in self._ip.configured_ips())
        return f"mac={self.ethernet.mac()},ip={ips}"

    def tcp(self) -> Any:
        return self._tcp

    def udp(self) -> Any:
        return self._udp

    def ip(self) -> Any:
        return self._ip

    def _handler(self) -> Any:
        icmp = self.icmpv4

        async def default(*, proto: int, src: Any, dst: Any, buf: Any) -> None:
            if proto == 1 and src.version == 4:
                await icmp.input(src, dst, buf)

        ipin = self._ip.input(tcp=self._tcp.input, udp=self._udp.input, default=default)
        return self.ethernet.input(arpv4=self.arp.input, ipv4=ipin, ipv6=ipin)

    async def _listen_loop(self) -> None:
        Logs.debug("Establishing or updating listener for stack %s", self.describe(), src=STACK_SRC)
        r = await self.netif.listen(SIZEOF_ETHERNET, self._handler())
        if isinstance(r, Error):
            Logs.warn("%s", str(r.error), src=STACK_SRC)
            return
        st = self.netif.get_stats_counters()
        Logs.info(
            "listening loop of interface %s terminated regularly: %d bytes (%d packets) received, "
            "%d bytes (%d packets) sent ",
            str(self.netif.mac()),
            st.rx_bytes,
            st.rx_pkts,
            st.tx_bytes,
            st.tx_pkts,
            src=STACK_SRC,
        )

    async def listen(self) -> None:
        """``listen t``: returns when the interface stops (never, on a live LAN)."""
        await self.netif._stopped

    async def disconnect(self) -> None:
        Logs.info("Dual TCP/IP stack disconnected: %s", self.describe(), src=STACK_SRC)
        await self.netif.disconnect()


class HostStack:
    """The simulated host kernel behind the socket stack: a quiet direct stack on the LAN port ``host``."""

    def __init__(self, lan: VirtualLan, cidr4: Any, cidr6: Any, ipv4_only: bool, ipv6_only: bool) -> None:
        run = lan.run
        self.netif = Netif(lan, "host")
        self.ethernet = EthernetDevice(self.netif)
        self.arp = ArpDevice(self.ethernet)
        c4 = ipaddress.IPv4Interface(cidr4)
        if c4.network.prefixlen == 0 and c4.ip == ipaddress.IPv4Address(0):
            c4 = ipaddress.IPv4Interface(HOST_DEFAULT_CIDR)
        self.ipv4 = Ipv4Device(self.ethernet, self.arp, c4)
        self.arp.apply(self.ipv4.layer.start(run.now))
        self.ipv6 = Ipv6Device(
            self.netif, self.ethernet, None if cidr6 is None else ipaddress.IPv6Interface(cidr6), True
        )
        self.ip = DualIp(self.ipv4, self.ipv6, ipv4_only, ipv6_only)
        self.udp = UdpDevice(self.ip)
        self.tcp = TcpDevice(self.ip)
        stack = StackDevice(self.netif, self.ethernet, self.arp, self.ip, _HostIcmp(self.ip), self.udp, self.tcp)
        async_(self.netif.listen(SIZEOF_ETHERNET, stack._handler()))


class _HostIcmp:
    def __init__(self, ip: Any) -> None:
        from mirage_nb.sim.netdev.ip import Icmpv4Device

        self._icmp = Icmpv4Device(ip)

    async def input(self, src: Any, dst: Any, buf: Any) -> None:
        # A kernel answers pings without logging.
        from mirage_nb.sim.net.icmpv4 import ECHO_REQUEST, decode_icmpv4, encode_echo

        try:
            msg = decode_icmpv4(bytes(buf))
        except Exception:
            return
        if msg.type == ECHO_REQUEST:
            self._icmp.ip.output(src, 1, encode_echo(False, msg.ident, msg.seq, msg.payload))


def host_stack(*, ipv4: Any, ipv6: Any, ipv4_only: bool, ipv6_only: bool) -> HostStack:
    """The run's host stack (made on first use: the UDP and TCP socket devices share it)."""
    run = current_run()
    h = run.devices.get("netdev.host")
    if h is None:
        h = HostStack(VirtualLan.of_run(run), ipv4, ipv6, ipv4_only, ipv6_only)
        run.devices["netdev.host"] = h
    return h


class SocketStack:
    """Twin of ``Tcpip_stack_socket.V4V6``: the host's UDP and TCP sockets as a stack."""

    def __init__(self, udp: Any, tcp: Any) -> None:
        self._udp = udp
        self._tcp = tcp
        self._stop, self._stopper = wait_any()

    @classmethod
    async def connect(cls, udp: Any, tcp: Any) -> SocketStack:
        return cls(udp, tcp)

    def tcp(self) -> Any:
        return self._tcp

    def udp(self) -> Any:
        return self._udp

    def ip(self) -> Any:
        return self._tcp.ip

    async def listen(self) -> None:
        await self._stop

    async def disconnect(self) -> None:
        return None


def _stack_module() -> Any:
    from mirage_nb.sim.netdev._module import DeviceModule

    return DeviceModule(
        "Tcpip_stack_direct.MakeV4V6",
        TCP=DeviceModule("Tcp.Flow.Make"),
        UDP=DeviceModule("Udp.Make"),
        IP=DeviceModule("Tcpip_stack_direct.IPV4V6"),
    )


STACK_MODULE = _stack_module()
"""The module ``S`` a ``Unikernel.Main (S : Tcpip.Stack.V4V6)`` receives (``S.TCP.read``, ``S.UDP.write``...)."""


async def connect_direct_stack(
    *,
    interface: str = "tap0",
    ipv4: str | None = "10.0.0.2/24",
    gateway: str | None = None,
    ipv6: str | None = None,
    dhcp: bool = False,
    ipv4_only: bool = False,
    ipv6_only: bool = False,
    utcp: bool = False,
    mac: bytes | None = None,
    profile: Any = None,
    tcp_config: Any = None,
) -> StackDevice:
    """Connect a whole direct stack on the current run's LAN, in ``main.ml``'s order, without a boot.

    What ``generic_stackv4v6 default_network`` connects, for scripts and
    tests that run two simulated stacks in one run: ``dhcp=True`` asks for a
    lease (``ipv4`` is then ignored), ``profile`` is the port's link profile.
    """
    from mirage_nb.sim.netdev.ip import DhcpIpv4Device, Icmpv4Device
    from mirage_nb.sim.netdev.kinds import _declare_log_sources

    _declare_log_sources()
    netif = await Netif.connect(interface, mac=mac, profile=profile)
    eth = await EthernetDevice.connect(netif)
    arp = await ArpDevice.connect(eth)
    tap: Any = netif
    if dhcp:
        d = await DhcpIpv4Device.connect(netif, eth, arp, no_init=ipv6_only, hostname=interface)
        tap, v4 = d.net(), d.ipv4()
    else:
        v4 = await Ipv4Device.connect(eth, arp, cidr=ipv4, gateway=gateway, no_init=ipv6_only)
    v6 = await Ipv6Device.connect(tap, eth, no_init=ipv4_only, cidr=ipv6)
    ip = await DualIp.connect(v4, v6, ipv4_only=ipv4_only, ipv6_only=ipv6_only)
    icmp = await Icmpv4Device.connect(v4)
    udp = await UdpDevice.connect(ip)
    tcp = (
        TcpDevice.connect_utcp("service", ip, config=tcp_config)
        if utcp
        else await TcpDevice.connect(ip, config=tcp_config)
    )
    return await StackDevice.connect(tap, eth, arp, ip, icmp, udp, tcp)
