"""TLS as a sans-IO machine: Python's ``ssl`` (OpenSSL) over memory BIOs, bytes in and bytes out.

Why a wrapper: ``ssl.SSLObject`` already does no I/O, but it speaks in
exceptions (``SSLWantReadError``) and leaves the outgoing records in a BIO.
:class:`TlsSession` turns that into the shape of the other machines of
``sim.net``: feed it what arrived (:meth:`TlsSession.receive`), ask it to
advance (:meth:`TlsSession.handshake`, :meth:`TlsSession.read`,
:meth:`TlsSession.write`), and send what :meth:`TlsSession.data_to_send`
returns. A peer that breaks the protocol raises :class:`TlsFailure` (a
:class:`~mirage_nb.errors.RemoteProtocolError`) after a fatal alert has been
queued for it, as ocaml-tls answers a bad peer: when OpenSSL gives up
without writing one (garbage before any record layer was agreed), the
session writes a plaintext ``unexpected_message`` alert itself.

TLS 1.2 and 1.3 are both offered unless a context says otherwise. The
handshake's randomness (client/server random, ephemeral keys) comes from
OpenSSL, not from the run's seed: the bytes of a TLS run differ between
runs; their sizes and timing do not depend on them.
"""

from __future__ import annotations

import os
import ssl
import tempfile

from mirage_nb.errors import RemoteProtocolError, SimulationError

__all__ = [
    "TlsFailure",
    "TlsSession",
    "server_context",
    "client_context",
    "ALERT_UNEXPECTED_MESSAGE",
    "alert_record",
]

ALERT_UNEXPECTED_MESSAGE = 10


def alert_record(description: int, *, version: bytes = b"\x03\x03") -> bytes:
    """A plaintext fatal alert record (content type 21, level 2): what a TLS stack sends before keys exist."""
    return b"\x15" + version + b"\x00\x02\x02" + bytes([description])


class TlsFailure(RemoteProtocolError):
    """The peer broke TLS (a bad record, a failed handshake, a certificate the authenticator refuses)."""


def _load_chain(ctx: ssl.SSLContext, chain_pem: bytes, key_pem: bytes) -> None:
    # ssl.SSLContext reads certificates and keys from files only: hand it a private temporary file,
    # removed as soon as it is loaded (the key never lands anywhere else).
    fd, path = tempfile.mkstemp(prefix="mirage-nb-tls-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem.rstrip(b"\n") + b"\n" + chain_pem)
        ctx.load_cert_chain(path)
    except ssl.SSLError as e:
        raise SimulationError(f"TLS certificate or key rejected: {e.reason or e}") from None
    finally:
        os.unlink(path)


def _versions(ctx: ssl.SSLContext, versions: tuple[str, str]) -> None:
    table = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
    lo, hi = versions
    if lo not in table or hi not in table:
        raise SimulationError(f"TLS versions {versions}: expected a range within ('1.2', '1.3')")
    ctx.minimum_version, ctx.maximum_version = table[lo], table[hi]


def _trust(ctx: ssl.SSLContext, ca_pem: bytes) -> None:
    try:
        ctx.load_verify_locations(cadata=ca_pem.decode("ascii"))
    except (ssl.SSLError, ValueError) as e:
        raise SimulationError(f"TLS trust anchors rejected: {e}") from None


def server_context(
    chain_pem: bytes,
    key_pem: bytes,
    *,
    versions: tuple[str, str] = ("1.2", "1.3"),
    client_ca: bytes | None = None,
) -> ssl.SSLContext:
    """An ``ssl`` server context for one certificate chain and its key (PEM bytes).

    With ``client_ca`` the server asks for a client certificate and accepts
    only one that CA signed (as a syslog host that authenticates its senders).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _versions(ctx, versions)
    _load_chain(ctx, chain_pem, key_pem)
    if client_ca is not None:
        _trust(ctx, client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    # ocaml-tls sends no session tickets unless given a ticket cache: keep the transcript as short.
    ctx.num_tickets = 0
    return ctx


def client_context(
    ca_pem: bytes | None = None,
    *,
    versions: tuple[str, str] = ("1.2", "1.3"),
    verify: bool = True,
    certificate: tuple[bytes, bytes] | None = None,
) -> ssl.SSLContext:
    """An ``ssl`` client context trusting ``ca_pem`` (PEM bytes), or verifying nothing if ``verify`` is False.

    ``certificate`` (chain, key) is the client's own, sent when a server asks
    for one (``Tls.Config.client ~certificates``).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _versions(ctx, versions)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif ca_pem is not None:
        _trust(ctx, ca_pem)
    if certificate is not None:
        _load_chain(ctx, *certificate)
    return ctx


class TlsSession:
    """One side of a TLS connection over memory BIOs: feed received bytes, send :meth:`data_to_send`."""

    def __init__(self, context: ssl.SSLContext, *, server: bool, server_hostname: str | None = None) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = context.wrap_bio(
            self.incoming, self.outgoing, server_side=server, server_hostname=None if server else server_hostname
        )
        self.server = server
        self.established = False
        self.failed: str | None = None
        self.closed = False

    # --- bytes in, bytes out ----------------------------------------------------

    def receive(self, data: bytes | memoryview) -> None:
        """Bytes that arrived from the peer (a view is written as is, not copied first)."""
        if data:
            self.incoming.write(data)

    def receive_eof(self) -> None:
        """The peer's transport ended."""
        self.incoming.write_eof()

    def data_to_send(self) -> bytes:
        """The records queued for the peer (empty when there are none)."""
        return self.outgoing.read()

    # --- advancing ---------------------------------------------------------------

    def _fail(self, e: ssl.SSLError) -> TlsFailure:
        reason = e.reason or e.__class__.__name__
        self.failed = str(reason)
        if self.outgoing.pending == 0:
            self.outgoing.write(alert_record(ALERT_UNEXPECTED_MESSAGE))
        return TlsFailure(f"TLS failure: {reason}")

    def handshake(self) -> bool:
        """Advance the handshake: True once established, False while it needs more bytes; raises TlsFailure."""
        if self.established:
            return True
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            if self.incoming.eof:
                raise self._fail(ssl.SSLError(0, "EOF during handshake")) from None
            return False
        except ssl.SSLError as e:
            raise self._fail(e) from None
        self.established = True
        return True

    def read(self, n: int = 65536) -> bytes | None:
        """Decrypted application data; ``b""`` once the peer closed (close_notify or EOF), None if more is needed."""
        try:
            return self.obj.read(n)
        except ssl.SSLWantReadError:
            return b"" if self.incoming.eof else None
        except ssl.SSLZeroReturnError:
            return b""
        except ssl.SSLEOFError:
            return b""
        except ssl.SSLError as e:
            raise self._fail(e) from None

    def write(self, data: bytes) -> None:
        """Encrypt ``data`` into records (fetch them with :meth:`data_to_send`)."""
        view = memoryview(data)
        while view:
            n = self.obj.write(view)
            view = view[n:]

    def close(self) -> None:
        """Queue our close_notify."""
        if self.closed:
            return
        self.closed = True
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass

    @property
    def version(self) -> str | None:
        """The negotiated protocol (``TLSv1.3``...), once established."""
        return self.obj.version()

    @property
    def cipher(self) -> str | None:
        c = self.obj.cipher()
        return c[0] if c else None
