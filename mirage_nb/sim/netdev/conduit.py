"""Conduit: twins of ``Conduit_mirage.TCP(S)`` and ``Conduit_mirage.TLS(C)`` over a stack.

As in the generated ``main.ml``, connecting a conduit returns the stack
itself (``Lwt.return stack``); what a conduit adds is its *module*, whose
``listen t server fn`` and ``connect t client`` take endpoint descriptions:

=======================================  ==========================================
OCaml                                    Python
=======================================  ==========================================
```TCP 80`` (server)                     ``TCP(80)``
```TCP (ip, 80)`` (client)               ``TCP(ip, 80)``
```TLS (cfg, `TCP 443)``                 ``TLS(cfg, TCP(443))``
=======================================  ==========================================

``listen`` on ``TCP`` registers the port and returns a promise that never
resolves (conduit's ``Lwt.task``); on ``TLS`` each accepted flow first goes
through the handshake, and a failed one is logged by ``conduit_mirage`` at
info level (``listen: TLS failure: ...``) and dropped. The TCP conduit
refuses ``TLS`` endpoints with conduit's ``Failure`` message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import task
from mirage_nb.sim.netdev._module import DeviceModule, invoke
from mirage_nb.sim.netdev.tls import TlsFlow
from mirage_nb.sim.netdev.values import to_ip
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.runtime import Failure

__all__ = ["TCP", "TLS", "ConduitModule", "Conduit_mirage", "CONDUIT_SRC"]

CONDUIT_SRC = Src("conduit_mirage", "Conduit Mirage")


class TCP:
    """```TCP port`` (a server endpoint) or ```TCP (ip, port)`` (a client endpoint)."""

    __match_args__ = ("port",)

    def __init__(self, *args: Any) -> None:
        if len(args) == 1:
            self.ip, self.port = None, int(args[0])
        elif len(args) == 2:
            self.ip, self.port = to_ip(args[0]), int(args[1])
        else:
            raise SimulationError(f"TCP endpoint: expected TCP(port) or TCP(ip, port), got {len(args)} arguments")
        if not 0 <= self.port <= 65535:
            raise SimulationError(f"TCP endpoint: port {self.port}, expected 0..65535")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TCP) and (self.ip, self.port) == (other.ip, other.port)

    def __hash__(self) -> int:
        return hash((self.ip, self.port))

    def __repr__(self) -> str:
        return f"TCP({self.port})" if self.ip is None else f"TCP({str(self.ip)!r}, {self.port})"


@dataclass(frozen=True)
class TLS:
    """```TLS (config, endpoint)``: TLS with ``config`` over another endpoint."""

    config: Any
    inner: Any


def _kind(e: Any) -> str:
    return "TLS" if isinstance(e, TLS) else "TCP" if isinstance(e, TCP) else type(e).__name__


class ConduitModule:
    """The module of a conduit (``Conduit_mirage.S``): ``listen``, ``connect``, ``Flow``."""

    def __init__(self, stack_module: Any, *, tls: bool, module_name: str) -> None:
        self.S = stack_module
        self.tls = tls
        self.module_name = module_name
        tcp_flow = getattr(stack_module, "TCP", None) or DeviceModule("Tcp")
        self.Flow = DeviceModule(f"{module_name}.Flow") if tls else tcp_flow

    async def listen(self, t: Any, server: Any, fn: Any) -> None:
        """``listen t server fn``: ``fn flow`` for each connection; never returns (as conduit's)."""
        if isinstance(server, TLS):
            if not self.tls:
                raise Failure("listen: TLS is not supported")
            cfg = server.config

            async def on_tcp(flow: Any) -> None:
                r = await TlsFlow.server_of_flow(cfg, flow)
                if isinstance(r, Error):
                    Logs.info(lambda m: m("listen: %s", str(r.error)), src=CONDUIT_SRC)
                    return
                await invoke(fn, r.value)

            await self.listen(t, server.inner, on_tcp)
            return
        if not isinstance(server, TCP):
            raise Failure(f"listen: unknown endpoint {server!r}")
        self.S.TCP.listen(self.S.tcp(t), port=server.port, callback=fn)
        p, _ = task()
        await p

    async def connect(self, t: Any, client: Any) -> Any:
        """``connect t client``: the flow, or ``Failure`` as conduit raises it."""
        if isinstance(client, TLS):
            if not self.tls:
                raise Failure("connect: TLS is not supported")
            inner = await self.connect(t, client.inner)
            r = await TlsFlow.client_of_flow(client.config, inner)
            if isinstance(r, Error):
                raise Failure(f"connect: {r.error}")
            return r.value
        if not isinstance(client, TCP) or client.ip is None:
            raise Failure(f"connect: {_kind(client)} endpoint {client!r} is not a client endpoint (TCP(ip, port))")
        r = await self.S.TCP.create_connection(self.S.tcp(t), (client.ip, client.port))
        if isinstance(r, Ok):
            return r.value
        raise Failure(f"TCP connection failed: {r.error}")

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


class Conduit_mirage:  # noqa: N801 - the OCaml library's name
    """The endpoint constructors a unikernel writes (```TCP``, ```TLS``)."""

    TCP = TCP
    TLS = TLS
