"""OCaml's ``result`` for device calls: ``Ok(value)`` or ``Error(err)``, matched with ``match``.

Devices return errors as values, as MirageOS devices do (``(unit, error) result Lwt.t``),
never as exceptions: ``match await KV.get(kv, key): case Ok(v): ... case Error(e): ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Ok", "Error", "Result", "Msg"]

T = TypeVar("T")
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """Twin of ``Ok v``."""

    value: T

    @property
    def is_ok(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Error(Generic[E]):
    """Twin of ``Error e``."""

    error: E

    @property
    def is_ok(self) -> bool:
        return False


Result = Ok[Any] | Error[Any]


@dataclass(frozen=True, slots=True)
class Msg:
    """Twin of the polymorphic variant ``` `Msg of string ```."""

    msg: str

    def __str__(self) -> str:
        return self.msg
