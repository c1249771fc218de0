"""Helpers of the device-catalog tests, given to tests as the ``h`` fixture."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Dev, Impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.vfs import RUN_STATE
from mirage_nb.mirage import keys as Key


def _ctx(target: str, **keys: object) -> K.Context:
    return K.Context({"target": Key.target_conv.parse(target), **keys})


def info(target: str = "unix", name: str = "test", **keys: object) -> Info:
    """An ``Info`` as configure gives it, with a fresh run state for the device registries."""
    return Info(name=name, context=_ctx(target, **keys), extra={RUN_STATE: {}})


def dev(t: Impl) -> Dev:
    assert isinstance(t, Dev), t
    return t


def packages(t: Impl, target: str = "unix") -> dict[str, tuple[list[str], list[str], list[str]]]:
    """The device's own packages in a target: name -> (libraries, min bounds, max bounds)."""
    return {p.name: (p.libraries(), sorted(p.min), sorted(p.max)) for p in dev(t).dev.packages.eval(_ctx(target))}


def connect(t: Impl, names: list[str], target: str = "unix", modname: str | None = None, **keys: object) -> Code:
    d = dev(t).dev
    return d.connect(info(target, **keys), modname or d.module_name, names)


def choose(t: Impl, target: str = "unix", **keys: object) -> Impl:
    """The branch an ``If`` takes in a context."""
    return t.choose(_ctx(target, **keys))


@pytest.fixture
def h() -> SimpleNamespace:
    return SimpleNamespace(info=info, dev=dev, packages=packages, connect=connect, choose=choose, ctx=_ctx)
