"""The TLS machine: handshakes over memory BIOs, data both ways, and alerts for peers that break TLS."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import RemoteProtocolError, SimulationError
from mirage_nb.sim.net.tls import TlsFailure, TlsSession, alert_record, client_context, server_context
from mirage_nb.sim.netdev.pki import make_test_pki

PKI = make_test_pki(["localhost", "10.0.0.2"])


def pair(versions=("1.2", "1.3"), *, ca: bytes | None = PKI.ca, host: str = "localhost"):
    s = TlsSession(server_context(PKI.cert, PKI.key), server=True)
    c = TlsSession(client_context(ca, versions=versions), server=False, server_hostname=host)
    return s, c


def shake(s: TlsSession, c: TlsSession, rounds: int = 6) -> None:
    for _ in range(rounds):
        c.handshake()
        s.receive(c.data_to_send())
        s.handshake()
        c.receive(s.data_to_send())
    assert c.handshake() and s.handshake()


@pytest.mark.parametrize(("versions", "expect"), [(("1.2", "1.2"), "TLSv1.2"), (("1.3", "1.3"), "TLSv1.3")])
def test_handshake_and_data_both_ways(versions, expect):
    s, c = pair(versions)
    shake(s, c)
    assert c.version == s.version == expect
    c.write(b"GET / HTTP/1.1\r\n\r\n")
    s.receive(c.data_to_send())
    assert s.read() == b"GET / HTTP/1.1\r\n\r\n"
    s.write(b"x" * 40000)  # several records
    c.receive(s.data_to_send())
    got = b""
    while (d := c.read()) is not None and d:
        got += d
    assert got == b"x" * 40000
    assert c.read() is None  # nothing more yet
    s.close()
    c.receive(s.data_to_send())
    assert c.read() == b""  # close_notify


def test_a_client_that_does_not_trust_the_ca_fails_and_alerts():
    other = make_test_pki(["localhost"])
    s, c = pair(ca=other.ca)
    with pytest.raises(TlsFailure, match="CERTIFICATE_VERIFY_FAILED"):
        shake(s, c)
    alert = c.data_to_send()
    assert alert[:1] == b"\x15"  # an alert record for the server


def test_garbage_gets_an_alert_and_a_project_error():
    s = TlsSession(server_context(PKI.cert, PKI.key), server=True)
    s.receive(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError):
        s.handshake()
    assert s.data_to_send() == alert_record(10)
    assert s.failed


def test_eof_during_the_handshake_is_a_failure():
    s = TlsSession(server_context(PKI.cert, PKI.key), server=True)
    assert s.handshake() is False
    s.receive_eof()
    with pytest.raises(TlsFailure):
        s.handshake()


def test_a_bad_key_is_a_simulation_error():
    with pytest.raises(SimulationError, match="certificate or key"):
        server_context(PKI.cert, make_test_pki().key)
    with pytest.raises(SimulationError, match="versions"):
        client_context(None, versions=("1.0", "1.3"))


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=1, max_size=600))
def test_any_bytes_before_the_handshake_raise_only_the_project_error(data):
    s = TlsSession(server_context_cached(), server=True)
    s.receive(data)
    try:
        s.handshake()
    except TlsFailure:
        assert s.data_to_send()[:1] == b"\x15"


_CTX = []


def server_context_cached():
    if not _CTX:
        _CTX.append(server_context(PKI.cert, PKI.key))
    return _CTX[0]
