"""The blocking adapter: ``gsk_secure_soc_init/read/write`` on a descriptor or an I/O callback.

Two pumps drive a session's ``TLSEngine``:

* ``DirectPump`` (the common case: a TCP socket the application gave in blocking mode):
  OpenSSL reads and writes the descriptor itself, gskit only waits in ``poll()``.
* ``BlockingPump`` (memory BIOs: a non-blocking socket, ``GSK_IO_CALLBACK``, a server that
  must read the ClientHello first, a session that also makes asynchronous calls): the
  engine lock guards OpenSSL, the send lock keeps ciphertext in order, and socket waits
  happen with neither held, so one thread may read while another writes.

The transports they run on are ``gskit.io.transports``.
"""
from __future__ import annotations

import time
from typing import Any, Final, cast

from gskit import errors as rc
from gskit.compat.errno_state import set_errno
from gskit.engine.openssl_errors import socket_failure
from gskit.engine.session_engine import TLSEngine
from gskit.engine.ssl_calls import CLOSING, REPLACED, read_waiting
from gskit.errors import GSKError
from gskit.io.completion import DONTWAIT
from gskit.io.locks import Mutex
from gskit.io.transports import SocketTransport, Transport, descriptor_closed, next_wait, seconds_left

RECV_SIZE: Final = 65536

# What a non-blocking step (``*_step``, for the asynchronous operations) needs next: a
# count >= 0 means done, these mean "call again once the socket is readable / writable".
NEED_READ: Final = -1
NEED_WRITE: Final = -2
_NOT_YET: Final = object()      # Pump.sock not asked for yet


def _io_error(exc: OSError) -> GSKError:
    """A socket error as GSKError: 420 for a closed descriptor, else 406 (errno set)."""
    failure = socket_failure(exc)
    if failure.rc == rc.GSK_ERROR_IO:
        set_errno(failure.errno)
    return failure.error()


def _closed_by_another_thread() -> GSKError:
    return GSKError.for_rc(rc.GSK_IBMI_ERROR_CLOSED, "the session was closed by another thread")


class Pump:
    """What a session and its asynchronous operations call on either pump.

    A class rather than a ``typing.Protocol`` so that compiled callers reach the pumps'
    methods through a C vtable instead of looking each one up by name (docs/performance.md,
    fourteenth run of the completion ports).
    """

    def __init__(self, engine: TLSEngine, transport: Transport) -> None:
        self.engine = engine
        self.transport = transport      # (one type for both pumps: mypyc refuses a narrower one below)
        self.engine_lock = Mutex()
        self._sock: Any = _NOT_YET
        self.interrupted = False

    @property
    def sock(self) -> Any:
        """The transport's socket object (None: an I/O callback transport).  Read on every
        asynchronous request, so kept here once asked for, where compiled code reads it
        without a look-up by name; never asked for by a synchronous session on its socket,
        whose transport then makes none.  GSK_ERROR_SOCKET_CLOSED (GSKError) when the
        application has closed the descriptor before."""
        sock = self._sock
        if sock is _NOT_YET:
            try:
                sock = self._sock = getattr(self.transport, "sock", None)
            except OSError as exc:
                raise _io_error(exc) from None
        return sock

    def interrupt(self) -> None:
        """Another thread is closing the session: wake whoever waits on the transport."""
        self.interrupted = True
        self.transport.interrupt()

    def release(self, same_socket: bool) -> None:
        """At the session's close; ``same_socket``: the descriptor still names the session's
        socket (its mode is then restored)."""
        raise NotImplementedError

    def flush(self, block: bool = True, deadline: float | None = None) -> bool:
        raise NotImplementedError

    def handshake(self, timeout: float | None) -> None:
        raise NotImplementedError

    def read_into(self, buffer: memoryview, timeout: float | None) -> int:
        raise NotImplementedError

    def write(self, data: bytes | memoryview) -> int:
        raise NotImplementedError

    def handshake_step(self) -> int:
        raise NotImplementedError

    def read_step(self, buffer: memoryview) -> int:
        raise NotImplementedError

    def write_step(self, data: memoryview, started: bool) -> int:
        raise NotImplementedError

    def holds_input(self) -> bool:
        raise NotImplementedError

    def abandon(self, data: memoryview) -> None:
        raise NotImplementedError


class BlockingPump(Pump):
    """Drives one engine on memory BIOs over one transport with blocking semantics."""

    def __init__(self, engine: TLSEngine, transport: Transport) -> None:
        super().__init__(engine, transport)
        self.send_lock = Mutex()
        self._unsent: bytes | memoryview = b""
        self._released = False

    def release(self, same_socket: bool) -> None:
        """At the session's close: the transport goes back to the application, and a writer
        still waiting to send what it left learns that it will never go."""
        with self.send_lock:
            self._released = True
            self._unsent = b""
        self.transport.release(same_socket)

    # -- sending -----------------------------------------------------------------------------
    def flush(self, block: bool = True, deadline: float | None = None) -> bool:
        """Send what the engine produced, after what earlier flushes left; False if a
        non-blocking flush could not send it all (the rest goes first next time).

        A blocking flush waits for the socket without the send lock, its rest left in
        ``_unsent`` for whoever sends next: a non-blocking step never waits for a writer.
        It waits until ``deadline`` at the latest (TimeoutError).
        """
        while True:
            with self.send_lock:
                if self._released:
                    raise _closed_by_another_thread()
                with self.engine_lock:
                    produced = self.engine.data_to_send()
                view = memoryview(b"".join((self._unsent, produced)) if self._unsent else produced)
                try:
                    while view:
                        sent = self.transport.send(view)   # (not in the slice: see setup.py)
                        view = view[sent:]
                except BlockingIOError:
                    pass
                except InterruptedError:
                    self._unsent = b""
                    raise _closed_by_another_thread() from None
                except OSError as exc:
                    self._unsent = b""
                    raise _io_error(exc) from None
                self._unsent = view
                if not view:
                    return True
                if not block:
                    return False
            try:
                self.transport.wait(True, seconds_left(deadline))
            except TimeoutError:
                raise
            except InterruptedError:
                raise _closed_by_another_thread() from None
            except OSError as exc:
                raise _io_error(exc) from None

    def _send_alert(self) -> None:
        """After a failed handshake: send the alert OpenSSL queued, if the socket takes it."""
        try:
            self.flush(block=False)
        except GSKError:
            pass

    # -- receiving ---------------------------------------------------------------------------
    def _receive(self, deadline: float | None, wait: bool = False) -> None:
        """Move one chunk from the transport into the engine (b"" = end of file), waiting
        until ``deadline`` at the latest.

        Raises TimeoutError and BlockingIOError for the caller to translate.
        """
        remaining = seconds_left(deadline)
        try:
            data = self.transport.recv(RECV_SIZE, remaining, wait)
        except InterruptedError:
            raise _closed_by_another_thread() from None
        except (TimeoutError, BlockingIOError):
            raise
        except OSError as exc:
            raise _io_error(exc) from None
        with self.engine_lock:
            self.engine.receive(data)

    # -- the three operations ----------------------------------------------------------------
    def handshake(self, timeout: float | None) -> None:
        """Run the handshake to completion (raises GSKError, e.g. 6011 on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                with self.engine_lock:
                    done = self.engine.handshake()
            except GSKError:
                self._send_alert()
                raise
            try:
                self.flush(deadline=deadline)
                if done:
                    return
                self._receive(deadline, wait=True)
            except TimeoutError:
                raise GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, "the handshake timed out") from None
            except BlockingIOError:
                continue

    def read_into(self, buffer: memoryview, timeout: float | None) -> int:
        """Plaintext into ``buffer``; 0 at the peer's close.  Raises GSKError (6011, 502, ...)."""
        deadline = None if timeout is None else time.monotonic() + timeout  # one for the whole read
        while True:
            with self.engine_lock:
                count = self.engine.read_into(buffer)
            if count is not None:
                return count
            self.flush(block=self.transport.blocking)
            try:
                self._receive(deadline)
            except TimeoutError:
                raise GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, "the read timed out") from None
            except BlockingIOError:
                raise GSKError.for_rc(rc.GSK_WOULD_BLOCK, "no data on the non-blocking socket") from None

    def write(self, data: bytes | memoryview) -> int:
        """Encrypt and send ``data``; returns its length (502 if nothing could be taken)."""
        if self._unsent and not self.flush(block=self.transport.blocking):
            raise GSKError.for_rc(rc.GSK_WOULD_BLOCK, "the non-blocking socket cannot take more data")
        with self.engine_lock:
            count = self.engine.write(data)
        if count is None:
            raise GSKError.for_rc(rc.GSK_ERROR_IO, "a renegotiation is in progress; read first")
        self.flush(block=self.transport.blocking)
        return count

    # -- non-blocking steps (the asynchronous operations; GSK_FD sockets only) ---------------
    def _push(self) -> int:
        """Send what the engine owes the peer without waiting: 0, or NEED_WRITE."""
        return 0 if self.flush(block=False) else NEED_WRITE

    def _pull(self) -> int:
        """Feed the engine what the socket holds without waiting: 0, or NEED_READ."""
        try:
            data = self.transport.sock.recv(RECV_SIZE, DONTWAIT)  # type: ignore[attr-defined]
        except (BlockingIOError, InterruptedError):
            return NEED_READ
        with self.engine_lock:
            self.engine.receive(data)
        return 0

    def handshake_step(self) -> int:
        """Advance the handshake as far as the socket allows: 0 when done, or NEED_*."""
        try:
            while True:
                with self.engine_lock:
                    done = self.engine.handshake()
                need = self._push()
                if need or done:
                    return need
                need = self._pull()
                if need:
                    return need
        except GSKError:
            try:
                self._push()                    # the alert OpenSSL queued for the peer
            except GSKError:
                pass
            raise

    def read_step(self, buffer: memoryview) -> int:
        """Plaintext into ``buffer`` (0 at the peer's close), or NEED_*."""
        while True:
            with self.engine_lock:
                count = self.engine.read_into(buffer)
            if count is not None:
                return count
            need = self._push() or self._pull()
            if need:
                return need

    def write_step(self, data: memoryview, started: bool) -> int:
        """Encrypt ``data`` (the first call) and send the records: its length, or NEED_WRITE."""
        if not started:
            with self.engine_lock:
                taken = self.engine.write(data)
            if taken is None:
                raise GSKError.for_rc(rc.GSK_ERROR_IO, "a renegotiation is in progress; receive first")
        return self._push() or len(data)

    def holds_input(self) -> bool:
        """Could a read step finish without the socket?  Always assumed here: received
        ciphertext may wait in the memory BIO."""
        return True

    def abandon(self, data: memoryview) -> None:
        """A started write's operation ended early: its records are in the backlog already
        (TLS cannot take them back) and go out with the next flush."""


class DirectPump(Pump):
    """Drives an engine that OpenSSL runs straight on the socket: the fast path.

    Used for synchronous sessions on a TCP socket the application gave in blocking mode.
    OpenSSL reads and writes the descriptor itself, as raw pyOpenSSL does, so handshakes
    and bulk data cost what OpenSSL costs.  A handshake without a timeout runs blocking,
    in one OpenSSL call per flight, as raw pyOpenSSL's does.  From then on (and for a
    handshake with a timeout) gskit holds the descriptor non-blocking and waits in
    ``poll()`` itself, restoring the mode at close: OpenSSL never blocks while holding the
    engine lock, so another thread may write while one reads, timeouts are poll
    deadlines, and a close from another thread wakes the waiter.
    """

    def __init__(self, engine: TLSEngine, transport: SocketTransport) -> None:
        super().__init__(engine, transport)
        self._unfinished: memoryview | None = None
        self._done_for_others: dict[int, memoryview] = {}   # id -> a buffer finished for its owner
        self._abandoned: memoryview | None = None             # _unfinished, whose owner is gone

    @property
    def _socket_transport(self) -> SocketTransport:
        return cast(SocketTransport, self.transport)     # the only kind it is made with

    def release(self, same_socket: bool) -> None:
        """At the session's close: the socket and the application's buffers are its own again."""
        self._unfinished = self._abandoned = None
        self._done_for_others.clear()
        transport = self._socket_transport
        with self.engine_lock:  # a step already in OpenSSL ends (non-blocking) before the mode changes
            self.engine.handle.closing = True   # and no read waiting in C starts another
            transport.release(same_socket)

    def flush(self, block: bool = True, deadline: float | None = None) -> bool:
        return True                         # OpenSSL wrote to the socket already

    def _wait(self, need: int, deadline: float | None, what: str) -> None:
        """Wait until the socket is readable (NEED_READ) or writable (NEED_WRITE), until ``deadline``."""
        transport = self._socket_transport
        try:
            transport.wait(need == NEED_WRITE, seconds_left(deadline))
        except TimeoutError:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, f"the {what} timed out") from None
        except InterruptedError:
            raise _closed_by_another_thread() from None
        except OSError as exc:
            raise _io_error(exc) from None

    def _need(self) -> int:
        """After a call answered "not yet" (caller holds the engine lock): what OpenSSL waits for."""
        return NEED_WRITE if self.engine.wants_write else NEED_READ

    # -- non-blocking steps (also what the asynchronous operations call) ---------------------
    def handshake_step(self) -> int:
        with self.engine_lock:
            return 0 if self.engine.handshake() else self._need()

    def holds_input(self) -> bool:
        """Could a read step finish without the socket (OpenSSL holds data, or the end)?"""
        with self.engine_lock:
            return self.engine.holds_input()

    def _check_open(self) -> None:
        """Before an SSL call (caller holds the engine lock): once the session is closed the
        descriptor may be blocking again (``release``), so no call may start."""
        if self.interrupted:
            raise _closed_by_another_thread()

    def read_step(self, buffer: memoryview) -> int:
        with self.engine_lock:
            self._check_open()
            count = self.engine.read_into(buffer)
            return self._need() if count is None else count

    def write_step(self, data: memoryview, started: bool) -> int:
        """One ``SSL_write`` of ``data``: its length, or NEED_*.

        OpenSSL wants a write it left half done repeated with the same buffer before any
        other, so a caller finishes the one left in ``_unfinished`` (another caller's,
        perhaps) before its own, and marks it done for its owner, who on its next step
        (``started``) finds it there and does not write it again.
        """
        with self.engine_lock:
            self._check_open()
            if started and self._done_for_others.pop(id(data), None) is not None:
                return len(data)
            while True:
                target = data if self._unfinished is None else self._unfinished
                written = self.engine.write(target)
                if written is None:
                    self._unfinished = target
                    return self._need()
                self._unfinished = None
                if target is data:
                    return written
                if target is self._abandoned:
                    self._abandoned = None
                else:
                    self._done_for_others[id(target)] = target

    def abandon(self, data: memoryview) -> None:
        """A started write's operation ended early (cancel, timer): OpenSSL has sent part of
        its record, which the next writer still completes (TLS cannot take it back), for
        nobody; no mark is kept for it."""
        with self.engine_lock:
            self._done_for_others.pop(id(data), None)
            if self._unfinished is data:
                self._abandoned = data

    # -- the blocking calls ------------------------------------------------------------------
    def handshake(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        transport = self._socket_transport
        if deadline is not None:
            transport.hold_nonblocking()
        while True:
            try:
                need = transport.call_blocking(self.handshake_step)
            except InterruptedError:
                raise _closed_by_another_thread() from None
            if not need:
                break
            self._wait(need, deadline, "handshake")
        transport.hold_nonblocking()

    def read_into(self, buffer: memoryview, timeout: float | None) -> int:
        """A read that waits for its data: ``ssl_calls.read_waiting`` reads, waits in poll() and
        reads again in one call, without the interpreter lock (the first read after a TLS 1.3
        handshake processes the tickets, then waits for the data); long waits go in slices
        that look whether the descriptor was closed under the session."""
        deadline = None if timeout is None else time.monotonic() + timeout  # one for the whole read
        engine = self.engine
        transport = self._socket_transport
        while True:
            engine.check_usable()
            milliseconds, sliced = next_wait(deadline)
            try:
                me = transport.start_waiting(False)
                try:
                    result, error = read_waiting(engine.handle, buffer, self.engine_lock, transport.fd,
                                                 milliseconds, transport.cookie)
                finally:
                    transport.stop_waiting(me, False)
            except InterruptedError:
                raise _closed_by_another_thread() from None
            if result > 0:
                return result
            if error == CLOSING:
                raise _closed_by_another_thread()
            if error == REPLACED or (sliced or transport.cookie is None) and transport.replaced():
                raise _io_error(descriptor_closed())
            with self.engine_lock:
                count = engine.read_outcome(result, error)
            if count is not None:
                return count
            if deadline is not None and time.monotonic() >= deadline:
                raise GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, "the read timed out")

    def write(self, data: bytes | memoryview) -> int:
        started = False
        while True:
            written = self.write_step(data, started)  # type: ignore[arg-type]
            if written >= 0:
                return written
            started = True
            self._wait(written, None, "write")
