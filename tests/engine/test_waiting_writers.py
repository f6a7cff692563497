"""Records a peer is slow to take: nothing that need not wait for them does.

A non-blocking session's read answers GSK_WOULD_BLOCK at once though a write left records
unsent; an asynchronous send does not wait for a blocking writer stuck on the peer, and goes
out after that writer's whole buffer.  Every byte still reaches the peer once, in order.
"""
from __future__ import annotations

import errno
import fcntl
import select
import socket
import ssl
import struct
import termios
import threading

import pytest

from gskit import *  # noqa: F403
from tests.completion.completion_helpers import until, wait_one
from tests.conftest import DEADLINE
from tests.deadlines import deadline  # noqa: F401 - autouse: a regression hangs, this fails it
from tests.engine.test_blocking_io import server_and_peer, waits_in_poll  # noqa: F401 - the fixture
from tests.engine.test_python_sockets import client, tls_server


def _read_or_would_block(session) -> bytes | None:
    try:
        return session.recv(16)
    except GSKWouldBlockError as exc:
        assert exc.rc == GSK_WOULD_BLOCK
        return None


def _queued_in_kernel(sock: socket.socket) -> int:
    return struct.unpack("i", fcntl.ioctl(sock, termios.TIOCOUTQ, b"\0" * 4))[0]


@pytest.mark.parametrize("call", ["read", "close_notify", "close_notify, close"])
def test_a_non_blocking_call_does_not_wait_to_send_what_a_write_left(pki, listener, run_peer, call) -> None:
    """The socket is full and the peer reads nothing: a read answers GSK_WOULD_BLOCK at once,
    GSK_CLOSE_NOTIFY queues its alert; later reads, or the close, send the rest, and the
    peer gets every byte."""
    release = threading.Event()
    expected: list[int] = []

    def serve(tls: ssl.SSLSocket) -> int:
        release.wait(DEADLINE)                            # read nothing until told
        received = 0
        while call != "read" or received < expected[0]:
            chunk = tls.recv(1 << 20)
            if not chunk:                                 # the close_notify
                break
            received += len(chunk)
        if call == "read":
            tls.sendall(b"reply")
        return received

    peer = tls_server(pki, listener, run_peer, serve)
    env, sock = client(pki, listener, timeout=0.0)
    with env, sock, env.open_session(fd=sock) as session:
        session.handshake()
        with pytest.raises(GSKWouldBlockError) as full:
            session.sendall(bytes(64 << 20))
        expected.append(full.value.characters_written)   # type: ignore[attr-defined]
        if call == "read":
            assert _read_or_would_block(session) is None   # nothing to read, nothing sent
        else:
            session.misc(GSK_CLOSE_NOTIFY)
        release.set()
        if call.endswith("close"):      # which sends what the socket takes, without waiting:
            until(lambda: _queued_in_kernel(sock) == 0)  # room for all of it
            session.close()
        else:
            while (reply := _read_or_would_block(session)) is None:
                select.select([sock], [sock], [], DEADLINE)  # each read first sends what it can
            assert reply == (b"reply" if call == "read" else b"")
        assert peer.result() == expected[0]


def _blocked_writer(session, data: bytes) -> tuple[threading.Thread, list[tuple[int, int]]]:
    """A thread in gsk_secure_soc_write(session, data), proven waiting for the socket."""
    written: list[tuple[int, int]] = []
    writer = threading.Thread(target=lambda: written.append(gsk_secure_soc_write(session, data)), daemon=True)
    writer.start()
    assert waits_in_poll(writer)
    return writer, written


def _receive(peer: ssl.SSLSocket, size: int) -> bytes:
    received = bytearray()
    peer.settimeout(DEADLINE)
    while len(received) < size:
        chunk = peer.recv(1 << 20)
        assert chunk, "the peer saw the end of the stream early"
        received += chunk
    return bytes(received)


BIG = bytes(range(256)) * 65536                            # 16 MiB: far more than the sockets hold


def test_an_asynchronous_send_waits_for_no_writer_and_goes_out_after_its_buffer(
        server_and_peer, port) -> None:  # noqa: F811 - the fixture
    """A startSend while a synchronous write of 16 MiB waits for the peer: pending at once
    (it does not wait for the writer), and its bytes follow the write's whole buffer."""
    session, peer, pair = server_and_peer
    writer, written = _blocked_writer(session, BIG)
    io = Qso_OverlappedIO_t(descriptorHandle="tail", buffer=b"tail", bufferLength=4)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    assert io.postFlagResult == 0
    received = _receive(peer, len(BIG) + 4)
    writer.join(DEADLINE)
    assert written == [(GSK_OK, len(BIG))]
    done = wait_one(port)
    assert (done.descriptorHandle, done.returnValue, done.secureDataTransferSize) == ("tail", GSK_OK, 4)
    assert received == BIG + b"tail"


def test_an_asynchronous_send_ended_while_it_waits_for_a_writer_leaves_nothing(
        server_and_peer, port) -> None:  # noqa: F811 - the fixture
    """Its operationWaitTime expires while the write is still sending: posted with EAGAIN,
    nothing of it is sent, and the session keeps no reference to it (nor to its buffer)."""
    session, peer, pair = server_and_peer
    writer, written = _blocked_writer(session, BIG)
    io = Qso_OverlappedIO_t(descriptorHandle="late", buffer=b"late", bufferLength=4, operationWaitTime=timeval(1, 0))
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    done = wait_one(port)
    assert (done.descriptorHandle, done.returnValue, done.errnoValue) == ("late", GSK_ERROR_IO, errno.EAGAIN)
    assert not session._parked_sends                     # noqa: SLF001
    received = _receive(peer, len(BIG))
    writer.join(DEADLINE)
    assert written == [(GSK_OK, len(BIG))] and received == BIG
    peer.settimeout(0.5)
    with pytest.raises(TimeoutError):                    # and nothing after it
        peer.recv(1)


def _buffer(number: int, size: int) -> bytes:
    """Buffer ``number``: a header (number, size) and ``size`` bytes of one value."""
    return struct.pack(">II", number, size) + bytes([number % 251]) * size


def test_mixed_writers_and_sends_keep_every_buffer_whole(server_and_peer, port) -> None:  # noqa: F811
    """Three threads write and the test starts sends of random sizes (fixed seed), all at
    once on one session whose socket is small: the peer reads every buffer once, whole."""
    import random

    session, peer, pair = server_and_peer
    pair.server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 131072)  # writers wait often
    rng = random.Random(1205)
    sizes = [rng.choice((1, 100, 5000, 70_000, 300_000)) for _ in range(60)]
    buffers = [_buffer(n, size) for n, size in enumerate(sizes)]
    total = sum(map(len, buffers))
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(_receive(peer, total)), daemon=True)
    reader.start()
    results: list[tuple[int, int]] = []

    def writer(numbers: range) -> None:
        for n in numbers:
            results.append(gsk_secure_soc_write(session, buffers[n]))

    writers = [threading.Thread(target=writer, args=(range(k, 40, 3),), daemon=True) for k in range(3)]
    for thread in writers:
        thread.start()
    started = []
    for n in range(40, 60):
        io = Qso_OverlappedIO_t(descriptorHandle=n, buffer=buffers[n], bufferLength=len(buffers[n]))
        got = gsk_secure_soc_startSend(session, port, io)
        assert got in (GSK_OK, GSK_IBMI_ASYNCHRONOUS_SEND)
        started.append(got)
    posted = [wait_one(port) for _ in range(started.count(GSK_IBMI_ASYNCHRONOUS_SEND))]
    for thread in writers:
        thread.join(DEADLINE)
    reader.join(DEADLINE)
    assert sorted(results) == sorted((GSK_OK, len(buffers[n])) for n in range(40))
    assert all(out.returnValue == GSK_OK for out in posted)
    seen, offset = [], 0
    while offset < len(received):
        number, size = struct.unpack_from(">II", received, offset)
        assert bytes(received[offset:offset + 8 + size]) == buffers[number], f"buffer {number} cut"
        seen.append(number)
        offset += 8 + size
    assert sorted(seen) == list(range(60))
