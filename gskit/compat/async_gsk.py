"""``gsk_secure_soc_startInit``, ``startRecv`` and ``startSend``: GSKit on completion ports.

``startInit`` returns GSK_IBMI_ASYNCHRONOUS_SOC_INIT and always posts its result.
``startRecv``/``startSend`` return GSK_OK when they completed at once with postFlag 0
(nothing posted; ``secureDataTransferSize`` holds the count), or
GSK_IBMI_ASYNCHRONOUS_RECV/SEND when the result is (or will be) posted; any other value
is an error and nothing is posted.
"""
from __future__ import annotations

from typing import Any

from gskit import constants as c
from gskit import errors as rc
from gskit.compat.errno_state import set_errno
from gskit.compat.buffers import buffer_view
from gskit.compat.gsk import rc_of
from gskit.compat.structs import Qso_OverlappedIO_t
from gskit.engine.openssl_errors import socket_failure
from gskit.errors import GSKError
from gskit.io import completion
from gskit.io.secure_ops import SecureOperation, StartInit, StartRecv, StartSend
from gskit.session import Session

__all__ = ["gsk_secure_soc_startInit", "gsk_secure_soc_startRecv", "gsk_secure_soc_startSend"]


def _start(session: Any, port: Any, io: Any, asynchronous_rc: int) -> int:
    """The start call whose "posted" return is ``asynchronous_rc``."""
    if not isinstance(session, Session) or session.closed:
        return rc.GSK_INVALID_HANDLE
    if not isinstance(io, Qso_OverlappedIO_t):
        return rc.GSK_IBMI_ERROR_INVALID_OVERLAPPEDIO_T
    try:
        the_port = completion.get_port(port)
    except completion.QsoError:
        return rc.GSK_IBMI_ERROR_INVALID_IOCOMPLETIONPORT
    op: SecureOperation | None = None
    try:
        op = _operation(session, io, asynchronous_rc)
        sd = op.pump.sock  # the session's socket object: its identity is cached (no fstat)
        started = the_port.engine.start(the_port, sd, io, op)
    except GSKError as exc:
        return rc_of(exc)
    except completion.QsoError as exc:  # as a read reports the same socket error: 420 or 406
        failure = socket_failure(OSError(exc.errno, "the operation could not start"))
        if isinstance(op, StartInit):
            session.handshake_failed(failure.error())
        if failure.rc == rc.GSK_ERROR_IO:
            set_errno(failure.errno)
        return failure.rc
    if started == 0:                    # completed at once, not posted: GSK_OK or the failure
        if io.returnValue == rc.GSK_ERROR_IO:
            set_errno(io.errnoValue)
        return io.returnValue
    return asynchronous_rc


def _need_socket(session: Session) -> None:
    if session.values.get(c.GSK_IO_CALLBACK) is not None:
        raise GSKError.for_rc(rc.GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR,
                              "asynchronous calls need GSK_FD, not GSK_IO_CALLBACK")


def _operation(session: Session, io: Qso_OverlappedIO_t, asynchronous_rc: int) -> SecureOperation:
    """The operation of the start call whose "posted" return is ``asynchronous_rc`` (called
    directly, not passed as a function: compiled, that is a C call instead of a Python one)."""
    if asynchronous_rc == rc.GSK_IBMI_ASYNCHRONOUS_RECV:
        return _make_recv(session, io)
    if asynchronous_rc == rc.GSK_IBMI_ASYNCHRONOUS_SEND:
        return _make_send(session, io)
    return _make_init(session, io)


def _make_init(session: Session, io: Qso_OverlappedIO_t) -> SecureOperation:
    _need_socket(session)
    completion.check_request(io)  # refused before the handshake is set up: startInit may be retried
    session.prepare(asynchronous=True)
    return StartInit(session, session.handshake_timeout)


def _buffer(io: Qso_OverlappedIO_t, writable: bool) -> memoryview:
    """``buffer`` cut to ``bufferLength``, checked as gsk_secure_soc_read/write check theirs."""
    if io.bufferLength is None:
        raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, "bufferLength is not set")
    code, view = buffer_view(io.buffer, io.bufferLength, writable)
    if view is None:
        raise GSKError.for_rc(code, "buffer and bufferLength")
    return view


def _ready(session: Session) -> None:
    """The checks of gsk_secure_soc_read/write (raises the state's rc), on a socket."""
    if session._io_pump().sock is None:  # noqa: SLF001
        _need_socket(session)


def _make_recv(session: Session, io: Qso_OverlappedIO_t) -> SecureOperation:
    view = _buffer(io, writable=True)
    _ready(session)
    return StartRecv(session, view, bool(io.fillBuffer))


def _make_send(session: Session, io: Qso_OverlappedIO_t) -> SecureOperation:
    view = _buffer(io, writable=False)
    _ready(session)
    if session.close_notify_sent:
        raise GSKError.for_rc(rc.GSK_ERROR_SSL_CLOSED, "GSK_CLOSE_NOTIFY was sent on this session")
    return StartSend(session, view)


def gsk_secure_soc_startInit(session: Any, port: Any, io: Any) -> int:
    """Start the handshake; the result (returnValue GSK_OK or the rc) is always posted."""
    return _start(session, port, io, rc.GSK_IBMI_ASYNCHRONOUS_SOC_INIT)


def gsk_secure_soc_startRecv(session: Any, port: Any, io: Any) -> int:
    """GSK_OK (received at once, not posted) or GSK_IBMI_ASYNCHRONOUS_RECV, or an error rc."""
    return _start(session, port, io, rc.GSK_IBMI_ASYNCHRONOUS_RECV)


def gsk_secure_soc_startSend(session: Any, port: Any, io: Any) -> int:
    """GSK_OK (sent at once, not posted) or GSK_IBMI_ASYNCHRONOUS_SEND, or an error rc."""
    return _start(session, port, io, rc.GSK_IBMI_ASYNCHRONOUS_SEND)
