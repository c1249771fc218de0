"""DNS devices: ``Happy_eyeballs_mirage.Make`` and ``Dns_client_mirage.Make`` over a simulated stack.

They are booted from the engine's graph like the stack's devices
(``generic_happy_eyeballs stack`` then ``generic_dns_client stack he``, in
the generated ``main.ml``'s order), with the runtime arguments of
``Mirage_runtime_network``: ``--dns-servers``, ``--dns-timeout``,
``--dns-cache-size`` (section DNS OPTIONS) and ``--he-*`` (HAPPY EYEBALLS
OPTIONS), read by :func:`service_arg`.

:class:`DnsClientDevice` is the shell of the
:class:`~mirage_nb.sim.net.dns_client.StubResolver` machine: UDP queries from
a random port of the stack's UDP, TCP queries on a fresh connection with the
two-byte length, one :class:`~.lan.Alarm` at the machine's deadline. Its
functions are those of ``Dns_client_mirage.S``: ``gethostbyname``,
``gethostbyname6``, ``getaddrinfo`` (``Ok((ttl, addresses))``) and
``get_resource_record``; errors are ``Error(Msg(...))``.

:class:`HappyEyeballsDevice` (:mod:`~.happy_eyeballs`) connects to a host
name or address on one of some ports: it resolves AAAA and A through the DNS
client that injected itself (as ``Dns_client_mirage.connect`` does with
``H.inject``), then races TCP connections to the addresses as RFC 8305 says.

Departures from the OCaml libraries: no DNS over TLS (the default
nameservers of ``dns-client`` are TLS ones; give ``--dns-servers udp:IP`` or
``tcp:IP``); without ``--dns-servers`` the client asks ``tcp:91.239.100.100``,
which no simulated LAN has, so lookups time out; one TCP connection per query.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError, SimulationError
from mirage_nb.sim.cmdliner import Arg, ArgSpec
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import Resolver, async_, wakeup
from mirage_nb.sim.net.dns import TcpDnsReader, frame_tcp
from mirage_nb.sim.net.dns_client import (
    DnsResult,
    DnsSend,
    Failure,
    NoData,
    NoDomain,
    Records,
    StubResolver,
    nameserver_of_string,
)
from mirage_nb.sim.netdev._module import DeviceModule, wait_any
from mirage_nb.sim.netdev.lan import Alarm
from mirage_nb.sim.netdev.values import Data, to_ip
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.run import current_run

__all__ = [
    "DNS_SRC",
    "DNS_MIRAGE_SRC",
    "HE_SRC",
    "SERVICE_KIND_OF_MODULE",
    "SERVICE_CONNECTORS",
    "service_arg",
    "DnsClientDevice",
    "HappyEyeballsDevice",
    "ResolverDevice",
    "TCP",
    "TLS",
    "Unknown",
    "Dns_client_mirage",
    "Dns_server",
    "Dns_zone",
]

DNS_SRC = Src("dns_client", "DNS client")
DNS_MIRAGE_SRC = Src("dns_client_mirage", "effectful DNS client layer")
HE_SRC = Src("happy-eyeballs.mirage", "Happy Eyeballs Mirage")

S_DNS = "DNS OPTIONS"
S_HE = "HAPPY EYEBALLS OPTIONS"
_SEC = 1_000_000_000
DEFAULT_NAMESERVERS = ("tcp:91.239.100.100",)
"""Where ``dns-client`` asks without ``--dns-servers`` (its anycast resolver, here in clear TCP)."""

# --- runtime arguments ---------------------------------------------------------

_ARGS: Mapping[str, tuple[str, str, str, str]] = {
    # function -> (option, docv, section, doc); conv chosen below
    "resolver": ("resolver", "IP", "NETWORK OPTIONS", "DNS resolver (default to anycast.censurfridns.dk)"),
    "dns_servers": ("dns-servers", "DNS-SERVER", S_DNS, "DNS servers (default to anycast.censurfridns.dk)"),
    "dns_timeout": ("dns-timeout", "DNS-TIMEOUT", S_DNS, "DNS timeout (in nanoseconds)"),
    "dns_cache_size": ("dns-cache-size", "DNS-CACHE-SIZE", S_DNS, "DNS cache size"),
    "he_aaaa_timeout": ("he-aaaa-timeout", "AAAA-TIMEOUT", S_HE, "AAAA timeout (in nanoseconds)"),
    "he_connect_delay": (
        "he-connect-delay",
        "CONNECT-DELAY",
        S_HE,
        "Delay (in nanoseconds) for connection establishment",
    ),
    "he_connect_timeout": (
        "he-connect-timeout",
        "CONNECT-TIMEOUT",
        S_HE,
        "Connection establishment timeout (in nanoseconds)",
    ),
    "he_resolve_timeout": ("he-resolve-timeout", "RESOLVE-TIMEOUT", S_HE, "DNS resolution timeout (in nanoseconds)"),
    "he_resolve_retries": ("he-resolve-retries", "RESOLVE-RETRIES", S_HE, "Amount of DNS resolution attempts"),
    "he_timer_interval": (
        "he-timer-interval",
        "TIMER-INTERVAL",
        S_HE,
        "Interal (in nanoseconds) for execution of the timer",
    ),
}
_CODE = re.compile(r'^Mirage_runtime_network\.([a-z_0-9]+)\s*(?:~group:"([^"]*)"\s*)?(?:~docs:"[^"]*"\s*)?(.*)$', re.S)


def _ocaml_default(fn: str, text: str) -> Any:
    t = text.strip()
    if t in ("", "None"):
        return None
    if t.startswith("(Some ") and t.endswith(")"):
        t = t[6:-1].strip()
    if fn == "resolver":  # ``resolver ?default ()``: ``~default:["udp:..."] ()`` or ``()``
        found = re.findall(r'"((?:[^"\\]|\\.)*)"', t)
        return found or None
    if fn == "dns_servers":
        return re.findall(r'"((?:[^"\\]|\\.)*)"', t)
    return int(t.rstrip("Ll"))


def service_arg(key: str) -> ArgSpec | None:
    """The Cmdliner term of a DNS or happy-eyeballs runtime argument (its OCaml code or option name), or None."""
    m = _CODE.match(key.strip())
    if m is not None and m.group(1) in _ARGS:
        fn, group, rest = m.group(1), m.group(2), m.group(3)
        default = _ocaml_default(fn, rest)
    else:
        fn = next((f for f, a in _ARGS.items() if key == a[0] or key.endswith("-" + a[0])), "")
        if not fn:
            from mirage_nb.sim.netdev.syslog import syslog_arg  # --syslog, --monitor: the log reporters' arguments

            return syslog_arg(key)
        group, default = (key[: -len(_ARGS[fn][0]) - 1] or None), None
    option, docv, docs, doc = _ARGS[fn]
    name = f"{group}-{option}" if group else option
    conv = (
        Arg.some(Arg.list(Arg.string))
        if fn in ("dns_servers", "resolver")
        else Arg.some(Arg.int if fn in ("dns_cache_size", "he_resolve_retries") else Arg.int64)
    )
    _declare_log_sources()
    return Arg.opt(conv, default, Arg.info([name], doc=doc, docv=docv, docs=docs))


def _declare_log_sources() -> None:
    run = current_run(optional=True)
    if run is not None:
        for s in (DNS_SRC, DNS_MIRAGE_SRC, HE_SRC):
            run.log_state.sources.setdefault(s.name, s)


def _arg(booter: Any, node: Any, fn: str) -> Any:
    for ref in node.runtime_args:
        m = _CODE.match(ref.key.strip())
        if (m is not None and m.group(1) == fn) or ref.key == _ARGS[fn][0] or ref.key.endswith("-" + _ARGS[fn][0]):
            return booter.runtime_arg(ref)
    return None


# --- happy eyeballs: sim/netdev/happy_eyeballs.py (the RFC 8305 race) -----------------------

from mirage_nb.sim.netdev.happy_eyeballs import HappyEyeballsDevice  # noqa: E402

# --- the DNS client ------------------------------------------------------------


class DnsClientDevice:
    """Twin of ``Dns_client_mirage.Make (S) (H)``'s ``t`` (see the module docstring)."""

    def __init__(
        self, stack: Any, he: Any, *, nameservers: list[str], timeout: int, cache_size: int, rng: random.Random
    ) -> None:
        self.run = current_run()
        self.stack = stack
        self.he = he
        try:
            servers = [nameserver_of_string(s) for s in nameservers]
        except LocalProtocolError as e:
            raise SimulationError(f"--dns-servers: {e}") from None
        self.machine = StubResolver(servers, timeout_ns=timeout, cache_size=cache_size, rng=rng)
        self.rng = rng
        self.waiting: dict[int, Resolver[Any]] = {}
        self.udp_ports: dict[int, int] = {}  # token -> our UDP port
        self._alarm = Alarm(self.run, self._tick)

    @classmethod
    async def connect(
        cls,
        stack_he: tuple[Any, Any],
        *,
        nameservers: list[str] | None = None,
        timeout: int | None = None,
        cache_size: int | None = None,
    ) -> DnsClientDevice:
        """``connect ?nameservers ?timeout ?cache_size (stack, he)``."""
        stack, he = stack_he
        run = current_run()
        t = cls(
            stack,
            he,
            nameservers=list(nameservers) if nameservers else list(DEFAULT_NAMESERVERS),
            timeout=timeout if timeout is not None else 5 * _SEC,
            cache_size=cache_size if cache_size is not None else 32,
            rng=random.Random(f"{run.seed}:dns-client:{len(run.devices)}"),
        )
        if he is not None and hasattr(he, "inject"):
            he.inject(t.getaddrinfo)
        return t

    def nameservers(self) -> list[str]:
        return [str(n) for n in self.machine.nameservers]

    # --- the shell ---------------------------------------------------------------

    def _tick(self, now: int) -> None:
        self._apply(self.machine.timer(now))

    def _apply(self, events: list[Any]) -> None:
        for e in events:
            if isinstance(e, DnsSend):
                async_(self._transmit(e))
            elif isinstance(e, DnsResult):
                port = self.udp_ports.pop(e.token, None)
                if port is not None:
                    self.stack.udp().unlisten(port)
                r = self.waiting.pop(e.token, None)
                if r is not None:
                    wakeup(r, e)
            else:
                Logs.warn("%s", getattr(e, "reason", str(e)), src=DNS_MIRAGE_SRC)
        self._alarm.set(self.machine.deadline)

    async def _transmit(self, e: DnsSend) -> None:
        ns = e.server
        if ns.proto == "udp":
            udp = self.stack.udp()
            port = self.udp_ports.get(e.token)
            if port is None:
                port = 1024 + self.rng.randrange(65536 - 1024)
                self.udp_ports[e.token] = port

                def on_reply(*, src: Any, dst: Any, src_port: int, buf: Any, token: int = e.token) -> None:
                    if to_ip(src) == ns.ip and src_port == ns.port and len(buf) > 12:
                        self._apply(self.machine.receive(self.run.now, bytes(buf), token=token))
                    else:
                        Logs.warn("received unsolicited data, ignoring", src=DNS_MIRAGE_SRC)

                udp.listen(port=port, callback=on_reply)
            await udp.write(e.wire, dst=ns.ip, dst_port=ns.port, src_port=port)
            return
        res = await self.stack.tcp().create_connection((ns.ip, ns.port))
        if not isinstance(res, Ok):
            return  # the machine's timeout reports the failure
        flow = res.value
        await flow.write(frame_tcp(e.wire))
        reader = TcpDnsReader()
        while e.token in self.machine.pending:
            got = await flow.read()
            if not (isinstance(got, Ok) and isinstance(got.value, Data)):
                if e.token in self.machine.pending:
                    Logs.info("end of file reading from resolver", src=DNS_MIRAGE_SRC)
                break
            for msg in reader.feed(bytes(got.value.buf)):
                self._apply(self.machine.receive(self.run.now, msg, token=e.token))
        await flow.close()

    async def _lookup(self, rr: str, name: Any) -> DnsResult:
        token, events = self.machine.lookup(self.run.now, str(name), rr)
        p, r = wait_any()
        self.waiting[token] = r
        self._apply(events)
        return await p

    # --- Dns_client_mirage.S ----------------------------------------------------

    async def get_resource_record(self, rr: str, name: Any) -> Any:
        """``Ok((ttl, values))``, ``Error(NoData/NoDomain)`` or ``Error(Msg)``."""
        res = await self._lookup(rr, name)
        a = res.answer
        if isinstance(a, Records):
            return Ok((a.ttl, _values(rr, a.values)))
        if isinstance(a, NoData | NoDomain):
            return Error(a)
        assert isinstance(a, Failure)
        return Error(Msg(a.message))

    async def getaddrinfo(self, rr: str, name: Any) -> Any:
        """``getaddrinfo t rr name``: ``Ok((ttl, values))`` or ``Error(Msg(...))``."""
        r = await self.get_resource_record(rr, name)
        if isinstance(r, Error) and isinstance(r.error, NoData | NoDomain):
            return Error(Msg(f"DNS cache error {_pp_entry(rr, r.error)}"))
        return r

    async def gethostbyname(self, name: Any) -> Any:
        """``gethostbyname t name``: ``Ok(ipv4)`` or ``Error(Msg(...))``."""
        r = await self.getaddrinfo("A", name)
        if isinstance(r, Error):
            return r
        ips = sorted(r.value[1])
        return Ok(ips[0]) if ips else Error(Msg("No A record found"))

    async def gethostbyname6(self, name: Any) -> Any:
        r = await self.getaddrinfo("AAAA", name)
        if isinstance(r, Error):
            return r
        ips = sorted(r.value[1])
        return Ok(ips[0]) if ips else Error(Msg("No AAAA record found"))


def _values(rr: str, values: tuple[str, ...]) -> frozenset[Any]:
    if rr.upper() in ("A", "AAAA"):
        return frozenset(ipaddress.ip_address(v) for v in values)
    return frozenset(values)


def _pp_entry(rr: str, e: NoData | NoDomain) -> str:
    kind = "no data" if isinstance(e, NoData) else "no domain"
    return f"{kind} {e.soa_name.rstrip('.')} (type {rr.upper()})"


# --- conduit's resolver -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TCP:
    """Conduit's endpoint ``TCP (ip, port)``."""

    ip: Any
    port: int


@dataclass(frozen=True, slots=True)
class TLS:
    """Conduit's endpoint ``TLS (host, endpoint)``: TLS to ``host`` over ``endpoint``."""

    host: str
    endpoint: Any


@dataclass(frozen=True, slots=True)
class Unknown:
    """Conduit's endpoint ``Unknown msg``: the name could not be resolved."""

    message: str


_SCHEME_PORTS = {"http": 80, "https": 443, "tls": 443, "tcp": 0}


class ResolverDevice:
    """Twin of conduit's ``Resolver_mirage.Make (S)``: ``resolve_uri uri`` gives a conduit endpoint.

    Host names are looked up (A records) with a DNS client of its own on the
    stack; ``https`` URIs resolve to ``TLS(host, TCP(ip, 443))``.
    """

    def __init__(self, dns: DnsClientDevice) -> None:
        self.dns = dns

    @classmethod
    async def v(cls, stack: Any, *, nameservers: list[str] | None = None) -> Any:
        """``v ?nameservers stack``: ``Ok(resolver)`` or ``Error(Msg(...))`` for a bad nameserver."""
        try:
            dns = await DnsClientDevice.connect((stack, None), nameservers=nameservers)
        except SimulationError as e:
            return Error(Msg(str(e)))
        return Ok(cls(dns))

    async def resolve_uri(self, uri: str) -> Any:
        """``Resolver_lwt.resolve_uri ~uri t``: ``TCP``, ``TLS`` or ``Unknown``."""
        from urllib.parse import urlsplit

        u = urlsplit(uri)
        host = u.hostname or ""
        try:
            port = u.port or _SCHEME_PORTS.get(u.scheme, 0)
        except ValueError:
            return Unknown(f"bad port in {uri}")
        if not host:
            return Unknown(f"no host in {uri}")
        try:
            ip: Any = ipaddress.ip_address(host)
        except ValueError:
            r = await self.dns.gethostbyname(host)
            if isinstance(r, Error):
                return Unknown(f"name resolution failed for {host}: {r.error}")
            ip = r.value
        tcp = TCP(ip, port)
        return TLS(host, tcp) if u.scheme in ("https", "tls") else tcp


Dns_client_mirage = DeviceModule("Dns_client_mirage.Make")
"""The module a ``Make (DNS : Dns_client_mirage.S)`` functor receives: ``DNS.gethostbyname(dns, name)``."""


# --- boot connectors ---------------------------------------------------------------

SERVICE_KIND_OF_MODULE: Mapping[str, str] = {
    "Happy_eyeballs_mirage.Make": "happy_eyeballs",
    "Dns_client_mirage.Make": "dns_client",
    "Resolver_mirage.Make": "resolver_dns",
    "Dhcp_ipv4.Proj_lease": "dhcp_proj_lease",
}


async def _connect_he(booter: Any, node: Any) -> tuple[Any, Any]:
    from mirage_nb.sim.netdev.kinds import _deps

    (stack,) = _deps(booter, node, 1)
    kw = {k: _arg(booter, node, "he_" + k) for k in ("aaaa_timeout", "connect_delay", "connect_timeout")}
    kw |= {k: _arg(booter, node, "he_" + k) for k in ("resolve_timeout", "resolve_retries", "timer_interval")}
    he = await HappyEyeballsDevice.connect_device(stack, **kw)
    return he, DeviceModule(node.module_name)


async def _connect_dns(booter: Any, node: Any) -> tuple[Any, Any]:
    from mirage_nb.sim.netdev.kinds import _dep_ids

    ids = tuple(dict.fromkeys(tuple(node.args) + tuple(node.deps)))
    stack, he = booter.values[ids[0]], booter.values[ids[1]] if len(ids) > 1 else None
    if len(ids) not in (2, 3):
        _dep_ids(node, 2)  # raises the usual message
    nameservers = _arg(booter, node, "dns_servers")
    if nameservers is None and len(ids) == 3:
        nameservers = _lease_nameservers(booter.values[ids[2]])
    t = await DnsClientDevice.connect(
        (stack, he),
        nameservers=nameservers,
        timeout=_arg(booter, node, "dns_timeout"),
        cache_size=_arg(booter, node, "dns_cache_size"),
    )
    return t, DeviceModule(node.module_name)


def _lease_nameservers(lease: Any) -> list[str] | None:
    """``Dhcp_wire.collect_dns_servers lease`` as ``udp:IP``/``tcp:IP`` (None without a lease or servers)."""
    if not lease:
        return None
    ips = [str(ipaddress.IPv4Address(v[i : i + 4])) for code, v in lease if code == 6 for i in range(0, len(v) - 3, 4)]
    return [x for ip in ips for x in (f"udp:{ip}", f"tcp:{ip}")] or None


async def _connect_lease(booter: Any, node: Any) -> tuple[Any, Any]:
    ids = tuple(dict.fromkeys(tuple(node.args) + tuple(node.deps)))
    if len(ids) != 1:
        raise SimulationError(f"{node.module_name} node {node.id} needs its DHCP client, got {ids}")
    return booter.values[ids[0]].lease(), DeviceModule(node.module_name)


async def _connect_resolver(booter: Any, node: Any) -> tuple[Any, Any]:
    ids = tuple(dict.fromkeys(tuple(node.args) + tuple(node.deps)))
    if len(ids) not in (1, 2):
        raise SimulationError(f"{node.module_name} node {node.id} needs its stack (and a DHCP lease), got {ids}")
    stack = booter.values[ids[0]]
    nameservers = _arg(booter, node, "resolver")
    if nameservers is None and len(ids) == 2:
        nameservers = _lease_nameservers(booter.values[ids[1]])
    r = await ResolverDevice.v(stack, nameservers=nameservers)
    if isinstance(r, Error):
        raise SimulationError(f"Resolver_mirage.v: {r.error}")  # OCaml: invalid_arg e
    return r.value, DeviceModule(node.module_name)


SERVICE_CONNECTORS: Mapping[str, Any] = {
    "happy_eyeballs": _connect_he,
    "dns_client": _connect_dns,
    "resolver_dns": _connect_resolver,
    "dhcp_proj_lease": _connect_lease,
}
"""Kind -> connector of the service devices, merged into ``kinds.NET_CONNECTORS``."""


# --- ocaml-dns's server-side modules, for server unikernels ----------------------------------


class Dns_zone:  # noqa: N801 - the OCaml module's name
    """Twin of ``Dns_zone``: ``parse text`` is ``Ok(zone)`` or ``Error(Msg(...))`` (a bad zone is the learner's)."""

    @staticmethod
    def parse(text: str, origin: str | None = None, *, filename: str = "<zone>") -> Any:
        from mirage_nb.errors import ConfigError
        from mirage_nb.sim.net.dns import parse_zone

        try:
            return Ok(parse_zone(text, origin, filename=filename))
        except ConfigError as e:
            return Error(Msg(str(e)))


class Dns_server:  # noqa: N801 - the OCaml module's name
    """Twin of ``Dns_server``'s primary role: ``Primary.create zones`` and ``Primary.handle_buf t ~proto buf``."""

    class Primary:
        @staticmethod
        def create(zones: Any) -> Any:
            from mirage_nb.sim.net.dns_server import DnsPrimary

            return DnsPrimary(zones if isinstance(zones, list | tuple) else [zones])

        @staticmethod
        def handle_buf(t: Any, buf: Any, *, proto: str = "udp") -> bytes | None:
            """The answer's bytes, or None for a message that is dropped (not a query, undecodable)."""
            from mirage_nb.sim.net.dns_server import Answered

            a = t.handle(bytes(buf), tcp=proto == "tcp")
            return a.wire if isinstance(a, Answered) else None
