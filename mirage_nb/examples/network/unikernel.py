"""Twin of mirage-skeleton device-usage/network: a TCP listener on --port (8080 by default).

Each connection logs where it comes from, reads once, and either logs the end
of the stream, a read error, or (at debug level) what it read, then closes.
The stack is whatever ``generic_stackv4v6 default_network`` chose at boot.
"""

from mirage_nb.unikernel import Arg, Cstruct, Data, Eof, Error, Ipaddr, Logs, Mirage_runtime, Ok

_port_doc = Arg.info(["port"], doc="The TCP port on which to listen for incoming connections.")
port = Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.int, 8080, _port_doc)))


class Main:
    """``module Main (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S

        async def on_connect(flow):
            dst, dst_port = S.TCP.dst(flow)
            Logs.info(lambda f: f("new tcp connection from IP %s on port %d", Ipaddr.to_string(dst), dst_port))
            match await S.TCP.read(flow):
                case Ok(Eof()):
                    Logs.info(lambda f: f("Closing connection!"))
                case Error(e):
                    Logs.warn(lambda f: f("Error reading data from established connection: %a", S.TCP.pp_error, e))
                case Ok(Data(b)):
                    Logs.debug(lambda f: f("read: %d bytes:\n%s", Cstruct.length(b), Cstruct.to_string(b)))
                    await S.TCP.close(flow)

        S.TCP.listen(S.tcp(s), port=port(), callback=on_connect)
        await S.listen(s)
