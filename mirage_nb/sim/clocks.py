"""The MirageOS 4.9+ time globals on the virtual clock: ``Mirage_sleep``, ``Mirage_mtime``, ``Mirage_ptime``.

Since MirageOS 4.9, clocks and sleep are no longer devices: a unikernel calls
them directly. Here they read the :class:`~mirage_nb.sim.run.Run` being driven.
``Mirage_mtime.elapsed_ns ()`` is virtual nanoseconds since boot;
``Mirage_ptime.now ()`` is the run's epoch (``Run(epoch_s=...)``, by default
2025-01-01T00:00:00Z) plus that. ``Duration`` and ``Ptime`` are the pure
helpers unikernels use with them, with OCaml's names and printing.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import Promise
from mirage_nb.sim.run import current_run

__all__ = ["Duration", "Ptime", "Mirage_sleep", "Mirage_mtime", "Mirage_ptime"]

_NS = 1_000_000_000
_PS_PER_S = 1_000_000_000_000
_UNIX_EPOCH = _dt.datetime(1970, 1, 1)


def _check(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise SimulationError(f"Duration.{what} expects an int, got {n!r}")
    if n < 0:
        raise SimulationError(f"Duration.{what}: negative durations are invalid (got {n})")
    return n


class Duration:
    """Twin of the ``duration`` library: durations are int64 nanoseconds."""

    @staticmethod
    def of_us(n: int) -> int:
        return _check(n, "of_us") * 1_000

    @staticmethod
    def of_ms(n: int) -> int:
        return _check(n, "of_ms") * 1_000_000

    @staticmethod
    def of_sec(n: int) -> int:
        return _check(n, "of_sec") * _NS

    @staticmethod
    def of_min(n: int) -> int:
        return _check(n, "of_min") * 60 * _NS

    @staticmethod
    def of_hour(n: int) -> int:
        return _check(n, "of_hour") * 3600 * _NS

    @staticmethod
    def of_day(n: int) -> int:
        return _check(n, "of_day") * 86400 * _NS

    @staticmethod
    def of_year(n: int) -> int:
        return _check(n, "of_year") * 31_557_600 * _NS  # 365.25 days, as the library counts a year

    @staticmethod
    def of_f(f: float) -> int:
        if f < 0:
            raise SimulationError(f"Duration.of_f: negative durations are invalid (got {f})")
        return int(f * _NS)

    @staticmethod
    def to_us(d: int) -> int:
        return d // 1_000

    @staticmethod
    def to_ms(d: int) -> int:
        return d // 1_000_000

    @staticmethod
    def to_sec(d: int) -> int:
        return d // _NS

    @staticmethod
    def to_min(d: int) -> int:
        return d // (60 * _NS)

    @staticmethod
    def to_hour(d: int) -> int:
        return d // (3600 * _NS)

    @staticmethod
    def to_day(d: int) -> int:
        return d // (86400 * _NS)

    @staticmethod
    def to_f(d: int) -> float:
        return d / _NS


@dataclass(frozen=True, slots=True, order=True)
class _Ptime:
    """A POSIX timestamp in picoseconds (Ptime.t)."""

    ps: int

    def __repr__(self) -> str:
        return f"Ptime({Ptime.to_rfc3339(self, frac_s=3)})"


def _valid_tz(tz: int | None) -> tuple[int, bool]:
    if tz is None:
        return 0, True
    if -86340 <= tz <= 86340 and tz % 60 == 0:
        return tz, False
    return 0, True


def _fields(t: _Ptime, tz: int) -> tuple[_dt.datetime, int]:
    secs, rem = divmod(t.ps, _PS_PER_S)
    return _UNIX_EPOCH + _dt.timedelta(seconds=secs + tz), rem


def _frac(rem_ps: int, frac: int) -> str:
    frac = max(0, min(12, frac))
    if frac == 0:
        return ""
    return "." + str(rem_ps // 10 ** (12 - frac)).rjust(frac, "0")


class Ptime:
    """Twin of the ``ptime`` library's timestamps and their RFC 3339 / human printers."""

    t = _Ptime

    @staticmethod
    def of_float_s(f: float) -> _Ptime:
        secs = math.floor(f)
        return _Ptime(secs * _PS_PER_S + round((f - secs) * _PS_PER_S))

    @staticmethod
    def to_float_s(t: _Ptime) -> float:
        return t.ps / _PS_PER_S

    @staticmethod
    def add_span(t: _Ptime, span_ns: int) -> _Ptime:
        return _Ptime(t.ps + span_ns * 1000)

    @staticmethod
    def to_rfc3339(t: _Ptime, *, space: bool = False, frac_s: int = 0, tz_offset_s: int | None = None) -> str:
        tz, unknown = _valid_tz(tz_offset_s)
        d, rem = _fields(t, tz)
        sep = " " if space else "T"
        s = f"{d.year:04d}-{d.month:02d}-{d.day:02d}{sep}{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
        s += _frac(rem, frac_s)
        if tz == 0 and not unknown:
            return s + "Z"
        sign = "-" if tz < 0 or unknown else "+"
        m = abs(tz) // 60
        return s + f"{sign}{m // 60:02d}:{m % 60:02d}"

    @staticmethod
    def pp_rfc3339(*, space: bool = False, frac_s: int = 0, tz_offset_s: int | None = None) -> Any:
        return lambda ppf, t: ppf.string(Ptime.to_rfc3339(t, space=space, frac_s=frac_s, tz_offset_s=tz_offset_s))

    @staticmethod
    def to_human(t: _Ptime, *, frac_s: int = 0, tz_offset_s: int | None = None) -> str:
        tz, unknown = _valid_tz(tz_offset_s)
        d, rem = _fields(t, tz)
        s = f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
        s += _frac(rem, frac_s)
        sign = "-" if tz < 0 or unknown else "+"
        m = abs(tz) // 60
        return s + f" {sign}{m // 60:02d}:{m % 60:02d}"

    @staticmethod
    def pp_human(*, frac_s: int = 0, tz_offset_s: int | None = None) -> Any:
        """Twin of ``Ptime.pp_human ?frac_s ?tz_offset_s ()``: a printer for ``%a``."""
        return lambda ppf, t: ppf.string(Ptime.to_human(t, frac_s=frac_s, tz_offset_s=tz_offset_s))


class Mirage_sleep:
    """Twin of ``Mirage_sleep``: sleep on the virtual clock."""

    @staticmethod
    def ns(n: int) -> Promise[None]:
        """A promise fulfilled ``n`` virtual nanoseconds from now (cancelable, like Lwt's sleeps)."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise SimulationError(f"Mirage_sleep.ns expects an int64 of nanoseconds, got {n!r}")
        return current_run().sleep_ns(n)


class Mirage_mtime:
    """Twin of ``Mirage_mtime``: the monotonic clock, in nanoseconds since boot."""

    @staticmethod
    def elapsed_ns() -> int:
        return current_run().now

    @staticmethod
    def period_ns() -> int | None:
        return None


class Mirage_ptime:
    """Twin of ``Mirage_ptime``: the wall clock, virtual (epoch of the run + time since boot)."""

    @staticmethod
    def now() -> _Ptime:
        run = current_run()
        return _Ptime(run.epoch_s * _PS_PER_S + run.now * 1000)

    @staticmethod
    def current_tz_offset_s() -> int | None:
        return current_run().tz_offset_s

    @staticmethod
    def period() -> None:
        return None
