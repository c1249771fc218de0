"""``Happy_eyeballs_mirage.Make (S)``: the device racing connections (the shell of ``net.happy_eyeballs``).

``connect t host ports`` looks ``host`` up (AAAA and A at once, through the
DNS client that injected its ``getaddrinfo``, as ``Dns_client_mirage.connect``
does with ``H.inject``), then lets the RFC 8305 machine decide when to start
a TCP connection to which address: IPv6 first, families interleaved, one
``connect_delay`` apart or at once after a failure. The first connection up
wins; the others are closed. The result is ``Ok(((ip, port), flow))`` or
``Error(Msg(...))`` naming every address that failed.

Lookups retry ``resolve_retries`` times, each bounded by
``resolve_timeout``; an attempt is abandoned after ``connect_timeout``.
The parameters are the ``--he-*`` runtime arguments (HAPPY EYEBALLS OPTIONS).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from mirage_nb.sim.lwt import async_, pick, wakeup
from mirage_nb.sim.net.happy_eyeballs import Cancel, Connect, Done, HappyEyeballs, Resolve
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.lan import Alarm
from mirage_nb.sim.netdev.values import to_ip
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.run import current_run

__all__ = ["HappyEyeballsDevice"]

_SEC = 1_000_000_000


class HappyEyeballsDevice:
    """Twin of ``Happy_eyeballs_mirage.Make (S)``'s ``t``: ``connect t host ports`` over the stack's TCP."""

    def __init__(
        self,
        stack: Any,
        *,
        aaaa_timeout: int | None = None,
        connect_delay: int | None = None,
        connect_timeout: int | None = None,
        resolve_timeout: int | None = None,
        resolve_retries: int | None = None,
        timer_interval: int | None = None,
    ) -> None:
        self.run = current_run()
        self.stack = stack
        self.aaaa_timeout = aaaa_timeout if aaaa_timeout is not None else 50_000_000
        self.connect_delay = connect_delay if connect_delay is not None else 50_000_000
        self.connect_timeout = connect_timeout if connect_timeout is not None else 10 * _SEC
        self.resolve_timeout = resolve_timeout if resolve_timeout is not None else 1 * _SEC
        self.resolve_retries = resolve_retries if resolve_retries is not None else 3
        self.timer_interval = timer_interval if timer_interval is not None else 10_000_000
        self.getaddrinfo: Callable[..., Any] | None = None
        self.attempts: list[tuple[int, Any, int]] = []
        """Every connection attempt started, as (virtual time, ip, port): what a notebook can show."""

    @classmethod
    async def connect_device(cls, stack: Any, **kw: Any) -> HappyEyeballsDevice:
        return cls(stack, **kw)

    def inject(self, getaddrinfo: Callable[..., Any]) -> None:
        """``inject t getaddrinfo``: the resolver host names go through (the DNS client calls it)."""
        self.getaddrinfo = getaddrinfo

    async def _lookup(self, rr: str, host: str) -> list[Any] | None:
        if self.getaddrinfo is None:
            return None
        for _ in range(max(1, self.resolve_retries)):
            r = await pick([self.getaddrinfo(rr, host), self.run.sleep_ns(self.resolve_timeout)])
            if isinstance(r, Ok):
                return sorted(r.value[1], key=str)
            if isinstance(r, Error) and "timeout" not in str(r.error):
                return None
        return None

    async def connect(self, host: str, ports: list[int]) -> Any:
        """``connect t host ports``: ``Ok(((ip, port), flow))`` or ``Error(Msg(...))``."""
        return await self._race(
            HappyEyeballs(host, list(ports), self.aaaa_timeout, self.connect_delay, self.connect_timeout)
        )

    async def connect_ip(self, targets: list[tuple[Any, int]]) -> Any:
        """``connect_ip t [(ip, port)...]``: the same race over given addresses (no lookup)."""
        addrs = list(dict.fromkeys(ipaddress.ip_address(str(to_ip(ip))) for ip, _ in targets))
        ports = list(dict.fromkeys(p for _, p in targets))
        m = HappyEyeballs(
            str(addrs[0]) if addrs else "", ports, self.aaaa_timeout, self.connect_delay, self.connect_timeout
        )
        if len(addrs) > 1:
            m.pending_rr = {"given"}
            return await self._race(m, given=addrs)
        return await self._race(m)

    async def connect_host(self, host: str, ports: list[int]) -> Any:
        return await self.connect(host, ports)

    async def _race(self, m: HappyEyeballs, *, given: list[Any] | None = None) -> Any:
        tcp = self.stack.tcp()
        run = self.run
        p, r = wait_any()
        flows: dict[int, Any] = {}
        finished: list[Done] = []

        def apply(actions: list[Any]) -> None:
            for a in actions:
                if isinstance(a, Resolve):
                    async_(lookup(a.rr))
                elif isinstance(a, Connect):
                    self.attempts.append((run.now, to_ip(str(a.ip)), a.port))
                    async_(attempt(a))
                elif isinstance(a, Cancel):
                    f = flows.pop(a.id, None)
                    if f is not None:
                        async_(f.close())
                elif isinstance(a, Done) and not finished:
                    finished.append(a)
                    if a.winner is not None:
                        wakeup(r, Ok(((to_ip(str(a.ip)), a.port), flows.pop(a.winner))))
                    else:
                        wakeup(r, Error(Msg(a.error or "connection failed")))
            alarm.set(m.deadline)

        async def lookup(rr: str) -> None:
            addrs = await self._lookup(rr, m.host)
            apply(m.resolved(run.now, rr, addrs))

        async def attempt(c: Connect) -> None:
            res = await tcp.create_connection((to_ip(str(c.ip)), c.port))
            if isinstance(res, Ok):
                flows[c.id] = res.value
                apply(m.connected(run.now, c.id))
            else:
                apply(m.connect_failed(run.now, c.id, str(res.error) or "refused"))

        alarm = Alarm(run, lambda now: apply(m.timer(now)))
        if given is not None:
            apply(m.resolved(run.now, "given", given))
        else:
            apply(m.start(run.now))
        return await p
