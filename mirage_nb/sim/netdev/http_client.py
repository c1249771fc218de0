"""The ``paf_client tcpv4v6 mimic`` device (``Http_mirage_client.Make``) and ``Http_mirage_client.request``.

``paf_client`` gives the unikernel a Mimic context that knows how to reach
``http://`` and ``https://`` URIs: its ``connect ctx`` adds two protocols
to the context of ``mimic_happy_eyeballs`` (TCP and TLS over TCP, both
through happy eyeballs, which looks names up with the DNS client and races
the addresses). ``Http_mirage_client.request ~ctx uri f acc`` then
connects, offers ``h2`` and ``http/1.1`` by ALPN on TLS, speaks whichever
the server chose (h11 or :mod:`~.h2_client`), and folds ``f`` over the
response body::

    match await Http_mirage_client.request(ctx=ctx, authenticator=ca_pem, uri=url,
                                           f=lambda resp, acc, chunk: acc + chunk, init=""):
        case Ok((resp, body)): ...
        case Error(e): ...

``authenticator`` is the trust anchors as PEM (``None``: no check, like
``X509.Authenticator`` that accepts anything). Redirects (301, 302, 303,
307, 308) are followed up to 10 times when ``follow_redirect`` (the
default), as http-mirage-client does. Errors are ``Error(Msg(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import h11

from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.netdev._module import invoke
from mirage_nb.sim.netdev.h2_client import H2Client
from mirage_nb.sim.netdev.mimic import Mimic, MimicCtx, MimicHappyEyeballs
from mirage_nb.sim.netdev.tls import ClientConfig, TlsFlow
from mirage_nb.sim.netdev.values import Data
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.uri import Uri

__all__ = ["CLIENT_SRC", "HttpMirageClient", "Http_mirage_client", "Response", "connect_paf_client"]

CLIENT_SRC = Src("http_mirage_client", "HTTP client (http-mirage-client)")

_SCHEME = Mimic.make(name="http-scheme")
_HOST = Mimic.make(name="http-hostname")
_PORT = Mimic.make(name="http-port")
_TLS = Mimic.make(name="http-tls-config")


@dataclass(frozen=True)
class Response:
    """``Http_mirage_client.response``: version (``HTTP/1.1``, ``HTTP/2``), status, reason, headers."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        n = name.lower()
        found = [v for k, v in self.headers if k.lower() == n]
        return found[0] if found else None


class _Tcp:
    """The TCP protocol of the context: ``connect (he, host, port)`` through happy eyeballs."""

    @staticmethod
    async def connect(endpoint: tuple[Any, str, int]) -> Any:
        he, host, port = endpoint
        r = await MimicHappyEyeballs.resolve(he, host, [port])
        if isinstance(r, Error):
            return r
        return Ok(r.value[1])


class _Tls:
    """TLS over the TCP protocol: ``connect (he, config, host, port)``."""

    @staticmethod
    async def connect(endpoint: tuple[Any, ClientConfig, str, int]) -> Any:
        he, cfg, host, port = endpoint
        r = await MimicHappyEyeballs.resolve(he, host, [port])
        if isinstance(r, Error):
            return r
        t = await TlsFlow.client_of_flow(cfg, r.value[1])
        return t if isinstance(t, Ok) else Error(Msg(str(t.error)))


_TCP_EDN, _ = Mimic.register(name="http-tcp", module=_Tcp)
_TLS_EDN, _ = Mimic.register(name="http-tls", module=_Tls)


class HttpMirageClient:
    """The module ``Http_mirage_client.Make (TCP) (Mimic_happy_eyeballs)``: ``connect ctx``."""

    def __init__(self, module_name: str = "Http_mirage_client.Make") -> None:
        self.module_name = module_name

    async def connect(self, ctx: MimicCtx) -> MimicCtx:
        he_key = MimicHappyEyeballs.happy_eyeballs

        def k_tcp(he: Any, scheme: str, host: str, port: int) -> Any:
            return (he, host, port) if scheme == "http" else None

        def k_tls(he: Any, scheme: str, host: str, port: int, cfg: ClientConfig) -> Any:
            return (he, cfg, host, port) if scheme == "https" else None

        F = Mimic.Fun  # noqa: N806 - the OCaml module
        ctx = Mimic.fold(_TCP_EDN, [F.req(he_key), F.req(_SCHEME), F.req(_HOST), F.dft(_PORT, 80)], k=k_tcp, ctx=ctx)
        reqs = [F.req(he_key), F.req(_SCHEME), F.req(_HOST), F.dft(_PORT, 443), F.req(_TLS)]
        return Mimic.fold(_TLS_EDN, reqs, k=k_tls, ctx=ctx)

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


async def _read(flow: Any) -> bytes:
    r = await flow.read()
    match r:
        case Ok(Data(buf)):
            return bytes(buf)
    return b""


async def _h1(flow: Any, meth: str, host: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
    conn = h11.Connection(h11.CLIENT)
    hs = [("host", host), *headers, ("connection", "close")]
    if body:
        hs.append(("content-length", str(len(body))))
    out = conn.send(h11.Request(method=meth, target=target, headers=hs))
    if body:
        out += conn.send(h11.Data(data=body))
    out += conn.send(h11.EndOfMessage())
    if isinstance(await flow.write(out), Error):
        return Error(Msg("the connection closed while sending the request"))
    res, data = None, bytearray()
    try:
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                conn.receive_data(await _read(flow))
            elif isinstance(ev, h11.Response):
                res = ev
            elif isinstance(ev, h11.Data):
                data += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                break
            elif isinstance(ev, h11.ConnectionClosed):
                return Error(Msg("the server closed the connection without a response"))
    except h11.RemoteProtocolError as e:
        return Error(Msg(f"invalid response: {e}"))
    assert res is not None
    headers_out = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in res.headers]
    version = "HTTP/" + res.http_version.decode("ascii")
    return Ok((Response(version, res.status_code, res.reason.decode("latin-1"), headers_out), bytes(data)))


async def _h2(flow: Any, meth: str, host: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
    from mirage_nb.errors import SimulationError

    async def send(b: bytes) -> None:
        await flow.write(b)

    client = H2Client(send, lambda: _read(flow))
    try:
        a = await client.request(meth, host, target, headers=headers, body=body)
    except SimulationError as e:
        return Error(Msg(str(e)))
    await client.close()
    return Ok((Response("HTTP/2", a.status, "", a.headers), a.body))


class Http_mirage_client:  # noqa: N801 - the OCaml library's name
    """Twin of ``Http_mirage_client``: ``request``."""

    Make = HttpMirageClient

    @staticmethod
    async def request(
        *,
        ctx: MimicCtx,
        uri: str,
        f: Any,
        init: Any,
        authenticator: bytes | None = None,
        meth: str = "GET",
        headers: list[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        follow_redirect: bool = True,
        alpn_protocols: tuple[str, ...] = ("h2", "http/1.1"),
    ) -> Any:
        """``request ~ctx ?authenticator ?meth ?headers ?body uri f init``: ``Ok((response, acc))`` or ``Error``."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
        for _ in range(11):
            u = Uri.of_string(uri)
            scheme, host = u.scheme or "", u.host or ""
            if scheme not in ("http", "https") or not host:
                return Error(Msg(f"invalid URI {uri!r}: expected http:// or https:// and a host"))
            c = Mimic.add(_HOST, host, Mimic.add(_SCHEME, scheme, ctx))
            if u.port is not None:
                c = Mimic.add(_PORT, u.port, c)
            if scheme == "https":
                cfg = ClientConfig(authenticator, host, verify=authenticator is not None, alpn_protocols=alpn_protocols)
                c = Mimic.add(_TLS, cfg, c)
            r = await Mimic.resolve(c)
            if isinstance(r, Error):
                return r
            flow = r.value
            authority = host if u.port is None else f"{host}:{u.port}"
            target = Uri.path_and_query(u) or "/"
            hs = list(headers or [])
            Logs.debug(lambda m, s=scheme, a=authority, t=target: m("%s %s://%s%s", meth, s, a, t), src=CLIENT_SRC)
            try:
                if getattr(flow, "alpn_protocol", None) == "h2":
                    res = await _h2(flow, meth, authority, target, hs, data)
                else:
                    res = await _h1(flow, meth, authority, target, hs, data)
            finally:
                await flow.close()
            if isinstance(res, Error):
                return res
            response, content = res.value
            location = response.header("location")
            if follow_redirect and response.status in (301, 302, 303, 307, 308) and location:
                uri = urljoin(uri, location)
                continue
            acc = await invoke(f, response, init, content.decode("latin-1")) if content else init
            return Ok((response, acc))
        return Error(Msg(f"too many redirections from {uri}"))


async def connect_paf_client(booter: Any, node: Any) -> tuple[Any, Any]:
    """``Http_mirage_client.Make.connect ctx``: deps tcpv4v6, mimic."""
    from mirage_nb.sim.netdev.kinds import _deps

    _tcp, ctx = _deps(booter, node, 2)
    m = HttpMirageClient(node.module_name)
    return await m.connect(ctx), m
