"""The TLS engine of one GSKit session: OpenSSL over memory BIOs, no I/O.

Theory of operation
-------------------
Every GSKit session, whatever drives it (the blocking calls, the completion-port engine,
asyncio, or the application's GSK_IO_CALLBACK), runs on one ``TLSEngine``.  The engine
owns one OpenSSL connection (an ``SSL`` object of a pyOpenSSL context, made by
``ssl_calls.new_ssl``): OpenSSL reads ciphertext from an incoming memory BIO and writes
ciphertext to an outgoing one, and never touches a socket.  An adapter's pump loop is
always the same:

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
ClientHello choice) is created with its descriptor (``fd``): OpenSSL then reads and writes
it itself and ``data_to_send`` is always empty.  Measured, this is what
brings the handshake rate to raw pyOpenSSL's (memory BIOs and the Python pump cost about
a fifth of it).  The asynchronous calls use it too, on the descriptor held non-blocking.

The connection is made and freed, and the calls that run on every record go to OpenSSL,
through ``ssl_calls`` (which keeps the interpreter lock for the short ones): ``SSL_read``,
``SSL_write``, ``SSL_do_handshake``, ``SSL_get_error``, ``SSL_pending``, ``SSL_shutdown``;
``BIO_read`` and ``BIO_write`` through cffi.  A failure is read from OpenSSL's error queue
and translated here (``_failure``, the cases pyOpenSSL's ``Connection`` distinguishes), so
WANT_READ never costs an exception.  OpenSSL's callbacks (``gskit.engine.context``) find
the connection's ``CallbackRecord`` with ``ssl_calls.app_data_of``.
"""
from __future__ import annotations

import errno as errno_module
import ipaddress
import threading
from typing import Any, Callable, Final, TypeVar

from cryptography import x509
from OpenSSL import SSL, crypto
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

from certstore.model import load_certificate
from gskit import errors as rc
from gskit.attributes.protocols import Protocol
from gskit.engine import client_hello
from gskit.engine.config import TLSConfig
from gskit.engine.openssl_errors import VERIFY_TEXTS, Failure, socket_failure, tls_failure, verify_result
from gskit.engine.ssl_calls import (
    last_errno,
    new_ssl,
    ssl_do_handshake,
    ssl_get_error,
    ssl_pending,
    ssl_pointer,
    ssl_read,
    ssl_shutdown,
    ssl_write,
)
from gskit.errors import GSKError

OUTGOING_CHUNK: Final = 262144
_WANT_WRITE: Final = _lib.SSL_ERROR_WANT_WRITE
_WANT_IO: Final = (_lib.SSL_ERROR_WANT_READ, _WANT_WRITE)
_ZERO_RETURN: Final = _lib.SSL_ERROR_ZERO_RETURN
_SYSCALL: Final = _lib.SSL_ERROR_SYSCALL
_SSL_ERROR: Final = _lib.SSL_ERROR_SSL
_NO_ERROR: Final = _lib.SSL_ERROR_NONE
_UNEXPECTED_EOF: Final = _lib.SSL_R_UNEXPECTED_EOF_WHILE_READING
# The peer's end of the stream: close_notify, or a FIN (OP_IGNORE_UNEXPECTED_EOF) -- IBM's amtRead 0.
PEER_CLOSED: Final = Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed the connection")
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
T = TypeVar("T")

_PROTOCOLS: Final = {p.label: p for p in Protocol}


class CallbackRecord:
    """What OpenSSL's callbacks (``gskit.engine.context``) see and note for one connection:
    its app data, registered only where the context has callbacks (or the connection a
    GSK_CLIENT_CERT_CALLBACK).

    It refers to neither the engine nor the connection, so that engine and connection
    form no reference cycle and are freed the moment the session lets them go (a
    GSK_CLIENT_CERT_CALLBACK, bound to its session, is let go when the handshake ends).
    """

    __slots__ = ("config", "validation_callback", "client_cert_callback", "x509_error", "subject",
                 "callback_rc", "unrecognized_name", "interrupted")

    def __init__(self, config: TLSConfig, validation_callback: ValidationCallback | None,
                 client_cert_callback: Callable[[], object] | None = None) -> None:
        self.config = config
        self.validation_callback = validation_callback
        self.client_cert_callback = client_cert_callback    # GSK_CLIENT_CERT_CALLBACK, bound
        self.x509_error = 0                 # the first failure the verify callback saw
        self.subject = ""
        self.callback_rc = rc.GSK_OK        # GSK_CERT_VALIDATION_CALLBACK's answer
        self.unrecognized_name: str | None = None   # a server name the critical list refused
        self.interrupted: BaseException | None = None  # Ctrl-C (or exit) in a callback (Session.handshake)


_BEFORE_HANDSHAKE: Final = b"before SSL initialization"  # SSL_state_string_long of TLS_ST_BEFORE


class TLSEngine:
    """One TLS connection on memory BIOs, or straight on a socket (see the module docstring)."""

    # State every engine starts with, defaulted here rather than set in __init__ (one
    # engine is made per handshake).
    _handle: Any = None                 # the connection's ssl_calls handle (None until made)
    _ssl: Any = None                    # its SSL * for cffi, made when first asked for
    _context: SSL.Context | None = None
    _in: Any = None                     # the memory BIOs (None while straight on the socket)
    _out: Any = None
    _broken: GSKError | None = None
    _peer_eof = False
    handshake_done = False
    wants_write = False                 # the last WANT_* was WANT_WRITE (direct mode)

    def __init__(self, config: TLSConfig, choose_context: ContextChooser, *,
                 fd: int = -1,
                 server_name: str | None = None,
                 check_hostname: bool = False,
                 validation_callback: ValidationCallback | None = None,
                 client_cert_callback: Callable[[], object] | None = None,
                 session: SSL.Session | None = None) -> None:
        self.config = config
        self.record = CallbackRecord(config, validation_callback, client_cert_callback)
        self.server_name = server_name
        self.check_hostname = check_hostname
        self._choose_context = choose_context
        self._resume = session
        self._fd = fd                       # >= 0: OpenSSL runs on this descriptor directly
        self._early_input = bytearray()     # a server's bytes before the ClientHello is read
        if not (config.server and config.legacy_lists_differ):
            self._connect(choose_context(None))

    # -- setup -------------------------------------------------------------------------------
    def _connect(self, ctx: Any) -> None:
        """The connection, on ``ctx`` (a ``gskit.engine.context.Context``)."""
        config, record = self.config, self.record
        calls_back = config.has_callbacks or record.client_cert_callback is not None
        handle = new_ssl(ctx.handle, self._fd, config.server, record if calls_back else None)
        self._handle, self._context = handle, ctx
        if record.client_cert_callback is not None:
            from gskit.engine.context import call_when_a_certificate_is_requested  # (it imports this module)
            call_when_a_certificate_is_requested(self.ssl)
        if self._fd < 0:
            self._in, self._out = _ffi.cast("BIO *", handle.rbio), _ffi.cast("BIO *", handle.wbio)
        if not config.server:
            if self.server_name:
                self._name_the_server(self.ssl, self.server_name)
            resume = self._resume
            # A session resumes only on the context it was made on (OpenSSL requires it and does
            # not check); another one (the session's own settings differ) gets a full handshake.
            if resume is not None and resume._context is ctx:  # noqa: SLF001
                _lib.SSL_set_session(self.ssl, resume._session)  # noqa: SLF001
        if self._early_input:
            self.receive(bytes(self._early_input))
            self._early_input.clear()

    @property
    def negotiating(self) -> bool:
        """Has the handshake begun on the wire (a client's hello sent, a server's received
        and read)?  Until then it can still be given up without the peer knowing."""
        return (self.ssl is not None
                and _ffi.string(_lib.SSL_state_string_long(self.ssl)) != _BEFORE_HANDSHAKE)

    @property
    def on_socket(self) -> bool:
        """True while OpenSSL reads and writes the descriptor itself (no memory BIOs)."""
        return self._handle is not None and self._out is None

    def _name_the_server(self, ssl: Any, name: str) -> None:
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
            if b"\0" in encoded:
                raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER, f"{name!r} cannot be sent as a server name")
            _lib.SSL_set_tlsext_host_name(ssl, encoded)
        if not self.check_hostname:
            return
        param = _lib.SSL_get0_param(ssl)
        expect = _lib.X509_VERIFY_PARAM_set1_host if address is None else _lib.X509_VERIFY_PARAM_set1_ip
        if expect(param, encoded, len(encoded)) != 1:
            raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER,
                                  f"{name!r} cannot be checked against a certificate (not a host name or address)")

    def _pick_context_from_client_hello(self) -> bool:
        """Server with per-version lists: the connection made on the context the ClientHello
        chooses, once it is in (False before)."""
        try:
            version = client_hello.chosen_version(bytes(self._early_input), self.config.protocols)
        except client_hello.Incomplete:
            return False
        except ValueError:
            version = None                 # not TLS: let OpenSSL produce the right error
        self._connect(self._choose_context(version))
        return True

    # -- transport side ----------------------------------------------------------------------
    def receive(self, data: bytes | bytearray | memoryview) -> None:
        """Hand the engine ciphertext from the transport; ``b""`` means end of file."""
        if not data:
            self._peer_eof = True
            if self._in is not None:
                _lib.BIO_set_mem_eof_return(self._in, 0)
            return
        if self._handle is None:
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
        self.check_usable()
        if self._handle is None:
            if self._peer_eof:
                raise self._fail(Failure(rc.GSK_ERROR_SOCKET_CLOSED, 0, "peer closed before the ClientHello"))
            if not self._pick_context_from_client_hello():
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
        """After an SSL call returned ``result`` <= 0: True for WANT_READ/WANT_WRITE, else
        raise the failure."""
        error = ssl_get_error(self._handle, result)
        if error in _WANT_IO:
            self.wants_write = error == _WANT_WRITE
            return True
        raise self._fail(self._failure(result, error))

    def _failure(self, result: int, error: int) -> Failure:
        """The failure of the call that returned ``result`` (``error``: SSL_get_error's), with
        OpenSSL's error queue drained: ``PEER_CLOSED`` for the end of the stream, a socket
        error, a certificate's, or a TLS failure.  (The cases of pyOpenSSL's
        ``Connection._raise_ssl_error``.)"""
        if error == _ZERO_RETURN:
            return PEER_CLOSED
        if error == _NO_ERROR:
            return Failure(rc.GSK_INTERNAL_ERROR, 0, f"OpenSSL returned {result} without an error")
        if error == _SYSCALL:
            code = last_errno()
            if _lib.ERR_peek_error() == 0 or code != 0:
                _lib.ERR_clear_error()
                if result < 0 and code != 0:
                    return socket_failure(OSError(code, errno_module.errorcode.get(code, "")))
                return PEER_CLOSED
        elif error == _SSL_ERROR and _lib.ERR_GET_REASON(_lib.ERR_peek_error()) == _UNEXPECTED_EOF:
            _lib.ERR_clear_error()
            return PEER_CLOSED
        reasons = _drain_error_queue()
        record = self.record
        if record.callback_rc != rc.GSK_OK:
            return Failure(record.callback_rc, 0, "rejected by GSK_CERT_VALIDATION_CALLBACK")
        if any("certificate verify failed" in r for r in reasons) and self.x509_error():
            code, _ = verify_result(self.x509_error())
            subject = self.failed_subject()
            return Failure(code, 0, verify_error_text(self.x509_error()) + (f": {subject}" if subject else ""))
        return tls_failure(reasons)

    def _check_server_name(self) -> None:
        """GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST: refuse before our flight leaves."""
        if self.record.unrecognized_name is not None:
            raise self._fail(Failure(rc.GSK_ERROR_BAD_PEER, 0,
                                     f"server name {self.record.unrecognized_name} is not in the critical list"))

    def read_into(self, buffer: memoryview) -> int | None:
        """Plaintext into ``buffer``: the count, 0 at the peer's close, None: needs input."""
        self.check_usable()
        result = ssl_read(self._handle, buffer)
        if result > 0:
            return result
        return self.read_outcome(result, ssl_get_error(self._handle, result))

    def read_outcome(self, result: int, error: int) -> int | None:
        """What a read that returned ``result`` <= 0 (``error``: SSL_get_error's) means: 0 at
        the peer's close, None when it needs I/O; raises the failure otherwise."""
        if error in _WANT_IO:
            self.wants_write = error == _WANT_WRITE
            return 0 if self._peer_eof else None
        if error != _NO_ERROR:
            failure = self._failure(result, error)
            if failure is not PEER_CLOSED and (failure.rc != rc.GSK_ERROR_SOCKET_CLOSED or failure.errno):
                raise self._fail(failure)
        self._peer_eof = True       # the end of the stream: every later read answers 0 at once
        return 0

    @property
    def handle(self) -> Any:
        """The connection's ``ssl_calls`` handle (for ``ssl_calls.read_waiting``)."""
        return self._handle

    def holds_input(self) -> bool:
        """Could ``read_into`` finish without new bytes from the transport?  True when
        OpenSSL holds plaintext, or the engine has failed or seen the end of the stream.
        (Without read-ahead, OpenSSL reads one record at a time: what it has not yet
        decrypted is still in the socket.)"""
        return (self._handle is None or self._broken is not None or self._peer_eof
                or ssl_pending(self._handle) > 0)

    def write(self, data: bytes | memoryview) -> int | None:
        """Encrypt all of ``data``: on memory BIOs into records the adapter then sends, on the
        socket straight out.  None: OpenSSL needs I/O first (retry with the same data)."""
        self.check_usable()
        result = ssl_write(self._handle, data)
        if result > 0:
            return result
        self._wants_input(result)  # raises unless it wants I/O
        return None

    def close_notify(self) -> None:
        """Queue a close_notify alert (once); never waits for the peer's."""
        if self._handle is not None and self._broken is None:
            ssl_shutdown(self._handle)

    def renegotiate(self) -> None:
        """Start another handshake (TLS 1.2)."""
        self.check_usable()
        ssl = self.ssl
        if not _lib.SSL_renegotiate_pending(ssl) and _lib.SSL_renegotiate(ssl) != 1:
            raise self._fail(tls_failure(_drain_error_queue()))
        self.handshake_done = False

    # -- results -----------------------------------------------------------------------------
    @property
    def ssl(self) -> Any:
        """The connection's ``SSL *`` (cffi), None before it is made: for what gskit does not
        wrap (``SSL_get_client_random``, ...); valid while the engine lives."""
        if self._ssl is None and self._handle is not None:
            self._ssl = ssl_pointer(self._handle)
        return self._ssl

    @property
    def context(self) -> SSL.Context | None:
        """The pyOpenSSL context the connection was made on."""
        return self._context

    @property
    def protocol(self) -> Protocol | None:
        if self.ssl is None:
            return None
        return _PROTOCOLS.get(_ffi.string(_lib.SSL_get_version(self.ssl)).decode("ascii"))

    def cipher_name(self) -> str | None:
        """OpenSSL's name of the suite in use, None before one is."""
        cipher = _lib.SSL_get_current_cipher(self.ssl) if self.ssl is not None else _ffi.NULL
        return _ffi.string(_lib.SSL_CIPHER_get_name(cipher)).decode("ascii") if cipher != _ffi.NULL else None

    def received_server_name(self) -> str:
        """The server name (SNI) the client sent, as a server sees it ("" if none)."""
        return server_name_of(self.ssl) if self.ssl is not None else ""

    def peer_certificate(self) -> x509.Certificate | None:
        """The certificate the peer presented, if any (GSKError as ``certificate_of`` says
        for one that cannot be read)."""
        cert = _lib.SSL_get_peer_certificate(self.ssl) if self.ssl is not None else _ffi.NULL
        return certificate_of(cert) if cert != _ffi.NULL else None

    def has_peer_certificate(self) -> bool:
        """Did the peer present a certificate?  (Reads none.)"""
        cert = _lib.SSL_get_peer_certificate(self.ssl) if self.ssl is not None else _ffi.NULL
        if cert == _ffi.NULL:
            return False
        _lib.X509_free(cert)
        return True

    def local_certificate(self) -> x509.Certificate | None:
        """The certificate this end presented (or would), if any."""
        cert = _lib.SSL_get_certificate(self.ssl) if self.ssl is not None else _ffi.NULL
        return certificate_of(lent(cert)) if cert != _ffi.NULL else None

    def group_name(self) -> str | None:
        """The key exchange group negotiated (``"x25519"``, ...), None before one is."""
        # (SSL_get0_group_name must not be called before there is a session: pyOpenSSL's guard)
        if self.ssl is None or _lib.SSL_get_session(self.ssl) == _ffi.NULL:
            return None
        name = _lib.SSL_get0_group_name(self.ssl)
        return _ffi.string(name).decode("ascii") if name != _ffi.NULL else None

    def session(self) -> SSL.Session | None:
        """The session to resume later, if there is one."""
        if self.ssl is None or not self.handshake_done:
            return None
        pointer = _lib.SSL_get1_session(self.ssl)
        if pointer == _ffi.NULL:
            return None
        saved = SSL.Session.__new__(SSL.Session)   # as pyOpenSSL's Connection.get_session makes one
        saved._session = _ffi.gc(pointer, _lib.SSL_SESSION_free)  # noqa: SLF001
        saved._context = self._context  # type: ignore[assignment]  # noqa: SLF001 (set with _ssl)
        return saved

    def x509_error(self) -> int:
        """The X509_V_ERR code of the peer's chain (0 = verified or not verified at all)."""
        if self.record.x509_error or self.ssl is None:
            return self.record.x509_error
        return int(_lib.SSL_get_verify_result(self.ssl))

    def failed_subject(self) -> str:
        """Subject of the certificate that failed validation ("" when none did, or when it
        cannot be read)."""
        record = self.record
        if record.subject or not self.x509_error():
            return record.subject
        chain = (peer_chain(self.ssl, crypto.X509._from_raw_x509_ptr)  # noqa: SLF001
                 if self.ssl is not None and self._context is not None else [])
        record.subject = failing_subject(chain, self._context) if chain else ""  # type: ignore[arg-type]
        return record.subject

    @property
    def resumed(self) -> bool:
        return bool(self.ssl is not None and _lib.SSL_session_reused(self.ssl))

    # -- errors ------------------------------------------------------------------------------
    def check_usable(self) -> None:
        """Raise the engine's failure, if it has failed."""
        if self._broken is not None:
            raise self._broken

    def _fail(self, failure: Failure) -> GSKError:
        self._broken = failure.error()
        return self._broken

    def _check_negotiated(self) -> None:
        """The suite must be one the configuration allows for the version negotiated."""
        protocol = self.protocol
        name = self.cipher_name()
        if protocol is None or name not in self.config.openssl_names.get(protocol, ()):
            self.close_notify()
            raise self._fail(Failure(rc.GSK_ERROR_NO_CIPHERS, 0,
                                     f"peer chose {name} for {protocol and protocol.label}, not allowed there"))


def certificate_of(pointer: Any) -> x509.Certificate:
    """An ``X509 *`` whose reference the caller hands over, as a cryptography certificate,
    every part parsed; GSKError GSK_ERROR_BAD_CERT for one that OpenSSL accepts and
    cryptography cannot read (X.509 version 2, a part that does not parse)."""
    try:
        return load_certificate(der_of(pointer))
    except ValueError as exc:
        raise GSKError.for_rc(rc.GSK_ERROR_BAD_CERT, f"the certificate cannot be read: {exc}") from None


def der_of(pointer: Any) -> bytes:
    """The DER of an ``X509 *`` whose reference the caller hands over, as OpenSSL has it
    (whatever cryptography reads)."""
    return crypto.dump_certificate(crypto.FILETYPE_ASN1, crypto.X509._from_raw_x509_ptr(pointer))  # noqa: SLF001


def subject_of(pointer: Any) -> str:
    """The subject (RFC 4514) of an ``X509 *`` whose reference the caller hands over; ""
    when the certificate cannot be read."""
    try:
        return certificate_of(pointer).subject.rfc4514_string()
    except GSKError:
        return ""


def lent(pointer: Any) -> Any:
    """An ``X509 *`` OpenSSL lends, with a reference of the caller's own to hand over to
    ``certificate_of``, ``der_of`` or ``subject_of``."""
    _lib.X509_up_ref(pointer)
    return pointer


def peer_chain(ssl: Any, convert: Callable[[Any], T] = der_of) -> list[T]:  # type: ignore[assignment]
    """The chain the peer sent (its certificate first), each certificate as ``convert``
    makes it of an ``X509 *`` whose reference it is handed (default: its DER)."""
    stack = _lib.SSL_get_peer_cert_chain(ssl)
    if stack == _ffi.NULL:
        return []
    return [convert(lent(_lib.sk_X509_value(stack, index))) for index in range(_lib.sk_X509_num(stack))]


def failing_subject(certificates: list[crypto.X509], context: SSL.Context) -> str:
    """The subject of the certificate of the chain (the peer's own first) that fails
    validation.  OpenSSL keeps no note of it when it verified alone, so the chain is verified
    again against the context's trust (a failed handshake's path only): the certificate it
    names, else the peer's own (the check that failed was its host name's)."""
    failing, store = certificates[0], context.get_cert_store()
    assert store is not None            # a context always has its store
    try:
        crypto.X509StoreContext(store, failing, certificates[1:]).verify_certificate()
    except crypto.X509StoreContextError as exc:
        failing = exc.certificate
    return subject_of(lent(failing._x509))  # noqa: SLF001


def server_name_of(ssl: Any) -> str:
    """The server name (SNI) a server's connection received ("" if none)."""
    name = _lib.SSL_get_servername(ssl, _lib.TLSEXT_NAMETYPE_host_name)
    return _ffi.string(name).decode("ascii", "replace") if name != _ffi.NULL else ""


def _drain_error_queue() -> list[str]:
    """The reason strings of this thread's OpenSSL error queue, which is left empty."""
    reasons: list[str] = []
    while True:
        code = _lib.ERR_get_error()
        if code == 0:
            return reasons
        text = _lib.ERR_reason_error_string(code)
        reasons.append(_ffi.string(text).decode("ascii", "replace") if text != _ffi.NULL else f"error {code:#x}")


def verify_error_text(code: int) -> str:
    """OpenSSL's text for an X509_V_ERR code (gskit's own for the code gskit sets)."""
    text = VERIFY_TEXTS.get(code)
    if text is not None:
        return text
    return _ffi.string(_lib.X509_verify_cert_error_string(code)).decode("ascii", "replace")
