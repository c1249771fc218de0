"""MirageOS runtime arguments (twin of ``Mirage.Runtime_arg``): boot-time command-line options.

Each helper builds the OCaml code that registers the argument in main.ml;
the positions are those of ``lib/devices/runtime_arg.ml`` in mirage 4.11.1,
since they show up in the generated ``# line`` directives and decide the
order in which main.ml registers the arguments. The code is printed with
OCaml's ``Format`` (``Fmt.kstr``), so lists and options take the layout
``Fmt.Dump`` gives them.

Where OCaml takes an ``Ipaddr`` value, these helpers take a string and
print it as ``Ipaddr``'s printer would (checked and normalised with
:mod:`ipaddress`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import fmt as F
from mirage_nb.functoria.package import package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.runtime_arg import runtime_arg as _create

from ._util import pos

__all__ = [
    "create",
    "v",
    "delay",
    "logs",
    "runtime_arg",
    "runtime_network_key",
    "pp_group",
    "pp_docs",
    "interface",
    "V4",
    "V6",
    "ipv4_only",
    "ipv6_only",
    "resolver",
    "dns_servers",
    "dns_timeout",
    "dns_cache_size",
    "he_aaaa_timeout",
    "he_connect_delay",
    "he_connect_timeout",
    "he_resolve_timeout",
    "he_resolve_retries",
    "he_timer_interval",
    "ssh_key",
    "ssh_password",
    "ssh_authenticator",
    "tls_authenticator",
    "http_headers",
    "syslog",
    "syslog_port",
    "syslog_truncate",
    "syslog_keyname",
    "monitor",
]

_FILE = "lib/devices/runtime_arg.ml"


def create(pos: tuple[str, int, int, int], code: str, packages: Sequence[Any] = ()) -> RuntimeArg:
    """Twin of ``Runtime_arg.create ~pos ?packages code``."""
    return _create(pos, code, packages)


def v(arg: RuntimeArg) -> RuntimeArg:
    """``Runtime_arg.v``: the argument as a value devices list (the identity here)."""
    return arg


def runtime_arg(line: int, name: str) -> RuntimeArg:
    """An argument of ``Mirage_runtime`` itself (``Mirage_runtime.<name>``)."""
    return _create(pos(_FILE, line), f"Mirage_runtime.{name}", [package("mirage-runtime")])


#: The printed code of each network key, by format and arguments: printing is pure and a
#: stack builds a dozen of them, each call printing the same text.
_NETWORK_CODE: dict[tuple[Any, ...], str] = {}


def runtime_network_key(line: int, fmt: str, *args: Any) -> RuntimeArg:
    """An argument of ``Mirage_runtime_network`` (package ``mirage-runtime.network``).

    ``fmt`` and ``args`` are an OCaml format, printed with ``Fmt.kstr``.
    """
    try:
        code = _NETWORK_CODE.get((fmt, args))
    except TypeError:  # an unhashable argument (a list): print it every time
        code = F.sprintf("Mirage_runtime_network." + fmt, *args)
    else:
        if code is None:
            code = _NETWORK_CODE[(fmt, args)] = F.sprintf("Mirage_runtime_network." + fmt, *args)
    return _create(pos(_FILE, line), code, [package("mirage-runtime", sublibs=["network"])])


# -- printers (Fmt.Dump and friends) -----------------------------------------------


def pp_group(ppf: F.Formatter, group: str | None) -> None:
    """``~group:"g" `` when a non-empty group is given (OCaml ``%S``), else nothing."""
    if group:
        F.fprintf(ppf, "~group:%S ", group)


def pp_docs(ppf: F.Formatter, docs: str | None) -> None:
    if docs:
        F.fprintf(ppf, "~docs:%S ", docs)


def pp_option(pp: F.Printer) -> F.Printer:
    """``None`` or ``(Some x)``."""

    def printer(ppf: F.Formatter, x: Any) -> None:
        if x is None:
            ppf.string("None")
        else:
            F.fprintf(ppf, "(Some %a)", pp, x)

    return printer


def dump_string(ppf: F.Formatter, s: str) -> None:
    """``Fmt.Dump.string``: an OCaml string literal."""
    F.fprintf(ppf, "%S", s)


def dump_list(pp: F.Printer) -> F.Printer:
    """``Fmt.Dump.list``: ``[a; b]`` in a box indented by one."""
    inner = F.pp_list(F.pp_any(";@ "), pp)

    def printer(ppf: F.Formatter, items: Sequence[Any]) -> None:
        F.fprintf(ppf, "@[<1>[%a]@]", inner, list(items))

    return printer


def dump_option(pp: F.Printer) -> F.Printer:
    """``Fmt.Dump.option``: ``None`` or ``Some x`` in a box indented by two."""

    def printer(ppf: F.Formatter, x: Any) -> None:
        if x is None:
            ppf.string("None")
        else:
            F.fprintf(ppf, "@[<2>Some@ @[%a@]@]", pp, x)

    return printer


def dump_pair(pp_a: F.Printer, pp_b: F.Printer) -> F.Printer:
    """``Fmt.Dump.pair``: ``(a, b)``."""

    def printer(ppf: F.Formatter, ab: tuple[Any, Any]) -> None:
        a, b = ab
        F.fprintf(ppf, "@[<1>(@[%a@],@ @[%a@])@]", pp_a, a, pp_b, b)

    return printer


def parens(pp: F.Printer) -> F.Printer:
    """``Fmt.parens``."""

    def printer(ppf: F.Formatter, x: Any) -> None:
        F.fprintf(ppf, "@[<1>(%a)@]", pp, x)

    return printer


def pp_int(ppf: F.Formatter, n: int) -> None:
    """``Fmt.int`` and ``Fmt.int64`` (no ``L`` suffix)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise ConfigError(f"expected an integer, not {n!r}")
    ppf.string(str(n))


def _escape(text: str) -> F.Printer:
    """``escape pp``: the printed value as an OCaml string literal."""
    return lambda ppf, _x: dump_string(ppf, text)


# -- addresses -----------------------------------------------------------------------


def _v4_prefix(p: str) -> str:
    try:
        return str(ipaddress.IPv4Interface(p))
    except (ValueError, TypeError) as e:
        raise ConfigError(f'invalid IPv4 prefix {p!r}: expected e.g. "10.0.0.2/24" ({e})') from None


def _v6_prefix(p: str) -> str:
    try:
        return str(ipaddress.IPv6Interface(p))
    except (ValueError, TypeError) as e:
        raise ConfigError(f'invalid IPv6 prefix {p!r}: expected e.g. "fe80::1/64" ({e})') from None


def _v4(a: str) -> str:
    try:
        return str(ipaddress.IPv4Address(a))
    except (ValueError, TypeError) as e:
        raise ConfigError(f'invalid IPv4 address {a!r}: expected e.g. "10.0.0.1" ({e})') from None


def _v6(a: str) -> str:
    try:
        return str(ipaddress.IPv6Address(a))
    except (ValueError, TypeError) as e:
        raise ConfigError(f'invalid IPv6 address {a!r}: expected e.g. "fe80::1" ({e})') from None


def _ip(a: str) -> str:
    try:
        return str(ipaddress.ip_address(a))
    except (ValueError, TypeError) as e:
        raise ConfigError(f"invalid IP address {a!r}: expected an IPv4 or IPv6 address ({e})") from None


def v4_prefix_code(p: str) -> str:
    """``(Ipaddr.V4.Prefix.of_string_exn "10.0.0.2/24")``."""
    return F.sprintf("(Ipaddr.V4.Prefix.of_string_exn %a)", _escape(_v4_prefix(p)), None)


def _pp_v4_prefix(ppf: F.Formatter, p: str) -> None:
    ppf.string(v4_prefix_code(p))


def _pp_v4(ppf: F.Formatter, a: str) -> None:
    F.fprintf(ppf, "(Ipaddr.V4.of_string_exn %a)", _escape(_v4(a)), None)


def _pp_v6_prefix(ppf: F.Formatter, p: str) -> None:
    F.fprintf(ppf, "(Ipaddr.V6.Prefix.of_string_exn %a)", _escape(_v6_prefix(p)), None)


def _pp_v6(ppf: F.Formatter, a: str) -> None:
    F.fprintf(ppf, "(Ipaddr.V6.of_string_exn %a)", _escape(_v6(a)), None)


def _pp_ipaddr(ppf: F.Formatter, a: str) -> None:
    F.fprintf(ppf, "Ipaddr.of_string %a", _escape(_ip(a)), None)


# -- the runtime arguments ------------------------------------------------------------

delay = runtime_arg(32, "delay")
logs = runtime_arg(203, "logs")


def interface(default: str, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
    """``Runtime_arg.interface ?group ?docs default``: ``--interface``, the network device."""
    return runtime_network_key(51, "interface %a%a%S", pp_group, group, pp_docs, docs, default)


class V4:
    """``Runtime_arg.V4``: IPv4 configuration."""

    @staticmethod
    def network(default: str, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--ipv4``, with a default prefix such as ``"10.0.0.2/24"``."""
        return runtime_network_key(63, "V4.network %a%a%a", pp_group, group, pp_docs, docs, _pp_v4_prefix, default)

    @staticmethod
    def optional_network(*, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--ipv4``, unset by default (DHCP). OCaml's ``()`` is dropped."""
        return runtime_network_key(67, "V4.optional_network %a%a()", pp_group, group, pp_docs, docs)

    @staticmethod
    def gateway(default: str | None, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--ipv4-gateway``."""
        return runtime_network_key(71, "V4.gateway %a%a%a", pp_group, group, pp_docs, docs, pp_option(_pp_v4), default)


class V6:
    """``Runtime_arg.V6``: IPv6 configuration."""

    @staticmethod
    def network(default: str | None, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--ipv6``."""
        return runtime_network_key(
            84, "V6.network %a%a%a", pp_group, group, pp_docs, docs, pp_option(_pp_v6_prefix), default
        )

    @staticmethod
    def gateway(default: str | None, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--ipv6-gateway``."""
        return runtime_network_key(88, "V6.gateway %a%a%a", pp_group, group, pp_docs, docs, pp_option(_pp_v6), default)

    @staticmethod
    def accept_router_advertisements(*, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        """``--accept-router-advertisements``. OCaml's ``()`` is dropped."""
        return runtime_network_key(92, "V6.accept_router_advertisements %a%a()", pp_group, group, pp_docs, docs)


def ipv4_only(*, group: str | None = None, docs: str | None = None) -> RuntimeArg:
    """``--ipv4-only``. OCaml's ``()`` is dropped."""
    return runtime_network_key(97, "ipv4_only %a%a()", pp_group, group, pp_docs, docs)


def ipv6_only(*, group: str | None = None, docs: str | None = None) -> RuntimeArg:
    """``--ipv6-only``. OCaml's ``()`` is dropped."""
    return runtime_network_key(101, "ipv6_only %a%a()", pp_group, group, pp_docs, docs)


def resolver(*, group: str | None = None, docs: str | None = None, default: Sequence[str] | None = None) -> RuntimeArg:
    """``--resolver``, the DNS servers of conduit's resolver. OCaml's ``()`` is dropped."""

    def pp_default(ppf: F.Formatter, d: Sequence[str]) -> None:
        if d:
            F.fprintf(ppf, "~default:%a ", dump_list(dump_string), d)

    return runtime_network_key(
        109, "resolver %a%a%a()", pp_group, group, pp_docs, docs, pp_default, list(default or [])
    )


def _simple(line: int, name: str, pp: F.Printer, doc: str):
    def make(default: Any, *, group: str | None = None, docs: str | None = None) -> RuntimeArg:
        return runtime_network_key(line, f"{name} %a%a%a", pp_group, group, pp_docs, docs, pp_option(pp), default)

    make.__name__ = name
    make.__doc__ = f"``Runtime_arg.{name} ?group ?docs default``: {doc}"
    return make


dns_servers = _simple(113, "dns_servers", dump_list(dump_string), "``--dns-servers``.")
dns_timeout = _simple(119, "dns_timeout", pp_int, "``--dns-timeout`` (ns, an int64).")
dns_cache_size = _simple(123, "dns_cache_size", pp_int, "``--dns-cache-size``.")
he_aaaa_timeout = _simple(127, "he_aaaa_timeout", pp_int, "``--he-aaaa-timeout`` (ns).")
he_connect_delay = _simple(131, "he_connect_delay", pp_int, "``--he-connect-delay`` (ns).")
he_connect_timeout = _simple(135, "he_connect_timeout", pp_int, "``--he-connect-timeout`` (ns).")
he_resolve_timeout = _simple(139, "he_resolve_timeout", pp_int, "``--he-resolve-timeout`` (ns).")
he_resolve_retries = _simple(143, "he_resolve_retries", pp_int, "``--he-resolve-retries``.")
he_timer_interval = _simple(147, "he_timer_interval", pp_int, "``--he-timer-interval`` (ns).")
ssh_key = _simple(151, "ssh_key", dump_string, "``--ssh-key``.")
ssh_password = _simple(156, "ssh_password", dump_string, "``--ssh-password``.")
ssh_authenticator = _simple(162, "ssh_authenticator", dump_string, "``--ssh-authenticator``.")
tls_authenticator = _simple(168, "tls_authenticator", dump_string, "``--tls-authenticator``.")
http_headers = _simple(174, "http_headers", dump_list(dump_pair(dump_string, dump_string)), "``--http-headers``.")
syslog = _simple(182, "syslog", _pp_ipaddr, "``--syslog``, the syslog server's address.")
syslog_port = _simple(186, "syslog_port", pp_int, "``--syslog-port``.")
syslog_truncate = _simple(190, "syslog_truncate", pp_int, "``--syslog-truncate``.")
syslog_keyname = _simple(194, "syslog_keyname", F.pp_string, "``--syslog-keyname``.")
monitor = _simple(198, "monitor", _pp_ipaddr, "``--monitor``, the monitoring server's address.")
