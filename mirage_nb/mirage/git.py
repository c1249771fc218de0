"""Git clients over TCP, SSH and HTTP (twin of mirage's ``lib/devices/git.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from ._util import expect, pos
from .mimic import mimic
from .tcp import tcpv4v6

__all__ = ["git_client", "merge_git_clients", "git_tcp", "git_ssh", "git_http"]

_FILE = "lib/devices/git.ml"

git_client = Typ("git_client")


def _merge_connect(_info: Info, _modname: str, names: Sequence[str]) -> Code:
    a, b = expect(names, 2, "git_merge_client")
    return Code(f"Lwt.return (Mimic.merge {a} {b})", pos(_FILE, 10))


_git_merge_clients = impl(
    "Mimic.Merge",
    git_client @ git_client @ git_client,
    packages=[package("mimic")],
    connect=_merge_connect,
    doc="Two git clients as one.",
)


def merge_git_clients(ctx0: Impl, ctx1: Impl) -> Impl:
    """Twin of ``merge_git_clients ctx0 ctx1``."""
    return _git_merge_clients(ctx0, ctx1)


def _git_net() -> list:
    return [package("git-net", max="1.0.0")]


def _tcp_connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    _tcp, ctx = expect(names, 2, "git_tcp")
    return Code(f"{modname}.connect {ctx}", pos(_FILE, 20))


_git_tcp = impl(
    "Git_net.TCP.Make",
    tcpv4v6 @ mimic @ git_client,
    packages=_git_net(),
    connect=_tcp_connect,
    doc="Git over plain TCP (git://).",
)


def git_tcp(tcp: Impl, ctx: Impl) -> Impl:
    """Twin of ``git_tcp tcpv4v6 ctx``."""
    return _git_tcp(tcp, ctx)


def git_ssh(
    tcp: Impl,
    ctx: Impl,
    *,
    group: str | None = None,
    authenticator: str | None = None,
    key: str | None = None,
    password: str | None = None,
) -> Impl:
    """Twin of ``git_ssh ?group ?authenticator ?key ?password tcpv4v6 ctx`` (fresh)."""
    k = Runtime_arg.ssh_key(key, group=group)
    p = Runtime_arg.ssh_password(password, group=group)
    a = Runtime_arg.ssh_authenticator(authenticator, group=group)

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        _tcp, c, key_, pw, auth = expect(names, 5, "git_ssh")
        return Code(
            f"{modname}.connect {c} >>= {modname}.with_optionnal_key ?authenticator:{auth} ~key:{key_} ~password:{pw}",
            pos(_FILE, 34),
        )

    conf = impl(
        "Git_net.SSH.Make",
        tcpv4v6 @ mimic @ git_client,
        packages=_git_net(),
        connect=connect,
        runtime_args=[k, p, a],
        doc="Git over SSH.",
    )
    return conf(tcp, ctx)


def git_http(
    tcp: Impl,
    ctx: Impl,
    *,
    group: str | None = None,
    authenticator: str | None = None,
    headers: Sequence[tuple[str, str]] | None = None,
) -> Impl:
    """Twin of ``git_http ?group ?authenticator ?headers tcpv4v6 ctx`` (fresh)."""
    a = Runtime_arg.tls_authenticator(authenticator, group=group)
    h = Runtime_arg.http_headers(list(headers) if headers is not None else None, group=group)

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        _tcp, c, auth, hdrs = expect(names, 4, "git_http")
        return Code(
            f"{modname}.connect {c} >>= {modname}.with_optional_tls_config_and_headers "
            f"?headers:{hdrs} ?authenticator:{auth}",
            pos(_FILE, 49),
        )

    conf = impl(
        "Git_net.HTTP.Make",
        tcpv4v6 @ mimic @ git_client,
        packages=_git_net(),
        connect=connect,
        runtime_args=[a, h],
        doc="Git over HTTP(S).",
    )
    return conf(tcp, ctx)
