"""The TLS engine of one GSKit session: OpenSSL over memory BIOs, no I/O.

Theory of operation
-------------------
Every GSKit session, whatever drives it (the blocking calls, the completion-port engine,
asyncio, or the application's GSK_IO_CALLBACK), runs on one ``TLSEngine``.  The engine
wraps a pyOpenSSL ``Connection(ctx, None)``: OpenSSL reads ciphertext from an incoming
memory BIO and writes ciphertext to an outgoing one, and never touches a socket.  An
adapter's pump loop is always the same:

    1. call the engine (``handshake``, ``read_into`` or ``write``);
    2. send whatever ``data_to_send()`` returns (the handshake's flights, records, alerts);
    3. if the call answered NEED_INPUT, receive bytes from the transport, ``receive()``
       them (``b""`` for end of file) and go to 1.

WANT_READ is therefore an outcome (``None`` from ``read_into``, ``False`` from ``handshake``),
never an exception.  OpenSSL failures are translated here, once, into ``GSKError`` with
the GSKit rc (``openssl_errors``); adapters never see an OpenSSL exception.  After a fatal
failure the engine is broken for good and every later call raises the same error.

Details that shape the code:

* TLS 1.3 servers send session tickets after the handshake; a client processes them in
  its next ``read_into``, which is why the client session cache is updated on close as well.
* A failed write must not be retried with other data: with memory BIOs ``SSL_write``
  consumes all plaintext into records at once, so ``write`` always reports the whole
  buffer as taken and the adapter owes the transport ``data_to_send()``.
* ``close_notify`` sends the alert once and does not wait for the peer's.
* A server whose TLS 1.0-1.2 suite lists differ chooses its OpenSSL context only after
  reading the ClientHello (``client_hello``), because OpenSSL has one list for all three.

The direct mode.  A synchronous session on a blocking TCP socket (no per-version
ClientHello choice) is created with ``sock``: OpenSSL then reads and writes
the descriptor itself and ``data_to_send`` is always empty.  Measured, this is what
brings the handshake rate to raw pyOpenSSL's (memory BIOs and the Python pump cost about
a fifth of it).  The asynchronous calls use it too, on the descriptor held non-blocking.

The calls that run on every record go straight to OpenSSL: ``SSL_read``, ``SSL_write``,
``SSL_do_handshake``, ``SSL_get_error``, ``SSL_pending`` and ``SSL_shutdown`` through
``ssl_calls`` (which keeps the interpreter lock for the short ones), ``BIO_read`` and
``BIO_write`` through cffi.  pyOpenSSL is used to build connections and to turn a real
failure into its exception (``_raise``), so WANT_READ never costs an exception.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any, Callable, Final

from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL, crypto
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

from gskit import errors as rc
from gskit.attributes.protocols import Protocol
from gskit.engine import client_hello
from gskit.engine.config import TLSConfig
from gskit.engine.openssl_errors import Failure, socket_failure, tls_failure, verify_result
from gskit.engine.ssl_calls import (
    handle,
    last_errno,
    ssl_do_handshake,
    ssl_get_error,
    ssl_pending,
    ssl_read,
    ssl_shutdown,
    ssl_write,
)
from gskit.errors import GSKError

OUTGOING_CHUNK: Final = 262144
_WANT_WRITE: Final = _lib.SSL_ERROR_WANT_WRITE
_WANT_IO: Final = (_lib.SSL_ERROR_WANT_READ, _WANT_WRITE)
_ZERO_RETURN: Final = _lib.SSL_ERROR_ZERO_RETURN
_allocate: Final = _ffi.new_allocator(should_clear_after_alloc=False)
_scratch_space: Final = threading.local()


def _scratch() -> object:
    """This thread's buffer for draining the outgoing BIO (copied out at once)."""
    buffer = getattr(_scratch_space, "buffer", None)
    if buffer is None:
        buffer = _scratch_space.buffer = _allocate("char[]", OUTGOING_CHUNK)
    return buffer

ContextChooser = Callable[["Protocol | None"], SSL.Context]
ValidationCallback = Callable[[list[bytes], int], int]

_PROTOCOLS: Final = {p.label: p for p in Protocol}


class CallbackRecord:
    """What OpenSSL's callbacks see and note for one connection: the connection's app data.

    It refers to neither the engine nor the connection, so that engine and connection
    form no reference cycle and are freed the moment the session lets them go.
    """

    __slots__ = ("config", "validation_callback", "x509_error", "subject", "callback_rc",
                 "unrecognized_name")

    def __init__(self, config: TLSConfig, validation_callback: ValidationCallback | None) -> None:
        self.config = config
        self.validation_callback = validation_callback
        self.x509_error = 0                 # the first failure the verify callback saw
        self.subject = ""
        self.callback_rc = rc.GSK_OK        # GSK_CERT_VALIDATION_CALLBACK's answer
        self.unrecognized_name: str | None = None   # a server name the critical list refused


def verify_callback(conn: SSL.Connection, cert: crypto.X509, errnum: int, depth: int, ok: int) -> bool:
    """The context-wide verify callback; per-connection state lives in the connection's record."""
    record: CallbackRecord = conn.get_app_data()
    if not ok and record.x509_error == 0:
        record.x509_error = errnum
        record.subject = cert.to_cryptography().subject.rfc4514_string()
    if depth == 0 and record.validation_callback is not None:
        status = verify_result(record.x509_error)[0]
        chain = conn.get_peer_cert_chain(as_cryptography=True) or [cert.to_cryptography()]
        ders = [c.public_bytes(Encoding.DER) for c in chain]
        try:
            answer = record.validation_callback(ders, status)
        except Exception:  # noqa: BLE001 - a callback that raises rejects
            answer = rc.GSK_ERROR_CERT_VALIDATION
        record.callback_rc = answer
        return answer == rc.GSK_OK
    if not record.config.verify_peer:
        return True                  # PASSTHRU: keep going, GSK_CERTIFICATE_VALIDATION_CODE tells
    return bool(ok)


_BEFORE_HANDSHAKE: Final = b"before SSL initialization"  # SSL_state_string_long of TLS_ST_BEFORE


class TLSEngine:
    """One TLS connection on memory BIOs, or straight on a socket (see the module docstring)."""

    # State every engine starts with, defaulted here rather than set in __init__ (one
    # engine is made per handshake).
    _conn: SSL.Connection | None = None
    _handle: Any = None                 # _conn as ssl_calls names it (read on every record)
    _in: Any = None                     # the memory BIOs (None while straight on the socket)
    _out: Any = None
    _broken: GSKError | None = None
    _peer_eof = False
    handshake_done = False
    wants_write = False                 # the last WANT_* was WANT_WRITE (direct mode)

    def __init__(self, config: TLSConfig, choose_context: ContextChooser, *,
                 sock: socket.socket | None = None,
                 server_name: str | None = None,
                 check_hostname: bool = False,
                 validation_callback: ValidationCallback | None = None,
                 session: SSL.Session | None = None) -> None:
        self.config = config
        self.record = CallbackRecord(config, validation_callback)
        self.server_name = server_name
        self.check_hostname = check_hostname
        self._choose_context = choose_context
        self._resume = session
        self._sock = sock                   # given: OpenSSL runs on it directly
        self._early_input = bytearray()     # a server's bytes before the ClientHello is read
        if not (config.server and config.legacy_lists_differ):
            self._connect(choose_context(None))

    # -- setup -------------------------------------------------------------------------------
    def _connect(self, ctx: SSL.Context) -> SSL.Connection:
        conn = SSL.Connection(ctx, self._sock)      # a socket: SSL_set_fd; None: memory BIOs
        if self._sock is None:
            self._in, self._out = conn._into_ssl, conn._from_ssl  # noqa: SLF001
        conn.set_app_data(self.record)
        if self.config.server:
            conn.set_accept_state()
        else:
            conn.set_connect_state()
            if self.server_name:
                self._name_the_server(conn, self.server_name)
            if self._resume is not None:
                conn.set_session(self._resume)
        self._conn = conn
        self._handle = handle(conn._ssl)  # noqa: SLF001
        if self._early_input:
            self.receive(bytes(self._early_input))
            self._early_input.clear()
        return conn

    @property
    def negotiating(self) -> bool:
        """Has the handshake begun on the wire (a client's hello sent, a server's received
        and read)?  Until then it can still be given up without the peer knowing."""
        conn = self._conn
        return conn is not None and conn.get_state_string() != _BEFORE_HANDSHAKE

    @property
    def on_socket(self) -> bool:
        """True while OpenSSL reads and writes the descriptor itself (no memory BIOs)."""
        return self._conn is not None and self._out is None

    def _name_the_server(self, conn: SSL.Connection, name: str) -> None:
        """SNI for a host name (never for an IP literal), and the name to check if asked;
        GSK_INVALID_PARAMETER for a name that cannot be sent or checked (never fail open)."""
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            address = None
        try:
            encoded = address.packed if address is not None else name.encode("idna")
        except UnicodeError:
            raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER, f"{name!r} is not a valid host name") from None
        if address is None:
            conn.set_tlsext_host_name(encoded)
        if not self.check_hostname:
            return
        param = _lib.SSL_get0_param(conn._ssl)  # noqa: SLF001
        expect = _lib.X509_VERIFY_PARAM_set1_host if address is None else _lib.X509_VERIFY_PARAM_set1_ip
        if expect(param, encoded, len(encoded)) != 1:
            raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER,
                                  f"{name!r} cannot be checked against a certificate (not a host name or address)")

    def _pick_context_from_client_hello(self) -> SSL.Connection | None:
        """Server with per-version lists: the connection on the context the ClientHello
        chooses, once it is in (None before)."""
        try:
            version = client_hello.chosen_version(bytes(self._early_input), self.config.protocols)
        except client_hello.Incomplete:
            return None
        except ValueError:
            version = None                 # not TLS: let OpenSSL produce the right error
        return self._connect(self._choose_context(version))

    # -- transport side ----------------------------------------------------------------------
    def receive(self, data: bytes | bytearray | memoryview) -> None:
        """Hand the engine ciphertext from the transport; ``b""`` means end of file."""
        if not data:
            self._peer_eof = True
            if self._in is not None:
                _lib.BIO_set_mem_eof_return(self._in, 0)
            return
        if self._conn is None:
            self._early_input += data
            return
        _lib.BIO_write(self._in, _ffi.from_buffer(data), len(data))   # a memory BIO takes it all

    def data_to_send(self) -> bytes:
        """Ciphertext the transport owes the peer (may be empty)."""
        out = self._out
        if out is None:
            return b""
        scratch = _scratch()
        count = _lib.BIO_read(out, scratch, OUTGOING_CHUNK)
        if count < OUTGOING_CHUNK:           # a short read drained the BIO: no second call
            return _ffi.buffer(scratch, count)[:] if count > 0 else b""
        chunks = [_ffi.buffer(scratch, count)[:]]
        while count == OUTGOING_CHUNK:
            count = _lib.BIO_read(out, scratch, OUTGOING_CHUNK)
            if count > 0:
                chunks.append(_ffi.buffer(scratch, count)[:])
        return b"".join(chunks)

    # -- TLS side ----------------------------------------------------------------------------
    def handshake(self) -> bool:
        """Advance the handshake: True when complete, False when it needs input."""
        self._check_broken()
        if self._conn is None:
            if self._peer_eof:
                raise self._fail(Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed before the ClientHello"))
            if self._pick_context_from_client_hello() is None:
                return False
        result = ssl_do_handshake(self._handle)
        self._check_server_name()
        if result != 1:
            if self._wants_input(result):
                if self._peer_eof:
                    raise self._fail(Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed during the handshake"))
                return False
        if not self.config.server and self.config.legacy_lists_differ:
            self._check_negotiated()    # otherwise OpenSSL only accepts suites from its one list
        self.handshake_done = True
        return True

    def _wants_input(self, result: int) -> bool:
        """After an SSL call returned ``result`` <= 0: True for WANT_READ, else raise the failure.

        The calls above go straight to OpenSSL and pyOpenSSL is used only to turn a real
        failure into its exception: WANT_READ is the common outcome of a memory-BIO engine
        and must not cost an exception.
        """
        error = ssl_get_error(self._handle, result)
        if error in _WANT_IO:
            self.wants_write = error == _WANT_WRITE
            return True
        try:
            self._raise(result)
        except SSL.Error as exc:
            raise self._fail(self._translate(exc)) from None
        raise self._fail(Failure(rc.GSK_INTERNAL_ERROR, 0, f"OpenSSL returned {result} without an error"))

    def _raise(self, result: int) -> None:
        """pyOpenSSL's exception for the failure of the last ``ssl_calls`` call."""
        _ffi.errno = last_errno()          # what pyOpenSSL reads for a system call's failure
        conn = self._conn
        conn._raise_ssl_error(conn._ssl, result)  # type: ignore[union-attr]  # noqa: SLF001

    def _check_server_name(self) -> None:
        """GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST: refuse before our flight leaves."""
        if self.record.unrecognized_name is not None:
            raise self._fail(Failure(rc.GSK_ERROR_BAD_PEER, 0,
                                     f"server name {self.record.unrecognized_name} is not in the critical list"))

    def read_into(self, buffer: memoryview) -> int | None:
        """Plaintext into ``buffer``: the count, 0 at the peer's close, None: needs input."""
        self._check_broken()
        result = ssl_read(self._handle, buffer)
        if result > 0:
            return result
        error = ssl_get_error(self._handle, result)
        if error in _WANT_IO:
            self.wants_write = error == _WANT_WRITE
            return 0 if self._peer_eof else None
        if error == _ZERO_RETURN:
            return 0
        try:
            self._raise(result)
        except SSL.SysCallError as exc:
            if exc.args and exc.args[0] == -1:          # EOF without close_notify: IBM's amtRead 0
                return 0
            raise self._fail(self._translate(exc)) from None
        except SSL.Error as exc:
            failure = self._translate(exc)
            if failure.rc == rc.GSK_ERROR_SOCKET_CLOSED:
                return 0
            raise self._fail(failure) from None
        return 0

    def holds_input(self) -> bool:
        """Could ``read_into`` finish without new bytes from the transport?  True when
        OpenSSL holds plaintext, or the engine has failed or seen the end of the stream.
        (Without read-ahead, OpenSSL reads one record at a time: what it has not yet
        decrypted is still in the socket.)"""
        return (self._conn is None or self._broken is not None or self._peer_eof
                or ssl_pending(self._handle) > 0)

    def write(self, data: bytes | memoryview) -> int | None:
        """Encrypt all of ``data``: on memory BIOs into records the adapter then sends, on the
        socket straight out.  None: OpenSSL needs I/O first (retry with the same data)."""
        self._check_broken()
        result = ssl_write(self._handle, data)
        if result > 0:
            return result
        self._wants_input(result)  # raises unless it wants I/O
        return None

    def close_notify(self) -> None:
        """Queue a close_notify alert (once); never waits for the peer's."""
        if self._conn is not None and self._broken is None:
            ssl_shutdown(self._handle)

    def renegotiate(self) -> None:
        """Start another handshake (TLS 1.2) or a key update (TLS 1.3)."""
        self._check_broken()
        try:
            self._conn.renegotiate()  # type: ignore[union-attr]
        except SSL.Error as exc:
            raise self._fail(self._translate(exc)) from None
        self.handshake_done = False

    # -- results -----------------------------------------------------------------------------
    @property
    def connection(self) -> SSL.Connection | None:
        return self._conn

    @property
    def protocol(self) -> Protocol | None:
        name = self._conn.get_protocol_version_name() if self._conn else None
        return _PROTOCOLS.get(name or "")

    def session(self) -> SSL.Session | None:
        """The session to resume later, if there is one."""
        if self._conn is None or not self.handshake_done:
            return None
        return self._conn.get_session()

    def x509_error(self) -> int:
        """The X509_V_ERR code of the peer's chain (0 = verified or not verified at all)."""
        if self.record.x509_error or self._conn is None:
            return self.record.x509_error
        return int(_lib.SSL_get_verify_result(self._conn._ssl))  # noqa: SLF001

    def failed_subject(self) -> str:
        """Subject of the certificate that failed validation ("" when none did)."""
        if self.record.subject or not self.x509_error():
            return self.record.subject
        peer = self._conn.get_peer_certificate(as_cryptography=True) if self._conn else None
        return peer.subject.rfc4514_string() if peer is not None else ""

    @property
    def resumed(self) -> bool:
        return bool(self._conn is not None and _lib.SSL_session_reused(self._conn._ssl))  # noqa: SLF001

    # -- errors ------------------------------------------------------------------------------
    def _check_broken(self) -> None:
        if self._broken is not None:
            raise self._broken

    def _fail(self, failure: Failure) -> GSKError:
        self._broken = failure.error()
        return self._broken

    def _translate(self, exc: Exception) -> Failure:
        if isinstance(exc, SSL.ZeroReturnError):   # close_notify, or a FIN (OP_IGNORE_UNEXPECTED_EOF)
            return Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed the connection")
        if isinstance(exc, SSL.SysCallError):
            code, text = (exc.args + (0, ""))[:2]
            if code == -1:
                return Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed the connection")
            return socket_failure(OSError(code, text))
        reasons = [str(entry[2]) for entry in (exc.args[0] if exc.args and isinstance(exc.args[0], list) else [])]
        record = self.record
        if record.callback_rc != rc.GSK_OK:
            return Failure(record.callback_rc, 0, "rejected by GSK_CERT_VALIDATION_CALLBACK")
        if any("certificate verify failed" in r for r in reasons) and self.x509_error():
            code, _ = verify_result(self.x509_error())
            return Failure(code, 0, f"{verify_error_text(self.x509_error())}: {self.failed_subject()}")
        return tls_failure(reasons or [str(exc)])

    def _check_negotiated(self) -> None:
        """The suite must be one the configuration allows for the version negotiated."""
        protocol = self.protocol
        name = self._conn.get_cipher_name()  # type: ignore[union-attr]
        if protocol is None or name not in self.config.openssl_names.get(protocol, ()):
            self.close_notify()
            raise self._fail(Failure(rc.GSK_ERROR_NO_CIPHERS, 0,
                                     f"peer chose {name} for {protocol and protocol.label}, not allowed there"))


def verify_error_text(code: int) -> str:
    """OpenSSL's text for an X509_V_ERR code."""
    return _ffi.string(_lib.X509_verify_cert_error_string(code)).decode("ascii", "replace")
