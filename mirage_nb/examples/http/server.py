"""Twin of mirage-skeleton applications/http's ``server.ml``: the pages, for HTTP/1.1 and HTTP/2 alike.

Endpoints: ``/`` (a text page), ``/transmit`` (echoes the request body),
``/random`` (``x-length`` random bytes, base64 with RFC 2045 line breaks;
``x-seed``, base64, makes them reproducible) and ``/hash`` (the SHA-256, in
hex, of the bytes ``/random`` gives for the same ``x-length`` and
``x-seed``; an ``if-none-match`` naming it gets 304). Anything else is 404.
The random bytes come from Python's generator seeded as the OCaml seeds
``Random.State``, so they differ from the OCaml unikernel's, but ``/hash``
and ``/random`` agree with each other as they do there.

Over HTTP/1.1 the server is also a proxy: ``CONNECT host:port`` makes a
connection to ``http://host:port`` with ``Connect.create_connection``
(mimic, happy eyeballs, the DNS client), answers ``200`` and relays bytes
both ways until either side closes (``curl --proxy http://unikernel:8080/``).
Over HTTP/2, ``CONNECT`` is answered 501 here.
"""

import base64
import binascii
import hashlib
import random

from mirage_nb.unikernel import H1, H2, Alpn, Data, Error, Logs, Lwt, Mimic, Ok, local_library

Connect = local_library(__file__, "connect")

src = Logs.Src.create("server")
Log = Logs.src_log(src)

root = """Hello from a simulated MirageOS unikernel!

This server speaks HTTP/1.1, and HTTP/2 or HTTP/1.1 over TLS as ALPN
decides. Its pages:
- `/` this text;
- `/transmit` sends back what you send;
- `/random` needs `x-length` (and an optional base64 `x-seed`): that many
  random bytes, base64-encoded;
- `/hash` needs `x-length` and `x-seed`: the SHA-256 of the bytes `/random`
  gives for them.
"""


def random_state_of_seed(s):
    """A generator seeded by the base64 ``x-seed`` (pairs of bytes as 16-bit words), or None."""
    try:
        seed = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    words = [(seed[2 * i] << 8) | seed[2 * i + 1] for i in range(len(seed) // 2)]
    return random.Random(str(words))


def _random_bytes(g, length):
    return bytes(g.getrandbits(8) for _ in range(length))


def _base64_rfc2045(data):
    """Base64 with a CRLF every 76 characters, as ``Base64_rfc2045`` writes it."""
    return b"".join(base64.b64encode(data[i : i + 57]) + b"\r\n" for i in range(0, len(data), 57))


def transmit_random(*, write_string, close_writer, g, length, body):
    g = g or random.Random()
    raw = bytearray()
    for off in range(0, length, 0x1000):
        chunk = _random_bytes(g, min(0x1000, length - off))
        Log.debug(lambda m, c=chunk: m("%d random bytes", len(c)))
        raw += chunk
    encoded = _base64_rfc2045(bytes(raw))
    for off in range(0, len(encoded), 0x4000):
        write_string(body, encoded[off : off + 0x4000])
    Log.debug(lambda m: m("%s", hashlib.sha256(raw).hexdigest()))
    close_writer(body)


def _hash(version, seed, length):
    headers = [("content-length", "64"), ("content-type", "text/plain")]
    g = random_state_of_seed(seed) if seed is not None else None
    n = int(length) if length is not None and length.isdigit() else None
    if g is None or n is None:
        contents = "Invalid seed."
        headers = [("content-length", str(len(contents))), ("content-type", "text/plain")]
        status = "Bad_request"
    else:
        contents = hashlib.sha256(_random_bytes(g, n)).hexdigest()
        status = "OK"
    if version == "HTTP/1.1":
        headers = [("connection", "close"), *headers]
    return status, headers, contents


class _Cache:
    """The answers of ``/hash`` by (seed, length): ``if-none-match`` with the same hash gets 304."""

    def __init__(self):
        self.tbl = {}

    def answer(self, version, headers_get, respond):
        seed, length = headers_get("x-seed"), headers_get("x-length")
        cached = self.tbl.get((seed, length))
        etags = headers_get("if-none-match")
        if cached is None or etags is None:
            status, headers, contents = _hash(version, seed, length)
            self.tbl[(seed, length)] = (status, headers, contents)
            respond(status, headers, contents)
            return
        status, headers, contents = cached
        h = hashlib.sha256(contents.encode()).hexdigest()
        if h in etags.split(","):
            respond("Not_modified", [*headers, ("etag", h)], "")
        else:
            respond(status, headers, contents)


async def transmit_over_http(src_flow, dst_flow):
    """Relay bytes both ways between the client's flow and the one ``CONNECT`` opened, then close both.

    When one direction ends, the other stops too (the OCaml code picks between
    a read and an mvar the first direction to end fills).
    """
    closed, closing = Lwt.wait()

    def close():
        if Lwt.is_sleeping(closed):
            Lwt.wakeup(closing, "Closed")

    async def loop(src_, dst_):
        while True:
            match await Lwt.pick([Mimic.read(src_), closed]):
                case "Closed":
                    return
                case Ok(Data(buf)):
                    Log.debug(lambda m: m("Transfer over HTTP:"))
                    match await Mimic.write(dst_, bytes(buf)):
                        case Error(err):
                            Log.err(
                                lambda m, e=err: m(
                                    "Got an error while we writing into the destination (CONNECT): %s.", str(e)
                                )
                            )
                            close()
                case Error(err):
                    Log.err(lambda m, e=err: m("Got an error while we reading the source (CONNECT): %s.", str(e)))
                    close()
                case _:  # Eof
                    close()

    await Lwt.join([loop(src_flow, dst_flow), loop(dst_flow, src_flow)])
    await Lwt.join([Mimic.close(src_flow), Mimic.close(dst_flow)])
    Log.debug(lambda m: m("Connection closed properly on both side."))


def connect_http_1_1(*, ctx, authenticator, flow, reqd):
    request = H1.Reqd.request(reqd)
    host = H1.Headers.get(request.headers, "host")
    if host is None:
        contents = "Missing Host field."
        headers = [("content-length", str(len(contents))), ("connection", "close"), ("content-type", "text/plain")]
        response = H1.Response.create("Bad_request", headers=H1.Headers.of_list(headers), reason="CONNECT")
        H1.Reqd.respond_with_string(reqd, response, contents)
        return
    uri = "http://" + host

    async def go():
        match await Connect.create_connection(ctx=ctx, authenticator=authenticator, uri=uri):
            case Ok(dst):
                headers = H1.Headers.of_list([("connection", "close")])
                H1.Reqd.respond_with_string(reqd, H1.Response.create("OK", headers=headers, reason="CONNECT"), "")
                await transmit_over_http(flow, dst)
            case Error(err):
                Log.err(lambda m: m("Got an error while connection to %S: %s.", uri, str(err)))
                contents = f'Invalid URI: "{uri}"'
                headers = [
                    ("content-length", str(len(contents))),
                    ("connection", "close"),
                    ("content-type", "text/plain"),
                ]
                response = H1.Response.create("Bad_request", headers=H1.Headers.of_list(headers), reason="CONNECT")
                H1.Reqd.respond_with_string(reqd, response, contents)

    Lwt.async_(go)


def _handler(Api, version):  # noqa: N803 - H1 or H2
    """The request handler of one protocol: HTTP/1.1 answers carry a reason and close the connection."""
    cache = _Cache()
    h1 = version == "HTTP/1.1"

    def _text(reqd, status, contents, reason):
        headers = [("content-length", str(len(contents)))]
        headers += [("connection", "close")] if h1 else []
        headers += [("content-type", "text/plain")]
        response = Api.Response.create(status, headers=Api.Headers.of_list(headers), reason=reason if h1 else None)
        Api.Reqd.respond_with_string(reqd, response, contents)

    def handle(flow, reqd, ctx=None, authenticator=None):
        request = Api.Reqd.request(reqd)
        Log.debug(lambda m: m("(%s) request-handler: %S", "HTTP/1.1" if h1 else "H2", request.target))

        def get(name):
            return Api.Headers.get(request.headers, name)

        if request.meth == "CONNECT":
            if h1:
                Log.debug(lambda m: m("Start to transmit data over HTTP/1.1."))
                connect_http_1_1(ctx=ctx, authenticator=authenticator, flow=flow, reqd=reqd)
            else:
                _text(reqd, 501, "CONNECT is not simulated over HTTP/2.", "CONNECT")
            return
        match request.target.split("/"):
            case ["", ""]:
                _text(reqd, "OK", root, "root")
            case ["", "transmit"]:
                ctype = get("content-type") or "application/octet-stream"
                headers = ([("transfer-encoding", "chunked")] if h1 else []) + [("content-type", ctype)]
                response = Api.Response.create(
                    "OK", headers=Api.Headers.of_list(headers), reason="transmit" if h1 else None
                )
                body = Api.Reqd.request_body(reqd)
                dst = Api.Reqd.respond_with_streaming(reqd, response)

                def on_eof():
                    Api.Body.Reader.close(body)
                    Api.Body.Writer.close(dst)

                def on_read(buf, off, len):  # noqa: A002 - the OCaml label
                    Api.Body.Writer.write_bigstring(dst, buf, off=off, len=len)
                    Api.Body.Reader.schedule_read(body, on_eof=on_eof, on_read=on_read)

                Api.Body.Reader.schedule_read(body, on_eof=on_eof, on_read=on_read)
            case ["", "hash"]:

                def respond(status, headers, contents):
                    response = Api.Response.create(status, headers=Api.Headers.of_list(headers))
                    Api.Reqd.respond_with_string(reqd, response, contents)

                cache.answer(version, get, respond)
            case ["", "random"]:
                v = get("x-length")
                if v is None or not v.isdigit():
                    _text(reqd, "Bad_request", "Invalid length.", "random")
                    return
                seed = get("x-seed")
                g = random_state_of_seed(seed) if seed is not None else None
                headers = [("content-type", "text/plain")] + ([("transfer-encoding", "chunked")] if h1 else [])
                response = Api.Response.create(
                    "OK", headers=Api.Headers.of_list(headers), reason="random" if h1 else None
                )
                body = Api.Reqd.respond_with_streaming(reqd, response)
                transmit_random(
                    write_string=Api.Body.Writer.write_string,
                    close_writer=Api.Body.Writer.close,
                    g=g,
                    length=int(v),
                    body=body,
                )
            case _:
                _text(reqd, "Not_found", "Not found.", "not-found")

    return handle


def http_1_1_request_handler(*, ctx, authenticator, to_close=None):
    handle = _handler(H1, "HTTP/1.1")
    return lambda flow, reqd: handle(flow, reqd, ctx, authenticator)


def http_2_0_request_handler(*, ctx, authenticator, to_close=None):
    handle = _handler(H2, "HTTP/2.0")
    return lambda flow, reqd: handle(flow, reqd)


def alpn_request_handler(*, ctx, authenticator, to_close=None):
    h1 = http_1_1_request_handler(ctx=ctx, authenticator=authenticator)
    h2 = http_2_0_request_handler(ctx=ctx, authenticator=authenticator)

    def request(flow, _edn, reqd, protocol):
        match protocol:
            case Alpn.HTTP_1_1():
                h1(flow, reqd)
            case Alpn.H2():
                h2(flow, reqd)

    return request


def alpn_error_handler(_edn, protocol, error, respond):
    match error:
        case ("Bad_request", *_):
            contents = "Bad request."
        case ("Bad_gateway", *_):
            contents = "Bad gateway."
        case _:
            contents = "Internal server error."
    headers = [("content-type", "text/plain"), ("content-length", str(len(contents)))]
    body = respond(headers)
    Api = H2 if isinstance(protocol, Alpn.H2) else H1  # noqa: N806
    Api.Body.Writer.write_string(body, contents)
    Api.Body.Writer.close(body)


def http_1_1_error_handler(edn):
    return lambda error, respond: alpn_error_handler(edn, Alpn.http_1_1, error, respond)
