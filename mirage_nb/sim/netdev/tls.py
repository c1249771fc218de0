"""TLS for unikernels: twins of ``Tls.Config``, ``Tls_mirage.X509`` and a TLS flow over a TCP flow.

A unikernel builds its TLS configuration as ``static_website_tls`` does::

    X509 = Tls_mirage.X509(KEYS)                       # module X509 = Tls_mirage.X509 (KEYS)
    cert = await X509.certificate(keys, "Default")      # server.pem + server.key from the kv_ro
    conf = Result.get_ok(Tls.Config.server(certificates=("Single", cert)))

and hands ``conf`` to conduit (``Conduit_mirage.TLS(conf, Conduit_mirage.TCP(443))``).
:class:`TlsFlow` is ``Tls_mirage.Make(Flow).flow``: the handshake runs when the
flow is made (``server_of_flow`` / ``client_of_flow``), then ``read``/``write``
carry application data. The protocol itself is :class:`~mirage_nb.sim.net.tls.TlsSession`
(OpenSSL through ``ssl``); a peer that breaks it gets a fatal alert, then the
TCP flow is closed, and the caller receives ``Error`` (never an exception).

``X509.certificate kv `Default`` reads ``server.pem`` and ``server.key``;
``(`Name n)`` reads ``n.pem`` and ``n.key``; ``X509.authenticator kv``
trusts ``ca-roots.crt`` — the names tls-mirage uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.tls import TlsFailure, TlsSession, client_context, server_context
from mirage_nb.sim.netdev.values import Closed, Data, Eof
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.runtime import Failure

__all__ = ["X509", "Tls", "Tls_mirage", "TlsFlow", "TlsError", "ServerConfig", "ClientConfig", "Certificate"]


@dataclass(frozen=True)
class Certificate:
    """A certificate chain and its private key (PEM), as ``X509.certificate`` returns them."""

    chain: bytes = field(repr=False)
    key: bytes = field(repr=False)


@dataclass
class ServerConfig:
    """Twin of ``Tls.Config.server``: one certificate, the protocol versions (1.2 to 1.3 by default)."""

    certificate: Certificate
    versions: tuple[str, str] = ("1.2", "1.3")
    alpn_protocols: tuple[str, ...] = ()
    _ctx: Any = field(default=None, repr=False)

    def context(self) -> Any:
        if self._ctx is None:
            self._ctx = server_context(self.certificate.chain, self.certificate.key, versions=self.versions)
            if self.alpn_protocols:
                self._ctx.set_alpn_protocols(list(self.alpn_protocols))
        return self._ctx


@dataclass
class ClientConfig:
    """Twin of ``Tls.Config.client``: trust anchors (PEM) or none, the expected peer name."""

    ca: bytes | None = field(default=None, repr=False)
    peer_name: str | None = None
    versions: tuple[str, str] = ("1.2", "1.3")
    verify: bool = True
    alpn_protocols: tuple[str, ...] = ()
    certificate: Certificate | None = field(default=None, repr=False)
    _ctx: Any = field(default=None, repr=False)

    def context(self) -> Any:
        if self._ctx is None:
            own = None if self.certificate is None else (self.certificate.chain, self.certificate.key)
            self._ctx = client_context(self.ca, versions=self.versions, verify=self.verify, certificate=own)
            if self.peer_name is None:
                self._ctx.check_hostname = False
            if self.alpn_protocols:
                self._ctx.set_alpn_protocols(list(self.alpn_protocols))
        return self._ctx


@dataclass(frozen=True)
class TlsError:
    """``Tls_mirage`` errors: ``Tls_failure`` and friends; ``str`` is what ``pp_write_error`` prints."""

    reason: str

    def __str__(self) -> str:
        return f"TLS failure: {self.reason}"


class _Config:
    @staticmethod
    def server(
        *,
        certificates: Any,
        versions: tuple[str, str] = ("1.2", "1.3"),
        alpn_protocols: Any = (),
        **_ignored: Any,
    ) -> Any:
        """``Tls.Config.server ~certificates:(`Single cert) ?alpn_protocols ()``: ``Ok config`` or ``Error _``."""
        match certificates:
            case ("Single", Certificate() as c):
                pass
            case Certificate() as c:
                pass
            case ("Single", (bytes() as chain, bytes() as key)):
                c = Certificate(chain, key)
            case _:
                return Error(Msg("server certificates: expected ('Single', certificate)"))
        try:
            cfg = ServerConfig(c, versions, tuple(alpn_protocols))
            cfg.context()
        except SimulationError as e:
            return Error(Msg(str(e)))
        return Ok(cfg)

    @staticmethod
    def client(
        *,
        authenticator: Any = None,
        peer_name: str | None = None,
        versions: tuple[str, str] = ("1.2", "1.3"),
        alpn_protocols: Any = (),
        certificates: Any = None,
        **_ignored: Any,
    ) -> Any:
        """``Tls.Config.client ~authenticator ?peer_name ?alpn_protocols ?certificates ()``.

        ``authenticator`` is CA PEM bytes or None (no check); ``certificates``
        is ``("Single", cert)`` for a client certificate.
        """
        match certificates:
            case None:
                own = None
            case ("Single", Certificate() as own) | (Certificate() as own):
                pass
            case _:
                return Error(Msg("client certificates: expected ('Single', certificate)"))
        try:
            cfg = ClientConfig(
                authenticator,
                peer_name,
                versions,
                verify=authenticator is not None,
                alpn_protocols=tuple(alpn_protocols),
                certificate=own,
            )
            cfg.context()
        except SimulationError as e:
            return Error(Msg(str(e)))
        return Ok(cfg)


class Tls:
    """Twin of the ``Tls`` library's ``Config`` module."""

    Config = _Config


class _X509:
    def __init__(self, kv_module: Any) -> None:
        self.KV = kv_module

    async def _read(self, kv: Any, name: str) -> bytes:
        r = await self.KV.get(kv, name)
        if isinstance(r, Error):
            raise Failure(f"{r.error}")
        v = r.value
        return v.encode("latin-1") if isinstance(v, str) else bytes(v)

    async def certificate(self, kv: Any, which: Any = "Default") -> Certificate:
        """``certificate kv `Default`` (``server.pem``/``server.key``) or ``(`Name n)``."""
        match which:
            case "Default":
                name = "server"
            case ("Name", str(n)):
                name = n
            case _:
                raise SimulationError(f"X509.certificate: {which!r}, expected 'Default' or ('Name', name)")
        chain = await self._read(kv, f"{name}.pem")
        key = await self._read(kv, f"{name}.key")
        return Certificate(chain, key)

    async def authenticator(self, kv: Any) -> bytes:
        """``authenticator kv``: the trust anchors of ``ca-roots.crt``."""
        return await self._read(kv, "ca-roots.crt")


class _X509Certificate:
    @staticmethod
    def decode_pem_multiple(pem: bytes) -> Any:
        """``X509.Certificate.decode_pem_multiple``: ``Ok chain`` (PEM bytes) if it holds certificates."""
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            return Error(Msg("no certificate in PEM data"))
        return Ok(pem)


class _X509PrivateKey:
    @staticmethod
    def decode_pem(pem: bytes) -> Any:
        """``X509.Private_key.decode_pem``: ``Ok key`` (PEM bytes) if it holds a private key."""
        if b"PRIVATE KEY-----" not in pem:
            return Error(Msg("no private key in PEM data"))
        return Ok(pem)


class X509:
    """Twin of the ``X509`` library's PEM decoders (the values stay PEM: ``ssl`` reads them)."""

    Certificate = _X509Certificate
    Private_key = _X509PrivateKey


class Tls_mirage:  # noqa: N801 - the OCaml library's name
    """Twin of ``Tls_mirage``: ``X509(KV)`` reads certificates from a kv store."""

    X509 = _X509

    @staticmethod
    async def client_of_flow(cfg: ClientConfig, flow: Any, *, host: str | None = None) -> Any:
        """``client_of_flow cfg ?host flow``: TLS over ``flow``; ``host`` is the name the certificate must have."""
        if host is not None and cfg.peer_name is None and cfg.verify:
            cfg = ClientConfig(cfg.ca, host, cfg.versions, cfg.verify, cfg.alpn_protocols)
        return await TlsFlow.client_of_flow(cfg, flow)

    @staticmethod
    async def server_of_flow(cfg: ServerConfig, flow: Any) -> Any:
        """``server_of_flow cfg flow``: TLS over ``flow``, as a server."""
        return await TlsFlow.server_of_flow(cfg, flow)


class TlsFlow:
    """``Tls_mirage.Make(F).flow``: TLS over a Mirage flow (here a TCP flow)."""

    def __init__(self, flow: Any, session: TlsSession) -> None:
        self.flow = flow
        self.session = session
        self.eof = False
        self.error: TlsError | None = None

    @classmethod
    async def server_of_flow(cls, cfg: ServerConfig, flow: Any) -> Any:
        """``server_of_flow cfg flow``: ``Ok flow`` after the handshake, or ``Error e`` (alert sent, flow closed)."""
        t = cls(flow, TlsSession(cfg.context(), server=True))
        return await t._handshake()

    @classmethod
    async def client_of_flow(cls, cfg: ClientConfig, flow: Any) -> Any:
        t = cls(flow, TlsSession(cfg.context(), server=False, server_hostname=cfg.peer_name))
        return await t._handshake()

    async def _push(self) -> bool:
        out = self.session.data_to_send()
        if not out:
            return True
        r = await self.flow.write(out)
        return not isinstance(r, Error)

    async def _fill(self) -> bool:
        r = await self.flow.read()
        match r:
            case Ok(Data(buf)):
                self.session.receive(buf)  # MemoryBIO takes the view: no copy of the record bytes
                return True
            case _:
                self.session.receive_eof()
                return False

    async def _handshake(self) -> Any:
        try:
            while True:
                done = self.session.handshake()
                if not await self._push():
                    return Error(Closed())
                if done:
                    return Ok(self)
                await self._fill()
        except TlsFailure as e:
            await self._push()
            await self.flow.close()
            self.error = TlsError(self.session.failed or str(e))
            return Error(self.error)

    # --- Mirage_flow.S ---------------------------------------------------------

    async def read(self) -> Any:
        """``Ok (Data buf)``, ``Ok Eof`` after close_notify or the end of TCP, ``Error e`` on a TLS failure."""
        if self.error is not None:
            return Error(self.error)
        while not self.eof:
            try:
                d = self.session.read()
            except TlsFailure as e:
                await self._push()
                await self.flow.close()
                self.error = TlsError(self.session.failed or str(e))
                return Error(self.error)
            await self._push()
            if d is None:
                await self._fill()
                continue
            if d == b"":
                self.eof = True
                break
            return Ok(Data(memoryview(d)))
        return Ok(Eof())

    async def write(self, buf: Any) -> Any:
        if self.error is not None or self.session.closed:
            return Error(Closed())
        self.session.write(bytes(buf))
        return Ok(None) if await self._push() else Error(Closed())

    async def writev(self, bufs: list[Any]) -> Any:
        return await self.write(b"".join(bytes(b) for b in bufs))

    async def close(self) -> None:
        """Send close_notify, then close the TCP flow."""
        if not self.session.closed and self.error is None:
            self.session.close()
            await self._push()
        await self.flow.close()

    async def shutdown(self, mode: str = "write") -> None:
        if mode in ("write", "read_write") and not self.session.closed:
            self.session.close()
            await self._push()
        await self.flow.shutdown(mode)

    def dst(self) -> Any:
        return self.flow.dst()

    def src(self) -> Any:
        return self.flow.src()

    @property
    def version(self) -> str | None:
        return self.session.version

    @property
    def alpn_protocol(self) -> str | None:
        """The protocol ALPN chose (``"h2"``, ``"http/1.1"``), or None (``Tls.Core.epoch``'s ``alpn_protocol``)."""
        return self.session.obj.selected_alpn_protocol()

    def __repr__(self) -> str:
        return f"<TLS {self.session.version or 'handshaking'} over {self.flow!r}>"
