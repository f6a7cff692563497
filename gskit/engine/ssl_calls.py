"""OpenSSL's connections and their per-record calls, keeping the interpreter lock for the short ones.

cffi releases the interpreter lock around every OpenSSL call.  When another thread wants
the lock (a completion-port worker, the other end of a connection in the same process), a
call of a microsecond or two then costs two hand-offs, each a sleep and a wake-up in the
kernel.  The C module ``gskit.engine._sslcalls`` calls the same OpenSSL functions
(pyOpenSSL's, through their cffi addresses):

* ``new_ssl`` makes a connection's ``SSL`` object (on a descriptor or a pair of memory
  BIOs, in the client's or the server's state) keeping the lock, and the ``SSLHandle`` it
  returns frees it, keeping the lock too.  A session's setup then hands the lock to no other
  thread before its handshake: with both ends of a connection in one process, every such
  hand-off was a sleep and a wake-up of the other end (docs/performance.md, handshakes).
* ``ssl_read`` and ``ssl_write`` keep the lock for at most one TLS record (``QUICK_LIMIT``),
  and so do ``ssl_get_error``, ``ssl_pending`` and, on memory BIOs, the close_notify alert
  (``ssl_shutdown``, its failure cleared: it is sent once and never waited for).  Larger
  transfers release it, so that two threads' encryption can still run side by side, and so
  do the handshake and the close_notify alert written to a descriptor: that write wakes the
  peer, which, in the same process, then wants the lock (as with cffi; docs/performance.md).
* ``read_waiting`` is a synchronous read: ``SSL_read``, and while it must wait, ``poll`` and
  ``SSL_read`` again, all without the interpreter lock, each ``SSL_read`` under the pump's
  engine lock (taken in C: ``gskit/io/_mutex.h``).  The first read after a TLS 1.3
  handshake processes the server's tickets and then waits for the data: one call, and the
  interpreter lock changes hands once, when it returns.
* ``describe_socket`` and ``same_socket`` read what names a session's socket (its family,
  type and Linux ``SO_COOKIE``) straight from the descriptor, keeping the lock: a session
  that OpenSSL runs on the descriptor then needs no socket object at all.

The engine makes these calls on memory BIOs or on a descriptor gskit holds non-blocking
(``gskit.io.blocking``), where they return at once; only ``ssl_do_handshake`` may block.
(The C module's zero-timeout poll is the completion engine's readiness probe:
``gskit.io.completion``.)

Without the C module (the pure-Python build) the same functions run through cffi, on a
``PurePythonHandle``; without the C lock (``gskit.io.locks``) ``read_waiting`` is Python.
After a failed call, ``last_errno()`` is the ``errno`` it left.
"""
from __future__ import annotations

import _socket
import select
import time
from typing import Any, Callable, Final

from OpenSSL import SSL
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

from gskit.io import locks
from gskit.io.completion import current_identity

QUICK_LIMIT: Final = 16384   # bytes, one TLS record's plaintext: larger transfers release the lock
CLOSING: Final = -1          # read_waiting's error once the session is closing (handle.closing)
REPLACED: Final = -2         # read_waiting's error: the descriptor names another socket now

_BOUND: Final = ("SSL_read", "SSL_write", "SSL_do_handshake", "SSL_get_error", "SSL_pending",
                  "SSL_shutdown", "ERR_clear_error", "SSL_new", "SSL_free", "SSL_set_fd",
                  "SSL_set_accept_state", "SSL_set_connect_state", "BIO_new", "BIO_s_mem", "SSL_set_bio")
_WANT_IO: Final = (_lib.SSL_ERROR_WANT_READ, _lib.SSL_ERROR_WANT_WRITE)


def _load() -> Any:
    """The C module bound to pyOpenSSL's OpenSSL, or None (the pure-Python build)."""
    try:
        from cryptography.hazmat.bindings._rust import _openssl

        from gskit.engine import _sslcalls
    except ImportError:
        return None
    raw_ffi, raw_lib = _openssl.ffi, _openssl.lib   # (pyOpenSSL's lib is a copy: no addresses)
    addresses = [int(raw_ffi.cast("uintptr_t", raw_ffi.addressof(raw_lib, name))) for name in _BOUND]
    _sslcalls.bind(QUICK_LIMIT, locks.Mutex if locks.C_MUTEX else None, *addresses)
    return _sslcalls


_native: Final = _load()
NATIVE: Final = _native is not None
_registry: Final[dict[int, Any]] = {}      # the pure build's app data, by SSL address


def _address(pointer: Any) -> int:
    return int(_ffi.cast("uintptr_t", pointer))


class PurePythonHandle:
    """The pure-Python build's ``SSLHandle``: one ``SSL`` object, freed with the handle."""

    def __init__(self, ctx: Any, fd: int, server: bool, app_data: Any) -> None:
        self.ssl = _ffi.gc(_lib.SSL_new(ctx), _lib.SSL_free)
        self.address = _address(self.ssl)
        self.rbio = self.wbio = 0
        self.closing = False
        if fd >= 0:
            _lib.SSL_set_fd(self.ssl, fd)
        else:
            rbio, wbio = _lib.BIO_new(_lib.BIO_s_mem()), _lib.BIO_new(_lib.BIO_s_mem())
            _lib.SSL_set_bio(self.ssl, rbio, wbio)          # freed with the SSL object
            self.rbio, self.wbio = _address(rbio), _address(wbio)
        (_lib.SSL_set_accept_state if server else _lib.SSL_set_connect_state)(self.ssl)
        self._registered = app_data is not None
        if self._registered:
            _registry[self.address] = app_data

    def __del__(self) -> None:
        if self._registered:
            _registry.pop(self.address, None)


def context_handle(ctx: SSL.Context) -> Any:
    """How ``new_ssl`` names ``ctx``'s ``SSL_CTX``: its address (C module), or its cffi pointer."""
    return _address(ctx._context) if NATIVE else ctx._context  # noqa: SLF001


# new_ssl(context_handle(ctx), fd, server, app_data) -> handle: a connection of ctx on
# descriptor fd (-1: a pair of memory BIOs, at the handle's rbio/wbio addresses), in the
# server's or the client's state; app_data (None: none) is what app_data_of finds for it in
# OpenSSL's callbacks.
new_ssl: Final[Callable[[Any, int, bool, Any], Any]] = _native.new_ssl if NATIVE else PurePythonHandle


def ssl_pointer(handle: Any) -> Any:
    """The handle's ``SSL *`` for cffi calls."""
    return _ffi.cast("SSL *", handle.address) if NATIVE else handle.ssl


def app_data_of(ssl: Any) -> Any:
    """The app data given to ``new_ssl`` for the ``SSL *`` an OpenSSL callback was given."""
    if NATIVE:
        return _native.app_data_of(_address(ssl))
    return _registry.get(_address(ssl))


def _read(handle: Any, buffer: Any) -> int:
    return _lib.SSL_read(handle.ssl, _ffi.from_buffer("char[]", buffer, True), len(buffer))  # (True: writable)


def _write(handle: Any, data: Any) -> int:
    return _lib.SSL_write(handle.ssl, _ffi.from_buffer(data), len(data))


def _do_handshake(handle: Any) -> int:
    return _lib.SSL_do_handshake(handle.ssl)


def _get_error(handle: Any, result: int) -> int:
    return _lib.SSL_get_error(handle.ssl, result)


def _pending(handle: Any) -> int:
    return _lib.SSL_pending(handle.ssl)


def _shutdown(handle: Any) -> int:
    result = _lib.SSL_shutdown(handle.ssl)
    if result < 0:
        _lib.ERR_clear_error()
    return result


def _errno() -> int:
    return _ffi.errno


ssl_read: Final[Callable[[Any, Any], int]] = _native.ssl_read if NATIVE else _read
ssl_write: Final[Callable[[Any, Any], int]] = _native.ssl_write if NATIVE else _write
ssl_do_handshake: Final[Callable[[Any], int]] = _native.ssl_do_handshake if NATIVE else _do_handshake
ssl_get_error: Final[Callable[[Any, int], int]] = _native.ssl_get_error if NATIVE else _get_error
ssl_pending: Final[Callable[[Any], int]] = _native.ssl_pending if NATIVE else _pending
ssl_shutdown: Final[Callable[[Any], int]] = _native.ssl_shutdown if NATIVE else _shutdown
last_errno: Final[Callable[[], int]] = _native.last_errno if NATIVE else _errno


def _locked_read(handle: Any, buffer: Any, lock: Any) -> tuple[int, int]:
    with lock:
        if handle.closing:
            return 0, CLOSING
        result = ssl_read(handle, buffer)
        return result, (ssl_get_error(handle, result) if result <= 0 else 0)


def _describe_socket(fd: int) -> tuple[int, int, bytes | None]:
    sock = _socket.socket(-1, -1, 0, fd)
    try:
        identity = current_identity(sock)
        return sock.family, sock.type, identity if isinstance(identity, bytes) else None
    finally:
        sock.detach()


def _same_socket(fd: int, cookie: bytes) -> bool:
    try:
        return _describe_socket(fd)[2] == cookie
    except OSError:
        return False                # closed, or no socket


# describe_socket(fd) -> (family, type, cookie): what a session checks and keeps of GSK_FD,
# without keeping a socket object: the socket's family and type, and its Linux SO_COOKIE (8
# bytes; None where there is none); OSError when ``fd`` is no socket.  same_socket(fd,
# cookie): does ``fd`` still name that socket (the application may have closed it, and its
# number may name another one now)?
describe_socket: Final[Callable[[int], tuple[int, int, bytes | None]]] = (
    _native.describe_socket if NATIVE else _describe_socket)
same_socket: Final[Callable[[int, bytes], bool]] = _native.same_socket if NATIVE else _same_socket


def _read_waiting(handle: Any, buffer: Any, lock: Any, fd: int, timeout_ms: int,
                  cookie: bytes | None) -> tuple[int, int]:
    result, error = _locked_read(handle, buffer, lock)
    deadline = time.monotonic() + timeout_ms / 1000
    while result <= 0 and error in _WANT_IO and timeout_ms != 0:
        wait = None if timeout_ms < 0 else int((deadline - time.monotonic()) * 1000)
        if wait is not None and wait <= 0:
            break
        poller = select.poll()
        poller.register(fd, select.POLLOUT if error == _lib.SSL_ERROR_WANT_WRITE else select.POLLIN)
        if not poller.poll(wait) or cookie is None:
            break
        if not _same_socket(fd, cookie):
            return result, REPLACED
        result, error = _locked_read(handle, buffer, lock)
    return result, error


# read_waiting(handle, buffer, lock, fd, timeout_ms, cookie) -> (result, error): SSL_read under
# the engine lock; while it wants I/O, for up to timeout_ms (-1: for ever, 0: no wait), wait
# for the descriptor and, if it still names the socket whose SO_COOKIE is ``cookie`` (None:
# the caller looks, no second read), SSL_read again: a record may come in pieces, and a TLS
# 1.3 server's tickets before the data.  error: SSL_get_error's for a result <= 0, CLOSING or
# REPLACED.
read_waiting: Final[Callable[[Any, Any, Any, int, int, bytes | None], tuple[int, int]]] = (
    _native.read_waiting if NATIVE and locks.C_MUTEX else _read_waiting)
