"""Twin of mirage-skeleton device-usage/ping6: an IPv6 host on a raw interface.

The unikernel listens on the network device itself and hands frames to the
Ethernet layer: ARP and IPv4 frames are reported as errors, IPv6 goes to the
IPv6 layer, which answers neighbour solicitations and echo requests (ping6)
by itself; TCP and UDP packets are logged with their addresses, other
protocols as errors.
"""

from mirage_nb.unikernel import Ethernet, Ipaddr, Logs, Lwt, Ok


class Main:
    """``module Main (N : Mirage_net.S) (E : Ethernet.S) (I : Tcpip.Ip.S with type ipaddr = Ipaddr.V6.t)``."""

    def __init__(self, N, E, I):
        self.N, self.E, self.I = N, E, I

    async def start(self, n, e, i):
        N, E, I = self.N, self.E, self.I

        def handler(kind):
            def on_packet(*, src, dst, buf):
                Logs.warn(lambda m: m("%a > %a %s", Ipaddr.V6.pp, src, Ipaddr.V6.pp, dst, kind))
                return Lwt.return_unit()

            return on_packet

        def on_arp(_buf):
            Logs.err(lambda m: m("ARP4"))
            return Lwt.return_unit()

        def on_ipv4(_buf):
            Logs.err(lambda m: m("IP4"))
            return Lwt.return_unit()

        def on_other(*, proto, src, dst, buf):
            Logs.err(lambda m: m("%d DEFAULT", proto))
            return Lwt.return_unit()

        on_ipv6 = I.input(i, tcp=handler("TCP"), udp=handler("UDP"), default=on_other)
        frames = E.input(e, arpv4=on_arp, ipv4=on_ipv4, ipv6=on_ipv6)
        result = await N.listen(n, header_size=Ethernet.Packet.sizeof_ethernet, fn=frames)
        match result:
            case Ok(_):
                Logs.info(lambda m: m("done!"))
            case _:
                Logs.err(lambda m: m("ipv6 ping failed!"))
