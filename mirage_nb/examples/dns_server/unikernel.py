"""An authoritative DNS server: the zone ``example.org`` from kv_ro, answered on port 53 (UDP and TCP).

The shape of ocaml-dns's ``Dns_server_mirage.Make (S).primary``: the zone
file is parsed at start (``Dns_zone.parse``), a ``Dns_server.Primary`` is
made from it, and each query is answered by the pure server
(:class:`~mirage_nb.sim.net.dns_server.DnsPrimary`); each answer is logged
at debug level (``-l dns-server:debug``), a broken zone stops the unikernel.
"""

from mirage_nb.sim.logs import Src
from mirage_nb.sim.net.dns import TcpDnsReader, frame_tcp, parse_zone
from mirage_nb.sim.net.dns_server import Answered, DnsPrimary
from mirage_nb.sim.netdev import Data
from mirage_nb.unikernel import Error, Logs, Mirage_kv, Ok, failwith

src = Src("dns-server", "DNS server")
ZONE = "example.org"


class Main:
    """``module Main (KV : Mirage_kv.RO) (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, KV, S):  # noqa: N803 - the functor's module arguments
        self.KV = KV
        self.S = S

    async def start(self, kv, s):
        KV, S = self.KV, self.S  # noqa: N806
        match await KV.get(kv, Mirage_kv.Key.v(ZONE)):
            case Error(e):
                failwith(f"couldn't read the zone {ZONE}: {e}")
            case Ok(text):
                zone = parse_zone(text, ZONE + ".", filename=ZONE)
        server = DnsPrimary([zone])
        Logs.info(lambda m: m("serving %s (%d names)", ZONE, len(zone.nodes)), src=src)

        def log(a, peer):
            Logs.debug(lambda m: m("%s: %s %s -> %s", peer, a.qname, a.qtype, a.rcode), src=src)

        async def on_udp(*, src, dst, src_port, buf):  # noqa: A002 - the OCaml label
            a = server.handle(bytes(buf))
            if isinstance(a, Answered):
                log(a, f"{src}:{src_port}")
                await S.UDP.write(S.udp(s), a.wire, src=dst, dst=src, dst_port=src_port, src_port=53)

        async def on_tcp(flow):
            reader = TcpDnsReader()
            while True:
                match await S.TCP.read(flow):
                    case Ok(Data(buf)):
                        for q in reader.feed(bytes(buf)):
                            a = server.handle(q, tcp=True)
                            if isinstance(a, Answered):
                                log(a, "tcp")
                                await S.TCP.write(flow, frame_tcp(a.wire))
                    case _:
                        await S.TCP.close(flow)
                        return

        S.UDP.listen(S.udp(s), port=53, callback=on_udp)
        S.TCP.listen(S.tcp(s), port=53, callback=on_tcp)
        await S.listen(s)
