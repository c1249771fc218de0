"""How OCaml values of a config.ml are held in Python.

The mapping (also what the DSL in ``mirage_nb.mirage`` receives):

====================  =============================================
OCaml                 Python
====================  =============================================
``int``/``float``     ``int``/``float`` (ints wrap at 63 bits)
``string``/``char``   ``str`` (a char is a 1-character ``str``)
``bool``              ``bool``
``()``                ``None``
``'a list``           ``list``
tuples                ``tuple``
``None``/``Some x``   :class:`Constr` (``Constr("Some", (x,))``); given to a Python function
                      they become ``None``/``x``
variants `` `T x``    :class:`PolyVariant`; given to a Python function ``"T"`` / ``("T", x)``
``A``, ``B (x, y)``   :class:`Constr` (constructors of ``type t = A | B of ...``)
functions             :class:`Closure` (written in the file), :class:`Native` (the reader's
                      Stdlib), or any Python callable (the DSL)
modules               :class:`StructModule` (``module M = struct ... end``, Stdlib modules)
                      or :class:`PyModule` (a Python module or namespace object)
====================  =============================================
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _ast as A

__all__ = [
    "Constr",
    "PolyVariant",
    "FParam",
    "Closure",
    "Native",
    "StructModule",
    "PyModule",
    "NONE",
    "some",
    "op_attribute_names",
    "python_names",
]


@dataclass(frozen=True, slots=True)
class Constr:
    """A value built by a constructor: ``name`` and its arguments (``()`` for a constant one)."""

    name: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name} {self.args[0]!r}" if len(self.args) == 1 else f"{self.name} {self.args!r}"


@dataclass(frozen=True, slots=True)
class PolyVariant:
    """A polymorphic variant such as `` `None `` (``tag="None"``) or `` `Some x ``."""

    tag: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"`{self.tag}" + (f" {self.args[0]!r}" if self.args else "")


NONE = Constr("None")


def some(x: Any) -> Constr:
    """OCaml's ``Some x``."""
    return Constr("Some", (x,))


@dataclass(frozen=True, slots=True)
class FParam:
    """A parameter still waiting for its argument: kind ``pos``, ``label`` or ``optional``."""

    kind: str
    label: str | None
    param: A.Param | None = None


@dataclass(frozen=True, slots=True)
class Closure:
    """A function written in the config (``fun``, ``function``, ``let f x = ...``), maybe partly applied."""

    name: str
    params: tuple[FParam, ...]
    body: A.Expr = field(repr=False)
    env: Any = field(repr=False)  # the Env it closes over (parameters bound so far included)

    def __repr__(self) -> str:
        return f"<fun {self.name}>"


@dataclass(frozen=True, slots=True)
class Native:
    """A function of the reader's own Stdlib: ``fn`` gets the OCaml values of all parameters in order.

    ``remaining`` lists the indices (into ``all_params``) still to be given and
    ``bound`` the values given so far, so a Native can be applied in several steps.
    """

    name: str
    all_params: tuple[FParam, ...]
    fn: Callable[..., Any]
    remaining: tuple[int, ...]
    bound: tuple[tuple[int, Any], ...] = ()

    @property
    def params(self) -> tuple[FParam, ...]:
        return tuple(self.all_params[i] for i in self.remaining)

    def __repr__(self) -> str:
        return f"<fun {self.name}>"


@dataclass(slots=True)
class StructModule:
    """A module whose names are held in dicts: a ``struct ... end`` of the config, or a Stdlib module."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)
    constrs: dict[str, int] = field(default_factory=dict)

    def value(self, name: str) -> tuple[bool, Any]:
        if name in self.values:
            return True, self.values[name]
        return False, None

    def module(self, name: str) -> tuple[bool, Any]:
        if name in self.modules:
            return True, self.modules[name]
        return False, None

    def constr(self, name: str) -> int | None:
        return self.constrs.get(name)

    def names(self) -> list[str]:
        return sorted(self.values)


_OP_CHAR_NAMES = {
    "!": "bang",
    "$": "dollar",
    "%": "percent",
    "&": "amp",
    "*": "star",
    "+": "plus",
    "-": "minus",
    ".": "dot",
    "/": "slash",
    ":": "colon",
    "<": "less",
    "=": "equal",
    ">": "greater",
    "?": "question",
    "@": "at",
    "^": "caret",
    "|": "bar",
    "~": "tilde",
    "#": "hash",
}


def op_attribute_names(op: str) -> list[str]:
    """The Python attribute names looked up for the OCaml operator ``( op )`` in a Python module.

    ``$`` -> ``op_dollar``, ``@->`` -> ``op_at_minus_greater``, ``@@`` -> ``op_at_at``,
    ``|>`` -> ``op_bar_greater``; the literal attribute name ``"( $ )"`` is also accepted.
    """
    names = [f"( {op} )"]
    if all(c in _OP_CHAR_NAMES for c in op):
        names.insert(0, "op_" + "_".join(_OP_CHAR_NAMES[c] for c in op))
    return names


def python_names(name: str) -> list[str]:
    """Python attribute names for the OCaml value ``name``: itself, then with a trailing ``_``."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [name + "_", name]
    return [name, name + "_"]


class PyModule:
    """An OCaml module backed by a Python object (``mirage_nb.mirage``, ``Key``, ``Key.Arg``...).

    Only names in the object's ``__all__`` are visible when it defines one (else its
    public attributes), so ``open Mirage`` does not bring Python helpers into scope.
    ``overrides`` replaces some values (the reader wraps ``register`` this way).
    """

    __slots__ = ("name", "obj", "overrides", "submodules", "_exports")

    def __init__(
        self,
        name: str,
        obj: object,
        overrides: dict[str, Any] | None = None,
        submodules: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.obj = obj
        self.overrides = overrides or {}
        self.submodules = submodules or {}
        exports = getattr(obj, "__all__", None)
        self._exports = frozenset(exports) if isinstance(exports, (list, tuple, set, frozenset)) else None

    def _visible(self, attr: str) -> bool:
        if self._exports is not None:
            return attr in self._exports
        return not attr.startswith("_") or attr.startswith("( ")

    def _get(self, attr: str) -> tuple[bool, Any]:
        if not self._visible(attr):
            return False, None
        try:
            return True, getattr(self.obj, attr)
        except AttributeError:
            return False, None

    def value(self, name: str) -> tuple[bool, Any]:
        if name in self.overrides:
            return True, self.overrides[name]
        if name[0].isalpha() or name[0] == "_":
            for attr in python_names(name):
                found, v = self._get(attr)
                if found:
                    return True, v
            return False, None
        for attr in op_attribute_names(name):
            found, v = self._get(attr)
            if found:
                return True, v
        return False, None

    def module(self, name: str) -> tuple[bool, Any]:
        if name in self.submodules:
            return True, self.submodules[name]
        found, v = self._get(name)
        if found and v is not None and not isinstance(v, (str, int, float, bool, list, tuple)):
            return True, PyModule(name, v)
        return False, None

    def constr(self, name: str) -> int | None:
        return None

    def names(self) -> list[str]:
        if self._exports is not None:
            return sorted(self._exports)
        return sorted(n for n in dir(self.obj) if not n.startswith("_"))
