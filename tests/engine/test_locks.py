"""gskit.io.locks.Mutex: the engines' lock behaves as threading.Lock without a timeout."""
from __future__ import annotations

import signal
import sys
import threading
import time

import pytest

from gskit.engine import session_engine
from gskit.io.locks import Mutex


def test_the_compiled_build_has_the_c_mutex() -> None:
    """Without it the engines pay threading.Lock's argument parsing and clock read at every
    short section (docs/performance.md): the build makes it with the compiled modules (on
    Linux; elsewhere it may fall back where unnamed semaphores are missing)."""
    compiled = not session_engine.__file__.endswith(".py")
    if not compiled:
        assert Mutex is threading.Lock
    elif sys.platform.startswith("linux"):
        assert Mutex.__module__ == "gskit.io._mutex"


def test_acquire_release_and_locked() -> None:
    lock = Mutex()
    assert not lock.locked()
    assert lock.acquire() is True
    assert lock.locked()
    assert lock.acquire(False) is False                # held: a non-blocking try fails
    lock.release()
    assert not lock.locked()
    with lock:
        assert lock.locked()
        assert not lock.acquire(False)
    assert not lock.locked()
    assert lock.acquire(False) is True
    lock.release()


def test_releasing_an_unlocked_mutex_is_a_runtime_error() -> None:
    lock = Mutex()
    with pytest.raises(RuntimeError):
        lock.release()
    with lock:
        pass
    with pytest.raises(RuntimeError):
        lock.release()


def test_the_section_is_left_when_it_raises() -> None:
    lock = Mutex()
    with pytest.raises(KeyError):
        with lock:
            raise KeyError("inside")
    assert not lock.locked()


def test_a_waiter_sleeps_until_release_and_another_thread_may_release() -> None:
    """A thread waiting for the lock lets the holder run (it waits without the interpreter
    lock), and wakes when the lock is given back, here by a third thread, as
    threading.Lock allows."""
    lock = Mutex()
    lock.acquire()
    order: list[str] = []

    def waiter() -> None:
        with lock:
            order.append("waiter")

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.05)
    order.append("holder")                              # ran while the waiter waits
    releaser = threading.Thread(target=lock.release)
    releaser.start()
    releaser.join(5)
    t.join(5)
    assert not t.is_alive()
    assert order == ["holder", "waiter"]
    assert not lock.locked()


def test_sections_exclude_each_other() -> None:
    """Four threads incrementing under the lock lose no update."""
    lock = Mutex()
    box = [0]

    def work() -> None:
        for _ in range(20000):
            with lock:
                value = box[0]
                if value % 1000 == 0:
                    time.sleep(0)                       # give the others a chance to interleave
                box[0] = value + 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert box[0] == 80000


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_a_signal_handler_that_raises_ends_a_wait() -> None:
    """As with threading.Lock, Ctrl-C (here a handler that raises) reaches a thread waiting
    for a lock held elsewhere; the lock stays with its holder."""
    lock = Mutex()
    holder_has_it, finish = threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            holder_has_it.set()
            finish.wait(10)

    class Interrupted(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, handler)
    t = threading.Thread(target=holder)
    t.start()
    try:
        holder_has_it.wait(5)
        main = threading.get_ident()
        threading.Timer(0.1, lambda: signal.pthread_kill(main, signal.SIGUSR1)).start()
        with pytest.raises(Interrupted):
            lock.acquire()
        assert lock.locked()                            # still the holder's
    finally:
        finish.set()
        t.join(5)
        signal.signal(signal.SIGUSR1, previous)
    assert not lock.locked()
    assert lock.acquire(False)
    lock.release()

