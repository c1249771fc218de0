"""Log reporters that ship a unikernel's logs to a log host, the monitoring device, and a log host peer.

The devices of mirage 4.11.1's ``lib/devices/syslog.ml``, booted from the
engine's graph like every other device:

==================================  ==============  ==============================================
module name                         kind            connect (deps; runtime args)
==================================  ==============  ==============================================
``Logs_syslog_mirage.Udp``          ``syslog_udp``  stack (--syslog, --syslog-port, --syslog-truncate)
``Logs_syslog_mirage.Tcp``          ``syslog_tcp``  stack (same)
``Logs_syslog_mirage_tls.Tls``      ``syslog_tls``  stack, kv_ro (same, --syslog-keyname)
``Mirage_monitoring.Make``          ``monitoring``  stack (--monitor)
==================================  ==============  ==============================================

As the generated ``main.ml`` does, a reporter without ``--syslog`` warns
``no syslog server specified, dumping logs to stdout`` and leaves the console
reporter in place; with it, ``create`` makes the reporter (TCP and TLS connect
first: a refused connection fails the boot, OCaml's ``invalid_arg``) and
``Logs.set_reporter`` replaces the console one, so the log lines leave the
unikernel and its console stays quiet. Each message is encoded and framed by
:mod:`mirage_nb.sim.net.syslog` (RFC 3164 lines; NUL after each on TCP and
TLS) and sent without waiting, as logs-syslog does; a message logged while
one is being reported (the stack logging its own send) is dropped. A TCP or
TLS write that fails prints ``... reconnecting`` on stdout and reconnects.
The TLS reporter reads its trust anchors (``ca-roots.crt``) and its client
certificate (``server.pem``/``server.key``, or ``NAME.pem``/``NAME.key`` with
``--syslog-keyname=NAME``) from its kv_ro, as ``Tls_mirage.X509`` does.

``Mirage_monitoring`` is not simulated: without ``--monitor`` it warns as the
real one does; with it, the run logs (source ``mirage_nb``) that nothing is
sent — no metrics to the monitor's port 8094, no memtrace listener on 4242,
no log-level listener on 2323 — and the unikernel boots on.

:class:`SyslogPeer` is the log host: a scripted peer collecting what arrives
on UDP 514, TCP 514 and, if asked, TLS (with a certificate from
:func:`~mirage_nb.sim.netdev.pki.make_test_pki`)::

    logs = SyslogPeer.on(lan, cidr="10.0.0.1/24")         # in a run's setup
    ... app.run(argv=["--syslog=10.0.0.1"]) ...
    [m.text for m in logs.messages]                     # ['hello', 'hello', ...]
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError, SimulationError
from mirage_nb.sim.cmdliner import Arg, ArgSpec, ConvError
from mirage_nb.sim.lwt import async_
from mirage_nb.sim.net._base import FrameError, Step
from mirage_nb.sim.net.syslog import FACILITY_DAEMON, SYSLOG_PORT, StreamReader, SyslogMessage, decode, encode, frame
from mirage_nb.sim.net.tcp import DataReceived, EndpointStep, Flow, PeerClosed
from mirage_nb.sim.net.tls import TlsFailure, TlsSession, server_context
from mirage_nb.sim.net.udp import UdpReceived
from mirage_nb.sim.netdev._module import DeviceModule
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.tls import Tls, Tls_mirage, TlsFlow
from mirage_nb.sim.netdev.values import to_ip
from mirage_nb.sim.result import Error
from mirage_nb.sim.run import current_run

__all__ = [
    "SYSLOG_KIND_OF_MODULE",
    "SYSLOG_CONNECTORS",
    "syslog_arg",
    "SyslogReporter",
    "SyslogPeer",
    "Received",
    "severity_of_level",
]

SYSLOG_KIND_OF_MODULE: Mapping[str, str] = {
    "Logs_syslog_mirage.Udp": "syslog_udp",
    "Logs_syslog_mirage.Tcp": "syslog_tcp",
    "Logs_syslog_mirage_tls.Tls": "syslog_tls",
    "Mirage_monitoring.Make": "monitoring",
}

S_LOG = "LOG AND MONITORING OPTIONS"

# --- runtime arguments (Mirage_runtime_network.syslog...) -------------------------------------

_ARGS = {
    # function: (option, docv, doc)
    "syslog": ("syslog", "IP", "syslog server IP"),
    "syslog_port": ("syslog-port", "PORT", "syslog server port"),
    "syslog_truncate": ("syslog-truncate", "", "truncate syslog messages"),
    "syslog_keyname": ("syslog-keyname", "", "TLS key name used for syslog"),
    "monitor": ("monitor", "IP", "monitor server"),
}
_CODE = re.compile(r'^Mirage_runtime_network\.([a-z_]+)\s*(?:~group:"([^"]*)"\s*)?(?:~docs:"[^"]*"\s*)?(.*)$', re.S)


def _ip(s: str) -> Any:
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        raise ConvError(f"invalid value '{s}', expected an IP address (e.g. 10.0.0.1)") from None


_IP = Arg.conv(_ip, str, "")


def _default(fn: str, text: str) -> Any:
    t = text.strip()
    if t in ("", "None", "()"):
        return 514 if fn == "syslog_port" else None
    if t.startswith("(Some ") and t.endswith(")"):
        t = t[6:-1].strip()
    if fn in ("syslog", "monitor"):
        q = re.search(r'"([^"]*)"', t)
        return _ip(q.group(1)) if q else None
    if fn == "syslog_keyname":
        return t.strip('"')
    return int(t)


def syslog_arg(key: str) -> ArgSpec | None:
    """The Cmdliner term of a syslog or monitor runtime argument (its OCaml code or option name), or None."""
    m = _CODE.match(key.strip())
    if m is not None and m.group(1) in _ARGS:
        fn, group, default = m.group(1), m.group(2), _default(m.group(1), m.group(3))
    else:
        fn = next((f for f, a in _ARGS.items() if key == a[0] or key.endswith("-" + a[0])), "")
        if not fn:
            return None
        group, default = (key[: -len(_ARGS[fn][0]) - 1] or None), _default(fn, "")
    option, docv, doc = _ARGS[fn]
    name = f"{group}-{option}" if group else option
    conv = {
        "syslog": Arg.some(_IP),
        "monitor": Arg.some(_IP),
        "syslog_port": Arg.int,
        "syslog_truncate": Arg.some(Arg.int),
        "syslog_keyname": Arg.some(Arg.string),
    }[fn]
    return Arg.opt(conv, default, Arg.info([name], doc=doc, docv=docv, docs=S_LOG))


def _arg(booter: Any, node: Any, fn: str) -> Any:
    option = _ARGS[fn][0]
    for ref in node.runtime_args:
        m = _CODE.match(ref.key.strip())
        if (m is not None and m.group(1) == fn) or ref.key == option or ref.key.endswith("-" + option):
            return booter.runtime_arg(ref)
    return 514 if fn == "syslog_port" else None


# --- the reporters -------------------------------------------------------------------------------


def severity_of_level(level: int) -> int:
    """logs-syslog's severity of a Logs level: App and Info -> info (6), Error -> err (3), Warning -> 4, Debug -> 7."""
    return {0: 6, 1: 3, 2: 4, 3: 6, 4: 7}[int(level)]


class SyslogReporter:
    """A ``Logs.reporter`` of logs-syslog: each message becomes a syslog line handed to ``send`` (not awaited)."""

    def __init__(
        self,
        hostname: str,
        send: Callable[[bytes], Any],
        *,
        truncate: int | None,
        facility: int = FACILITY_DAEMON,
    ) -> None:
        self.hostname = hostname
        self.send = send
        self.truncate = truncate
        self.facility = facility
        self.reporting = False
        self.sent = 0

    def message(self, source: str, level: int, header: str | None, text: str) -> SyslogMessage:
        """``Logs_syslog.message``: the record of one log message at the run's wall clock (UTC)."""
        from mirage_nb.sim.clocks import Mirage_ptime

        ps = Mirage_ptime.now().ps
        ts = datetime.datetime.fromtimestamp(ps // 10**12, tz=datetime.UTC)
        hdr = "" if header is None else " " + header
        return SyslogMessage(self.facility, severity_of_level(level), ts, self.hostname, source[:32], f"{hdr} {text}")

    def __call__(self, source: str, level: int, header: str | None, text: str) -> None:
        if self.reporting:  # a message logged while reporting one (the stack's own logs): dropped
            return
        self.reporting = True
        try:
            line = encode(self.message(source, level, header, text), self.truncate)
            self.sent += 1
            async_(lambda: self.send(line))
        finally:
            self.reporting = False


def _install(reporter: SyslogReporter) -> None:
    from mirage_nb.sim.logs import REPORTER_KEY

    current_run().devices[REPORTER_KEY] = reporter


def _stdout(text: str) -> None:
    current_run().write("stdout", text)


class _StreamSender:
    """The TCP/TLS reporters' ``send``: one connection, made again after a failed write."""

    def __init__(self, connect: Callable[[], Any], where: str, framing: str = "null") -> None:
        self.connect = connect
        self.where = where
        self.framing = framing
        self.flow: Any = None
        self.connecting: Any = None

    async def open(self) -> str | None:
        """Connect; None on success, else the error text."""
        r = await self.connect()
        if isinstance(r, Error):
            return str(r.error)
        self.flow = r.value
        return None

    async def _reconnect(self, line: bytes) -> None:
        if self.connecting is None:
            from mirage_nb.sim.lwt import spawn

            self.connecting = spawn(self.open(), "syslog.reconnect")
        err = await self.connecting
        self.connecting = None
        if err is not None and self.flow is None:
            _stdout(f"error {err}, message {line.decode('utf-8', 'replace')}")
            return
        await self(line)

    async def __call__(self, line: bytes) -> None:
        if self.flow is None:
            await self._reconnect(line)
            return
        r = await self.flow.write(frame(line, self.framing))
        if isinstance(r, Error):
            self.flow = None
            _stdout(f"{r.error} {self.where}, reconnecting")
            await self._reconnect(line)


async def _connect_syslog(booter: Any, node: Any) -> tuple[Any, Any]:
    from mirage_nb.sim.logs import Logs
    from mirage_nb.sim.netdev.kinds import _dep_ids

    module = DeviceModule(node.module_name)
    run = booter.run
    if node.kind == "monitoring":
        return await _connect_monitoring(booter, node, module)
    ids = tuple(dict.fromkeys(tuple(node.args) + tuple(node.deps)))
    want = 2 if node.kind == "syslog_tls" else 1
    if len(ids) != want:
        _dep_ids(node, want)  # raises the usual message
    stack = booter.values[ids[0]]
    server = _arg(booter, node, "syslog")
    if server is None:
        Logs.warn(lambda m: m("no syslog server specified, dumping logs to stdout"))
        return None, module
    port = _arg(booter, node, "syslog_port")
    truncate = _arg(booter, node, "syslog_truncate")
    hostname = run.runtime_name or run.name
    where = f"while writing to {server}:{port}"
    if node.kind == "syslog_udp":
        udp = stack.udp()

        async def send_udp(line: bytes) -> None:
            await udp.write(line, dst=server, dst_port=port)

        _install(SyslogReporter(hostname, send_udp, truncate=65535 if truncate is None else truncate))
        return None, module
    tcp = stack.tcp()
    if node.kind == "syslog_tcp":

        async def connect_tcp() -> Any:
            return await tcp.create_connection((server, port))

        sender = _StreamSender(connect_tcp, where)
    else:
        kv, kv_module = booter.values[ids[1]], booter.modules.get(ids[1])
        x509 = Tls_mirage.X509(kv_module)
        ca = await x509.authenticator(kv)
        keyname = _arg(booter, node, "syslog_keyname")
        cert = await x509.certificate(kv, "Default" if keyname is None else ("Name", keyname))
        conf = Tls.Config.client(authenticator=ca, certificates=("Single", cert))
        if isinstance(conf, Error):
            raise SimulationError(f"{node.module_name}.create: {conf.error}")  # OCaml: invalid_arg e

        async def connect_tls() -> Any:
            r = await tcp.create_connection((server, port))
            if isinstance(r, Error):
                return Error(f"error {r.error} {where}")
            t = await TlsFlow.client_of_flow(conf.value, r.value)
            return Error(f"error {t.error} {where}") if isinstance(t, Error) else t

        sender = _StreamSender(connect_tls, where)
    err = await sender.open()
    if err is not None:
        raise SimulationError(f"{node.module_name}.create: {err} (OCaml: invalid_arg)")
    _install(SyslogReporter(hostname, sender, truncate=0 if truncate is None else truncate))
    return None, module


MONITORING_SRC_NAME = "mirage_nb"


async def _connect_monitoring(booter: Any, node: Any, module: Any) -> tuple[Any, Any]:
    from mirage_nb.sim.logs import Logs, Src

    monitor = _arg(booter, node, "monitor")
    if monitor is None:
        Logs.warn(lambda m: m("no monitor specified, not outputting statistics"))
        return None, module
    Logs.warn(
        lambda m: m(
            "Mirage_monitoring is not simulated: no statistics to %s:8094, no memtrace listener (4242), "
            "no log level listener (2323)",
            str(monitor),
        ),
        src=Src(MONITORING_SRC_NAME, "what the simulator does not do"),
    )
    return None, module


SYSLOG_CONNECTORS: Mapping[str, Any] = {k: _connect_syslog for k in sorted(set(SYSLOG_KIND_OF_MODULE.values()))}
"""Kind -> connector, merged into :data:`~mirage_nb.sim.netdev.kinds.NET_CONNECTORS`."""


# --- the log host ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    """One syslog line that reached the log host: when, how, from where, its bytes and what they decode to."""

    at_ns: int
    transport: str
    src: str
    line: bytes
    message: SyslogMessage | None
    error: str | None = None

    @property
    def text(self) -> str:
        """The log message (the line itself if it did not decode)."""
        return self.message.text if self.message is not None else self.line.decode("utf-8", "replace")


class SyslogPeer(Peer):
    """A log host on ``lan``: collects syslog lines on UDP ``udp``, TCP ``tcp`` and TLS ``tls`` ports.

    ``tls`` needs ``certificate`` (a :class:`~mirage_nb.sim.netdev.pki.TestPki`,
    or ``(chain_pem, key_pem)``); with ``client_ca`` the host accepts only
    clients with a certificate that CA signed. A TCP port that is also the TLS
    port speaks TLS. ``framing`` is the stream framing (logs-syslog's ``null``).
    """

    def __init__(
        self,
        lan: VirtualLan,
        *,
        name: str = "loghost",
        udp: int | None = SYSLOG_PORT,
        tcp: int | None = SYSLOG_PORT,
        tls: int | None = None,
        certificate: Any = None,
        client_ca: bytes | None = None,
        framing: str = "null",
        **kw: Any,
    ) -> None:
        self.received: list[Received] = []
        self.framing = framing
        self.udp_port = udp
        self.tls_port = tls
        self.tcp_port = None if tcp == tls else tcp
        self._readers: dict[Flow, StreamReader] = {}
        self._tls: dict[Flow, TlsSession] = {}
        self._broken: set[Flow] = set()
        self._ctx = None
        if tls is not None:
            if certificate is None:
                raise SimulationError("SyslogPeer: a TLS port needs certificate= (make_test_pki(...) or (chain, key))")
            chain, key = (certificate.cert, certificate.key) if hasattr(certificate, "cert") else certificate
            self._ctx = server_context(chain, key, client_ca=client_ca)
        super().__init__(lan, name=name, **kw)
        if udp is not None:
            self.host.listen_udp(udp)
        for p in {self.tcp_port, tls} - {None}:
            self.tcp.listen(p)  # type: ignore[arg-type]

    @classmethod
    def on(cls, lan: Any, *, cidr: str = "10.0.0.1/24", **kw: Any) -> SyslogPeer:
        """A new log host on ``lan`` (a :class:`VirtualLan` or a run, whose LAN is used)."""
        if not isinstance(lan, VirtualLan):
            lan = VirtualLan.of_run(lan)
        return cls(lan, cidr=cidr, **kw)

    @property
    def messages(self) -> list[SyslogMessage]:
        """The lines that decoded, in arrival order."""
        return [r.message for r in self.received if r.message is not None]

    @property
    def lines(self) -> list[str]:
        """Every line received, as text."""
        return [r.line.decode("utf-8", "replace") for r in self.received]

    def _collect(self, transport: str, src: Any, line: bytes) -> None:
        try:
            msg, err = decode(line), None
        except FrameError as e:
            msg, err = None, str(e)
        self.received.append(Received(self.run.now, transport, str(to_ip(src)), line, msg, err))

    def apply(self, step: Step) -> None:
        super().apply(step)
        for e in step.events:
            if type(e) is UdpReceived and e.dst_port == self.udp_port:
                self._collect("udp", e.src, bytes(e.payload))

    def apply_tcp(self, step: EndpointStep) -> None:
        super().apply_tcp(step)
        for fe in step.events:
            flow, ev = fe.flow, fe.event
            port = flow.local_port
            if port == self.tls_port and self._ctx is not None:
                if type(ev) is DataReceived:
                    self._tls_data(flow, ev.data)
                elif type(ev) is PeerClosed and flow in self._tls:
                    self._tls[flow].receive_eof()
                    self._tls_data(flow, b"")
            elif port == self.tcp_port and type(ev) is DataReceived:
                self._lines(flow, "tcp", ev.data)

    def _lines(self, flow: Flow, transport: str, data: bytes) -> None:
        reader = self._readers.setdefault(flow, StreamReader(self.framing))
        try:
            lines = reader.feed(data)
        except FrameError as e:
            self.received.append(Received(self.run.now, transport, str(to_ip(flow.remote_ip)), data, None, str(e)))
            reader.buf.clear()
            return
        for line in lines:
            self._collect(transport, flow.remote_ip, line)

    def _tls_data(self, flow: Flow, data: bytes) -> None:
        if flow in self._broken:
            return
        s = self._tls.get(flow)
        if s is None:
            assert self._ctx is not None
            s = self._tls[flow] = TlsSession(self._ctx, server=True)
        s.receive(data)
        try:
            if s.handshake():
                while (d := s.read()) is not None and d:
                    self._lines(flow, "tls", d)
        except TlsFailure as e:
            self._broken.add(flow)
            self.received.append(Received(self.run.now, "tls", str(to_ip(flow.remote_ip)), data, None, str(e)))
            out = s.data_to_send()
            self._send(flow, out)
            if flow in self.tcp.connections:
                super().apply_tcp(self.tcp.close(self.run.now, flow))
            return
        self._send(flow, s.data_to_send())

    def _send(self, flow: Flow, out: bytes) -> None:
        if not out or flow not in self.tcp.connections:
            return
        try:
            step = self.tcp.send(self.run.now, flow, out)
        except LocalProtocolError:  # the sender already closed its side: nothing more to say
            return
        super().apply_tcp(step)
