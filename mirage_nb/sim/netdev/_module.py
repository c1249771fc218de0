"""Module values for functor arguments, and calling a unikernel's Lwt-style callbacks.

A unikernel's functor receives *modules* (``module Main (S : Tcpip.Stack.V4V6)``)
and calls their functions on device values: ``S.TCP.read flow``. The Python
twin receives a :class:`DeviceModule` and writes ``S.TCP.read(flow)``: the
module forwards ``M.f(t, *args)`` to the device's method ``t.f(*args)``, and
holds submodules (``S.TCP``) and printers (``S.TCP.pp_error``) as attributes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import Promise, Resolver, wait
from mirage_nb.sim.netdev.values import pp_error

__all__ = ["DeviceModule", "FlowProxy", "invoke", "wait_any"]


class DeviceModule:
    """A MirageOS module seen from Python: ``M.f(t, ...)`` is ``t.f(...)``; named members are kept as given."""

    def __init__(self, module_name: str, **members: Any) -> None:
        self.module_name = module_name
        self.pp_error = pp_error
        self.pp_write_error = pp_error
        self.__dict__.update(members)

    def __getattr__(self, attr: str) -> Callable[..., Any]:
        if attr.startswith("_"):
            raise AttributeError(attr)
        module = self.module_name

        def call(t: Any, *args: Any, **kwargs: Any) -> Any:
            f = getattr(t, attr, None)
            if f is None or not callable(f):
                raise SimulationError(f"{module}.{attr}: {type(t).__name__} values have no function {attr}")
            return f(*args, **kwargs)

        call.__name__ = attr
        return call

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


async def invoke(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a unikernel callback that may be an ``async def``, return a promise, or return a plain value."""
    r = fn(*args, **kwargs)
    if inspect.iscoroutine(r) or isinstance(r, Promise):
        return await r
    return r


def wait_any() -> tuple[Promise[Any], Resolver[Any]]:
    """``Lwt.wait ()`` for a value of any type (the typed helper every device uses)."""
    return wait()


class FlowProxy:
    """A flow seen through a wrapper: reads, writes and everything else go to the inner ``flow``.

    Mimic's flows and paf's CONNECT tunnels wrap a transport's flow and
    change one thing each (a protocol module, bytes given back); the rest of
    the flow's interface passes through unchanged.
    """

    def __init__(self, flow: Any) -> None:
        self.flow = flow

    async def read(self) -> Any:
        return await self.flow.read()

    async def write(self, buf: Any) -> Any:
        return await self.flow.write(buf)

    async def writev(self, bufs: list[Any]) -> Any:
        return await self.flow.write(b"".join(bytes(b) for b in bufs))

    async def close(self) -> None:
        await self.flow.close()

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.flow, attr)
