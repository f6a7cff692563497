"""GSKit's asynchronous calls as completion-engine operations.

``gsk_secure_soc_startInit``, ``startRecv`` and ``startSend`` are ``Operation``s of
``gskit.io.completion``: each ``attempt()`` takes one non-blocking step of the session's
pump (``handshake_step``, ``read_step``, ``write_step``) and says what readiness it needs
next.  They share the pump (its locks, and the bytes still owed to the peer) with the
blocking calls, so a session may mix both.  On a socket the application gave in blocking
mode OpenSSL runs straight on the descriptor, held non-blocking until the session
closes; otherwise on memory BIOs.  Results are posted with GSKit's codes:

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

from errno import EAGAIN, ECANCELED
from typing import TYPE_CHECKING, Final

from gskit import errors as rc
from gskit.constants import ECLOSED, GSKSECURESOCSTARTINIT, GSKSECURESOCSTARTRECV, GSKSECURESOCSTARTSEND
from gskit.engine.openssl_errors import socket_failure
from gskit.errors import GSKError
from gskit.io.blocking import NEED_WRITE, Pump
from gskit.io.completion import EVENT_READ, EVENT_WRITE, LANE_RECV, LANE_SEND, Operation

if TYPE_CHECKING:  # (gskit.session imports this module's users)
    from gskit.session import Session

HANDSHAKE_TIMED_OUT: Final = -1001      # private abort code: GSK_HANDSHAKE_TIMEOUT expired


def as_gsk_error(exc: GSKError | OSError) -> GSKError:
    """What a step raised, as GSKit reports it (a socket error: 406 with errno, or 420)."""
    return exc if isinstance(exc, GSKError) else socket_failure(exc).error()


class SecureOperation(Operation):
    """What the three GSKit operations share: the session's pump and how results are set."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pump: Pump = session.pump  # type: ignore[assignment]  # (set by prepare())
        self._want = EVENT_READ

    def interest(self) -> int:
        return self._want

    def wait_for(self, need: int) -> bool:
        """A step answered NEED_*: wait for that readiness (never finished yet)."""
        self._want = EVENT_WRITE if need == NEED_WRITE else EVENT_READ
        return False

    # -- results -----------------------------------------------------------------------------
    def succeed(self, transferred: int = 0) -> bool:
        self.returnValue, self.errnoValue, self.secureDataTransferSize = rc.GSK_OK, 0, transferred
        return True

    def fail(self, error: GSKError) -> bool:
        self.returnValue = error.rc
        self.errnoValue = (getattr(error, "errno", 0) or 0) if error.rc == rc.GSK_ERROR_IO else 0
        return True

    def abort(self, errno_value: int) -> None:
        if self.session.closed:
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
    always_post = True
    uses_wait_time = False  # "not used" by startInit: GSK_HANDSHAKE_TIMEOUT is its limit

    def __init__(self, session: Session, timeout: int) -> None:
        super().__init__(session)
        self._timeout = timeout

    def time_limit(self) -> tuple[float, int]:
        """GSK_HANDSHAKE_TIMEOUT."""
        return self._timeout, HANDSHAKE_TIMED_OUT

    def attempt(self) -> bool:
        try:
            need = self.pump.handshake_step()
        except (GSKError, OSError) as exc:
            error = as_gsk_error(exc)
            self.session.handshake_failed(error)
            return self.fail(error)
        if not need:
            self.session.handshake_succeeded()
            return self.succeed()
        # Cancellable until negotiation begins: a server still waiting for the ClientHello can
        # give up; a client has sent its hello with the first step.
        self.uninterruptible = self.pump.engine.negotiating
        return self.wait_for(need)

    def abort(self, errno_value: int) -> None:
        super().abort(errno_value)
        self.session.handshake_failed(GSKError.for_rc(self.returnValue, "asynchronous handshake ended"))


class StartRecv(SecureOperation):
    """``gsk_secure_soc_startRecv``: fills ``buffer`` (wholly with fillBuffer)."""

    code = GSKSECURESOCSTARTRECV
    lane = LANE_RECV

    def __init__(self, session: Session, buffer: memoryview, fill_buffer: bool) -> None:
        super().__init__(session)
        self._view = buffer
        self._fill_buffer = fill_buffer
        self._received = 0

    def ready(self) -> bool:
        channel = self._channel  # (set by the start call that asks)
        return self.pump.holds_input() or (channel is not None and channel.readable())

    def abort(self, errno_value: int) -> None:
        super().abort(errno_value)
        self.secureDataTransferSize = self._received  # (fillBuffer) what is in the buffer already

    def attempt(self) -> bool:
        try:
            while True:
                got = self.pump.read_step(self._view[self._received:] if self._received else self._view)
                if got < 0:
                    return self.wait_for(got)
                self._received += got
                if not got or not self._fill_buffer or self._received == len(self._view):
                    return self.succeed(self._received)      # (0: the peer closed)
        except (GSKError, OSError) as exc:
            self.secureDataTransferSize = self._received
            return self.fail(as_gsk_error(exc))


class StartSend(SecureOperation):
    """``gsk_secure_soc_startSend``: encrypts and sends the buffer."""

    code = GSKSECURESOCSTARTSEND
    lane = LANE_SEND

    def __init__(self, session: Session, data: memoryview) -> None:
        super().__init__(session)
        self._data = data
        self._started = False
        self._want = EVENT_WRITE

    def attempt(self) -> bool:
        if self._started:
            return self._step()
        if not self.session.take_send_turn(self):
            self._want = 0                 # a synchronous write is sending: after it, whole
            return False
        try:
            return self._step()
        finally:
            self.session.end_send_turn()

    def _step(self) -> bool:
        try:
            got = self.pump.write_step(self._data, self._started)
        except (GSKError, OSError) as exc:
            return self.fail(as_gsk_error(exc))
        self._started = True
        return self.wait_for(got) if got < 0 else self.succeed(len(self._data))

    def resume(self) -> None:
        """The synchronous write this send waited for has gone out: attempt it again."""
        self._want = EVENT_WRITE
        assert self._port is not None
        self._port.engine.recheck(self)

    def abort(self, errno_value: int) -> None:
        super().abort(errno_value)
        self.session.unpark_send(self)
        if self._started:
            self.pump.abandon(self._data)
            if errno_value in (ECANCELED, EAGAIN):       # a cancel or a timer: it still goes out, whole
                self.secureDataTransferSize = len(self._data)
