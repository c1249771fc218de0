"""Twin of the ``Uri`` library, for the parts an HTTP unikernel uses: parse, read, rewrite, print.

``Uri.t`` is an immutable record of scheme, userinfo, host, port, path and
query; ``Uri.with_*`` return a new one. ``to_string`` prints
``scheme://host:port/path?query`` leaving out what is absent, so the URI
cohttp builds for a request without scheme (``//10.0.0.2/index.html``)
prints as the OCaml library prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["Uri", "UriT"]

_RE = re.compile(r"^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$")


@dataclass(frozen=True)
class UriT:
    """One URI; compare and print it, or rewrite it with the ``Uri.with_*`` functions."""

    scheme: str | None = None
    userinfo: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    query: str | None = None
    fragment: str | None = None

    def __str__(self) -> str:
        out = []
        if self.scheme is not None:
            out.append(self.scheme + ":")
        if self.host is not None:
            out.append("//")
            if self.userinfo is not None:
                out.append(self.userinfo + "@")
            out.append(f"[{self.host}]" if ":" in self.host else self.host)
            if self.port is not None:
                out.append(f":{self.port}")
        path = self.path
        if self.host is not None and path and not path.startswith("/"):
            path = "/" + path
        out.append(path)
        if self.query is not None:
            out.append("?" + self.query)
        if self.fragment is not None:
            out.append("#" + self.fragment)
        return "".join(out)


class Uri:
    """``Uri.of_string``, ``to_string``, ``path``, ``host``, ``port``, ``scheme``, ``with_*``..."""

    t = UriT

    @staticmethod
    def of_string(s: str) -> UriT:
        m = _RE.match(s)
        assert m is not None  # the pattern matches every string
        scheme, authority, path, query, fragment = m.groups()
        userinfo = host = None
        port = None
        if authority is not None:
            if "@" in authority:
                userinfo, authority = authority.rsplit("@", 1)
            hp = re.match(r"^(\[[^\]]*\]|[^:]*)(?::(\d*))?$", authority)
            if hp:
                host = hp.group(1).strip("[]")
                port = int(hp.group(2)) if hp.group(2) else None
            else:
                host = authority
        return UriT(scheme.lower() if scheme else None, userinfo, host, port, path, query, fragment)

    @staticmethod
    def to_string(u: UriT) -> str:
        return str(u)

    @staticmethod
    def make(*, scheme: str | None = None, host: str | None = None, port: int | None = None, path: str = "") -> UriT:
        return UriT(scheme, None, host, port, path)

    @staticmethod
    def path(u: UriT) -> str:
        return u.path

    @staticmethod
    def path_and_query(u: UriT) -> str:
        p = u.path or "/"
        return p if u.query is None else f"{p}?{u.query}"

    @staticmethod
    def host(u: UriT) -> str | None:
        return u.host

    @staticmethod
    def port(u: UriT) -> int | None:
        return u.port

    @staticmethod
    def scheme(u: UriT) -> str | None:
        return u.scheme

    @staticmethod
    def with_path(u: UriT, path: str) -> UriT:
        return replace(u, path=path)

    @staticmethod
    def with_scheme(u: UriT, scheme: str | None) -> UriT:
        return replace(u, scheme=scheme)

    @staticmethod
    def with_port(u: UriT, port: int | None) -> UriT:
        return replace(u, port=port)

    @staticmethod
    def with_host(u: UriT, host: str | None) -> UriT:
        return replace(u, host=host)
