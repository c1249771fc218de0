"""A small stand-in for ``mirage_nb.mirage`` that records how the reader calls it.

It follows the convention of mirage_nb.config_ml (positional parameters in
order, labels as keyword-only parameters) so the reader's application rules can
be tested independently of the real device library.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Typ:
    name: str

    def __matmul__(self, other: Typ) -> Typ:
        return Typ(f"({self.name} -> {other.name})")


@dataclass
class Impl:
    name: str
    typ: Typ
    args: list[Impl] = field(default_factory=list)
    kw: dict[str, Any] = field(default_factory=dict)

    def __call__(self, arg: Impl) -> Impl:
        return Impl(self.name, self.typ, [*self.args, arg], self.kw)


@dataclass
class Key:
    name: str
    group: str | None = None


@dataclass
class KeyValue:
    what: Any


@dataclass
class App:
    name: str
    jobs: list[Any]
    kw: dict[str, Any]


def make() -> types.ModuleType:
    """A fresh fake ``Mirage`` module (a new one per test: no shared state)."""
    m = types.ModuleType("fake_mirage")
    m.calls = []  # type: ignore[attr-defined]

    def record(name: str, *args: Any, **kw: Any) -> None:
        m.calls.append((name, args, kw))  # type: ignore[attr-defined]

    job = Typ("job")
    stackv4v6 = Typ("stackv4v6")
    network = Typ("network")
    kv_ro = Typ("kv_ro")

    def main(name: str, typ: Typ, *, packages: Any = None, pos: Any = None, runtime_args: Any = None) -> Impl:
        record("main", name, typ, packages=packages, pos=pos, runtime_args=runtime_args)
        kw = {k: v for k, v in (("packages", packages), ("pos", pos), ("runtime_args", runtime_args)) if v}
        return Impl(name, typ, kw=kw)

    def register(name: str, jobs: list[Any], *, src: Any = None, packages: Any = None) -> App:
        record("register", name, jobs, src=src)
        return App(name, jobs, {"src": src} if src is not None else {})

    def package(name: str, *, min: str | None = None, max: str | None = None, sublibs: Any = None) -> tuple:
        return ("package", name, min, max, tuple(sublibs) if sublibs else None)

    def generic_stackv4v6(net: Impl, *, group: str | None = None) -> Impl:
        return Impl("stack", stackv4v6, [net], {"group": group} if group else {})

    def if_impl(cond: Any, a: Any, b: Any) -> Any:
        return ("if", cond, a, b)

    def code(fmt: str, *args: Any, pos: Any = None) -> tuple:
        return ("code", pos, fmt, args)

    def impl(name: str, typ: Typ, *, packages: Any = None, connect: Any = None) -> Impl:
        return Impl(name, typ, kw={"connect": connect} if connect else {})

    def typ(x: Any) -> Typ:
        return Typ(repr(x))

    key_ns = types.SimpleNamespace()
    key_ns.is_solo5 = Key("is_solo5")
    key_ns.target = Key("target")

    def key_kv_ro(group: str | None = None) -> Key:
        return Key("kv_ro", group)

    def key_value(k: Key) -> KeyValue:
        return KeyValue(k)

    def key_pure(x: Any) -> KeyValue:
        return KeyValue(("pure", x))

    def key_op_dollar(f: KeyValue, x: KeyValue) -> KeyValue:
        return KeyValue(("app", f.what, x.what))

    key_ns.kv_ro = key_kv_ro
    key_ns.value = key_value
    key_ns.pure = key_pure
    key_ns.op_dollar = key_op_dollar

    rt = types.SimpleNamespace()

    def rt_create(name: str, *, pos: Any = None) -> tuple:
        return ("runtime_arg", pos, name)

    rt.create = rt_create

    names = {
        "job": job,
        "stackv4v6": stackv4v6,
        "network": network,
        "kv_ro": kv_ro,
        "default_network": Impl("default_network", network),
        "noop": Impl("noop", job),
        "main": main,
        "register": register,
        "package": package,
        "generic_stackv4v6": generic_stackv4v6,
        "if_impl": if_impl,
        "code": code,
        "impl": impl,
        "typ": typ,
        "Key": key_ns,
        "Runtime_arg": rt,
    }
    for k, v in names.items():
        setattr(m, k, v)
    m.__all__ = list(names)  # type: ignore[attr-defined]
    m.helper_not_exported = "hidden"  # type: ignore[attr-defined]
    return m
