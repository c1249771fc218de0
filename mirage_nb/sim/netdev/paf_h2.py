"""HTTP/2 for paf's ALPN service: the server side of one connection, over a TLS (or TCP) flow, with ``h2``.

paf hands a connection whose TLS handshake chose ``h2`` to ocaml-h2; this
is its twin. The protocol is the ``h2`` package's :class:`h2.connection.H2Connection`
(framing, HPACK, flow control, settings); this module only moves bytes
between it and the flow, and turns each request into the same ``reqd`` the
HTTP/1.1 side gives handlers (:class:`~.paf.Reqd`), so one handler serves
both (``H2.Reqd.request reqd``, ``respond_with_string``,
``respond_with_streaming``...).

Streams run concurrently: each request's handler is called when its
headers and body have arrived, and its answer is sent when ready, in
``DATA`` frames no larger than the peer's frame size and flow-control
window (a writer waits for ``WINDOW_UPDATE``). Connection-specific headers
an HTTP/1.1 handler might set (``connection``, ``transfer-encoding``...)
are not HTTP/2 and are dropped, as ocaml-h2 refuses them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from mirage_nb.sim.logs import Logs
from mirage_nb.sim.lwt import async_, wakeup
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.values import Data
from mirage_nb.sim.result import Error, Ok

__all__ = ["serve_h2", "CONNECTION_HEADERS"]

CONNECTION_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
"""Header names HTTP/2 forbids (RFC 9113 section 8.2.2)."""


@dataclass
class _Stream:
    headers: list[tuple[str, str]]
    body: bytearray = field(default_factory=bytearray)


@dataclass
class _H2State:
    """One connection: the h2 machine, the flow, the streams being received, the writers waiting for window."""

    conn: h2.connection.H2Connection
    flow: Any
    streams: dict[int, _Stream] = field(default_factory=dict)
    window_waiters: list[Any] = field(default_factory=list)
    closed: bool = False
    running: int = 0

    async def flush(self) -> bool:
        out = self.conn.data_to_send()
        if not out or self.closed:
            return not self.closed
        if isinstance(await self.flow.write(out), Error):
            self.closed = True
            self.wake_writers()
            return False
        return True

    def wake_writers(self) -> None:
        ws, self.window_waiters = self.window_waiters, []
        for w in ws:
            wakeup(w, None)

    async def send_data(self, sid: int, data: bytes, *, end: bool) -> bool:
        """Send ``data`` on stream ``sid`` within the flow-control window, waiting for it to open."""
        view = memoryview(data)
        while view and not self.closed:
            try:
                room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            except h2.exceptions.StreamClosedError:  # the peer reset the stream
                return False
            if room <= 0:
                p, r = wait_any()
                self.window_waiters.append(r)
                await p
                continue
            chunk, view = view[:room], view[room:]
            self.conn.send_data(sid, bytes(chunk), end_stream=end and not view)
            if not await self.flush():
                return False
        if end and not data and not self.closed:
            try:
                self.conn.end_stream(sid)
            except h2.exceptions.StreamClosedError:
                return False
            return await self.flush()
        return not self.closed


RequestOf = Callable[[list[tuple[str, str]], bytes], Any]
"""Makes the handler's ``reqd`` of a request's headers (pseudo-headers included) and body."""


async def serve_h2(
    flow: Any,
    *,
    make_reqd: RequestOf,
    handle: Callable[[Any], Awaitable[None]],
    src: Any,
) -> None:
    """Serve HTTP/2 on ``flow`` until the peer goes away; ``handle(reqd)`` answers each request.

    ``handle`` returns once the handler has chosen its answer (``reqd.response``
    with ``reqd.fixed`` bytes, or ``reqd.writer``, a streamed body).
    """
    cfg = h2.config.H2Configuration(client_side=False, header_encoding="latin-1", validate_inbound_headers=True)
    st = _H2State(h2.connection.H2Connection(config=cfg), flow)
    st.conn.initiate_connection()
    await st.flush()
    try:
        while not st.closed:
            r = await flow.read()
            match r:
                case Ok(Data(buf)):
                    data = bytes(buf)
                case _:
                    break
            try:
                events = st.conn.receive_data(data)
            except h2.exceptions.ProtocolError as e:
                Logs.info(lambda m, e=e: m("HTTP/2 protocol error: %s", str(e)), src=src)
                await st.flush()  # the GOAWAY h2 queued
                break
            for ev in events:
                _event(st, ev, make_reqd, handle)
            if not await st.flush():
                break
            if any(isinstance(ev, h2.events.ConnectionTerminated) for ev in events):
                break
    finally:
        st.closed = True
        st.wake_writers()


def _event(st: _H2State, ev: Any, make_reqd: RequestOf, handle: Callable[[Any], Awaitable[None]]) -> None:
    conn = st.conn
    match ev:
        case h2.events.RequestReceived(stream_id=sid, headers=headers):
            st.streams[sid] = _Stream([(str(k), str(v)) for k, v in headers or []])
            if ev.stream_ended is not None:
                _start(st, sid, make_reqd, handle)
        case h2.events.DataReceived(stream_id=sid, data=data, flow_controlled_length=n):
            s = st.streams.get(sid)
            if s is not None:
                s.body += data
            conn.acknowledge_received_data(n, sid)
            if ev.stream_ended is not None:
                _start(st, sid, make_reqd, handle)
        case h2.events.StreamEnded(stream_id=sid):
            if sid in st.streams:
                _start(st, sid, make_reqd, handle)
        case h2.events.StreamReset(stream_id=sid):
            st.streams.pop(sid, None)
        case h2.events.WindowUpdated() | h2.events.RemoteSettingsChanged():
            st.wake_writers()
        case _:
            pass


def _start(st: _H2State, sid: int, make_reqd: RequestOf, handle: Callable[[Any], Awaitable[None]]) -> None:
    s = st.streams.pop(sid, None)
    if s is None:
        return
    reqd = make_reqd(s.headers, bytes(s.body))

    async def answer() -> None:
        st.running += 1
        try:
            await handle(reqd)
            await _respond(st, sid, reqd)
        finally:
            st.running -= 1

    async_(answer())


async def _respond(st: _H2State, sid: int, reqd: Any) -> None:
    res = reqd.response
    if res is None or st.closed:
        return
    headers = [(":status", str(res.status))]
    headers += [(k.lower(), v) for k, v in res.headers if k.lower() not in CONNECTION_HEADERS]
    fixed = reqd.fixed
    if reqd._request.meth == "HEAD":  # a HEAD answer has headers only (RFC 9110 section 9.3.2)
        fixed = b""
    try:
        st.conn.send_headers(sid, headers, end_stream=fixed is not None and not fixed)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        return
    if not await st.flush():
        return
    if fixed is not None:
        if fixed:
            await st.send_data(sid, fixed, end=True)
        return
    w = reqd.writer
    while True:
        while w.chunks:
            if not await st.send_data(sid, w.chunks.pop(0), end=False):
                return
        if w.closed:
            break
        p, r = wait_any()
        w.waiter = r
        await p
    await st.send_data(sid, b"", end=True)
