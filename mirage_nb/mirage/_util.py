"""Small helpers shared by the device modules of the Mirage library."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.info import Info

from . import keys as Key

__all__ = ["connect_err", "expect", "get_target", "pos"]


def pos(file: str, line: int) -> tuple[str, int, int, int]:
    """A ``__POS__`` of the mirage sources (shared/reference/mirage-pos-table.md)."""
    return (file, line, 0, 0)


def connect_err(name: str, n: int) -> ConfigError:
    """``Misc.connect_err``: a device's connect got the wrong number of arguments."""
    return ConfigError(f"The {name} connect expects exactly {n} argument{'' if n == 1 else 's'}")


def expect(names: Sequence[str], n: int, who: str) -> Sequence[str]:
    if len(names) != n:
        raise connect_err(who, n)
    return names


def get_target(info: Info) -> Key.Mode:
    return info.get(Key.target)
