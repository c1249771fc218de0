"""Happy eyeballs: connecting over IPv4 or IPv6, whichever answers (twin of ``lib/devices/happy_eyeballs.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import fmt as F
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from ._util import expect, pos
from .stack import stackv4v6

__all__ = ["happy_eyeballs", "generic_happy_eyeballs"]

happy_eyeballs = Typ("happy_eyeballs")

_CONNECT = (
    "%s.connect_device ?aaaa_timeout:%s ?connect_delay:%s\n"
    "?connect_timeout:%s ?resolve_timeout:%s ?resolve_retries:%s ?timer_interval:%s %s"
)


def generic_happy_eyeballs(
    stack: Impl,
    *,
    group: str | None = None,
    aaaa_timeout: int | None = None,
    connect_delay: int | None = None,
    connect_timeout: int | None = None,
    resolve_timeout: int | None = None,
    resolve_retries: int | None = None,
    timer_interval: int | None = None,
) -> Impl:
    """Twin of ``generic_happy_eyeballs ?group ?aaaa_timeout ... stackv4v6`` (fresh; times in ns)."""
    R = Runtime_arg
    runtime_args = [
        R.he_aaaa_timeout(aaaa_timeout, group=group),
        R.he_connect_delay(connect_delay, group=group),
        R.he_connect_timeout(connect_timeout, group=group),
        R.he_resolve_timeout(resolve_timeout, group=group),
        R.he_resolve_retries(resolve_retries, group=group),
        R.he_timer_interval(timer_interval, group=group),
    ]

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        s, a, cd, ct, rt, rr, ti = expect(names, 7, "generic_happy_eyeballs")
        return Code(F.sprintf(_CONNECT, modname, a, cd, ct, rt, rr, ti, s), pos("lib/devices/happy_eyeballs.ml", 39))

    conf = impl(
        "Happy_eyeballs_mirage.Make",
        stackv4v6 @ happy_eyeballs,
        runtime_args=runtime_args,
        packages=[package("happy-eyeballs-mirage", min="2.0.0", max="3.0.0")],
        connect=connect,
        doc="Happy eyeballs (RFC 8305) over a stack.",
    )
    return conf(stack)
