"""QsoStartRecv / QsoStartSend / QsoStartAccept on real loopback sockets: every return path."""
from __future__ import annotations

import errno
import os
import socket
import struct
import time

import pytest

from gskit import constants as C
from gskit.compat.errno_state import get_errno, set_errno
from gskit.compat.qso import (
    QsoCancelOperation,
    QsoCreateIOCompletionPort,
    QsoDestroyIOCompletionPort,
    QsoGenerateOperationId,
    QsoIsOperationPending,
    QsoPostIOCompletion,
    QsoStartAccept,
    QsoStartRecv,
    QsoStartSend,
    QsoWaitForIOCompletion,
)
from gskit.compat.structs import Qso_OverlappedIO_t, timeval

from tests.completion.completion_helpers import Sockets, nothing_posted, spawn, wait_one
from tests.conftest import DEADLINE


def recv_io(size: int = 64, **fields: object) -> Qso_OverlappedIO_t:
    return Qso_OverlappedIO_t(buffer=bytearray(size), bufferLength=size, **fields)


def reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# ----------------------------------------------------------------- the postFlag matrix


def test_recv_at_once_postflag_0_returns_0_and_posts_nothing(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    c.sendall(b"hello")
    io = recv_io()
    _until_readable(s)
    assert QsoStartRecv(s, port, io) == 0
    assert (io.returnValue, io.errnoValue, io.postFlagResult, io.bytesAvailable) == (5, 0, 0, 0)
    assert bytes(io.buffer[:5]) == b"hello"
    assert nothing_posted(port)


def test_recv_at_once_postflag_1_is_posted(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    c.sendall(b"hello")
    _until_readable(s)
    handle = object()
    io = recv_io(postFlag=1, descriptorHandle=handle, operationId=5)
    assert QsoStartRecv(s.fileno(), port, io) == 1
    assert io.postFlagResult == 1
    out = wait_one(port, 0)
    assert out.descriptorHandle is handle and out.buffer is io.buffer and out.operationId == 5
    assert (out.returnValue, out.errnoValue, out.operationCompleted) == (5, 0, C.QSOSTARTRECV)
    assert (out.bufferLength, out.postFlag) == (64, 1)


@pytest.mark.parametrize("post_flag", [0, 1])
def test_recv_not_ready_is_posted_later(port: int, sockets: Sockets, family: int, post_flag: int) -> None:
    s, c = sockets.pair(family)
    io = recv_io(4, postFlag=post_flag)
    assert QsoStartRecv(s, port, io) == 1
    assert io.postFlagResult == 0
    assert nothing_posted(port)
    c.sendall(b"0123456789")
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue, bytes(out.buffer)) == (4, 0, b"0123")
    assert out.bytesAvailable == 6


def test_fill_buffer_waits_for_a_full_buffer(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    io = recv_io(6, fillBuffer=1)
    assert QsoStartRecv(s, port, io) == 1
    c.sendall(b"abc")
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 0.1) == -1
    c.sendall(b"defgh")
    out = wait_one(port)
    assert (out.returnValue, bytes(out.buffer), out.fillBuffer, out.bytesAvailable) == (6, b"abcdef", 1, 2)


def test_a_partly_filled_buffer_cannot_be_taken_away_so_no_etrunc(port: int, sockets: Sockets) -> None:
    """IBM's ETRUNC (the buffer faults after part of it was filled) cannot happen: the start
    pins the buffer, so resizing it fails in the application and the receive completes."""
    s, c = sockets.pair()
    io = recv_io(6, fillBuffer=1)
    assert QsoStartRecv(s, port, io) == 1
    c.sendall(b"abc")
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 0.1) == -1
    with pytest.raises(BufferError):
        io.buffer.extend(b"more")
    c.sendall(b"def")
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue, bytes(out.buffer)) == (6, 0, b"abcdef")


def test_fill_buffer_ends_at_eof_with_what_arrived(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    io = recv_io(6, fillBuffer=1)
    assert QsoStartRecv(s, port, io) == 1
    c.sendall(b"ab")
    c.shutdown(socket.SHUT_WR)
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue, bytes(out.buffer[:2])) == (2, 0, b"ab")


def test_half_close_gives_eof_and_the_other_direction_still_works(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    assert QsoStartRecv(s, port, recv_io()) == 1
    c.shutdown(socket.SHUT_WR)
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue) == (0, 0)
    io = Qso_OverlappedIO_t(buffer=b"bye", bufferLength=3)
    assert QsoStartSend(s, port, io) == 0 and io.returnValue == 3
    assert c.recv(3) == b"bye"


def test_peer_reset_under_pending_recv(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    assert QsoStartRecv(s, port, recv_io()) == 1
    reset(c)
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue) == (-1, errno.ECONNRESET)


def test_recv_after_reset_fails_at_start(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    reset(c)
    _until_readable(s)
    assert QsoStartRecv(s, port, recv_io(postFlag=1)) == -1
    assert get_errno() == errno.ECONNRESET
    assert nothing_posted(port)


@pytest.mark.parametrize("start", [QsoStartRecv, QsoStartSend])
def test_a_receive_or_send_on_a_listening_socket_is_enotconn_and_accepts_go_on(
        port: int, sockets: Sockets, start) -> None:
    """As recv() and send() answer, at once (before: a receive waited for a connection, and
    an accept started after it waited behind it)."""
    ls = sockets.listener()
    set_errno(0)
    assert start(ls.fileno(), port, recv_io()) == -1 and get_errno() == errno.ENOTCONN
    assert nothing_posted(port)
    assert QsoStartAccept(ls.fileno(), port, Qso_OverlappedIO_t()) == 1
    sockets.connect(ls)
    done = wait_one(port)
    assert done.operationCompleted == C.QSOSTARTACCEPT and done.returnValue > 0
    os.close(done.returnValue)


def test_send_at_once_returns_0(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    io = Qso_OverlappedIO_t(buffer=memoryview(b"xyz"), bufferLength=3)
    assert QsoStartSend(s, port, io) == 0
    assert (io.returnValue, io.errnoValue) == (3, 0)
    assert c.recv(3) == b"xyz"
    assert nothing_posted(port)


def test_send_at_once_postflag_1_is_posted(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=b"xyz", bufferLength=2, postFlag=1)
    assert QsoStartSend(s, port, io) == 1 and io.postFlagResult == 1
    out = wait_one(port, 0)
    assert (out.returnValue, out.operationCompleted, out.bufferLength) == (2, C.QSOSTARTSEND, 2)
    assert c.recv(3) == b"xy"


def test_flow_controlled_send_completes_when_the_peer_reads(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    data = os.urandom(8 << 20)
    io = Qso_OverlappedIO_t(buffer=data, bufferLength=len(data))
    assert QsoStartSend(s, port, io) == 1 and io.postFlagResult == 0
    received = bytearray()
    while len(received) < len(data):
        chunk = c.recv(1 << 20)
        assert chunk
        received += chunk
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue) == (len(data), 0)
    assert received == data


def test_send_to_a_reset_peer_fails(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    reset(c)
    _until_readable(s)
    assert QsoStartSend(s, port, Qso_OverlappedIO_t(buffer=b"x", bufferLength=1)) == -1
    assert get_errno() in (errno.EPIPE, errno.ECONNRESET)


def test_one_direction_completes_in_start_order(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    ios = [recv_io(2, descriptorHandle=i) for i in range(3)]
    assert [QsoStartRecv(s, port, io) for io in ios] == [1, 1, 1]
    c.sendall(b"aabbcc")
    outs = [wait_one(port) for _ in ios]
    assert [(o.descriptorHandle, bytes(o.buffer)) for o in outs] == [(0, b"aa"), (1, b"bb"), (2, b"cc")]


def test_a_queued_op_never_overtakes_a_pending_one(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    assert QsoStartRecv(s, port, recv_io(4, fillBuffer=1, descriptorHandle="first")) == 1
    c.sendall(b"ab")
    second = recv_io(2, descriptorHandle="second")
    assert QsoStartRecv(s, port, second) == 1  # data is there, but "first" is ahead
    c.sendall(b"cdef")
    assert [wait_one(port).descriptorHandle for _ in range(2)] == ["first", "second"]
    assert bytes(second.buffer) == b"ef"


def test_socket_stays_in_blocking_mode(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    assert QsoStartRecv(s, port, recv_io()) == 1
    assert s.getblocking() and os.get_blocking(s.fileno())
    c.sendall(b"q")
    wait_one(port)
    c.sendall(b"sync")
    assert s.recv(4) == b"sync"  # a synchronous call on the same socket still blocks normally


# ----------------------------------------------------------------- accept


def test_accept_pending_then_posted(port: int, sockets: Sockets, family: int) -> None:
    ls = sockets.listener(family)
    io = Qso_OverlappedIO_t(descriptorHandle="acc", buffer=bytearray(8), bufferLength=8)
    assert QsoStartAccept(ls, port, io) == 1 and io.postFlagResult == 0
    c = sockets.connect(ls)
    out = wait_one(port)
    assert out.operationCompleted == C.QSOSTARTACCEPT and out.descriptorHandle == "acc"
    assert (out.buffer, out.bufferLength, out.postFlag) == (None, 0, 0)
    new = sockets.keep(socket.socket(fileno=out.returnValue))
    assert new.getpeername() == c.getsockname() and new.getblocking()
    c.sendall(b"hi")
    assert new.recv(2) == b"hi"
    assert os.get_blocking(ls.fileno())


def test_accept_at_once(port: int, sockets: Sockets) -> None:
    ls = sockets.listener()
    c = sockets.connect(ls)
    _until_readable(ls)
    io = Qso_OverlappedIO_t()
    assert QsoStartAccept(ls, port, io) == 0
    new = sockets.keep(socket.socket(fileno=io.returnValue))
    assert new.getpeername() == c.getsockname()


def test_accept_on_a_connected_socket_fails(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    assert QsoStartAccept(s, port, Qso_OverlappedIO_t(postFlag=1)) == -1
    assert get_errno() == errno.EINVAL


# ----------------------------------------------------------------- refusals and validation


def test_only_inet_stream_sockets(port: int, sockets: Sockets, tmp_path) -> None:  # type: ignore[no-untyped-def]
    udp = sockets.keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    unix_a, unix_b = socket.socketpair()
    sockets.keep(unix_a), sockets.keep(unix_b)
    for refused in (udp, unix_a):
        assert QsoStartRecv(refused, port, recv_io()) == -1 and get_errno() == errno.EOPNOTSUPP
    with open(tmp_path / "f", "wb") as f:
        assert QsoStartRecv(f.fileno(), port, recv_io()) == -1 and get_errno() == errno.ENOTSOCK
    closed = socket.socket()
    closed.close()
    for bad in (closed, None, -1, 10**6, "3"):
        set_errno(0)
        assert QsoStartSend(bad, port, Qso_OverlappedIO_t(buffer=b"x", bufferLength=1)) == -1
        assert get_errno() == errno.EBADF


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"reserved1": 1}, errno.EINVAL),
        ({"reserved2": 1}, errno.EINVAL),
        ({"postedDescriptor": 3}, errno.EINVAL),
        ({"operationWaitTime": 0.5}, errno.EINVAL),
        ({"operationWaitTime": timeval(1, 1)}, errno.EINVAL),
        ({"operationWaitTime": timeval(-1, 0)}, errno.EINVAL),
        ({"operationId": -1}, errno.EINVAL),
        ({"operationId": 1 << 64}, errno.EINVAL),
        ({"postFlag": "yes"}, errno.EINVAL),
        ({"bufferLength": 0}, errno.EINVAL),
        ({"bufferLength": 65}, errno.EFAULT),
        ({"buffer": None}, errno.EFAULT),
        ({"buffer": b"readonly"}, errno.EFAULT),
    ],
)
def test_recv_structure_validation(port: int, sockets: Sockets, fields: dict, expected: int) -> None:
    s, c = sockets.pair()
    io = recv_io()
    for name, value in fields.items():
        setattr(io, name, value)
    c.sendall(b"data")
    assert QsoStartRecv(s, port, io) == -1
    assert get_errno() == expected
    assert nothing_posted(port)
    assert s.recv(4) == b"data"  # nothing was consumed


def test_bad_port_and_structure(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    assert QsoStartRecv(s, 999999, recv_io()) == -1 and get_errno() == errno.EINVAL
    assert QsoStartRecv(s, port, None) == -1 and get_errno() == errno.EFAULT
    assert QsoStartSend(s, port, "io") == -1 and get_errno() == errno.EFAULT


# ----------------------------------------------------------------- timers, close, destroy


def test_operation_timer_posts_eagain_and_the_socket_stays_usable(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    io = recv_io(operationWaitTime=timeval(1, 0), descriptorHandle="t")
    started = time.monotonic()
    assert QsoStartRecv(s, port, io) == 1
    out = wait_one(port, 5)
    assert time.monotonic() - started >= 0.9  # not before its 1 s
    assert (out.descriptorHandle, out.returnValue, out.errnoValue) == ("t", -1, errno.EAGAIN)
    c.sendall(b"ok")
    _until_readable(s)
    again = recv_io()
    assert QsoStartRecv(s, port, again) == 0 and again.returnValue == 2


def test_completed_before_the_timer_is_not_posted_twice(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    assert QsoStartRecv(s, port, recv_io(operationWaitTime=1)) == 1
    c.sendall(b"x")
    assert wait_one(port).returnValue == 1
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 1.3) == -1
    assert get_errno() == C.ETIME


def test_socket_closed_under_pending_operations_posts_eclosed(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    assert QsoStartRecv(s, port, recv_io(descriptorHandle="r")) == 1
    big = os.urandom(8 << 20)
    assert QsoStartSend(s, port, Qso_OverlappedIO_t(buffer=big, bufferLength=len(big), descriptorHandle="w")) == 1
    s.close()
    outs = sorted((wait_one(port), wait_one(port)), key=lambda o: o.descriptorHandle)
    assert [(o.descriptorHandle, o.errnoValue) for o in outs] == [("r", C.ECLOSED), ("w", C.ECLOSED)]
    assert outs[0].returnValue == -1
    assert outs[1].returnValue > 0 or outs[1].returnValue == -1  # bytes already sent, if any


def test_destroy_releases_operations_and_poisons_their_sockets(sockets: Sockets) -> None:
    p = QsoCreateIOCompletionPort()
    s, c = sockets.pair()
    buf = bytearray(8)
    assert QsoStartRecv(s, p, Qso_OverlappedIO_t(buffer=buf, bufferLength=8)) == 1
    assert QsoDestroyIOCompletionPort(p) == 0
    c.sendall(b"late")  # the released buffer is the application's again: nothing lands in it
    q = QsoCreateIOCompletionPort()
    try:
        assert QsoStartRecv(s, q, recv_io()) == -1 and get_errno() == errno.ECONNABORTED
        assert QsoStartSend(s, q, Qso_OverlappedIO_t(buffer=b"x", bufferLength=1)) == -1
        assert get_errno() == errno.EPIPE
        assert buf == bytearray(8)
        assert nothing_posted(q)
        other, _ = sockets.pair()  # other sockets are unaffected
        assert QsoStartSend(other, q, Qso_OverlappedIO_t(buffer=b"x", bufferLength=1)) == 0
    finally:
        QsoDestroyIOCompletionPort(q)


def test_engine_works_across_threads_started_ops_from_workers(port: int, sockets: Sockets) -> None:
    pairs = [sockets.pair() for _ in range(20)]
    for i, (s, _) in enumerate(pairs):
        assert QsoStartRecv(s, port, recv_io(8, descriptorHandle=i)) == 1
    senders = [spawn(c.sendall, b"%08d" % i) for i, (_, c) in enumerate(pairs)]
    got = {wait_one(port).descriptorHandle: None for _ in pairs}
    for t in senders:
        t.join(5)
    assert sorted(got) == list(range(20))


def _until_readable(sock: socket.socket) -> None:
    import select

    assert select.select([sock], [], [], 5)[0], "socket never became readable"


def test_destroying_a_port_closes_a_connection_accepted_but_not_yet_taken(sockets: Sockets) -> None:
    """The accepted descriptor exists only in the queued completion: destroying the port
    closes it, so the client is not left connected to nobody."""
    port = QsoCreateIOCompletionPort()
    ls = sockets.listener()
    assert QsoStartAccept(ls, port, Qso_OverlappedIO_t(postFlag=1, operationId=9)) == 1
    c = sockets.connect(ls)
    end = time.monotonic() + DEADLINE
    while QsoIsOperationPending(ls, 9) == 1:            # accepted by the stand-in, then queued
        assert time.monotonic() < end
        time.sleep(0.005)
    assert QsoDestroyIOCompletionPort(port) == 0
    assert c.recv(1) == b""                              # the server side was closed


def test_every_call_takes_the_contracts_parameter_names(port: int, sockets: Sockets) -> None:
    """compat-api.md names the parameters (port, io, timeout, sd, operation_id): a port
    written with keywords works as one written positionally."""
    server, client = sockets.pair()
    client.sendall(b"hi")
    received = Qso_OverlappedIO_t(buffer=bytearray(2), bufferLength=2, postFlag=1)
    assert QsoStartRecv(sd=server, port=port, io=received) == 1
    done = Qso_OverlappedIO_t()
    assert QsoWaitForIOCompletion(port=port, io=done, timeout=timeval(int(DEADLINE), 0)) == 1
    assert (done.returnValue, bytes(received.buffer)) == (2, b"hi")
    sent = Qso_OverlappedIO_t(buffer=b"ok", bufferLength=2)
    assert QsoStartSend(sd=server, port=port, io=sent) == 0 and client.recv(2) == b"ok"
    operation = QsoGenerateOperationId(sd=server)
    assert QsoIsOperationPending(sd=server, operation_id=operation) == 0
    assert QsoCancelOperation(sd=server, operation_id=operation) == 0
    assert QsoPostIOCompletion(port=port, io=Qso_OverlappedIO_t(descriptorHandle="posted")) == 0
    assert QsoWaitForIOCompletion(port=port, io=done, timeout=timeval(int(DEADLINE), 0)) == 1
    assert done.descriptorHandle == "posted"
    other = QsoCreateIOCompletionPort()
    assert QsoDestroyIOCompletionPort(port=other) == 0
