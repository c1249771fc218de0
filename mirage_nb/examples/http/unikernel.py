"""Twin of mirage-skeleton applications/http (``minipaf``): paf serving HTTP/1.1, and with ``--tls`` HTTPS.

``start`` reads every certificate of the ``certificates`` kv_ro and the key
of the same name in ``keys`` (``gen.sh foo`` writes ``certificates/foo`` and
``keys/foo``; here :func:`~mirage_nb.sim.netdev.http_examples.http_example_dir`
writes ``server`` from a test PKI). Without ``--tls`` it serves HTTP/1.1 on
the ``http_server`` device (``--port``, 8080). With ``--tls`` it also listens
on ``--tls-port`` (4343) and serves there with ``alpn_service``: the TLS
handshake's ALPN (``--alpn``, ``h2`` and ``http/1.1`` by default) picks
HTTP/2 or HTTP/1.1. The pages are in ``server.py``.
"""

from mirage_nb.unikernel import (
    X509,
    Alpn,
    Arg,
    Error,
    Lwt,
    Mirage_kv,
    Mirage_runtime,
    Ok,
    Paf,
    Tls,
    failwith,
    local_library,
)

Server = local_library(__file__, "server")

port = Arg.value(Arg.opt(Arg.int, 8080, Arg.info(["p", "port"], doc="Port of HTTP service.")))

use_tls = Mirage_runtime.register_arg(
    Arg.value(Arg.flag(Arg.info(["tls"], doc="Start an HTTP server with a TLS certificate.")))
)

tls_port = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 4343, Arg.info(["tls-port"], doc="Port of HTTPS service.")))
)

_alpns = ["h2", "http/1.1"]
alpn = Mirage_runtime.register_arg(
    Arg.value(
        Arg.opt_all(
            Arg.enum([(v, v) for v in _alpns]),
            _alpns,
            Arg.info(["alpn"], doc=f"Protocols handled by the HTTP server. Must be {Arg.doc_alts(_alpns)}."),
        )
    )
)


class Make:
    """``module Make (Certificate) (Key : Mirage_kv.RO) (Tcp) (Connect : Connect.S) (HTTP_server : Paf_mirage.S)``."""

    def __init__(self, Certificate, Key, Tcp, Connect, HTTP_server):  # noqa: N803 - module arguments
        self.Certificate, self.Key, self.Connect, self.HTTP_server = Certificate, Key, Connect, HTTP_server

    async def _values(self, Kv, kv):  # noqa: N803 - a module
        """The (name, contents) of every value at the root of ``kv`` but ``.gitkeep``."""
        match await Kv.list(kv, Mirage_kv.Key.empty):
            case Error(e):
                return Error(f"{e}")
            case Ok(entries):
                pass
        out = []
        for name, kind in entries:
            if kind != "Value" or Mirage_kv.Key.basename(name) == ".gitkeep":
                continue
            match await Kv.get(kv, name):
                case Ok(v):
                    out.append((name, v.encode("latin-1") if isinstance(v, str) else v))
                case Error(e):
                    return Error(f"{e}")
        return Ok(out)

    async def tls(self, key_ro, certificate_ro):
        """``Ok(`None | `Single chain | `Multiple chains)``: each certificate with the key of its name."""
        match await self._values(self.Key, key_ro):
            case Error(_) as e:
                return e
            case Ok(keys):
                pass
        match await self._values(self.Certificate, certificate_ro):
            case Error(_) as e:
                return e
            case Ok(certificates):
                pass
        decoded = {}
        for name, pem in keys:
            match X509.Private_key.decode_pem(pem):
                case Ok(key):
                    decoded[Mirage_kv.Key.to_string(name)] = key
                case Error(_) as e:
                    return e
        chains = []
        for name, pem in certificates:
            match X509.Certificate.decode_pem_multiple(pem):
                case Ok(certs):
                    if Mirage_kv.Key.to_string(name) in decoded:
                        chains.append((certs, decoded[Mirage_kv.Key.to_string(name)]))
                case Error(_) as e:
                    return e
        if not chains:
            return Ok(("None",))
        if len(chains) == 1:
            return Ok(("Single", chains[0]))
        return Ok(("Multiple", chains))

    async def run_with_tls(self, *, ctx, authenticator, tls, http_server, tls_port, tcpv4v6):
        H = self.HTTP_server  # noqa: N806
        alpn_service = H.alpn_service(
            Alpn.Handler(
                error=Server.alpn_error_handler,
                request=Server.alpn_request_handler(ctx=ctx, authenticator=authenticator),
            ),
            tls=tls,
        )
        http_1_1_service = H.http_service(
            error_handler=Server.http_1_1_error_handler,
            request_handler=lambda flow, _edn: _h1(Server, ctx, authenticator, flow),
        )
        t = await H.init(port=tls_port, tcp=tcpv4v6)
        th0 = Paf.serve(alpn_service, t).th
        th1 = Paf.serve(http_1_1_service, http_server).th
        await Lwt.both(th0, th1)

    async def run(self, *, ctx, authenticator, http_server):
        H = self.HTTP_server  # noqa: N806
        http_1_1_service = H.http_service(
            error_handler=Server.http_1_1_error_handler,
            request_handler=lambda flow, _edn: _h1(Server, ctx, authenticator, flow),
        )
        await Paf.serve(http_1_1_service, http_server).th

    async def start(self, certificate_ro, key_ro, tcpv4v6, ctx, http_server):
        authenticator = self.Connect.authenticator
        tls = await self.tls(key_ro, certificate_ro)
        if use_tls():
            match tls:
                case Ok(("None",)):
                    failwith("TLS configuration error: no certificate.")
                case Ok(certificates):
                    pass
                case Error(m):
                    failwith(
                        f"A TLS server requires, at least, one certificate and one private key. Received error {m}."
                    )
            if certificates[0] == "Multiple":
                certificates = ("Single", certificates[1][0])
            match Tls.Config.server(certificates=certificates, alpn_protocols=alpn()):
                case Error(m):
                    failwith(f"TLS configuration error: {m}.")
                case Ok(cfg):
                    pass
            await self.run_with_tls(
                ctx=ctx,
                authenticator=authenticator,
                tls=cfg,
                http_server=http_server,
                tls_port=tls_port(),
                tcpv4v6=tcpv4v6,
            )
        else:
            await self.run(ctx=ctx, authenticator=authenticator, http_server=http_server)


def _h1(Server, ctx, authenticator, flow):  # noqa: N803 - a module
    """``http_1_1_request_handler ~ctx ~authenticator flow _edn``: the handler of each ``reqd`` on ``flow``."""
    handle = Server.http_1_1_request_handler(ctx=ctx, authenticator=authenticator)
    return lambda reqd: handle(flow, reqd)
