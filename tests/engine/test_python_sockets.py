"""The Pythonic API on the sockets Python programs hand it: with a timeout, non-blocking, and
closed from another thread while a handshake waits.  Real TLS peers (Python's ``ssl``)."""
from __future__ import annotations

import os
import select
import socket
import ssl
import threading
import time

import pytest

from gskit import (
    GSK_ERROR_SOCKET_CLOSED, Environment, GSKError, GSKTimeoutError, GSKWouldBlockError, GSK_IBMI_ERROR_CLOSED,
    GSK_IBMI_ERROR_INVALID_POINTER, GSK_IBMI_ERROR_TIMED_OUT, GSK_WOULD_BLOCK,
)
from tests.conftest import DEADLINE


def tls_server(pki, listener: socket.socket, run_peer, serve) -> object:
    """A Python ``ssl`` server thread: one connection, handed (handshaken) to ``serve``."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(pki.server_ec))

    def run() -> object:
        conn, _ = listener.accept()
        conn.settimeout(DEADLINE)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            return serve(tls)
    return run_peer(run)


def client(pki, listener: socket.socket, timeout: float | None):
    """A client environment and a socket connected to ``listener`` with ``timeout`` set."""
    env = Environment(keyring_file=str(pki.ca_pem), server_name="localhost")
    sock = socket.create_connection(listener.getsockname(), timeout=DEADLINE)
    sock.settimeout(timeout)
    return env, sock


def test_a_socket_with_a_timeout_is_waited_on_and_its_timeout_applies(pki, listener, run_peer) -> None:
    """``create_connection(timeout=...)`` sockets are non-blocking underneath: reads wait for
    data (not GSK_WOULD_BLOCK at once), a read with nothing coming ends after the socket's
    timeout (6011), a large sendall arrives whole, and the socket's mode is left as it was."""
    size = 8 * 1024 * 1024
    served = threading.Event()

    def serve(tls: ssl.SSLSocket) -> int:
        time.sleep(0.3)
        tls.sendall(b"late")
        received = 0
        while received < size:
            received += len(tls.recv(1 << 20))
        served.wait(DEADLINE)
        return received

    peer = tls_server(pki, listener, run_peer, serve)
    env, sock = client(pki, listener, timeout=1.0)
    with env, sock, env.open_session(fd=sock) as session:
        session.handshake()
        assert session.recv(10) == b"late"                # waited 0.3 s for it
        session.sendall(bytes(size))
        started = time.monotonic()
        with pytest.raises(GSKTimeoutError) as info:
            session.recv(10)
        assert 0.9 <= time.monotonic() - started < DEADLINE
        assert info.value.rc == GSK_IBMI_ERROR_TIMED_OUT
        served.set()
        assert peer.result() == size
        assert sock.gettimeout() == 1.0 and not os.get_blocking(sock.fileno())  # mode as it was


def test_sendall_on_a_non_blocking_socket_says_how_much_went(pki, listener, run_peer) -> None:
    """A non-blocking socket that cannot take it all: GSKWouldBlockError (a BlockingIOError)
    with ``characters_written``, exactly what the peer then receives."""
    release = threading.Event()

    def serve(tls: ssl.SSLSocket) -> int:
        release.wait(DEADLINE)                            # read nothing until told
        tls.settimeout(0.5)
        received = 0
        try:
            while chunk := tls.recv(1 << 20):
                received += len(chunk)
        except (TimeoutError, ssl.SSLError):
            pass
        return received

    peer = tls_server(pki, listener, run_peer, serve)
    env, sock = client(pki, listener, timeout=0.0)     # non-blocking from the start
    with env, sock:
        with env.open_session(fd=sock) as session:
            session.handshake()                           # (a handshake waits even so)
            with pytest.raises(GSKWouldBlockError) as info:
                session.sendall(bytes(64 * 1024 * 1024))
            release.set()
            while True:        # the next write sends first what was encrypted but not yet sent
                try:
                    session.sendall(b"!")
                    break
                except GSKWouldBlockError:
                    select.select([], [sock], [], DEADLINE)
        sent = info.value.characters_written
        assert info.value.rc == GSK_WOULD_BLOCK and 0 < sent < 64 * 1024 * 1024
        assert peer.result() == sent + 1


def test_close_from_another_thread_wakes_a_handshake_without_a_timeout(pki, listener) -> None:
    """A blocking handshake (no timeout) waits inside OpenSSL; closing the session from
    another thread ends it with GSK_IBMI_ERROR_CLOSED at once, not when the peer goes."""
    env, sock = client(pki, listener, timeout=None)
    silent, _ = listener.accept()                        # accepts, never answers
    outcome: list[BaseException] = []
    with env, sock, silent:
        session = env.open_session(fd=sock)

        def handshake() -> None:
            try:
                session.handshake()
            except BaseException as exc:  # noqa: BLE001 - checked below
                outcome.append(exc)

        thread = threading.Thread(target=handshake, daemon=True)
        thread.start()
        silent.settimeout(DEADLINE)
        assert silent.recv(5)                            # its ClientHello: it waits for the ServerHello
        session.close()
        thread.join(DEADLINE / 2)
        assert not thread.is_alive(), "the handshake was not woken by the close"
    assert isinstance(outcome[0], GSKError) and outcome[0].rc == GSK_IBMI_ERROR_CLOSED


def test_recv_into_a_read_only_buffer_is_a_gsk_error(pki, listener, run_peer) -> None:
    peer = tls_server(pki, listener, run_peer, lambda tls: tls.recv(1))
    env, sock = client(pki, listener, timeout=None)
    with env, sock, env.open_session(fd=sock) as session:
        session.handshake()
        with pytest.raises(GSKError) as info:
            session.recv_into(b"immutable")
        assert info.value.rc == GSK_IBMI_ERROR_INVALID_POINTER
        session.send(b"x")
    peer.result()


def test_a_peer_that_half_closes_tcp_still_gets_the_answer(pki, listener, run_peer) -> None:
    """The peer sends, then shuts its side of TCP without close_notify (as some clients do
    after a request): the read ends with b"" and the answer still reaches the peer, with no
    alert and no error."""
    def serve(tls: ssl.SSLSocket) -> bytes:
        tls.sendall(b"request")
        socket.socket.shutdown(tls, socket.SHUT_WR)   # a FIN, no close_notify (TLS stays up)
        answer = b""
        while len(answer) < 6:
            answer += tls.recv(6 - len(answer))
        return answer

    peer = tls_server(pki, listener, run_peer, serve)
    env, sock = client(pki, listener, timeout=None)
    with env, sock, env.open_session(fd=sock) as session:
        session.handshake()
        received = b""
        while chunk := session.recv(100):
            received += chunk
        assert received == b"request"
        session.sendall(b"answer")
        assert peer.result() == b"answer"


def test_close_twice_is_harmless_in_python_and_invalid_handle_in_c(pki, listener, run_peer) -> None:
    """``close()`` may run again (a ``finally`` after an error) as a socket's does; the
    compat calls still answer a closed handle with GSK_INVALID_HANDLE."""
    from gskit import GSK_INVALID_HANDLE, gsk_environment_close, gsk_secure_soc_close

    peer = tls_server(pki, listener, run_peer, lambda tls: tls.recv(1))
    env, sock = client(pki, listener, timeout=None)
    with sock:
        session = env.open_session(fd=sock)
        session.handshake()
        session.close()
        session.close()
        env.close()
        env.close()
        assert gsk_secure_soc_close(session) == gsk_environment_close(env) == GSK_INVALID_HANDLE
    peer.result()


def test_a_session_whose_socket_the_application_closed_leaves_the_number_s_new_socket_alone(
        pki, listener, run_peer) -> None:
    """``sock.close()``, and the number now names another connection: the session's calls
    answer GSK_ERROR_SOCKET_CLOSED, and neither they nor its close read, write or change
    that connection."""
    peer = tls_server(pki, listener, run_peer, lambda tls: tls.recv(1))
    env, sock = client(pki, listener, timeout=None)
    with env, env.open_session(fd=sock) as session:
        session.handshake()
        other, other_peer = socket.socketpair()
        with other, other_peer:
            number = sock.fileno()
            sock.close()
            os.dup2(other.fileno(), number)              # the number names another socket
            try:
                other_peer.sendall(b"not yours")
                for call in (lambda: session.recv(16), lambda: session.send(b"x")):
                    with pytest.raises(GSKError) as info:
                        call()
                    assert info.value.rc == GSK_ERROR_SOCKET_CLOSED
                other.setblocking(False)                 # (the number shares its mode)
                session.close()                          # no close_notify, no mode restored
                assert not os.get_blocking(number)
                assert other.recv(16) == b"not yours"
                other_peer.setblocking(False)
                with pytest.raises(BlockingIOError):
                    other_peer.recv(16)                  # nothing was written to it
            finally:
                os.close(number)
    peer.result()
