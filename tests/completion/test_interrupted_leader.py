"""A signal handler's exception (Ctrl-C) on the main thread while it polls for the others:
it reaches the application, and nothing the poll found or a timer owed is lost."""
from __future__ import annotations

import errno
import threading
from typing import Any, Callable

import pytest

from gskit.compat.qso import QsoPostIOCompletion, QsoStartRecv, QsoWaitForIOCompletion
from gskit.compat.structs import Qso_OverlappedIO_t, timeval
from gskit.io import completion

from tests.completion.completion_helpers import Sockets, replaces_engine_methods, spawn, until, wait_one
from tests.conftest import DEADLINE

pytestmark = replaces_engine_methods


def _interrupt_once(engine: completion.Engine, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's ``name`` raises KeyboardInterrupt the first time the main thread calls it,
    as if SIGINT's handler ran just then."""
    original: Callable[..., Any] = getattr(engine, name)
    fired = threading.Event()

    def interrupted(*args: Any) -> Any:
        if threading.current_thread() is threading.main_thread() and not fired.is_set():
            fired.set()
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(engine, name, interrupted)


def _main_thread_polls(engine: completion.Engine) -> bool:
    return engine._leader == threading.main_thread().ident and engine._poll_until != 0.0


def test_readiness_the_interrupted_poll_saw_is_not_lost(
        port: int, sockets: Sockets, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = completion.get_port(port).engine
    _interrupt_once(engine, "_service", monkeypatch)
    pairs = [sockets.pair() for _ in range(2)]
    for (s, _), handle in zip(pairs, "ab"):
        io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, descriptorHandle=handle)
        assert QsoStartRecv(s, port, io) == 1 and io.postFlagResult == 0

    def send_both() -> None:
        until(lambda: _main_thread_polls(engine))
        for _, c in pairs:
            c.sendall(b"ready")

    sender = spawn(send_both)
    with pytest.raises(KeyboardInterrupt):
        QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), DEADLINE)
    sender.join(DEADLINE)
    results = sorted((out.descriptorHandle, bytes(out.buffer[:out.returnValue]))
                     for out in (wait_one(port), wait_one(port)))
    assert results == [("a", b"ready"), ("b", b"ready")]


def test_a_timer_the_interrupt_cut_short_still_fires(
        port: int, sockets: Sockets, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = completion.get_port(port).engine
    _interrupt_once(engine, "_end_pending", monkeypatch)  # what an operation's time limit calls
    s, _ = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, operationWaitTime=timeval(1, 0))
    assert QsoStartRecv(s, port, io) == 1 and io.postFlagResult == 0
    with pytest.raises(KeyboardInterrupt):
        QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), DEADLINE)
    out = wait_one(port)
    assert (out.returnValue, out.errnoValue) == (-1, errno.EAGAIN)


def test_a_follower_interrupted_before_it_sleeps_leaves_no_waiter_behind(
        port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted between joining the waiters and falling asleep, the main thread must not
    stay a waiter: a later post would be handed to it and lost."""
    qport = completion.get_port(port)
    _interrupt_once(qport.engine, "vacant", monkeypatch)  # what a follower asks just before sleeping
    taken: list[Qso_OverlappedIO_t] = []
    leader = spawn(lambda: taken.append(wait_one(port)))
    until(lambda: qport.leader_thread == leader.ident)
    with pytest.raises(KeyboardInterrupt):
        QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), DEADLINE)
    assert qport.waiting == 1  # the leader alone
    for name in ("first", "second"):  # the leader takes the first; the second waits for a taker
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=name)) == 0
    leader.join(DEADLINE)
    taker = spawn(lambda: taken.append(wait_one(port)))
    taker.join(DEADLINE)
    assert [out.descriptorHandle for out in taken] == ["first", "second"]
