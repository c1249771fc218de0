"""Twin of mirage-skeleton applications/static_website_tls (its ``dispatch.ml``).

``HTTPS`` reads the server certificate from the ``tls`` kv_ro, serves the
``htdocs`` kv_ro over HTTPS on ``--https`` (443) with HSTS and a MIME type
per file (404 for a missing one), and answers plain HTTP on ``--http`` (80)
with a permanent redirect to the same URI over HTTPS. Both servers log on
their own sources (``https``, ``http``).
"""

from mirage_nb.unikernel import (
    TCP,
    TLS,
    Arg,
    Cohttp,
    Error,
    Logs,
    Lwt,
    Magic_mime,
    Mirage_kv,
    Mirage_runtime,
    Ok,
    Tls,
    Tls_mirage,
    Uri,
    failwith,
)

http_port = Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.int, 80, Arg.info(["http"], doc="Listening HTTP port."))))
https_port = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 443, Arg.info(["https"], doc="Listening HTTPS port.")))
)

https_src = Logs.Src.create("https", doc="HTTPS server")
Https_log = Logs.src_log(https_src)
http_src = Logs.Src.create("http", doc="HTTP server")
Http_log = Logs.src_log(http_src)


class Dispatch:
    """``module Dispatch (FS : Mirage_kv.RO) (S : HTTP)``."""

    def __init__(self, FS, S):  # noqa: N803 - module arguments
        self.FS, self.S = FS, S

    async def dispatcher(self, fs, uri):
        path = Uri.path(uri)
        if path in ("", "/"):
            return await self.dispatcher(fs, Uri.with_path(uri, "index.html"))
        header = Cohttp.Header.init_with("Strict-Transport-Security", "max-age=31536000")
        mimetype = Magic_mime.lookup(path)
        headers = Cohttp.Header.add(header, "content-type", mimetype)
        try:
            match await self.FS.get(fs, Mirage_kv.Key.v(path)):
                case Error(e):
                    failwith(f"get: {e}")
                case Ok(body):
                    return await self.S.respond_string(status="OK", body=body, headers=headers)
        except Exception:  # Lwt.catch ... (fun _exn -> S.respond_not_found ())
            return await self.S.respond_not_found()

    async def redirect(self, port, uri):
        new_uri = Uri.with_port(Uri.with_scheme(uri, "https"), port)
        Http_log.info(lambda f: f("[%s] -> [%s]", Uri.to_string(uri), Uri.to_string(new_uri)))
        headers = Cohttp.Header.init_with("location", Uri.to_string(new_uri))
        return await self.S.respond(headers=headers, status="Moved_permanently", body="Empty")

    def serve(self, dispatch):
        async def callback(conn, request, _body):
            _, cid = conn
            uri = Cohttp.Request.uri(request)
            cid = Cohttp.Connection.to_string(cid)
            Https_log.info(lambda f: f("[%s] serving %s.", cid, Uri.to_string(uri)))
            return await dispatch(uri)

        def conn_closed(conn):
            _, cid = conn
            cid = Cohttp.Connection.to_string(cid)
            Https_log.info(lambda f: f("[%s] closing", cid))

        return self.S.make(conn_closed=conn_closed, callback=callback)


class HTTPS:
    """``module HTTPS (DATA : Mirage_kv.RO) (KEYS : Mirage_kv.RO) (Http : HTTP)``."""

    def __init__(self, DATA, KEYS, Http):  # noqa: N803 - module arguments
        self.X509 = Tls_mirage.X509(KEYS)
        self.D = Dispatch(DATA, Http)

    async def tls_init(self, kv):
        cert = await self.X509.certificate(kv, "Default")
        match Tls.Config.server(certificates=("Single", cert)):
            case Ok(conf):
                return conf
            case Error(e):
                raise ValueError(f"Result.get_ok: {e}")

    async def start(self, data, keys, http):
        D = self.D  # noqa: N806
        cfg = await self.tls_init(keys)
        tls = TLS(cfg, TCP(https_port()))
        tcp = TCP(http_port())
        Https_log.info(lambda f: f("listening for HTTPS on %d/TCP", https_port()))
        https = http(tls, D.serve(lambda uri: D.dispatcher(data, uri)))
        Http_log.info(lambda f: f("listening for HTTP on %d/TCP", http_port()))
        plain = http(tcp, D.serve(lambda uri: D.redirect(https_port(), uri)))
        await Lwt.join([https, plain])
