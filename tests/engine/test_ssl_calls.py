"""gskit.engine.ssl_calls: OpenSSL's per-connection calls, from C on the compiled build."""
from __future__ import annotations

import errno
import socket
import subprocess
import sys

import pytest

from gskit.engine import session_engine, ssl_calls
from gskit.io import completion


def test_the_compiled_build_calls_openssl_through_its_c_module() -> None:
    """A compiled engine without the C module would hand the interpreter lock over on every
    record (docs/performance.md): the build must have made both, or neither."""
    compiled = not session_engine.__file__.endswith(".py")
    assert ssl_calls.NATIVE == compiled
    if compiled:
        assert ssl_calls.ssl_read.__module__ == "gskit.engine._sslcalls"
        assert completion.readable_now.__module__ == "gskit.engine._sslcalls"   # the probe too


def test_the_plain_completion_port_api_does_not_load_openssl() -> None:
    """Qso* without TLS needs no pyOpenSSL: the probe comes from the C module alone."""
    code = "import sys, gskit.compat.qso; sys.exit('OpenSSL' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_failed_call_leaves_its_errno_for_the_failures_text() -> None:
    """The errno of the call that failed is what pyOpenSSL's translation reads (the engine
    hands it over: a reset is then GSK_ERROR_IO with ECONNRESET, not an orderly close)."""
    from OpenSSL import SSL

    a, b = socket.socketpair()
    with a:
        b.close()
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), a)
        conn.set_connect_state()
        handle = ssl_calls.handle(conn._ssl)  # noqa: SLF001
        result = ssl_calls.ssl_do_handshake(handle)     # the ClientHello meets a closed peer
        assert result == -1
        assert ssl_calls.ssl_get_error(handle, result) == SSL._lib.SSL_ERROR_SYSCALL  # noqa: SLF001
        assert ssl_calls.last_errno() == errno.EPIPE


@pytest.mark.skipif(not ssl_calls.NATIVE, reason="the C module's own argument checks")
def test_the_c_module_answers_bad_arguments_with_exceptions() -> None:
    from gskit.engine import _sslcalls

    with pytest.raises(ValueError):
        _sslcalls.ssl_read(0, bytearray(1))                # a null connection is never called
    with pytest.raises(TypeError):
        _sslcalls.ssl_read("connection", bytearray(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _sslcalls.ssl_write(1)  # type: ignore[call-arg]
    with pytest.raises(OverflowError):
        _sslcalls.readable_now(2**40)
    with pytest.raises(OverflowError):
        _sslcalls.ssl_get_error(1, 2**40)
    with pytest.raises(BufferError):
        _sslcalls.ssl_read(1, b"read-only")                # checked before OpenSSL is called


def test_a_failed_close_notify_leaves_no_error_behind() -> None:
    """The alert is a courtesy: its failure must not stay in OpenSSL's per-thread error
    queue, where the next session's failure on this thread would be read as its own."""
    from OpenSSL import SSL
    from OpenSSL._util import lib

    a, b = socket.socketpair()
    with a, b:
        conn = SSL.Connection(SSL.Context(SSL.TLS_METHOD), a)
        conn.set_connect_state()
        assert ssl_calls.ssl_shutdown(ssl_calls.handle(conn._ssl)) == -1  # noqa: SLF001  (in init)
        assert lib.ERR_peek_error() == 0
