"""Twin of mirage-skeleton device-usage/conduit_server: every request gets ``hello mirage world!``.

The functor receives the conduit's module (``CON : Conduit_mirage.S``) and
builds cohttp's server over it (``Cohttp_mirage.Server.Make (CON)``); the
request path is logged at debug level on the ``conduit_server`` source.
"""

from mirage_nb.unikernel import TCP, Cohttp, Cohttp_mirage, Logs, Uri

src = Logs.Src.create("conduit_server", doc="Conduit HTTP server")
Log = Logs.src_log(src)


class Main:
    """``module Main (CON : Conduit_mirage.S)``."""

    def __init__(self, CON):  # noqa: N803 - the functor's module argument
        self.H = Cohttp_mirage.Server.Make(CON)

    async def start(self, conduit):
        H = self.H  # noqa: N806

        async def http_callback(_conn_id, req, _body):
            path = Uri.path(Cohttp.Request.uri(req))
            Log.debug(lambda f: f("Got request for %s\n", path))
            return await H.respond_string(status="OK", body="hello mirage world!\n")

        spec = H.make(callback=http_callback)
        await H.listen(conduit, TCP(80), spec)
