"""Transports of the blocking adapter: a TCP socket named by descriptor, or the
application's GSK_IO_CALLBACK functions.

Timeouts use ``poll()`` on the descriptor (never ``settimeout``, which would make the
application's socket non-blocking behind its back).  Compiled, as the pumps that drive it
(``gskit.io.blocking``); the socket object it makes when one is needed,
``gskit.io.borrowed.BorrowedSocket``, stays Python (``setup.py``).
"""
from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
from typing import Any, Callable, TypeVar
from typing import Protocol as TypingProtocol

from gskit import errors as rc
from gskit.compat.errno_state import get_errno, set_errno
from gskit.engine import ssl_calls
from gskit.errors import GSKError
from gskit.io.borrowed import BorrowedSocket
from gskit.io.completion import SEND_FLAGS, SWEEP_INTERVAL, QsoError, socket_identity

T = TypeVar("T")
SLICE_MS = int(SWEEP_INTERVAL * 1000)  # a long wait looks at its descriptor this often
_CALLBACK_RETRY = 0.001  # seconds before an I/O callback that would block is called again
_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class Transport(TypingProtocol):
    """What ``BlockingPump`` needs of a transport."""

    blocking: bool

    def recv(self, size: int, timeout: float | None, wait: bool = False) -> bytes: ...
    def send(self, data: bytes | memoryview) -> int: ...
    def wait(self, writable: bool, timeout: float | None) -> None: ...
    def replaced(self) -> bool: ...
    def interrupt(self) -> None: ...
    def release(self, same_socket: bool) -> None: ...


def seconds_left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (None: no limit); TimeoutError once it has passed."""
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


def next_wait(deadline: float | None) -> tuple[int, bool]:
    """The next wait on a descriptor until ``deadline`` (None: none): its milliseconds
    (rounded up), and whether it is a slice of a longer wait, after which the waiter looks
    whether the descriptor was closed under it."""
    if deadline is not None:
        milliseconds = max(0, int((deadline - time.monotonic()) * 1000 + 0.999))
        if milliseconds <= SLICE_MS:
            return milliseconds, False
    return SLICE_MS, True


def descriptor_closed() -> OSError:
    """What a waiter raises once the application has closed the descriptor under it."""
    return OSError(errno.EBADF, "the descriptor was closed under the session")


def _fstat_identity(fd: int) -> object:
    """``socket_identity`` of ``fd`` (where the system has no socket cookies); None once closed."""
    try:
        return socket_identity(fd)
    except QsoError:
        return None


class SocketTransport:
    """A TCP socket named by descriptor (GSK_FD).  Never closes it; a mode it changes
    (``hold_nonblocking``) is restored by ``release``.  ``blocking`` None takes the
    descriptor's mode; True waits as on a blocking socket whatever the descriptor's mode
    (a Python socket with a timeout is non-blocking underneath)."""

    def __init__(self, fd: int, blocking: bool | None = None) -> None:
        try:
            family, kind, cookie = ssl_calls.describe_socket(fd)
        except OSError as exc:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR, f"GSK_FD {fd}: {exc.strerror}") from None
        if family not in _TCP_FAMILIES or kind != socket.SOCK_STREAM:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_NOT_TCP, f"GSK_FD {fd} is not a TCP socket")
        self.fd = fd
        self._family, self._kind = family, kind
        self._sock: BorrowedSocket | None = None          # made when first needed (``sock``)
        # Linux's socket cookie (8 bytes): what names the socket, for the waits in C too;
        # elsewhere the descriptor's (device, inode)
        self.cookie = cookie
        self._identity = None if cookie is not None else _fstat_identity(fd)
        # os.get_blocking/set_blocking keep the interpreter lock (fcntl.fcntl hands it over,
        # which costs a thread switch when another thread is runnable)
        self._blocking_descriptor = os.get_blocking(fd)
        self.blocking = self._blocking_descriptor if blocking is None else blocking
        self._pollers: dict[bool, select.poll] = {}      # writable? -> a poll object not in use
        self._held = False
        self._blocked: set[int] = set()                  # threads waiting to read (recv, poll)
        self._writing: set[int] = set()                  # threads waiting to write (poll)
        self.interrupted = False                         # another thread closed the session

    def recv(self, size: int, timeout: float | None, wait: bool = False) -> bytes:
        """One recv; waits in poll() first unless the caller wants no wait at all (a
        non-blocking socket without ``wait`` or ``timeout``): a recv blocked in the kernel
        would not notice the application closing the descriptor."""
        if timeout is not None or wait or self.blocking:
            self.wait(False, timeout)
        me = self.start_waiting(False)
        try:
            data = self.sock.recv(size)
        finally:
            self.stop_waiting(me, False)
        return data

    def wait(self, writable: bool, timeout: float | None) -> None:
        """Block until readable (or writable); TimeoutError, or InterruptedError after a close.
        Rounds the timeout up to whole milliseconds."""
        poller = self._pollers.pop(writable, None)        # a poll object serves one thread at a time
        if poller is None:
            poller = select.poll()
            poller.register(self.fd, select.POLLOUT if writable else select.POLLIN)
        try:
            me = self.start_waiting(writable)
            try:
                ready = self._poll(poller, timeout)
            finally:
                self.stop_waiting(me, writable)
        finally:
            self._pollers[writable] = poller
        if not ready:
            raise TimeoutError

    def start_waiting(self, writable: bool) -> int:
        """Note this thread as about to wait on the descriptor to read (or write), so that a
        close from another thread wakes it (``interrupt``); InterruptedError if that close
        came first.  ``stop_waiting`` ends it."""
        me = threading.get_ident()
        waiting = self._writing if writable else self._blocked
        waiting.add(me)
        if self.interrupted:
            waiting.discard(me)
            raise InterruptedError
        return me

    def stop_waiting(self, me: int, writable: bool) -> None:
        """The wait ``start_waiting`` noted is over; InterruptedError if a close came meanwhile."""
        (self._writing if writable else self._blocked).discard(me)
        if self.interrupted:
            raise InterruptedError

    def _poll(self, poller: select.poll, timeout: float | None) -> list[tuple[int, int]]:
        """``poller.poll`` for ``timeout`` seconds (None: for ever).  A longer wait goes in
        slices, and between them looks whether the application closed the descriptor (a
        poll() does not wake when another thread closes it): OSError EBADF then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            milliseconds, sliced = next_wait(deadline)
            if not sliced:
                return poller.poll(milliseconds)
            ready = poller.poll(milliseconds)
            # Each poll() looks the number up again: once the application has closed the
            # descriptor, the number may name another socket, whose data is not ours.
            if self.replaced():
                raise descriptor_closed()
            if ready:
                return ready

    def replaced(self) -> bool:
        """Has the application closed the descriptor (its number may name another socket now)?"""
        if self.cookie is not None:
            return not ssl_calls.same_socket(self.fd, self.cookie)
        return _fstat_identity(self.fd) != self._identity

    @property
    def sock(self) -> BorrowedSocket:
        """A socket object on the descriptor, made when first asked for: a session that
        OpenSSL runs on the descriptor itself (``DirectPump``) never needs one.  OSError
        EBADF once the application has closed the descriptor."""
        sock = self._sock
        if sock is None:
            if self.replaced():
                raise descriptor_closed()
            sock = self._sock = BorrowedSocket(self._family, self._kind, 0, self.fd)  # (protocol: not asked)
        return sock

    def hold_nonblocking(self) -> None:
        """Put a blocking descriptor in non-blocking mode until ``release``."""
        if self._blocking_descriptor and not self._held:
            os.set_blocking(self.fd, False)
            self._held = True

    def restore_blocking(self) -> None:
        if self._held:
            self._held = False
            try:
                os.set_blocking(self.fd, True)
            except OSError:
                pass                         # closed under us: nothing to restore

    def send(self, data: bytes | memoryview) -> int:
        """One send that never blocks in the kernel (BlockingIOError when the socket is full):
        a writer waits in ``wait``, where a close from another thread wakes it."""
        return self.sock.send(data, SEND_FLAGS)

    def call_blocking(self, call: Callable[[], T]) -> T:
        """``call()``, which may block in the kernel (OpenSSL on a blocking descriptor): a
        close from another thread shuts the socket down to wake it, and it then ends with
        InterruptedError whatever it raised."""
        me = self.start_waiting(True)
        try:
            return call()
        except (GSKError, OSError):
            if self.interrupted:
                raise InterruptedError from None
            raise
        finally:
            self._writing.discard(me)

    def interrupt(self) -> None:
        """Wake a thread blocked in recv or poll (another thread is closing the session):
        a reader by shutting the reading side, a writer (whose data cannot all go now) both."""
        self.interrupted = True
        how = socket.SHUT_RDWR if self._writing else socket.SHUT_RD if self._blocked else None
        if how is not None and not self.replaced():  # (a waiter on a replaced one ends by itself)
            try:
                self.sock.shutdown(how)
            except OSError:
                pass

    def release(self, same_socket: bool) -> None:
        """Give the descriptor back, in the mode the application gave it if ``same_socket``
        (``replaced()`` was False: its number may name another socket now)."""
        if same_socket:
            self.restore_blocking()
        if self._sock is not None:
            self._sock.detach()


class CallbackTransport:
    """GSK_IO_CALLBACK: the application's io_read/io_write move the bytes."""

    blocking = True

    def __init__(self, io_read: Callable[..., Any], io_write: Callable[..., Any], fd: int,
                 user_data: str) -> None:
        self._read = io_read
        self._write = io_write
        self.fd = fd
        self.user_data = user_data
        self._interrupted = False

    def recv(self, size: int, timeout: float | None, wait: bool = False) -> bytes:
        """One io_read; ``wait`` (a handshake) calls a callback that would block again until
        ``timeout`` (TimeoutError), otherwise BlockingIOError."""
        buffer = bytearray(size)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                count = self._call(self._read, "io_read", memoryview(buffer), size)
                break
            except BlockingIOError:
                if not wait:
                    raise
                self.wait(False, seconds_left(deadline))
        if count > size:
            raise OSError(errno.EIO, f"io_read returned {count} for a buffer of {size}")
        return bytes(buffer[:count])

    def send(self, data: bytes | memoryview) -> int:
        count = self._call(self._write, "io_write", bytes(data), len(data))
        if count == 0 or count > len(data):
            raise OSError(errno.EIO, f"io_write returned {count} for {len(data)} bytes")
        return count

    def wait(self, writable: bool, timeout: float | None) -> None:
        """A callback answered EWOULDBLOCK: gskit cannot see the application's transport, so
        it calls again after a millisecond (a blocking call stays blocking, without spinning);
        InterruptedError once another thread has closed the session."""
        if not self._interrupted:
            time.sleep(_CALLBACK_RETRY if timeout is None else min(timeout, _CALLBACK_RETRY))
        if self._interrupted:
            raise InterruptedError

    def _call(self, callback: Callable[..., Any], name: str, data: Any, size: int) -> int:
        """One callback: its count; OSError with the errno it set (``gskit.set_errno``) when
        it returns -1, EIO for anything else that is not a count, or when it raises."""
        set_errno(0)
        try:
            count = callback(self.fd, data, size, self.user_data)
        except Exception as exc:  # noqa: BLE001 - the application's code: a failed I/O, not a crash
            raise OSError(errno.EIO, f"{name} raised {exc!r}") from None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            code = get_errno() if count == -1 else 0
            raise OSError(code or errno.EIO, f"{name} failed")
        return count

    def replaced(self) -> bool:
        return False

    def interrupt(self) -> None:
        self._interrupted = True

    def release(self, same_socket: bool) -> None:
        pass
