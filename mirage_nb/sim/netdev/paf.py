"""paf: twins of ``Paf_mirage.Make(TCP)`` (the ``http_server`` device of ``paf_server ~port tcpv4v6``) and ``H1``.

paf serves HTTP/1.1 with httpaf's API (``H1``), over TCP or TLS. A unikernel
receives the server already listening (``Paf_mirage.init ~port tcp`` is the
device's ``connect``) and starts a service on it::

    def request_handler(flow, dst):
        def handle(reqd):
            req = H1.Reqd.request(reqd)
            body = f"{req.meth} {req.target}\\n"
            res = H1.Response.create("OK", headers=H1.Headers.of_list([("content-length", str(len(body)))]))
            H1.Reqd.respond_with_string(reqd, res, body)
        return handle

    service = HTTP_server.http_service(error_handler=error_handler, request_handler=request_handler)
    match Paf.serve(service, http_server):
        case Initialized(th): await th

As in httpaf, a request handler is an ordinary function of the ``reqd``: it
answers now (``respond_with_string``) or later, from a task it starts
(``respond_with_streaming`` gives a body writer; ``H1.Body.Writer.close``
ends it). The request body is read before the handler runs and handed to
``H1.Body.Reader.schedule_read`` callbacks. A malformed request goes to
``error_handler(dst)(error, start_response)`` (``start_response(headers)``
gives a writer for the error body); without an answer, the client gets
``400 Bad Request``. HTTP/1.1 is h11; keep-alive as the client asks.
``https_service ~tls`` runs the same over TLS (:class:`~.tls.TlsFlow`).

``alpn_service ~tls handler`` serves HTTPS where the TLS handshake's ALPN
picks the protocol (the server's ``Tls.Config.server ~alpn_protocols``):
``h2`` goes to HTTP/2 (:mod:`~.paf_h2`, the ``h2`` package), anything else
to HTTP/1.1. ``handler`` is ``Alpn.Handler(error=..., request=...)``;
``request(flow, dst, reqd, protocol)`` gets ``Alpn.H2()`` or
``Alpn.HTTP_1_1()`` and the same ``reqd`` API either way (``H2`` is ``H1``'s
twin: ``H2.Reqd.request``, ``H2.Headers.get``...). Request bodies arrive
whole: ``Body.Reader.schedule_read`` gives them in one ``on_read``, then
``on_eof``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h11

from mirage_nb.errors import SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import async_, is_sleeping, spawn, wakeup
from mirage_nb.sim.netdev._module import FlowProxy, invoke, wait_any
from mirage_nb.sim.netdev.cohttp import Code, _next_event, _request_body
from mirage_nb.sim.netdev.paf_h2 import serve_h2
from mirage_nb.sim.netdev.tls import TlsFlow
from mirage_nb.sim.result import Error

__all__ = ["H1", "H2", "Alpn", "Paf", "PafServer", "Initialized", "PAF_SRC"]

PAF_SRC = Src("paf-mirage", "HTTP server (paf)")


# --- H1 (httpaf) values -----------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    meth: str
    target: str
    headers: list[tuple[str, str]]
    version: str = "HTTP/1.1"


@dataclass(frozen=True)
class _Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None


class _Headers:
    @staticmethod
    def of_list(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in pairs]

    @staticmethod
    def get(h: list[tuple[str, str]], name: str) -> str | None:
        n = name.lower()
        found = [v for k, v in h if k.lower() == n]
        return found[0] if found else None

    empty: list[tuple[str, str]] = []


class _ResponseApi:
    @staticmethod
    def create(status: str | int, *, headers: list[tuple[str, str]] | None = None, reason: str | None = None) -> Any:
        return _Response(Code.code_of_status(status), list(headers or []), reason)


class _Writer:
    """``H1.Body.Writer.t``: chunks of a streamed body; ``close`` ends the response."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False
        self.waiter: Any = None

    def _wake(self) -> None:
        w, self.waiter = self.waiter, None
        if w is not None:
            wakeup(w, None)


class _WriterApi:
    @staticmethod
    def write_string(w: _Writer, s: str | bytes) -> None:
        if w.closed:
            raise SimulationError("H1.Body.Writer.write_string: the body writer is closed")
        w.chunks.append(s.encode("latin-1") if isinstance(s, str) else bytes(s))
        w._wake()

    @staticmethod
    def write_bigstring(w: _Writer, buf: Any, *, off: int = 0, len: int | None = None) -> None:  # noqa: A002
        data = bytes(buf)
        _WriterApi.write_string(w, data[off : off + len] if len is not None else data[off:])

    @staticmethod
    def flush(w: _Writer, k: Any = None) -> None:
        if k is not None:
            k()

    @staticmethod
    def close(w: _Writer) -> None:
        w.closed = True
        w._wake()

    @staticmethod
    def is_closed(w: _Writer) -> bool:
        return w.closed


class _ReadBody:
    """``Body.Reader.t``: a request body, read once (the whole of it), then at its end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = False

    def __bytes__(self) -> bytes:
        return self.data

    def __len__(self) -> int:
        return len(self.data)


class _ReaderApi:
    @staticmethod
    def schedule_read(body: Any, *, on_eof: Any, on_read: Any) -> None:
        """Call ``on_read(data, off=, len=)`` with the whole body (if any), then ``on_eof()`` on the next read."""
        if isinstance(body, _ReadBody):
            if body.read or not body.data:
                on_eof()
                return
            body.read = True
            on_read(body.data, off=0, len=len(body.data))
        elif body:
            on_read(body, off=0, len=len(body))
        else:
            on_eof()

    @staticmethod
    def close(body: Any) -> None:
        if isinstance(body, _ReadBody):
            body.read = True


class _Body:
    Writer = _WriterApi
    Reader = _ReaderApi


class Reqd:
    """``H1.Reqd.t``: one request and the way to answer it."""

    def __init__(self, request: _Request, body: bytes) -> None:
        self._request = request
        self._body = body
        self.response: _Response | None = None
        self.writer: _Writer | None = None
        self.fixed: bytes | None = None
        self._reader: _ReadBody | None = None
        self._done, self._r = wait_any()

    def _answer(self) -> None:
        if is_sleeping(self._done):
            wakeup(self._r, None)


class _ReqdApi:
    @staticmethod
    def request(reqd: Reqd) -> _Request:
        return reqd._request

    @staticmethod
    def request_body(reqd: Reqd) -> _ReadBody:
        if reqd._reader is None:
            reqd._reader = _ReadBody(reqd._body)
        return reqd._reader

    @staticmethod
    def respond_with_string(reqd: Reqd, response: _Response, body: str | bytes) -> None:
        if reqd.response is not None:
            raise SimulationError("H1.Reqd.respond_with_string: this request was already answered")
        reqd.response = response
        reqd.fixed = body.encode("latin-1") if isinstance(body, str) else bytes(body)
        reqd._answer()

    respond_with_bigstring = respond_with_string

    @staticmethod
    def respond_with_streaming(reqd: Reqd, response: _Response, *, flush_headers_immediately: bool = False) -> _Writer:
        if reqd.response is not None:
            raise SimulationError("H1.Reqd.respond_with_streaming: this request was already answered")
        reqd.response = response
        reqd.writer = _Writer()
        reqd._answer()
        return reqd.writer


class H1:
    """The httpaf names paf handlers use: ``Request``, ``Response``, ``Headers``, ``Reqd``, ``Body``."""

    Request = _Request
    Response = _ResponseApi
    Headers = _Headers
    Reqd = _ReqdApi
    Body = _Body


class H2(H1):
    """ocaml-h2's names, the same API as :class:`H1` (a request's ``version`` is ``HTTP/2.0``)."""


@dataclass(frozen=True)
class _Http11:
    """``Alpn.HTTP_1_1 _``: the connection speaks HTTP/1.1."""


@dataclass(frozen=True)
class _H2:
    """``Alpn.H2 _``: the connection speaks HTTP/2."""


@dataclass(frozen=True)
class _AlpnHandler:
    """``{ Alpn.error; Alpn.request }``: ``request(flow, dst, reqd, protocol)``, ``error(dst, proto, err, respond)``."""

    request: Any
    error: Any = None


class Alpn:
    """The ``Alpn`` module of paf: the protocols and the handler record of ``alpn_service``."""

    HTTP_1_1 = _Http11
    H2 = _H2
    http_1_1 = _Http11()
    h2 = _H2()
    Handler = _AlpnHandler


# --- the server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Initialized:
    """```Initialized th``: the promise of a running service."""

    th: Any


@dataclass
class _Service:
    request_handler: Any
    error_handler: Any = None
    tls: Any = None
    alpn: _AlpnHandler | None = None


@dataclass
class _Listening:
    """``Paf_mirage.t``: the main socket, accepting connections on ``port``."""

    tcp_module: Any
    tcp: Any
    port: int
    backlog: list[Any] = field(default_factory=list)
    waiters: list[Any] = field(default_factory=list)
    closed: bool = False
    _paf: Any = None


class PafServer:
    """The module ``Paf_mirage.Make(Stack)``: ``init``, ``accept``, ``close``, ``http_service``, ``https_service``."""

    def __init__(self, tcp_module: Any, module_name: str = "Paf_mirage.Make") -> None:
        self.TCP = tcp_module
        self.module_name = module_name

    async def init(self, *, port: int, tcp: Any) -> _Listening:
        """``init ~port tcp``: listen on ``port``; connections wait in a backlog until accepted."""
        t = _Listening(self.TCP, tcp, port, _paf=self)

        def on_connect(flow: Any) -> None:  # the flow stays open after this: the service closes it
            if t.waiters:
                wakeup(t.waiters.pop(0), flow)
            else:
                t.backlog.append(flow)

        self.TCP.listen(tcp, port=port, callback=on_connect)
        return t

    async def accept(self, t: _Listening) -> Any:
        from mirage_nb.sim.netdev.values import Closed
        from mirage_nb.sim.result import Ok

        if t.closed:
            return Error(Closed())
        if t.backlog:
            return Ok(t.backlog.pop(0))
        p, r = wait_any()
        t.waiters.append(r)
        flow = await p
        return Ok(flow) if flow is not None else Error(Closed())

    async def close(self, t: _Listening) -> None:
        t.closed = True
        self.TCP.unlisten(t.tcp, t.port)
        for w in t.waiters:
            wakeup(w, None)
        t.waiters.clear()

    @staticmethod
    def http_service(*, error_handler: Any = None, request_handler: Any, config: Any = None) -> _Service:
        return _Service(request_handler, error_handler)

    @staticmethod
    def https_service(*, tls: Any, error_handler: Any = None, request_handler: Any, config: Any = None) -> _Service:
        return _Service(request_handler, error_handler, tls)

    @staticmethod
    def alpn_service(handler: _AlpnHandler, *, tls: Any) -> _Service:
        """``alpn_service ~tls handler``: HTTPS, HTTP/2 or HTTP/1.1 as the TLS handshake's ALPN chose."""
        if not isinstance(handler, _AlpnHandler):
            raise SimulationError("alpn_service: the handler must be Alpn.Handler(request=..., error=...)")
        error = handler.error

        def error_handler(dst: Any) -> Any:
            return lambda err, respond: error(dst, Alpn.http_1_1, err, respond)

        return _Service(None, error_handler if error is not None else None, tls, handler)

    # --- serving ------------------------------------------------------------------------

    async def _serve(self, service: _Service, t: _Listening) -> None:
        from mirage_nb.sim.result import Ok

        while not t.closed:
            r = await self.accept(t)
            if not isinstance(r, Ok):
                return
            async_(self._connection(service, r.value))

    async def _connection(self, service: _Service, tcp_flow: Any) -> None:
        flow: Any = tcp_flow
        if service.tls is not None:
            r = await TlsFlow.server_of_flow(service.tls, tcp_flow)
            if isinstance(r, Error):
                Logs.info(lambda m: m("TLS handshake failed: %s", str(r.error)), src=PAF_SRC)
                return
            flow = r.value
        dst = tcp_flow.dst()
        flow = _Tunnel(flow)
        alpn = service.alpn
        if alpn is not None:
            if getattr(flow, "alpn_protocol", None) == "h2":
                await self._h2_connection(alpn, flow, dst)
                return

            def handler(reqd: Reqd) -> Any:
                return alpn.request(flow, dst, reqd, Alpn.http_1_1)
        else:
            handler = service.request_handler(flow, dst)
        conn = h11.Connection(h11.SERVER)
        switched = False
        try:
            while True:
                try:
                    ev = await _next_event(conn, _FlowOps, flow)
                    if isinstance(ev, h11.ConnectionClosed):
                        return
                    assert isinstance(ev, h11.Request)
                    body = await _request_body(conn, _FlowOps, flow)
                except h11.RemoteProtocolError as e:
                    await self._bad_request(service, conn, flow, dst, str(e))
                    return
                req = _Request(
                    ev.method.decode("latin-1"),
                    ev.target.decode("latin-1"),
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in ev.headers],
                    "HTTP/" + ev.http_version.decode("ascii"),
                )
                reqd = Reqd(req, body)
                await invoke(handler, reqd)
                await reqd._done
                if not await self._respond(conn, flow, reqd):
                    return
                if conn.our_state is h11.SWITCHED_PROTOCOL:  # a CONNECT answered 2xx: the flow is the handler's
                    flow.pushback(conn.trailing_data[0])
                    switched = True
                    return
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        finally:
            if not switched:
                await flow.close()

    async def _h2_connection(self, alpn: _AlpnHandler, flow: Any, dst: Any) -> None:
        def make_reqd(headers: list[tuple[str, str]], body: bytes) -> Reqd:
            pseudo = {k: v for k, v in headers if k.startswith(":")}
            req = _Request(pseudo.get(":method", "GET"), pseudo.get(":path", "/"), headers, "HTTP/2.0")
            return Reqd(req, body)

        async def handle(reqd: Reqd) -> None:
            await invoke(alpn.request, flow, dst, reqd, Alpn.h2)
            await reqd._done

        try:
            await serve_h2(flow, make_reqd=make_reqd, handle=handle, src=PAF_SRC)
        finally:
            await flow.close()

    async def _respond(self, conn: h11.Connection, flow: Any, reqd: Reqd) -> bool:
        res = reqd.response
        assert res is not None
        headers = list(res.headers)
        names = {k.lower() for k, _ in headers}
        if reqd.writer is not None and "content-length" not in names and "transfer-encoding" not in names:
            headers.append(("transfer-encoding", "chunked"))
        if reqd.fixed is not None and "content-length" not in names and "transfer-encoding" not in names:
            # httpaf would close the connection to delimit the body; h11 needs a length or chunks
            headers.append(("content-length", str(len(reqd.fixed))))
        reason = res.reason if res.reason is not None else Code.reason_phrase_of_code(res.status)
        if reqd._request.meth == "CONNECT" and 200 <= res.status < 300:
            headers = [h for h in headers if h[0].lower() not in ("content-length", "transfer-encoding")]
        out = conn.send(h11.Response(status_code=res.status, headers=headers, reason=reason))
        if conn.our_state is h11.SWITCHED_PROTOCOL:
            return not isinstance(await flow.write(out), Error)
        if reqd.fixed is not None:
            out += conn.send(h11.Data(data=reqd.fixed)) if reqd.fixed else b""
            out += conn.send(h11.EndOfMessage())
            return not isinstance(await flow.write(out), Error)
        w = reqd.writer
        assert w is not None
        if isinstance(await flow.write(out), Error):
            return False
        while True:
            while w.chunks:
                chunk = w.chunks.pop(0)
                if chunk and isinstance(await flow.write(conn.send(h11.Data(data=chunk))), Error):
                    return False
            if w.closed:
                break
            p, r = wait_any()
            w.waiter = r
            await p
        return not isinstance(await flow.write(conn.send(h11.EndOfMessage())), Error)

    async def _bad_request(self, service: _Service, conn: h11.Connection, flow: Any, dst: Any, reason: str) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        started: dict[str, Any] = {}

        def start_response(headers: list[tuple[str, str]]) -> _Writer:
            started["headers"] = list(headers)
            started["writer"] = w = _Writer()
            return w

        if service.error_handler is not None:
            await invoke(service.error_handler(dst), ("Bad_request", reason), start_response)
        w = started.get("writer")
        body = b"".join(w.chunks) if w is not None else b""
        headers = [h for h in started.get("headers", []) if h[0].lower() not in ("content-length", "connection")]
        headers += [("content-length", str(len(body))), ("connection", "close")]
        try:
            out = conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request"))
            out += (conn.send(h11.Data(data=body)) if body else b"") + conn.send(h11.EndOfMessage())
            await flow.write(out)
        except h11.LocalProtocolError:
            pass

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


class _Tunnel(FlowProxy):
    """A connection's flow as handlers see it: bytes read past a ``CONNECT`` are given back first.

    After a ``CONNECT`` answered 2xx, the HTTP connection stops and the flow
    belongs to the handler (``HTTP_server.TCP.no_close``), which relays it;
    what the client sent right after its request is read from here first.
    """

    def __init__(self, flow: Any) -> None:
        super().__init__(flow)
        self._pending = b""

    def pushback(self, data: bytes) -> None:
        self._pending = bytes(data) + self._pending

    async def read(self) -> Any:
        from mirage_nb.sim.netdev.values import Data
        from mirage_nb.sim.result import Ok

        if self._pending:
            data, self._pending = self._pending, b""
            return Ok(Data(memoryview(data)))
        return await self.flow.read()

    def __repr__(self) -> str:
        return repr(self.flow)


class _FlowOps:
    """Flow functions by value (``Flow.read flow``) for :func:`_next_event`, for TCP and TLS flows alike."""

    @staticmethod
    def read(flow: Any) -> Any:
        return flow.read()


class Paf:
    """``Paf.serve service t``: start the service; returns ``Initialized(th)``."""

    @staticmethod
    def serve(service: _Service, t: _Listening, *, stop: Any = None) -> Initialized:
        server = getattr(t, "_paf", None)
        if server is None:
            raise SimulationError("Paf.serve: the second argument must be the http_server device's value")
        return Initialized(spawn(server._serve(service, t), "paf.serve"))
