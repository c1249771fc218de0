"""Printing an application's device graph back as the OCaml ``config.ml`` that builds it.

A config (Python, or a config.ml read by :mod:`mirage_nb.config_ml`) builds
its graph by calling the functions of a device library. A device alone does
not say which call made it (``generic_stackv4v6 default_network`` is a tree
of choices and functors), so the library's public functions are wrapped by
:func:`recording`, which notes, for each value they return, the call that
made it (:class:`Call`). :func:`to_config_ml` walks from the ``register``
call back through those notes and prints each call in OCaml syntax:

* a value the library exports (``default_network``, ``kv_ro``, ``Key.target``)
  prints as its name;
* a value made by a noted call prints as that call (labelled arguments as
  ``~label:value``, a trailing ``()`` when it has no positional argument);
* a device applied to arguments (``main $ stack``) prints as ``f $ x``;
* a value used twice is bound once with ``let`` (sharing is meaning in
  functoria: two calls of ``generic_kv_ro`` make two devices).

The engine knows no MirageOS: the library namespace and its OCaml module
name are given by the caller (:mod:`mirage_nb.mirage` records its exports
and names itself ``Mirage``). What cannot be printed (a Python function
given as ``~connect``, a device built by hand without a library call) raises
:class:`~mirage_nb.errors.ConfigError` naming it.
"""

from __future__ import annotations

import enum
import functools
import inspect
import re
import types
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError

from .impl import App, Dev, If, Impl, deep_recursion
from .ocaml import quote
from .types import FunctorTyp, Typ

__all__ = ["Call", "origin_of", "recording", "recorded_namespace", "to_config_ml", "Library"]


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a library function: its OCaml path, positional arguments, labelled arguments."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]


# Notes by identity. Impls, applications and keys are kept weakly where they
# allow it; small immutable values (packages, runtime args) are kept with
# their note, which is what makes their identity stable while it is held.
_NOTES: dict[int, tuple[Any, Call]] = {}


def _forget(key: int) -> Callable[[Any], None]:
    def forget(_ref: Any) -> None:
        _NOTES.pop(key, None)

    return forget


def _note(value: Any, call: Call) -> None:
    if value is None or isinstance(value, (str, int, float, bool, bytes, list, tuple, dict, enum.Enum)):
        return
    if id(value) in _NOTES:
        return  # the first maker wins (``abstract x`` returns ``x`` itself)
    if any(value is a for a in call.args) or any(value is v for _, v in call.kwargs):
        return
    try:
        ref: Any = weakref.ref(value, _forget(id(value)))
    except TypeError:
        ref = value
    _NOTES[id(value)] = (ref, call)
    if isinstance(value, Dev):
        value.dev.made_by.append((value, call))


def origin_of(value: Any) -> Call | None:
    """The noted call that made ``value``, if a recording function made it."""
    if isinstance(value, Dev):
        for made, call in value.dev.made_by:
            if made is value:
                return call  # type: ignore[no-any-return]
    entry = _NOTES.get(id(value))
    if entry is None:
        return None
    ref, call = entry
    held = ref() if isinstance(ref, weakref.ref) else ref
    return call if held is value else None


def recording(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` that notes, for what it returns, the call ``name args`` that made it."""
    if getattr(fn, "__ocaml_name__", None) is not None:
        return fn

    @functools.wraps(fn)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        _note(result, Call(name, args, tuple(kwargs.items())))
        return result

    recorded.__ocaml_name__ = name  # type: ignore[attr-defined]
    return recorded


def _is_namespace_class(v: Any) -> bool:
    if not isinstance(v, type) or issubclass(v, enum.Enum):
        return False
    members = {k: x for k, x in vars(v).items() if not k.startswith("_")}
    return bool(members) and all(isinstance(x, staticmethod) for x in members.values() if callable(x))


class _Namespace(types.SimpleNamespace):
    """A module seen through recording functions (``Key``, ``Runtime_arg``); other attributes as they are."""

    def __repr__(self) -> str:
        return f"<recorded namespace {self.__dict__.get('__ocaml_path__', '?')}>"


def recorded_namespace(obj: Any, path: str) -> Any:
    """A copy of module or namespace class ``obj`` whose functions record, as ``path.name``."""
    out = _Namespace()
    for k, v in vars(obj).items():
        if isinstance(v, staticmethod):
            v = v.__func__
        if k.startswith("__") and k not in ("__doc__", "__all__", "__name__"):
            continue
        if inspect.isfunction(v) and not k.startswith("_"):
            v = recording(v, f"{path}.{k}")
        elif _is_namespace_class(v) and not k.startswith("_"):
            v = recorded_namespace(v, f"{path}.{k}")
        setattr(out, k, v)
    out.__ocaml_path__ = path
    return out


# -- printing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    """The device library a config opens: its namespace (exported names) and OCaml module name."""

    namespace: Any
    module: str = "Mirage"
    header: str = ""

    @functools.cached_property
    def names(self) -> dict[int, tuple[Any, str]]:
        """Exported non-scalar values by identity, with their OCaml path (first name wins)."""
        out: dict[int, tuple[Any, str]] = {}

        def add(ns: Any, prefix: str, depth: int) -> None:
            names = getattr(ns, "__all__", None) or [k for k in vars(ns) if not k.startswith("_")]
            for k in names:
                v = getattr(ns, k, None)
                if isinstance(v, (types.ModuleType, _Namespace)):
                    if depth < 2:
                        add(v, f"{prefix}{k}.", depth + 1)
                    continue
                scalar = v is None or isinstance(v, (str, int, float, bool, enum.Enum))
                if scalar or callable(v) and not _printable_value(v):
                    continue
                out.setdefault(id(v), (v, f"{prefix}{_ocaml_ident(k)}"))

        add(self.namespace, "", 0)
        # A name the config opens directly beats a path through a submodule (``job``, not ``Type.job``).
        direct = {}
        for k in getattr(self.namespace, "__all__", None) or vars(self.namespace):
            v = getattr(self.namespace, k, None)
            if id(v) not in out:
                continue
            own = isinstance(v, Typ) and k == v.name  # ``job``, not its alias ``sleep``
            if own or "." in out[id(v)][1] and id(v) not in direct:
                direct[id(v)] = (v, _ocaml_ident(k))
        out.update(direct)
        return out

    @functools.cached_property
    def exported(self) -> set[str]:
        return set(getattr(self.namespace, "__all__", None) or vars(self.namespace))


def _printable_value(v: Any) -> bool:
    # Impls and types are callable (application) but are values, not functions.
    return isinstance(v, (Impl, Typ))


_OCAML_KEYWORDS = frozenset(
    "and as assert begin class constraint do done downto else end exception external false for fun function "
    "functor if in include inherit initializer lazy let match method module mutable new nonrec object of open "
    "or private rec sig struct then to true try type val virtual when while with".split()
)


def _ocaml_ident(py_name: str) -> str:
    if py_name.endswith("_") and py_name[:-1] in _OCAML_KEYWORDS | {"eval"}:
        return py_name[:-1]
    return py_name


_OPERATORS = {"op_dollar": "( $ )"}
_INLINE = 40  # a device whose expression is longer is bound with ``let`` (readability only)


@dataclass
class _Printer:
    lib: Library
    counts: dict[int, int]
    bound: dict[int, str]
    lets: list[str]
    used_names: set[str]
    _bound_values: dict[int, Any] = field(default_factory=dict)

    # ---- first pass: which values are used more than once -----------------------
    def children(self, v: Any) -> Iterable[Any]:
        if self.global_name(v) is not None:
            return ()
        call = origin_of(v)
        if call is not None:
            return [*call.args, *(x for _, x in call.kwargs)]
        if isinstance(v, (list, tuple)):
            return list(v)
        if isinstance(v, FunctorTyp):
            return (v.arg, v.res)
        if isinstance(v, (Dev, App)):
            head, args = self.decompose(v)
            return [head, *args]
        return ()

    def count(self, root: Any) -> None:
        stack = [root]
        while stack:
            v = stack.pop()
            if not self.bindable(v):
                stack.extend(self.children(v))
                continue
            n = self.counts.get(id(v), 0) + 1
            self.counts[id(v)] = n
            if n == 1:
                stack.extend(self.children(v))

    def bindable(self, v: Any) -> bool:
        if isinstance(v, (str, int, float, bool, list, tuple, enum.Enum)) or v is None:
            return False
        if self.global_name(v) is not None:
            return False
        return origin_of(v) is not None or isinstance(v, (Dev, App))

    # ---- names -----------------------------------------------------------------
    def global_name(self, v: Any) -> str | None:
        entry = self.lib.names.get(id(v))
        return entry[1] if entry is not None and entry[0] is v else None

    def fresh(self, call: Call | None, v: Any) -> str:
        if call is not None:
            base = call.name.rsplit(".", 1)[-1]
        else:
            base = "job" if isinstance(v, Impl) and v.module_type.result().name == "job" else "device"
        base = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_") or "v"
        if base in _OPERATORS or base.startswith("op_"):
            base = "v"
        n = 1
        while True:
            cand = f"{base}_{n}"
            if cand not in self.used_names and cand not in self.lib.exported:
                self.used_names.add(cand)
                return cand
            n += 1

    # ---- devices without a noted maker: applications ----------------------------
    def decompose(self, t: Impl) -> tuple[Impl, list[Impl]]:
        """``f $ a $ b`` -> (f, [a, b]) with the longest head that has a name or a maker."""
        if isinstance(t, Dev):
            for k in range(len(t.args) - 1, -1, -1):
                head = _lookup_impl(Dev(t.dev, t.args[:k], t.deps))
                if head is not None:
                    return head, list(t.args[k:])
            raise ConfigError(
                f"to_config_ml: cannot print the device {t.dev.module_name}: no function of the "
                f"{self.lib.module} library made it (was it built with impl(...) from Python?)"
            )
        assert isinstance(t, App)
        for k in range(len(t.args) - 1, 0, -1):
            head = _lookup_impl(App(t.f, t.args[:k]))
            if head is not None:
                return head, list(t.args[k:])
        return t.f, list(t.args)

    # ---- second pass: expressions ----------------------------------------------
    def expr(self, v: Any, *, arg: bool = False, ctx: str = "") -> str:
        if id(v) in self.bound and self.bound_value(v):
            return self.bound[id(v)]
        g = self.global_name(v)
        if g is not None:
            return g
        if self.bindable(v):
            text = self.raw(v, arg=False, ctx=ctx)
            if self.counts.get(id(v), 0) <= 1 and not (isinstance(v, Impl) and len(text) > _INLINE):
                return f"({text})" if arg and " " in text and not text.startswith(("(", "[")) else text
            name = self.fresh(origin_of(v), v)
            self.lets.append(f"let {name} = {text}")
            self.bound[id(v)] = name
            self._bound_values[id(v)] = v
            return name
        return self.raw(v, arg=arg, ctx=ctx)

    def bound_value(self, v: Any) -> bool:
        return self._bound_values.get(id(v)) is v

    def raw(self, v: Any, *, arg: bool, ctx: str) -> str:
        call = origin_of(v)
        if call is not None:
            return self.call(call, arg=arg)
        if isinstance(v, (Dev, App)):
            head, args = self.decompose(v)
            text = " $ ".join([self.expr(head, arg=True), *(self.expr(a, arg=True) for a in args)])
            return f"({text})" if arg else text
        if isinstance(v, If):
            raise ConfigError("to_config_ml: a choice (if_impl/match_impl) was made by no library call")
        if isinstance(v, FunctorTyp):
            left = self.expr(v.arg, arg=True)
            if isinstance(v.arg, FunctorTyp) and not left.startswith("("):
                left = f"({left})"
            text = f"{left} @-> {self.expr(v.res)}"
            return f"({text})" if arg else text
        return self.scalar(v, arg=arg, ctx=ctx)

    def scalar(self, v: Any, *, arg: bool, ctx: str) -> str:
        tag = getattr(v, "ocaml_tag", None)
        if tag is not None:
            return f"`{tag}"
        if v is None:
            return "()"
        if ctx == "src":  # ``[ `Auto | `None | `Some of string ]``, which Python configs spell as text
            if isinstance(v, str) and v.lower() in ("auto", "none"):
                return f"`{v.capitalize()}"
            some = v[1] if isinstance(v, tuple) and len(v) == 2 and v[0] == "Some" else v
            text = f"`Some {quote(some)}" if isinstance(some, str) else None
            if text is not None:
                return f"({text})" if arg else text
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return f"({v})" if v < 0 and arg else str(v)
        if isinstance(v, float):
            text = repr(v) if "." in repr(v) or "e" in repr(v) else f"{v!r}."
            return f"({text})" if v < 0 and arg else text
        if isinstance(v, str):
            if ctx == "variant":
                return f"`{v}"
            ip = _ipaddr(ctx, v)
            if ip is not None:
                return f"({ip})" if arg else ip
            return quote(v)
        if isinstance(v, list):
            return "[ " + "; ".join(self.expr(x, ctx=ctx) for x in v) + " ]" if v else "[]"
        if isinstance(v, tuple):
            if ctx == "case" and len(v) == 2:
                return f"({self.expr(v[0], ctx='variant')}, {self.expr(v[1])})"
            if ctx == "pos" and len(v) == 4 and isinstance(v[0], str):
                return "(" + ", ".join(self.expr(x) for x in v) + ")"
            return "(" + ", ".join(self.expr(x, ctx=ctx) for x in v) + ")"
        if callable(v):
            raise ConfigError(
                f"to_config_ml: cannot print {getattr(v, '__name__', v)!r} as OCaml: it is a Python function "
                "(a ~connect or Key.map function written in Python has no config.ml twin to print)"
            )
        raise ConfigError(f"to_config_ml: cannot print {v!r} as OCaml: no function of the library made it")

    def call(self, call: Call, *, arg: bool) -> str:
        name = _OPERATORS.get(call.name.rsplit(".", 1)[-1], None)
        head = call.name if name is None else f"{call.name.rsplit('.', 1)[0]}.{name}"
        parts = [head]
        short = call.name.rsplit(".", 1)[-1]
        for label, value in call.kwargs:
            if value is None:
                continue
            ctx = label if short not in ("match_impl",) else ""
            parts.append(f"~{_ocaml_ident(label)}:{self.expr(value, arg=True, ctx=ctx)}")
        for i, value in enumerate(call.args):
            ctx = ""
            if short == "match_impl" and i == 1:
                ctx = "case"
            elif call.name.startswith("Runtime_arg.V") and i == 0:
                ctx = "network" if short == "network" else "gateway" if short == "gateway" else ""
            parts.append(self.expr(value, arg=True, ctx=ctx))
        if not call.args:
            parts.append("()")
        text = " ".join(parts)
        return f"({text})" if arg and len(parts) > 1 else text


def _ipaddr(label: str, text: str) -> str | None:
    """``Ipaddr.V4.Prefix.of_string_exn "..."`` for a network or gateway argument given as text."""
    import ipaddress

    if not any(w in label for w in ("network", "gateway")):
        return None
    try:
        if "/" in text:
            v = ipaddress.ip_interface(text).version
            return f"Ipaddr.V{v}.Prefix.of_string_exn {quote(text)}"
        v = ipaddress.ip_address(text).version
        return f"Ipaddr.V{v}.of_string_exn {quote(text)}"
    except ValueError:
        return None


def _lookup_impl(t: Impl) -> Impl | None:
    """A noted or exported Impl equal to ``t`` (functoria's equality: same device, equal arguments).

    A partial application such as the ``main`` of ``main $ x`` may be gone by
    the time the graph is printed (only ``main $ x`` is kept), so Dev notes
    live on the device itself, which every application of it holds.
    """
    g = _GLOBAL_IMPLS.get(t)
    if g is not None:
        return g
    if isinstance(t, Dev):
        for made, _call in t.dev.made_by:
            if made == t:
                return made  # type: ignore[no-any-return]
    return None


_GLOBAL_IMPLS: dict[Impl, Impl] = {}


def to_config_ml(app: Any, lib: Library) -> str:
    """The OCaml config.ml that registers ``app``, printed from its graph (see the module docstring)."""
    for v, _name in lib.names.values():
        if isinstance(v, Impl):
            _GLOBAL_IMPLS.setdefault(v, v)
    call = origin_of(app)
    if call is None:
        call = Call("register", (app.name, list(app.jobs)), ())
    p = _Printer(lib, {}, {}, [], set())
    with deep_recursion():
        for x in [*call.args, *(v for _, v in call.kwargs)]:
            p.count(x)
        body = p.call(call, arg=False)
    lines = [lib.header.rstrip("\n")] if lib.header else []
    lines.append(f"open {lib.module}")
    lines.append("")
    lines.extend(p.lets)
    lines.append(f"let () = {body}")
    return "\n".join(lines) + "\n"
