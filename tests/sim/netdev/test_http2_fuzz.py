"""The HTTP/2 side of paf against arbitrary bytes: it answers with frames or GOAWAY, never an exception.

:func:`~mirage_nb.sim.netdev.paf_h2.serve_h2` runs on a flow made of the
bytes Hypothesis draws (after the client preface, or instead of it), in a
run of its own; whatever arrives, the run ends without an uncaught error and
what the server wrote parses as HTTP/2 frames.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.netdev.paf import PAF_SRC, Reqd, _Request
from mirage_nb.sim.netdev.paf_h2 import serve_h2
from mirage_nb.sim.netdev.values import Data, Eof
from mirage_nb.sim.result import Ok
from mirage_nb.sim.run import Run

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class ScriptedFlow:
    """A flow that yields the given chunks, then Eof, and keeps what is written."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.written = bytearray()

    async def read(self) -> Any:
        return Ok(Data(memoryview(self.chunks.pop(0)))) if self.chunks else Ok(Eof())

    async def write(self, buf: Any) -> Any:
        self.written += bytes(buf)
        return Ok(None)


def frames(data: bytes) -> list[int]:
    out = []
    while len(data) >= 9:
        n = int.from_bytes(data[:3], "big")
        out.append(data[3])
        data = data[9 + n :]
    assert data == b"" or len(data) < 9
    return out


def serve(chunks: list[bytes]) -> tuple[Any, ScriptedFlow]:
    flow = ScriptedFlow(chunks)

    def make_reqd(headers: list[tuple[str, str]], body: bytes) -> Reqd:
        pseudo = dict(h for h in headers if h[0].startswith(":"))
        return Reqd(_Request(pseudo.get(":method", "GET"), pseudo.get(":path", "/"), headers, "HTTP/2.0"), body)

    async def handle(reqd: Reqd) -> None:
        from mirage_nb.sim.netdev.paf import H2

        H2.Reqd.respond_with_string(reqd, H2.Response.create("OK"), "hi")

    async def main() -> None:
        await serve_h2(flow, make_reqd=make_reqd, handle=handle, src=PAF_SRC)

    return Run(seed=0, until="10s").run(main), flow


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_arbitrary_bytes_after_the_preface_end_the_connection_cleanly(junk: bytes, with_preface: bool) -> None:
    r, flow = serve([(PREFACE if with_preface else b"") + junk])
    assert r.exit_code == 0, str(r)
    types = frames(bytes(flow.written))
    assert types[0] == 4  # the server's SETTINGS come first, whatever the client sent


def test_a_well_formed_request_is_answered() -> None:
    import h2.config
    import h2.connection

    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", "x"), (":path", "/")], end_stream=True)
    r, flow = serve([c.data_to_send()])
    assert r.exit_code == 0
    events = c.receive_data(bytes(flow.written))
    names = [type(e).__name__ for e in events]
    assert "ResponseReceived" in names and "DataReceived" in names and "StreamEnded" in names
