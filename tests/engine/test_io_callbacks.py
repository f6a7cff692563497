"""GSK_IO_CALLBACK functions that answer EWOULDBLOCK (-1 with that errno): gskit calls them
again each millisecond, never in a busy loop, and a close from another thread ends the wait.
Real TLS: a gskit server on one end of a TCP pair, the client's bytes through the callbacks."""
from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from typing import Any, Callable, Iterator

from gskit import *  # noqa: F403
from gskit.io.transports import CallbackTransport
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import Pair, client_env, server_env

IoCallback = Callable[[int, Any, int, str], int]


def would_block() -> int:
    set_errno(errno.EWOULDBLOCK)
    return -1


def relay_read(sock: socket.socket) -> IoCallback:
    """io_read from ``sock``; EWOULDBLOCK when a non-blocking ``sock`` has nothing."""
    def io_read(fd: int, buffer: Any, length: int, user_data: str) -> int:
        try:
            data = sock.recv(length)
        except BlockingIOError:
            return would_block()
        buffer[:len(data)] = data
        return len(data)
    return io_read


def relay_write(sock: socket.socket) -> IoCallback:
    return lambda fd, data, length, user_data: sock.send(data[:length])


@contextlib.contextmanager
def callback_client(pki, io_read: IoCallback | None = None, io_write: IoCallback | None = None,
                    server_work: Callable[[Any], object] = lambda server: None,
                    server_delay: float = 0.0) -> Iterator[tuple[Any, Pair]]:
    """(client session, pair): the client's I/O through the callbacks (by default relays over
    ``pair.client``); the server's init, after ``server_delay`` s, then ``server_work(server)``,
    run in a thread.  Everything is closed and joined at the end."""
    pair = Pair()
    rc, server = gsk_secure_soc_open(server_env(pki, pki.server_ec))
    assert gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno()) == GSK_OK
    thread = threading.Thread(target=lambda: (time.sleep(server_delay), gsk_secure_soc_init(server),
                                              server_work(server)))
    thread.start()
    rc, client = gsk_secure_soc_open(client_env(pki))
    callbacks = iocallback(io_read or relay_read(pair.client), io_write or relay_write(pair.client))
    assert gsk_attribute_set_callback(client, GSK_IO_CALLBACK, callbacks) == GSK_OK
    try:
        yield client, pair
    finally:
        gsk_secure_soc_close(client)
        pair.client.shutdown(socket.SHUT_RDWR)       # a server still in its handshake ends
        thread.join(DEADLINE)
        gsk_secure_soc_close(server)
        pair.close()


def test_an_io_write_callback_that_would_block_is_called_again(pki) -> None:
    """io_write refuses the client's last handshake flight and its data three times: gskit
    calls it again a millisecond later (before: GSK_INTERNAL_ERROR), and the handshake and
    the write complete with every byte, once."""
    refusals = [3]
    received = bytearray(64)
    read: list[tuple[int, int]] = []

    def io_write(fd: int, data: Any, length: int, user_data: str) -> int:
        if refusals[0] and length < 1000:              # not the ClientHello
            refusals[0] -= 1
            return would_block()
        return pair.client.send(data[:length])

    with callback_client(pki, io_write=io_write,
                         server_work=lambda server: read.append(gsk_secure_soc_read(server, received))) as (client, pair):
        assert gsk_secure_soc_init(client) == GSK_OK
        assert gsk_secure_soc_write(client, b"after three refusals") == (GSK_OK, 20)
    assert refusals == [0] and read == [(GSK_OK, 20)] and bytes(received[:20]) == b"after three refusals"


def test_an_io_read_callback_that_would_block_is_not_called_in_a_busy_loop(pki) -> None:
    """A non-blocking io_read (EWOULDBLOCK until the server answers, 0.3 s late): the
    handshake calls it again each millisecond, not as fast as it can (65,000 calls before)."""
    calls = [0]

    def io_read(fd: int, buffer: Any, length: int, user_data: str) -> int:
        calls[0] += 1
        return relay_read(pair.client)(fd, buffer, length, user_data)

    with callback_client(pki, io_read=io_read, server_delay=0.3) as (client, pair):
        pair.client.setblocking(False)
        assert gsk_secure_soc_init(client) == GSK_OK
    assert 1 < calls[0] < 2000                       # about 300 in 0.3 s


def test_a_write_retrying_a_callback_that_would_block_ends_when_the_session_closes(pki, monkeypatch) -> None:
    """io_write refuses everything after the handshake: the write calls it again until another
    thread closes the session, then answers GSK_IBMI_ERROR_CLOSED, even when the close comes
    between two retries (held there): what it had left was dropped at the close."""
    refusing, between, closed = threading.Event(), threading.Event(), threading.Event()
    wait = CallbackTransport.wait

    def wait_then_hold(transport: CallbackTransport, writable: bool, timeout: float | None) -> None:
        wait(transport, writable, timeout)
        if writable and not between.is_set():
            between.set()
            closed.wait(DEADLINE)

    monkeypatch.setattr(CallbackTransport, "wait", wait_then_hold)

    def io_write(fd: int, data: Any, length: int, user_data: str) -> int:
        return would_block() if refusing.is_set() else pair.client.send(data[:length])

    written: list[tuple[int, int]] = []
    with callback_client(pki, io_write=io_write) as (client, pair):
        assert gsk_secure_soc_init(client) == GSK_OK
        refusing.set()
        writer = threading.Thread(target=lambda: written.append(gsk_secure_soc_write(client, b"never")))
        writer.start()
        try:
            assert between.wait(DEADLINE)              # refused once, and about to try again
            assert gsk_secure_soc_close(client) == GSK_OK
        finally:
            closed.set()
            writer.join(DEADLINE)
    assert written == [(GSK_IBMI_ERROR_CLOSED, 0)]


def test_a_handshake_retrying_a_callback_that_would_block_ends_when_the_session_closes(pki) -> None:
    """io_read never has anything: the handshake calls it again until another thread closes
    the session, then answers GSK_IBMI_ERROR_CLOSED."""
    waiting = threading.Event()

    def io_read(fd: int, buffer: Any, length: int, user_data: str) -> int:
        waiting.set()
        return would_block()

    outcome: list[int] = []
    with callback_client(pki, io_read=io_read) as (client, pair):
        handshake = threading.Thread(target=lambda: outcome.append(gsk_secure_soc_init(client)))
        handshake.start()
        assert waiting.wait(DEADLINE)
        assert gsk_secure_soc_close(client) == GSK_OK
        handshake.join(DEADLINE)
    assert outcome == [GSK_IBMI_ERROR_CLOSED]


def test_a_record_altered_on_the_way_is_411_bad_mac(pki) -> None:
    """One bit of what the server sends after the handshake flipped on the way: the record
    does not authenticate, and the read fails with GSK_ERROR_BAD_MAC, as does the next."""
    tamper = threading.Event()
    relay: list[IoCallback] = []

    def flipping_read(fd: int, buffer: Any, length: int, user_data: str) -> int:
        count = relay[0](fd, buffer, length, user_data)
        if tamper.is_set() and count > 0:
            buffer[count - 1] ^= 0x01            # a record's last byte: its authentication tag
            tamper.clear()
        return count

    with callback_client(pki, io_read=flipping_read,
                         server_work=lambda server: gsk_secure_soc_write(server, b"payload")) as (client, pair):
        relay.append(relay_read(pair.client))
        assert gsk_secure_soc_init(client) == GSK_OK
        tamper.set()
        assert gsk_secure_soc_read(client, bytearray(16)) == (GSK_ERROR_BAD_MAC, 0)
        assert gsk_secure_soc_read(client, bytearray(16)) == (GSK_ERROR_BAD_MAC, 0)
