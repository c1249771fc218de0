"""An orchestrator's scaling decisions, as a pure function of what it measured: no clock, no I/O.

:class:`Autoscaler` answers one question each time it is asked: *given the
load per instance now, how many instances should run?* It scales up when the
load per instance is above ``up_at``, down when it is below ``down_at``
(``down_at < up_at``: between the two it keeps what it has, the hysteresis
that stops it flapping), never outside ``[min_instances, max_instances]``,
and, after a change, waits ``cooldown_s`` before the next (a new instance
takes time to boot and to take its share of the load). Up is one instance
at a time unless the load asks for more (``ceil(load / up_at)`` instances,
capped); down is always one at a time, and never to a count whose load per
instance would be above ``up_at`` (it would scale straight back up).

The scenario notebook drives it from a peer's script every few virtual
seconds; the tests drive it with numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mirage_nb.errors import MirageNbError

__all__ = ["Autoscaler", "Decision"]


@dataclass(frozen=True)
class Decision:
    """One decision: at ``t_s``, with ``instances`` running and ``load`` per instance, run ``target`` (and why)."""

    t_s: float
    instances: int
    load: float
    target: int
    reason: str

    @property
    def change(self) -> int:
        return self.target - self.instances


@dataclass
class Autoscaler:
    """Scale on load per instance: up above ``up_at``, down below ``down_at``, within bounds, with a cooldown."""

    up_at: float
    down_at: float
    min_instances: int = 1
    max_instances: int = 8
    cooldown_s: float = 10.0
    decisions: list[Decision] = field(default_factory=list)
    _last_change_s: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.down_at < self.up_at:
            raise MirageNbError(
                f"Autoscaler: expected 0 <= down_at < up_at (the gap is the hysteresis), "
                f"got down_at={self.down_at}, up_at={self.up_at}"
            )
        if not 1 <= self.min_instances <= self.max_instances:
            raise MirageNbError(
                f"Autoscaler: expected 1 <= min_instances <= max_instances, "
                f"got {self.min_instances} and {self.max_instances}"
            )
        if self.cooldown_s < 0:
            raise MirageNbError(f"Autoscaler: cooldown_s must be >= 0, got {self.cooldown_s}")

    def decide(self, t_s: float, instances: int, total_load: float) -> Decision:
        """How many instances to run at ``t_s``, with ``instances`` running and ``total_load`` offered to them all."""
        if instances < 0 or total_load < 0:
            raise MirageNbError(f"Autoscaler.decide: instances and load must be >= 0, got {instances}, {total_load}")
        load = total_load / instances if instances else math.inf
        target, reason = self._target(t_s, instances, total_load, load)
        if target != instances:
            self._last_change_s = t_s
        d = Decision(t_s, instances, load if instances else total_load, target, reason)
        self.decisions.append(d)
        return d

    def _target(self, t_s: float, n: int, total: float, load: float) -> tuple[int, str]:
        lo, hi = self.min_instances, self.max_instances
        if n < lo:
            return lo, "below the minimum"
        if n > hi:
            return hi, "above the maximum"
        cooling = self._last_change_s is not None and t_s - self._last_change_s < self.cooldown_s
        if load > self.up_at:
            if n >= hi:
                return n, "at the maximum"
            if cooling:
                return n, "cooling down"
            return min(hi, max(n + 1, math.ceil(total / self.up_at))), "load above up_at"
        if load < self.down_at:
            if n <= lo:
                return n, "at the minimum"
            if cooling:
                return n, "cooling down"
            if total / (n - 1) > self.up_at:
                return n, "one fewer would be above up_at"
            return n - 1, "load below down_at"
        return n, "within the band"
