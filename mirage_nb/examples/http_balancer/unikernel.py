"""The front of a self-scaling web service: a least-loaded HTTP balancer with a control port.

Port 80: each connection's request (up to the blank line) is sent to the
web instance with the fewest requests in flight (the first such in the pool's
order on a tie), over a new TCP connection; the instance's whole answer (it
closes when done) is sent back, and the client's connection closed. With no
instance in the pool, or when the chosen one cannot be reached, the client
gets ``503 Service Unavailable``.

``--control`` (8080): a line protocol for the orchestrator, one answer line
per command: ``ADD <ip>`` and ``REMOVE <ip>`` change the pool (a removed
instance gets no new request; those in flight finish: it *drains*), ``STATS``
answers ``pool <ip,ip...> in_flight <n> served <n> failed <n>``.
``--backends`` is the pool at boot (comma-separated addresses).
"""

from typing import Any

from mirage_nb.unikernel import Arg, Data, Eof, Error, Ipaddr, Logs, Mirage_runtime, Ok

backends = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "", Arg.info(["backends"], doc="The web instances at boot, comma-separated.")))
)
control = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 8080, Arg.info(["control"], doc="The TCP port of the control protocol.")))
)

src = Logs.Src.create("balancer", doc="The HTTP balancer")
Log = Logs.src_log(src)

UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class Main:
    """``module Main (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, S: Any) -> None:  # noqa: N803 - the functor's module argument
        self.S = S

    async def start(self, s: Any) -> None:
        S = self.S  # noqa: N806
        tcp = S.tcp(s)
        pool: list[str] = [b for b in backends().split(",") if b]
        in_flight: dict[str, int] = dict.fromkeys(pool, 0)
        counts = {"served": 0, "failed": 0}

        async def read_until(flow: Any, buf: bytes, end: bytes | None) -> tuple[bytes, bool]:
            """Read into ``buf`` until ``end`` is in it (``None``: until the other side closes); False on EOF first."""
            while end is None or end not in buf:
                match await S.TCP.read(flow):
                    case Ok(Data(b)):
                        buf += bytes(b)
                    case Ok(Eof()) | Error(_):
                        return buf, end is None
            return buf, True

        async def forward(request: bytes) -> bytes:
            if not pool:
                return UNAVAILABLE
            ip = min(pool, key=lambda b: in_flight[b])
            in_flight[ip] += 1
            try:
                match await S.TCP.create_connection(tcp, (Ipaddr.of_string_exn(ip), 80)):
                    case Error(_):
                        counts["failed"] += 1
                        return UNAVAILABLE
                    case Ok(up):
                        pass
                await S.TCP.write(up, request)
                answer, _ = await read_until(up, b"", None)
                await S.TCP.close(up)
                counts["served"] += 1
                return answer
            finally:
                in_flight[ip] -= 1
                if ip not in pool and in_flight[ip] == 0:
                    del in_flight[ip]
                    Log.info(lambda f: f("drained %s", ip))

        async def on_client(flow: Any) -> None:
            request, ok = await read_until(flow, b"", b"\r\n\r\n")
            if ok:
                await S.TCP.write(flow, await forward(request))
            await S.TCP.close(flow)

        def command(line: str) -> str:
            verb, _, arg = line.partition(" ")
            match verb.upper():
                case "ADD":
                    if arg not in pool:
                        pool.append(arg)
                        in_flight.setdefault(arg, 0)
                        Log.info(lambda f: f("added %s: pool %s", arg, ",".join(pool)))
                    return "OK " + ",".join(pool)
                case "REMOVE":
                    if arg in pool:
                        pool.remove(arg)
                        Log.info(lambda f: f("removed %s: pool %s", arg, ",".join(pool)))
                        if in_flight.get(arg) == 0:
                            del in_flight[arg]
                    return "OK " + ",".join(pool)
                case "STATS":
                    busy = sum(in_flight.values())
                    return f"pool {','.join(pool)} in_flight {busy} served {counts['served']} failed {counts['failed']}"
                case _:
                    return f"ERR unknown command {verb!r}"

        async def on_control(flow: Any) -> None:
            buf = b""
            while True:
                buf, ok = await read_until(flow, buf, b"\n")
                if not ok:
                    await S.TCP.close(flow)
                    return
                line, buf = buf.split(b"\n", 1)
                await S.TCP.write(flow, (command(line.decode().strip()) + "\n").encode())

        S.TCP.listen(tcp, port=80, callback=on_client)
        S.TCP.listen(tcp, port=control(), callback=on_control)
        Log.info(lambda f: f("balancing 80/TCP over %s; control on %d/TCP", ",".join(pool) or "nothing", control()))
        await S.listen(s)
