"""gsk_secure_soc_misc GSK_RESET_SESSION and GSK_RESET_CIPHER_WITHNEWSESSION on real sessions.

The peer is ``openssl s_server -rev -msg``: it sends each line back reversed and prints
every handshake message it saw, so a renegotiation or a resumption is seen from its side.
"""
from __future__ import annotations

import re
import socket
import threading
from typing import Any, Callable

import pytest

from gskit import *  # noqa: F403 - the compat layer, as a ported C program uses it
from tests.conftest import DEADLINE, OpenSSLServer, connect
from tests.engine.test_return_codes import Pair, client_env, server_env

# version -> (s_server flag, client environment settings)
VERSIONS = {"1.2": ("-tls1_2", {"GSK_PROTOCOL_TLSV13": GSK_FALSE}), "1.3": ("-tls1_3", {})}


def rev_server(openssl_server: Callable[..., OpenSSLServer], pki: Any, version: str, connections: int) -> OpenSSLServer:
    """An s_server that lets clients renegotiate and serves ``connections`` connections."""
    return openssl_server("-cert", str(pki.server_ec), VERSIONS[version][0], "-client_renegotiation",
                          "-rev", "-msg", "-naccept", str(connections))


def open_session(env: Any, server: OpenSSLServer) -> tuple[Any, socket.socket]:
    """A client session on a new connection to ``server``, after its handshake."""
    sock = connect(server.port)
    rc, session = gsk_secure_soc_open(env)
    assert rc == GSK_OK
    assert gsk_attribute_set_numeric_value(session, GSK_FD, sock.fileno()) == GSK_OK
    assert gsk_secure_soc_init(session) == GSK_OK
    return session, sock


def echo(session: Any, line: bytes) -> bytes:
    """Write ``line`` (ending in a newline); what the peer sends back, up to its newline."""
    assert gsk_secure_soc_write(session, line) == (GSK_OK, len(line))
    received = b""
    while not received.endswith(b"\n"):
        buffer = bytearray(100)
        rc, count = gsk_secure_soc_read(session, buffer)
        assert rc == GSK_OK and count > 0, (rc, count)
        received += bytes(buffer[:count])
    return received


def close(session: Any, sock: socket.socket) -> None:
    assert gsk_secure_soc_close(session) == GSK_OK
    sock.close()


def seen_by_peer(output: str) -> list[tuple[int, int]]:
    """Per connection: (ClientHellos received, Certificates sent).  Each handshake has one
    ClientHello; a full one has the server's Certificate, a resumed one does not."""
    return [(len(re.findall(r"^<<< .*, ClientHello$", part, re.M)),
             len(re.findall(r"^>>> .*, Certificate$", part, re.M)))
            for part in output.split("CONNECTION CLOSED")[:-1]]


def misc(session: Any, misc_id: int | None) -> int:
    return GSK_OK if misc_id is None else gsk_secure_soc_misc(session, misc_id)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("misc_id,second_sid_first,second_certificates", [
    (None, GSK_SID_NOT_FIRST, 0),                  # the control: the environment resumes
    (GSK_RESET_SESSION, GSK_SID_IS_FIRST, 1),
], ids=["no misc", "GSK_RESET_SESSION"])
def test_reset_session_makes_the_next_handshake_full(pki: Any, openssl_server: Callable[..., OpenSSLServer],
                                                     version: str, misc_id: int | None,
                                                     second_sid_first: int, second_certificates: int) -> None:
    """GSK_RESET_SESSION: GSK_OK, data still flows, and the environment's next handshake with
    that server is full, not resumed (also when the session is closed after the call)."""
    server = rev_server(openssl_server, pki, version, 2)
    env = client_env(pki, **VERSIONS[version][1])
    session, sock = open_session(env, server)
    assert gsk_attribute_get_enum(session, GSK_SID_FIRST) == (GSK_OK, GSK_SID_IS_FIRST)
    assert echo(session, b"before\n") == b"erofeb\n"
    assert misc(session, misc_id) == GSK_OK
    assert echo(session, b"after\n") == b"retfa\n"
    close(session, sock)
    session, sock = open_session(env, server)
    assert gsk_attribute_get_enum(session, GSK_SID_FIRST) == (GSK_OK, second_sid_first)
    assert echo(session, b"second\n") == b"dnoces\n"
    close(session, sock)
    assert gsk_environment_close(env) == GSK_OK
    assert seen_by_peer(server.output()) == [(1, 1), (1, second_certificates)]


def test_reset_cipher_with_new_session_renegotiates_tls12(pki: Any, openssl_server: Callable[..., OpenSSLServer]) -> None:
    """TLS 1.2: GSK_OK after a second, full handshake on the connection (the peer sends its
    Certificate again), with a new session ID; data flows both ways before and after."""
    server = rev_server(openssl_server, pki, "1.2", 1)
    env = client_env(pki, **VERSIONS["1.2"][1])
    session, sock = open_session(env, server)
    assert echo(session, b"before\n") == b"erofeb\n"
    rc, first_id = gsk_attribute_get_buffer(session, GSK_SID_VALUE)
    assert rc == GSK_OK and first_id
    assert gsk_secure_soc_misc(session, GSK_RESET_CIPHER_WITHNEWSESSION) == GSK_OK
    rc, new_id = gsk_attribute_get_buffer(session, GSK_SID_VALUE)
    assert rc == GSK_OK and new_id and new_id != first_id
    assert gsk_attribute_get_enum(session, GSK_SID_FIRST) == (GSK_OK, GSK_SID_IS_FIRST)
    assert echo(session, b"after\n") == b"retfa\n"          # (s_server -rev sleeps 1 s after a renegotiation)
    close(session, sock)
    assert gsk_environment_close(env) == GSK_OK
    output = server.output()
    assert seen_by_peer(output) == [(2, 2)]
    assert re.search(r"^\s*1 server renegotiates", output, re.M)


def test_reset_cipher_with_new_session_is_unsupported_on_tls13(pki: Any,
                                                              openssl_server: Callable[..., OpenSSLServer]) -> None:
    """TLS 1.3 has no renegotiation (and gskit sends no KeyUpdate): GSK_ERROR_UNSUPPORTED,
    nothing reaches the peer, and the session goes on as before."""
    server = rev_server(openssl_server, pki, "1.3", 1)
    env = client_env(pki)
    session, sock = open_session(env, server)
    assert echo(session, b"before\n") == b"erofeb\n"
    first_id = gsk_attribute_get_buffer(session, GSK_SID_VALUE)
    assert gsk_secure_soc_misc(session, GSK_RESET_CIPHER_WITHNEWSESSION) == GSK_ERROR_UNSUPPORTED
    assert gsk_attribute_get_buffer(session, GSK_SID_VALUE) == first_id
    assert echo(session, b"after\n") == b"retfa\n"
    close(session, sock)
    assert gsk_environment_close(env) == GSK_OK
    output = server.output()
    assert seen_by_peer(output) == [(1, 1)]
    assert "KeyUpdate" not in output


@pytest.mark.parametrize("misc_id", [GSK_RESET_SESSION, GSK_RESET_CIPHER_WITHNEWSESSION],
                         ids=["GSK_RESET_SESSION", "GSK_RESET_CIPHER_WITHNEWSESSION"])
def test_reset_before_init_and_after_close(pki: Any, misc_id: int) -> None:
    """Before gsk_secure_soc_init: GSK_INVALID_STATE (the session can still start);
    on a closed handle: GSK_INVALID_HANDLE."""
    pair = Pair()
    try:
        env = client_env(pki)
        rc, session = gsk_secure_soc_open(env)
        assert rc == GSK_OK
        assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno()) == GSK_OK
        assert gsk_secure_soc_misc(session, misc_id) == GSK_INVALID_STATE
        assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno()) == GSK_OK  # still open
        assert gsk_secure_soc_close(session) == GSK_OK
        assert gsk_secure_soc_misc(session, misc_id) == GSK_INVALID_HANDLE
        assert gsk_environment_close(env) == GSK_OK
    finally:
        pair.close()


def test_a_session_reset_callback_that_raises_does_not_fail_the_renegotiation(
        pki: Any, openssl_server: Callable[..., OpenSSLServer]) -> None:
    """GSK_CIPHER_SESSION_RESET is told after the new handshake; an exception it raises is the
    application's, not the call's: misc still answers GSK_OK (a C-compatible call never raises)."""
    server = rev_server(openssl_server, pki, "1.2", 1)
    env = client_env(pki, **VERSIONS["1.2"][1])
    told: list[Any] = []

    def reset_seen(handle: Any) -> None:
        told.append(handle)
        raise RuntimeError("the application's own bug")

    sock = connect(server.port)
    rc, session = gsk_secure_soc_open(env)
    assert gsk_attribute_set_callback(session, GSK_CIPHER_SESSION_RESET, reset_seen) == GSK_OK
    assert gsk_attribute_set_numeric_value(session, GSK_FD, sock.fileno()) == GSK_OK
    assert gsk_secure_soc_init(session) == GSK_OK
    assert gsk_secure_soc_misc(session, GSK_RESET_CIPHER) == GSK_OK
    assert told == [session]
    assert echo(session, b"after\n") == b"retfa\n"
    close(session, sock)
    assert gsk_environment_close(env) == GSK_OK


@pytest.mark.parametrize("refuse", [False, True], ids=["allowed", "GSK_NO_RENEGOTIATION"])
def test_a_renegotiation_the_server_refuses(pki: Any, refuse: bool) -> None:
    """A gskit client's GSK_RESET_CIPHER against a TLS 1.2 gskit server: GSK_OK and data goes
    on; with the server's GSK_NO_RENEGOTIATION (the reference: UNRESOLVED) the server answers
    no_renegotiation, OpenSSL's client gives up the connection (443 from then on) with a
    handshake_failure alert, which the server's read reports as 402."""
    pair = Pair()
    tls12 = {"GSK_PROTOCOL_TLSV13": GSK_FALSE}
    server = server_env(pki, pki.server_ec, **tls12, **({"GSK_NO_RENEGOTIATION": GSK_TRUE} if refuse else {}))
    client = client_env(pki, **tls12)
    reads: list[tuple[int, bytes]] = []

    def serve() -> None:
        rc, session = gsk_secure_soc_open(server)
        gsk_attribute_set_numeric_value(session, GSK_FD, pair.server.fileno())
        assert gsk_secure_soc_init(session) == GSK_OK
        while True:
            buffer = bytearray(16)
            rc, count = gsk_secure_soc_read(session, buffer)
            reads.append((rc, bytes(buffer[:count])))
            if rc != GSK_OK or count == 0:
                break
            gsk_secure_soc_write(session, bytes(buffer[:count]))
        gsk_secure_soc_close(session)

    thread = threading.Thread(target=serve)
    thread.start()
    rc, session = gsk_secure_soc_open(client)
    gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())
    assert gsk_secure_soc_init(session) == GSK_OK
    buffer = bytearray(16)
    assert gsk_secure_soc_write(session, b"one") == (GSK_OK, 3)
    assert gsk_secure_soc_read(session, buffer) == (GSK_OK, 3)
    if refuse:
        assert gsk_secure_soc_misc(session, GSK_RESET_CIPHER) == GSK_ERROR_NO_RI_INDICATION
        assert gsk_secure_soc_write(session, b"two") == (GSK_ERROR_NO_RI_INDICATION, 0)
    else:
        assert gsk_secure_soc_misc(session, GSK_RESET_CIPHER) == GSK_OK
        assert gsk_secure_soc_write(session, b"two") == (GSK_OK, 3)
        assert gsk_secure_soc_read(session, buffer) == (GSK_OK, 3) and buffer[:3] == b"two"
    gsk_secure_soc_close(session)
    pair.client.close()
    thread.join(DEADLINE)
    pair.server.close()
    assert reads == ([(GSK_OK, b"one"), (GSK_ERROR_NO_CIPHERS, b"")] if refuse
                     else [(GSK_OK, b"one"), (GSK_OK, b"two"), (GSK_OK, b"")])
