"""Cohttp over conduit: twins of ``Cohttp_mirage.Server.Make(C)`` and ``Cohttp_mirage.Client.Make(R)(C)``.

HTTP/1.1 itself is **h11** (a sans-IO machine): one ``h11.Connection`` per
flow, fed with what ``C.Flow.read`` returns, its bytes written with
``C.Flow.write``. A unikernel sees cohttp's API::

    H = Cohttp_mirage.Server.Make(CON)          # or the http device's module
    async def callback(conn, req, body):
        path = Uri.path(Cohttp.Request.uri(req))
        return await H.respond_string(status="OK", body="hello\\n")
    await H.listen(conduit, TCP(80), H.make(callback=callback))

Behaviour (cohttp-lwt's server):

- requests on a connection are served in turn (keep-alive) until the client
  closes or asks ``Connection: close``; each response gets ``connection:
  keep-alive`` or ``close`` unless it has one;
- ``respond_string`` sends ``content-length``; ``respond`` with a streamed body
  (``Body.of_stream``) sends ``transfer-encoding: chunked``; chunked request
  bodies are read whole before the callback runs (``Body.to_string``);
- a callback that raises is logged by ``cohttp.lwt.server`` (``Error handling
  ...``) and answered ``500`` with ``Error: Internal Server Error``;
- ``conn_closed (flow, id)`` runs once per connection, when it ends;
  ``Cohttp.Connection`` ids count from 1 in each run.

Departure: on a malformed request cohttp only logs ``invalid input ...
while handling client`` and closes; here the same line is logged and the
client also gets ``400 Bad Request`` (``Error: <reason>``) before the close.
Each connection is its own task, so a slow client (one byte per second)
holds only its own connection.

The http device's value (``cohttp_server conduit``) is ``listen conduit``:
``await http(TCP(80), spec)``.
"""

from __future__ import annotations

import http as _http
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import h11

from mirage_nb.errors import SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.netdev._module import invoke
from mirage_nb.sim.netdev.conduit import TCP, TLS
from mirage_nb.sim.netdev.values import Data
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.run import current_run
from mirage_nb.sim.runtime import Failure
from mirage_nb.sim.uri import Uri, UriT

__all__ = [
    "Header",
    "Request",
    "Response",
    "Body",
    "Code",
    "Connection",
    "Cohttp",
    "Cohttp_lwt",
    "CohttpServer",
    "CohttpClient",
    "Cohttp_mirage",
    "SERVER_SRC",
    "CLIENT_SRC",
]

SERVER_SRC = Src("cohttp.lwt.server", "Cohttp Lwt server module")
CLIENT_SRC = Src("cohttp.lwt.client", "Cohttp Lwt client module")

READ_CHUNK = 65536


# --- values -------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """Twin of ``Cohttp.Header.t``: ordered (name, value) pairs, names compared without case."""

    items: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def init() -> Header:
        return Header()

    @staticmethod
    def init_with(name: str, value: str) -> Header:
        return Header(((name, value),))

    @staticmethod
    def of_list(pairs: Iterable[tuple[str, str]]) -> Header:
        return Header(tuple((str(k), str(v)) for k, v in pairs))

    @staticmethod
    def to_list(h: Header) -> list[tuple[str, str]]:
        return list(h.items)

    @staticmethod
    def add(h: Header, name: str, value: str) -> Header:
        return Header(h.items + ((name, value),))

    @staticmethod
    def add_unless_exists(h: Header, name: str, value: str) -> Header:
        return h if Header.mem(h, name) else Header.add(h, name, value)

    @staticmethod
    def replace(h: Header, name: str, value: str) -> Header:
        return Header.add(Header.remove(h, name), name, value)

    @staticmethod
    def remove(h: Header, name: str) -> Header:
        n = name.lower()
        return Header(tuple((k, v) for k, v in h.items if k.lower() != n))

    @staticmethod
    def mem(h: Header, name: str) -> bool:
        n = name.lower()
        return any(k.lower() == n for k, _ in h.items)

    @staticmethod
    def get(h: Header, name: str) -> str | None:
        """The last value of ``name`` (cohttp's ``get``), or None."""
        n = name.lower()
        found = [v for k, v in h.items if k.lower() == n]
        return found[-1] if found else None

    @staticmethod
    def get_multi(h: Header, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in h.items if k.lower() == n]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)


# ```OK`` -> 200...: cohttp's names are the reason phrases with ``_`` and one capital letter.
_BY_NAME: dict[str, int] = {}
for _s in _http.HTTPStatus:
    _BY_NAME[_s.phrase.replace(" ", "_").replace("-", "_").replace("'", "_").capitalize()] = _s.value
_BY_NAME["OK"] = 200
_BY_NAME.pop("Ok", None)


class Code:
    """Twin of ``Cohttp.Code``: statuses are cohttp's constructor names (``"OK"``, ``"Not_found"``) or ints."""

    @staticmethod
    def code_of_status(status: str | int) -> int:
        if isinstance(status, int):
            if not 100 <= status <= 999:
                raise SimulationError(f"HTTP status {status}: expected 100..999")
            return status
        if status not in _BY_NAME:
            raise SimulationError(f"HTTP status {status!r}: expected a cohttp name such as 'OK' or 'Not_found'")
        return _BY_NAME[status]

    @staticmethod
    def reason_phrase_of_code(code: int) -> str:
        try:
            return _http.HTTPStatus(code).phrase
        except ValueError:
            return "(Unknown)"

    @staticmethod
    def string_of_status(status: str | int) -> str:
        c = Code.code_of_status(status)
        return f"{c} {Code.reason_phrase_of_code(c)}"


class Connection:
    """Twin of ``Cohttp.Connection``: one id per HTTP connection, counting from 1 in each run."""

    @staticmethod
    def create() -> int:
        run = current_run()
        n = run.devices.get("cohttp.connections", 0) + 1
        run.devices["cohttp.connections"] = n
        return n

    @staticmethod
    def to_string(c: int) -> str:
        return str(c)


@dataclass(frozen=True)
class Request:
    """Twin of ``Cohttp.Request.t``: method, resource (request target), version, headers."""

    meth: str
    resource: str
    headers: Header = field(default_factory=Header)
    version: str = "HTTP/1.1"

    @staticmethod
    def uri(r: Request) -> UriT:
        """``Request.uri``: the target, with the ``Host`` header's host and port when it has no scheme."""
        target = r.resource
        u = Uri.of_string(target)
        if u.scheme is not None:
            return u if u.path else Uri.with_path(u, "/")
        host = Header.get(r.headers, "host")
        if host is None:
            return replace(u, scheme=None, host=None)
        h = Uri.of_string("//" + host)
        return replace(u, host=h.host or "", port=h.port)

    @staticmethod
    def meth_of(r: Request) -> str:
        return r.meth

    @staticmethod
    def headers_of(r: Request) -> Header:
        return r.headers

    @staticmethod
    def is_keep_alive(r: Request) -> bool:
        c = (Header.get(r.headers, "connection") or "").lower()
        if r.version == "HTTP/1.0":
            return "keep-alive" in c
        return "close" not in c


@dataclass(frozen=True)
class Response:
    """Twin of ``Cohttp.Response.t``: status code, headers, version."""

    status: int
    headers: Header = field(default_factory=Header)
    version: str = "HTTP/1.1"

    @staticmethod
    def status_of(r: Response) -> int:
        return r.status

    @staticmethod
    def headers_of(r: Response) -> Header:
        return r.headers

    @staticmethod
    def is_keep_alive(r: Response) -> bool:
        return "close" not in (Header.get(r.headers, "connection") or "").lower()

    @staticmethod
    def sexp_of_t(r: Response) -> list[Any]:
        """``Cohttp.Response.sexp_of_t``: the record ``{encoding; headers; version; status; flush}`` as a sexp."""
        length = Header.get(r.headers, "content-length")
        te = (Header.get(r.headers, "transfer-encoding") or "").lower()
        encoding: Any = ["Fixed", length] if length is not None else "Chunked" if "chunked" in te else "Unknown"
        names = {v: k for k, v in _BY_NAME.items()}
        status: Any = names.get(r.status, ["Code", str(r.status)])
        version = {"HTTP/1.0": "HTTP_1_0", "HTTP/1.1": "HTTP_1_1"}.get(r.version, ["Other", r.version])
        return [
            ["encoding", encoding],
            ["headers", [[k, v] for k, v in r.headers.items]],
            ["version", version],
            ["status", status],
            ["flush", "false"],
        ]


class Body:
    """Twin of ``Cohttp_lwt.Body.t``: empty, a string, or a stream of strings (sent chunked)."""

    def __init__(self, data: bytes | None = None, stream: Any = None) -> None:
        self.data = data
        self.stream = stream

    empty: Body

    @staticmethod
    def of_string(s: str | bytes) -> Body:
        return Body(s.encode("latin-1") if isinstance(s, str) else bytes(s))

    @staticmethod
    def of_stream(chunks: Iterable[str | bytes] | AsyncIterator[str | bytes]) -> Body:
        return Body(stream=chunks)

    @staticmethod
    async def to_string(b: Body) -> str:
        return (await b.to_bytes()).decode("latin-1")

    async def to_bytes(self) -> bytes:
        if self.stream is None:
            return self.data or b""
        return b"".join([c async for c in self._chunks()])

    async def _chunks(self) -> AsyncIterator[bytes]:
        s = self.stream
        if hasattr(s, "__aiter__"):
            async for c in s:
                yield c.encode("latin-1") if isinstance(c, str) else bytes(c)
        else:
            for c in s:
                yield c.encode("latin-1") if isinstance(c, str) else bytes(c)

    @staticmethod
    async def drain_body(b: Body) -> None:
        return None

    def __repr__(self) -> str:
        return "<body stream>" if self.stream is not None else f"<body {len(self.data or b'')} bytes>"


Body.empty = Body(b"")


def _body(body: Any) -> Body:
    if isinstance(body, Body):
        return body
    if body is None or body == "Empty":
        return Body(b"")
    if isinstance(body, str | bytes | bytearray):
        return Body.of_string(body if isinstance(body, str) else bytes(body))
    raise SimulationError(f"HTTP body {body!r}: expected 'Empty', a string or a Body")


class Cohttp:
    """The ``Cohttp`` names a unikernel uses."""

    Header = Header
    Code = Code
    Connection = Connection

    class Request:
        uri = staticmethod(Request.uri)
        meth = staticmethod(Request.meth_of)
        headers = staticmethod(Request.headers_of)
        resource = staticmethod(lambda r: r.resource)
        is_keep_alive = staticmethod(Request.is_keep_alive)
        make = staticmethod(lambda meth, resource, headers=Header(): Request(meth, resource, headers))

    class Response:
        status = staticmethod(Response.status_of)
        headers = staticmethod(Response.headers_of)
        is_keep_alive = staticmethod(Response.is_keep_alive)
        sexp_of_t = staticmethod(Response.sexp_of_t)


class Cohttp_lwt:  # noqa: N801 - the OCaml library's name
    Body = Body


# --- h11 over a Mirage flow ----------------------------------------------------


async def _next_event(conn: h11.Connection, Flow: Any, flow: Any) -> Any:  # noqa: N803 - a module
    while True:
        ev = conn.next_event()
        if ev is not h11.NEED_DATA:
            return ev
        r = await Flow.read(flow)
        match r:
            case Ok(Data(buf)):
                conn.receive_data(bytes(buf))
            case _:
                conn.receive_data(b"")


async def _request_body(conn: h11.Connection, Flow: Any, flow: Any) -> bytes:  # noqa: N803 - a module
    """The body of the request h11 has just read, to its end (a flow closed inside it is a protocol error)."""
    body = bytearray()
    while True:
        ev = await _next_event(conn, Flow, flow)
        if isinstance(ev, h11.Data):
            body += ev.data
        elif isinstance(ev, h11.EndOfMessage):
            return bytes(body)
        else:
            raise h11.RemoteProtocolError("connection closed inside a request body")


async def _send_response(conn: h11.Connection, Flow: Any, flow: Any, res: Response, body: Body) -> bool:  # noqa: N803
    hs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in res.headers.items]
    head = conn.send(h11.Response(status_code=res.status, headers=hs, reason=Code.reason_phrase_of_code(res.status)))
    if head and (b"connection", b"close") in hs:
        # h11 rewrites a closing connection header as "Connection: close"; cohttp sends it as the app wrote it
        head = head.replace(b"\r\nConnection: close\r\n", b"\r\nconnection: close\r\n", 1)
    out = [head]
    if body.stream is None:
        if body.data:
            out.append(conn.send(h11.Data(data=body.data)))
        out.append(conn.send(h11.EndOfMessage()))
        r = await Flow.write(flow, b"".join(x for x in out if x))
        return not isinstance(r, Error)
    r = await Flow.write(flow, b"".join(x for x in out if x))
    if isinstance(r, Error):
        return False
    async for chunk in body._chunks():
        if chunk:
            r = await Flow.write(flow, conn.send(h11.Data(data=chunk)))
            if isinstance(r, Error):
                return False
    r = await Flow.write(flow, conn.send(h11.EndOfMessage()))
    return not isinstance(r, Error)


def _body_allowed(status: int) -> bool:
    return not (100 <= status < 200 or status in (204, 304))


def _with_encoding(headers: Header | None, body: Body, status: int = 200) -> Header:
    """``Response.make ~encoding``: add ``content-length`` or ``transfer-encoding: chunked`` unless given."""
    h = headers or Header()
    if not _body_allowed(status) or Header.mem(h, "content-length") or Header.mem(h, "transfer-encoding"):
        return h
    if body.stream is not None:
        return Header.add(h, "transfer-encoding", "chunked")
    return Header.add(h, "content-length", str(len(body.data or b"")))


@dataclass
class Spec:
    """``Server.t``: the callback and ``conn_closed`` (``Server.make``)."""

    callback: Any
    conn_closed: Any = None


class CohttpServer:
    """The module ``Cohttp_mirage.Server.Make(C)``: ``make``, ``respond*``, ``callback``, ``listen``."""

    def __init__(self, conduit_module: Any, module_name: str = "Cohttp_mirage.Server.Make") -> None:
        self.C = conduit_module
        self.module_name = module_name

    # --- Cohttp_lwt.S.Server ----------------------------------------------------

    @staticmethod
    def make(*, callback: Any, conn_closed: Any = None) -> Spec:
        return Spec(callback, conn_closed)

    @staticmethod
    async def respond(*, status: str | int, body: Any = "Empty", headers: Header | None = None) -> Any:
        b = _body(body)
        code = Code.code_of_status(status)
        return Response(code, _with_encoding(headers, b, code)), b

    @staticmethod
    async def respond_string(*, status: str | int, body: str | bytes, headers: Header | None = None) -> Any:
        b = _body(body)
        code = Code.code_of_status(status)
        return Response(code, _with_encoding(headers, b, code)), b

    @staticmethod
    async def respond_error(*, body: str, status: str | int = "Internal_server_error", headers: Any = None) -> Any:
        return await CohttpServer.respond_string(status=status, body="Error: " + body, headers=headers)

    @staticmethod
    async def respond_redirect(*, uri: UriT, headers: Header | None = None) -> Any:
        h = Header.add_unless_exists(headers or Header(), "location", Uri.to_string(uri))
        return await CohttpServer.respond(status="Found", body="Empty", headers=h)

    @staticmethod
    async def respond_not_found(*, uri: UriT | None = None) -> Any:
        body = "Not found" if uri is None else "Not found: " + Uri.to_string(uri)
        return await CohttpServer.respond_string(status="Not_found", body=body)

    # --- serving a flow -----------------------------------------------------------

    async def callback(self, spec: Spec, flow: Any) -> None:
        """Serve HTTP/1.1 on one flow until it ends; the flow is closed afterwards (cohttp-mirage's ``callback``)."""
        Flow = self.C.Flow  # noqa: N806 - a module
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
        cid = (flow, Connection.create())
        closed = [False]

        def conn_closed() -> None:
            if not closed[0] and spec.conn_closed is not None:
                closed[0] = True
                spec.conn_closed(cid)

        try:
            while True:
                try:
                    ev = await _next_event(conn, Flow, flow)
                    if isinstance(ev, h11.ConnectionClosed):
                        conn_closed()
                        return
                    assert isinstance(ev, h11.Request)
                    req = Request(
                        ev.method.decode("latin-1"),
                        ev.target.decode("latin-1"),
                        Header(tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in ev.headers)),
                        "HTTP/" + ev.http_version.decode("ascii"),
                    )
                    data = await _request_body(conn, Flow, flow)
                except h11.RemoteProtocolError as e:
                    reason = str(e) or "malformed request"
                    Logs.err(
                        lambda m, reason=reason: m("invalid input %s while handling client", reason), src=SERVER_SRC
                    )
                    if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                        res, body = await self.respond_error(status="Bad_request", body=reason)
                        res = replace(res, headers=Header.add(res.headers, "connection", "close"))
                        try:
                            await _send_response(conn, Flow, flow, res, body)
                        except h11.LocalProtocolError:
                            pass
                    conn_closed()
                    return
                res, body = await self._handle(spec, cid, req, Body(data))
                keep = Request.is_keep_alive(req) and Response.is_keep_alive(res)
                res = replace(
                    res, headers=Header.add_unless_exists(res.headers, "connection", "keep-alive" if keep else "close")
                )
                if not await _send_response(conn, Flow, flow, res, body):
                    conn_closed()
                    return
                if not keep or conn.our_state is h11.MUST_CLOSE:
                    conn_closed()
                    return
                conn.start_next_cycle()
        finally:
            await Flow.close(flow)

    async def _handle(self, spec: Spec, cid: Any, req: Request, body: Body) -> tuple[Response, Body]:
        try:
            r = await invoke(spec.callback, cid, req, body)
        except Exception as exc:  # the callback failed: cohttp logs it and answers 500
            what = f"{type(exc).__name__}({exc})"
            Logs.err(lambda m: m("Error handling %s %s: %s", req.meth, req.resource, what), src=SERVER_SRC)
            return await self.respond_error(body="Internal Server Error")
        if not (isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], Response)):
            raise SimulationError(
                f"the HTTP callback returned {r!r}; expected (response, body) "
                "from H.respond_string(...) or H.respond(...)"
            )
        return r[0], _body(r[1])

    async def listen(self, t: Any, server: Any, spec: Spec) -> None:
        """``listen conduit server spec``: serve each connection to ``server`` (``TCP(80)``, ``TLS(c, TCP(443))``)."""
        if not isinstance(server, TCP | TLS):
            raise SimulationError(
                f"{self.module_name}.listen: {server!r}, expected TCP(port) or TLS(config, TCP(port))"
            )
        await self.C.listen(t, server, lambda flow: self.callback(spec, flow))

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


class CohttpClient:
    """The module ``Cohttp_mirage.Client.Make(R)(C)``: ``ctx``, ``call``, ``get``, ``post``, ``head``, ``delete``.

    The context is ``ctx resolver conduit``. A host is resolved by the
    resolver's ``resolve_host(name)`` when it has one; IP literals need no
    resolver. ``https`` URIs go through ``TLS`` with the context's
    ``authenticator`` (CA PEM bytes, or None to accept any certificate).
    Each call opens a connection and closes it once the body is read.
    """

    def __init__(self, conduit_module: Any, module_name: str = "Cohttp_mirage.Client.Make") -> None:
        self.C = conduit_module
        self.module_name = module_name

    @staticmethod
    def ctx(resolver: Any, conduit: Any, *, authenticator: bytes | None = None) -> dict[str, Any]:
        return {"resolver": resolver, "conduit": conduit, "authenticator": authenticator}

    async def _endpoint(self, ctx: dict[str, Any], uri: UriT) -> Any:
        from mirage_nb.sim.netdev.tls import Tls
        from mirage_nb.sim.netdev.values import to_ip

        host = uri.host or ""
        https = uri.scheme == "https"
        port = uri.port or (443 if https else 80)
        try:
            ip = to_ip(host)
        except (SimulationError, ValueError):
            res = ctx.get("resolver")
            if res is not None and hasattr(res, "resolve_uri"):  # conduit's Resolver_mirage (resolver_dns)
                resolved = await invoke(res.resolve_uri, Uri.to_string(uri))
                inner = getattr(resolved, "endpoint", resolved)
                if not hasattr(inner, "ip"):
                    raise Failure(f"resolution failed: {getattr(resolved, 'message', resolved)}") from None
                ip, port = to_ip(inner.ip), inner.port
            elif res is not None and hasattr(res, "resolve_host"):
                ip = to_ip(await invoke(res.resolve_host, host))
            else:
                raise SimulationError(f"cannot resolve {host!r}: the client's resolver knows no names") from None
        ep: Any = TCP(ip, port)
        if https:
            cfg = Tls.Config.client(authenticator=ctx.get("authenticator"), peer_name=host)
            if isinstance(cfg, Error):
                raise SimulationError(str(cfg.error))
            ep = TLS(cfg.value, ep)
        return ep

    async def call(
        self, meth: str, uri: UriT | str, *, ctx: dict[str, Any], headers: Header | None = None, body: Any = None
    ) -> tuple[Response, Body]:
        """``call ?ctx ?headers ?body meth uri``: the response and its body (read whole)."""
        u = Uri.of_string(uri) if isinstance(uri, str) else uri
        flow = await self.C.connect(ctx["conduit"], await self._endpoint(ctx, u))
        Flow = self.C.Flow  # noqa: N806
        conn = h11.Connection(h11.CLIENT)
        b = _body(body)
        h = headers or Header()
        if not Header.mem(h, "host"):
            h = Header.add(h, "host", u.host + (f":{u.port}" if u.port else "") if u.host else "")
        if b.data or b.stream is not None or meth in ("POST", "PUT"):
            h = _with_encoding(h, b)
        hs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in h.items]
        out = conn.send(h11.Request(method=meth, target=Uri.path_and_query(u), headers=hs))
        payload = await b.to_bytes()
        if payload:
            out += conn.send(h11.Data(data=payload))
        out += conn.send(h11.EndOfMessage())
        await Flow.write(flow, out)
        try:
            ev = await _next_event(conn, Flow, flow)
            if not isinstance(ev, h11.Response):
                raise SimulationError(f"HTTP {meth} {Uri.to_string(u)}: the server closed without a response")
            data = bytearray()
            while True:
                e = await _next_event(conn, Flow, flow)
                if isinstance(e, h11.Data):
                    data += e.data
                elif isinstance(e, h11.EndOfMessage):
                    break
                else:
                    raise SimulationError(f"HTTP {meth} {Uri.to_string(u)}: the response body was cut short")
        except h11.RemoteProtocolError as e:
            raise SimulationError(f"HTTP {meth} {Uri.to_string(u)}: malformed response ({e})") from None
        finally:
            await Flow.close(flow)
        res = Response(
            ev.status_code,
            Header(tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in ev.headers)),
            "HTTP/" + ev.http_version.decode("ascii"),
        )
        return res, Body(bytes(data))

    async def get(self, uri: UriT | str, *, ctx: dict[str, Any], headers: Header | None = None) -> Any:
        return await self.call("GET", uri, ctx=ctx, headers=headers)

    async def head(self, uri: UriT | str, *, ctx: dict[str, Any], headers: Header | None = None) -> Any:
        return await self.call("HEAD", uri, ctx=ctx, headers=headers)

    async def delete(self, uri: UriT | str, *, ctx: dict[str, Any], headers: Header | None = None) -> Any:
        return await self.call("DELETE", uri, ctx=ctx, headers=headers)

    async def post(self, uri: UriT | str, *, ctx: dict[str, Any], body: Any = None, headers: Any = None) -> Any:
        return await self.call("POST", uri, ctx=ctx, headers=headers, body=body)

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


class _ServerFunctor:
    @staticmethod
    def Make(conduit_module: Any) -> CohttpServer:  # noqa: N802 - the OCaml functor's name
        return CohttpServer(conduit_module)


class _ClientFunctor:
    @staticmethod
    def Make(resolver_module: Any, conduit_module: Any = None) -> CohttpClient:  # noqa: N802
        return CohttpClient(conduit_module if conduit_module is not None else resolver_module)


class Cohttp_mirage:  # noqa: N801 - the OCaml library's name
    """``Cohttp_mirage.Server.Make(C)`` and ``Cohttp_mirage.Client.Make(R)(C)`` (``Make(R, C)`` here)."""

    Server = _ServerFunctor
    Client = _ClientFunctor
