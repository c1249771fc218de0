"""HTTP servers and clients: cohttp, httpaf, paf (twin of mirage's ``lib/devices/http.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.types import Typ

from ._util import expect, pos
from .conduit import conduit
from .mimic import mimic
from .resolver import resolver
from .tcp import tcpv4v6

__all__ = [
    "http",
    "http_client",
    "http_server",
    "alpn_client",
    "cohttp_server",
    "cohttp_client",
    "httpaf_server",
    "paf_server",
    "paf_client",
]

_FILE = "lib/devices/http.ml"

http = Typ("http")
http_client = Typ("http_client")
http_server = Typ("http_server")
alpn_client = Typ("alpn_client")


def _listen(err: str):
    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (c,) = expect(names, 1, err)
        return Code(f"Lwt.return ({modname}.listen {c})", pos(_FILE, 12))

    return connect


_cohttp_server = impl(
    "Cohttp_mirage.Server.Make",
    conduit @ http,
    packages=[package("cohttp-mirage", min="6.1.0", max="7.0.0")],
    connect=_listen("http"),
    doc="cohttp's HTTP server over conduit.",
)


def cohttp_server(c: Impl) -> Impl:
    """Twin of ``cohttp_server conduit``."""
    return _cohttp_server(c)


def _client_connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    r, c = expect(names, 2, "http")
    return Code(f"Lwt.return ({modname}.ctx {r} {c})", pos(_FILE, 26))


_cohttp_client = impl(
    "Cohttp_mirage.Client.Make",
    resolver @ conduit @ http_client,
    packages=[package("cohttp-mirage", min="6.1.0", max="7.0.0")],
    connect=_client_connect,
    doc="cohttp's HTTP client over a resolver and conduit.",
)


def cohttp_client(r: Impl, c: Impl) -> Impl:
    """Twin of ``cohttp_client resolver conduit``."""
    return _cohttp_client(r, c)


def httpaf_server(c: Impl) -> Impl:
    """Twin of ``httpaf_server conduit`` (a fresh device; the conduit is a data dependency)."""
    return impl(
        "Httpaf_mirage.Server_with_conduit",
        http,
        packages=[package("httpaf-mirage")],
        connect=_listen("httpaf"),
        extra_deps=[c],
        doc="httpaf's HTTP server over conduit.",
    )


def paf_server(tcp: Impl, *, port: RuntimeArg) -> Impl:
    """Twin of ``paf_server ~port tcpv4v6`` (fresh)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        t, p = expect(names, 2, "paf_server")
        return Code(f"{modname}.init ~port:{p} {t}", pos(_FILE, 47))

    conf = impl(
        "Paf_mirage.Make",
        tcpv4v6 @ http_server,
        connect=connect,
        packages=[package("paf", sublibs=["mirage"], min="0.8.0", max="0.9.0")],
        runtime_args=[port],
        doc="paf's HTTP/1.1 and HTTP/2 server over TCP.",
    )
    return conf(tcp)


def _paf_client_connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    _tcp, ctx = expect(names, 2, "paf_client")
    return Code(f"{modname}.connect {ctx}", pos(_FILE, 65))


_paf_client = impl(
    "Http_mirage_client.Make",
    tcpv4v6 @ mimic @ alpn_client,
    packages=[package("http-mirage-client", min="0.0.9", max="0.1.0")],
    connect=_paf_client_connect,
    doc="An HTTP client with ALPN (http-mirage-client).",
)


def paf_client(tcp: Impl, m: Impl) -> Impl:
    """Twin of ``paf_client tcpv4v6 mimic``."""
    return _paf_client(tcp, m)
