"""RFC 3164 lines as logs-syslog writes them, their framings, and the decoder on hostile bytes."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.net._base import FrameError
from mirage_nb.sim.net.syslog import StreamReader, SyslogMessage, decode, encode, frame

T = datetime.datetime(2025, 3, 7, 9, 5, 2, tzinfo=datetime.UTC)


def msg(content=" hello", tag="application", severity=6):
    return SyslogMessage(3, severity, T, "web", tag, content)


def test_encode_writes_pri_a_zero_padded_day_host_tag_and_content():
    assert encode(msg()) == b"<30>Mar 07 09:05:02 web application hello"
    assert encode(msg(severity=3)) == b"<27>Mar 07 09:05:02 web application hello"


def test_a_content_starting_with_a_letter_gets_a_space_after_the_tag():
    assert encode(msg(content="x")) == b"<30>Mar 07 09:05:02 web application x"
    assert encode(msg(content="")) == b"<30>Mar 07 09:05:02 web application "
    assert encode(msg(content=":x")) == b"<30>Mar 07 09:05:02 web application:x"


def test_truncation_cuts_bytes_and_zero_cuts_everything():
    assert encode(msg(), 10) == b"<30>Mar 07"
    assert encode(msg(), 0) == b""
    assert encode(msg(), 1000) == encode(msg())


def test_framings():
    assert frame(b"ab") == b"ab\x00"
    assert frame(b"ab", "lf") == b"ab\n"
    assert frame(b"ab", "count") == b"2 ab"
    with pytest.raises(FrameError):
        frame(b"ab", "crlf")


@pytest.mark.parametrize("framing", ["null", "lf", "count"])
def test_stream_reader_splits_lines_fed_a_byte_at_a_time(framing):
    lines = [encode(msg(f" m{i}")) for i in range(3)]
    stream = b"".join(frame(x, framing) for x in lines)
    r = StreamReader(framing)
    got = [x for i in range(len(stream)) for x in r.feed(stream[i : i + 1])]
    assert got == lines


def test_decode_reads_back_what_encode_writes():
    m = decode(encode(msg(" HDR said so")), year=2025)
    assert m == msg(" HDR said so") and m.text == "HDR said so"


@given(
    st.integers(0, 23),
    st.integers(0, 7),
    st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2030, 12, 31)),
    st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9_.]{1,32}", fullmatch=True),
    st.text(max_size=60).map(lambda s: " " + s),
)
def test_round_trip(facility, severity, when, host, tag, content):
    ts = when.replace(microsecond=0, tzinfo=datetime.UTC)
    m = SyslogMessage(facility, severity, ts, host, tag, content)
    assert decode(encode(m), year=ts.year) == m


@given(st.binary(max_size=200))
@settings(max_examples=300)
def test_decoder_and_stream_reader_raise_only_frame_error(data):
    for f in (lambda: decode(data), lambda: StreamReader("count").feed(data), lambda: StreamReader().feed(data)):
        try:
            f()
        except FrameError:
            pass
