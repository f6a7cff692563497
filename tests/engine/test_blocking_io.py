"""Blocking reads and writes: a read's timeout bounds the whole read, a read ends when the
application closes the descriptor under it, a write blocked on a peer that reads nothing ends
when another thread closes the session.  On both pumps (OpenSSL on the socket, memory BIOs)."""
from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from typing import Any, Iterator

import pytest

from gskit import *  # noqa: F403
from gskit.engine.ssl_calls import CLOSING, read_waiting
from gskit.io import transports
from gskit.io.blocking import BlockingPump, DirectPump
from gskit.io.transports import SocketTransport
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import Pair, server_env

# A server whose TLS 1.1 list differs from its TLS 1.2 one runs on memory BIOs (BlockingPump);
# by default it reads the socket through OpenSSL (DirectPump).
PUMPS = {
    DirectPump: {},
    BlockingPump: {"GSK_PROTOCOL_TLSV11": GSK_TRUE,
                   "GSK_TLSV11_CIPHER_SPECS_EX": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
}


def _trickling_client(pki, sock, stop: threading.Event) -> None:
    """Handshake, then send one application-data record a byte every 0.1 s."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context(cafile=str(pki.ca_pem)).wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(outgoing.read())
            incoming.write(sock.recv(65536))
    sock.sendall(outgoing.read())
    tls.write(b"x" * 40)
    for byte in outgoing.read():
        if stop.wait(0.1):
            return
        sock.sendall(bytes([byte]))


@pytest.mark.parametrize("pump", PUMPS, ids=lambda p: p.__name__)
def test_a_peer_trickling_a_record_does_not_stretch_the_read_timeout(pki, pump) -> None:
    pair = Pair()
    stop = threading.Event()
    env = server_env(pki, pki.server_ec, **PUMPS[pump])
    rc, session = gsk_secure_soc_open(env)
    try:
        assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.server.fileno()) == GSK_OK
        assert gsk_attribute_set_numeric_value(session, GSK_IBMI_READ_TIMEOUT, 500) == GSK_OK
        client = threading.Thread(target=_trickling_client, args=(pki, pair.client, stop), daemon=True)
        client.start()
        assert gsk_secure_soc_init(session) == GSK_OK
        assert type(session.pump) is pump
        started = time.monotonic()
        # the record takes about 6 s to arrive whole: the read ends at its 0.5 s deadline
        assert gsk_secure_soc_read(session, bytearray(100)) == (GSK_IBMI_ERROR_TIMED_OUT, 0)
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        client.join(DEADLINE)
        gsk_secure_soc_close(session)
        gsk_environment_close(env)
        pair.close()


@pytest.fixture(params=list(PUMPS), ids=lambda p: p.__name__)
def server_and_peer(request, pki) -> Iterator[tuple[Any, ssl.SSLSocket, Pair]]:
    """A gskit server session (on the pump of the parameter) after its handshake with a
    Python ssl client: (session, the client's socket, the TCP pair)."""
    pair = Pair()
    env = server_env(pki, pki.server_ec, **PUMPS[request.param])
    rc, session = gsk_secure_soc_open(env)
    peer = ssl.create_default_context(cafile=str(pki.ca_pem))
    client: list[ssl.SSLSocket] = []
    connect = threading.Thread(target=lambda: client.append(peer.wrap_socket(pair.client, server_hostname="localhost")))
    try:
        assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.server.fileno()) == GSK_OK
        connect.start()
        assert gsk_secure_soc_init(session) == GSK_OK
        connect.join(DEADLINE)
        assert type(session.pump) is request.param
        yield session, client[0], pair
    finally:
        gsk_secure_soc_close(session)
        gsk_environment_close(env)
        for sock in client:
            sock.close()
        pair.close()


_POLL_CALLS = {7, 271}      # poll, ppoll (x86-64 system call numbers)
TRANSPORTS_COMPILED = not transports.__file__.endswith(".py")


def waits_in_poll(thread: threading.Thread) -> bool:
    """Has ``thread`` (started) come to wait in poll(2)?  Linux: /proc's view of the thread
    (both pumps wait there, having noted the wait so that a close from another thread wakes
    them); elsewhere, a moment after it started."""
    path = f"/proc/self/task/{thread.native_id}/syscall"
    if not os.path.exists(path):
        time.sleep(0.2)
        return thread.is_alive()
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with open(path) as f:
            call = f.read().split()[0]          # a number, or "running"
        if call.isdigit() and int(call) in _POLL_CALLS:
            return True
        time.sleep(0.001)
    return False


def blocked_reader(session: Any) -> tuple[threading.Thread, list[tuple[int, int]]]:
    """A thread waiting for data in gsk_secure_soc_read(session), and the list its result goes to."""
    result: list[tuple[int, int]] = []
    reader = threading.Thread(target=lambda: result.append(gsk_secure_soc_read(session, bytearray(100))),
                              daemon=True)
    reader.start()
    assert waits_in_poll(reader)
    assert not result
    return reader, result


def test_a_read_without_timeout_ends_when_the_application_closes_the_descriptor(server_and_peer) -> None:
    """Linux does not wake a poll() or recv() when another thread closes the descriptor; the
    read notices within its slice and answers GSK_ERROR_SOCKET_CLOSED, and the connection
    is really closed (the peer sees its end)."""
    session, client, pair = server_and_peer
    reader, result = blocked_reader(session)
    pair.server.close()                                # the application closes the descriptor
    reader.join(DEADLINE)
    assert result == [(GSK_ERROR_SOCKET_CLOSED, 0)]
    client.settimeout(DEADLINE)
    assert client.recv(10) == b""                      # its end of file (no close_notify)


def test_closing_the_session_ends_a_write_blocked_on_a_peer_that_reads_nothing(server_and_peer, monkeypatch) -> None:
    """The writer gets GSK_IBMI_ERROR_CLOSED and the close answers GSK_OK at once (on memory
    BIOs the writer waited in a plain send, holding the lock the close then waited for).
    The close's shutdown is what wakes it: its poll's slices are made longer than the test."""
    session, client, pair = server_and_peer
    monkeypatch.setattr(transports, "SLICE_MS", int(4 * DEADLINE * 1000))
    result: list[object] = []
    writer = threading.Thread(target=lambda: result.append(gsk_secure_soc_write(session, bytes(64 << 20))),
                              daemon=True)
    writer.start()
    assert waits_in_poll(writer) and not result       # blocked: the peer reads nothing
    closer = threading.Thread(target=lambda: result.append(gsk_secure_soc_close(session)), daemon=True)
    closer.start()
    closer.join(DEADLINE)
    writer.join(DEADLINE)
    assert sorted(result, key=str) == sorted([GSK_OK, (GSK_IBMI_ERROR_CLOSED, 0)], key=str)


def test_a_read_whose_descriptor_number_now_names_another_socket_leaves_that_socket_alone(
        server_and_peer) -> None:
    """The application closes the descriptor and the number comes back at once for another
    connection (dup2 here), which has data waiting: the blocked read ends with
    GSK_ERROR_SOCKET_CLOSED and does not consume the other connection's bytes."""
    session, client, pair = server_and_peer
    reader, result = blocked_reader(session)
    other = Pair()
    try:
        other.client.sendall(b"not for the TLS session")
        os.dup2(other.server.fileno(), pair.server.fileno())   # same number, another socket
        reader.join(DEADLINE)
        assert result == [(GSK_ERROR_SOCKET_CLOSED, 0)]
        stolen = socket.socket(fileno=os.dup(pair.server.fileno()))
        with stolen:
            stolen.settimeout(DEADLINE)
            assert stolen.recv(100) == b"not for the TLS session"
    finally:
        other.close()


def test_a_close_racing_a_reader_just_woken_still_ends_the_read(server_and_peer, monkeypatch) -> None:
    """The reader is preempted just after poll() said readable while another thread closes
    the session, which puts the descriptor back in blocking mode: the reader must not then
    block in OpenSSL's recv for the rest of a record that never comes.

    On memory BIOs the reader is held inside ``SocketTransport.wait`` until the close returns.
    ``DirectPump`` reads, waits and reads again in one C call (``ssl_calls.read_waiting``),
    which cannot be paused: there the moment is made by hand, the call made on the closed
    session's connection with a record's header readable, and it must end at once."""
    session, client, pair = server_and_peer
    if isinstance(session.pump, DirectPump):
        pump, handle, fd = session.pump, session.engine.handle, pair.server.fileno()
        cookie = pump.transport.cookie
        assert gsk_secure_soc_close(session) == GSK_OK
        assert os.get_blocking(fd) and handle.closing      # blocking again, the connection closing
        with socket.socket(fileno=os.dup(client.fileno())) as raw:
            raw.sendall(b"\x17\x03\x03\x00\x40")         # a record's header; its body never comes
            done: list[tuple[int, int]] = []
            reader = threading.Thread(target=lambda: done.append(
                read_waiting(handle, bytearray(100), pump.engine_lock, fd, int(DEADLINE * 1000), cookie)), daemon=True)
            reader.start()
            reader.join(DEADLINE)
        assert done == [(0, CLOSING)]
        return
    if TRANSPORTS_COMPILED:
        pytest.skip("pauses the reader inside SocketTransport.wait, which its compiled form calls directly; "
                    "`make test` runs it on the pure-Python build")
    woken, closed = threading.Event(), threading.Event()
    wait = SocketTransport.wait

    def wait_then_pause(transport: SocketTransport, writable: bool, timeout: float | None) -> None:
        wait(transport, writable, timeout)
        if not writable and not woken.is_set():
            woken.set()
            closed.wait(DEADLINE)

    monkeypatch.setattr(SocketTransport, "wait", wait_then_pause)
    reader, result = blocked_reader(session)   # the header comes once it waits
    with socket.socket(fileno=os.dup(client.fileno())) as raw:
        raw.sendall(b"\x17\x03\x03\x00\x40")             # a record's header; its body never comes
        assert woken.wait(DEADLINE)
        assert gsk_secure_soc_close(session) == GSK_OK
        closed.set()
        reader.join(DEADLINE)
    assert result == [(GSK_IBMI_ERROR_CLOSED, 0)]
