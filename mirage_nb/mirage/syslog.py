"""Logs to a syslog server, and monitoring (twin of mirage's ``lib/devices/syslog.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import fmt as F
from mirage_nb.functoria import types as T
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import Package, package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from ._util import expect, pos
from .kv import ro
from .stack import stackv4v6

__all__ = [
    "syslog",
    "syslog_udp_conf",
    "syslog_udp",
    "syslog_tcp_conf",
    "syslog_tcp",
    "syslog_tls_conf",
    "syslog_tls",
    "monitoring_conf",
    "monitoring",
]

_FILE = "lib/devices/syslog.ml"

syslog = Typ("syslog")

_NO_SERVER = 'Logs.warn (fun m -> m "no syslog server specified, dumping logs to stdout"); Lwt.return_unit'

_UDP = (
    "@[<v 2>match %s with@ | None ->" + _NO_SERVER + "@ | "
    "Some server ->@ let reporter =@ %s.create %s "
    "~hostname:(Mirage_runtime.name ()) ~port:%s server ?truncate:%s ()@ "
    "in@ Logs.set_reporter reporter;@ Lwt.return_unit@]"
)

_TCP = (
    "@[<v 2>match %s with@ | None -> " + _NO_SERVER + "@ | "
    "Some server ->@ %s.create %s ~hostname:(Mirage_runtime.name ()) "
    "~port:%s server ?truncate:%s () >>= function@ | Ok reporter -> "
    "Logs.set_reporter reporter; Lwt.return_unit@ | Error e -> "
    "invalid_arg e@]"
)

_TLS = (
    "@[<v 2>match %s with@ | None -> " + _NO_SERVER + "@ | "
    "Some server ->@ %s.create %s %s ~hostname:(Mirage_runtime.name ()) "
    "~port:%s server ?truncate:%s ?keyname:%s () >>= function@ | Ok "
    "reporter -> Logs.set_reporter reporter; Lwt.return_unit@ | Error e "
    "-> invalid_arg e@]"
)


def _pkg(sublibs: list[str]) -> list[Package]:
    return [package("logs-syslog", min="0.5.0", max="0.6.0", sublibs=sublibs)]


def _endpoint_args(group: str | None) -> list:
    return [
        Runtime_arg.syslog(None, group=group),
        Runtime_arg.syslog_port(None, group=group),
        Runtime_arg.syslog_truncate(None, group=group),
    ]


def _plain_conf(module: str, fmt: str, line: int, who: str, group: str | None) -> Impl:
    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        # (mirage's arity message says 5 although the device takes 4 arguments)
        if len(names) != 4:
            expect(names, 5, who)
        stack, endpoint, port, truncate = names
        return Code(F.sprintf(fmt, endpoint, modname, stack, port, truncate), pos(_FILE, line))

    return impl(
        module,
        stackv4v6 @ syslog,
        packages=_pkg(["mirage"]),
        runtime_args=_endpoint_args(group),
        connect=connect,
        doc="A syslog reporter for Logs.",
    )


def syslog_udp_conf(*, group: str | None = None) -> Impl:
    """A fresh UDP syslog reporter (OCaml's trailing ``()`` is dropped)."""
    return _plain_conf("Logs_syslog_mirage.Udp", _UDP, 16, "syslog_udp", group)


def syslog_udp(stack: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``syslog_udp ?group stack``."""
    return syslog_udp_conf(group=group)(stack)


def syslog_tcp_conf(*, group: str | None = None) -> Impl:
    """A fresh TCP syslog reporter (OCaml's trailing ``()`` is dropped)."""
    return _plain_conf("Logs_syslog_mirage.Tcp", _TCP, 38, "syslog_tcp", group)


def syslog_tcp(stack: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``syslog_tcp ?group stack``."""
    return syslog_tcp_conf(group=group)(stack)


def syslog_tls_conf(*, group: str | None = None) -> Impl:
    """A fresh TLS syslog reporter, its key read from a kv_ro (OCaml's ``()`` is dropped)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        if len(names) != 6:
            expect(names, 8, "syslog_tls")
        stack, kv, endpoint, port, truncate, keyname = names
        return Code(F.sprintf(_TLS, endpoint, modname, stack, kv, port, truncate, keyname), pos(_FILE, 64))

    return impl(
        "Logs_syslog_mirage_tls.Tls",
        stackv4v6 @ ro @ syslog,
        packages=_pkg(["mirage", "mirage.tls"]),
        runtime_args=[*_endpoint_args(group), Runtime_arg.syslog_keyname(None, group=group)],
        connect=connect,
        doc="A syslog reporter for Logs, over TLS.",
    )


def syslog_tls(stack: Impl, kv: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``syslog_tls ?group stack kv``."""
    return syslog_tls_conf(group=group)(stack, kv)


_MONITOR = (
    'Lwt.return (match %s with| None -> Logs.warn (fun m -> m "no '
    'monitor specified, not outputting statistics")| Some ip -> '
    "%s.create ip ~hostname:(Mirage_runtime.name ()) %s)"
)


def monitoring_conf(*, group: str | None = None) -> Impl:
    """A fresh ``Mirage_monitoring.Make`` job (OCaml's trailing ``()`` is dropped)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        stack, monitor = expect(names, 2, "monitoring")
        return Code(F.sprintf(_MONITOR, monitor, modname, stack), pos(_FILE, 85))

    return impl(
        "Mirage_monitoring.Make",
        stackv4v6 @ T.job,
        packages=[package("mirage-monitoring", min="0.0.6", max="0.1.0")],
        runtime_args=[Runtime_arg.monitor(None, group=group)],
        connect=connect,
        doc="Statistics sent to a monitoring server.",
    )


def monitoring(stack: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``monitoring ?group stack``."""
    return monitoring_conf(group=group)(stack)
