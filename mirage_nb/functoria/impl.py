"""Implementations: functoria's term language of devices, applications and choices.

Twin of ``Functoria.Impl``. A term is a DAG with sharing:

* :class:`Dev` — a device applied to arguments, with data dependencies;
* :class:`App` — an application whose functor part is not a device (an ``If``);
* :class:`If`  — a choice between branches on a key-dependent value.

Sharing is the invariant every traversal relies on (functoria's impl.ml says
so above its ``hash``): two terms are *equal* when they are the same device
with equal arguments and dependencies, or the same choice (the condition by
identity) with equal branches. Every traversal below memoises on that
equality, so a device used twice is one node: numbered once, connected once.
Breaking it would initialise devices twice and scramble the dot graph.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mirage_nb.errors import ConfigError

from . import keys as K
from .device import Code, Connect, Device, packages_value
from .package import Package
from .runtime_arg import RuntimeArg
from .types import Typ

__all__ = [
    "Impl",
    "Dev",
    "App",
    "If",
    "impl",
    "main",
    "apply",
    "if_impl",
    "match_impl",
    "abstract",
    "simplify",
    "type_of",
]


class Impl:
    """A functoria term. Calling it applies it: ``f(x)`` is OCaml's ``f $ x``."""

    __slots__ = ("_hash", "__weakref__")
    _hash: int

    def __call__(self, *args: Impl) -> Impl:
        t: Impl = self
        for a in args:
            t = apply(t, a)
        return t

    def __hash__(self) -> int:
        return self._hash

    @property
    def module_type(self) -> Typ:
        """The module type left once the arguments given so far are applied."""
        return type_of(self)


class Dev(Impl):
    """A device with its arguments (functor application) and data dependencies."""

    __slots__ = ("dev", "args", "deps")

    def __init__(self, dev: Device, args: tuple[Impl, ...] = (), deps: tuple[Impl, ...] = ()) -> None:
        self.dev = dev
        self.args = args
        self.deps = deps
        self._hash = hash(("Dev", id(dev), tuple(hash(a) for a in args), tuple(hash(d) for d in deps)))

    __hash__ = Impl.__hash__

    # Equality: the same device object, and pairwise-equal args and deps.
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, Dev)
            and self._hash == other._hash
            and self.dev is other.dev
            and _eq_seq(self.args, other.args)
            and _eq_seq(self.deps, other.deps)
        )

    def __repr__(self) -> str:
        return f"<impl {self.dev.module_name}{'(...)' * len(self.args)}>"


class App(Impl):
    """An application whose functor part is an ``If`` (drawn as a ``$`` diamond)."""

    __slots__ = ("f", "args")

    def __init__(self, f: Impl, args: tuple[Impl, ...]) -> None:
        self.f = f
        self.args = args
        self._hash = hash(("App", hash(f), tuple(hash(a) for a in args)))

    __hash__ = Impl.__hash__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, App)
            and self._hash == other._hash
            and self.f == other.f
            and _eq_seq(self.args, other.args)
        )

    def __repr__(self) -> str:
        return f"<impl app of {self.f!r}>"


class If(Impl):
    """A choice on a key-dependent value: the first branch whose pattern equals it, else ``default``."""

    __slots__ = ("cond", "branches", "default")

    def __init__(self, cond: K.Value, branches: tuple[tuple[Any, Impl], ...], default: Impl) -> None:
        self.cond = cond
        self.branches = branches
        self.default = default
        self._hash = hash(("If", id(cond), tuple((_hash_pattern(p), hash(t)) for p, t in branches), hash(default)))

    __hash__ = Impl.__hash__

    # Equality: the *same* condition object (identity, as functoria compares it),
    # equal patterns and equal branch terms, equal defaults.
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, If)
            and self._hash == other._hash
            and self.cond is other.cond
            and self.default == other.default
            and len(self.branches) == len(other.branches)
            and all(
                _eq_pattern(p1, p2) and t1 == t2
                for (p1, t1), (p2, t2) in zip(self.branches, other.branches, strict=True)
            )
        )

    def choose(self, ctx: K.Context) -> Impl:
        """The branch selected in ``ctx`` (missing keys take their defaults)."""
        v = self.cond.eval(ctx)
        for p, t in self.branches:
            if _eq_pattern(p, v):
                return t
        return self.default

    def __repr__(self) -> str:
        return f"<impl if {', '.join(k.name for k in self.cond.sorted_deps())}>"


def _hash_pattern(p: Any) -> int:
    try:
        return hash((type(p).__name__, p))
    except TypeError:
        return hash(repr(p))


def _eq_pattern(a: Any, b: Any) -> bool:
    # OCaml's structural equality: a boolean is not an integer. A value that
    # stands for an OCaml polymorphic variant (``ocaml_tag``) equals its tag,
    # so `` `Hvt `` written in a config.ml matches the target Hvt.
    ta, tb = getattr(a, "ocaml_tag", None), getattr(b, "ocaml_tag", None)
    if ta is not None or tb is not None:
        return bool((ta if ta is not None else a) == (tb if tb is not None else b))
    return type(a) is type(b) and a == b


def _eq_seq(a: tuple[Impl, ...], b: tuple[Impl, ...]) -> bool:
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))


@contextmanager
def deep_recursion(depth: int = 100_000) -> Iterator[None]:
    """Traversals recurse along the graph; allow deep chains (Python frames, not C stack)."""
    old = sys.getrecursionlimit()
    if old < depth:
        sys.setrecursionlimit(depth)
    try:
        yield
    finally:
        if old < depth:
            sys.setrecursionlimit(old)


# -- module types of terms -------------------------------------------------


def type_of(t: Impl) -> Typ:
    """The module type of a term after the arguments applied so far."""
    if isinstance(t, Dev):
        ty = t.dev.module_type
        for _ in t.args:
            ty = ty.res  # type: ignore[attr-defined]
        return ty
    if isinstance(t, App):
        ty = type_of(t.f)
        for _ in t.args:
            ty = ty.res  # type: ignore[attr-defined]
        return ty
    assert isinstance(t, If)
    return type_of(t.default)


def _describe(t: Impl) -> str:
    if isinstance(t, Dev):
        return t.dev.module_name
    if isinstance(t, App):
        return f"an application of {_describe(t.f)}"
    return "a choice (if_impl/match_impl)"


def _typ_str(t: Typ) -> str:
    return f"({t!r}) impl" if t.is_functor else f"{t!r} impl"


# -- constructors ------------------------------------------------------------


def apply(f: Impl, x: Impl) -> Impl:
    """``f $ x`` (``Impl.mk_app``): a device gains an argument; an ``If`` becomes an ``App``.

    The module types are checked here, as OCaml's type checker would check
    ``config.ml``: the argument must have the functor's parameter type.
    """
    if not isinstance(f, Impl):
        raise ConfigError(f"cannot apply {f!r}: only devices and functors (impl values) can be applied")
    if not isinstance(x, Impl):
        raise ConfigError(f"{_describe(f)} expects a device as argument, but got {type(x).__name__} {x!r}")
    fty = type_of(f)
    if not fty.is_functor:
        raise ConfigError(
            f"{_describe(f)} is applied to too many devices: it has type {_typ_str(fty)}, "
            f"which is not a functor, so it cannot be applied to {_describe(x)}"
        )
    want = fty.arg  # type: ignore[attr-defined]
    got = type_of(x)
    if not got.same(want):
        raise ConfigError(
            f"wrong device for {_describe(f)}: {_describe(x)} has type {_typ_str(got)} "
            f"but an expression was expected of type {_typ_str(want)}"
        )
    return mk_app(f, (x,))


def mk_app(f: Impl, args: tuple[Impl, ...]) -> Impl:
    """Application without type checks (used when rebuilding already-checked terms)."""
    if isinstance(f, Dev):
        return Dev(f.dev, f.args + args, f.deps)
    if isinstance(f, App):
        return mk_app(f.f, f.args + args)
    return App(f, args)


def of_device(dev: Device) -> Dev:
    return Dev(dev, (), tuple(dev.extra_deps))


def impl(
    module_name: str,
    module_type: Typ,
    *,
    packages: Sequence[Package] | None = None,
    packages_v: K.Value | None = None,
    local_libs: Sequence[str] = (),
    install: Callable[..., Any] | None = None,
    install_v: Callable[..., Any] | None = None,
    keys: Sequence[K.Key] = (),
    runtime_args: Sequence[RuntimeArg] = (),
    extra_deps: Sequence[Impl] = (),
    connect: Connect | None = None,
    dune: Callable[..., list[str]] | None = None,
    configure: Callable[..., None] | None = None,
    files: Callable[..., list[str]] | None = None,
    doc: str = "",
    sim: Any = None,
) -> Dev:
    """Twin of ``Functoria.impl``: a new device (never merged with another), as a term."""
    if not isinstance(module_name, str) or not module_name:
        raise ConfigError(f"impl: the module name must be a non-empty string, not {module_name!r}")
    if not isinstance(module_type, Typ):
        raise ConfigError(f"impl {module_name}: the module type must be a typ, not {module_type!r}")
    for d in extra_deps:
        if not isinstance(d, Impl):
            raise ConfigError(f"impl {module_name}: extra_deps must be devices, not {d!r}")
    inst = _merge_install(install, install_v)
    dev = Device(
        module_name,
        module_type,
        tuple(keys),
        tuple(runtime_args),
        packages_value(packages, packages_v),
        tuple(local_libs),
        inst,
        connect or _default_connect(),
        dune,
        configure,
        files,
        tuple(extra_deps),
        doc,
        sim,
    )
    return of_device(dev)


def _default_connect() -> Connect:
    from .device import default_connect

    return default_connect


def _merge_install(
    install: Callable[..., Any] | None, install_v: Callable[..., Any] | None
) -> Callable[..., K.Value] | None:
    if install is None and install_v is None:
        return None
    from .install import Install

    def merged(info: Any) -> K.Value:
        parts = [f(info) for f in (install, install_v) if f is not None]
        vals = [p if isinstance(p, K.Value) else K.pure(p) for p in parts]
        if len(vals) == 1:
            return vals[0]
        return K.app(K.map_(lambda a: lambda b: Install.union(a, b), vals[0]), vals[1])

    return merged


def start_code(pos: tuple[str, int, int, int] | None) -> Connect:
    """The connect of a ``main``: ``(M.start a b : unit io)`` (``Device.start``)."""
    from .fmt import sprintf

    def connect(_info: Any, modname: str, names: Sequence[str]) -> Code:
        text = sprintf("@[(%s.start@ %a@ : unit io)@]", modname, _pp_words, list(names))
        return Code(text, pos)

    return connect


def _pp_words(ppf: Any, words: list[str]) -> None:
    for i, w in enumerate(words):
        if i:
            ppf.space()
        ppf.string(w)


def main(
    module_name: str,
    module_type: Typ,
    *,
    pos: tuple[str, int, int, int] | None = None,
    packages: Sequence[Package] | None = None,
    packages_v: K.Value | None = None,
    runtime_args: Sequence[RuntimeArg] = (),
    keys: Sequence[K.Key] = (),
    extra_deps: Sequence[Impl] = (),
    local_libs: Sequence[str] = (),
) -> Dev:
    """Twin of ``Functoria.main``: the unikernel's own module, whose connect calls ``start``."""
    return impl(
        module_name,
        module_type,
        packages=packages,
        packages_v=packages_v,
        runtime_args=runtime_args,
        keys=keys,
        extra_deps=extra_deps,
        local_libs=local_libs,
        connect=start_code(pos),
    )


def if_impl(cond: K.Value, then_: Impl, else_: Impl) -> If:
    """Twin of ``if_impl``: branches ``[(true, then_); (false, else_)]``, default ``then_``."""
    _check_value(cond, "if_impl")
    _check_branch_types("if_impl", [then_, else_])
    return If(cond, ((True, then_), (False, else_)), then_)


def match_impl(cond: K.Value, cases: Sequence[tuple[Any, Impl]], *, default: Impl) -> If:
    """Twin of ``match_impl``: the first case whose value equals the condition, else ``default``."""
    _check_value(cond, "match_impl")
    _check_branch_types("match_impl", [t for _, t in cases] + [default])
    return If(cond, tuple((p, t) for p, t in cases), default)


def _check_value(cond: Any, who: str) -> None:
    if not isinstance(cond, K.Value):
        raise ConfigError(
            f"{who} expects a key-dependent value (e.g. Key.value target or Key.is_solo5) as condition, not {cond!r}"
        )


def _check_branch_types(who: str, terms: Sequence[Impl]) -> None:
    for t in terms:
        if not isinstance(t, Impl):
            raise ConfigError(f"{who}: every branch must be a device (impl), not {t!r}")
    ty = type_of(terms[-1])
    for t in terms:
        if not type_of(t).same(ty):
            raise ConfigError(
                f"{who}: {_describe(t)} has type {_typ_str(type_of(t))} "
                f"but an expression was expected of type {_typ_str(ty)}"
            )


def abstract(t: Impl) -> Impl:
    """Twin of ``abstract``/``dep``: type erasure (the same node)."""
    return t


# -- partial evaluation -----------------------------------------------------


def simplify(t: Impl, *, full: bool, context: K.Context) -> Impl:
    """``Impl.simplify``: resolve the ``If``s whose keys are all known (all of them if ``full``).

    An ``If`` that stays keeps its branches simplified but its default as it
    was: functoria does not walk into the default (spec §2.2).
    """
    memo: dict[Impl, Impl] = {}

    def aux(t: Impl) -> Impl:
        r = memo.get(t)
        if r is not None:
            return r
        if isinstance(t, If):
            if full or t.cond.mem(context):
                r = aux(t.choose(context))
            else:
                r = If(t.cond, tuple((p, aux(b)) for p, b in t.branches), t.default)
        elif isinstance(t, Dev):
            r = Dev(t.dev, tuple(aux(a) for a in t.args), tuple(aux(d) for d in t.deps))
        else:
            assert isinstance(t, App)
            r = mk_app(aux(t.f), tuple(aux(a) for a in t.args))
        memo[t] = r
        return r

    with deep_recursion():
        return aux(t)


def walk(t: Impl, on_dev: Callable[[Dev], None], on_if: Callable[[If], None] | None = None) -> None:
    """Visit each distinct node once (``Impl.collect``)."""
    seen: set[Impl] = set()

    def aux(t: Impl) -> None:
        if t in seen:
            return
        seen.add(t)
        if isinstance(t, Dev):
            on_dev(t)
            for x in t.deps:
                aux(x)
            for x in t.args:
                aux(x)
        elif isinstance(t, App):
            aux(t.f)
            for x in t.args:
                aux(x)
        else:
            assert isinstance(t, If)
            if on_if is not None:
                on_if(t)
            for _, b in t.branches:
                aux(b)
            aux(t.default)

    with deep_recursion():
        aux(t)


def has_no_arguments(t: Impl) -> bool:
    """``Impl.app_has_no_arguments``: a job that was never applied to anything."""
    if isinstance(t, App):
        return not t.args and has_no_arguments(t.f)
    if isinstance(t, Dev):
        if t.args or t.deps:
            return False
        # Functoria lets `noop` (module "Unit") through.
        return t.dev.module_name != "Unit" and not t.dev.runtime_args
    assert isinstance(t, If)
    return has_no_arguments(t.default) or any(has_no_arguments(b) for _, b in t.branches)
