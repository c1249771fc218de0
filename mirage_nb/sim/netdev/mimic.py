"""Mimic: connections chosen by what a context holds, and the ``Mimic_happy_eyeballs.Make`` device.

mimic decouples *how* to connect from *who* asks: a context (``Mimic.ctx``)
holds values (``Mimic.make ~name`` keys), and registered protocols say, with
``Mimic.fold``, which values they need to make an endpoint and connect.
``Mimic.resolve ctx`` tries the protocols whose needs are met, most recently
folded first, and returns the first flow that connects. A flow is read and
written with ``Mimic.read``/``write``/``close`` whatever its protocol::

    scheme = Mimic.make(name="scheme")
    tcp_edn, _tcp = Mimic.register(name="tcp", module=TCP)    # TCP.connect(endpoint) -> Ok flow
    ctx = Mimic.fold(tcp_edn, [Mimic.Fun.req(he), Mimic.Fun.dft(port, 80)], k=k0, ctx=ctx)
    flow = await Mimic.resolve(Mimic.add(scheme, "http", ctx))

The ``mimic_happy_eyeballs stack he dns`` device (module
``Mimic_happy_eyeballs.Make``) connects to a context holding the
happy-eyeballs value under :data:`MimicHappyEyeballs.happy_eyeballs`; its
``resolve he host ports`` is happy-eyeballs' ``connect``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.sim.netdev._module import FlowProxy, invoke
from mirage_nb.sim.result import Error, Msg, Ok

__all__ = ["Mimic", "MimicCtx", "MimicHappyEyeballs", "connect_mimic_happy_eyeballs"]

_ids = itertools.count()


@dataclass(frozen=True)
class _Value:
    """``'a Mimic.value``: a key of the context."""

    name: str
    uid: int = field(default_factory=lambda: next(_ids))


@dataclass(frozen=True)
class _Req:
    value: _Value
    default: Any = None
    has_default: bool = False


@dataclass(frozen=True)
class _Fold:
    edn: Any
    reqs: tuple[_Req, ...]
    k: Callable[..., Any]


@dataclass(frozen=True)
class MimicCtx:
    """``Mimic.ctx``: values by key, and the protocols folded into it (an immutable map, as in OCaml)."""

    values: tuple[tuple[_Value, Any], ...] = ()
    folds: tuple[_Fold, ...] = ()

    def get(self, key: _Value) -> Any:
        for k, v in reversed(self.values):
            if k == key:
                return v
        return None

    def __repr__(self) -> str:
        names = ", ".join(k.name for k, _ in self.values)
        return f"<Mimic.ctx {{{names}}} with {len(self.folds)} protocols>"


@dataclass(frozen=True)
class _Edn:
    """A registered protocol: its name and the module whose ``connect endpoint`` makes a flow."""

    name: str
    module: Any


class _Fun:
    @staticmethod
    def req(value: _Value) -> _Req:
        return _Req(value)

    @staticmethod
    def dft(value: _Value, default: Any) -> _Req:
        return _Req(value, default, True)


class Mimic:
    """Twin of the ``Mimic`` module."""

    Fun = _Fun
    empty = MimicCtx()

    @staticmethod
    def make(*, name: str) -> _Value:
        return _Value(name)

    @staticmethod
    def add(key: _Value, value: Any, ctx: MimicCtx) -> MimicCtx:
        return MimicCtx((*ctx.values, (key, value)), ctx.folds)

    @staticmethod
    def get(key: _Value, ctx: MimicCtx) -> Any:
        return ctx.get(key)

    @staticmethod
    def register(*, name: str, module: Any) -> tuple[_Edn, str]:
        """``Mimic.register ~name (module M)``: the endpoint key and the protocol."""
        edn = _Edn(name, module)
        return edn, name

    @staticmethod
    def fold(edn: _Edn, reqs: Sequence[_Req], *, k: Callable[..., Any], ctx: MimicCtx) -> MimicCtx:
        return MimicCtx(ctx.values, (*ctx.folds, _Fold(edn, tuple(reqs), k)))

    @staticmethod
    async def resolve(ctx: MimicCtx) -> Any:
        """``Ok flow`` from the first protocol that makes an endpoint and connects, or ``Error``."""
        errors: list[str] = []
        for f in reversed(ctx.folds):
            args = []
            for r in f.reqs:
                v = ctx.get(r.value)
                if v is None:
                    if not r.has_default:
                        break
                    v = r.default
                args.append(v)
            else:
                endpoint = await invoke(f.k, *args)
                if endpoint is None:
                    continue
                res = await invoke(f.edn.module.connect, endpoint)
                if isinstance(res, Ok):
                    return Ok(_Flow(f.edn.module, res.value))
                errors.append(f"{f.edn.name}: {res.error}")
        return Error(Msg("; ".join(errors) if errors else "No connection found"))

    @staticmethod
    async def read(flow: Any) -> Any:
        return await flow.read()

    @staticmethod
    async def write(flow: Any, buf: Any) -> Any:
        return await flow.write(buf)

    @staticmethod
    async def close(flow: Any) -> None:
        await flow.close()

    @staticmethod
    def pp_error(e: Any) -> str:
        return str(e)


class _Flow(FlowProxy):
    """``Mimic.flow``: a connected flow of some protocol, read and written through it."""

    def __init__(self, module: Any, flow: Any) -> None:
        super().__init__(flow)
        self.module = module

    def __repr__(self) -> str:
        return f"<Mimic.flow {self.flow!r}>"


class MimicHappyEyeballs:
    """The module ``Mimic_happy_eyeballs.Make (Stack) (DNS) (HE)``: ``happy_eyeballs`` key, ``resolve``, ``connect``."""

    happy_eyeballs = _Value("mimic-happy-eyeballs")

    def __init__(self, module_name: str = "Mimic_happy_eyeballs.Make") -> None:
        self.module_name = module_name

    @staticmethod
    async def resolve(he: Any, host: str, ports: list[int]) -> Any:
        """``resolve he host ports``: ``Ok(((ip, port), flow))`` through happy eyeballs, or ``Error (`Msg _)``."""
        return await he.connect(host, list(ports))

    async def connect(self, he: Any) -> MimicCtx:
        return Mimic.add(self.happy_eyeballs, he, Mimic.empty)

    def __repr__(self) -> str:
        return f"<module {self.module_name}>"


async def connect_mimic_happy_eyeballs(booter: Any, node: Any) -> tuple[Any, Any]:
    """``Mimic_happy_eyeballs.Make.connect he``: deps stack, happy eyeballs, DNS client."""
    from mirage_nb.sim.netdev.kinds import _deps

    _stack, he, _dns = _deps(booter, node, 3)
    m = MimicHappyEyeballs(node.module_name)
    return await m.connect(he), m
