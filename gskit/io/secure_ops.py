"""GSKit's asynchronous calls as completion-engine operations.

``gsk_secure_soc_startInit``, ``startRecv`` and ``startSend`` are ``Operation``s of
``gskit.io.completion``: each ``attempt()`` pumps the session's ``TLSEngine`` with
non-blocking socket calls (MSG_DONTWAIT: the application's socket keeps its mode, so it
can mix these calls with the synchronous ones) and says what readiness it needs next.
They share the session's pump (engine lock, send lock, unsent bytes) with the blocking
calls.  Results are posted with GSKit's codes:

========================  ======================================  ==========================
event                     returnValue                             errnoValue
========================  ======================================  ==========================
success                   GSK_OK (secureDataTransferSize = bytes)  0
TLS or socket failure     that rc (GSK_ERROR_IO for socket errors) errno with GSK_ERROR_IO
QsoCancelOperation        GSK_ERROR_IO                            ECANCELED
operationWaitTime expiry  GSK_ERROR_IO                            EAGAIN
socket closed under it    GSK_ERROR_SOCKET_CLOSED                 ECLOSED
session closed under it   GSK_IBMI_ERROR_CLOSED                   0
handshake timeout         GSK_IBMI_ERROR_TIMED_OUT                0
========================  ======================================  ==========================
"""
from __future__ import annotations

import socket

from gskit import errors as rc
from gskit.constants import ECLOSED, GSKSECURESOCSTARTINIT, GSKSECURESOCSTARTRECV, GSKSECURESOCSTARTSEND
from gskit.engine.openssl_errors import socket_failure
from gskit.errors import GSKError
from gskit.io.blocking import RECV_SIZE
from gskit.io.completion import EVENT_READ, EVENT_WRITE, LANE_RECV, LANE_SEND, Operation

_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
_SEND_FLAGS = _DONTWAIT | getattr(socket, "MSG_NOSIGNAL", 0)
HANDSHAKE_TIMED_OUT = -1001        # private abort code: GSK_HANDSHAKE_TIMEOUT expired


class SecureOperation(Operation):
    """Common pumping for the three GSKit operations."""

    def __init__(self, session: object) -> None:
        super().__init__()
        self.session = session
        self.pump = session.pump  # type: ignore[attr-defined]
        self._want = EVENT_READ

    def interest(self) -> int:
        return self._want

    # -- moving bytes without blocking -------------------------------------------------------
    def flush(self) -> bool:
        """Send what the engine owes the peer; False (want WRITE) if the socket is full."""
        if self.pump.flush(block=False, send=self._send):
            return True
        self._want = EVENT_WRITE
        return False

    def _send(self, data: memoryview) -> int:
        return self.sock.send(data, _SEND_FLAGS)  # type: ignore[union-attr]

    def fill(self) -> bool:
        """Feed the engine from the socket; False (want READ) if nothing is there."""
        try:
            data = self.sock.recv(RECV_SIZE, _DONTWAIT)  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            self._want = EVENT_READ
            return False
        with self.pump.engine_lock:
            self.pump.engine.receive(data)
        return True

    # -- results -----------------------------------------------------------------------------
    def succeed(self, transferred: int = 0) -> bool:
        self.returnValue, self.errnoValue, self.secureDataTransferSize = rc.GSK_OK, 0, transferred
        return True

    def fail(self, error: GSKError) -> bool:
        self.returnValue = error.rc
        self.errnoValue = getattr(error, "errno", 0) if error.rc == rc.GSK_ERROR_IO else 0
        return True

    def fail_socket(self, error: OSError) -> bool:
        failure = socket_failure(error)
        self.returnValue, self.errnoValue = failure.rc, failure.errno if failure.rc == rc.GSK_ERROR_IO else 0
        return True

    def abort(self, errno_value: int) -> None:
        if self.session.closed:  # type: ignore[attr-defined]
            self.returnValue, self.errnoValue = rc.GSK_IBMI_ERROR_CLOSED, 0
        elif errno_value == ECLOSED:
            self.returnValue, self.errnoValue = rc.GSK_ERROR_SOCKET_CLOSED, ECLOSED
        elif errno_value == HANDSHAKE_TIMED_OUT:
            self.returnValue, self.errnoValue = rc.GSK_IBMI_ERROR_TIMED_OUT, 0
        else:
            self.returnValue, self.errnoValue = rc.GSK_ERROR_IO, errno_value

    def start_error(self) -> int | None:
        return None            # GSKit start calls report results, not errno


class StartInit(SecureOperation):
    """``gsk_secure_soc_startInit``: the handshake; always posted, uncancellable once begun."""

    code = GSKSECURESOCSTARTINIT
    lane = LANE_RECV
    carries_buffer = False
    timed = False
    always_post = True

    def attempt(self) -> bool:
        try:
            while True:
                with self.pump.engine_lock:
                    done = self.pump.engine.handshake()
                sent = self.flush()
                if done and sent:
                    self.session.handshake_succeeded()  # type: ignore[attr-defined]
                    return self.succeed()
                self.uninterruptible = True       # negotiation has begun
                if not sent or not self.fill():
                    return False
        except GSKError as exc:
            try:
                self.flush()                       # the alert OpenSSL queued for the peer
            except GSKError:
                pass
            self.session.handshake_failed(exc)  # type: ignore[attr-defined]
            return self.fail(exc)
        except OSError as exc:
            self.fail_socket(exc)
            self.session.handshake_failed(GSKError.for_rc(self.returnValue, str(exc)))  # type: ignore[attr-defined]
            return True

    def abort(self, errno_value: int) -> None:
        super().abort(errno_value)
        self.session.handshake_failed(GSKError.for_rc(self.returnValue, "asynchronous handshake ended"))  # type: ignore[attr-defined]


class StartRecv(SecureOperation):
    """``gsk_secure_soc_startRecv``: fills ``buffer`` (wholly with fillBuffer)."""

    code = GSKSECURESOCSTARTRECV
    lane = LANE_RECV

    def __init__(self, session: object, buffer: memoryview, length: int, fill_buffer: bool) -> None:
        super().__init__(session)
        self._view = buffer
        self._length = length
        self._fill_buffer = fill_buffer
        self._received = 0

    def attempt(self) -> bool:
        try:
            while True:
                with self.pump.engine_lock:
                    count = self.pump.engine.read_into(self._view[self._received:self._length])
                if count:
                    self._received += count
                    if not self._fill_buffer or self._received == self._length:
                        return self.succeed(self._received)
                    continue
                if count == 0:
                    return self.succeed(self._received)      # the peer closed
                if not self.flush() or not self.fill():
                    return False
        except GSKError as exc:
            self.secureDataTransferSize = self._received
            return self.fail(exc)
        except OSError as exc:
            self.secureDataTransferSize = self._received
            return self.fail_socket(exc)


class StartSend(SecureOperation):
    """``gsk_secure_soc_startSend``: encrypts the buffer at once, then sends the records."""

    code = GSKSECURESOCSTARTSEND
    lane = LANE_SEND

    def __init__(self, session: object, data: memoryview) -> None:
        super().__init__(session)
        self._data = data
        self._encrypted = False
        self._want = EVENT_WRITE

    def attempt(self) -> bool:
        try:
            if not self._encrypted:
                with self.pump.engine_lock:
                    taken = self.pump.engine.write(self._data)
                if taken is None:
                    raise GSKError.for_rc(rc.GSK_ERROR_IO, "a renegotiation is in progress; receive first")
                self._encrypted = True
            if not self.flush():
                return False
            return self.succeed(len(self._data))
        except GSKError as exc:
            return self.fail(exc)
