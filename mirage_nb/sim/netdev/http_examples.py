"""The bundled HTTP unikernels on a virtual LAN (or bridged to Linux), for notebooks and tests.

:func:`run_http_example` reads the example's ``config.ml`` with our reader,
evaluates it with the engine (``--net=direct --no-dhcp`` by default, so the
unikernel takes ``--ipv4`` 10.0.0.2/24), boots the graph, and returns the
run's result; ``setup(lan)`` attaches peers first::

    pki = make_test_pki(["10.0.0.2"])
    web = []
    r = run_http_example("static_website_tls", pki=pki, until="4s",
                         setup=lambda lan: web.append(HttpPeer.on(lan, ca=pki.ca)) or
                                           web[0].fetch(["http://10.0.0.2/", "https://10.0.0.2/"], at="2s"))

A TLS example reads its certificate from a ``tls`` kv_ro directory that
mirage_nb does not ship (no private key is ever committed): give ``pki``
(:func:`~.pki.make_test_pki`) and the example runs from a temporary copy of
its directory with ``server.pem``, ``server.key`` and ``ca-roots.crt`` in
``tls/``. :func:`run_bridged_http_example` does the same bridged to a Linux
network namespace, where ``curl`` reaches the unikernel.

``http`` (mirage-skeleton's applications/http, ``minipaf``) takes the
certificate in ``certificates/`` and the key in ``keys/`` (``pki`` writes
both as ``server``); without ``pki`` it serves plain HTTP only. With
``--tls`` it serves HTTP/2 or HTTP/1.1 on ``--tls-port`` (4343) as ALPN
decides. ``http-fetch`` is a client: :func:`run_http_fetch` runs it with
the ``http`` unikernel as the remote site and a DNS peer serving
:data:`SITE_ZONE`, so ``https://www.example.test/`` is found by name::

    r = run_http_fetch(pki=make_test_pki(["www.example.test"]))
    print(r.output)        # "Fetching https://www.example.test/ with Cohttp", the response's sexp...
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from mirage_nb.errors import SimulationError

__all__ = [
    "HTTP_EXAMPLES",
    "SITE_ZONE",
    "http_example_dir",
    "run_http_example",
    "run_bridged_http_example",
    "run_http_fetch",
]

HTTP_EXAMPLES = ("conduit_server", "static_website_tls", "http", "http-fetch")
_NEEDS_PKI = {"static_website_tls", "http"}
_PKI_OPTIONAL = {"http"}  # its certificates/ and keys/ are empty without one: --tls then fails as the OCaml does


def http_example_dir(name: str, pki: Any = None) -> tuple[str, str | None]:
    """The directory to run ``name`` from, and a temporary directory to remove afterwards (or None)."""
    from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR

    if name not in HTTP_EXAMPLES:
        raise SimulationError(f"unknown HTTP example {name!r}: expected one of {', '.join(HTTP_EXAMPLES)}")
    src = os.path.join(EXAMPLES_DIR, name)
    if name not in _NEEDS_PKI or (name in _PKI_OPTIONAL and pki is None):
        return src, None
    if pki is None:
        raise SimulationError(
            f"{name} reads its certificate from tls/, which is not shipped: pass pki=make_test_pki(['10.0.0.2'])"
        )
    tmp = tempfile.mkdtemp(prefix=f"mirage-nb-{name}-")
    d = os.path.join(tmp, name)
    shutil.copytree(src, d)
    files: tuple[tuple[str, bytes], ...]
    if name == "http":  # what gen.sh writes: certificates/<name> and keys/<name>
        files = (("certificates/server", pki.cert), ("keys/server", pki.key))
    else:
        files = (("tls/server.pem", pki.cert), ("tls/server.key", pki.key), ("tls/ca-roots.crt", pki.ca))
    for fname, data in files:
        path = os.path.join(d, fname)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if "key" in fname:
            os.chmod(path, 0o600)
    return d, tmp


def _nodes(d: str, config_args: Iterable[str]) -> list[Any]:
    from mirage_nb.config_ml import load
    from mirage_nb.sim.cli import nodes_of_graph

    return nodes_of_graph(load(os.path.join(d, "config.ml")).configured(list(config_args)))


def run_http_example(
    name: str,
    *,
    setup: Callable[[Any], Any] | None = None,
    argv: Iterable[str] = ("--ipv4=10.0.0.2/24",),
    config_args: Iterable[str] = ("--net=direct", "--no-dhcp"),
    pki: Any = None,
    seed: int = 0,
    until: int | float | str | None = "10s",
    pcap: Any = None,
) -> Any:
    """Boot the bundled ``name`` (``conduit_server``, ``static_website_tls``) on a virtual LAN; the RunResult."""
    from mirage_nb.sim.boot import boot, load_unikernel
    from mirage_nb.sim.netdev.kinds import NET_CONNECTORS
    from mirage_nb.sim.netdev.lan import VirtualLan
    from mirage_nb.sim.run import Run

    d, tmp = http_example_dir(name, pki)
    try:
        nodes = _nodes(d, config_args)
        run_name = next((n.params.get("name") for n in nodes if n.kind == "argv"), name)
        run = Run(seed=seed, argv=list(argv), name=run_name, until=until)
        lan = VirtualLan.of_run(run, pcap=pcap) if pcap is not None else VirtualLan.of_run(run)
        if setup is not None:
            setup(lan)
        return boot(nodes, load_unikernel(os.path.join(d, "unikernel.py")), run=run, connectors=NET_CONNECTORS)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def run_bridged_http_example(
    name: str,
    linux: Callable[[Any], Any],
    *,
    argv: Iterable[str] = ("--ipv4=10.0.0.2/24",),
    config_args: Iterable[str] = ("--net=direct", "--no-dhcp"),
    pki: Any = None,
    until: int | float | str | None = "120s",
    pcap: Any = None,
) -> Any:
    """Boot ``name`` bridged to Linux (see :mod:`~.bridge`); ``linux(bridge)`` runs ``curl`` etc. beside it."""
    from mirage_nb.sim.boot import load_unikernel
    from mirage_nb.sim.netdev.bridge import run_bridged_unikernel

    d, tmp = http_example_dir(name, pki)
    try:
        nodes = _nodes(d, config_args)
        uk = load_unikernel(os.path.join(d, "unikernel.py"))
        return run_bridged_unikernel(nodes, uk, linux, argv=list(argv), until=until, pcap=pcap)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


SITE_ZONE = """$ORIGIN example.test.
$TTL 3600
@    IN SOA ns hostmaster 2026120701 86400 7200 1048576 300
@    IN NS  ns
ns   IN A   {dns}
www  IN A   {site}
"""
"""The zone :func:`run_http_fetch`'s DNS server answers from: ``www.example.test`` is the site."""


def run_http_fetch(
    *,
    pki: Any,
    uri: str = "https://www.example.test/",
    argv: Iterable[str] = (),
    site_argv: Iterable[str] = ("--tls", "--tls-port=443"),
    zone: str | None = None,
    fetcher_ip: str = "10.0.0.2",
    site_ip: str = "10.0.0.3",
    dns_ip: str = "10.0.0.53",
    seed: int = 0,
    until: int | float | str | None = "30s",
    pcap: bool = False,
    on_lan: Callable[[Any], Any] | None = None,
) -> Any:
    """Run ``http-fetch`` against the ``http`` example as a remote HTTPS site, found by DNS; the NetworkResult.

    Three hosts share the LAN: the fetcher (``--uri``, ``--resolver=udp:<dns_ip>``),
    the site (the bundled ``http`` unikernel with ``site_argv``, its
    certificate from ``pki``, made for ``www.example.test``) and a
    :class:`~.dns_peer.DnsServerPeer` serving :data:`SITE_ZONE` (or ``zone``).
    ``on_lan(lan)`` runs before anything boots (to add peers or a bridge).
    """
    from mirage_nb.loader import load_config
    from mirage_nb.sim.netdev.dns_peer import DnsServerPeer
    from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
    from mirage_nb.sim.network import Network

    site_dir, tmp = http_example_dir("http", pki)
    try:
        static: dict[str, Any] = {"net": "direct", "no_dhcp": True}
        net = Network().unikernel(
            "http-fetch",
            load_config(os.path.join(EXAMPLES_DIR, "http-fetch", "config.ml")),
            argv=[f"--ipv4={fetcher_ip}/24", f"--resolver=udp:{dns_ip}", f"--uri={uri}", *argv],
            **static,
        )
        net.unikernel(
            "site",
            load_config(os.path.join(site_dir, "config.ml")),
            argv=[f"--ipv4={site_ip}/24", *site_argv],
            **static,
        )
        text = zone if zone is not None else SITE_ZONE.format(dns=dns_ip, site=site_ip)

        def lan_ready(_name: str, lan: Any) -> None:
            DnsServerPeer(lan, cidr=f"{dns_ip}/24", zones=[text])
            if on_lan is not None:
                on_lan(lan)

        return net.run(seed=seed, until=until, pcap=pcap, on_lan=lan_ready)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
