"""One TCP connection as a sans-IO state machine (RFC 9293, 6298, 5681, 6582, 3042, 7323, 5961).

Every entry point takes ``now`` (virtual nanoseconds) and returns an immutable
``Step``: events for the application, segments for the wire, next deadline.
No clock, socket or event loop lives here; the caller delivers segments and
calls ``timer(now)`` when the deadline comes.

Map from RFC 9293 §3.10 to the handlers below (utcp's habit):

- OPEN call (§3.10.1): ``Connection.connect`` / ``Connection.listen``
- SEND, CLOSE, ABORT calls (§3.10.2-5): ``send``, ``shutdown``/``close``, ``abort``
- SEGMENT ARRIVES in CLOSED (§3.10.7.1): ``_arrive_closed``
- ... in LISTEN (§3.10.7.2): ``_arrive_listen``
- ... in SYN-SENT (§3.10.7.3): ``_arrive_syn_sent``
- ... otherwise (§3.10.7.4): ``_arrive_synchronized``, whose steps are
  ``_acceptable`` (first), the RST check with RFC 5961 §3 (second),
  the SYN check with RFC 5961 §4 (fourth), ``_process_ack`` with the RFC 5961
  §5 range check (fifth), ``_process_text`` (seventh) and ``_process_fin`` (eighth).
- Timeouts (§3.10.8): ``timer`` -> ``_on_rexmt`` (RFC 6298 §5, or the persist
  timer of §3.8.6.1), delayed ACK (RFC 1122 §4.2.3.2), TIME-WAIT (2*MSL), FIN-WAIT-2.

Sequence numbers are kept internally as unbounded integers: a 32-bit value
from the wire is lifted next to a reference (``_lift``) once, so every later
comparison is plain integer order and wraparound never has to be thought about.

Departures, on purpose (listed in one place, as utcp's README does):

- No urgent data (RFC 9293 §3.8.5 semantics are ignored; the pointer is carried).
- Timestamps (RFC 7323) are sent and echoed, but PAWS is not applied and RTT
  is measured by timing one segment at a time (RFC 6298 with Karn's rule).
- SACK blocks (RFC 2018) are sent for out-of-order data; as a sender we
  recover with NewReno (RFC 6582) and do not use the peer's SACK blocks.
- Data carried on a SYN is not delivered (no TFO); the peer retransmits it.
- Challenge ACKs are not rate-limited (RFC 5961 §7 makes that a SHOULD).
- No keepalive.
- A passive connection hit by a SYN in SYN-RECEIVED is dropped rather than
  returned to LISTEN (the endpoint's listener stays, so the effect is the same).
- Data arriving after ``close()`` is still delivered (Linux would answer it with RST).
- ``receive`` takes an "ESTABLISHED and in order" shortcut, Van Jacobson's header
  prediction; tests check that it changes nothing on the wire.
"""

from __future__ import annotations

from bisect import insort

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net.tcp.events import (
    Closed,
    Connected,
    DataReceived,
    Event,
    PeerClosed,
    Refused,
    Reset,
    Step,
    TimedOut,
)
from mirage_nb.sim.net.tcp.state import RECEIVING, SENDING, TcpState
from mirage_nb.sim.net.tcp.timers import MS, RtoEstimator, TcpConfig
from mirage_nb.sim.net.tcp.wire import Segment

__all__ = ["Connection", "rst_for"]

MASK = 0xFFFFFFFF
_HALF = 1 << 31
_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_SENT = TcpState.SYN_SENT
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_ESTABLISHED = TcpState.ESTABLISHED
_FIN_WAIT_1 = TcpState.FIN_WAIT_1
_FIN_WAIT_2 = TcpState.FIN_WAIT_2
_CLOSE_WAIT = TcpState.CLOSE_WAIT
_CLOSING = TcpState.CLOSING
_LAST_ACK = TcpState.LAST_ACK
_TIME_WAIT = TcpState.TIME_WAIT

_CONNECTED = Connected()
_PEER_CLOSED = PeerClosed()
_RESET = Reset()
_REFUSED = Refused()
_TIMED_OUT = TimedOut()
_CLOSED_EV = Closed()


def _lift(value: int, ref: int) -> int:
    """The unbounded sequence number nearest ``ref`` whose low 32 bits are ``value`` (RFC 1982 order)."""
    d = (value - ref) & MASK
    return ref + d - (1 << 32) if d >= _HALF else ref + d


def rst_for(seg: Segment) -> Segment | None:
    """The reset RFC 9293 §3.10.7.1 answers ``seg`` with when no connection exists (None for a RST)."""
    if seg.flags & _RST:
        return None
    if seg.flags & _ACK:
        return Segment(seg.dst_port, seg.src_port, seg.ack, 0, _RST)
    return Segment(seg.dst_port, seg.src_port, 0, (seg.seq + seg.seg_len) & MASK, _RST | _ACK)


class Connection:
    """One TCP connection control block plus its send and receive queues.

    Create one with ``Connection.connect`` (active open) or
    ``Connection.listen`` (passive open, waiting for one SYN). Mutable inside,
    like h11's ``Connection``; everything it says comes out as ``Step`` values.
    Any exception other than ``LocalProtocolError`` (a call the state forbids)
    escaping a method is a bug.
    """

    __slots__ = (
        "config",
        "state",
        "local_port",
        "remote_port",
        "passive",
        # send sequence space (unbounded integers)
        "iss",
        "snd_una",
        "snd_nxt",
        "snd_max",
        "snd_wnd",
        "snd_wl1",
        "snd_wl2",
        "max_snd_wnd",
        "_sndbuf",
        "_buf_seq",
        "_fin_queued",
        "_fin_seq",
        # receive sequence space
        "irs",
        "rcv_nxt",
        "rcv_adv",
        "_ooo",
        "_ooo_fin",
        "_last_ooo",
        "_held",
        "_peer_fin",
        # negotiated options
        "snd_mss",
        "_snd_scale",
        "_rcv_scale",
        "_ws_ok",
        "_sack_ok",
        "_ts_ok",
        "_ts_recent",
        "_ts_offset",
        # congestion control
        "cwnd",
        "ssthresh",
        "_dupacks",
        "_recover",
        "_in_recovery",
        # timing
        "rto",
        "_rtt_seq",
        "_rtt_start",
        "_retries",
        "_syn_retransmitted",
        "_persist",
        "_rexmt_at",
        "_delack_at",
        "_tw_at",
        "_fw2_at",
        "_ack_now",
        "_unacked_segs",
        "_app_closed",
        # per-call output
        "_ev",
        "_out",
        # statistics, for displays and tests
        "retransmissions",
        "challenge_acks",
    )

    def __init__(
        self,
        config: TcpConfig,
        *,
        local_port: int,
        remote_port: int = 0,
        iss: int = 0,
        ts_offset: int = 0,
    ) -> None:
        """A CLOSED connection; use ``connect`` or ``listen`` instead of calling this directly."""
        if not 0 <= iss <= MASK:
            raise LocalProtocolError(f"TCP initial sequence number: {iss}, expected 0..2**32-1")
        self.config = config
        self.state = _CLOSED
        self.local_port = local_port
        self.remote_port = remote_port
        self.passive = False
        self.iss = iss
        self.snd_una = iss
        self.snd_nxt = iss
        self.snd_max = iss
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = iss
        self.max_snd_wnd = 0
        self._sndbuf = bytearray()
        self._buf_seq = iss + 1
        self._fin_queued = False
        self._fin_seq: int | None = None
        self.irs = 0
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self._ooo: list[tuple[int, bytes]] = []
        self._ooo_fin: int | None = None
        self._last_ooo = 0
        self._held = 0
        self._peer_fin = False
        self.snd_mss = 536
        self._snd_scale = 0
        self._rcv_scale = 0
        self._ws_ok = False
        self._sack_ok = False
        self._ts_ok = False
        self._ts_recent = 0
        self._ts_offset = ts_offset & MASK
        self.cwnd = 0
        self.ssthresh = 1 << 30
        self._dupacks = 0
        self._recover = iss
        self._in_recovery = False
        self.rto = RtoEstimator(config)
        self._rtt_seq: int | None = None
        self._rtt_start = 0
        self._retries = 0
        self._syn_retransmitted = False
        self._persist = False
        self._rexmt_at: int | None = None
        self._delack_at: int | None = None
        self._tw_at: int | None = None
        self._fw2_at: int | None = None
        self._ack_now = False
        self._unacked_segs = 0
        self._app_closed = False
        self._ev: list[Event] = []
        self._out: list[Segment] = []
        self.retransmissions = 0
        self.challenge_acks = 0

    # ------------------------------------------------------------------ opens

    @classmethod
    def connect(
        cls,
        now: int,
        config: TcpConfig,
        *,
        local_port: int,
        remote_port: int,
        iss: int,
        ts_offset: int = 0,
    ) -> tuple[Connection, Step]:
        """Active OPEN (RFC 9293 §3.10.1): a SYN-SENT connection and the SYN to send."""
        c = cls(config, local_port=local_port, remote_port=remote_port, iss=iss, ts_offset=ts_offset)
        c.state = _SYN_SENT
        c.snd_nxt = c.snd_max = iss + 1
        c._send_syn(now, ack=False)
        c._rtt_seq, c._rtt_start = iss, now
        c._rexmt_at = now + c.rto.rto
        return c, c._step()

    @classmethod
    def listen(cls, config: TcpConfig, *, local_port: int, iss: int, ts_offset: int = 0) -> Connection:
        """Passive OPEN (RFC 9293 §3.10.1): a LISTEN connection that will take the first SYN it receives."""
        c = cls(config, local_port=local_port, iss=iss, ts_offset=ts_offset)
        c.state = _LISTEN
        c.passive = True
        return c

    # -------------------------------------------------------------- user calls

    @property
    def deadline(self) -> int | None:
        """The earliest pending timer (ns), or None."""
        d = self._rexmt_at
        for t in (self._delack_at, self._tw_at, self._fw2_at):
            if t is not None and (d is None or t < d):
                d = t
        return d

    @property
    def can_send(self) -> bool:
        """Whether ``send`` is allowed: the connection is open (or opening) and not shut down for writing."""
        return self.state in (_SYN_SENT, _SYN_RECEIVED, _ESTABLISHED, _CLOSE_WAIT) and not self._fin_queued

    @property
    def send_buffered(self) -> int:
        """Bytes written by the application and not yet acknowledged by the peer."""
        return len(self._sndbuf)

    @property
    def bytes_in_flight(self) -> int:
        """Sequence space sent and not yet acknowledged."""
        return self.snd_max - self.snd_una

    def send(self, now: int, data: bytes) -> Step:
        """SEND call (§3.10.2): queue ``data`` and transmit what the windows allow.

        Raises ``LocalProtocolError`` after ``shutdown``/``close`` or once the
        connection is gone (the flow shell maps it to mirage's ``Error `Closed``).
        """
        if not self.can_send:
            raise LocalProtocolError(f"TCP send: connection is {self.state} and closed for writing")
        if data:
            self._sndbuf += data
            if self.state is _ESTABLISHED or self.state is _CLOSE_WAIT:
                self._output(now)
        return self._step()

    def consume(self, now: int, nbytes: int) -> Step:
        """The application has read ``nbytes`` of delivered data: reopen the receive window.

        Only meaningful with ``TcpConfig(auto_consume=False)``. Sends a window
        update when the window grows enough to matter (receiver SWS avoidance,
        RFC 1122 §4.2.3.3).
        """
        if nbytes < 0 or nbytes > self._held:
            raise LocalProtocolError(f"TCP consume: {nbytes} bytes, but only {self._held} are unread")
        before = self.rcv_adv
        self._held -= nbytes
        if self.state in RECEIVING or self.state is _SYN_RECEIVED:
            free = self.config.rcv_buffer - self._held
            if self.rcv_nxt + free - before >= min(self.config.rcv_buffer // 2, self.snd_mss):
                self._send_ack(now)
        return self._step()

    def shutdown(self, now: int) -> Step:
        """Close our sending direction (CLOSE of §3.10.4): FIN goes out after the queued data."""
        st = self.state
        if st is _LISTEN or st is _SYN_SENT:
            self._enter_closed()
        elif st is _SYN_RECEIVED:
            # §3.10.4: queue the FIN; ``_establish`` moves on to FIN-WAIT-1 and sends it.
            self._fin_queued = True
        elif st is _ESTABLISHED:
            self._fin_queued = True
            self.state = _FIN_WAIT_1
            self._output(now)
        elif st is _CLOSE_WAIT:
            self._fin_queued = True
            self.state = _LAST_ACK
            self._output(now)
        return self._step()

    def close(self, now: int) -> Step:
        """Close both directions (mirage ``close``): shutdown, and stop waiting for the peer forever."""
        self._app_closed = True
        step = self.shutdown(now)
        if self.state is _FIN_WAIT_2 and self._fin_queued and self._fw2_at is None:
            self._fw2_at = now + self.config.fin_wait_2_timeout
            return self._step()
        return step

    def abort(self, now: int) -> Step:
        """ABORT call (§3.10.5): send RST if synchronized, drop everything, report Reset and Closed."""
        st = self.state
        if st in (_SYN_RECEIVED, _ESTABLISHED, _FIN_WAIT_1, _FIN_WAIT_2, _CLOSE_WAIT):
            self._out.append(Segment(self.local_port, self.remote_port, self.snd_nxt & MASK, 0, _RST))
        if st is not _CLOSED:
            if st is not _LISTEN:
                self._ev.append(_RESET)
            self._enter_closed()
        return self._step()

    # ------------------------------------------------------------------ timers

    def timer(self, now: int) -> Step:
        """Fire every timer whose deadline is at or before ``now`` (§3.10.8)."""
        if self._rexmt_at is not None and self._rexmt_at <= now:
            self._rexmt_at = None
            self._on_rexmt(now)
        if self._delack_at is not None and self._delack_at <= now:
            self._delack_at = None
            if self.state is not _CLOSED:
                self._send_ack(now)
        if self._tw_at is not None and self._tw_at <= now:
            self._tw_at = None
            self._enter_closed()
        if self._fw2_at is not None and self._fw2_at <= now:
            self._fw2_at = None
            if self.state is _FIN_WAIT_2:
                self._enter_closed()
        return self._step()

    def _on_rexmt(self, now: int) -> None:
        st = self.state
        if self._persist or (st in SENDING and self.snd_wnd == 0 and self.snd_una < self._buf_seq + len(self._sndbuf)):
            # §3.8.6.1 zero-window probe: one byte beyond the window, never counted as a failure
            # (RFC 1122 §4.2.2.17: keep probing while the peer answers).
            self._persist = True
            self._persist_probe(now)
            return
        if st not in SENDING and st is not _SYN_SENT and st is not _SYN_RECEIVED:
            return
        self._retries += 1
        limit = self.config.max_syn_retries if st in (_SYN_SENT, _SYN_RECEIVED) else self.config.max_retries
        if self._retries > limit:
            self._ev.append(_TIMED_OUT)
            self._enter_closed()
            return
        self.rto.expired()
        self._rtt_seq = None  # Karn: nothing retransmitted is timed
        self.retransmissions += 1
        if st is _SYN_SENT:
            self._syn_retransmitted = True
            self._send_syn(now, ack=False)
        elif st is _SYN_RECEIVED:
            self._syn_retransmitted = True
            self._send_syn(now, ack=True)
        else:
            # RFC 5681 §3.1 eq. (4) and "loss window": back to one segment, go back N.
            mss = self.snd_mss
            flight = self.snd_max - self.snd_una
            self.ssthresh = max(flight // 2, 2 * mss)
            self.cwnd = mss
            self._in_recovery = False
            self._dupacks = 0
            self._recover = self.snd_max
            self.snd_nxt = self.snd_una
            self._output(now, retransmit=True)
        self._rexmt_at = now + self.rto.rto

    def _persist_probe(self, now: int) -> None:
        if self.state not in SENDING:
            self._persist = False
            return
        end = self._buf_seq + len(self._sndbuf)
        if self.snd_wnd == 0 and self.snd_una < end:
            off = self.snd_una - self._buf_seq
            payload = bytes(self._sndbuf[off : off + 1])
            self._emit(now, _ACK, self.snd_una, payload)
            if self.snd_nxt < self.snd_una + 1:
                self.snd_nxt = self.snd_una + 1
            if self.snd_max < self.snd_nxt:
                self.snd_max = self.snd_nxt
            self.rto.expired()
            self._rexmt_at = now + max(self.rto.rto, 200 * MS)
        else:
            self._persist = False
            self._output(now)

    # --------------------------------------------------------- segment arrival

    def receive(self, now: int, seg: Segment) -> Step:
        """SEGMENT ARRIVES (§3.10.7): feed one decoded segment for this connection."""
        st = self.state
        if (st is _ESTABLISHED or st is _FIN_WAIT_1 or st is _CLOSE_WAIT) and self._header_prediction(now, seg):
            return self._step()
        if st is _ESTABLISHED or (st is not _LISTEN and st is not _SYN_SENT and st is not _CLOSED):
            self._arrive_synchronized(now, seg)
        elif st is _SYN_SENT:
            self._arrive_syn_sent(now, seg)
        elif st is _LISTEN:
            self._arrive_listen(now, seg)
        else:
            self._arrive_closed(seg)
        return self._step()

    def _header_prediction(self, now: int, seg: Segment) -> bool:
        """Van Jacobson's fast path (BSD/Linux tcp_input): the next in-order segment of a quiet flow.

        Taken only when the full §3.10.7.4 processing would do exactly the same:
        plain ACK flag, SEQ = RCV.NXT, unchanged window, no recovery, probe or
        reassembly under way; then it is either a pure ACK of new data (not of
        our FIN) in ESTABLISHED, FIN-WAIT-1 or CLOSE-WAIT, or pure in-window data
        acknowledging nothing new in ESTABLISHED. Anything else returns False.
        """
        f = seg.flags
        if (
            f & 0x37 != _ACK  # no SYN/FIN/RST/URG, ACK set (PSH allowed)
            or seg.seq != self.rcv_nxt & MASK
            or (seg.window << self._snd_scale) != self.snd_wnd
            or self._in_recovery
            or self._persist
            or self._ooo
            or self._ooo_fin is not None
        ):
            return False
        payload = seg.payload
        una = self.snd_una
        if not payload:
            ack = _lift(seg.ack, una)
            if not una < ack <= self.snd_max or (self._fin_seq is not None and ack > self._fin_seq):
                return False  # nothing new, too new, or acking our FIN: the full path decides
            if self._ts_ok and seg.timestamps is not None:
                self._ts_recent = seg.timestamps[0]
            self._ack_advances(now, ack)
            self.snd_wl1, self.snd_wl2 = self.rcv_nxt, ack
            self._output(now)
            return True
        if (
            self.state is not _ESTABLISHED
            or seg.ack != una & MASK
            or len(payload) > self.rcv_adv - self.rcv_nxt
            or self._peer_fin
        ):
            return False
        if self._ts_ok and seg.timestamps is not None:
            self._ts_recent = seg.timestamps[0]
        self.snd_wl1, self.snd_wl2 = self.rcv_nxt, una
        self._process_text(now, self.rcv_nxt, payload)
        if self._sndbuf and self.snd_nxt < self._buf_seq + len(self._sndbuf):
            self._output(now)
        if self._ack_now:
            self._send_ack(now)
        return True

    def _arrive_closed(self, seg: Segment) -> None:
        rst = rst_for(seg)
        if rst is not None:
            self._out.append(rst)

    def _arrive_listen(self, now: int, seg: Segment) -> None:
        f = seg.flags
        if f & _RST:
            return
        if f & _ACK:
            self._out.append(Segment(self.local_port, seg.src_port, seg.ack, 0, _RST))
            return
        if not f & _SYN:
            return
        self.remote_port = seg.src_port
        self.irs = seg.seq
        self.rcv_nxt = seg.seq + 1
        self._take_syn_options(seg)
        self.snd_wnd = seg.window  # never scaled on a SYN (RFC 7323 §2.2)
        self.max_snd_wnd = self.snd_wnd
        self.snd_wl1 = self.rcv_nxt
        self.state = _SYN_RECEIVED
        self.snd_nxt = self.snd_max = self.iss + 1
        self._send_syn(now, ack=True)
        self._rtt_seq, self._rtt_start = self.iss, now
        self._rexmt_at = now + self.rto.rto

    def _arrive_syn_sent(self, now: int, seg: Segment) -> None:
        f = seg.flags
        ack = 0
        if f & _ACK:
            ack = _lift(seg.ack, self.snd_una)
            if ack <= self.iss or ack > self.snd_max:
                if not f & _RST:
                    self._out.append(Segment(self.local_port, seg.src_port, seg.ack, 0, _RST))
                return
        if f & _RST:
            # Valid only when it acknowledges our SYN (RFC 5961 §3.2 / RFC 9293 §3.10.7.3).
            if f & _ACK:
                self._ev.append(_REFUSED)
                self._enter_closed()
            return
        if not f & _SYN:
            return
        self.irs = seg.seq
        self.rcv_nxt = seg.seq + 1
        self._take_syn_options(seg)
        self.snd_wnd = seg.window
        self.max_snd_wnd = self.snd_wnd
        self.snd_wl1 = self.rcv_nxt
        if f & _ACK:
            self.snd_wl2 = ack
            self._ack_advances(now, ack)
            self._establish()
            self._ack_now = True
            self._output(now)
            if self._ack_now:
                self._send_ack(now)
        else:
            # Simultaneous open (§3.5, figure 7): answer with SYN,ACK from the same ISS.
            self.state = _SYN_RECEIVED
            self._send_syn(now, ack=True)
            self._rexmt_at = now + self.rto.rto

    def _arrive_synchronized(self, now: int, seg: Segment) -> None:
        f = seg.flags
        st = self.state
        rcv_nxt = self.rcv_nxt
        seq = _lift(seg.seq, rcv_nxt)
        payload = seg.payload
        if st is _SYN_RECEIVED and f & _SYN and seq == self.irs:
            if f & _ACK and not f & _RST:
                # Simultaneous open: the peer's SYN,ACK repeats the SYN we hold; keep its ACK.
                f &= ~_SYN
                seq += 1
            elif not f & (_ACK | _RST):
                # A retransmitted SYN: our SYN,ACK was lost.
                self._send_syn(now, ack=True)
                return
        plen = len(payload)
        slen = plen + (1 if f & _SYN else 0) + (1 if f & _FIN else 0)
        wnd = self.rcv_adv - rcv_nxt
        if wnd < 0:
            wnd = 0
        # First: the acceptability test of §3.10.7.4 (four cases).
        if slen == 0:
            ok = seq == rcv_nxt if wnd == 0 else rcv_nxt <= seq < rcv_nxt + wnd
        elif wnd == 0:
            # Zero window: nothing is acceptable, but the ACK of a probe at RCV.NXT is still used.
            ok = False
            if seq == rcv_nxt and f & _ACK and not f & (_RST | _SYN):
                self._process_ack(now, seg, seq, f, payload_len=plen)
                if self.state is not _CLOSED:
                    self._send_ack(now)
                return
        else:
            end = seq + slen - 1
            ok = (rcv_nxt <= seq < rcv_nxt + wnd) or (rcv_nxt <= end < rcv_nxt + wnd)
        if not ok:
            if f & _RST:
                return  # RFC 5961 §3.2: out-of-window RST is silently dropped
            if f & _SYN and st is not _SYN_RECEIVED:
                self._challenge_ack(now)
                return
            if st is _TIME_WAIT and f & _FIN:
                self._tw_at = now + 2 * self.config.msl
            self._send_ack(now)
            return
        # Second: RST, RFC 5961 §3.2 — only an exact match resets, the rest gets a challenge ACK.
        if f & _RST:
            if seq != rcv_nxt:
                self._challenge_ack(now)
                return
            if st is _SYN_RECEIVED or st in RECEIVING or st is _CLOSE_WAIT:
                self._ev.append(_RESET)
            self._enter_closed()
            return
        # Fourth: SYN in a synchronized state, RFC 5961 §4.2 — challenge ACK, whatever its sequence.
        if f & _SYN:
            if st is _SYN_RECEIVED and self.passive:
                # §3.10.7.4: a passive open returns to LISTEN; with one object per flow we just drop it.
                self._ev.append(_RESET)
                self._enter_closed()
                return
            self._challenge_ack(now)
            return
        # Trim to the window (§3.10.7.4: "segments with higher beginning sequence numbers ...").
        if seq < rcv_nxt:
            cut = rcv_nxt - seq
            payload = payload[cut:] if cut < plen else b""
            if cut > plen and f & _FIN:
                f &= ~_FIN  # a duplicate FIN only
            seq = rcv_nxt
            self._ack_now = True
        limit = rcv_nxt + wnd
        if seq + len(payload) > limit:
            payload = payload[: max(0, limit - seq)]
            f &= ~_FIN
            self._ack_now = True
        if self._ts_ok and seg.timestamps is not None and seq <= rcv_nxt:
            self._ts_recent = seg.timestamps[0]
        # Fifth: the ACK field.
        if not f & _ACK:
            return
        if not self._process_ack(now, seg, seq, f, payload_len=len(payload)):
            return
        st = self.state
        if st is _CLOSED:
            return
        # Seventh: segment text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only.
        if payload and st in RECEIVING and not self._peer_fin:
            self._process_text(now, seq, payload)
        # Eighth: FIN.
        if f & _FIN:
            fin_seq = seq + len(payload)
            if st is _TIME_WAIT:
                self._tw_at = now + 2 * self.config.msl
                self._ack_now = True
            elif fin_seq == self.rcv_nxt and not self._peer_fin:
                self._process_fin(now)
            elif fin_seq > self.rcv_nxt and st in RECEIVING:
                self._ooo_fin = fin_seq
                self._ack_now = True
            else:
                self._ack_now = True
        if self.state in SENDING:
            self._output(now)
        if self._ack_now and self.state is not _CLOSED:
            self._send_ack(now)

    def _process_ack(self, now: int, seg: Segment, seq: int, f: int, payload_len: int) -> bool:
        """Fifth step: returns False when the segment must be dropped here."""
        ack = _lift(seg.ack, self.snd_una)
        st = self.state
        if st is _SYN_RECEIVED:
            if self.snd_una < ack <= self.snd_max:
                self.snd_wnd = seg.window << self._snd_scale
                self.max_snd_wnd = max(self.max_snd_wnd, self.snd_wnd)
                self.snd_wl1, self.snd_wl2 = seq, ack
                self._establish()
                st = self.state
            else:
                self._out.append(Segment(self.local_port, self.remote_port, seg.ack, 0, _RST))
                return False
        # RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
        if ack > self.snd_max:
            self._send_ack(now)
            return False
        if ack < self.snd_una - self.max_snd_wnd:
            self._challenge_ack(now)
            return False
        wnd = seg.window << self._snd_scale
        if ack > self.snd_una:
            self._ack_advances(now, ack)
        elif (
            ack == self.snd_una
            and payload_len == 0
            and not f & (_SYN | _FIN)
            and wnd == self.snd_wnd
            and self.snd_max > self.snd_una
            and not self._persist
        ):
            self._duplicate_ack(now)
        # Window update (§3.10.7.4, SND.WL1/SND.WL2 rule).
        if self.snd_wl1 < seq or (self.snd_wl1 == seq and self.snd_wl2 <= ack):
            self.snd_wnd = wnd
            self.snd_wl1, self.snd_wl2 = seq, ack
            if wnd > self.max_snd_wnd:
                self.max_snd_wnd = wnd
            if self._persist and wnd > 0:
                self._persist = False
                self._rexmt_at = None
                self.rto.backoff = 0
                if self.snd_max > self.snd_una:
                    self._rexmt_at = now + self.rto.rto
        fin_acked = self._fin_seq is not None and self.snd_una > self._fin_seq
        if fin_acked:
            if st is _FIN_WAIT_1:
                self.state = _FIN_WAIT_2
                if self._app_closed:
                    self._fw2_at = now + self.config.fin_wait_2_timeout
            elif st is _CLOSING:
                self._enter_time_wait(now)
            elif st is _LAST_ACK:
                self._enter_closed()
                return False
        return True

    def _ack_advances(self, now: int, ack: int) -> None:
        """New data acknowledged: RTT sample, free the buffer, grow cwnd, rearm the timer."""
        acked = ack - self.snd_una
        if self._rtt_seq is not None and ack > self._rtt_seq:
            self.rto.sample(now - self._rtt_start)
            self._rtt_seq = None
        drop = min(ack, self._buf_seq + len(self._sndbuf)) - self._buf_seq
        if drop > 0:
            del self._sndbuf[:drop]
            self._buf_seq += drop
        self.snd_una = ack
        if self.snd_nxt < ack:
            self.snd_nxt = ack
        self._retries = 0
        self.rto.backoff = 0
        mss = self.snd_mss
        if self._in_recovery:
            if ack >= self._recover:
                # RFC 6582 §3.2 step 3, full acknowledgment: deflate and leave recovery.
                self.cwnd = min(self.ssthresh, max(self.snd_max - ack, 0) + mss)
                self._in_recovery = False
            else:
                # Partial acknowledgment: the next hole is lost too; retransmit it now.
                self._retransmit_head(now)
                self.cwnd = max(self.cwnd - acked + mss, mss)
        elif self.cwnd < self.ssthresh:
            self.cwnd += min(acked, mss)  # slow start, RFC 5681 §3.1
        else:
            self.cwnd += max(1, mss * mss // self.cwnd)  # congestion avoidance, eq. (3)
        self._dupacks = 0
        if self.snd_una >= self.snd_max:
            self._rexmt_at = None
        elif not self._persist:
            self._rexmt_at = now + self.rto.rto

    def _duplicate_ack(self, now: int) -> None:
        self._dupacks += 1
        mss = self.snd_mss
        if self._in_recovery:
            self.cwnd += mss  # RFC 5681 §3.2 step 4: inflate for each segment that left
            self._output(now)
        elif self._dupacks < 3:
            # Limited transmit (RFC 3042): each of the first two duplicate ACKs may clock out one
            # new segment, so that a small flight still produces the three that trigger recovery.
            cwnd = self.cwnd
            self.cwnd = cwnd + self._dupacks * mss
            self._output(now)
            self.cwnd = cwnd
        elif self._dupacks == 3 and self.snd_una >= self._recover:
            # Fast retransmit (RFC 5681 §3.2, RFC 6582 §3.2 step 2).
            flight = self.snd_max - self.snd_una
            self.ssthresh = max(flight // 2, 2 * mss)
            self._recover = self.snd_max
            self._in_recovery = True
            self._retransmit_head(now)
            self.cwnd = self.ssthresh + 3 * mss

    def _retransmit_head(self, now: int) -> None:
        """Send again the first unacknowledged segment (fast retransmit, partial ACK)."""
        una = self.snd_una
        off = una - self._buf_seq
        n = min(self.snd_mss, len(self._sndbuf) - off)
        flags = _ACK
        if n > 0:
            payload = bytes(self._sndbuf[off : off + n])
            if self._fin_seq is not None and una + n == self._fin_seq:
                flags |= _FIN
        elif self._fin_seq is not None and una == self._fin_seq:
            payload = b""
            flags |= _FIN
        else:
            return
        self._rtt_seq = None
        self.retransmissions += 1
        self._emit(now, flags, una, payload)
        if self._rexmt_at is None:
            self._rexmt_at = now + self.rto.rto

    def _process_text(self, now: int, seq: int, payload: bytes) -> None:
        """Seventh step: deliver in-order text, queue out-of-order text (the reassembly queue)."""
        if seq == self.rcv_nxt:
            chunks = [payload]
            nxt = seq + len(payload)
            ooo = self._ooo
            if ooo:
                # The segment may fill a hole: pull everything that now follows in order.
                self._ack_now = True
                while ooo and ooo[0][0] <= nxt:
                    s, d = ooo.pop(0)
                    e = s + len(d)
                    if e > nxt:
                        chunks.append(d[nxt - s :])
                        nxt = e
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            self.rcv_nxt = nxt
            if not self.config.auto_consume:
                self._held += len(data)
            self._ev.append(DataReceived(data))
            if self._ooo_fin is not None and self._ooo_fin == nxt and not ooo:
                self._ooo_fin = None
                self._process_fin(now)
                return
            # Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2): every second full segment, else wait.
            self._unacked_segs += 1
            if self._unacked_segs >= 2:
                self._ack_now = True
            elif self._delack_at is None:
                self._delack_at = now + self.config.delayed_ack
        else:
            self._ooo_insert(seq, payload)
            self._ack_now = True  # RFC 5681 §4.2: out-of-order data is ACKed at once (a dup ACK)

    def _ooo_insert(self, start: int, data: bytes) -> None:
        """Add the parts of [start, start+len) not already queued; fragments never overlap."""
        end = start + len(data)
        self._last_ooo = start
        cur = start
        pieces: list[tuple[int, bytes]] = []
        for s, d in self._ooo:
            e = s + len(d)
            if e <= cur:
                continue
            if s >= end:
                break
            if s > cur:
                pieces.append((cur, data[cur - start : s - start]))
            cur = max(cur, e)
            if cur >= end:
                break
        if cur < end:
            pieces.append((cur, data[cur - start :] if cur > start else data))
        for p in pieces:
            insort(self._ooo, p)

    def _sack_blocks(self) -> tuple[tuple[int, int], ...]:
        """Up to three (four without timestamps) SACK blocks, the most recent first (RFC 2018 §4)."""
        blocks: list[tuple[int, int]] = []
        for s, d in self._ooo:
            e = s + len(d)
            if blocks and blocks[-1][1] == s:
                blocks[-1] = (blocks[-1][0], e)
            else:
                blocks.append((s, e))
        last = self._last_ooo
        blocks.sort(key=lambda b: not (b[0] <= last < b[1]))
        room = 3 if self._ts_ok else 4
        return tuple((s & MASK, e & MASK) for s, e in blocks[:room])

    def _process_fin(self, now: int) -> None:
        """Eighth step: the peer's FIN is in order — EOF for the application, and a state change."""
        self.rcv_nxt += 1
        self._peer_fin = True
        self._ack_now = True
        self._ev.append(_PEER_CLOSED)
        st = self.state
        if st is _SYN_RECEIVED or st is _ESTABLISHED:
            self.state = _CLOSE_WAIT
        elif st is _FIN_WAIT_1:
            if self._fin_seq is not None and self.snd_una > self._fin_seq:
                self._enter_time_wait(now)
            else:
                self.state = _CLOSING  # simultaneous close (§3.6, figure 13)
        elif st is _FIN_WAIT_2:
            self._enter_time_wait(now)

    # ----------------------------------------------------------------- output

    def _output(self, now: int, retransmit: bool = False) -> None:
        """Send what the send and congestion windows allow, then the FIN when its turn comes."""
        if self.state not in SENDING:
            return
        mss = self.snd_mss
        buf = self._sndbuf
        end = self._buf_seq + len(buf)
        fin_queued = self._fin_queued
        sent_any = False
        while True:
            nxt = self.snd_nxt
            wnd = self.snd_wnd if self.snd_wnd < self.cwnd else self.cwnd
            usable = self.snd_una + wnd - nxt
            unsent = end - nxt
            if unsent < 0:
                unsent = 0
            n = unsent if unsent < mss else mss
            if n > usable:
                n = usable if usable > 0 else 0
            fin = fin_queued and nxt + n == end and (self._fin_seq is None or self._fin_seq == end)
            if n <= 0 and not fin:
                break
            if n < unsent and n < mss and self.snd_max > self.snd_una and not retransmit:
                # Sender SWS avoidance (RFC 1122 §4.2.3.4): wait for a full segment's room.
                if n < self.max_snd_wnd // 2:
                    break
            if (
                self.config.nagle
                and 0 < n < mss
                and n == unsent
                and self.snd_max > self.snd_una
                and not fin
                and not retransmit
            ):
                break
            if n > 0:
                off = nxt - self._buf_seq
                payload = bytes(buf[off : off + n])
                flags = _ACK | _PSH if n == unsent else _ACK
            else:
                payload = b""
                flags = _ACK
            if fin:
                flags |= _FIN
                self._fin_seq = end
            if nxt < self.snd_max:
                self.retransmissions += 1
                if self._rtt_seq is not None and self._rtt_seq >= nxt:
                    self._rtt_seq = None
            elif self._rtt_seq is None:
                self._rtt_seq, self._rtt_start = nxt, now
            self._emit(now, flags, nxt, payload)
            sent_any = True
            nxt += n + (1 if fin else 0)
            self.snd_nxt = nxt
            if nxt > self.snd_max:
                self.snd_max = nxt
            if fin:
                break
            retransmit = False if nxt >= self.snd_max else retransmit
        if sent_any:
            if self._rexmt_at is None:
                self._rexmt_at = now + self.rto.rto
        elif self.snd_wnd == 0 and self.snd_nxt < end and self.snd_max == self.snd_una and self._rexmt_at is None:
            # Nothing in flight and a zero window: arm the persist timer (§3.8.6.1).
            self._persist = True
            self._rexmt_at = now + self.rto.rto

    def _window_field(self) -> int:
        """The window to advertise (scaled), never shrinking the right edge already offered (§3.8.6.2.2)."""
        free = self.config.rcv_buffer - self._held
        if free < 0:
            free = 0
        wnd = free >> self._rcv_scale
        if wnd > 65535:
            wnd = 65535
        edge = self.rcv_nxt + (wnd << self._rcv_scale)
        if edge > self.rcv_adv:
            self.rcv_adv = edge
        return wnd

    def _emit(self, now: int, flags: int, seq: int, payload: bytes = b"") -> None:
        """Queue one non-SYN segment carrying our ACK, window and options for the current state."""
        sack: tuple[tuple[int, int], ...] = ()
        if self._sack_ok and self._ooo:
            sack = self._sack_blocks()
        self._out.append(
            Segment(
                self.local_port,
                self.remote_port,
                seq & MASK,
                self.rcv_nxt & MASK,
                flags,
                self._window_field(),
                payload,
                0,
                None,
                None,
                False,
                sack,
                ((now // MS + self._ts_offset) & MASK, self._ts_recent) if self._ts_ok else None,
            )
        )
        # Every segment carries our ACK: nothing left to delay.
        self._ack_now = False
        self._unacked_segs = 0
        self._delack_at = None

    def _send_ack(self, now: int) -> None:
        # SEQ = SND.MAX, not SND.NXT (BSD's tcp_output does the same): after a timeout rewinds
        # SND.NXT (go-back-N), a pure ACK numbered SND.NXT would lie below the peer's RCV.NXT,
        # fail its acceptability test and be dropped with the news it carries; two peers
        # retransmitting at once would then never hear each other's ACKs.
        self._emit(now, _ACK, self.snd_max)

    def _challenge_ack(self, now: int) -> None:
        """RFC 5961 §3.2/§4.2/§5.2: an ACK with our current numbers, which a genuine peer can act on."""
        self.challenge_acks += 1
        self._send_ack(now)

    def _send_syn(self, now: int, *, ack: bool) -> None:
        """SYN or SYN,ACK with the options Linux puts on it: MSS, SACK-permitted, timestamps, window scale."""
        cfg = self.config
        if ack:
            # On a SYN,ACK only what the peer offered is echoed (RFC 7323 §1.3, RFC 2018 §2).
            ws = self._rcv_scale if self._ws_ok else None
            sack_perm = self._sack_ok
            ts = ((now // MS + self._ts_offset) & MASK, self._ts_recent) if self._ts_ok else None
        else:
            ws = cfg.window_scale
            sack_perm = cfg.sack
            ts = ((now // MS + self._ts_offset) & MASK, 0) if cfg.timestamps else None
        if ack:
            self.rcv_adv = max(self.rcv_adv, self.rcv_nxt + min(cfg.rcv_buffer, 65535))
        self._out.append(
            Segment(
                self.local_port,
                self.remote_port,
                self.iss & MASK,
                self.rcv_nxt & MASK if ack else 0,
                _SYN | _ACK if ack else _SYN,
                min(cfg.rcv_buffer - self._held, 65535),
                b"",
                0,
                cfg.mss,
                ws,
                sack_perm,
                (),
                ts,
            )
        )

    def _take_syn_options(self, seg: Segment) -> None:
        """Negotiate from the peer's SYN: MSS (RFC 9293 §3.7.1), WS (RFC 7323 §2), SACK, timestamps."""
        cfg = self.config
        peer_mss = seg.mss if seg.mss else 536
        # An option counts only when both SYNs carry it (RFC 7323 §1.3, RFC 2018 §2).
        self._ws_ok = seg.window_scale is not None
        self._sack_ok = cfg.sack and seg.sack_permitted
        self._ts_ok = cfg.timestamps and seg.timestamps is not None
        if self._ws_ok:
            self._snd_scale = min(seg.window_scale or 0, 14)
            self._rcv_scale = cfg.window_scale
        else:
            self._snd_scale = self._rcv_scale = 0
        if self._ts_ok and seg.timestamps is not None:
            self._ts_recent = seg.timestamps[0]
        mss = min(peer_mss, cfg.mss)
        if self._ts_ok:
            mss -= 12  # RFC 6691: the MSS excludes options, so room for NOP NOP TS comes out of it
        self.snd_mss = max(mss, 64)

    # ------------------------------------------------------------ transitions

    def _establish(self) -> None:
        self.state = _ESTABLISHED
        mss = self.snd_mss
        # RFC 6928 IW10, but one segment if the SYN had to be retransmitted (RFC 5681 §3.1).
        self.cwnd = mss if self._syn_retransmitted else self.config.initial_window_segments * mss
        self._ev.append(_CONNECTED)
        self._retries = 0
        if self._fin_queued:
            self.state = _FIN_WAIT_1

    def _enter_time_wait(self, now: int) -> None:
        self.state = _TIME_WAIT
        self._rexmt_at = None
        self._persist = False
        self._fw2_at = None
        self._tw_at = now + 2 * self.config.msl

    def _enter_closed(self) -> None:
        self.state = _CLOSED
        self._rexmt_at = self._delack_at = self._tw_at = self._fw2_at = None
        self._persist = False
        self._ack_now = False
        self._ev.append(_CLOSED_EV)

    def _step(self) -> Step:
        ev, out = self._ev, self._out
        if ev or out:
            self._ev, self._out = [], []
        return Step(tuple(ev), tuple(out), self.deadline)

    def __repr__(self) -> str:
        return (
            f"<Connection {self.local_port}->{self.remote_port} {self.state} "
            f"una={self.snd_una & MASK} nxt={self.snd_nxt & MASK} rcv_nxt={self.rcv_nxt & MASK}>"
        )
