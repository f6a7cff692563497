"""``Session``: one GSKit secure session (``gsk_secure_soc_*``), socket-like in Python.

Sessions are made only by ``Environment.open_session()``.  The handshake, reads and writes
run through the blocking adapter (``gskit.io.blocking``); the completion-port calls
(``gsk_secure_soc_startInit/Recv/Send``) drive the same engine from ``gskit.io.secure_ops``.
"""
from __future__ import annotations

import functools
import io
import socket
from collections import deque

from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib
from typing import Any, Callable, Final

from gskit import audit
from gskit import constants as c
from gskit import errors as rc
from gskit._compiled import mypyc_attr
from gskit.attributes import ciphers
from gskit.attributes.table import Attribute, Kind
from gskit.certinfo import certificate_elements, gsk_cert_data_elem
from gskit.callbacks import CallbackGuard, notify, validation_function
from gskit.engine.openssl_errors import verify_result
from gskit.engine.session_engine import TLSEngine
from gskit.engine.states import SESSION_TRANSITIONS, Op, SessionState, next_state, unchanged_by
from gskit.environment import _CERT_ATTRIBUTES, Environment, role_of
from gskit.errors import GSKError
from gskit.handle import PER_CONNECTION, Handle
from gskit.io import completion
from gskit.io.blocking import BlockingPump, DirectPump, Pump
from gskit.io.locks import Mutex
from gskit.io.transports import CallbackTransport, SocketTransport

_PROTOCOL_USED: Final = {
    "TLSV10": c.GSK_PROTOCOL_USED_TLSV1, "TLSV11": c.GSK_PROTOCOL_USED_TLSV11,
    "TLSV12": c.GSK_PROTOCOL_USED_TLSV12, "TLSV13": c.GSK_PROTOCOL_USED_TLSV13,
}
_SEC_TYPE: Final = {"TLSV10": "TLSV1", "TLSV11": "TLSV11", "TLSV12": "TLSV12", "TLSV13": "TLSV13"}
# Errors after which the session can go on (the caller may simply retry).
_RECOVERABLE: Final = frozenset({rc.GSK_IBMI_ERROR_TIMED_OUT, rc.GSK_WOULD_BLOCK})
_IO_KEEPS_STATE: Final = unchanged_by(SESSION_TRANSITIONS, Op.IO)
_MOST_READ: Final = 1 << 20     # bytes one read can return (OpenSSL: a record's, 16 KiB): recv's buffer at most
_MISC_IDS: Final = frozenset({c.GSK_RESET_CIPHER, c.GSK_RESET_SESSION, c.GSK_CLOSE_NOTIFY,
                              c.GSK_RESET_CIPHER_WITHNEWSESSION})
# Any object with the buffer protocol (bytes, bytearray, memoryview, array, mmap, ...): not
# narrowed further, since the compiled build checks an annotation at run time.
Buffer = Any


@mypyc_attr(allow_interpreted_subclasses=True)  # an application may subclass it
class Session(Handle):
    """A secure session; ``handshake()``, then ``recv``/``send`` like a socket."""

    is_session = True

    # Per-session state that starts the same in every session, defaulted here rather than
    # set in __init__ (a session is made per connection).
    _own_config = False                   # set when a session attribute needs its own context
    _own_credentials = False
    engine: TLSEngine | None = None
    pump: Pump | None
    _error: GSKError | None = None
    _audited = False                      # does an audit record end the handshake?
    _close_notify_sent = False
    _cache_key: tuple | None = None
    _resumable = True                     # False after GSK_RESET_SESSION: close does not cache it
    _socket: socket.socket | None = None  # keeps a Python socket given as fd alive
    _guard: CallbackGuard | None = None   # made when it has callbacks of the application's

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment.values.copy(), SessionState.OPEN, environment.release,
                         SESSION_TRANSITIONS, SessionState.CLOSED)
        self.environment = environment
        self.pump = None
        self._audit_endpoints: dict[str, Any] | None = None   # noted by gskit.audit
        self._send_lock = Mutex()            # one send's bytes go out together
        self._parked_sends: deque[Any] = deque()      # startSends waiting for a send's turn

    # -- attributes --------------------------------------------------------------------------
    def _store(self, row: Attribute, value: object) -> None:
        super()._store(row, value)
        if row.id not in PER_CONNECTION:
            self._own_config = True
        if row.id in _CERT_ATTRIBUTES:
            self._own_credentials = True

    def set_attribute(self, kind: Kind, attr_id: Any, value: Any, size: Any = None) -> None:
        super().set_attribute(kind, attr_id, value, size)
        if attr_id == c.GSK_FD:
            self._socket = value if isinstance(value, socket.socket) else None

    # -- handshake ---------------------------------------------------------------------------
    def prepare(self, *, asynchronous: bool = False) -> Pump:
        """Start a handshake: state HANDSHAKING, engine, transport and pump built (raises GSKError).

        On a TCP socket the application gave in blocking mode OpenSSL runs straight on the
        socket (``DirectPump``; the asynchronous calls hold it non-blocking from the start);
        everything else runs on memory BIOs.
        """
        with self._lock:
            engine, transport = self._start_engine(direct=True)
            if engine.on_socket:
                self.pump = DirectPump(engine, transport)
                if asynchronous:
                    transport.hold_nonblocking()
            else:
                self.pump = BlockingPump(engine, transport)
            return self.pump

    def prepare_engine(self) -> TLSEngine:
        """Start a handshake that another adapter drives (``gskit.aio``): state HANDSHAKING,
        the engine on memory BIOs, no pump (the caller owns the transport)."""
        with self._lock:
            engine, transport = self._start_engine(direct=False)
            transport.release(not transport.replaced())
            return engine

    def _start_engine(self, direct: bool) -> tuple[TLSEngine, Any]:
        """State HANDSHAKING, and the engine and its transport built (caller holds the lock)."""
        self._advance(Op.INIT)
        try:
            self.engine, transport = self._build(direct)
        except GSKError as exc:
            self._broken(exc, Op.HANDSHAKE_FAILED)
            raise
        self._audited = audit.remember_endpoints(self, self.environment.audit_variable)
        return self.engine, transport

    def _build(self, direct: bool) -> tuple[TLSEngine, Any]:
        env, values = self.environment, self._values.values
        config = env.tls_config
        if self._own_config or config is None:
            credentials = env.credentials
            if self._own_credentials or role_of(self._values) != role_of(env.values):
                credentials = env.session_credentials(self._values)
            config = env.resolve_config(self._values, credentials)
        critical_name = values.get(c.GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST)
        server_name = str(critical_name or values.get(c.GSK_SSL_EXTN_SERVERNAME_REQUEST) or "") or None
        check_hostname = env.check_hostname or bool(critical_name)
        if check_hostname and not config.server and not server_name:
            raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER,
                                  "hostname checking needs server_name (or Environment(check_hostname=False))")
        transport = self._transport()
        resume = None
        if not config.server and env.caches_sessions:
            self._cache_key = (_peer(transport), server_name)
            resume = env.cached_session(self._cache_key)
        direct = (direct and isinstance(transport, SocketTransport) and transport.blocking
                  and not (config.server and config.legacy_lists_differ))
        validation = validation_function(values.get(c.GSK_CERT_VALIDATION_CALLBACK))
        client_cert_callback = values.get(c.GSK_CLIENT_CERT_CALLBACK) if not config.server else None
        engine = TLSEngine(config, lambda version: env.context_for(config, version),
                           fd=transport.fd if direct else -1,
                           server_name=server_name, check_hostname=check_hostname,
                           validation_callback=self._guarded(validation) if validation is not None else None,
                           client_cert_callback=(self._guarded(functools.partial(client_cert_callback, self))
                                                 if client_cert_callback is not None else None),
                           session=resume)
        return engine, transport

    def _transport(self) -> Any:
        fd = int(self._values.get(c.GSK_FD, -1))
        callbacks = self._values.get(c.GSK_IO_CALLBACK)
        if callbacks is not None:
            return CallbackTransport(self._guarded(callbacks.io_read), self._guarded(callbacks.io_write),
                                     fd, str(self._values.get(c.GSK_USER_DATA) or ""))
        if fd < 0:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR, "GSK_FD was not set")
        return SocketTransport(fd, blocking=True if self._socket_timeout() else None)

    def _socket_timeout(self) -> float | None:
        """The timeout of the Python socket given as GSK_FD, if it has one (> 0): such a
        socket is waited on as a blocking one, and its timeout is the default of the read
        and handshake timeouts."""
        sock = self._socket
        if sock is None or sock.fileno() != self._values.get(c.GSK_FD, -1):
            return None
        return sock.gettimeout() or None

    def handshake(self) -> None:
        """``gsk_secure_soc_init``: the TLS handshake on GSK_FD (or the I/O callback)."""
        pump = self.prepare()
        try:
            pump.handshake(self.handshake_timeout or self._socket_timeout())
        except GSKError as exc:
            self.handshake_failed(exc)
            interrupted = pump.engine.record.interrupted   # Ctrl-C in a callback: the program's
            if interrupted is not None:
                pump.engine.record.interrupted = None
                raise interrupted from None
            raise
        except Exception as exc:  # a defect must not leave the session handshaking for ever
            error = GSKError.for_rc(rc.GSK_INTERNAL_ERROR, f"the handshake failed: {exc!r}")
            self.handshake_failed(error)
            raise error from exc
        self.handshake_succeeded()

    @property
    def handshake_timeout(self) -> int:
        """GSK_HANDSHAKE_TIMEOUT in seconds (0: none)."""
        return int(self._values.setting(c.GSK_HANDSHAKE_TIMEOUT))

    @property
    def read_timeout(self) -> float | None:
        """GSK_IBMI_READ_TIMEOUT in seconds, else the timeout of a Python socket given as
        GSK_FD (None: none)."""
        milliseconds = self._values.setting(c.GSK_IBMI_READ_TIMEOUT)
        return milliseconds / 1000 if milliseconds else self._socket_timeout()

    def _guarded(self, callback: Any) -> Any:
        """One of the application's callbacks, marked as this session's while it runs."""
        if self._guard is None:
            self._guard = CallbackGuard()
        return self._guard.wrap(callback)

    def _refuse_from_own_callback(self, doing: str) -> None:
        """GSK_INVALID_STATE inside one of this session's callbacks, which run under the locks
        that ``doing`` would wait for."""
        guard = self._guard
        if guard is not None and guard.here():
            raise GSKError.for_rc(rc.GSK_INVALID_STATE, f"a session's own callback cannot {doing} it; "
                                  "return an error from the callback, and do it after")

    def _release_client_cert_callback(self) -> None:
        """GSK_CLIENT_CERT_CALLBACK is bound to this session, and OpenSSL's callbacks find it
        through a registry: let it go once the handshake is over, so that nothing keeps the
        session alive."""
        if self.engine is not None:
            self.engine.record.client_cert_callback = None

    def handshake_succeeded(self) -> None:
        """The handshake is done.  (The TLS session is cached at close: TLS 1.3 tickets
        arrive after the handshake.)"""
        self._release_client_cert_callback()
        if self._audited:
            audit.handshake(self, None, self.environment.audit_variable)
        with self._lock:
            if not self.closed:
                self._advance(Op.HANDSHAKE_DONE)

    def handshake_failed(self, error: GSKError) -> None:
        self._release_client_cert_callback()
        if self._audited:
            audit.handshake(self, error, self.environment.audit_variable)
        with self._lock:
            if not self.closed:
                self._broken(error, Op.HANDSHAKE_FAILED)

    def _broken(self, error: GSKError, op: Op = Op.FATAL) -> None:
        """A fatal failure: every later I/O call raises ``error``; the state moves as the
        table says for ``op`` (to ERROR)."""
        self._error = error
        code, state = next_state(SESSION_TRANSITIONS, self._state, op)
        if code == rc.GSK_OK:
            self._state = state

    # -- data --------------------------------------------------------------------------------
    def _io_pump(self) -> Pump:
        if self._socket is not None and self._socket.fileno() < 0:
            # Closed by the application: its number may name another socket by now.
            raise GSKError.for_rc(rc.GSK_ERROR_SOCKET_CLOSED, "the socket given as GSK_FD was closed")
        pump = self.pump
        self._refuse_from_own_callback("read or write")
        if self._state in _IO_KEEPS_STATE and pump is not None:     # nothing to change: no lock needed
            return pump
        with self._lock:
            if self._state is SessionState.ERROR and self._error is not None:
                raise self._error
            self._advance(Op.IO)
            if self.pump is None:       # READY, its engine driven by gskit.aio's streams
                raise GSKError.for_rc(rc.GSK_INVALID_STATE,
                                      "this session's data goes through its asyncio streams (gskit.aio)")
            return self.pump

    def _run(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except GSKError as exc:
            with self._lock:
                if self.closed:                       # close() ran in another thread meanwhile
                    raise GSKError.for_rc(rc.GSK_IBMI_ERROR_CLOSED, "the session was closed by another thread") from None
                if exc.rc not in _RECOVERABLE:
                    self._broken(exc)
            raise

    def recv(self, size: object = 65536) -> bytes:
        """Up to ``size`` bytes of plaintext; ``b""`` once the peer has closed."""
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"recv() takes a size in bytes, not {type(size).__name__}")
        if size < 1:
            raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, f"buffer size {size} is less than 1")
        buffer = bytearray(min(size, _MOST_READ))
        del buffer[self.recv_into(buffer):]
        return bytes(buffer)

    def recv_into(self, buffer: Buffer, nbytes: int | None = 0) -> int:
        """Read into ``buffer`` (its first ``nbytes``); the count, 0 once the peer has closed."""
        view = memoryview(buffer).cast("B")
        if view.readonly:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_INVALID_POINTER, "the buffer is read-only")
        if nbytes:
            if nbytes < 0 or nbytes > len(view):      # as socket.recv_into
                raise ValueError(f"nbytes {nbytes} is negative or more than the buffer's {len(view)}")
            view = view[:nbytes]
        if len(view) < 1:
            raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, "buffer size is less than 1")
        return self._recv_view(view)

    def _recv_view(self, view: memoryview) -> int:
        """``recv_into`` for a flat byte view already checked (not empty): the compat layer's."""
        pump = self._io_pump()
        return self._run(pump.read_into, view, self.read_timeout)

    def send(self, data: Buffer) -> int:
        """Encrypt and send ``data``; returns its length."""
        view = memoryview(data).cast("B")
        if len(view) < 1:
            raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, "buffer size is less than 1")
        return self._send_view(view)

    def _send_view(self, view: memoryview) -> int:
        """``send`` for a flat byte view already checked (not empty): the compat layer's."""
        if self._close_notify_sent:
            raise GSKError.for_rc(rc.GSK_ERROR_SSL_CLOSED, "GSK_CLOSE_NOTIFY was sent on this session")
        pump = self._io_pump()
        written = 0
        self._send_lock.acquire()                     # another send waits for the whole of this one
        try:
            while written < len(view):                # bound one engine write to 256 KiB
                try:
                    written += self._run(pump.write, view[written:written + 262144])
                except GSKError as exc:
                    if exc.rc != rc.GSK_WOULD_BLOCK or not written:
                        raise
                    break                             # a non-blocking socket took part: say how much
        finally:
            self.end_send_turn()
        return written

    def take_send_turn(self, operation: Any) -> bool:
        """For a startSend's first step, which must not wait: True with the send lock taken
        (``end_send_turn`` gives it back), or False with ``operation`` parked; its
        ``resume()`` is called when the send in progress has gone out whole."""
        if self._send_lock.acquire(False):
            return True
        self._parked_sends.append(operation)
        if not self._send_lock.acquire(False):
            return False
        self.unpark_send(operation)                   # the send ended meanwhile
        return True

    def end_send_turn(self) -> None:
        self._send_lock.release()
        while self._parked_sends:  # (a deque: appends and pops need no lock)
            try:
                operation = self._parked_sends.popleft()
            except IndexError:
                break
            operation.resume()

    def unpark_send(self, operation: Any) -> None:
        try:
            self._parked_sends.remove(operation)
        except ValueError:
            pass                                      # resumed already (resuming again is harmless)

    def sendall(self, data: Buffer) -> None:
        """Encrypt and send all of ``data``.  On a non-blocking socket that cannot take it
        all, GSKWouldBlockError whose ``characters_written`` says how much was sent (as
        ``BlockingIOError``)."""
        view = memoryview(data).cast("B")
        written = self.send(view)
        if written < len(view):
            error = GSKError.for_rc(rc.GSK_WOULD_BLOCK, f"{written} of {len(view)} bytes were sent: "
                                                       "the non-blocking socket took no more")
            error.characters_written = written  # type: ignore[attr-defined]
            raise error

    def misc(self, misc_id: object) -> None:
        """``gsk_secure_soc_misc``: GSK_RESET_CIPHER, GSK_RESET_SESSION, GSK_CLOSE_NOTIFY, ..."""
        if not isinstance(misc_id, int) or isinstance(misc_id, bool) or misc_id not in _MISC_IDS:
            raise GSKError.for_rc(rc.GSK_MISC_INVALID_ID, f"{misc_id!r} is not a GSK_MISC_ID")
        if self._close_notify_sent:
            raise GSKError.for_rc(rc.GSK_ERROR_SSL_CLOSED, "GSK_CLOSE_NOTIFY was sent on this session")
        pump = self._io_pump()
        if misc_id == c.GSK_CLOSE_NOTIFY:
            with pump.engine_lock:
                pump.engine.close_notify()
            self._close_notify_sent = True
            self._run(pump.flush, pump.transport.blocking)  # non-blocking: the rest goes at close
            return
        if self._cache_key is not None:
            self.environment.forget_session(self._cache_key)
        if misc_id == c.GSK_RESET_SESSION:
            self._resumable = False
            return
        if pump.engine.protocol is not None and pump.engine.protocol.name == "TLSV13":
            raise GSKError.for_rc(rc.GSK_ERROR_UNSUPPORTED, "TLS 1.3 has no renegotiation")
        with pump.engine_lock:
            self._run(pump.engine.renegotiate)
        self._run(pump.handshake, self.handshake_timeout or None)
        self._resumable = True            # a new TLS session
        notify(self._values.get(c.GSK_CIPHER_SESSION_RESET), self)

    @property
    def close_notify_sent(self) -> bool:
        return self._close_notify_sent

    def close(self) -> None:
        """``gsk_secure_soc_close``: close_notify (once, not waited for); the socket stays open.

        Asynchronous operations still pending are posted with GSK_IBMI_ERROR_CLOSED.  Closing
        a closed session does nothing (the compat call answers GSK_INVALID_HANDLE before this).
        """
        self._refuse_from_own_callback("close")
        with self._lock:
            if self.closed:
                return
            self._advance(Op.CLOSE)
            pump = self.pump
        reactor = completion.current_engine()
        if reactor is not None and pump is not None:
            fd = self._values.values.get(c.GSK_FD, -1)
            reactor.abort_operations(fd, 0, lambda op: getattr(op, "session", None) is self)
        if pump is not None:
            pump.interrupt()
            same_socket = not pump.transport.replaced()   # (else its number names another one now)
            if self._error is None and pump.engine.handshake_done and same_socket:
                try:
                    if not self._close_notify_sent:
                        with pump.engine_lock:
                            pump.engine.close_notify()
                    pump.flush(block=False)
                except (GSKError, OSError):
                    pass
            pump.release(same_socket)
        self._release_client_cert_callback()
        keep = (self._cache_key is not None and self.engine is not None and self._error is None
                and self._resumable)
        self.environment.session_closed(self._cache_key, self.engine.session() if keep else None)  # type: ignore[union-attr]

    # -- results -----------------------------------------------------------------------------
    def _handshake(self) -> TLSEngine:
        """The engine of the handshake whose results are asked for; GSK_INVALID_STATE when
        the init failed before a handshake began (no GSK_FD, ...)."""
        engine = self.engine
        if engine is None or engine.ssl is None:
            raise GSKError.for_rc(rc.GSK_INVALID_STATE, "no handshake began on this session: it has no results")
        return engine

    def _result(self, row: Attribute) -> Any:
        return _RESULTS[row.id](self, self._handshake())

    def _validation_code(self) -> int:
        engine = self._handshake()
        if engine.x509_error():
            return verify_result(engine.x509_error())[1]
        if engine.config.request_peer_cert and not engine.has_peer_certificate():
            return rc.GSK_ERROR_NO_CERTIFICATE
        return 0

    def cert_info(self, cert_id: object) -> list[gsk_cert_data_elem]:
        """``gsk_attribute_get_cert_info`` for GSK_PARTNER_CERT_INFO or GSK_LOCAL_CERT_INFO
        (GSKCertificateError GSK_ERROR_BAD_CERT for a certificate that cannot be read)."""
        if cert_id not in (c.GSK_PARTNER_CERT_INFO, c.GSK_LOCAL_CERT_INFO) or isinstance(cert_id, bool):
            raise GSKError.for_rc(rc.GSK_ATTRIBUTE_INVALID_ID, f"{cert_id!r} is not a GSK_CERT_ID")
        with self._lock:
            self._advance(Op.GET_RESULT)
            engine = self._handshake()
            cert = engine.peer_certificate() if cert_id == c.GSK_PARTNER_CERT_INFO else engine.local_certificate()
        return certificate_elements(cert) if cert is not None else []

    # -- Pythonic conveniences ---------------------------------------------------------------
    def makefile(self, mode: str = "rb", buffering: int | None = None, *, encoding: str | None = None,
                 errors: str | None = None, newline: str | None = None) -> Any:
        """A file on the session, as ``socket.makefile``: binary ("rb", "wb", "rwb";
        ``buffering=0``: unbuffered) or text ("r", "w", "rw")."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        raw = _SessionIO(self)
        size = io.DEFAULT_BUFFER_SIZE if buffering is None or buffering < 0 else buffering
        if size == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        buffered: io.BufferedIOBase
        if reading and writing:
            buffered = io.BufferedRWPair(raw, raw, size)
        elif writing:
            buffered = io.BufferedWriter(raw, size)
        else:
            buffered = io.BufferedReader(raw, size)
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding, errors, newline)

    @property
    def protocol(self) -> str | None:
        """The negotiated protocol, e.g. ``"TLSv1.3"``."""
        engine = self.engine
        return engine.protocol.label if engine is not None and engine.protocol else None

    @property
    def cipher(self) -> str | None:
        """The negotiated suite's IANA name."""
        engine = self.engine
        if engine is None or not engine.handshake_done:
            return None
        suite = _suite(engine)
        return suite.iana_name if suite else engine.cipher_name()

    def __repr__(self) -> str:
        return f"<gskit.Session {self._state.value} {self.protocol or ''} {self.cipher or ''}>".replace("  ", " ")


class _SessionIO(io.RawIOBase):
    """The raw stream under ``Session.makefile``."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._session.recv_into(buffer) if memoryview(buffer).nbytes else 0   # (as socket's)

    def write(self, data: Any) -> int:
        return self._session.send(data) if memoryview(data).nbytes else 0


def _peer(transport: Any) -> object:
    try:
        sock = getattr(transport, "sock", None)     # (made now: OSError if closed meanwhile)
        return sock.getpeername() if sock is not None else getattr(transport, "fd", None)
    except OSError:
        return None


def _suite(engine: TLSEngine) -> ciphers.CipherSuite | None:
    return ciphers.suite_by_name(engine.cipher_name() or "")


def _server_name(engine: TLSEngine) -> str:
    if engine.config.server:
        return engine.received_server_name()
    return engine.server_name or ""


# What each result attribute reads from a session after its handshake.
_RESULTS: Final[dict[int, Callable[[Session, TLSEngine], Any]]] = {
    c.GSK_CONNECT_CIPHER_SPEC: lambda s, e: (suite.v3_code or suite.iana_name) if (suite := _suite(e)) else "",
    c.GSK_CONNECT_CIPHER_SPEC_EX: lambda s, e: suite.iana_name if (suite := _suite(e)) else "",
    c.GSK_CONNECT_SEC_TYPE: lambda s, e: _SEC_TYPE.get(e.protocol.name, "") if e.protocol else "",
    c.GSK_SID_VALUE: lambda s, e: _session_id(e),
    c.GSK_SSL_EXTN_SERVERNAME: lambda s, e: _server_name(e),
    c.GSK_VALIDATIONFAIL_SUBJECT: lambda s, e: e.failed_subject(),
    c.GSK_CONNECT_COMPRESSION: lambda s, e: "NONE",
    c.GSK_CERTIFICATE_VALIDATION_CODE: lambda s, e: s._validation_code(),  # noqa: SLF001
    c.GSK_LAST_VALIDATION_ERROR: lambda s, e: s._validation_code(),  # noqa: SLF001
    c.GSK_PROTOCOL_USED: lambda s, e: _PROTOCOL_USED[e.protocol.name] if e.protocol else 0,
    c.GSK_SID_FIRST: lambda s, e: c.GSK_SID_NOT_FIRST if e.resumed else c.GSK_SID_IS_FIRST,
}


def _session_id(engine: TLSEngine) -> str:
    """The TLS session ID in hex, read from the session's DER (SSL_SESSION_get_id is not
    bound): SEQUENCE { version, ssl_version, cipher, session_id, ... } -- only that field
    is kept, the master secret that follows is dropped at once."""
    session = _lib.SSL_get_session(engine.ssl) if engine.ssl is not None else _ffi.NULL
    if session == _ffi.NULL:
        return ""
    size = _lib.i2d_SSL_SESSION(session, _ffi.NULL)
    if size <= 0:
        return ""
    buffer = _ffi.new("unsigned char[]", size)
    _lib.i2d_SSL_SESSION(session, _ffi.new("unsigned char **", buffer))
    der = bytes(_ffi.buffer(buffer, size))
    try:
        return _der_field(der, 3).hex().upper()
    except (IndexError, ValueError):
        return ""


def _der_field(der: bytes, index: int) -> bytes:
    """The contents of the ``index``-th element of a DER SEQUENCE."""
    def header(pos: int) -> tuple[int, int]:
        length, pos = der[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(der[pos:pos + count], "big"), pos + count
        return pos, length
    if der[0] != 0x30:
        raise ValueError("not a SEQUENCE")
    pos, _ = header(0)
    for _ in range(index):
        start, length = header(pos)
        pos = start + length
    start, length = header(pos)
    return der[start:start + length]
