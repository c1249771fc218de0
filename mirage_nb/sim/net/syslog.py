"""Syslog messages as logs-syslog sends them: RFC 3164 lines, and their framing on a stream.

What a MirageOS unikernel puts on the wire when its reporter is
``Logs_syslog_mirage.Udp``/``Tcp`` or ``Logs_syslog_mirage_tls.Tls``
(logs-syslog 0.5, through syslog-message 1.x):

- one log message is ``<PRI>Mmm DD hh:mm:ss HOSTNAME TAG CONTENT`` (RFC 3164
  §4.1), where PRI is ``facility * 8 + severity`` (facility ``daemon``, 3,
  unless a message says otherwise), the timestamp is the wall clock in UTC
  with a zero-padded day (``Jan 01``, not RFC 3164's space-padded ``Jan  1``),
  HOSTNAME is ``Mirage_runtime.name ()``, TAG is the log source's name cut to
  32 characters, and CONTENT is ``[tags][ header] message`` — it starts with
  a space, so no other separator is put after the tag;
- the severity of a Logs level: App and Info are ``info`` (6), Error ``err``
  (3), Warning ``warning`` (4), Debug ``debug`` (7);
- ``truncate`` cuts the encoded line to that many bytes; the UDP reporter's
  default is 65535, the TCP and TLS reporters' is 0, which (as syslog-message's
  ``encode ~len:0`` does) cuts every line to nothing: give ``--syslog-truncate``
  to a TCP or TLS reporter;
- on UDP a datagram carries one line; on TCP and TLS each line is followed by
  a NUL byte (logs-syslog's default ```Null`` framing; ```LineFeed`` and
  ```Count``, RFC 6587's octet counting, are the other framings it knows).

:func:`decode` reads a line back (what a log host does) and raises only
:class:`~mirage_nb.sim.net._base.FrameError`; :class:`StreamReader` splits a
TCP stream into lines by its framing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from mirage_nb.sim.net._base import FrameError

__all__ = [
    "SYSLOG_PORT",
    "FACILITY_DAEMON",
    "SEVERITY_NAMES",
    "FACILITY_NAMES",
    "SyslogMessage",
    "encode",
    "decode",
    "frame",
    "StreamReader",
]

SYSLOG_PORT = 514
FACILITY_DAEMON = 3

FACILITY_NAMES = (
    "kern user mail daemon security/auth syslog lpr news uucp clock security/auth-10 ftp ntp "
    "log-audit log-alert clock-15 local0 local1 local2 local3 local4 local5 local6 local7"
).split()
"""syslog-message's names of the facilities 0..23."""

SEVERITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LINE = re.compile(rb"<(\d{1,3})>([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d):(\d\d):(\d\d) (\S+) (.*)\Z", re.S)


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    """One syslog message (syslog-message's record): ``timestamp`` is UTC, to the second."""

    facility: int
    severity: int
    timestamp: datetime.datetime
    hostname: str
    tag: str
    content: str

    @property
    def pri(self) -> int:
        return self.facility * 8 + self.severity

    @property
    def text(self) -> str:
        """The log message as the unikernel wrote it (the content without its leading space)."""
        return self.content[1:] if self.content.startswith(" ") else self.content

    def __str__(self) -> str:
        return encode(self).decode("utf-8", "replace")


def _stamp(ts: datetime.datetime) -> str:
    return f"{_MONTHS[ts.month - 1]} {ts.day:02d} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"


def encode(msg: SyslogMessage, max_len: int | None = None) -> bytes:
    """The RFC 3164 line of ``msg``, cut to ``max_len`` bytes when given (0 cuts it to nothing)."""
    c = msg.content
    sep = " " if not c or (c[0].isascii() and c[0].isalnum()) else ""
    line = f"<{msg.pri}>{_stamp(msg.timestamp)} {msg.hostname} {msg.tag}{sep}{c}".encode()
    if max_len is not None and len(line) > max_len:
        return line[: max(0, max_len)]
    return line


def decode(data: bytes, *, year: int = 1970) -> SyslogMessage:
    """Read an RFC 3164 line (as :func:`encode` writes it; the year is not on the wire)."""
    m = _LINE.match(bytes(data))
    if m is None:
        raise FrameError("syslog", "message", f"<PRI>Mmm DD hh:mm:ss HOST TAG CONTENT, got {bytes(data[:40])!r}")
    pri = int(m.group(1))
    month = m.group(2).decode()
    if pri > 191 or month not in _MONTHS:
        raise FrameError("syslog", "priority or month", f"PRI 0..191 and a month name, got {pri} and {month!r}")
    try:
        ts = datetime.datetime(
            year,
            _MONTHS.index(month) + 1,
            int(m.group(3)),
            int(m.group(4)),
            int(m.group(5)),
            int(m.group(6)),
            tzinfo=datetime.UTC,
        )
    except ValueError as e:
        raise FrameError("syslog", "timestamp", f"a valid date, got {m.group(0)[4:19]!r} ({e})") from None
    rest = m.group(8).decode("utf-8", "replace")
    cut = min((i for i in (rest.find(" "), rest.find(":"), rest.find("[")) if i >= 0), default=len(rest))
    return SyslogMessage(pri // 8, pri % 8, ts, m.group(7).decode("utf-8", "replace"), rest[:cut], rest[cut:])


def frame(line: bytes, framing: str = "null") -> bytes:
    """``line`` framed for a stream: ``null`` (logs-syslog's default), ``lf`` or ``count`` (RFC 6587 §3.4.1)."""
    match framing:
        case "null":
            return line + b"\x00"
        case "lf":
            return line + b"\n"
        case "count":
            return str(len(line)).encode() + b" " + line
    raise FrameError("syslog", "framing", f"null, lf or count, got {framing!r}")


class StreamReader:
    """Splits a TCP/TLS stream into syslog lines by ``framing`` (``null``, ``lf`` or ``count``)."""

    def __init__(self, framing: str = "null") -> None:
        if framing not in ("null", "lf", "count"):
            raise FrameError("syslog", "framing", f"null, lf or count, got {framing!r}")
        self.framing = framing
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The complete lines ``data`` finishes (without their framing)."""
        self.buf += data
        out: list[bytes] = []
        if self.framing == "count":
            while True:
                sp = self.buf.find(b" ", 0, 12)
                if sp <= 0:
                    if len(self.buf) >= 12 or (self.buf and not self.buf[:1].isdigit()):
                        raise FrameError("syslog", "octet count", f"digits and a space, got {bytes(self.buf[:12])!r}")
                    return out
                if not self.buf[:sp].isdigit():
                    raise FrameError("syslog", "octet count", f"digits, got {bytes(self.buf[:sp])!r}")
                n = int(self.buf[:sp])
                if len(self.buf) < sp + 1 + n:
                    return out
                out.append(bytes(self.buf[sp + 1 : sp + 1 + n]))
                del self.buf[: sp + 1 + n]
        sep = b"\x00" if self.framing == "null" else b"\n"
        while (i := self.buf.find(sep)) >= 0:
            out.append(bytes(self.buf[:i]))
            del self.buf[: i + 1]
        return out
