"""Happy Eyeballs (RFC 8305) as a pure state machine: which address to try when, for one connection.

One :class:`HappyEyeballs` value connects to one host on some ports. It is
told what happened (:meth:`start`, :meth:`resolved`, :meth:`connected`,
:meth:`connect_failed`, :meth:`timer`) and answers with actions for its
shell to carry out: :class:`Resolve` a record type, :class:`Connect` an
attempt to an address, :class:`Cancel` an attempt that lost the race, and
finally :class:`Done` with the winning attempt or an error. Time is given
in nanoseconds; :attr:`deadline` is when :meth:`timer` must be called next.

The algorithm follows RFC 8305 with happy-eyeballs' (the OCaml library's)
parameters:

- AAAA and A are asked at once (section 3). When A answers first, the
  first attempt waits ``aaaa_timeout`` (the *resolution delay*, 50 ms) for
  AAAA; when AAAA answers first, or an address literal is given, attempts
  start at once.
- Addresses are ordered IPv6 first, then alternating families (section 4),
  and each address is tried on each port in turn.
- A new attempt starts ``connect_delay`` (the *connection attempt delay*,
  50 ms) after the previous one, or at once when the previous one failed
  (section 5); each attempt gives up after ``connect_timeout``.
- The first attempt to connect wins; the others still running are
  cancelled. Addresses that arrive late join the queue. When every attempt
  failed and both lookups are over, the result is an error naming them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HappyEyeballs",
    "Resolve",
    "Connect",
    "Cancel",
    "Done",
    "interleave",
    "AAAA_TIMEOUT",
    "CONNECT_DELAY",
    "CONNECT_TIMEOUT",
]

MS = 1_000_000
AAAA_TIMEOUT = 50 * MS
CONNECT_DELAY = 50 * MS
CONNECT_TIMEOUT = 10_000 * MS

Addr = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Resolve:
    """Look ``host`` up for ``rr`` (``"AAAA"`` or ``"A"``); answer with :meth:`HappyEyeballs.resolved`."""

    rr: str
    host: str


@dataclass(frozen=True, slots=True)
class Connect:
    """Start attempt ``id``: a TCP connection to ``(ip, port)``."""

    id: int
    ip: Addr
    port: int


@dataclass(frozen=True, slots=True)
class Cancel:
    """Attempt ``id`` lost the race (or timed out): drop it, closing its flow if it connected."""

    id: int


@dataclass(frozen=True, slots=True)
class Done:
    """The outcome: ``winner`` is the id of the attempt that connected, or None with ``error``."""

    winner: int | None
    error: str | None = None
    ip: Addr | None = None
    port: int | None = None


def interleave(addrs: list[Addr]) -> list[Addr]:
    """RFC 8305 section 4: IPv6 first, then alternate the families, each in its given order."""
    v6: list[Addr] = [a for a in addrs if a.version == 6]
    v4: list[Addr] = [a for a in addrs if a.version == 4]
    out: list[Addr] = []
    for i in range(max(len(v6), len(v4))):
        out += v6[i : i + 1] + v4[i : i + 1]
    return out


@dataclass
class _Attempt:
    ip: Addr
    port: int
    started: int
    failed: bool = False


@dataclass
class HappyEyeballs:
    """One connection's race (see the module docstring)."""

    host: str
    ports: list[int]
    aaaa_timeout: int = AAAA_TIMEOUT
    connect_delay: int = CONNECT_DELAY
    connect_timeout: int = CONNECT_TIMEOUT
    pending_rr: set[str] = field(default_factory=set)
    queue: list[tuple[Addr, int]] = field(default_factory=list)
    seen: list[Addr] = field(default_factory=list)
    attempts: dict[int, _Attempt] = field(default_factory=dict)
    tried: list[_Attempt] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    next_id: int = 0
    next_start: int | None = None
    wait_aaaa_until: int | None = None
    done: Done | None = None

    # --- inputs -----------------------------------------------------------------

    def start(self, now: int) -> list[Any]:
        """Begin: an address literal is tried at once; a name is looked up (AAAA and A together)."""
        try:
            ip = ipaddress.ip_address(self.host)
        except ValueError:
            self.pending_rr = {"AAAA", "A"}
            return [Resolve("AAAA", self.host), Resolve("A", self.host)]
        self._add([ip])
        self.next_start = now
        return self._advance(now)

    def resolved(self, now: int, rr: str, addrs: list[Any] | None) -> list[Any]:
        """The answer to :class:`Resolve` ``rr``: the addresses, or None if the lookup failed."""
        if self.done is not None or rr not in self.pending_rr:
            return []
        self.pending_rr.discard(rr)
        found = [ipaddress.ip_address(str(a)) for a in addrs or []]
        if addrs is None:
            self.errors.append(f"{rr} lookup of {self.host} failed")
        self._add(found)
        if self.next_start is None and self.queue:
            if rr == "A" and "AAAA" in self.pending_rr:
                # section 3: A came first; give AAAA the resolution delay
                self.wait_aaaa_until = now + self.aaaa_timeout
            else:
                self.next_start = now
        if rr == "AAAA" and self.wait_aaaa_until is not None:
            self.wait_aaaa_until = None
            self.next_start = now
        return self._advance(now)

    def connected(self, now: int, attempt: int) -> list[Any]:
        """Attempt ``attempt`` connected: it wins unless another did first (then it is cancelled)."""
        a = self.attempts.get(attempt)
        if a is None:
            return [Cancel(attempt)]
        if self.done is not None:
            del self.attempts[attempt]
            return [Cancel(attempt)]
        del self.attempts[attempt]
        out: list[Any] = [Cancel(i) for i in sorted(self.attempts)]
        self.attempts.clear()
        self.done = Done(attempt, None, a.ip, a.port)
        return [*out, self.done]

    def connect_failed(self, now: int, attempt: int, reason: str = "refused") -> list[Any]:
        """Attempt ``attempt`` failed: the next address is tried at once."""
        a = self.attempts.pop(attempt, None)
        if a is None or self.done is not None:
            return []
        self.errors.append(f"{_pp(a.ip, a.port)}: {reason}")
        self.next_start = now
        return self._advance(now)

    def timer(self, now: int) -> list[Any]:
        """Time passed: resolution delay over, next attempt due, attempts timed out."""
        if self.done is not None:
            return []
        out: list[Any] = []
        for i, a in sorted(self.attempts.items()):
            if now >= a.started + self.connect_timeout:
                del self.attempts[i]
                self.errors.append(f"{_pp(a.ip, a.port)}: timed out")
                out.append(Cancel(i))
                self.next_start = now if self.next_start is None else min(self.next_start, now)
        if self.wait_aaaa_until is not None and now >= self.wait_aaaa_until:
            self.wait_aaaa_until = None
            self.next_start = now
        return out + self._advance(now)

    @property
    def deadline(self) -> int | None:
        """When :meth:`timer` must be called next (None: only an input can move the race on)."""
        if self.done is not None:
            return None
        ts = [a.started + self.connect_timeout for a in self.attempts.values()]
        if self.wait_aaaa_until is not None:
            ts.append(self.wait_aaaa_until)
        if self.next_start is not None and self.queue:
            ts.append(self.next_start)
        return min(ts) if ts else None

    # --- internals --------------------------------------------------------------

    def _add(self, addrs: list[Addr]) -> None:
        """Queue new addresses: all known ones interleaved (section 4), less the attempts already made."""
        self.seen += [a for a in dict.fromkeys(addrs) if a not in self.seen]
        made = {(a.ip, a.port) for a in self.tried}
        self.queue = [(a, p) for a in interleave(self.seen) for p in self.ports if (a, p) not in made]

    def _advance(self, now: int) -> list[Any]:
        out: list[Any] = []
        if self.done is not None:
            return out
        if self.wait_aaaa_until is None and self.next_start is not None and now >= self.next_start and self.queue:
            ip, port = self.queue.pop(0)
            i = self.next_id
            self.next_id += 1
            self.attempts[i] = _Attempt(ip, port, now)
            self.tried.append(self.attempts[i])
            out.append(Connect(i, ip, port))
            self.next_start = now + self.connect_delay
        if not self.attempts and not self.queue and not self.pending_rr and self.wait_aaaa_until is None:
            why = "; ".join(self.errors) if self.errors else "no address"
            self.done = Done(None, f"connecting to {self.host} failed: {why}")
            out.append(self.done)
        return out


def _pp(ip: Addr, port: int) -> str:
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
