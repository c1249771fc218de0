"""TLS handshakes per CPU second: the simulated HTTPS unikernel against ``ssl`` over a socket pair.

Ours: the bundled ``static_website_tls`` unikernel (booted from the engine's
graph, certificate from its ``tls`` kv_ro) accepts connections on 443 from
a scripted peer on the virtual LAN; each connection is a full TLS handshake
through the simulated stack (both sides' TCP, IP, Ethernet, and the TLS
machine over memory BIOs), then a close. The peer: the same two ``ssl``
contexts handshaking over a ``socket.socketpair()`` in this process
(non-blocking sockets, alternating sides), each connection closed with a
close_notify each way as ours are (the client closes first, the server
answers). Same certificate in both (ECDSA
P-256, then RSA 2048 as mirage-skeleton's example ships, made by
:mod:`mirage_nb.sim.netdev.pki`), same protocol version.
Times are CPU time (``time.process_time``), best of 5 (the machine may be shared); the ratio is our rate
divided by the peer's (aim: 0.5x or more).

Run: ``python benchmarks/tls.py [N]``.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import sys
import tempfile
import time

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.net.tls import client_context, server_context
from mirage_nb.sim.netdev.http_peer import HttpPeer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.pki import TestPki, write_test_pki
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep
from mirage_nb.unikernel import exit as ocaml_exit


def site(key_type: str = "ec") -> tuple[str, TestPki]:
    d = os.path.join(tempfile.mkdtemp(prefix="mirage-nb-tls-bench-"), "site")
    shutil.copytree(os.path.join(EXAMPLES_DIR, "static_website_tls"), d)
    return d, write_test_pki(os.path.join(d, "tls"), ["10.0.0.2"], key_type=key_type)


def ours(d: str, pki: TestPki, n: int, version: str) -> float:
    nodes = cli.nodes_of_graph(load(os.path.join(d, "config.ml")).configured(["--net=direct", "--no-dhcp"]))
    uk = load_unikernel(os.path.join(d, "unikernel.py"))
    run = Run(seed=0, argv=["--ipv4=10.0.0.2/24", "-l", "*:warning"], name="https", until=f"{n + 100}s")
    lan = VirtualLan.of_run(run)
    web = HttpPeer.on(lan, ca=pki.ca, tls_versions=(version, version))
    t: list[float] = []
    done: list[str | None] = []

    async def go() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        t.append(time.process_time())
        for _ in range(n):
            c = await web._open("10.0.0.2", 443, True)
            assert c.tls is not None
            done.append(c.tls.version)
            await web._close(c)
        t.append(time.process_time())
        ocaml_exit(0)

    web.peer.script(go)
    boot(nodes, uk, run=run, connectors=NET_CONNECTORS, data_dir=d)
    assert len(done) == n and set(done) == {f"TLSv{version}"}, done[:3]
    return t[1] - t[0]


def peer(pki: TestPki, n: int, version: str) -> float:
    sctx = server_context(pki.cert, pki.key, versions=(version, version))
    cctx = client_context(pki.ca, versions=(version, version))
    cctx.check_hostname = False
    t0 = time.process_time()
    for _ in range(n):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        c = cctx.wrap_socket(a, server_hostname="10.0.0.2", do_handshake_on_connect=False)
        s = sctx.wrap_socket(b, server_side=True, do_handshake_on_connect=False)
        done = [False, False]
        while not all(done):
            for i, x in enumerate((c, s)):
                if done[i]:
                    continue
                try:
                    x.do_handshake()
                    done[i] = True
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
        assert c.version() == f"TLSv{version}"
        # then both close as ours do: close_notify each way (SSLSocket.close alone would send none)
        done = [False, False]
        while not all(done):
            for i, x in enumerate((c, s)):
                if done[i]:
                    continue
                try:
                    x.unwrap()
                    done[i] = True
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
        c.close()
        s.close()
    return time.process_time() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"TLS handshakes, {n} per run, CPU time best of 5")
    for key_type, label in (("ec", "ECDSA P-256"), ("rsa", "RSA 2048")):
        d, pki = site(key_type)
        for version in ("1.2", "1.3"):
            o = min(ours(d, pki, n, version) for _ in range(5))
            p = min(peer(pki, n, version) for _ in range(5))
            print(
                f"  {label:11s} TLS {version}   ours {n / o:7.0f} hs/s   "
                f"ssl+socketpair {n / p:7.0f} hs/s   ratio {p / o:.2f}x"
            )
        shutil.rmtree(os.path.dirname(d), ignore_errors=True)


if __name__ == "__main__":
    main()
