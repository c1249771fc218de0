"""High-level devices: a mirage_nb proposal, NOT part of MirageOS 4.11.1.

The MirageOS documents ask for high-level devices that remove the
boilerplate of service unikernels. None exists in the real ``Mirage``
module, so these live here, apart from :mod:`mirage_nb.mirage` (whose
names are all twins of ``open Mirage``): ``from mirage_nb.mirage import *``
never brings them in.

Each function returns the *job* the equivalent plain config builds, made by
calling the real library's functions, so:

* ``register("https", [https_website()])`` describes, draws and configures
  byte for byte as the bundled ``static_website_tls/config.ml`` does;
* ``app.to_config_ml()`` prints that plain config.ml, which the real
  ``mirage`` 4.11.1 accepts (the proposal disappears in the printout);
* the learner's graph view folds the expansion into one node named after
  the proposal (:func:`group_of`), one click from the full graph.

Calling one prints a notice on stdout (as ``main`` prints its
"adding unit argument" notice), :data:`NOTICE`, so a learner always sees
that the name is mirage_nb's, not MirageOS's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.device import Device
from mirage_nb.functoria.impl import Dev, Impl, walk
from mirage_nb.functoria.package import Package

__all__ = [
    "NOTICE",
    "PROPOSALS",
    "Group",
    "dhcp_server",
    "dns_server",
    "group_of",
    "https_website",
    "static_website",
]

NOTICE = "mirage_nb proposal: {name} is not part of MirageOS 4.11.1; app.to_config_ml() prints the plain config.ml"
"""The line each high-level device prints when called (the documented marker of a proposal)."""

MARK = "mirage_nb proposal, not in MirageOS 4.11.1"


@dataclass(frozen=True, slots=True)
class Group:
    """The devices one high-level call made: its name, its job's device, and the devices it was given."""

    name: str
    job: Device
    given: tuple[Device, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({MARK})"


# Groups by the id of their job's device (the device is kept with its group).
_GROUPS: dict[int, Group] = {}


def group_of(dev: Device) -> Group | None:
    """The high-level device whose job ``dev`` is (None for a device of a plain config)."""
    g = _GROUPS.get(id(dev))
    return g if g is not None and g.job is dev else None


def _devices(t: Impl) -> list[Device]:
    out: list[Device] = []
    walk(t, lambda d: out.append(d.dev))
    return out


def _finish(name: str, job: Impl, given: Sequence[Impl]) -> Impl:
    if not isinstance(job, Dev):  # pragma: no cover - every proposal's job is a main applied to devices
        raise ConfigError(f"{name}: the expansion is not a device")
    given_devs = tuple(d for g in given for d in _devices(g))
    _GROUPS[id(job.dev)] = Group(name, job.dev, given_devs)
    print(NOTICE.format(name=name))
    return job


def _check_impl(name: str, label: str, v: object) -> None:
    if v is not None and not isinstance(v, Impl):
        raise ConfigError(f"{name}: ~{label} must be a device (e.g. generic_stackv4v6 default_network), not {v!r}")


def _stack(stack: Impl | None) -> Impl:
    from mirage_nb import mirage as M

    return stack if stack is not None else M.generic_stackv4v6(M.default_network)


def https_website(
    htdocs: str = "htdocs",
    certs: str = "tls",
    *,
    module: str = "Dispatch.HTTPS",
    stack: Impl | None = None,
    packages: Sequence[Package] | None = None,
) -> Impl:
    """A static website over HTTPS (mirage_nb proposal, not in MirageOS 4.11.1).

    Expands to ``static_website_tls/config.ml``: pages from the kv_ro
    ``htdocs`` (key group ``data``), certificate and key from the kv_ro
    ``certs`` (key group ``certs``), ``cohttp_server`` over
    ``conduit_direct ~tls:true`` over ``stack`` (by default
    ``generic_stackv4v6 default_network``), and the job
    ``main ~packages module (kv_ro @-> kv_ro @-> http @-> job)``.
    """
    from mirage_nb import mirage as M

    _check_impl("https_website", "stack", stack)
    st = _stack(stack)
    data = M.generic_kv_ro(htdocs, key=M.Key.value(M.Key.kv_ro(group="data")))
    server = M.cohttp_server(M.conduit_direct(st, tls=True))
    tls = M.generic_kv_ro(certs, key=M.Key.value(M.Key.kv_ro(group="certs")))
    pkgs = list(packages) if packages is not None else [M.package("uri"), M.package("magic-mime")]
    main = M.main(module, M.kv_ro @ M.kv_ro @ M.http @ M.job, packages=pkgs)
    return _finish("https_website", main(data, tls, server), [] if stack is None else [stack])


def static_website(
    htdocs: str = "htdocs",
    *,
    module: str = "Unikernel.Make",
    stack: Impl | None = None,
    packages: Sequence[Package] | None = None,
) -> Impl:
    """A static website over plain HTTP (mirage_nb proposal, not in MirageOS 4.11.1).

    Expands to the ``static_web`` reference config: the kv_ro ``htdocs``,
    ``cohttp_server`` over ``conduit_direct ~tls:false`` over ``stack``, and
    the job ``main module (kv_ro @-> http @-> job)``.
    """
    from mirage_nb import mirage as M

    _check_impl("static_website", "stack", stack)
    st = _stack(stack)
    data = M.generic_kv_ro(htdocs)
    server = M.cohttp_server(M.conduit_direct(st, tls=False))
    main = M.main(module, M.kv_ro @ M.http @ M.job, packages=list(packages) if packages is not None else None)
    return _finish("static_website", main(data, server), [] if stack is None else [stack])


def dns_server(zone: str = "zone", *, module: str = "Unikernel.Main", stack: Impl | None = None) -> Impl:
    """An authoritative DNS server (mirage_nb proposal, not in MirageOS 4.11.1).

    Expands to ``dns_server/config.ml``: the zone files of the kv_ro
    ``zone``, ``stack``, and the job ``main ~packages module
    (kv_ro @-> stackv4v6 @-> job)`` with ocaml-dns's ``dns-server``
    (sublibraries ``zone`` and ``mirage``, >= 10.0.0 & < 11.0.0).
    """
    from mirage_nb import mirage as M

    _check_impl("dns_server", "stack", stack)
    pkgs = [M.package("dns-server", min="10.0.0", max="11.0.0", sublibs=["zone", "mirage"])]
    zone_kv = M.generic_kv_ro(zone)
    st = _stack(stack)
    main = M.main(module, M.kv_ro @ M.stackv4v6 @ M.job, packages=pkgs)
    return _finish("dns_server", main(zone_kv, st), [] if stack is None else [stack])


def dhcp_server(*, module: str = "Unikernel.Main", network: Impl | None = None) -> Impl:
    """A DHCP server straight on the network device (mirage_nb proposal, not in MirageOS 4.11.1).

    Expands to ``dhcp/config.ml``: the job ``main ~packages module
    (network @-> job)`` with charrua, charrua-server, arp and ethernet,
    applied to ``network`` (by default ``default_network``).
    """
    from mirage_nb import mirage as M

    _check_impl("dhcp_server", "network", network)
    pkgs = [
        M.package("charrua", min="1.6.0"),
        M.package("charrua-server", min="3.0.0"),
        M.package("arp", min="3.0.0", sublibs=["mirage"]),
        M.package("ethernet", min="3.0.0"),
    ]
    main = M.main(module, M.network @ M.job, packages=pkgs)
    net = network if network is not None else M.default_network
    return _finish("dhcp_server", main(net), [] if network is None else [network])


PROPOSALS = {
    "static_website": static_website,
    "https_website": https_website,
    "dns_server": dns_server,
    "dhcp_server": dhcp_server,
}
"""Every high-level device, by name (what a config.ml reaches as ``Mirage_nb_proposals``)."""
