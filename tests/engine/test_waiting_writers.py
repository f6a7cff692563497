"""Records a peer is slow to take: nothing that need not wait for them does.

A non-blocking session's read answers GSK_WOULD_BLOCK at once though a write left records
unsent; an asynchronous send does not wait for a blocking writer stuck on the peer.  Every
byte still reaches the peer once, in order.
"""
from __future__ import annotations

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
from tests.engine.test_blocking_io import entering_wait, server_and_peer  # noqa: F401 - the fixture
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


def test_an_asynchronous_send_does_not_wait_for_a_writer_blocked_on_the_peer(
        server_and_peer, port, monkeypatch) -> None:  # noqa: F811 - the fixture
    session, peer, pair = server_and_peer
    writer_waits = entering_wait(monkeypatch, writable=True)
    pair.server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    big = bytes(range(256)) * 1024      # far more than the sockets hold; one engine write (256 KiB)
    written: list[tuple[int, int]] = []
    writer = threading.Thread(target=lambda: written.append(gsk_secure_soc_write(session, big)), daemon=True)
    writer.start()
    assert writer_waits.wait(DEADLINE)
    io = Qso_OverlappedIO_t(descriptorHandle="tail", buffer=b"tail", bufferLength=4)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    assert io.postFlagResult == 0
    received = bytearray()
    peer.settimeout(DEADLINE)
    while len(received) < len(big) + 4:
        chunk = peer.recv(1 << 20)
        assert chunk, "the peer saw the end of the stream early"
        received += chunk
    writer.join(DEADLINE)
    assert written == [(GSK_OK, len(big))]
    done = wait_one(port)
    assert (done.descriptorHandle, done.returnValue, done.secureDataTransferSize) == ("tail", GSK_OK, 4)
    assert received == big + b"tail"
