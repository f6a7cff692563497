"""asyncio over GSKit secure sessions, on the running loop (no thread hop per operation).

    env = gskit.Environment(session_type="server", keyring_file="server.pem")
    server = await gskit.aio.start_server(handle, "127.0.0.1", 8443, environment=env)

    reader, writer = await gskit.aio.open_connection("example.com", 443, keyring_file="ca.pem")
    writer.write(b"hello"); await writer.drain(); data = await reader.read(100)

    secure = await gskit.aio.wrap_socket(env, sock)      # any connected socket
    await secure.handshake(); await secure.write(b"x"); data = await secure.read(100)

Each connection is an ``asyncio.BufferedProtocol`` that drives the session's
``TLSEngine`` (see ``gskit.engine.session_engine``) from the loop's own callbacks: the loop
receives into a reused buffer, ``buffer_updated`` hands the ciphertext to the engine, the
handshake advances or the plaintext goes to an ``asyncio.StreamReader``, and whatever the
engine produced goes out with ``transport.write``.  Writes encrypt at once and queue on the
transport; ``drain`` waits on the transport's flow control.  docs/asyncio.md says why this
and not ``loop.sock_recv_into``/``sock_sendall``, and what was measured.

The ``gskit.Session`` of each connection keeps the state, the audit records and the
read-back attributes (``session.cipher``, ``gsk_attribute_get_*``).  Failures raise the
``GSKError`` subclasses, with the rc the blocking calls would give.
"""
from __future__ import annotations

import asyncio
import socket
import threading
from collections import deque
from typing import Any, Awaitable, Callable

from gskit import constants as c
from gskit import errors as rc
from gskit.engine.openssl_errors import socket_failure
from gskit.engine.session_engine import TLSEngine
from gskit.environment import Environment
from gskit.errors import GSKError
from gskit.session import Session

__all__ = ["AsyncSession", "SecureStreamWriter", "open_connection", "start_server", "wrap_socket"]

DEFAULT_LIMIT = 2 ** 16          # the StreamReader buffer limit, as asyncio's streams
READ_CHUNK = 65536               # plaintext taken from the engine per call (one record is <= 16 KiB)
WRITE_CHUNK = 262144             # plaintext handed to the engine per call
HANDSHAKE_TIMEOUT = 60.0         # seconds, when GSK_HANDSHAKE_TIMEOUT is 0 (as asyncio's ssl)
SHUTDOWN_TIMEOUT = 30.0          # seconds close() waits for the peer to end its side (as asyncio's ssl)

SessionOpener = Callable[[int], Session]
ClientConnected = Callable[[asyncio.StreamReader, "SecureStreamWriter"], "Awaitable[None] | None"]


_local = threading.local()


def _thread_buffer(name: str) -> memoryview:
    buffer = getattr(_local, name, None)
    if buffer is None:
        buffer = memoryview(bytearray(READ_CHUNK))
        setattr(_local, name, buffer)
    return buffer


def _read_buffer() -> memoryview:
    """Plaintext out of the engine: one buffer per thread (per loop), shared by its connections."""
    return _thread_buffer("plaintext")


def _receive_buffer() -> memoryview:
    """Ciphertext from the socket (BufferedProtocol): shared the same way; the loop fills it
    and calls ``buffer_updated`` at once, so no connection can see another's bytes."""
    return _thread_buffer("ciphertext")


def _closed_error(exc: BaseException | None) -> GSKError:
    """The error for a connection lost under an operation (406 + errno, or 420)."""
    if isinstance(exc, OSError):
        return socket_failure(exc).error()
    return GSKError.for_rc(rc.GSK_ERROR_SOCKET_CLOSED, "the connection was closed")


def _set_nodelay(sock: socket.socket | None) -> None:
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; a listening socket
    # made with proto 0 would leave every TLS 1.3 handshake waiting 40 ms on delayed ACKs.
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class _SecureProtocol(asyncio.BufferedProtocol):
    """One connection: the TLSEngine pump on the loop's callbacks."""

    def __init__(self, open_session: SessionOpener, limit: int,
                 on_handshake: Callable[["_SecureProtocol"], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._open_session = open_session
        self._on_handshake = on_handshake
        self.reader = asyncio.StreamReader(limit=limit, loop=self._loop)
        self.session: Session | None = None
        self.engine: TLSEngine | None = None
        self.transport: asyncio.Transport | None = None
        self.handshake_done = self._loop.create_future()
        self.handshake_done.add_done_callback(_retrieve)
        self.closed = self._loop.create_future()
        self.error: GSKError | None = None
        self.read_timeout: float | None = None
        self.close_notify_sent = False
        self.closing = False                   # close() was called: the connection is ending
        self._eof = False
        self._paused = False
        self._drain_waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None  # the handshake timeout, then the shutdown's
        self._ciphertext = _receive_buffer()   # this loop thread's buffers, looked up once
        self._plaintext = _read_buffer()

    # -- asyncio callbacks -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        _set_nodelay(sock)
        self.reader.set_transport(transport)
        try:
            self.session = self._open_session(sock.fileno())
            handshake_timeout = self.session.handshake_timeout or HANDSHAKE_TIMEOUT
            self.read_timeout = self.session.read_timeout
            self.engine = self.session.prepare_engine()
        except GSKError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - never leave a connection without an answer
            self._fail(GSKError.for_rc(rc.GSK_INTERNAL_ERROR, f"cannot start the session: {exc!r}"))
            return
        if handshake_timeout:
            self._timer = self._loop.call_later(handshake_timeout, self._handshake_timed_out)
        self._advance()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._ciphertext

    def buffer_updated(self, nbytes: int) -> None:
        if self.engine is None or self.error is not None:
            return
        self.engine.receive(self._ciphertext[:nbytes])    # the engine copies it into its BIO
        self._advance()

    def eof_received(self) -> bool:
        if self.engine is not None and self.error is None:
            self.engine.receive(b"")
            self._advance()
        return True                     # the application may still write, then close

    def connection_lost(self, exc: Exception | None) -> None:
        error = _closed_error(exc)
        if not self.handshake_done.done():
            self._fail(error)
        elif not self._eof and self.error is None:
            if exc is None:
                self.reader.feed_eof()      # closed without close_notify: EOF, as the blocking read
            else:
                self.error = error
                self.reader.set_exception(error)
        self._wake_drainers(error if exc is not None else None)
        if self._timer is not None:
            self._timer.cancel()
        if self.session is not None and not self.session.closed:
            try:
                self.session.close()
            except GSKError:
                pass
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_drainers(None)

    # -- the pump ----------------------------------------------------------------------------
    def _advance(self) -> None:
        """Run the handshake or read plaintext as far as the input allows; send the output."""
        engine = self.engine
        assert engine is not None
        try:
            if not self.handshake_done.done():
                finished = engine.handshake()
                self._flush()
                if not finished:
                    return
                self._handshake_succeeded()
            buffer = self._plaintext
            while not self._eof:
                count = engine.read_into(buffer)
                if count is None:
                    break
                if count:
                    if not self.closing:                       # (after close(): read, not kept)
                        self.reader.feed_data(buffer[:count])  # copied into the reader's buffer
                else:
                    self._eof = True
                    self.reader.feed_eof()
            self._flush()
            if self._eof and self.closing:
                self.transport.close()  # type: ignore[union-attr]  # the peer has ended its side
        except GSKError as exc:
            self._fail(exc)

    def _flush(self) -> None:
        data = self.engine.data_to_send()  # type: ignore[union-attr]
        if data and not self.transport.is_closing():  # type: ignore[union-attr]
            self.transport.write(data)  # type: ignore[union-attr]

    def _handshake_succeeded(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.session.handshake_succeeded()  # type: ignore[union-attr]
        self.handshake_done.set_result(None)
        if self._on_handshake is not None:
            self._on_handshake(self)

    def _handshake_timed_out(self) -> None:
        if not self.handshake_done.done():
            self._fail(GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, "the handshake timed out"))

    def _fail(self, error: GSKError) -> None:
        """A fatal error: tell every waiter, send what the engine owes (an alert), close."""
        if self.error is not None:
            return
        self.error = error
        if not self.handshake_done.done():
            if self.session is not None and not self.session.closed:
                self.session.handshake_failed(error)
            self.handshake_done.set_exception(error)
        else:
            self.reader.set_exception(error)
        self._wake_drainers(error)
        if self.engine is not None:
            self._flush()
        if self.transport is not None:
            self.transport.close()

    def _wake_drainers(self, error: GSKError | None) -> None:
        while self._drain_waiters:
            waiter = self._drain_waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error) if error is not None else waiter.set_result(None)

    # -- what the application calls ----------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.error is not None:
            raise self.error
        if self.close_notify_sent:
            raise GSKError.for_rc(rc.GSK_ERROR_SSL_CLOSED, "close_notify was sent on this session")
        if not self.handshake_done.done():
            raise GSKError.for_rc(rc.GSK_INVALID_STATE, "the handshake has not completed")
        if self.transport.is_closing():  # type: ignore[union-attr]
            raise GSKError.for_rc(rc.GSK_ERROR_SOCKET_CLOSED, "the connection is closing")
        view = memoryview(data).cast("B")
        done = 0
        try:
            while done < len(view):
                taken = self.engine.write(view[done:done + WRITE_CHUNK])  # type: ignore[union-attr]
                if taken is None:
                    raise GSKError.for_rc(rc.GSK_ERROR_IO, "a renegotiation is in progress; read first")
                done += taken
        except GSKError as exc:
            self._fail(exc)
            raise
        self._flush()

    async def drain(self) -> None:
        if self.error is not None:
            raise self.error
        if self.transport.is_closing():  # type: ignore[union-attr]
            await asyncio.sleep(0)          # let connection_lost run, as asyncio's streams do
            if self.error is not None:
                raise self.error
            if self.closed.done():
                raise GSKError.for_rc(rc.GSK_ERROR_SOCKET_CLOSED, "the connection is closed")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter

    def close_notify(self) -> None:
        """Send close_notify once (TLS half-close); reading goes on."""
        if self.close_notify_sent or self.error is not None or not self.handshake_done.done():
            return
        self.close_notify_sent = True
        self.engine.close_notify()  # type: ignore[union-attr]
        self._flush()

    def close(self) -> None:
        """close_notify after what is queued, then close once the peer has ended its side
        (at most SHUTDOWN_TIMEOUT later).  Reading goes on meanwhile: a socket closed with
        unread input (TLS 1.3 tickets, say) is reset, and what it still had queued is lost."""
        if self.transport is None or self.transport.is_closing() or self.closing:
            return
        self.closing = True
        if self.error is not None or self._eof or not self.handshake_done.done():
            self.transport.close()
            return
        self.close_notify()
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(SHUTDOWN_TIMEOUT, self.transport.abort)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _retrieve(future: asyncio.Future[None]) -> None:
    """A handshake nobody awaited must not log 'exception was never retrieved'."""
    if not future.cancelled():
        future.exception()


class SecureStreamWriter:
    """``asyncio.StreamWriter`` over a GSKit session: write, drain, close, wait_closed."""

    def __init__(self, protocol: _SecureProtocol) -> None:
        self._protocol = protocol

    @property
    def transport(self) -> asyncio.Transport:
        return self._protocol.transport  # type: ignore[return-value]

    @property
    def session(self) -> Session:
        """The ``gskit.Session``: attributes, ``cipher``, ``protocol``, ``cert_info``."""
        return self._protocol.session  # type: ignore[return-value]

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` and queue it on the transport (raises GSKError)."""
        self._protocol.write(data)

    def writelines(self, data: Any) -> None:
        self._protocol.write(b"".join(data))

    async def drain(self) -> None:
        """Wait until the transport's buffer is below its high-water mark."""
        await self._protocol.drain()

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        """TLS half-close: send close_notify; the peer's data can still be read."""
        self._protocol.close_notify()

    def is_closing(self) -> bool:
        return self._protocol.closing or self.transport.is_closing()

    def close(self) -> None:
        """close_notify, then close the connection once the peer has ended its side
        (``wait_closed`` waits for that: at most SHUTDOWN_TIMEOUT seconds)."""
        self._protocol.close()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._protocol.closed)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``"session"``, ``"cipher"`` (IANA name), ``"protocol"``, or the transport's extras."""
        session = self.session
        extras = {"session": lambda: session, "cipher": lambda: session.cipher,
                  "protocol": lambda: session.protocol}
        getter = extras.get(name)
        return getter() if getter is not None else self.transport.get_extra_info(name, default)

    def __repr__(self) -> str:
        return f"<gskit.aio.SecureStreamWriter {self.session!r}>"


class AsyncSession:
    """A GSKit session on the running loop: ``await handshake()``, ``read()``, ``write()``.

    ``reader`` and ``writer`` are the same connection in asyncio's stream shape.
    """

    def __init__(self, protocol: _SecureProtocol) -> None:
        self._protocol = protocol
        self.reader = protocol.reader
        self.writer = SecureStreamWriter(protocol)

    @property
    def session(self) -> Session:
        return self._protocol.session  # type: ignore[return-value]

    async def handshake(self) -> None:
        """Complete the handshake (GSK_HANDSHAKE_TIMEOUT applies: 6011).

        Cancelling the caller aborts the connection: a half-done handshake cannot resume.
        """
        try:
            await asyncio.shield(self._protocol.handshake_done)
        except asyncio.CancelledError:
            if not self._protocol.handshake_done.done():
                self._protocol.abort()
            raise

    def _handshake_over(self) -> bool:
        """True once the handshake succeeded (its failure raises); False while it runs."""
        done = self._protocol.handshake_done
        if done.done():
            done.result()
            return True
        return False

    async def read(self, size: int = 65536) -> bytes:
        """Up to ``size`` bytes; ``b""`` once the peer has closed.

        GSK_IBMI_READ_TIMEOUT (ms) applies: 6011, and the session stays usable.
        """
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"read() takes a size in bytes, not {type(size).__name__}")
        if size < 1:
            raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, f"buffer size {size} is less than 1")
        if not self._handshake_over():
            await self.handshake()
        timeout = self._protocol.read_timeout
        if timeout is None:
            return await self.reader.read(size)
        try:
            return await asyncio.wait_for(self.reader.read(size), timeout)
        except asyncio.TimeoutError:
            raise GSKError.for_rc(rc.GSK_IBMI_ERROR_TIMED_OUT, "the read timed out") from None

    async def write(self, data: bytes | bytearray | memoryview) -> int:
        """Encrypt and send all of ``data``; returns its length once the transport took it."""
        view = memoryview(data).cast("B")
        if len(view) < 1:
            raise GSKError.for_rc(rc.GSK_INVALID_BUFFER_SIZE, "buffer size is less than 1")
        if not self._handshake_over():
            await self.handshake()
        self.writer.write(view)
        await self.writer.drain()
        return len(view)

    async def close(self) -> None:
        """close_notify, close the connection and the session."""
        self.writer.close()
        await self.writer.wait_closed()

    async def __aenter__(self) -> "AsyncSession":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<gskit.aio.AsyncSession {self.session!r}>"


# -- entry points ------------------------------------------------------------------------------
def _opener(environment: Environment, settings: dict[str, Any]) -> SessionOpener:
    return lambda fd: environment.open_session(fd=fd, **settings)


def _initialized(environment: Environment, server: bool | None = None,
                 settings: dict[str, Any] | None = None) -> Environment:
    """Initialize now, so a bad configuration raises here and not per connection; a client
    environment where a server's is needed (``server``; None: either), or the reverse,
    unless ``settings`` give the sessions their own session type, is GSK_INVALID_PARAMETER."""
    if not isinstance(environment, Environment):
        raise TypeError(f"environment must be a gskit.Environment, not {type(environment).__name__}")
    if environment.tls_config is None:
        environment.init()
    config = environment.tls_config
    if server is not None and config is not None and config.server != server \
            and "session_type" not in (settings or {}):
        wanted, given = ("server", "client") if server else ("client", "server")
        raise GSKError.for_rc(rc.GSK_INVALID_PARAMETER,
                              f"this needs a {wanted} environment (session_type), not a {given} one")
    return environment


async def wrap_socket(environment: Environment, sock: socket.socket, *, limit: int = DEFAULT_LIMIT,
                      **settings: Any) -> AsyncSession:
    """A GSKit session on a connected socket (client or server, per the environment).

    ``settings`` are session settings (``server_name=...``, ``handshake_timeout=...``).  The
    handshake starts at once; ``await session.handshake()`` waits for it.
    """
    if not isinstance(sock, socket.socket):
        raise TypeError(f"sock must be a connected socket.socket, not {type(sock).__name__}")
    loop = asyncio.get_running_loop()
    opener = _opener(_initialized(environment), settings)
    _, protocol = await loop.connect_accepted_socket(lambda: _SecureProtocol(opener, limit), sock)
    return AsyncSession(protocol)


async def open_connection(host: str | None = None, port: int | None = None, *,
                          environment: Environment | None = None, server_hostname: str | None = None,
                          check_hostname: bool = True, limit: int = DEFAULT_LIMIT,
                          sock: socket.socket | None = None, **settings: Any) -> tuple[asyncio.StreamReader, SecureStreamWriter]:
    """``asyncio.open_connection`` over a GSKit client session; returns after the handshake.

    Without ``environment``, ``settings`` make a new client environment, hostname checking
    on unless ``check_hostname=False``; it is freed with the connection.  With one,
    ``settings`` are session settings and the environment decides on hostname checking.
    ``server_hostname`` is the name checked, and sent as SNI when it is a host name; an IP
    address is checked against the certificate's addresses, as Python's ``ssl`` does.
    Without it, a ``server_name`` of the settings or the environment is used, else ``host``.
    """
    owned = environment is None
    if owned:
        environment = Environment(check_hostname=check_hostname, **settings)
        settings = {}
    try:
        _initialized(environment, False, settings)  # type: ignore[arg-type]
        name: str | None = server_hostname
        if name is None and not _names_the_server(environment, settings):  # type: ignore[arg-type]
            name = host         # (a server name of the settings or the environment stays)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"the host name must be a str, not {type(name).__name__}")
        if name:
            settings["server_name"] = name
        loop = asyncio.get_running_loop()
        opener = _opener(environment, settings)  # type: ignore[arg-type]
        try:
            _, protocol = await loop.create_connection(lambda: _SecureProtocol(opener, limit), host, port, sock=sock)  # type: ignore[arg-type]  # (asyncio refuses both)
        except OSError as exc:
            if isinstance(exc, GSKError):
                raise
            raise _closed_error(exc) from exc
    finally:
        if owned:
            environment.close()  # type: ignore[union-attr]  # freed when its session closes
    session = AsyncSession(protocol)
    await session.handshake()
    return session.reader, session.writer


async def start_server(client_connected_cb: ClientConnected, host: str | None = None, port: int | None = None,
                       *, environment: Environment, limit: int = DEFAULT_LIMIT,
                       session_settings: dict[str, Any] | None = None, **kwargs: Any) -> asyncio.Server:
    """``asyncio.start_server`` over GSKit server sessions.

    ``client_connected_cb(reader, writer)`` (a function or a coroutine) runs once a
    connection's handshake has succeeded; failed handshakes close the connection (the
    audit records them).  ``kwargs`` go to ``loop.create_server`` (``backlog``, ``sock``...).
    """
    loop = asyncio.get_running_loop()
    opener = _opener(_initialized(environment, True, session_settings), dict(session_settings or {}))
    tasks: set[asyncio.Task[None]] = set()

    def connected(protocol: _SecureProtocol) -> None:
        try:
            result = client_connected_cb(protocol.reader, SecureStreamWriter(protocol))
        except Exception as exc:  # noqa: BLE001 - the loop's exception handler reports it
            _callback_failed(protocol, exc)
            return
        if asyncio.iscoroutine(result):
            task = loop.create_task(result)
            tasks.add(task)
            task.add_done_callback(lambda t: _callback_done(t, protocol, tasks))

    return await loop.create_server(lambda: _SecureProtocol(opener, limit, connected), host, port, **kwargs)


def _callback_done(task: asyncio.Task[None], protocol: _SecureProtocol, tasks: set[asyncio.Task[None]]) -> None:
    tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        _callback_failed(protocol, exc)


def _names_the_server(environment: Environment, settings: dict[str, Any]) -> bool:
    """Do the session settings or the environment already say which server name to ask for?"""
    return bool(settings.get("server_name") or settings.get("server_name_critical")
                or environment.values.get(c.GSK_SSL_EXTN_SERVERNAME_REQUEST)
                or environment.values.get(c.GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST))


def _callback_failed(protocol: _SecureProtocol, exc: BaseException) -> None:
    """As asyncio.start_server: report to the loop's exception handler, abort the connection."""
    protocol._loop.call_exception_handler({  # noqa: SLF001
        "message": "Unhandled exception in client_connected_cb", "exception": exc,
        "transport": protocol.transport})
    protocol.abort()
