"""The IBM i ``qsoasync.h`` calls, name for name, on the completion engine.

Each call returns what the C call returns and never raises for bad input: a failure is -1
(0 for QsoGenerateOperationId) with the thread's errno set (``gskit.get_errno()``).
"""
from __future__ import annotations

import errno as _errno
import fcntl
import itertools
import os
import socket
import termios
from typing import Any, Callable

from gskit.compat.errno_state import set_errno
from gskit.compat.structs import Qso_OverlappedIO_t, to_timer_seconds
from gskit.constants import ECLOSED, QSOPOSTIOCOMPLETION, QSOSTARTACCEPT, QSOSTARTRECV, QSOSTARTSEND
from gskit.io import completion as engine
from gskit.io.completion import DONTWAIT, LANE_RECV, LANE_SEND, SEND_FLAGS, Operation, QsoError

__all__ = [
    "QsoCreateIOCompletionPort", "QsoDestroyIOCompletionPort", "QsoWaitForIOCompletion",
    "QsoPostIOCompletion", "QsoStartRecv", "QsoStartSend", "QsoStartAccept",
    "QsoGenerateOperationId", "QsoIsOperationPending", "QsoCancelOperation",
]

_RETRY = (BlockingIOError, InterruptedError)
_operation_ids = itertools.count(1)


def _request_view(io: Qso_OverlappedIO_t, writable: bool) -> memoryview:
    """``buffer`` as flat bytes cut to ``bufferLength``: EFAULT when it is no (writable)
    bytes-like object or shorter than ``bufferLength``, EINVAL when that is no int from 1."""
    try:
        view = memoryview(io.buffer).cast("B")
    except (TypeError, ValueError):
        raise QsoError(_errno.EFAULT) from None
    if writable and view.readonly:
        raise QsoError(_errno.EFAULT)
    n = io.bufferLength
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise QsoError(_errno.EINVAL)
    if n > view.nbytes:
        raise QsoError(_errno.EFAULT)
    return view[:n]


def _os_errno(exc: OSError) -> int:
    # A descriptor that vanished under a pending operation was closed.
    return ECLOSED if exc.errno == _errno.EBADF else exc.errno or _errno.EIO


class _Transfer(Operation):
    """A byte transfer: ends early on error with the count moved so far (or -1)."""

    def __init__(self, io: Qso_OverlappedIO_t, writable: bool) -> None:
        self._view = _request_view(io, writable)
        self._done = 0

    def abort(self, errno_value: int) -> None:
        self.returnValue = self._done if self._done else -1
        self.errnoValue = errno_value


class RecvOp(_Transfer):
    """QsoStartRecv: complete on any data, or (fillBuffer) on a full buffer, EOF or error."""

    code = QSOSTARTRECV
    lane = LANE_RECV

    def __init__(self, io: Qso_OverlappedIO_t) -> None:
        super().__init__(io, writable=True)
        self._fill = bool(io.fillBuffer)

    def ready(self) -> bool:
        channel = self._channel  # (set by the start call that asks)
        return channel is not None and channel.readable()

    def attempt(self) -> bool:
        recv_into, view = self.sock.recv_into, self._view  # type: ignore[union-attr]
        n = len(view)
        while True:
            try:
                got = recv_into(view[self._done:], n - self._done, DONTWAIT)
            except _RETRY:
                return False
            except OSError as exc:
                self.abort(_os_errno(exc))
                return True
            self._done += got
            if got == 0 or self._done == n or not self._fill:
                self.returnValue = self._done
                # A stream recv takes all that is queued up to the size asked for: only a
                # full buffer may leave bytes behind.
                self.bytesAvailable = _queued(self.sock) if self._done == n else 0  # type: ignore[arg-type]
                return True


def _queued(sock: socket.socket) -> int:
    """Bytes still waiting in the socket's receive queue."""
    try:
        return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"), "little")
    except OSError:
        return 0


class SendOp(_Transfer):
    """QsoStartSend: complete when every byte has been sent (or on error)."""

    code = QSOSTARTSEND
    lane = LANE_SEND

    def __init__(self, io: Qso_OverlappedIO_t) -> None:
        super().__init__(io, writable=False)

    def attempt(self) -> bool:
        send, view = self.sock.send, self._view  # type: ignore[union-attr]
        n = len(view)
        while self._done < n:
            try:
                self._done += send(view[self._done:], SEND_FLAGS)
            except _RETRY:
                return False
            except OSError as exc:
                self.abort(_os_errno(exc))
                return True
        self.returnValue = n
        return True


class AcceptOp(Operation):
    """QsoStartAccept: the completion's returnValue is the new descriptor (blocking mode)."""

    code = QSOSTARTACCEPT
    lane = LANE_RECV
    carries_buffer = False
    on_listener = True

    _accepted: int | None = None

    def __init__(self, io: Qso_OverlappedIO_t) -> None:
        """Nothing to take from ``io``: the engine captures the request."""

    def attempt(self) -> bool:
        sock = self.sock
        assert sock is not None
        fd = sock.fileno()
        # accept() has no MSG_DONTWAIT: make the listener non-blocking just for this call.
        was_blocking = os.get_blocking(fd)
        if was_blocking:
            os.set_blocking(fd, False)
        try:
            new, _ = sock.accept()
        except (*_RETRY, ConnectionAbortedError):
            return False
        except OSError as exc:
            self.abort(_os_errno(exc))
            return True
        finally:
            if was_blocking:
                os.set_blocking(fd, True)
        self.returnValue = self._accepted = new.detach()  # Linux: accepted sockets start blocking
        return True

    def dropped(self) -> None:
        if self._accepted is not None:  # nobody will ever own it: the client sees the close
            os.close(self._accepted)
            self._accepted = None


def _c_call(body: Callable[[], int], failure: int = -1) -> int:
    """Run a call body; a QsoError becomes ``failure`` with errno set."""
    try:
        return body()
    except QsoError as exc:
        set_errno(exc.errno)
        return failure


def _start(sd: Any, port: Any, io: Any, make: Callable[[Qso_OverlappedIO_t], Operation]) -> int:
    try:  # _c_call spelled out: the start and wait calls run once or twice per request
        p = engine.get_port(port)
        if not isinstance(io, Qso_OverlappedIO_t):
            raise QsoError(_errno.EFAULT)
        return p.engine.start(p, sd, io, make(io))
    except QsoError as exc:
        set_errno(exc.errno)
        return -1


def QsoCreateIOCompletionPort() -> int:
    """A new completion port (≥ 0), or -1 with ENOBUFS past QSO_MAX_IOCOMPLETION_PORTS."""
    return _c_call(engine.create_port)


def QsoDestroyIOCompletionPort(port: Any) -> int:
    """0, or -1/EINVAL for a bad port; waiters wake with -1/EDESTROYED."""
    def body() -> int:
        engine.destroy_port(port)
        return 0

    return _c_call(body)


def QsoWaitForIOCompletion(port: Any, io: Any, timeout: Any) -> int:
    """1 with the completion copied into ``io``, or -1 (ETIME, EDESTROYED, ...).
    ``timeout`` is a ``timeval``, seconds, or None (wait for ever)."""
    try:
        engine.wait(engine.get_port(port), io, timeout)
        return 1
    except QsoError as exc:
        set_errno(exc.errno)
        return -1


def QsoStartRecv(sd: Any, port: Any, io: Any) -> int:
    """0 received at once (returnValue = bytes, not posted), 1 asynchronous, -1 with errno."""
    return _start(sd, port, io, RecvOp)


def QsoStartSend(sd: Any, port: Any, io: Any) -> int:
    """0 sent at once (returnValue = bytes, not posted), 1 asynchronous, -1 with errno."""
    return _start(sd, port, io, SendOp)


def QsoStartAccept(sd: Any, port: Any, io: Any) -> int:
    """As QsoStartRecv; the result's returnValue is the accepted descriptor."""
    return _start(sd, port, io, AcceptOp)


def QsoPostIOCompletion(port: Any, io: Any) -> int:
    """0 posted (or, with operationWaitTime, scheduled), -1 with errno."""

    def body() -> int:
        target = engine.get_port(port)
        if not isinstance(io, Qso_OverlappedIO_t):
            raise QsoError(_errno.EFAULT)
        try:
            delay = to_timer_seconds(io.operationWaitTime)
        except ValueError:
            raise QsoError(_errno.EINVAL) from None
        posted = io.postedDescriptor
        posted_fd = engine.fileno_of(posted) if delay and posted else 0
        target.engine.post(target, _posted(io), delay, posted_fd)
        return 0

    return _c_call(body)


def _posted(io: Qso_OverlappedIO_t) -> Qso_OverlappedIO_t:
    """The record QsoPostIOCompletion posts: the caller's request, its results zero."""
    return Qso_OverlappedIO_t(descriptorHandle=io.descriptorHandle, buffer=io.buffer,
                              bufferLength=io.bufferLength, postFlag=io.postFlag,
                              fillBuffer=io.fillBuffer, operationId=io.operationId,
                              operationCompleted=QSOPOSTIOCOMPLETION)


_NO_ID = object()


def _socket_call(sd: Any, body: Callable[[engine.Engine | None, int, tuple[int, int]], int],
                 operation_id: Any = _NO_ID) -> Callable[[], int]:
    """A call on a socket (EBADF/ENOTSOCK) and, when given, an operation id (EINVAL); the
    body gets the engine, the descriptor and the socket's identity."""

    def run() -> int:
        fd = engine.fileno_of(sd)
        ident = engine.socket_identity(fd)
        if operation_id is not _NO_ID and not engine.is_operation_id(operation_id):
            raise QsoError(_errno.EINVAL)
        return body(engine.current_engine(), fd, ident)

    return run


def QsoGenerateOperationId(sd: Any) -> int:
    """An operation id unique for that socket (≥ 1), or 0 with errno EBADF/ENOTSOCK."""
    return _c_call(_socket_call(sd, lambda e, fd, ident: next(_operation_ids)), 0)


def QsoIsOperationPending(sd: Any, operation_id: Any) -> int:
    """1 when an operation with that id is pending on the socket, 0 when not, -1 with errno."""
    return _c_call(_socket_call(
        sd, lambda e, fd, ident: int(e is not None and e.is_pending(fd, ident, operation_id)),
        operation_id,
    ))


def QsoCancelOperation(sd: Any, operation_id: Any) -> int:
    """How many matching pending operations were cancelled (each posted with ECANCELED),
    0 when none matched, -1 with EAGAIN when one is uninterruptible (none cancelled)."""
    return _c_call(_socket_call(
        sd, lambda e, fd, ident: 0 if e is None else e.cancel(fd, ident, operation_id),
        operation_id,
    ))


