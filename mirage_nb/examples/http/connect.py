"""Twin of mirage-skeleton applications/http's ``connect.ml``: how the server's proxy reaches other hosts.

``Make (TCP) (Happy_eyeballs)`` adds two protocols to the Mimic context of
``mimic_happy_eyeballs``: ``http`` (TCP through happy eyeballs, port 80 by
default) and ``https`` (TLS over it, port 443 by default, ALPN ``h2`` and
``http/1.1``). ``create_connection ~ctx ~authenticator uri`` picks one by the
URI's scheme and connects. The authenticator is the system's trust store
(``Ca_certs_nss``), which a simulated unikernel has not: it is ``None``,
certificates are not checked.
"""

from mirage_nb.unikernel import Error, Mimic, Msg, Ok, Tls, Tls_mirage

connect_scheme = Mimic.make(name="connect-scheme")
connect_port = Mimic.make(name="connect-port")
connect_hostname = Mimic.make(name="connect-hostname")
connect_tls_config = Mimic.make(name="connect-tls-config")


class Make:
    """``module Make (TCP : Tcpip.Tcp.S) (Happy_eyeballs : Mimic_happy_eyeballs.S)``."""

    authenticator = Ok(None)

    def __init__(self, TCP, Happy_eyeballs):  # noqa: N803 - module arguments
        self.HE = Happy_eyeballs
        he = Happy_eyeballs

        class Tcp:
            @staticmethod
            async def connect(endpoint):
                happy_eyeballs, hostname, port = endpoint
                match await he.resolve(happy_eyeballs, hostname, [port]):
                    case Error(Msg(err)):
                        return Error(Msg(err))
                    case Ok((_addr, flow)):
                        return Ok(flow)

        class TlsProto:
            @staticmethod
            async def connect(endpoint):
                happy_eyeballs, cfg, hostname, port = endpoint
                match await he.resolve(happy_eyeballs, hostname, [port]):
                    case Ok((_addr, flow)):
                        return await Tls_mirage.client_of_flow(cfg, flow, host=hostname)
                    case Error(Msg(err)):
                        return Error(Msg(err))

        self.tcp_edn, _ = Mimic.register(name="tcp", module=Tcp)
        self.tls_edn, _ = Mimic.register(name="tls", module=TlsProto)

    async def connect(self, ctx):
        def k0(happy_eyeballs, scheme, hostname, port):
            return (happy_eyeballs, hostname, port) if scheme == "http" else None

        def k1(happy_eyeballs, scheme, hostname, port, tls_config):
            return (happy_eyeballs, tls_config, hostname, port) if scheme == "https" else None

        F = Mimic.Fun  # noqa: N806 - the OCaml module
        he = self.HE.happy_eyeballs
        ctx = Mimic.fold(
            self.tcp_edn,
            [F.req(he), F.req(connect_scheme), F.req(connect_hostname), F.dft(connect_port, 80)],
            k=k0,
            ctx=ctx,
        )
        return Mimic.fold(
            self.tls_edn,
            [
                F.req(he),
                F.req(connect_scheme),
                F.req(connect_hostname),
                F.dft(connect_port, 443),
                F.req(connect_tls_config),
            ],
            k=k1,
            ctx=ctx,
        )


def decode_uri(ctx, uri):
    """The context with the URI's scheme, host name and port: ``Ok((ctx, hostname))`` or ``Error(Msg(...))``."""
    parts = uri.split("/")
    if len(parts) < 3 or parts[1] != "":
        return Error(Msg("Couldn't decode URI on top"))
    proto, user_pass_host_port = parts[0], parts[2]
    if proto not in ("http:", "https:"):
        return Error(Msg("Couldn't decode user and password"))
    ctx = Mimic.add(connect_scheme, proto[:-1], ctx)
    at = user_pass_host_port.split("@")
    if len(at) > 2:
        return Error(Msg("Couldn't decode URI"))
    host_port = at[-1]
    if ":" not in host_port:
        return Ok((Mimic.add(connect_hostname, host_port, ctx), host_port))
    hostname, _, port = host_port.rpartition(":")
    try:
        ctx = Mimic.add(connect_port, int(port), ctx)
    except ValueError:
        return Error(Msg("Couldn't decode port"))
    return Ok((Mimic.add(connect_hostname, hostname, ctx), hostname))


def tls_config(authenticator):
    match authenticator:
        case Ok(auth):
            return Tls.Config.client(authenticator=auth, alpn_protocols=["h2", "http/1.1"])
        case err:
            return err


async def create_connection(*, ctx, authenticator, uri):
    """``Ok flow`` to ``uri``'s host through the context's protocols, or ``Error``."""
    match decode_uri(ctx, uri):
        case Error(_) as e:
            return e
        case Ok((ctx, _host)):
            pass
    match tls_config(authenticator):
        case Ok(cfg):
            ctx = Mimic.add(connect_tls_config, cfg, ctx)
    return await Mimic.resolve(ctx)
