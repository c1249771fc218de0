"""Configure-time keys, their converters, key-dependent values and contexts.

Twin of functoria's ``Key`` (and of the cmdliner converters its keys use).
A key is an object with a name; a *context* maps key names to values given
explicitly (command line, cached context, environment). A :class:`Value` is
an applicative computation over keys: the engine can ask which keys it
depends on without evaluating it (``deps``), which is how ``If`` vertices
know their labels and how partial evaluation decides what it can resolve.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError

from .cmdliner_words import quote_alts

__all__ = [
    "Conv",
    "ConvError",
    "ArgInfo",
    "Arg",
    "Key",
    "Value",
    "Context",
    "create",
    "value",
    "pure",
    "map_",
    "app",
    "if_",
    "match_",
    "sort_keys",
]


class ConvError(ConfigError):
    """A command-line value does not parse (cmdliner's ``invalid value`` message)."""


@dataclass(frozen=True, slots=True, eq=False)
class Conv:
    """A cmdliner converter: parses a command-line string and prints a value back."""

    name: str
    parse: Callable[[str], Any]
    print: Callable[[Any], str]
    docv: str = "VALUE"
    alternatives: tuple[str, ...] = ()

    @staticmethod
    def enum(pairs: Iterable[tuple[str, Any]], name: str = "enum") -> Conv:
        """Twin of ``Cmdliner.Arg.enum``.

        Printing returns the *last* label bound to a value, as cmdliner does
        (it searches the reversed list): ``--net=host`` prints ``socket``.
        """
        pairs = list(pairs)
        labels = tuple(label for label, _ in pairs)

        def parse(s: str) -> Any:
            for label, v in pairs:
                if label == s:
                    return v
            raise ConvError(f"invalid value '{s}', expected {quote_alts(labels)}")

        def print_(v: Any) -> str:
            for label, w in reversed(pairs):
                if w == v:
                    return str(label)
            return "<unknown>"

        return Conv(name, parse, print_, "ENUM", labels)

    @staticmethod
    def some(c: Conv, none: str = "") -> Conv:
        """Twin of ``Cmdliner.Arg.some``: ``None`` prints as ``none`` (empty by default)."""
        return Conv(
            f"{c.name} option",
            c.parse,
            lambda v: none if v is None else c.print(v),
            c.docv,
            c.alternatives,
        )

    @staticmethod
    def list_(c: Conv, sep: str = ",") -> Conv:
        """Twin of ``Cmdliner.Arg.list``: items separated by ``sep``."""
        return Conv(
            f"{c.name} list",
            lambda s: [c.parse(x) for x in s.split(sep)] if s else [],
            lambda v: sep.join(c.print(x) for x in v),
            c.docv,
        )


def _parse_int(s: str) -> int:
    try:
        return int(s, 0) if s.lower().startswith(("0x", "0o", "0b")) else int(s)
    except ValueError:
        raise ConvError(f"invalid value '{s}', expected an integer") from None


def _parse_bool(s: str) -> bool:
    if s == "true":
        return True
    if s == "false":
        return False
    raise ConvError(f"invalid value '{s}', expected either 'true' or 'false'")


STRING = Conv("string", str, str, "STRING")
INT = Conv("int", _parse_int, str, "INT")
BOOL = Conv("bool", _parse_bool, lambda b: "true" if b else "false", "BOOL")


@dataclass(frozen=True, slots=True)
class ArgInfo:
    """Twin of ``Cmdliner.Arg.info``: option names, documentation, section, environment."""

    names: tuple[str, ...]
    docv: str | None = None
    doc: str = ""
    docs: str | None = None
    env: str | None = None

    def options(self) -> list[str]:
        """The spelled options: ``-t`` for one letter, ``--target`` otherwise."""
        return [("-" if len(n) == 1 else "--") + n for n in self.names]


@dataclass(frozen=True, slots=True, eq=False)
class Arg:
    """A key's command-line argument: its kind (opt, flag, required, opt_all), converter, default."""

    info: ArgInfo
    kind: str  # "opt" | "flag" | "required" | "opt_all"
    conv: Conv | None = None
    default_value: Any = None
    default_fn: Callable[[], Any] | None = None

    @property
    def default(self) -> Any:
        if self.default_fn is not None:
            return self.default_fn()
        if self.kind == "flag":
            return False
        if self.kind == "opt_all":
            return []
        return self.default_value

    def print(self, v: Any) -> str:
        """The value as cmdliner prints it for this kind (``Arg.pp``)."""
        if self.kind == "flag":
            return "true" if v else "false"
        assert self.conv is not None
        if self.kind == "required":
            return "" if v is None else self.conv.print(v)
        if self.kind == "opt_all":
            return ",".join(self.conv.print(x) for x in v)
        return self.conv.print(v)

    def parse(self, s: str) -> Any:
        assert self.conv is not None
        return self.conv.parse(s)

    @staticmethod
    def opt(conv: Conv, default: Any, info: ArgInfo, default_fn: Callable[[], Any] | None = None) -> Arg:
        return Arg(info, "opt", conv, default, default_fn)

    @staticmethod
    def flag(info: ArgInfo) -> Arg:
        return Arg(info, "flag")

    @staticmethod
    def required(conv: Conv, info: ArgInfo) -> Arg:
        return Arg(info, "required", conv)

    @staticmethod
    def opt_all(conv: Conv, info: ArgInfo) -> Arg:
        return Arg(info, "opt_all", conv)


_key_order = itertools.count()


class Key:
    """A configure-time key (twin of ``Functoria.Key.t``); identity matters, the name is shown."""

    __slots__ = ("name", "arg", "_order")

    def __init__(self, name: str, arg: Arg) -> None:
        if name == "":
            raise ConfigError("Key.create: key name cannot be the empty string")
        self.name = name
        self.arg = arg
        # Tie-break for two keys with one name, so sorted output never depends on ids.
        self._order = next(_key_order)

    @property
    def default(self) -> Any:
        return self.arg.default

    def value(self) -> Value:
        """``Key.value k``: the key's value in a context (its default when absent)."""
        return Value((self,), lambda ctx: ctx.get(self))

    def __repr__(self) -> str:
        return f"<key {self.name}>"


def create(name: str, arg: Arg) -> Key:
    """Twin of ``Key.create``."""
    return Key(name, arg)


def sort_keys(keys: Iterable[Key]) -> list[Key]:
    """Keys without repeats (by identity), sorted by name as ``Key.Set`` orders them."""
    seen: dict[int, Key] = {}
    for k in keys:
        seen.setdefault(id(k), k)
    return sorted(seen.values(), key=lambda k: (k.name, k._order))


class Context:
    """The key values given explicitly, by key name (twin of ``Functoria.Context``)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(values or {})

    def mem(self, key: Key) -> bool:
        return key.name in self._values

    def find(self, key: Key) -> Any:
        return self._values.get(key.name)

    def get(self, key: Key) -> Any:
        """The key's value, or its default when not given."""
        if key.name in self._values:
            return self._values[key.name]
        return key.default

    def add(self, key: Key | str, v: Any) -> Context:
        name = key if isinstance(key, str) else key.name
        return Context({**self._values, name: v})

    def merge_under(self, default: Context) -> Context:
        """Self's values win over ``default``'s (the CLI over the cached context)."""
        return Context({**default._values, **self._values})

    def names(self) -> list[str]:
        return list(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"Context({self._values!r})"


@dataclass(frozen=True, slots=True, eq=False)
class Value:
    """A key-dependent value (twin of ``Key.value``): its key dependencies, and how to compute it."""

    deps: tuple[Key, ...]
    fn: Callable[[Context], Any] = field(repr=False)

    def eval(self, ctx: Context) -> Any:
        return self.fn(ctx)

    def mem(self, ctx: Context) -> bool:
        """Every key it depends on was given explicitly (``Key.mem``)."""
        return all(ctx.mem(k) for k in self.deps)

    def default(self) -> Any:
        return self.fn(Context())

    def sorted_deps(self) -> list[Key]:
        return sort_keys(self.deps)


def _union(*depss: tuple[Key, ...]) -> tuple[Key, ...]:
    out: dict[int, Key] = {}
    for deps in depss:
        for k in deps:
            out.setdefault(id(k), k)
    return tuple(out.values())


def pure(x: Any) -> Value:
    """``Key.pure``: a value that depends on no key."""
    return Value((), lambda _ctx: x)


def value(k: Key) -> Value:
    """``Key.value``."""
    return k.value()


def app(f: Value, x: Value) -> Value:
    """``Key.($)``: apply a key-dependent function to a key-dependent value."""
    return Value(_union(f.deps, x.deps), lambda ctx: f.eval(ctx)(x.eval(ctx)))


def map_(f: Callable[[Any], Any], x: Value) -> Value:
    """``Key.map``."""
    return Value(x.deps, lambda ctx: f(x.eval(ctx)))


def if_(c: Value, then_: Any, else_: Any) -> Value:
    """``Key.if_``: ``then_`` when the boolean value holds, else ``else_``."""
    return map_(lambda b: then_ if b else else_, c)


def match_(v: Value, f: Callable[[Any], Any]) -> Value:
    """``Key.match_``."""
    return map_(f, v)
