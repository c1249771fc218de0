"""An authoritative DNS server: the zone ``example.org`` from kv_ro, answered on port 53 (UDP and TCP).

The shape of ocaml-dns's ``Dns_server_mirage.Make (S).primary``: the zone
file is parsed at start (``Dns_zone.parse``), a ``Dns_server.Primary`` is
made from it, and each query is answered by that pure, sans-IO server
(``server.handle``); each answer is logged
at debug level (``-l dns-server:debug``), a broken zone stops the unikernel.
"""

from mirage_nb.unikernel import (
    Answered,
    Data,
    Dns_server,
    Dns_zone,
    Error,
    Logs,
    Mirage_kv,
    Ok,
    TcpDnsReader,
    failwith,
    frame_tcp,
)

src = Logs.Src.create("dns-server", "DNS server")
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
                match Dns_zone.parse(text, ZONE + ".", filename=ZONE):
                    case Error(e):
                        failwith(str(e))
                    case Ok(zone):
                        pass
        server = Dns_server.Primary.create([zone])
        Logs.info(lambda m: m("serving %s (%d names)", ZONE, len(zone.nodes)), src=src)

        def log(a, peer):
            Logs.debug(lambda m: m("%s: %s %s -> %s", peer, a.qname, a.qtype, a.rcode), src=src)

        def answer(buf, peer, proto):
            a = server.handle(bytes(buf), tcp=proto == "tcp")
            if isinstance(a, Answered):
                log(a, peer)
                return a.wire
            return None

        async def on_udp(*, src, dst, src_port, buf):  # noqa: A002 - the OCaml label
            wire = answer(buf, f"{src}:{src_port}", "udp")
            if wire is not None:
                await S.UDP.write(S.udp(s), wire, src=dst, dst=src, dst_port=src_port, src_port=53)

        async def on_tcp(flow):
            reader = TcpDnsReader()
            while True:
                match await S.TCP.read(flow):
                    case Ok(Data(buf)):
                        for q in reader.feed(bytes(buf)):
                            wire = answer(q, "tcp", "tcp")
                            if wire is not None:
                                await S.TCP.write(flow, frame_tcp(wire))
                    case _:
                        await S.TCP.close(flow)
                        return

        S.UDP.listen(S.udp(s), port=53, callback=on_udp)
        S.TCP.listen(S.tcp(s), port=53, callback=on_tcp)
        await S.listen(s)
