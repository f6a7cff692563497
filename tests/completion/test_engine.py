"""The engine itself: progress with nobody waiting, the portable poller, leaks, hand-off."""
from __future__ import annotations

import errno
import os
import socket
import threading
import time

import pytest

from gskit import constants as C
from gskit.compat.qso import (
    QsoCreateIOCompletionPort,
    QsoDestroyIOCompletionPort,
    QsoIsOperationPending,
    QsoPostIOCompletion,
    QsoStartRecv,
    QsoStartSend,
    QsoWaitForIOCompletion,
)
from gskit.compat.errno_state import get_errno
from gskit.compat.structs import Qso_OverlappedIO_t, timeval
from gskit.io import completion

from tests.completion.completion_helpers import Sockets, spawn, until, wait_one
from tests.conftest import DEADLINE


def test_sends_progress_while_nobody_waits(port: int, sockets: Sockets) -> None:
    s, c = sockets.pair()
    data = os.urandom(8 << 20)
    assert QsoStartSend(s, port, Qso_OverlappedIO_t(buffer=data, bufferLength=len(data))) == 1
    received = bytearray()
    while len(received) < len(data):  # no thread is in QsoWaitForIOCompletion meanwhile
        chunk = c.recv(1 << 20)
        assert chunk
        received += chunk
    assert received == data
    assert wait_one(port, 2).returnValue == len(data)


def test_timers_fire_while_nobody_waits(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4, operationWaitTime=1, operationId=3)
    assert QsoStartRecv(s, port, io) == 1
    assert QsoIsOperationPending(s, 3) == 1
    end = time.monotonic() + 5
    while QsoIsOperationPending(s, 3) == 1:
        assert time.monotonic() < end, "the timer never fired"
        time.sleep(0.05)
    assert wait_one(port, 0).errnoValue == 11  # EAGAIN


def test_completion_goes_to_a_waiter_of_its_own_port() -> None:
    """A thread polling for port A posts port B's completion to B's sleeping waiter."""
    a, b = QsoCreateIOCompletionPort(), QsoCreateIOCompletionPort()
    box = Sockets()
    try:
        s, c = box.pair()
        got: dict[str, object] = {}
        ta = spawn(lambda: got.update(a=QsoWaitForIOCompletion(a, Qso_OverlappedIO_t(), 1)))
        out_b = Qso_OverlappedIO_t()
        tb = spawn(lambda: got.update(b=QsoWaitForIOCompletion(b, out_b, 3)))
        time.sleep(0.1)
        assert QsoStartRecv(s, b, Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8,
                                                    descriptorHandle="for-b")) == 1
        c.sendall(b"b")
        tb.join(5)
        assert got["b"] == 1 and out_b.descriptorHandle == "for-b"
        ta.join(5)
        assert got["a"] == -1  # port A saw nothing: it timed out
    finally:
        box.close_all()
        QsoDestroyIOCompletionPort(a)
        QsoDestroyIOCompletionPort(b)


def test_portable_selector_poller(monkeypatch: pytest.MonkeyPatch, sockets: Sockets) -> None:
    monkeypatch.setenv("GSKIT_POLLER", "selectors")
    port = QsoCreateIOCompletionPort()
    try:
        assert isinstance(completion.current_engine()._poller, completion._SelectorPoller)
        s, c = sockets.pair()
        for k in range(20):
            io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, descriptorHandle=k)
            assert QsoStartRecv(s, port, io) == 1
            c.sendall(b"%08d" % k)
            out = wait_one(port)
            assert (out.descriptorHandle, bytes(out.buffer)) == (k, b"%08d" % k)
        assert QsoStartRecv(s, port, Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8)) == 1
        s.close()
        assert wait_one(port).errnoValue == C.ECLOSED
    finally:
        QsoDestroyIOCompletionPort(port)


def test_engine_starts_with_the_first_port_and_stops_with_the_last() -> None:
    before = {t.name for t in threading.enumerate()}
    assert "gskit-completion" not in before
    ports = [QsoCreateIOCompletionPort() for _ in range(3)]
    assert completion.current_engine() is not None
    for p in ports[:-1]:
        QsoDestroyIOCompletionPort(p)
    assert completion.current_engine() is not None
    QsoDestroyIOCompletionPort(ports[-1])
    assert completion.current_engine() is None
    assert "gskit-completion" not in {t.name for t in threading.enumerate()}


@pytest.mark.parametrize("by", ["object", "number"])
def test_closing_a_socket_object_then_reusing_its_descriptor(port: int, sockets: Sockets, by: str) -> None:
    """A new socket on a recycled descriptor number is a new socket, whether the calls name
    it by its object or by its number: the old operation ends with ECLOSED and the new one
    works."""
    def sd(sock: socket.socket) -> object:
        return sock if by == "object" else sock.fileno()

    s, _ = sockets.pair()
    fd = s.fileno()
    assert QsoStartRecv(sd(s), port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4,
                                                        descriptorHandle="old")) == 1
    ls = sockets.listener()
    c = sockets.connect(ls)
    s.close()
    new, _ = ls.accept()
    sockets.keep(new)
    if new.fileno() != fd:
        pytest.skip("the kernel did not recycle the descriptor number")
    io = Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4, descriptorHandle="new")
    assert QsoStartRecv(sd(new), port, io) == 1
    c.sendall(b"new!")
    outs = {o.descriptorHandle: o for o in (wait_one(port), wait_one(port))}
    assert outs["old"].errnoValue == C.ECLOSED
    assert (outs["new"].returnValue, bytes(outs["new"].buffer)) == (4, b"new!")


def test_a_polling_only_program_gets_its_completions(port: int, sockets: Sockets) -> None:
    """Nobody ever blocks in wait (timeout 0 only, like curl's non-blocking path)."""
    s, c = sockets.pair()
    assert QsoStartRecv(s, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) == 1
    c.sendall(b"poll")
    out = Qso_OverlappedIO_t()
    end = time.monotonic() + 5
    while QsoWaitForIOCompletion(port, out, 0) != 1:
        assert time.monotonic() < end
        time.sleep(0.001)
    assert (out.returnValue, bytes(out.buffer)) == (4, b"poll")


def test_abort_operations_after_the_descriptor_was_closed(
        port: int, sockets: Sockets, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session closed after its socket: its operations still end with the caller's errno."""
    s, _ = sockets.pair()
    fd = s.fileno()
    assert QsoStartRecv(s, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) == 1
    engine = completion.get_port(port).engine
    # Nothing may end it with ECLOSED first: no sweep between the close and the abort, and
    # the socket registered with the poller before the close (the portable poller arms on
    # the polling thread, which would find the descriptor closed).
    monkeypatch.setattr(engine, "_next_sweep", float("inf"))
    end = time.monotonic() + DEADLINE
    while not engine._channels[fd].registered:
        assert time.monotonic() < end
        time.sleep(0.001)
    s.close()
    assert engine.abort_operations(fd, C.ECANCELED) == 1
    assert wait_one(port).errnoValue == C.ECANCELED


def test_a_finished_operation_leaves_its_buffer_free_though_its_timer_was_long(
        port: int, sockets: Sockets) -> None:
    """operationWaitTime of an hour, data at once: the buffer is the application's again (no
    cancelled timer keeps the operation, and so a view of the buffer, for that hour)."""
    s, c = sockets.pair()
    buffer = bytearray(4)
    io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=4, operationWaitTime=timeval(3600, 0))
    assert QsoStartRecv(s, port, io) == 1
    c.sendall(b"data")
    assert wait_one(port).returnValue == 4
    del io
    buffer.extend(b"more")                               # BufferError while a view is held
    assert bytes(buffer) == b"datamore"


def test_timeouts_too_long_for_the_system_calls_still_work(port: int) -> None:
    """Beyond epoll's 2**31 ms and a lock's TIMEOUT_MAX the engine waits in slices; a value
    no time_t holds is EINVAL."""
    for huge in (10**400, timeval(10**400, 0), 2.0**64):
        assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), huge) == -1
        assert get_errno() == errno.EINVAL
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(operationWaitTime=huge)) == -1
        assert get_errno() == errno.EINVAL
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(operationWaitTime=10**10)) == 0
    engine = completion.get_port(port).engine
    spawn(lambda: (time.sleep(0.2), QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="late"))))
    out = Qso_OverlappedIO_t()
    assert QsoWaitForIOCompletion(port, out, 30 * 86400) == 1 and out.descriptorHandle == "late"
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="timer", operationWaitTime=1)) == 0
    until(lambda: completion.get_port(port)._queue)     # nobody waits: the stand-in ran it
    assert engine._stand_in.is_alive()
    assert QsoWaitForIOCompletion(port, out, 0) == 1 and out.descriptorHandle == "timer"


def test_a_timer_that_fired_is_not_counted_as_cancelled(port: int, sockets: Sockets) -> None:
    """The heap is compacted when cancelled entries are most of it: a timer that fired (and
    ended its operation) must not count as one."""
    s, _ = sockets.pair()
    engine = completion.get_port(port).engine
    io = Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4, operationWaitTime=1)
    assert QsoStartRecv(s, port, io) == 1
    assert wait_one(port).errnoValue == errno.EAGAIN
    assert engine._cancelled == 0


def test_a_poll_that_takes_only_some_events_leaves_the_rest_for_the_next(
        port: int, sockets: Sockets, monkeypatch: pytest.MonkeyPatch) -> None:
    """epoll hands out at most MAX_EVENTS events a poll; the others stay ready, and every
    receive is still posted (each exactly once)."""
    monkeypatch.setattr(completion._EpollPoller, "MAX_EVENTS", 2)
    pairs = [sockets.pair() for _ in range(40)]
    for n, (s, _) in enumerate(pairs):
        io = Qso_OverlappedIO_t(descriptorHandle=n, buffer=bytearray(8), bufferLength=8, postFlag=1)
        assert QsoStartRecv(s, port, io) == 1
    for n, (_, c) in enumerate(pairs):
        c.sendall(b"%02d" % n)
    done = [wait_one(port) for _ in pairs]
    assert sorted((r.descriptorHandle, bytes(r.buffer[:r.returnValue])) for r in done) == \
        [(n, b"%02d" % n) for n in range(len(pairs))]
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 0) == -1


class _PeekOp(completion.Operation):
    """Another facility's operation, defined by the application (docs/completion-ports.md):
    completes with the first bytes waiting on the socket, left there (MSG_PEEK)."""

    code = 4242

    def ready(self) -> bool:
        return False                     # always wait for the poller's word

    def attempt(self) -> bool:
        try:
            data = self.sock.recv(self.bufferLength, socket.MSG_PEEK | socket.MSG_DONTWAIT)  # type: ignore[union-attr]
        except BlockingIOError:
            return False
        self.buffer[:len(data)] = data
        self.returnValue = len(data)
        return True


def test_an_operation_class_of_the_application_runs_on_the_engine(port: int, sockets: Sockets) -> None:
    """The engine is compiled, and still takes operations subclassed in Python."""
    s, c = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, descriptorHandle="peek", postFlag=1)
    qport = completion.get_port(port)
    assert qport.engine.start(qport, s, io, _PeekOp()) == 1 and io.postFlagResult == 0
    c.sendall(b"peeked")
    out = wait_one(port)
    assert (out.operationCompleted, out.descriptorHandle, out.returnValue) == (4242, "peek", 6)
    assert bytes(out.buffer[:6]) == b"peeked" and s.recv(8) == b"peeked"   # still there


def test_readable_now_says_whether_a_read_would_find_something() -> None:
    a, b = socket.socketpair()
    with a, b:
        assert completion.readable_now(a.fileno()) is False
        b.send(b"x")
        assert completion.readable_now(a.fileno()) is True
        assert a.recv(1) == b"x"
        assert completion.readable_now(a.fileno()) is False
        b.close()
        assert completion.readable_now(a.fileno()) is True      # the end is readable too
