"""One web instance: answers every HTTP request with a short page, one request at a time.

Each request takes ``--service-ms`` of virtual time (the work a real page
would cost), and requests wait their turn in arrival order, so one instance
serves at most ``1000 / service-ms`` requests a second and the waiting time
grows when more arrive: what the balancer in front spreads, and what the
orchestrator watches. The page says which instance (``--instance``) served it.
"""

from typing import Any

from mirage_nb.unikernel import Arg, Data, Eof, Error, Logs, Mirage_mtime, Mirage_runtime, Mirage_sleep, Ok

service_ms = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 100, Arg.info(["service-ms"], doc="Virtual milliseconds of work per request.")))
)
instance = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "web", Arg.info(["instance"], doc="This instance's name, in its pages.")))
)

src = Logs.Src.create("web_server", doc="A web instance")
Log = Logs.src_log(src)


class Main:
    """``module Main (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, S: Any) -> None:  # noqa: N803 - the functor's module argument
        self.S = S

    async def start(self, s: Any) -> None:
        S = self.S  # noqa: N806
        busy_until = 0  # when the request being served (and those queued) will be done
        served = 0

        async def on_connect(flow: Any) -> None:
            nonlocal busy_until, served
            buf = b""
            while b"\r\n\r\n" not in buf:
                match await S.TCP.read(flow):
                    case Ok(Data(b)):
                        buf += bytes(b)
                    case Ok(Eof()) | Error(_):
                        await S.TCP.close(flow)
                        return
            now = Mirage_mtime.elapsed_ns()
            done = max(now, busy_until) + service_ms() * 1_000_000
            busy_until = done
            await Mirage_sleep.ns(done - now)
            served += 1
            body = f"served by {instance()} (request {served})\n".encode()
            head = f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            await S.TCP.write(flow, head + body)
            await S.TCP.close(flow)

        S.TCP.listen(S.tcp(s), port=80, callback=on_connect)
        Log.info(lambda f: f("%s: serving on 80/TCP, %d ms a request", instance(), service_ms()))
        await S.listen(s)
