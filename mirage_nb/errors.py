"""The project's own exceptions: every mistake a learner can make ends in one of these.

Each carries a message that names the thing, says what was expected, and, where
it comes from a file, its location. Any other exception escaping the package is
a bug in mirage_nb.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Location",
    "MirageNbError",
    "ConfigError",
    "ConfigMlError",
    "SimulationError",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class MirageNbError(Exception):
    """Root of mirage_nb's errors; ``loc`` says where, when it comes from a file."""

    def __init__(self, msg: str, *, loc: Location | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.loc = loc

    def __str__(self) -> str:
        return f"{self.loc}: {self.msg}" if self.loc else self.msg


class ConfigError(MirageNbError):
    """A configuration is wrong: a device of the wrong type, an unknown target, a bad key value."""


class ConfigMlError(MirageNbError):
    """A config.ml cannot be read: syntax, an unsupported construct, an unbound name."""


class SimulationError(MirageNbError):
    """A simulated unikernel failed, or a run could not go on."""


class ProtocolError(MirageNbError):
    """A protocol was violated (h11's split: who broke the rules)."""


class LocalProtocolError(ProtocolError):
    """We were asked to send something the protocol forbids."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something malformed or out of place."""
