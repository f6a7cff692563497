"""``Mutex``: the lock of the engines' short critical sections (a channel's lanes, a port's
queue, a pump's OpenSSL connection, a session's send turn).

It behaves as ``threading.Lock`` without a timeout.  In the compiled build it is the C type
of ``gskit/io/_mutex.c``: the same POSIX semaphore as ``threading.Lock``'s, but an acquire
parses no arguments and reads no clock, and ``__exit__`` builds no tuple, which on a TLS echo
request, whose dozen sections take a few hundred nanoseconds each, was a twentieth of the
server's time (docs/performance.md, eighteenth completion-port run).  Without the C module
(the pure-Python build), or where the system has no unnamed semaphores, it is
``threading.Lock``.  Waits with a timeout (a port's sleeping workers, the polling
stand-in) stay on ``threading.Lock``.
"""
from __future__ import annotations

import threading

try:
    from gskit.io._mutex import Mutex
    Mutex()  # unnamed POSIX semaphores work here (macOS declares sem_init, which fails: ENOSYS)
except (ImportError, OSError):
    Mutex = threading.Lock  # type: ignore[misc,assignment]

C_MUTEX = Mutex is not threading.Lock   # the C type (which gskit/engine/_sslcalls.c also takes)

__all__ = ["C_MUTEX", "Mutex"]
