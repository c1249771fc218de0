"""Twin of mirage-skeleton device-usage/http-fetch: GET ``--uri`` with cohttp's client and report it.

The name is looked up by the ``resolver_dns`` device (its ``--resolver``
names the DNS server), ``https`` goes through conduit's TLS; the response
is printed as cohttp's sexp on the application's log, then the body's length.
"""

from mirage_nb.unikernel import Arg, Cohttp, Cohttp_lwt, Fmt, Logs, Mirage_runtime, Sexplib0, Uri

uri = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "https://mirageos.org", Arg.info(["uri"], doc="URL to fetch")))
)


class Client:
    """``module Client (Client : Cohttp_lwt.S.Client)``."""

    def __init__(self, Client):  # noqa: N803 - the functor's module argument
        self.Client = Client

    async def http_fetch(self, ctx, uri):
        Fmt.pr("Fetching %s with Cohttp\n", Uri.to_string(uri))
        response, body = await self.Client.get(uri, ctx=ctx)
        body = await Cohttp_lwt.Body.to_string(body)
        Logs.app(lambda m: m("%s", Sexplib0.Sexp.pp_hum(Cohttp.Response.sexp_of_t(response))))
        Logs.app(lambda m: m("Received body length: %d\n", len(body)))
        Logs.app(lambda m: m("Cohttp fetch done\n------------\n"))

    async def start(self, ctx):
        await self.http_fetch(ctx, Uri.of_string(uri()))
