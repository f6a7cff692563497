"""OpenSSL's per-connection calls, keeping the interpreter lock for the short ones.

cffi releases the interpreter lock around every OpenSSL call.  When another thread wants
the lock (a completion-port worker, the other end of a connection in the same process), a
call of a microsecond or two then costs two hand-offs, each a sleep and a wake-up in the
kernel.  The C module ``gskit.engine._sslcalls`` calls the same OpenSSL functions
(pyOpenSSL's, through their cffi addresses) and keeps the lock for reads and writes of at
most one TLS record (``QUICK_LIMIT``), for ``SSL_get_error``, ``SSL_pending`` and the
close_notify alert (``SSL_shutdown``, its failure cleared: it is sent once and never
waited for).  Larger transfers release it, so that two threads' encryption can still run
side by side, and so does the handshake.  (The C module's zero-timeout poll is the
completion engine's readiness probe: ``gskit.io.completion``.)  Measured on the TLS echo
(``bench/completion_port.py``, four workers): docs/performance.md, fifteenth run.

The engine makes these calls on memory BIOs or on a descriptor gskit holds non-blocking
(``gskit.io.blocking``), where they return at once; only ``ssl_do_handshake`` may block.

Without the C module (the pure-Python build) the same functions run through cffi.  A
connection is named by ``handle(ssl)``: its address for the C module, the cffi pointer
otherwise.  After a failed call, ``last_errno()`` is the ``errno`` it left (pyOpenSSL's
error translation reads it as ``ffi.errno``).
"""
from __future__ import annotations

from typing import Any, Callable, Final

from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

QUICK_LIMIT: Final = 16384   # bytes, one TLS record's plaintext: larger transfers release the lock

_BOUND: Final = ("SSL_read", "SSL_write", "SSL_do_handshake", "SSL_get_error", "SSL_pending",
                  "SSL_shutdown", "ERR_clear_error")


def _load() -> Any:
    """The C module bound to pyOpenSSL's OpenSSL, or None (the pure-Python build)."""
    try:
        from cryptography.hazmat.bindings._rust import _openssl

        from gskit.engine import _sslcalls
    except ImportError:
        return None
    raw_ffi, raw_lib = _openssl.ffi, _openssl.lib   # (pyOpenSSL's lib is a copy: no addresses)
    addresses = [int(raw_ffi.cast("uintptr_t", raw_ffi.addressof(raw_lib, name))) for name in _BOUND]
    _sslcalls.bind(QUICK_LIMIT, *addresses)
    return _sslcalls


_native: Final = _load()
NATIVE: Final = _native is not None


def handle(ssl: Any) -> Any:
    """How the functions below name the connection whose ``SSL *`` is ``ssl``."""
    return int(_ffi.cast("uintptr_t", ssl)) if NATIVE else ssl


def _read(ssl: Any, buffer: Any) -> int:
    return _lib.SSL_read(ssl, _ffi.from_buffer("char[]", buffer, True), len(buffer))  # (True: writable)


def _write(ssl: Any, data: Any) -> int:
    return _lib.SSL_write(ssl, _ffi.from_buffer(data), len(data))


def _shutdown(ssl: Any) -> int:
    result = _lib.SSL_shutdown(ssl)
    if result < 0:
        _lib.ERR_clear_error()
    return result


def _errno() -> int:
    return _ffi.errno


ssl_read: Final[Callable[[Any, Any], int]] = _native.ssl_read if NATIVE else _read
ssl_write: Final[Callable[[Any, Any], int]] = _native.ssl_write if NATIVE else _write
ssl_do_handshake: Final[Callable[[Any], int]] = _native.ssl_do_handshake if NATIVE else _lib.SSL_do_handshake
ssl_get_error: Final[Callable[[Any, int], int]] = _native.ssl_get_error if NATIVE else _lib.SSL_get_error
ssl_pending: Final[Callable[[Any], int]] = _native.ssl_pending if NATIVE else _lib.SSL_pending
ssl_shutdown: Final[Callable[[Any], int]] = _native.ssl_shutdown if NATIVE else _shutdown
last_errno: Final[Callable[[], int]] = _native.last_errno if NATIVE else _errno
