"""QsoCreate/Destroy/Wait/PostIOCompletion: every return path."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Callable

import pytest

from gskit import constants as C
from gskit.compat.errno_state import get_errno, set_errno
from gskit.compat.qso import (
    QsoCreateIOCompletionPort,
    QsoDestroyIOCompletionPort,
    QsoPostIOCompletion,
    QsoStartRecv,
    QsoWaitForIOCompletion,
)
from gskit.compat.structs import Qso_OverlappedIO_t, timeval
from gskit.io import completion

from tests.completion.completion_helpers import (
    Sockets, nothing_posted, replaces_engine_methods, spawn, until, wait_one)
from tests.conftest import DEADLINE


def test_create_returns_distinct_ports_and_starts_one_engine() -> None:
    a, b = QsoCreateIOCompletionPort(), QsoCreateIOCompletionPort()
    try:
        assert a >= 0 and b >= 0 and a != b
        engine = completion.current_engine()
        assert engine is not None and sum(t.name == "gskit-completion" for t in threading.enumerate()) == 1
    finally:
        assert QsoDestroyIOCompletionPort(a) == 0
        assert QsoDestroyIOCompletionPort(b) == 0
    assert completion.current_engine() is None


def test_limit_of_256_ports_then_enobufs() -> None:
    ports = [QsoCreateIOCompletionPort() for _ in range(C.QSO_MAX_IOCOMPLETION_PORTS)]
    try:
        assert min(ports) >= 0 and len(set(ports)) == 256
        set_errno(0)
        assert QsoCreateIOCompletionPort() == -1
        assert get_errno() == errno.ENOBUFS
        assert QsoDestroyIOCompletionPort(ports.pop()) == 0
        ports.append(QsoCreateIOCompletionPort())
        assert ports[-1] >= 0
    finally:
        for p in ports:
            QsoDestroyIOCompletionPort(p)


@pytest.mark.parametrize("bad", [None, -1, "0", 1.0, 10**9, True])
def test_destroy_bad_port_is_einval(bad: object) -> None:
    set_errno(0)
    assert QsoDestroyIOCompletionPort(bad) == -1
    assert get_errno() == errno.EINVAL


def test_destroy_twice_is_einval() -> None:
    p = QsoCreateIOCompletionPort()
    assert QsoDestroyIOCompletionPort(p) == 0
    assert QsoDestroyIOCompletionPort(p) == -1 and get_errno() == errno.EINVAL
    # a stale number never names a later port
    q = QsoCreateIOCompletionPort()
    assert q != p
    assert QsoWaitForIOCompletion(p, Qso_OverlappedIO_t(), 0) == -1 and get_errno() == errno.EINVAL
    QsoDestroyIOCompletionPort(q)


@pytest.mark.parametrize("timeout", [0, timeval(0, 0), 0.05, timeval(0, 50_000)])
def test_wait_times_out_with_etime(port: int, timeout: object) -> None:
    set_errno(0)
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), timeout) == -1
    assert get_errno() == C.ETIME


@pytest.mark.parametrize("timeout", [-1, "1", timeval(0, -1), timeval(0, 1_000_000), float("nan")])
def test_wait_bad_timeout_is_einval(port: int, timeout: object) -> None:
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), timeout) == -1
    assert get_errno() == errno.EINVAL


@pytest.mark.parametrize("io", [None, object(), {}])
def test_wait_bad_structure_is_efault(port: int, io: object) -> None:
    assert QsoWaitForIOCompletion(port, io, 0) == -1
    assert get_errno() == errno.EFAULT


def test_wait_bad_port_is_einval() -> None:
    assert QsoWaitForIOCompletion(12345678, Qso_OverlappedIO_t(), 0) == -1
    assert get_errno() == errno.EINVAL


def test_wrong_argument_count_raises_typeerror() -> None:
    with pytest.raises(TypeError):
        QsoWaitForIOCompletion(0, Qso_OverlappedIO_t())  # type: ignore[call-arg]


def test_post_is_returned_with_its_fields(port: int) -> None:
    handle, buf = object(), bytearray(b"abc")
    io = Qso_OverlappedIO_t(descriptorHandle=handle, buffer=buf, bufferLength=3, postFlag=1,
                            fillBuffer=1, operationId=99, returnValue=55, errnoValue=7)
    assert QsoPostIOCompletion(port, io) == 0
    out = wait_one(port)
    assert out.descriptorHandle is handle and out.buffer is buf
    assert (out.bufferLength, out.postFlag, out.fillBuffer, out.operationId) == (3, 1, 1, 99)
    assert (out.returnValue, out.errnoValue) == (0, 0)
    assert out.operationCompleted == C.QSOPOSTIOCOMPLETION
    assert nothing_posted(port)


def test_post_bad_arguments(port: int) -> None:
    assert QsoPostIOCompletion(424242, Qso_OverlappedIO_t()) == -1 and get_errno() == errno.EINVAL
    assert QsoPostIOCompletion(port, None) == -1 and get_errno() == errno.EFAULT
    for wait_time in (0.5, timeval(1, 1), -1, "x"):
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(operationWaitTime=wait_time)) == -1
        assert get_errno() == errno.EINVAL
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(operationWaitTime=1, postedDescriptor=-5)) == -1
    assert get_errno() == errno.EBADF
    assert nothing_posted(port)


def test_completions_are_fifo(port: int) -> None:
    for i in range(50):
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=i)) == 0
    assert [wait_one(port).descriptorHandle for _ in range(50)] == list(range(50))


def _sleeping_waiters(port: int) -> int:
    return completion.get_port(port).waiting


def _stop(port: int, workers: list[threading.Thread]) -> None:
    """Post one "stop" per worker loop, and check every worker ended."""
    for _ in workers:
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="stop")) == 0
    for t in workers:
        t.join(DEADLINE)
        assert not t.is_alive()


def test_one_post_wakes_exactly_one_waiter(port: int) -> None:
    results: dict[int, tuple[int, object]] = {}

    def waiter(i: int) -> None:
        out = Qso_OverlappedIO_t()
        rc = QsoWaitForIOCompletion(port, out, 5)
        results[i] = (rc, out.descriptorHandle if rc == 1 else get_errno())

    threads = []
    for i in range(4):
        threads.append(spawn(waiter, i))
        until(lambda: _sleeping_waiters(port) == i + 1)
    for k in range(2):
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=f"post{k}")) == 0
        until(lambda: len(results) == k + 1)
        assert _sleeping_waiters(port) == 3 - k  # exactly one waiter left per post
    time.sleep(0.1)
    assert sorted(results.values()) == [(1, "post0"), (1, "post1")]
    for k in range(2, 4):
        QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=f"post{k}"))
    for t in threads:
        t.join(5)
    assert sorted(results.values()) == [(1, f"post{k}") for k in range(4)]  # one each


def test_a_worker_coming_back_takes_the_queue_and_a_stalled_one_wakes_a_follower(
        port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Completions queue for the worker that keeps taking them (no wake-up per completion);
    when it stays away for Port.STALL (blocked in its own work), one follower is woken."""
    monkeypatch.setattr(completion.Port, "STALL", 60.0)  # no follower woken, however slow the machine...
    taken: list[tuple[str, object]] = []
    blocked, release = threading.Event(), threading.Event()

    def worker(name: str) -> None:
        out = Qso_OverlappedIO_t()
        while QsoWaitForIOCompletion(port, out, 10) == 1 and out.descriptorHandle != "stop":
            taken.append((name, out.descriptorHandle))
            if out.descriptorHandle == "block":
                blocked.set()
                release.wait(10)

    threads = [spawn(worker, name) for name in ("a", "b")]
    until(lambda: _sleeping_waiters(port) == 2)
    burst = [f"p{i}" for i in range(10)]
    for handle in burst:
        assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=handle)) == 0
    until(lambda: len(taken) == len(burst))
    assert [handle for _, handle in taken] == burst
    assert len({name for name, _ in taken}) == 1       # one worker took the whole burst
    busy = taken[0][0]

    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="block")) == 0
    assert blocked.wait(5)
    monkeypatch.setattr(completion.Port, "STALL", 0.5)   # ...until the busy one is provably away
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="after")) == 0
    until(lambda: len(taken) == len(burst) + 2)        # the follower, after STALL
    assert taken[-2:] == [(busy, "block"), ({"a", "b"}.difference(busy).pop(), "after")]
    release.set()
    _stop(port, threads)


@replaces_engine_methods
def test_the_stand_in_looks_less_often_while_a_worker_polls(
        port: int, sockets: Sockets, monkeypatch: pytest.MonkeyPatch) -> None:
    """With receives pending and a worker polling for them, the stand-in (which leads only
    when nobody polls) backs off to a look every Engine.QUIET instead of one every GRACE:
    each look wakes a thread, and a busy worker pays for it at the interpreter lock."""
    looks: list[float] = []
    take_over = completion.Engine._take_over

    def counted(engine: completion.Engine) -> bool:
        looks.append(time.monotonic())
        return take_over(engine)

    monkeypatch.setattr(completion.Engine, "_take_over", counted)
    s, c = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, descriptorHandle="recv")
    assert QsoStartRecv(s, port, io) == 1 and io.postFlagResult == 0
    worker = spawn(wait_one, port)
    until(lambda: completion.get_port(port).leader_thread == worker.ident)
    started = time.monotonic()
    time.sleep(0.6)
    during = sum(1 for t in looks if t >= started)
    c.sendall(b"go")
    worker.join(DEADLINE)
    assert not worker.is_alive()
    assert during < 0.6 / completion.Engine.QUIET + 10, during     # every GRACE: 60


def test_a_worker_that_blocks_after_a_busy_spell_still_has_a_follower_take_over(
        port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in's looks have backed off during a busy spell (the worker kept taking
    a chain of completions); when the worker then blocks in its own work, a follower is
    still woken for what queues meanwhile."""
    taken: list[tuple[str, object]] = []
    blocked, release = threading.Event(), threading.Event()
    chain_ends = time.monotonic() + 0.3

    def worker(name: str) -> None:
        out = Qso_OverlappedIO_t()
        while QsoWaitForIOCompletion(port, out, DEADLINE) == 1 and out.descriptorHandle != "stop":
            taken.append((name, out.descriptorHandle))
            if out.descriptorHandle == "block":
                blocked.set()
                release.wait(DEADLINE)
            elif isinstance(out.descriptorHandle, int):
                following = out.descriptorHandle + 1 if time.monotonic() < chain_ends else "block"
                assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=following)) == 0

    threads = [spawn(worker, name) for name in ("a", "b")]
    until(lambda: _sleeping_waiters(port) == 2)
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=0)) == 0
    assert blocked.wait(DEADLINE)
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="after")) == 0
    until(lambda: taken[-1][1] == "after")
    blocker = next(name for name, handle in taken if handle == "block")
    assert taken[-1][0] != blocker                      # the follower took it, the blocked one could not
    release.set()
    _stop(port, threads)


@replaces_engine_methods
def test_the_leader_keeps_what_it_polled_for_though_it_is_slow_to_come_back(
        port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post arriving while the polling worker is on its way back with a completion (here
    held there, as a preempted thread would be) queues for it: it does not hand the
    leader's completion to a sleeping follower (a wake-up, and two threads taking at once)."""
    monkeypatch.setattr(completion.Port, "STALL", 60.0)  # it is back well inside it, however slow the machine
    on_its_way, go_on = threading.Event(), threading.Event()
    lead = completion.Engine.lead

    def lead_then_pause(engine: completion.Engine, p: completion.Port, end: float | None) -> None:
        lead(engine, p, end)
        if not on_its_way.is_set():
            on_its_way.set()
            go_on.wait(5)

    monkeypatch.setattr(completion.Engine, "lead", lead_then_pause)
    taken: list[tuple[int, object]] = []

    def worker() -> None:
        out = Qso_OverlappedIO_t()
        while QsoWaitForIOCompletion(port, out, 10) == 1 and out.descriptorHandle != "stop":
            taken.append((threading.get_ident(), out.descriptorHandle))

    threads = [spawn(worker) for _ in range(2)]
    until(lambda: _sleeping_waiters(port) == 2 and completion.get_port(port).leader_thread is not None)
    leader = completion.get_port(port).leader_thread
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="first")) == 0
    assert on_its_way.wait(5)
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="second")) == 0
    go_on.set()
    until(lambda: len(taken) == 2)
    assert taken == [(leader, "first"), (leader, "second")]
    monkeypatch.setattr(completion.Port, "STALL", 0.5)   # a stop queued for one gone wakes the other
    _stop(port, threads)


def test_destroy_wakes_every_waiter_with_edestroyed() -> None:
    p = QsoCreateIOCompletionPort()
    results: list[tuple[int, int]] = []

    def waiter() -> None:
        rc = QsoWaitForIOCompletion(p, Qso_OverlappedIO_t(), None)
        results.append((rc, get_errno()))

    threads = [spawn(waiter) for _ in range(3)]
    until(lambda: _sleeping_waiters(p) == 3)
    assert QsoDestroyIOCompletionPort(p) == 0
    for t in threads:
        t.join(5)
    assert results == [(-1, C.EDESTROYED)] * 3


def test_delayed_post_arrives_after_its_timer_with_eagain(port: int) -> None:
    io = Qso_OverlappedIO_t(descriptorHandle="late", operationWaitTime=timeval(1, 0))
    started = time.monotonic()
    assert QsoPostIOCompletion(port, io) == 0
    assert nothing_posted(port)
    out = wait_one(port, 5)
    assert time.monotonic() - started >= 0.9
    assert (out.descriptorHandle, out.returnValue, out.errnoValue) == ("late", -1, errno.EAGAIN)
    assert out.operationCompleted == C.QSOPOSTIOCOMPLETION


def test_delayed_post_tied_to_a_socket_closed_first_gets_eclosed(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    io = Qso_OverlappedIO_t(descriptorHandle="tied", operationWaitTime=60, postedDescriptor=s)
    assert QsoPostIOCompletion(port, io) == 0
    s.close()
    out = wait_one(port, 5)
    assert (out.descriptorHandle, out.returnValue, out.errnoValue) == ("tied", -1, C.ECLOSED)


def test_destroy_drops_delayed_posts() -> None:
    p = QsoCreateIOCompletionPort()
    assert QsoPostIOCompletion(p, Qso_OverlappedIO_t(operationWaitTime=30)) == 0
    assert QsoDestroyIOCompletionPort(p) == 0  # the no_leaks fixture checks the engine stopped


class _Interrupted(Exception):
    pass


def _wait_interrupted_by_a_signal(port: int, once: Callable[[], bool]) -> None:
    """QsoWaitForIOCompletion on the main thread, interrupted by a real signal whose
    handler raises, sent (to the main thread itself: a process signal may go to any
    thread) once ``once()`` holds, and again until it lands: one that arrives just before
    the wait's system call only interrupts the next one (compiled code does not look for
    signals in between)."""
    fired = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        if not fired.is_set():
            fired.set()
            raise _Interrupted

    def signal_the_main_thread() -> None:
        until(once)
        while not fired.wait(0.05):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGALRM)  # type: ignore[arg-type]

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signaller = spawn(signal_the_main_thread)
        with pytest.raises(_Interrupted):
            QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), DEADLINE)
        signaller.join(DEADLINE)  # (no late signal may reach the handler restored below)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_a_waiter_interrupted_by_a_signal_leaves_no_trace(port: int) -> None:
    got: list[object] = []

    def other() -> None:
        out = Qso_OverlappedIO_t()
        if QsoWaitForIOCompletion(port, out, 5) == 1:
            got.append(out.descriptorHandle)

    t = spawn(other)
    until(lambda: _sleeping_waiters(port) == 1)
    _wait_interrupted_by_a_signal(port, lambda: _sleeping_waiters(port) == 2)
    assert _sleeping_waiters(port) == 1
    assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle="after")) == 0
    t.join(5)
    assert got == ["after"]


def test_a_leader_interrupted_by_a_signal_while_it_polls_gives_up_the_lead_and_loses_nothing(
        port: int, sockets: Sockets) -> None:
    """A real signal (no replaced methods: the compiled build runs it too) while the main
    thread leads, polling for a pending receive: the handler's exception reaches the
    application, the lead is free again, and the receive still completes for the next wait."""
    s, c = sockets.pair()
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, descriptorHandle="recv")
    assert QsoStartRecv(s, port, io) == 1 and io.postFlagResult == 0
    qport = completion.get_port(port)
    _wait_interrupted_by_a_signal(port, lambda: qport.leader_thread == threading.main_thread().ident)
    assert qport.leader_thread is None and qport.waiting == 0
    c.sendall(b"after")
    out = wait_one(port)
    assert (out.descriptorHandle, bytes(out.buffer[:out.returnValue])) == ("recv", b"after")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_signal_handler_destroying_the_last_port_wakes_its_own_thread() -> None:
    """The main thread polls for the only port (it leads); a signal handler on that thread
    destroys the port: the destroy returns 0, the wait -1/EDESTROYED, and the engine's
    descriptors and thread are gone (run in a child process: the old code hung there)."""
    script = textwrap.dedent("""
        import os, signal, threading
        from gskit.compat.qso import QsoCreateIOCompletionPort, QsoDestroyIOCompletionPort, QsoWaitForIOCompletion
        from gskit.compat.errno_state import get_errno
        from gskit.compat.structs import Qso_OverlappedIO_t
        from gskit.io import completion
        before = set(os.listdir("/proc/self/fd"))
        port = QsoCreateIOCompletionPort()
        destroyed = []
        signal.signal(signal.SIGALRM, lambda *_: destroyed.append(QsoDestroyIOCompletionPort(port)))
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        rc = QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 30)
        assert (rc, get_errno(), destroyed) == (-1, 3463, [0]), (rc, get_errno(), destroyed)
        assert completion.current_engine() is None and threading.active_count() == 1
        assert set(os.listdir("/proc/self/fd")) == before
        print("ok")
    """)
    for poller in ("epoll", "selectors"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "GSKIT_POLLER": poller})
        assert done.returncode == 0 and done.stdout == "ok\n", (poller, done.stderr)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_create_port_out_of_descriptors_is_emfile_and_leaks_none() -> None:
    """Run in a child process under a descriptor limit just above what it has open: every
    refused QsoCreateIOCompletionPort answers -1/EMFILE and leaves no descriptor behind."""
    script = textwrap.dedent("""
        import errno, os, resource
        from gskit.compat.qso import QsoCreateIOCompletionPort, QsoDestroyIOCompletionPort
        from gskit.compat.errno_state import get_errno
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        refused = 0
        for extra in range(1, 6):
            before = set(os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(int(fd) for fd in before) + extra, hard))
            port = QsoCreateIOCompletionPort()
            code = get_errno()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            if port >= 0:
                assert QsoDestroyIOCompletionPort(port) == 0
                break
            assert code == errno.EMFILE, code
            assert set(os.listdir("/proc/self/fd")) == before
            refused += 1
        assert refused >= 1 and port >= 0, (refused, port)
        print("ok", refused)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_child_of_fork_starts_without_its_parents_ports() -> None:
    """Ports are the process's.  The parent forks while a thread of its leads the poll for a
    pending receive: in the child the parent's port is EINVAL (before: its destroy waited for
    ever for that thread, which does not exist there), a port of its own works (before: no
    completion ever came), and the parent's socket is left alone (before: the child's destroy
    shut it down, and the parent's receive got the end of file instead of its data)."""
    script = textwrap.dedent("""
        import errno, os, socket, threading, time
        from gskit.compat.qso import (QsoCreateIOCompletionPort, QsoDestroyIOCompletionPort,
                                      QsoStartRecv, QsoWaitForIOCompletion)
        from gskit.compat.errno_state import get_errno
        from gskit.compat.structs import Qso_OverlappedIO_t

        def receive(port, sock, timeout):
            buffer = bytearray(8)
            io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=8)
            if QsoStartRecv(sock.fileno(), port, io) == 1:
                io = Qso_OverlappedIO_t()
                if QsoWaitForIOCompletion(port, io, timeout) != 1:
                    return None
            return bytes(buffer[:io.returnValue])

        def tcp_pair():
            with socket.create_server(("127.0.0.1", 0)) as listener:
                one = socket.create_connection(listener.getsockname())
                return one, listener.accept()[0]

        port = QsoCreateIOCompletionPort()
        mine, peer = tcp_pair()
        parent = []
        waiter = threading.Thread(target=lambda: parent.append(receive(port, mine, 20)))
        waiter.start()
        time.sleep(0.3)                               # its thread leads the poll
        pid = os.fork()
        if pid == 0:
            checks = [QsoDestroyIOCompletionPort(port) == -1 and get_errno() == errno.EINVAL]
            own = QsoCreateIOCompletionPort()
            a, b = tcp_pair()
            b.send(b"child")
            checks.append(receive(own, a, 5) == b"child")
            checks.append(QsoDestroyIOCompletionPort(own) == 0)
            os._exit(0 if all(checks) else 10 + checks.index(False))
        for _ in range(200):                          # (a child that hangs fails the test)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            status = os.waitpid(pid, 0)[1]
        peer.send(b"hello")
        waiter.join(20)
        QsoDestroyIOCompletionPort(port)
        print(os.waitstatus_to_exitcode(status), parent)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90)
    assert done.stdout == "0 [b'hello']\n", done.stderr
