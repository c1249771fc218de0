"""Checks an argument against the Python annotation of the DSL parameter it fills.

OCaml's type checker rejects ``package ~min:1 "x"`` or ``block_of_file 3``
before the configuration program runs; Python would take them and fail later
(or never). The DSL's parameters are annotated with the OCaml types they
stand for (``str`` is ``string``, ``Sequence[Package]`` is ``package list``,
``Impl`` is ``'a impl``), so the reader checks each argument it hands to a
Python function against that annotation and reports OCaml's message at the
argument's location. Annotations it cannot read (``Any``, callables, names
only imported for type checkers) are not checked: the check never refuses a
value it does not understand.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

__all__ = ["param_hints", "mismatch"]

_UNKNOWN = object()
_HINTS: dict[int, tuple[Callable[..., Any], dict[str, Any]]] = {}
_SEQUENCES = (list, cabc.Sequence, cabc.Iterable, cabc.Collection)


def param_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The parameters' annotations that could be resolved, by parameter name (cached per function)."""
    cached = _HINTS.get(id(fn))
    if cached is not None and cached[0] is fn:
        return cached[1]
    hints: dict[str, Any] = {}
    target = inspect.unwrap(getattr(fn, "__func__", fn))  # a recording wrapper's annotations are the function's
    raw = getattr(target, "__annotations__", None)
    if isinstance(raw, dict):
        glob = getattr(target, "__globals__", {})
        for name, ann in raw.items():
            if name == "return":
                continue
            if isinstance(ann, str):
                try:
                    ann = eval(ann, dict(glob), {})  # noqa: S307 - the project's own annotations
                except Exception:  # noqa: BLE001 - a name only imported for type checkers
                    continue
            hints[name] = ann
    _HINTS[id(fn)] = (fn, hints)
    return hints


def _ocaml_name(hint: Any) -> str | None:
    if hint is str:
        return "string"
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    origin = typing.get_origin(hint)
    if origin in _SEQUENCES:
        (arg,) = typing.get_args(hint) or (Any,)
        inner = _ocaml_name(arg) or "'a"
        return f"{inner} list"
    if origin in (typing.Union, types.UnionType):
        names = [_ocaml_name(a) for a in typing.get_args(hint) if a is not type(None)]
        return names[0] if len(names) == 1 else None
    if isinstance(hint, type):
        return hint.__name__.lower()
    return None


def _type_of(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return f"{_type_of(v[0])} list" if v else "'a list"
    if isinstance(v, tuple):
        return " * ".join(_type_of(x) for x in v) or "unit"
    if v is None:
        return "unit"
    if callable(v) and not isinstance(v, type):
        return "a function"
    return type(v).__name__.lower()


def _conforms(v: Any, hint: Any) -> bool | None:
    """True/False when the annotation says; None when it cannot tell."""
    if hint is Any or hint is object:
        return None
    if hint is str:
        return isinstance(v, str)
    if hint is bool:
        return isinstance(v, bool)
    if hint is int:
        return isinstance(v, int) and not isinstance(v, bool)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        answers = [(v is None) if a is type(None) else _conforms(v, a) for a in typing.get_args(hint)]
        if any(a is True for a in answers):
            return True
        if any(a is None for a in answers):
            return None
        return False
    if origin in _SEQUENCES:
        if not isinstance(v, list):
            return False
        (arg,) = typing.get_args(hint) or (Any,)
        answers = [_conforms(x, arg) for x in v]
        if any(a is False for a in answers):
            return False
        return True
    if origin is not None:
        return None
    if isinstance(hint, type) and hint.__module__.startswith("mirage_nb."):
        return isinstance(v, hint)
    return None


def mismatch(v: Any, hint: Any) -> str | None:
    """OCaml's message when ``v`` cannot fill a parameter annotated ``hint``, else None."""
    if _conforms(v, hint) is not False:
        return None
    want = _ocaml_name(hint)
    if want is None:
        return None
    return f"This expression has type {_type_of(v)} but an expression was expected of type {want}"
