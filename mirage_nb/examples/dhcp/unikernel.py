"""Twin of mirage-skeleton applications/dhcp: a charrua DHCP server on the raw network device.

Frames for our MAC (or not unicast) that carry DHCP go to
``Dhcp_server.Input.input_pkt`` with the lease database and the monotonic
time in seconds; replies are written back on the device, ARP goes to an ARP
layer that answers for 192.168.1.5. Each outcome is logged as the OCaml
unikernel logs it.
"""

from mirage_nb.unikernel import (
    Arp,
    Dhcp_server,
    Dhcp_wire,
    Duration,
    Error,
    Ethernet,
    Logs,
    Mirage_mtime,
    Not_dhcp,
    Ok,
    local_library,
)

DC = local_library(__file__, "dhcp_config")
Input = Dhcp_server.Input


class Main:
    """``module Main (N : Mirage_net.S)``."""

    def __init__(self, N):  # noqa: N803 - the functor's module argument
        self.N = N

    def of_interest(self, dest, net):
        return dest.raw == self.N.mac(net).raw or dest.raw[0] & 1 == 1

    async def input_dhcp(self, net, config, leases, buf):
        N = self.N  # noqa: N806
        match Dhcp_wire.pkt_of_buf(buf, len(buf)):
            case Error(Not_dhcp()):
                return leases
            case Error(e):
                Logs.err(lambda m: m("Can't parse packet: %s", str(e)))
                return leases
            case Ok(pkt):
                now = Duration.to_sec(Mirage_mtime.elapsed_ns())
                match Input.input_pkt(config, leases, pkt, now):
                    case Input.Silence():
                        return leases
                    case Input.Update(_, leases):
                        Logs.info(lambda m: m("Received packet %s - updated lease database", Dhcp_wire.pp_pkt(pkt)))
                        return leases
                    case Input.Warning(w):
                        Logs.warn(lambda m: m("%s", w))
                        return leases
                    case Input.Error(e):
                        Logs.err(lambda m: m("%s", e))
                        return leases
                    case Input.Reply(reply, _, leases):
                        Logs.info(lambda m: m("Received packet %s", Dhcp_wire.pp_pkt(pkt)))
                        await N.write(
                            net, size=N.mtu(net) + Ethernet.Packet.sizeof_ethernet, fill=Dhcp_wire.pkt_into_buf(reply)
                        )
                        Logs.info(lambda m: m("Sent reply packet %s", Dhcp_wire.pp_pkt(reply)))
                        return leases

    async def start(self, net):
        N = self.N  # noqa: N806
        E = Ethernet.Make(self.N)  # module E = Ethernet.Make (N)
        A = Arp.Make(E)  # module A = Arp.Make (E)
        e = await E.connect(net)
        a = await A.connect(e)
        await a.add_ip(DC.ip_address)
        config = Dhcp_server.Config.make(
            hostname=DC.hostname,
            default_lease_time=DC.default_lease_time,
            max_lease_time=DC.max_lease_time,
            hosts=DC.hosts,
            addr_tuple=(DC.ip_address, N.mac(net).raw),
            network=DC.network,
            range=DC.range,
            options=DC.options,
        )
        leases = [Dhcp_server.Lease.make_db()]

        async def on_frame(buf):
            match Ethernet.Packet.of_cstruct(buf):
                case Error(s):
                    Logs.err(lambda m: m("Can't parse packet: %s", s))
                case Ok((header, payload)):
                    if self.of_interest(header.destination, net) and Dhcp_wire.is_dhcp(buf, len(buf)):
                        leases[0] = await self.input_dhcp(net, config, leases[0], buf)
                    elif header.ethertype == "ARP":
                        await a.input(payload)

        match await N.listen(net, header_size=Ethernet.Packet.sizeof_ethernet, fn=on_frame):
            case Ok(_):
                Logs.info(lambda m: m("done!"))
            case Error(err):
                Logs.err(lambda m: m("network listen failed! %a", N.pp_error, err))
