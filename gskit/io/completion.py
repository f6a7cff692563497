"""The completion-port engine behind the Qso calls and the GSKit asynchronous calls.

Theory of operation
-------------------
* A **Port** is a FIFO of posted completions plus a FIFO of waiting threads.  A post goes
  to exactly one waiter: the oldest, which is either asleep (its private lock is released:
  one thread wakes) or is the thread polling for that port (it takes it without any
  hand-off).  With nobody waiting, the post is queued and the next thread to call ``wait``
  takes it without sleeping.
* An **Operation** is one started I/O: ``attempt()`` makes progress without blocking and
  says when it is finished; ``interest()`` says which readiness it waits for next.  Each
  socket (a **_Channel**, keyed by descriptor and checked by (st_dev, st_ino)) has two
  lanes, receive and send; only the head of a lane is attempted, so operations of one
  socket in one direction complete in start order.
* ``start()`` attempts the operation at once on the calling thread (a receive first asks
  ``ready()``: a poll of its socket, or data held above it, so that one that must wait
  costs no failing read).  Finished → returned in place (postFlag 0) or posted
  (postFlag 1); otherwise queued on its lane and the descriptor armed in the poller.
  On Linux that is epoll, edge-triggered: a socket stays registered (for reading, and
  for writing while a lane head waits for it) and costs no system call per operation.
  That is sound because every operation is attempted (or its socket polled) as soon as
  it heads its lane, so one that waits has seen "not ready" and the next edge will come;
  after a cancel, timer or close leaves a new head that never ran, the registration is
  modified, which makes the kernel report a socket that is already ready.  Elsewhere
  ``selectors.DefaultSelector`` (level-triggered, unregistered when idle), whose changes
  are applied by the polling thread.
* **Leader/follower**: at most one thread polls at a time.  A waiter that finds its port
  empty and nobody polling becomes the *leader*: it polls, runs the attempts of the ready
  sockets, and returns as soon as its own port has a completion, passing the lead to the
  oldest sleeping waiter.  So on a busy port completions are produced on the thread that
  consumes them, and a thread is woken only to take over the polling or to receive a
  completion while the others are busy — never once per completion "just in case".
* A waiter that finds completions queued takes one without sleeping; if nobody has polled
  for half a ``GRACE`` it first polls once without blocking, so busy workers keep the
  polling to themselves (one thread, no hand-off) instead of leaving it to the stand-in.
* A **stand-in thread** (``gskit-completion``) takes the lead only when it has stayed
  vacant for ``Engine.GRACE`` with operations pending or a timer due (every worker busy, or
  none waiting): sends keep flowing and timers fire with nobody in ``wait``.  It polls once
  and gives the lead back.  The timer heap (operationWaitTime, delayed posts) and the
  closed-descriptor sweep (every ``SWEEP_INTERVAL`` while operations pend, comparing
  (st_dev, st_ino): epoll forgets a closed descriptor silently; the operations are posted
  with ECLOSED) run on whichever thread polls.  The stand-in starts with the first port
  and is joined, and every descriptor closed, with the last.
* Every started operation ends exactly once, under its channel's lock: completed,
  aborted (cancel, timer, close → posted with an errno) or discarded (its port destroyed →
  nothing posted, the socket poisoned: later receives ECONNABORTED, sends EPIPE).

Lock order: channel lock → port lock → timer lock, and leadership lock → port lock →
timer lock; the channel-table lock is never held with another.  No polling thread takes
the registry lock, so destroying the last port may wait for them.
"""
from __future__ import annotations

import _socket
import contextlib
import errno as _errno
import heapq
import itertools
import os
import select
import selectors
import socket
import stat
import sys
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable, ClassVar, Final, Iterable, TypeAlias

from gskit._compiled import mypyc_attr
from gskit.constants import (
    ECANCELED,
    ECLOSED,
    EDESTROYED,
    ETIME,
    EUNKNOWN,
    QSO_MAX_IOCOMPLETION_PORTS,
    QSOPOSTIOCOMPLETION,
)
from gskit.compat.structs import Qso_OverlappedIO_t, to_seconds, to_timer_seconds
from gskit.io.locks import Mutex

# Final: compiled code keeps these as C constants rather than look each use up.
EVENT_READ: Final = selectors.EVENT_READ
EVENT_WRITE: Final = selectors.EVENT_WRITE
LANE_RECV: Final = 0
LANE_SEND: Final = 1
SWEEP_INTERVAL: Final = 0.25  # seconds between closed-descriptor sweeps while operations pend
DONTWAIT: Final = getattr(socket, "MSG_DONTWAIT", 0)                 # recv/send flags of a step that
SEND_FLAGS: Final = DONTWAIT | getattr(socket, "MSG_NOSIGNAL", 0)    # must not block (nor raise SIGPIPE)
_STREAM_FAMILIES: Final = (socket.AF_INET, socket.AF_INET6)
_monotonic: Final = time.monotonic
_EAGAIN: Final = _errno.EAGAIN          # (the errno module's names are not Final)
_get_ident: Final = threading.get_ident


def _poll_now(fd: int) -> bool:
    probe = select.poll()
    probe.register(fd, select.POLLIN)
    return bool(probe.poll(0))


def _probe() -> Callable[[int], bool]:
    """``fd -> has it something to read now?``: a zero-timeout ``poll(2)`` from the C module
    of ``gskit.engine.ssl_calls``, which keeps the interpreter lock (``select.poll`` hands it
    to a waiting worker and back, at every receive started); ``select.poll`` on the
    pure-Python build."""
    try:
        from gskit.engine import _sslcalls
    except ImportError:
        return _poll_now
    return _sslcalls.readable_now


readable_now: Final = _probe()


class QsoError(Exception):
    """A call failed: the compat layer answers -1 and sets ``errno``."""

    def __init__(self, errno_value: int) -> None:
        super().__init__(errno_value, os.strerror(errno_value) if errno_value < 3000 else "")
        self.errno = errno_value


# --------------------------------------------------------------------------- operations

_PENDING: Final = 0
_DONE: Final = 1

@mypyc_attr(allow_interpreted_subclasses=True)  # other facilities subclass it
class Operation:
    """One asynchronous operation; subclass it and implement ``attempt``.

    Contract for subclasses (the GSKit secure operations are built on it):

    * ``code`` is the ``operationCompleted`` value posted; ``lane`` (LANE_RECV or
      LANE_SEND) orders it behind earlier operations of the same socket and direction.
    * ``attempt()`` makes progress WITHOUT blocking and returns True once finished, with
      the result attributes set.  It runs first on the starting thread, then on the
      polling thread whenever ``interest()`` (EVENT_READ or EVENT_WRITE, may change between
      attempts) is signalled or the socket reports an error.  ``self.sock`` is a socket
      object on the descriptor (never close it; use MSG_DONTWAIT-style calls).
    * ``abort(errno_value)`` sets the result for a cancel (ECANCELED), a timer (EAGAIN),
      a close (ECLOSED) or any ``abort_operations`` call.
    * ``start_error()``: when the operation finishes inside the start call, an errno to
      fail the start call with (-1) instead of completing, or None.
    * ``uninterruptible`` True makes QsoCancelOperation fail with EAGAIN.
    * ``carries_buffer`` False posts buffer None and bufferLength/postFlag/fillBuffer 0;
      ``always_post`` True posts even a result reached inside the start call whatever
      postFlag says; ``time_limit()`` says when a pending operation is aborted, and how;
      ``uses_wait_time`` False ignores operationWaitTime (not checked either);
      ``on_listener`` True runs on a listening socket (an accept; anything else there is
      ENOTCONN at once, as recv() and send() answer).
    """

    code: ClassVar[int] = 0
    lane: ClassVar[int] = LANE_RECV
    carries_buffer: ClassVar[bool] = True
    always_post: ClassVar[bool] = False
    uses_wait_time: ClassVar[bool] = True
    on_listener: ClassVar[bool] = False

    # Per-operation state, defaulted here rather than set in __init__: one or two
    # operations are made per request, and most of these never change.
    returnValue: int = 0
    errnoValue: int = 0
    secureDataTransferSize: int = 0
    bytesAvailable: int = 0
    uninterruptible: bool = False
    sock: socket.socket | None = None
    # The input fields of the start call, captured when it starts (C copies the struct).
    descriptorHandle: Any = None
    buffer: Any = None
    bufferLength: Any = 0          # as the caller gave it (an accept does not check it)
    postFlag: int = 0
    fillBuffer: int = 0
    operationId: int = 0
    wait_seconds: int = 0         # operationWaitTime (0: no timer)
    _port: Port | None = None
    _channel: _Channel | None = None
    _timer: list[Any] | None = None
    _state: int = _PENDING

    def capture(self, io: Qso_OverlappedIO_t) -> None:
        """Take the request fields of ``io``; QsoError(EINVAL) when one breaks the rules
        (postedDescriptor is for QsoPostIOCompletion only)."""
        post, fill, operation_id, wait_time = io.postFlag, io.fillBuffer, io.operationId, io.operationWaitTime
        if not (type(post) is int and type(fill) is int and type(operation_id) is int  # the usual case
                and 0 <= operation_id < _UINT64 and not (io.reserved1 or io.reserved2 or io.postedDescriptor)):
            check_request(io)
        self.descriptorHandle = io.descriptorHandle
        self.buffer = io.buffer
        self.bufferLength = io.bufferLength
        self.postFlag = 1 if post else 0
        self.fillBuffer = 1 if fill else 0
        self.operationId = operation_id
        if wait_time is not None and self.uses_wait_time:
            try:
                self.wait_seconds = to_timer_seconds(wait_time)
            except ValueError:
                raise QsoError(_errno.EINVAL) from None

    def attempt(self) -> bool:
        raise NotImplementedError

    def ready(self) -> bool:
        """May an attempt now make progress?  Asked before the first attempt inside the start
        call; a receive answers from a poll of its socket, so that one that must wait does
        not pay a failing read first."""
        return True

    def interest(self) -> int:
        return EVENT_READ if self.lane == LANE_RECV else EVENT_WRITE

    def time_limit(self) -> tuple[float, int]:
        """(seconds, errno): once pending, abort with errno after seconds (0: never).
        By default operationWaitTime, and EAGAIN."""
        return self.wait_seconds, _EAGAIN

    def abort(self, errno_value: int) -> None:
        self.returnValue = -1
        self.errnoValue = errno_value

    def start_error(self) -> int | None:
        return self.errnoValue if self.returnValue == -1 else None

    def dropped(self) -> None:
        """Ended, but its completion will never be taken (the port was destroyed): let go
        of what only the completion would have handed over."""

    def copy_to(self, io: Qso_OverlappedIO_t) -> None:
        """The record posted for this operation, as QsoWaitForIOCompletion copies it out."""
        io.descriptorHandle = self.descriptorHandle
        io.operationId = self.operationId
        if self.carries_buffer:
            io.buffer, io.bufferLength = self.buffer, self.bufferLength
            io.postFlag, io.fillBuffer = self.postFlag, self.fillBuffer
        else:
            io.buffer, io.bufferLength, io.postFlag, io.fillBuffer = None, 0, 0, 0
        io.postFlagResult = 0
        io.operationWaitTime = None
        io.postedDescriptor = 0
        self.copy_results(io)

    def copy_results(self, io: Qso_OverlappedIO_t) -> None:
        """The result fields (a start call that finished at once writes only these)."""
        io.operationCompleted = self.code
        io.returnValue = self.returnValue
        io.errnoValue = self.errnoValue
        io.secureDataTransferSize = self.secureDataTransferSize
        io.bytesAvailable = self.bytesAvailable


_UINT64: Final = 1 << 64


def check_request(io: Qso_OverlappedIO_t) -> None:
    """QsoError(EINVAL) unless the flags are ints, operationId an unsigned 64-bit integer,
    and reserved1, reserved2 and postedDescriptor 0 (operationWaitTime is the operation's)."""
    if (not isinstance(io.postFlag, int) or not isinstance(io.fillBuffer, int)
            or not is_operation_id(io.operationId) or io.reserved1 or io.reserved2 or io.postedDescriptor):
        raise QsoError(_errno.EINVAL)


def is_operation_id(value: Any) -> bool:
    """An unsigned 64-bit integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _UINT64


class _DelayedPost(Operation):
    """QsoPostIOCompletion with a timer: parked (never attempted) until the timer fires."""

    code = QSOPOSTIOCOMPLETION
    lane = -1

    def __init__(self, base: Qso_OverlappedIO_t) -> None:
        self._base = base

    def copy_to(self, io: Qso_OverlappedIO_t) -> None:
        self._base.copy_to(io)
        io.returnValue, io.errnoValue = self.returnValue, self.errnoValue


# What a port queues: an ended operation, or a record of QsoPostIOCompletion.
Posted: TypeAlias = "Qso_OverlappedIO_t | Operation"


# --------------------------------------------------------------------------- ports


class _Waiter:
    """A thread asleep on a port: woken with a completion, EDESTROYED, or to lead."""

    __slots__ = ("lock", "item", "destroyed", "lead", "thread")

    def __init__(self) -> None:
        self.thread = _get_ident()
        self.lock = threading.Lock()
        self.lock.acquire()
        self.item: Posted | None = None
        self.destroyed = False
        self.lead = False


_thread_waiter = threading.local()


def _my_waiter() -> _Waiter:
    w = getattr(_thread_waiter, "w", None)
    if w is None:
        w = _thread_waiter.w = _Waiter()
    w.item, w.destroyed, w.lead = None, False, False
    return w


class Port:
    """A completion port: queued completions, sleeping waiters, pending operations.

    A waiter either sleeps here (a follower) or, when nobody polls, becomes the engine's
    leader and polls the sockets itself (``leader_thread``) until this port has a completion.
    While a worker keeps coming back for completions (it took one less than ``STALL``
    seconds ago) they queue for it instead of waking a follower; a queue that stalls that
    long (its worker blocked) wakes one.
    """

    STALL: ClassVar[float] = 0.002

    def __init__(self, number: int, engine: Engine) -> None:
        self.number = number
        self.engine = engine
        self.lock = Mutex()
        self.destroyed = False
        self.leader_thread: int | None = None
        self._promoted: int | None = None  # a follower woken to lead, not leading yet
        self._queue: deque[Posted] = deque()
        self._waiters: deque[_Waiter] = deque()
        self.pending: set[Operation] = set()
        self._last_take = 0.0
        self._workers: dict[int, float] = {}  # thread -> when it last took a completion

    def post(self, completion: Posted) -> bool:
        """Deliver to one waiter or queue it; False if the port is destroyed."""
        with self.lock:
            return self._post_locked(completion)

    def _post_locked(self, completion: Posted) -> bool:
        if self.destroyed:
            if isinstance(completion, Operation):
                completion.dropped()
            return False
        leader = self.leader_thread
        taker = self._promoted if leader is None else leader
        if taker is not None:
            # The waiter polling (or woken to poll) came first (the lead goes to the oldest
            # follower): it takes the completion itself, and comes back for the next ones.
            if not self._queue and leader is not None and leader != _get_ident():
                self.engine.wake()
            self._queue.append(completion)
            if self._waiters:
                self.engine.watch_stall(_monotonic() + self.STALL)
        elif self._waiters and self.stalled(_monotonic()):
            if self._queue:  # the oldest goes first
                self._queue.append(completion)
                completion = self._queue.popleft()
            self._hand(completion)
        else:
            self._queue.append(completion)
            if self._waiters:
                self.engine.watch_stall(self._last_take + self.STALL)
        return True

    def stalled(self, now: float) -> bool:
        """Has nobody taken a completion for STALL (no worker is coming back for more)?"""
        return now - self._last_take >= self.STALL

    def _worker_elsewhere(self, end: float | None) -> bool:
        """Is another thread busy with a completion it took less than STALL ago (and is
        there time to leave the backlog to it before ``end``)?"""
        now = _monotonic()
        return ((end is None or end > now)
                and any(now - taken < self.STALL for taken in tuple(self._workers.values())))

    def _hand(self, completion: Posted) -> None:
        """Wake the oldest follower with ``completion`` (caller holds the lock)."""
        w = self._waiters.popleft()
        w.item = completion
        w.lock.release()

    def unstall(self, now: float) -> tuple[bool, float | None]:
        """Wake a follower for the queue if nobody has taken from it for STALL: (woken,
        when to look again; None: nothing to watch)."""
        with self.lock:
            if not (self._queue and self._waiters) or self.destroyed:
                return False, None
            if not self.stalled(now):
                return False, self._last_take + self.STALL
            self._hand(self._queue.popleft())
            return True, now + self.STALL if self._queue and self._waiters else None

    def wait(self, timeout: float | None) -> Posted:
        """Take one completion; QsoError(ETIME / EDESTROYED / EINVAL) otherwise."""
        me = _get_ident()
        self._workers.pop(me, None)
        try:
            completion = self._wait(timeout)
            self._last_take = self._workers[me] = now = _monotonic()
            if len(self._workers) > 64:  # threads that took once and went: forget them
                self._workers = {t: at for t, at in tuple(self._workers.items()) if now - at < self.STALL}
            return completion
        finally:
            if self._promoted is not None:
                with self.lock:
                    self._unpromote(_get_ident())

    def _wait(self, timeout: float | None) -> Posted:
        engine = self.engine
        end = None if timeout is None else _monotonic() + timeout
        destroyed_errno = _errno.EINVAL  # a port already gone is no port at all
        polled = False
        while True:
            with self.lock:
                if self.destroyed:
                    raise QsoError(destroyed_errno)
                backlog = bool(self._queue)
                # Another worker is taking the backlog: leave it to it (two threads would only
                # contend for the interpreter lock); a stall hands us one (``unstall``).
                defer = backlog and bool(self._workers) and self._worker_elsewhere(end)
                if backlog and not defer and not engine.overdue():
                    return self._queue.popleft()
                left = None if end is None else end - _monotonic()
                if polled and left is not None and left <= 0:
                    raise QsoError(ETIME)
            destroyed_errno = EDESTROYED
            if not defer:
                if backlog:  # busy workers poll now and then themselves, not the stand-in
                    engine.poll_now()
                    continue
                if engine.claim():  # even a poll (timeout 0) runs what is ready
                    engine.lead(self, end)
                    polled = True
                    continue
                if left is not None and left <= 0:
                    raise QsoError(ETIME)
            w = _my_waiter()
            try:
                with self.lock:  # (no `continue` inside `with`: see setup.py)
                    again = bool(self.destroyed or (self._queue and not defer))
                    if not again:
                        self._waiters.append(w)
                        self._unpromote(w.thread)
                        if defer:
                            engine.watch_stall(self._last_take + self.STALL)
                if again:
                    continue
                if not defer and engine.vacant():  # the leader left meanwhile: lead instead of sleeping
                    with self.lock:
                        removed = self._remove(w)
                    if removed:
                        continue
                if not w.lock.acquire(True, -1 if left is None or left > threading.TIMEOUT_MAX
                                      else max(0.0, left)):
                    with self.lock:
                        if self._remove(w):
                            if self._queue:  # timed out with completions left to us: take one
                                return self._queue.popleft()
                            raise QsoError(ETIME)
                    w.lock.acquire()  # woken just as the timeout expired: the release happened
                if w.destroyed:
                    raise QsoError(EDESTROYED)
                if w.item is not None:
                    item, w.item = w.item, None  # the thread's waiter must not keep it (and its buffer)
                    return item
            except QsoError:
                raise
            except BaseException:  # a signal handler's, anywhere from joining to waking
                self._abandon(w)
                raise
            # promoted (w.lead): loop to take the lead

    def _abandon(self, w: _Waiter) -> None:
        """The waiting thread left on an exception: leave no waiter and lose nothing."""
        with self.lock:
            if self._remove(w):
                return
            w.lock.acquire(False)  # handed something (or never joined): pass it on
            self._unpromote(w.thread)
            if w.item is not None:
                self._queue.appendleft(w.item)  # it was the oldest: it stays first
                w.item = None
            if self._queue:  # ours, or what was kept for us: to another waiter
                if self._waiters:
                    self._hand(self._queue.popleft())
                elif self.leader_thread is not None:
                    self.engine.wake()

    @property
    def waiting(self) -> int:
        """How many threads wait on this port (asleep, or polling for it)."""
        return len(self._waiters) + (self.leader_thread is not None)

    def _unpromote(self, thread: int) -> None:
        """``thread`` leads, sleeps again or leaves: posts stop being kept for it."""
        if self._promoted == thread:
            self._promoted = None

    def _remove(self, w: _Waiter) -> bool:
        try:
            self._waiters.remove(w)
            return True
        except ValueError:
            return False

    def promote(self) -> bool:
        """Wake one sleeping waiter to lead the polling; False when none sleeps."""
        with self.lock:
            if not self._waiters:
                return False
            w = self._waiters.popleft()
            w.lead = True
            self._promoted = w.thread
            w.lock.release()
            return True

    def destroy(self) -> list[Operation]:
        """Wake every waiter with EDESTROYED; return the operations still pending."""
        with self.lock:
            self.destroyed = True
            for w in self._waiters:
                w.destroyed = True
                w.lock.release()
            self._waiters.clear()
            for completion in self._queue:
                if isinstance(completion, Operation):
                    completion.dropped()
            self._queue.clear()
            ops = list(self.pending)
            self.pending.clear()
            if self.leader_thread is not None:
                self.engine.wake()
        return ops


# --------------------------------------------------------------------------- pollers


class _EpollPoller:
    """epoll, edge-triggered; safe to arm from any thread while another polls."""

    _IN = select.EPOLLIN | getattr(select, "EPOLLRDHUP", 0)
    _ERR = select.EPOLLERR | select.EPOLLHUP

    arms_from_any_thread = True
    edge_triggered = True
    # Events taken per poll (the rest stay on epoll's ready list for the next one).  A
    # receive's completion is then taken, and its socket's TLS state written to, while that
    # state is still in the CPU's cache: at 1000 busy connections a poll without a limit
    # returned hundreds, and a TLS request cost 41-48 µs of server time instead of 30-35
    # (bench/completion_port.py, docs/performance.md).
    MAX_EVENTS: ClassVar[int] = 64

    def __init__(self) -> None:
        self._ep = select.epoll()

    def add_wakeup(self, fd: int) -> None:
        self._ep.register(fd, select.EPOLLIN)

    def arm(self, fd: int, events: int, registered: bool, owner: object) -> None:
        """Register (or modify) ``fd`` for ``events``; FileNotFoundError when a registration
        vanished (closed).  A modification reports the socket again if it is ready."""
        flags = select.EPOLLET
        if events & EVENT_READ:
            flags |= self._IN
        if events & EVENT_WRITE:
            flags |= select.EPOLLOUT
        if registered:
            self._ep.modify(fd, flags)
            return
        try:
            self._ep.register(fd, flags)
        except FileExistsError:
            self._ep.modify(fd, flags)

    def release(self, fd: int, owner: object) -> None:
        """The channel closed: epoll forgets a closed descriptor by itself."""

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        out = []
        for fd, ev in self._ep.poll(-1 if timeout is None else timeout, self.MAX_EVENTS):
            mask = EVENT_READ | EVENT_WRITE if ev & self._ERR else 0
            if ev & self._IN:
                mask |= EVENT_READ
            if ev & select.EPOLLOUT:
                mask |= EVENT_WRITE
            out.append((fd, mask))
        return out

    def close(self) -> None:
        self._ep.close()


class _SelectorPoller:
    """Portable fallback on ``selectors.DefaultSelector`` (kqueue, ...), not thread-safe:
    only the polling thread arms it; other threads queue their changes (``Engine._changes``)
    and wake it.  A channel with nothing pending is unregistered (level-triggered)."""

    arms_from_any_thread = False
    edge_triggered = False

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()

    def add_wakeup(self, fd: int) -> None:
        self._sel.register(fd, EVENT_READ)

    def arm(self, fd: int, events: int, registered: bool, owner: object) -> None:
        try:
            self._sel.modify(fd, events, owner)
        except KeyError:
            self._sel.register(fd, events, owner)
        except OSError:  # a closed descriptor, or a new socket on a reused number
            with contextlib.suppress(KeyError):  # a failed modify may have unregistered it
                self._sel.unregister(fd)
            self._sel.register(fd, events, owner)  # OSError again: closed (the caller sweeps)

    def release(self, fd: int, owner: object) -> None:
        """Unregister ``fd`` if ``owner`` armed it (a level-triggered selector would spin)."""
        try:
            if self._sel.get_key(fd).data is owner:
                self._sel.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        return [(key.fd, mask) for key, mask in self._sel.select(timeout)]

    def close(self) -> None:
        self._sel.close()


def _make_poller() -> _EpollPoller | _SelectorPoller:
    if hasattr(select, "epoll") and os.environ.get("GSKIT_POLLER", "epoll") == "epoll":
        return _EpollPoller()
    return _SelectorPoller()


# --------------------------------------------------------------------------- channels


def fileno_of(sd: Any) -> int:
    """The descriptor of ``sd`` (an int or an object with ``fileno()``); EBADF otherwise."""
    if isinstance(sd, int) and not isinstance(sd, bool):
        fd = sd
    else:
        try:
            fd = sd.fileno()
        except (AttributeError, OSError, ValueError, TypeError):
            raise QsoError(_errno.EBADF) from None
    if not isinstance(fd, int) or fd < 0:
        raise QsoError(_errno.EBADF)
    return fd


def _cookies() -> int:
    """Linux's SO_COOKIE if the kernel has it (4.6+), else 0."""
    option = getattr(socket, "SO_COOKIE", 57 if sys.platform.startswith("linux") else 0)
    if option:
        with socket.socket() as probe:
            try:
                probe.getsockopt(socket.SOL_SOCKET, option, 8)
            except OSError:
                return 0
    return option


_SO_COOKIE: Final = _cookies()


def current_identity(sock: _socket.socket) -> object:
    """What names the socket behind ``sock``'s descriptor now; None once it is closed or no
    socket.  Linux's socket cookie, read by getsockopt, which keeps the interpreter lock
    (``os.fstat`` hands it over: a thread switch whenever another thread is runnable);
    ``socket_identity`` where the system has no cookies."""
    try:
        if _SO_COOKIE:
            return sock.getsockopt(socket.SOL_SOCKET, _SO_COOKIE, 8)
        return socket_identity(sock.fileno())
    except (OSError, QsoError):
        return None


def socket_identity(fd: int) -> tuple[int, int]:
    """(st_dev, st_ino) of a socket descriptor; EBADF when closed, ENOTSOCK when no socket."""
    try:
        st = os.fstat(fd)
    except (OSError, OverflowError):
        raise QsoError(_errno.EBADF) from None
    if not stat.S_ISSOCK(st.st_mode):
        raise QsoError(_errno.ENOTSOCK)
    return (st.st_dev, st.st_ino)


class _Channel:
    """Per-socket state: the lanes, parked delayed posts, poller arming."""

    __slots__ = ("fd", "ident", "mark", "sock", "listening", "user", "lock", "lanes", "parked",
                 "armed", "registered")

    def __init__(self, fd: int, ident: tuple[int, int], sock: socket.socket) -> None:
        self.fd = fd
        self.ident = ident
        self.mark = current_identity(sock)  # told apart without fstat where there are cookies
        self.sock = sock
        self.listening = _listening(sock)
        self.user: weakref.ref[Any] | None = None  # the socket object first passed as ``sd``
        self.lock = Mutex()
        self.lanes: tuple[deque[Operation], deque[Operation]] = (deque(), deque())
        self.parked: set[Operation] = set()
        self.armed = 0
        self.registered = False

    def readable(self) -> bool:
        """Has the socket bytes (or an error, or the end) to read now?"""
        return readable_now(self.fd)

    def alive(self) -> bool:
        """Does the descriptor still name the socket this channel was made for?"""
        return current_identity(self.sock) == self.mark

    def names(self, sd: Any) -> bool:
        """Is ``sd`` still this channel's socket: the object first passed, or a number that
        still names the channel's socket?"""
        if self.user is not None:
            return self.user() is sd
        return self.alive()

    def busy(self) -> bool:
        return bool(self.lanes[0] or self.lanes[1] or self.parked)

    def wanted(self) -> int:
        receives, sends = self.lanes
        return ((receives[0].interest() if receives else 0)
                | (sends[0].interest() if sends else 0))

    def operations(self) -> Iterable[Operation]:
        return itertools.chain(self.lanes[0], self.lanes[1])


_SO_ACCEPTCONN: Final = getattr(socket, "SO_ACCEPTCONN", None)


def _listening(sock: socket.socket) -> bool:
    """Is ``sock`` a listening socket (False where that cannot be told)?"""
    try:
        return _SO_ACCEPTCONN is not None and bool(sock.getsockopt(socket.SOL_SOCKET, _SO_ACCEPTCONN))
    except OSError:     # (closed meanwhile: the operation finds out)
        return False


def _weak(obj: Any) -> weakref.ref[Any] | None:
    try:
        return weakref.ref(obj)
    except TypeError:
        return None


def _wrap(fd: int) -> socket.socket:
    """A socket object on ``fd`` that does not own it (always ``detach()`` it)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise QsoError(exc.errno or _errno.EBADF) from None
    if sock.family not in _STREAM_FAMILIES or sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise QsoError(_errno.EOPNOTSUPP)
    return sock


# --------------------------------------------------------------------------- engine


_REACTOR: Final = "reactor"
_INF: Final = float("inf")
_MAX_SLEEP: Final = 86400.0  # one poll or stand-by at most (epoll takes at most 2**31 ms); they loop


class Engine:
    """The poller, the timers, the socket channels, and who polls (leader/follower).

    At most one thread polls at a time: the *leader*.  A thread waiting on a port with
    nothing queued becomes the leader if the post is vacant, and polls until its port has a
    completion (which it then takes itself: no hand-off, no wake-up).  The engine's thread
    is a stand-in: it takes the lead only when the post has been vacant for GRACE seconds
    while operations are pending or timers are due (so sends progress and timers fire
    while every worker is busy or none waits), and hands it back as soon as a waiter asks.
    """

    GRACE: ClassVar[float] = 0.01  # seconds the lead may stay vacant with work pending
    QUIET: ClassVar[float] = 0.05  # seconds the stand-in's looks back off to while the workers keep up

    def __init__(self) -> None:
        self._lock = Mutex()
        self._stopped = False
        self._closed_by_leader = False  # stopped by the leader's own thread: it closes the poller
        self._channels: dict[int, _Channel] = {}
        self._active: set[_Channel] = set()
        self._poller = _make_poller()  # OSError (EMFILE, ...): nothing made yet
        self._changes: deque[_Channel] = deque()
        self._wake_r = self._wake_w = -1
        try:
            if hasattr(os, "eventfd"):
                self._wake_r = self._wake_w = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            else:
                self._wake_r, self._wake_w = os.pipe()
                os.set_blocking(self._wake_r, False)
                os.set_blocking(self._wake_w, False)
            self._poller.add_wakeup(self._wake_r)
        except OSError:
            self._close_descriptors()
            raise
        self.ports: set[Port] = set()
        self._lf = threading.Condition(threading.Lock())
        self._leader: Any = None
        self._vacant_since = 0.0
        self._last_poll = 0.0
        self._standby = threading.Lock()
        self._standby.acquire()
        self._timer_lock = Mutex()
        self._timers: list[list[Any]] = []
        self._cancelled = 0  # entries of _timers whose callback is None
        self._seq = itertools.count()
        self._poll_until = 0.0  # when the polling leader wakes by itself; 0 = nobody polls
        self._standby_until = 0.0  # when the stand-in wakes by itself; 0 = awake
        self._stall_at = _INF  # when the stand-in looks at the ports' queues (Port.unstall)
        self._quiet_until = 0.0  # no stall or vacancy rouses the stand-in before then
        self._quiet_step = 0.0
        self._next_sweep = 0.0
        self._stand_in = threading.Thread(target=self._run, name="gskit-completion", daemon=True)
        try:
            self._stand_in.start()
        except RuntimeError:  # no thread to be had
            self._close_descriptors()
            raise OSError(_errno.EAGAIN, "cannot start the completion engine's thread") from None

    # ----- waking

    def wake(self) -> None:
        """Make the polling leader return from its poll."""
        try:
            os.write(self._wake_w, b"\x01\0\0\0\0\0\0\0")
        except BlockingIOError:
            pass  # already signalled

    def _rouse(self) -> None:
        """Make the stand-in look again."""
        try:
            self._standby.release()
        except RuntimeError:
            pass  # already roused

    def _poller_by(self, when: float) -> None:
        """The polling leader must wake by ``when`` (caller holds the timer lock)."""
        if self._poll_until > when:
            self.wake()

    def watch_stall(self, when: float) -> None:
        """A port queued a completion while followers sleep: the stand-in looks by ``when``
        (or once its quiet spell ends)."""
        if when >= self._stall_at:  # the usual case on a busy port: already watched (rechecked below)
            return
        with self._timer_lock:
            if when < self._stall_at:
                self._stall_at = when
                if self._standby_until > max(when, self._quiet_until):
                    self._rouse()
                elif self._leader == _REACTOR:  # the stand-in is polling: cut its poll short
                    self._poller_by(when)

    def _standby_by(self, when: float) -> None:
        """With the lead vacant, the stand-in must look by ``when`` (caller holds the timer lock)."""
        if self._leader is None and self._standby_until > when:
            self._rouse()

    def _vacancy_watched_by(self, when: float) -> None:
        """Work is pending: with the lead vacant, the stand-in looks by ``when`` or once its
        quiet spell ends (caller holds the timer lock)."""
        self._standby_by(max(when, self._quiet_until))

    def _quieten(self, acted: bool) -> None:
        """After a look at the ports and the lead: one that found nothing to do (the workers
        kept up) soon after another doubles the stand-in's quiet spell, up to QUIET; one
        that acted, or came after a long sleep, ends it.

        Waking a thread costs a busy worker far more than the look itself: the woken thread
        waits for the interpreter lock, and the worker pays at each lock hand-off (a look
        every 2 ms cost a busy pool a fifth of its throughput)."""
        with self._timer_lock:
            now = _monotonic()
            if acted or now - self._quiet_until > self.QUIET:
                self._quiet_step = 0.0
            else:
                self._quiet_step = min(max(2 * self._quiet_step, Port.STALL), self.QUIET)
            self._quiet_until = now + self._quiet_step

    # ----- leadership

    def vacant(self) -> bool:
        return self._leader is None

    def overdue(self) -> bool:
        """Nobody has polled for half a GRACE: a waiter taking from a backlog should."""
        return self._leader is None and _monotonic() - self._last_poll > self.GRACE / 2

    def poll_now(self) -> None:
        """Poll once without blocking, if nobody else is polling."""
        if self.claim():
            try:
                self._poll_once(_monotonic())
            finally:
                self._resign(None, promote=False)  # the caller goes on waiting/working

    def claim(self) -> bool:
        """Take the lead if nobody has it; ask the stand-in to hand it back."""
        with self._lf:
            if self._stopped:
                return False
            if self._leader is None:
                self._leader = _get_ident()
                return True
            if self._leader == _REACTOR:
                self.wake()  # the stand-in resigns after this poll
            return False

    def _resign(self, first: Port | None, promote: bool = True, skip: Port | None = None) -> None:
        """Leave the lead; pass it to the oldest sleeping waiter (of ``first``, else of any
        port but ``skip``)."""
        with self._lf:
            self._leader = None
            self._vacant_since = _monotonic()
            if self._stopped:
                self._lf.notify_all()
                if self._closed_by_leader:
                    self._close_descriptors()
                return
            if promote and any(port.promote() for port in (first, *list(self.ports)) if port and port is not skip):
                return
            busy = bool(self._active or self._changes)
        if skip is not None and busy and skip._waiters:
            self.watch_stall(self._vacant_since + Port.STALL)  # a follower leads if it stays away
        with self._timer_lock:  # nobody polls now: the stand-in covers what is pending
            if self._timers:
                self._standby_by(self._timers[0][0])
            if busy:
                self._vacancy_watched_by(_monotonic() + self.GRACE)

    def lead(self, port: Port, end: float | None) -> None:
        """Poll on behalf of a waiter until ``port`` has a completion, is destroyed, or ``end``."""
        me = _get_ident()
        try:
            while True:
                with port.lock:
                    port.leader_thread = me
                    port._unpromote(me)
                    if port._queue or port.destroyed:
                        return
                self._poll_once(end)
                if end is not None and _monotonic() >= end:
                    return
        finally:
            with port.lock:
                port.leader_thread = None
                returning = bool(port._queue) and not port.destroyed
                if returning:  # posts queue for it until it has taken one (not woken followers)
                    port._promoted = me
            # One leaving with a completion comes back to the port soon: waking a follower
            # to poll meanwhile would only make two threads contend (the stand-in covers a
            # worker that stays away).
            self._resign(port, skip=port if returning else None)

    def _run(self) -> None:
        """The stand-in: sleeps, and leads while the post stays vacant with work to do."""
        while not self._stopped:
            woken = self._unstall()
            if self._take_over():  # one poll, then the lead is free again for a waiter
                try:
                    self._poll_once(None if self._stall_at == _INF else self._stall_at)
                finally:
                    self._resign(None)
                self._quieten(acted=True)
            else:
                self._quieten(acted=woken)
                self._stand_by()

    def _take_over(self) -> bool:
        with self._lf:
            if self._stopped or self._leader is not None:
                return False
            if _monotonic() - self._vacant_since < self.GRACE and self._active:
                return False
            if not (self._active or self._changes or self._due()):
                return False
            self._leader = _REACTOR
            return True

    def _unstall(self) -> bool:
        """Wake a follower for each port whose queue has waited STALL for its worker, and
        one to lead if the lead has been vacant that long with work pending: has it woken any?"""
        now = _monotonic()
        with self._timer_lock:
            if self._stall_at > now:
                return False
            self._stall_at = _INF
        woken = False
        for port in list(self.ports):
            handed, again = port.unstall(now)
            woken |= handed
            if again is not None:
                self.watch_stall(again)
        with self._lf:
            if (self._leader is None and now - self._vacant_since >= Port.STALL
                    and (self._active or self._changes)):
                for port in list(self.ports):
                    if port.stalled(now) and port.promote():
                        return True
        return woken

    def _due(self) -> bool:
        with self._timer_lock:
            return bool(self._timers) and self._timers[0][0] <= _monotonic()

    def _stand_by(self) -> None:
        """Sleep until a timer is due, a stall is to be looked for or, while work is
        pending, for at most GRACE (counted from the start of a vacancy); but for those two,
        not before the quiet spell ends (``_quieten``): a tick of 100 Hz at most, backing
        off to 1/QUIET while the workers keep up, cheaper than being roused at every
        vacancy of a busy port (``_standby_by`` covers the rest)."""
        with self._timer_lock:
            now = _monotonic()
            until = self._stall_at
            if self._active or self._changes:
                since = self._vacant_since if self._leader is None else now
                until = min(until, since + self.GRACE)
            until = max(until, self._quiet_until)
            if self._timers:
                until = min(until, self._timers[0][0])
            self._standby_until = until
        self._standby.acquire(True, -1 if until == _INF else min(_MAX_SLEEP, max(0.0, until - now)))
        with self._timer_lock:
            self._standby_until = 0.0

    def _poll_once(self, end: float | None) -> None:
        """Poll once (until ``end`` at the latest) and process what came."""
        with self._timer_lock:
            now = _monotonic()
            until = _INF if end is None else end
            if self._timers:
                until = min(until, self._timers[0][0])
            if self._active:
                if self._next_sweep <= now:
                    self._next_sweep = now + SWEEP_INTERVAL
                until = min(until, self._next_sweep)
            if self._changes or self._stopped:
                until = now
            self._poll_until = until
            self._last_poll = now
        try:
            events = self._poller.poll(None if until == _INF else min(_MAX_SLEEP, max(0.0, until - now)))
        finally:
            self._poll_until = 0.0
        try:
            for fd, mask in events:
                if fd == self._wake_r:
                    self._drain()
                    continue
                ch = self._channels.get(fd)
                if ch is not None:
                    self._service(ch, mask)
            while self._changes:
                ch = self._changes[0]  # taken off only once armed
                with ch.lock:
                    self._arm(ch)
                self._changes.popleft()
        except BaseException:
            # A signal handler's exception (KeyboardInterrupt) on a leading main thread:
            # edge-triggered, what this poll reported is not reported again unless re-armed.
            self._report_again(events)
            raise
        self._run_timers()
        if self._active and _monotonic() >= self._next_sweep:
            self._sweep()

    def _report_again(self, events: list[tuple[int, int]]) -> None:
        for fd, _ in events:
            ch = self._channels.get(fd)
            if ch is not None:
                with ch.lock:
                    self._arm(ch, recheck=True)

    def _drain(self) -> None:
        try:
            os.read(self._wake_r, 4096)
        except BlockingIOError:
            pass

    # ----- timers

    def add_timer(self, delay: float, callback: Callable[..., None], *args: Any) -> list[Any]:
        """Run ``callback(*args)`` on the polling thread after ``delay`` s (the entry returned
        is what ``cancel_timer`` takes)."""
        when = _monotonic() + delay
        entry = [when, next(self._seq), args, callback]
        with self._timer_lock:
            heapq.heappush(self._timers, entry)
            self._poller_by(when)
            self._standby_by(when)
        return entry

    def cancel_timer(self, entry: list[Any]) -> None:
        """The callback will not run, and nothing it would have been given stays held (an
        operation's buffer is the application's again at once)."""
        with self._timer_lock:
            if entry[3] is None:  # cancelled or fired already
                return
            entry[2], entry[3] = (), None  # the entry stays in the heap until it is due...
            self._cancelled += 1
            if self._cancelled > 64 and 2 * self._cancelled > len(self._timers):
                # ...unless the cancelled ones are most of it: long timeouts, quick results
                self._timers = [e for e in self._timers if e[3] is not None]
                heapq.heapify(self._timers)
                self._cancelled = 0

    def _run_timers(self) -> None:
        now = _monotonic()
        while True:
            with self._timer_lock:
                if not self._timers or self._timers[0][0] > now:
                    return
                entry = heapq.heappop(self._timers)
                args, callback = entry[2], entry[3]
                if callback is None:
                    self._cancelled -= 1
                else:
                    entry[2], entry[3] = (), None  # fired: cancelling it now changes nothing
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception:
                raise
            except BaseException:  # a signal handler's: the callback runs again next poll
                with self._timer_lock:
                    entry[2], entry[3] = args, callback
                    heapq.heappush(self._timers, entry)
                raise

    def _sweep(self) -> None:
        for ch in list(self._active):
            if not ch.alive():
                self._close_channel(ch)

    def stop(self) -> None:
        """Stop the stand-in, wait for any leader to leave, close descriptors, release channels.

        Called on the polling thread itself (a signal handler interrupted its poll), it leaves
        the descriptors to the leader, which closes them when its poll returns."""
        me = _get_ident()
        with self._lf:
            self._stopped = True
            self.wake()
            while self._leader not in (None, _REACTOR, me):
                self._lf.wait(1.0)
            self._closed_by_leader = self._leader == me
        with self._lock:
            channels = list(self._channels.values())
            self._channels.clear()
        self.wake()
        self._rouse()
        if threading.current_thread() is not self._stand_in:
            self._stand_in.join()
        for ch in channels:
            ch.sock.detach()
        if not self._closed_by_leader:
            self._close_descriptors()

    def forsake(self) -> None:
        """In a child of fork(): let go of everything without waiting for the parent's threads,
        which do not exist here, nor taking a lock one of them may have held: the child's
        copies of the descriptors are closed, the sockets left alone (they are the
        application's, and the parent's operations on them go on in the parent)."""
        for ch in self._channels.values():
            ch.sock.detach()
        self._channels.clear()
        self._close_descriptors()

    def _close_descriptors(self) -> None:
        """The poller's and the wake-up descriptors (those made so far)."""
        self._poller.close()
        for fd in {self._wake_r, self._wake_w} - {-1}:
            os.close(fd)

    # ----- channels

    def channel(self, fd: int, ident: tuple[int, int] | None = None) -> _Channel:
        """The channel of a live socket descriptor, created on first use."""
        if ident is None:
            ident = socket_identity(fd)
        ch = self._channels.get(fd)
        if ch is not None and ch.ident == ident:
            return ch
        sock = _wrap(fd)
        with self._lock:
            if self._stopped:
                sock.detach()
                raise QsoError(_errno.EINVAL)
            old = self._channels.get(fd)
            if old is not None and old.ident == ident:
                sock.detach()
                return old
            ch = self._channels[fd] = _Channel(fd, ident, sock)
        if old is not None:
            self._close_channel(old)
        return ch

    def find_channel(self, fd: int, ident: tuple[int, int]) -> _Channel | None:
        """The existing channel of ``fd`` if it still names the socket ``ident``
        (``socket_identity(fd)``, which the caller has checked)."""
        ch = self._channels.get(fd)
        return ch if ch is not None and ch.ident == ident else None

    def _close_channel(self, ch: _Channel) -> None:
        """The socket was closed: post everything pending on it with ECLOSED."""
        with ch.lock:
            for op in [*ch.operations(), *ch.parked]:
                self._abort(op, ECLOSED)
            self._poller.release(ch.fd, ch)
            ch.registered = False
            ch.armed = 0
        self._active.discard(ch)
        with self._lock:
            if self._channels.get(ch.fd) is ch:
                del self._channels[ch.fd]
        ch.sock.detach()

    def _arm(self, ch: _Channel, recheck: bool = False) -> None:
        """Arm the poller for what the lane heads wait for (caller holds ch.lock).

        Edge-triggered, a socket stays registered for reading, and ``recheck`` modifies an
        unchanged registration so that a socket already ready is reported (a new lane head
        that never ran).
        """
        wanted = ch.wanted()
        if self._poller.edge_triggered:
            wanted |= EVENT_READ
        if not wanted or (wanted == ch.armed and not recheck):
            return
        if not self._poller.arms_from_any_thread and not self._leading():
            self._changes.append(ch)
            self.wake()
            self._rouse()
            return
        try:
            self._poller.arm(ch.fd, wanted, ch.registered, ch)
        except FileNotFoundError:
            ch.registered = False  # the registration vanished: the descriptor was closed?
            if not ch.alive():
                self._schedule_close(ch)
                return
            self._poller.arm(ch.fd, wanted, False, ch)
        except OSError:
            self._schedule_close(ch)
            return
        ch.registered = True
        ch.armed = wanted

    def _leading(self) -> bool:
        leader = self._leader
        me = _get_ident()
        return leader == me or (leader == _REACTOR and self._stand_in.ident == me)

    def _schedule_close(self, ch: _Channel) -> None:
        # Called with ch.lock held: the close runs next on the polling thread.
        self.add_timer(0, self._close_channel, ch)

    def _service(self, ch: _Channel, mask: int) -> None:
        """The poller signalled ``mask`` on ``ch``: advance the heads of its lanes."""
        with ch.lock:
            if not self._poller.edge_triggered:
                ch.armed = 0  # a level-triggered selector is re-armed below
            for lane in ch.lanes:
                ready = mask
                while lane:
                    op = lane[0]
                    if not ready & op.interest():  # an error sets both bits
                        break
                    if not self._attempt(op):
                        break
                    lane.popleft()
                    self._finish(op)
                    ready = EVENT_READ | EVENT_WRITE  # the next one may be ready too
            self._settle(ch)

    @staticmethod
    def _attempt(op: Operation) -> bool:
        try:
            return op.attempt()
        except Exception:  # a defect in an operation must not kill the polling thread
            op.abort(EUNKNOWN)
            return True

    # ----- operation life cycle

    def start(self, port: Port, sd: Any, io: Qso_OverlappedIO_t, op: Operation) -> int:
        """Start ``op`` on socket ``sd`` for ``port`` with the request in ``io`` (a
        ``Qso_OverlappedIO_t``, checked by the caller).

        Returns 0 (finished at once, result copied into ``io``, nothing posted) or 1
        (posted at once with postFlagResult 1, or pending with postFlagResult 0).  Raises
        QsoError(errno) for a bad port, structure or socket.
        """
        op.capture(io)
        fd = sd if type(sd) is int else fileno_of(sd)
        ch = self._channels.get(fd)
        if ch is None or not ch.names(sd):
            ch = self._channel_for(fd, sd)  # (an fstat, which checks the descriptor fully)
        if _poisoned and _poisoned.get(fd) is not None:
            if _poisoned[fd] == ch.ident:
                raise QsoError(_errno.EPIPE if op.lane == LANE_SEND else _errno.ECONNABORTED)
            _poisoned.pop(fd, None)
        if port.destroyed:
            raise QsoError(_errno.EINVAL)
        if ch.listening and not op.on_listener:    # (a poll would wait for a connection)
            raise QsoError(_errno.ENOTCONN)
        op.sock, op._port, op._channel = ch.sock, port, ch
        with ch.lock:
            lane = ch.lanes[op.lane]
            if not lane and op.ready() and self._attempt(op):
                return self._finished_at_start(port, io, op)
            with port.lock:
                if port.destroyed:
                    raise QsoError(_errno.EINVAL)
                port.pending.add(op)
            lane.append(op)
            self._activate(ch)
            self._arm(ch)
            seconds, errno_value = op.time_limit()
            if seconds:
                op._timer = self.add_timer(seconds, self._end_pending, op, errno_value)
        io.postFlagResult = 0
        return 1

    def _channel_for(self, fd: int, sd: Any) -> _Channel:
        """The channel of ``fd`` checked against the socket now behind it; remembers ``sd``."""
        if fd < 0:
            raise QsoError(_errno.EBADF)
        ch = self.channel(fd, socket_identity(fd))
        ch.user = None if isinstance(sd, int) else _weak(sd)
        return ch

    def _finished_at_start(self, port: Port, io: Qso_OverlappedIO_t, op: Operation) -> int:
        op._state = _DONE
        err = op.start_error()
        if err is not None:
            raise QsoError(err)
        if not (op.postFlag or op.always_post):
            op.copy_results(io)
            io.postFlagResult = 0
            return 0
        if not port.post(op):
            raise QsoError(_errno.EINVAL)
        io.postFlagResult = 1
        return 1

    def recheck(self, op: Operation) -> None:
        """``op`` waited for something other than its socket (its interest was 0) and may go
        on: if still pending, it is attempted after the next poll (from any thread, even one
        holding a channel's lock)."""
        self.add_timer(0, self._recheck, op)

    def _recheck(self, op: Operation) -> None:
        ch = op._channel
        if ch is None:
            return
        with ch.lock:
            if op._state == _PENDING:
                self._arm(ch, recheck=True)

    def _activate(self, ch: _Channel) -> None:
        """``ch`` has pending operations: make sure the sweep and a poller cover it.

        Only the first active channel asks: while any is active, the leader's polls end by
        the next sweep and the stand-in's sleeps by GRACE after a vacancy (both count from
        their own start, so no later channel needs an earlier deadline)."""
        active = self._active
        if ch in active:
            return
        first = not active
        active.add(ch)
        if not first:
            return
        with self._timer_lock:
            now = _monotonic()
            self._poller_by(now + SWEEP_INTERVAL)
            self._vacancy_watched_by(now + self.GRACE)

    def _unlink(self, op: Operation) -> None:
        """Take a pending op out of its channel and timer (caller holds the channel lock)."""
        ch = op._channel
        if ch is not None:
            if op.lane < 0:
                ch.parked.discard(op)
            else:
                try:
                    ch.lanes[op.lane].remove(op)
                except ValueError:
                    pass
        _cancel_timer(op)

    def _abort(self, op: Operation, errno_value: int) -> None:
        """End a pending op with ``errno_value`` and post it (caller holds the channel lock)."""
        self._unlink(op)
        op.abort(errno_value)
        self._finish(op)

    def _finish(self, op: Operation) -> None:
        """A pending op ended: post its completion (caller holds the channel lock)."""
        op._state = _DONE
        _cancel_timer(op)
        port = op._port
        assert port is not None
        with port.lock:
            port.pending.discard(op)
            port._post_locked(op)

    def _end_pending(self, op: Operation, errno_value: int) -> None:
        """Abort one op if still pending (timer expiry), then re-arm its channel."""
        ch = op._channel
        if ch is None:
            self._abort_unlocked(op, errno_value)
            return
        with ch.lock:
            if op._state != _PENDING:
                return
            self._abort(op, errno_value)
            self._settle(ch, recheck=True)

    def _abort_unlocked(self, op: Operation, errno_value: int) -> None:
        port = op._port
        assert port is not None
        with port.lock:
            if op._state != _PENDING:
                return
            op._state = _DONE
            op.abort(errno_value)
            port.pending.discard(op)
            port._post_locked(op)

    def _settle(self, ch: _Channel, recheck: bool = False) -> None:
        """Re-arm a channel for its lane heads (``recheck``: after an abort left a new head
        that never ran), or mark it idle (caller holds its lock)."""
        busy = ch.busy()
        if not busy:
            self._active.discard(ch)
        if busy or self._poller.edge_triggered:  # (idle edge-triggered: stop watching writes)
            self._arm(ch, recheck)
        elif ch.armed or not self._poller.arms_from_any_thread:
            self._poller.release(ch.fd, ch)
            ch.armed = 0

    def discard(self, ops: Iterable[Operation]) -> None:
        """Their port was destroyed: end them silently and poison their sockets."""
        for op in ops:
            ch = op._channel
            if ch is None:  # a delayed post without a socket
                _cancel_timer(op)
                op._state = _DONE
                continue
            with ch.lock:
                if op._state == _PENDING:
                    self._unlink(op)
                    op._state = _DONE
                    if op.lane >= 0:
                        _poison(ch)
                    self._settle(ch, recheck=True)

    def post(self, port: Port, completion: Qso_OverlappedIO_t, delay: int, posted_fd: int) -> None:
        """QsoPostIOCompletion: post now, or after ``delay`` s tied to socket ``posted_fd``."""
        if not delay:
            if not port.post(completion):
                raise QsoError(_errno.EINVAL)
            return
        op = _DelayedPost(completion)
        op._port = port
        ch = op._channel = self.channel(posted_fd) if posted_fd else None
        with ch.lock if ch is not None else contextlib.nullcontext():
            with port.lock:
                if port.destroyed:
                    raise QsoError(_errno.EINVAL)
                port.pending.add(op)
            if ch is not None:
                ch.parked.add(op)
                self._activate(ch)
            op._timer = self.add_timer(delay, self._end_pending, op, _errno.EAGAIN)

    def is_pending(self, fd: int, ident: tuple[int, int], operation_id: int) -> bool:
        """QsoIsOperationPending: is an operation with that id pending on ``fd``?"""
        ch = self.find_channel(fd, ident)
        if ch is None:
            return False
        with ch.lock:
            return any(op.operationId == operation_id for op in ch.operations())

    def cancel(self, fd: int, ident: tuple[int, int], operation_id: int) -> int:
        """QsoCancelOperation: the number cancelled; QsoError(EAGAIN) if one is uninterruptible."""
        ch = self.find_channel(fd, ident)
        if ch is None:
            return 0
        return self._abort_in(ch, ECANCELED, lambda op: op.operationId == operation_id, strict=True)

    def abort_operations(self, fd: int, errno_value: int,
                         match: Callable[[Operation], bool] | None = None) -> int:
        """Abort and post every pending operation on descriptor ``fd`` that ``match`` accepts
        (all when None), even if the descriptor was closed meanwhile; returns how many."""
        ch = self._channels.get(fd)
        return 0 if ch is None else self._abort_in(ch, errno_value, match, strict=False)

    def _abort_in(self, ch: _Channel, errno_value: int,
                  match: Callable[[Operation], bool] | None, strict: bool) -> int:
        """With ``strict``, abort nothing and raise QsoError(EAGAIN) if a match is uninterruptible."""
        with ch.lock:
            ops = [op for op in ch.operations() if match is None or match(op)]
            if strict and any(op.uninterruptible for op in ops):
                raise QsoError(_errno.EAGAIN)
            for op in ops:
                self._abort(op, errno_value)
            self._settle(ch, recheck=bool(ops))
        return len(ops)


def _cancel_timer(op: Operation) -> None:
    if op._timer is not None:
        op._port.engine.cancel_timer(op._timer)  # type: ignore[union-attr]
        op._timer = None


# Sockets whose operations were discarded by a port's destruction: fd -> identity.
_poisoned: Final[dict[int, tuple[int, int]]] = {}


def _poison(ch: _Channel) -> None:
    _poisoned[ch.fd] = ch.ident
    try:
        ch.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# --------------------------------------------------------------------------- registry

_registry_lock = Mutex()
_ports: dict[int, Port] = {}
_port_numbers = itertools.count()
_engine: Engine | None = None


def create_port() -> int:
    """A new port number; QsoError(ENOBUFS) past QSO_MAX_IOCOMPLETION_PORTS."""
    global _engine
    with _registry_lock:
        if len(_ports) >= QSO_MAX_IOCOMPLETION_PORTS:
            raise QsoError(_errno.ENOBUFS)
        if _engine is None:
            try:
                _engine = Engine()
            except OSError as exc:  # out of descriptors (EMFILE, ENFILE) or memory
                raise QsoError(exc.errno or _errno.ENOMEM) from None
        number = next(_port_numbers)
        port = _ports[number] = Port(number, _engine)
        _engine.ports.add(port)
        return number


def get_port(number: Any) -> Port:
    """The live port of that number; QsoError(EINVAL) otherwise."""
    port = _ports.get(number) if isinstance(number, int) and not isinstance(number, bool) else None
    if port is None:
        raise QsoError(_errno.EINVAL)
    return port


def destroy_port(number: Any) -> None:
    """Destroy a port: waiters get EDESTROYED, pending operations end unposted."""
    global _engine
    with _registry_lock:
        port = get_port(number)
        del _ports[number]
        port.engine.ports.discard(port)
        ops = port.destroy()
        port.engine.discard(ops)
        if not _ports and _engine is not None:
            _engine.stop()
            _engine = None


def _forget_the_parents_ports() -> None:
    """After fork(), in the child: ports are the process's (the reference), so the child
    starts with none; the parent's port numbers are EINVAL here, and its operations, engine
    and sockets are left to the parent."""
    global _engine
    engine, _engine = _engine, None
    _ports.clear()
    _poisoned.clear()
    if engine is not None:
        engine.forsake()
    _registry_lock.release()


if hasattr(os, "register_at_fork"):   # (the lock across the fork: no port is half made or destroyed)
    os.register_at_fork(before=_registry_lock.acquire, after_in_parent=_registry_lock.release,
                        after_in_child=_forget_the_parents_ports)


def current_engine() -> Engine | None:
    """The running engine, or None when no port exists."""
    return _engine


def wait(port: Port, io: object, timeout: object) -> None:
    """Block for one completion of ``port`` and copy it into ``io``: what the caller gave,
    checked here (EFAULT: not a ``Qso_OverlappedIO_t``; EINVAL: not a ``timeval``, seconds or None)."""
    if not isinstance(io, Qso_OverlappedIO_t):
        raise QsoError(_errno.EFAULT)
    try:
        seconds = None if timeout is None else to_seconds(timeout)
    except ValueError:
        raise QsoError(_errno.EINVAL) from None
    port.wait(seconds).copy_to(io)
