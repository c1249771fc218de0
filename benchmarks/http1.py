"""HTTP requests per CPU second: the whole simulated stack against h11 over a loopback socket pair.

Ours: the bundled ``conduit_server`` unikernel, booted from the engine's
graph of its config.ml, answers a scripted HTTP peer on the virtual LAN;
every request crosses both sides' h11, TCP, IPv4, ARP and Ethernet, and the
virtual switch. The peer: h11 client and h11 server in this process over a
``socket.socketpair()`` (the kernel's loopback). Both send the same request
and the same response, on one kept-alive connection and with a new
connection per request. Times are CPU time (``time.process_time``), best
of 3; the ratio is our rate divided by the peer's (aim: 0.25x or more).

Run: ``python benchmarks/http1.py [N]`` (not ``http.py``: in ``benchmarks/`` that name would hide the
standard library's ``http`` package from every script run there).
"""

from __future__ import annotations

import os
import socket
import sys
import time

import h11

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep

BODY = b"hello mirage world!\n"
HERE = os.path.join(EXAMPLES_DIR, "conduit_server")


def ours(n: int, keep_alive: bool) -> float:
    nodes = cli.nodes_of_graph(load(os.path.join(HERE, "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    uk = load_unikernel(os.path.join(HERE, "unikernel.py"))
    run = Run(seed=0, argv=["--ipv4=10.0.0.2/24"], name="conduit_server", until=f"{n + 100}s")
    lan = VirtualLan.of_run(run)
    web = HttpPeer.on(lan)
    done: list[int] = []
    t: list[float] = []

    async def go() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        t.append(time.process_time())
        for _ in range(n):
            r = await web.get("http://10.0.0.2/", keep_alive=keep_alive)
            assert r.body == BODY
            done.append(1)
        t.append(time.process_time())
        from mirage_nb.unikernel import exit as ocaml_exit

        ocaml_exit(0)

    web.peer.script(go)
    boot(nodes, uk, run=run, connectors=NET_CONNECTORS)
    assert len(done) == n
    return t[1] - t[0]


def peer(n: int, keep_alive: bool) -> float:
    t0 = time.process_time()
    a = b = None
    client = server = None
    for _ in range(n):
        if a is None or not keep_alive:
            if a is not None:
                a.close()
                b.close()
            a, b = socket.socketpair()
            client, server = h11.Connection(h11.CLIENT), h11.Connection(h11.SERVER)
        hs = [("host", "10.0.0.2")] + ([] if keep_alive else [("connection", "close")])
        a.sendall(client.send(h11.Request(method="GET", target="/", headers=hs)) + client.send(h11.EndOfMessage()))
        while True:
            ev = server.next_event()
            if ev is h11.NEED_DATA:
                server.receive_data(b.recv(65536))
                continue
            if isinstance(ev, h11.EndOfMessage):
                break
        out = server.send(
            h11.Response(status_code=200, headers=[("content-length", str(len(BODY))), ("connection", "keep-alive")])
        )
        b.sendall(out + server.send(h11.Data(data=BODY)) + server.send(h11.EndOfMessage()))
        body = b""
        while True:
            ev = client.next_event()
            if ev is h11.NEED_DATA:
                client.receive_data(a.recv(65536))
                continue
            if isinstance(ev, h11.Data):
                body += ev.data
            if isinstance(ev, h11.EndOfMessage):
                break
        assert body == BODY
        if keep_alive:
            client.start_next_cycle()
            server.start_next_cycle()
    a.close()
    b.close()
    return time.process_time() - t0


def best(f, *args) -> float:
    return min(f(*args) for _ in range(3))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    print(f"HTTP/1.1 GET, {n} requests, CPU time best of 3")
    for keep in (True, False):
        o, p = best(ours, n, keep), best(peer, n, keep)
        label = "kept-alive connection" if keep else "connection per request"
        print(f"  {label:24s} ours {n / o:9.0f} req/s   h11+socketpair {n / p:9.0f} req/s   ratio {p / o:.2f}x")


if __name__ == "__main__":
    main()
