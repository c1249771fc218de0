"""The client side of HTTP/2 over any byte transport, with the ``h2`` package.

Used by :class:`~.http_peer.HttpPeer` (``http2=True``) and by the
``paf_client`` device (:mod:`~.http_client`) once ALPN chose ``h2``. It
takes two coroutines, ``send(bytes)`` and ``recv() -> bytes`` (``b""`` at
the end of the transport), so the same code runs over a peer's TCP, a
unikernel's TCP flow or TLS over either.

Requests go one at a time on fresh streams of one connection (1, 3, 5...):
the request body is cut to the peer's frame size and flow-control window,
waiting for ``WINDOW_UPDATE`` when it is spent; the answer is complete at
its ``END_STREAM``. A ``GOAWAY``, a reset of our stream or the end of the
transport raise :class:`~mirage_nb.errors.SimulationError` naming what
happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from mirage_nb.errors import SimulationError

__all__ = ["H2Client", "H2Answer"]


@dataclass
class H2Answer:
    """One HTTP/2 response: status, headers (pseudo-headers left out), body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass
class _Pending:
    headers: list[tuple[str, str]] | None = None
    body: bytearray = field(default_factory=bytearray)
    ended: bool = False
    reset: int | None = None


class H2Client:
    """An HTTP/2 client connection over ``send``/``recv``."""

    def __init__(self, send: Callable[[bytes], Awaitable[object]], recv: Callable[[], Awaitable[bytes]]) -> None:
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="latin-1")
        self.conn = h2.connection.H2Connection(config=cfg)
        self._send = send
        self._recv = recv
        self.started = False
        self.gone: str | None = None
        self._streams: dict[int, _Pending] = {}

    async def _flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            await self._send(out)

    async def _pump(self) -> None:
        """Read once from the transport and apply what arrived."""
        data = await self._recv()
        if not data:
            self.gone = self.gone or "the server closed the connection"
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            self.gone = f"HTTP/2 protocol error: {e}"
            return
        for ev in events:
            match ev:
                case h2.events.ResponseReceived(stream_id=sid, headers=hs):
                    self._streams.setdefault(sid, _Pending()).headers = [(str(k), str(v)) for k, v in hs or []]
                case h2.events.DataReceived(stream_id=sid, data=d, flow_controlled_length=n):
                    self._streams.setdefault(sid, _Pending()).body += d
                    self.conn.acknowledge_received_data(n, sid)
                case h2.events.StreamEnded(stream_id=sid):
                    self._streams.setdefault(sid, _Pending()).ended = True
                case h2.events.StreamReset(stream_id=sid, error_code=code):
                    self._streams.setdefault(sid, _Pending()).reset = int(code)
                case h2.events.ConnectionTerminated(error_code=code):
                    self.gone = f"the server sent GOAWAY ({code!s})"
        await self._flush()

    async def request(
        self,
        method: str,
        authority: str,
        path: str,
        *,
        scheme: str = "https",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> H2Answer:
        """Send one request on a new stream and wait for its whole answer."""
        if not self.started:
            self.conn.initiate_connection()
            self.started = True
            await self._flush()
        if self.gone is not None:
            raise SimulationError(f"{method} {path}: {self.gone}")
        sid = self.conn.get_next_available_stream_id()
        self._streams[sid] = _Pending()
        hs = [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)]
        hs += [(k.lower(), v) for k, v in headers if k.lower() not in ("host", "connection", "transfer-encoding")]
        if body:
            hs.append(("content-length", str(len(body))))
        self.conn.send_headers(sid, hs, end_stream=not body)
        await self._flush()
        view = memoryview(body)
        while view:
            room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if room <= 0:
                await self._pump()
                self._check(sid, method, path)
                continue
            chunk, view = view[:room], view[room:]
            self.conn.send_data(sid, bytes(chunk), end_stream=not view)
            await self._flush()
        while not self._streams[sid].ended:
            self._check(sid, method, path)
            await self._pump()
        st = self._streams.pop(sid)
        pseudo = dict(h for h in st.headers or [] if h[0].startswith(":"))
        rest = [h for h in st.headers or [] if not h[0].startswith(":")]
        return H2Answer(int(pseudo.get(":status", "0")), rest, bytes(st.body))

    def _check(self, sid: int, method: str, path: str) -> None:
        st = self._streams[sid]
        if st.reset is not None:
            raise SimulationError(f"{method} {path}: the server reset the stream (error {st.reset})")
        if self.gone is not None and not st.ended:
            raise SimulationError(f"{method} {path}: {self.gone}")

    async def close(self) -> None:
        """Send GOAWAY (no error)."""
        if self.started and self.gone is None:
            self.conn.close_connection()
            await self._flush()
            self.gone = "closed"
