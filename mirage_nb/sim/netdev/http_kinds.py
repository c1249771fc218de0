"""Boot connectors for the HTTP devices: conduit (TCP, TLS) and cohttp (server, client).

Like :mod:`~mirage_nb.sim.netdev.kinds` for the stack, this maps the module
names of the generated ``main.ml`` to kinds, and connects each node as its
``connect`` code does:

==============================  ==============================  ==================================
module name                     kind                            connect (deps) -> value, module
==============================  ==============================  ==================================
``Conduit_mirage.TCP``          ``conduit_tcp``                 stack -> the stack, conduit module
``Conduit_mirage.TLS``          ``conduit_tls``                 conduit -> the stack, TLS conduit
``Cohttp_mirage.Server.Make``   ``cohttp_server``               conduit -> ``listen conduit``
``Cohttp_mirage.Client.Make``   ``cohttp_client``               resolver, conduit -> ``ctx r c``
``Tcpip_stack_direct.TCPV4V6``  ``tcpv4v6_of_stack``            stack -> ``S.tcp stack``, ``S.TCP``
``Paf_mirage.Make``             ``paf_server``                  tcp (``--port``) -> ``init ~port tcp``
``Mimic_happy_eyeballs.Make``   ``mimic_happy_eyeballs``        stack, he, dns -> ``connect he``
``Http_mirage_client.Make``     ``paf_client``                  tcp, mimic -> ``connect ctx``
(a module of the config.ml)     ``local_module``                ``M.connect a b`` (:mod:`~mirage_nb.sim.local_module`)
==============================  ==============================  ==================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirage_nb.sim.local_module import connect_local_module
from mirage_nb.sim.netdev.cohttp import CLIENT_SRC, SERVER_SRC, CohttpClient, CohttpServer
from mirage_nb.sim.netdev.conduit import CONDUIT_SRC, ConduitModule
from mirage_nb.sim.netdev.http_client import CLIENT_SRC as PAF_CLIENT_SRC
from mirage_nb.sim.netdev.http_client import connect_paf_client
from mirage_nb.sim.netdev.mimic import connect_mimic_happy_eyeballs
from mirage_nb.sim.netdev.paf import PAF_SRC, PafServer

__all__ = ["HTTP_KIND_OF_MODULE", "HTTP_CONNECTORS", "connect_http", "log_sources"]

HTTP_KIND_OF_MODULE: Mapping[str, str] = {
    "Conduit_mirage.TCP": "conduit_tcp",
    "Conduit_mirage.TLS": "conduit_tls",
    "Cohttp_mirage.Server.Make": "cohttp_server",
    "Cohttp_mirage.Client.Make": "cohttp_client",
    "Tcpip_stack_direct.TCPV4V6": "tcpv4v6_of_stack",
    "Paf_mirage.Make": "paf_server",
    "Mimic_happy_eyeballs.Make": "mimic_happy_eyeballs",
    "Http_mirage_client.Make": "paf_client",
}


def log_sources() -> list[Any]:
    return [CONDUIT_SRC, SERVER_SRC, CLIENT_SRC, PAF_SRC, PAF_CLIENT_SRC]


async def connect_http(booter: Any, node: Any) -> tuple[Any, Any]:
    """Connect one HTTP node: its value and the module a functor receives."""
    from mirage_nb.sim.netdev.kinds import _dep_ids, _deps
    from mirage_nb.sim.run import current_run

    run = current_run(optional=True)
    if run is not None:
        for s in log_sources():
            run.log_state.sources.setdefault(s.name, s)
    name = node.module_name
    match node.kind:
        case "conduit_tcp":
            (stack,) = _deps(booter, node, 1)
            stack_module = booter.modules.get(_dep_ids(node, 1)[0])
            return stack, ConduitModule(stack_module, tls=False, module_name=name)
        case "conduit_tls":
            (inner,) = _deps(booter, node, 1)
            inner_module = booter.modules.get(_dep_ids(node, 1)[0])
            return inner, ConduitModule(inner_module.S, tls=True, module_name=name)
        case "cohttp_server":
            (conduit,) = _deps(booter, node, 1)
            server = CohttpServer(booter.modules.get(_dep_ids(node, 1)[0]), name)

            def listen(endpoint: Any, spec: Any) -> Any:
                return server.listen(conduit, endpoint, spec)

            return listen, server
        case "cohttp_client":
            resolver, conduit = _deps(booter, node, 2)
            client = CohttpClient(booter.modules.get(_dep_ids(node, 2)[1]), name)
            return client.ctx(resolver, conduit), client
        case "tcpv4v6_of_stack":
            (stack,) = _deps(booter, node, 1)
            S = booter.modules.get(_dep_ids(node, 1)[0])  # noqa: N806 - a module
            return S.tcp(stack), S.TCP
        case "paf_server":
            (tcp,) = _deps(booter, node, 1)
            paf = PafServer(booter.modules.get(_dep_ids(node, 1)[0]), name)
            port = booter.runtime_arg(node.runtime_args[0]) if node.runtime_args else 8080
            return await paf.init(port=port, tcp=tcp), paf
    from mirage_nb.errors import SimulationError

    raise SimulationError(f"{name} node {node.id}: unknown HTTP kind {node.kind!r}")


HTTP_CONNECTORS: Mapping[str, Any] = {
    **{k: connect_http for k in sorted(set(HTTP_KIND_OF_MODULE.values()))},
    "mimic_happy_eyeballs": connect_mimic_happy_eyeballs,
    "paf_client": connect_paf_client,
    "local_module": connect_local_module,
}
"""Kind -> connector, merged into :data:`~mirage_nb.sim.netdev.kinds.NET_CONNECTORS`."""
