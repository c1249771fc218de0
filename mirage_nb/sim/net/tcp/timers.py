"""Retransmission timing (RFC 6298) and the durations a TCP connection waits for.

Timers are data (utcp's habit): a connection keeps deadlines, in virtual
nanoseconds, and its ``timer(now)`` fires what is due. This module holds the
one piece of arithmetic behind them, the round-trip estimator, and the
defaults of ``TcpConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mirage_nb.errors import ConfigError

__all__ = ["MS", "SEC", "TcpConfig", "RtoEstimator"]

MS = 1_000_000
SEC = 1_000_000_000


@dataclass(frozen=True, slots=True)
class TcpConfig:
    """Tunables of one TCP stack; the defaults follow the RFCs, with Linux's choices where they are free.

    - ``mss``: the MSS we announce (1460 = Ethernet MTU 1500 - 40).
    - ``rcv_buffer``: receive buffer, the most we ever advertise (after scaling).
    - ``window_scale``: the shift we offer on SYN (Linux offers 7; RFC 7323).
    - ``sack``/``timestamps``: offer SACK-permitted and timestamps on SYN, as Linux does.
    - ``initial_rto``/``min_rto``/``max_rto``: RFC 6298 §2 (1 s, 1 s) and Linux's cap
      (120 s; RFC 6298 §2.5 asks for at least 60 s).
    - ``max_syn_retries``/``max_retries``: give up after that many timeouts
      (Linux: tcp_syn_retries 6, tcp_retries2 15).
    - ``delayed_ack``: how long an ACK may wait (RFC 1122 §4.2.3.2: under 500 ms; Linux 40 ms).
    - ``msl``: maximum segment lifetime; TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2).
    - ``fin_wait_2_timeout``: how long a fully closed connection waits for the peer's FIN (Linux 60 s).
    - ``initial_window_segments``: RFC 6928's IW10.
    - ``auto_consume``: received bytes count as read by the application as soon as
      they are delivered; set False to drive flow control with ``consume()``.
    - ``nagle``: RFC 896 coalescing of small writes (off by default, as in mirage-tcpip).
    """

    mss: int = 1460
    rcv_buffer: int = 262_144
    window_scale: int = 7
    sack: bool = True
    timestamps: bool = True
    initial_rto: int = 1 * SEC
    min_rto: int = 1 * SEC
    max_rto: int = 120 * SEC
    max_syn_retries: int = 6
    max_retries: int = 15
    delayed_ack: int = 40 * MS
    msl: int = 30 * SEC
    fin_wait_2_timeout: int = 60 * SEC
    initial_window_segments: int = 10
    auto_consume: bool = True
    nagle: bool = False

    def __post_init__(self) -> None:
        if not 88 <= self.mss <= 65495:
            raise ConfigError(f"TCP mss: {self.mss}, expected 88..65495")
        if not 0 <= self.window_scale <= 14:
            raise ConfigError(f"TCP window_scale: {self.window_scale}, expected 0..14 (RFC 7323 §2.3)")
        if not 1 <= self.rcv_buffer <= 65535 << self.window_scale:
            raise ConfigError(
                f"TCP rcv_buffer: {self.rcv_buffer}, expected 1..{65535 << self.window_scale} "
                f"with window_scale {self.window_scale}"
            )
        if self.min_rto <= 0 or self.initial_rto <= 0 or self.max_rto < self.min_rto:
            raise ConfigError("TCP RTO bounds: expected 0 < min_rto <= max_rto and initial_rto > 0")


class RtoEstimator:
    """SRTT/RTTVAR/RTO of RFC 6298 §2, with the exponential backoff of §5.5.

    Karn's rule (RFC 6298 §3) lives in the caller: it only feeds samples of
    segments that were never retransmitted.
    """

    __slots__ = ("srtt", "rttvar", "base_rto", "backoff", "_min", "_max")

    def __init__(self, config: TcpConfig) -> None:
        self.srtt: int | None = None
        self.rttvar = 0
        self.base_rto = config.initial_rto
        self.backoff = 0
        self._min = config.min_rto
        self._max = config.max_rto

    @property
    def rto(self) -> int:
        """The current timeout: the computed RTO doubled once per unanswered expiry, capped at max_rto."""
        return min(self.base_rto << self.backoff, self._max)

    def sample(self, rtt: int) -> None:
        """Fold one round-trip measurement (ns) in: §2.2 for the first, §2.3 after; clock granularity 1 ms."""
        if self.srtt is None:
            self.srtt = rtt
            self.rttvar = rtt // 2
        else:
            # beta = 1/4, alpha = 1/8
            self.rttvar = (3 * self.rttvar + abs(self.srtt - rtt)) // 4
            self.srtt = (7 * self.srtt + rtt) // 8
        self.base_rto = min(max(self.srtt + max(MS, 4 * self.rttvar), self._min), self._max)
        self.backoff = 0

    def expired(self) -> None:
        """§5.5: back the timer off (double it) after a retransmission timeout."""
        if (self.base_rto << self.backoff) < self._max:
            self.backoff += 1
