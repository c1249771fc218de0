"""A scripted HTTP(S) client on the virtual LAN: h11 (and TLS) over a :class:`~.peer.Peer`'s TCP.

In a notebook, one line schedules requests and the run's result holds the answers::

    web = HttpPeer.on(lan, cidr="10.0.0.1/24", ca=pki.ca)
    web.fetch(["http://10.0.0.2/", "https://10.0.0.2/index.html"], at="2s")
    result = app.run(...)                    # or boot(...) with this lan
    web.responses[1].status, web.responses[1].body

Inside a peer script, ``await web.get(url)`` returns an :class:`HttpResponse`;
``await web.request(...)`` sends any method, with ``keep_alive=True``
keeping the connection for the next request to the same host and port, and
``chunked=True`` sending the body with ``transfer-encoding: chunked``.
``await web.raw(ip, port, data)`` sends bytes as they are (malformed
requests, one byte at a time with ``delay_ns``) and returns what came back.

``HttpPeer.on(lan, ca=..., http2=True)`` offers ``h2`` and ``http/1.1`` by
ALPN on HTTPS connections, as ``curl --http2`` does, and speaks HTTP/2
(:mod:`~.h2_client`) when the server picks it; the response's ``http_version``
says which one was spoken (``HTTP/2`` or ``HTTP/1.1``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import h11

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.tls import TlsFailure, TlsSession, client_context
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.h2_client import H2Client
from mirage_nb.sim.netdev.peer import Peer, PeerFlow
from mirage_nb.sim.uri import Uri

__all__ = ["HttpPeer", "HttpResponse"]


@dataclass
class HttpResponse:
    """What a request got: status, reason, headers (lower-case names), body, and the TLS version if any."""

    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    tls_version: str | None = None
    at_ns: int = 0
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        n = name.lower()
        found = [v for k, v in self.headers if k == n]
        return found[-1] if found else None


@dataclass
class _Conn:
    flow: PeerFlow
    h11: h11.Connection
    tls: TlsSession | None = None
    pending: bytearray = field(default_factory=bytearray)
    h2: Any = None


def _time(t: Any) -> int:
    from mirage_nb.sim.run import parse_duration

    return parse_duration(t) or 0


class HttpPeer:
    """HTTP/1.1 (and HTTPS with ``ca``) from a peer: ``get``, ``request``, ``raw``, and ``fetch`` for notebooks."""

    def __init__(
        self,
        peer: Peer,
        *,
        ca: bytes | None = None,
        verify: bool = True,
        tls_versions: Iterable[str] = ("1.2", "1.3"),
        http2: bool = False,
    ) -> None:
        self.http2 = http2
        self.peer = peer
        self.run = peer.run
        self.ca = ca
        self.verify = verify and ca is not None
        self.tls_versions = tuple(tls_versions)
        self.responses: list[HttpResponse] = []
        self.errors: list[tuple[str, str]] = []
        self._conns: dict[tuple[str, int, bool], _Conn] = {}
        self._ctx: Any = None

    @classmethod
    def on(cls, lan: Any, *, name: str = "client", cidr: str = "10.0.0.1/24", **kw: Any) -> HttpPeer:
        """A new peer on ``lan`` with an HTTP client."""
        return cls(Peer(lan, name=name, cidr=cidr), **kw)

    # --- flows -------------------------------------------------------------------

    async def _recv(self, f: PeerFlow) -> bytes:
        """The next bytes that arrived on ``f``; ``b""`` once the other side closed."""
        while not f.received:
            if f.closed_by_peer or f.gone:
                return b""
            # no timer of our own: the run's ``until`` bounds a server that never answers
            p, r = wait_any()
            f.waiters.append(r)
            await p
        return f.received.popleft()

    async def _tls_pump(self, c: _Conn) -> None:
        assert c.tls is not None
        out = c.tls.data_to_send()
        if out:
            await self.peer.send(c.flow, out)

    async def _address(self, host: str) -> str:
        """The address to connect to for ``host``: itself if it is an address, else what the peer's resolver says.

        Over a :class:`~.dns_peer.DnsClientPeer` (which has ``resolve``), a name is
        looked up as a browser does (an ``A`` record, from the cache when it is
        there); on a plain peer a name is an error.
        """
        import ipaddress

        try:
            return str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            pass
        resolve = getattr(self.peer, "resolve", None)
        if resolve is None:
            raise SimulationError(
                f"{self.peer.name}: cannot resolve {host!r}: give an address, or make the HttpPeer over a "
                "DnsClientPeer (HttpPeer(DnsClientPeer(lan, ...), ca=...)) so that names are looked up"
            )
        result = await resolve(host, "A")
        values = getattr(result.answer, "values", ())
        if not values:
            raise SimulationError(f"{self.peer.name}: {host} did not resolve: {result.answer}")
        return str(values[0])

    async def _open(self, host: str, port: int, https: bool) -> _Conn:
        flow = await self.peer.connect(await self._address(host), port)
        c = _Conn(flow, h11.Connection(h11.CLIENT))
        if https:
            if self._ctx is None:
                self._ctx = client_context(self.ca, versions=self.tls_versions, verify=self.verify)  # type: ignore[arg-type]
                self._ctx.check_hostname = False
                if self.http2:
                    self._ctx.set_alpn_protocols(["h2", "http/1.1"])
            c.tls = TlsSession(self._ctx, server=False, server_hostname=host)
            while not c.tls.handshake():
                await self._tls_pump(c)
                data = await self._recv(flow)
                if not data:
                    c.tls.receive_eof()
                c.tls.receive(data)
            await self._tls_pump(c)
            if c.tls.obj.selected_alpn_protocol() == "h2":
                c.h2 = H2Client(lambda b: self._send(c, b), lambda: self._read(c))
        return c

    async def _send(self, c: _Conn, data: bytes) -> None:
        if not data:
            return
        if c.tls is None:
            await self.peer.send(c.flow, data)
        else:
            c.tls.write(data)
            await self._tls_pump(c)

    async def _read(self, c: _Conn) -> bytes:
        if c.tls is None:
            return await self._recv(c.flow)
        while True:
            d = c.tls.read()
            await self._tls_pump(c)
            if d is not None:
                return d
            data = await self._recv(c.flow)
            if not data:
                c.tls.receive_eof()
            c.tls.receive(data)

    async def _close(self, c: _Conn) -> None:
        if c.tls is not None:
            c.tls.close()
            await self._tls_pump(c)
        await self.peer.close(c.flow)

    # --- requests ------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        chunked: bool = False,
        keep_alive: bool = False,
    ) -> HttpResponse:
        """One request and its whole response; raises SimulationError if the connection fails."""
        u = Uri.of_string(url)
        https = u.scheme == "https"
        host = u.host or ""
        port = u.port or (443 if https else 80)
        key = (host, port, https)
        c = self._conns.pop(key, None)
        if c is None or (c.h2 is None and c.h11.our_state is not h11.IDLE) or (c.h2 is not None and c.h2.gone):
            c = await self._open(host, port, https)
        if c.h2 is not None:
            return await self._request_h2(c, key, method, url, u, list(headers), body, keep_alive)
        hs = [("host", host if u.port is None else f"{host}:{port}"), *headers]
        if chunked:
            hs.append(("transfer-encoding", "chunked"))
        elif body or method in ("POST", "PUT"):
            hs.append(("content-length", str(len(body))))
        if not keep_alive:
            hs.append(("connection", "close"))
        out = c.h11.send(h11.Request(method=method, target=Uri.path_and_query(u), headers=hs))
        if body:
            if chunked:
                half = max(1, len(body) // 2)
                out += c.h11.send(h11.Data(data=body[:half])) + c.h11.send(h11.Data(data=body[half:]))
            else:
                out += c.h11.send(h11.Data(data=body))
        out += c.h11.send(h11.EndOfMessage())
        await self._send(c, out)
        try:
            res = None
            data = bytearray()
            while True:
                ev = c.h11.next_event()
                if ev is h11.NEED_DATA:
                    c.h11.receive_data(await self._read(c))
                    continue
                if isinstance(ev, h11.Response):
                    res = ev
                elif isinstance(ev, h11.Data):
                    data += ev.data
                elif isinstance(ev, h11.EndOfMessage):
                    break
                elif isinstance(ev, h11.ConnectionClosed):
                    raise SimulationError(f"{method} {url}: the server closed the connection without a response")
        except (h11.RemoteProtocolError, TlsFailure) as e:
            await self._close(c)
            raise SimulationError(f"{method} {url}: {e}") from None
        assert res is not None
        r = HttpResponse(
            url,
            res.status_code,
            res.reason.decode("latin-1"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in res.headers],
            bytes(data),
            c.tls.version if c.tls else None,
            self.run.now,
        )
        if keep_alive and c.h11.our_state is h11.DONE and c.h11.their_state is h11.DONE:
            c.h11.start_next_cycle()
            self._conns[key] = c
        else:
            await self._close(c)
        return r

    async def _request_h2(
        self,
        c: _Conn,
        key: tuple[str, int, bool],
        method: str,
        url: str,
        u: Any,
        headers: list[tuple[str, str]],
        body: bytes,
        keep_alive: bool,
    ) -> HttpResponse:
        host, port, _ = key
        authority = host if u.port is None else f"{host}:{port}"
        try:
            a = await c.h2.request(method, authority, Uri.path_and_query(u), headers=headers, body=body)
        except (SimulationError, TlsFailure) as e:
            await self._close(c)
            raise SimulationError(f"{method} {url}: {e}") from None
        assert c.tls is not None
        r = HttpResponse(url, a.status, "", a.headers, a.body, c.tls.version, self.run.now, "HTTP/2")
        if keep_alive:
            self._conns[key] = c
        else:
            await c.h2.close()
            await self._close(c)
        return r

    async def get(self, url: str, **kw: Any) -> HttpResponse:
        return await self.request("GET", url, **kw)

    async def raw(self, ip: Any, port: int, data: bytes, *, delay_ns: int = 0, wait_ns: int = 5_000_000_000) -> bytes:
        """Send ``data`` as is (a byte every ``delay_ns`` if given); what arrived until the close or ``wait_ns``."""
        f = await self.peer.connect(ip, port)
        if delay_ns:
            for i in range(len(data)):
                await self.peer.send(f, data[i : i + 1])
                await self.run.sleep_ns(delay_ns)
        else:
            await self.peer.send(f, data)
        await self.peer.wait_closed(f, wait_ns)
        await self.peer.close(f)
        return bytes(f.data)

    # --- for notebooks -------------------------------------------------------------

    def fetch(self, urls: Iterable[str] | str, *, at: Any = "1s", keep_alive: bool = False) -> None:
        """Schedule GETs of ``urls`` in turn from virtual time ``at``; see :attr:`responses` and :attr:`errors`."""
        todo = [urls] if isinstance(urls, str) else list(urls)
        start = _time(at)

        async def go() -> None:
            await self.run.sleep_ns(max(0, start - self.run.now))
            for url in todo:
                try:
                    self.responses.append(await self.get(url, keep_alive=keep_alive))
                except SimulationError as e:
                    self.errors.append((url, str(e)))

        self.peer.script(go)
