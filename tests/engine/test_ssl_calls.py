"""gskit.engine.ssl_calls: OpenSSL's connections and per-record calls, from C on the compiled build."""
from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL
from OpenSSL._util import lib

from gskit.engine import session_engine, ssl_calls
from gskit.io import completion
from gskit.io.locks import Mutex
from tests.conftest import DEADLINE


def _new(ctx: SSL.Context, fd: int, server: bool, app_data: object = None) -> Any:
    return ssl_calls.new_ssl(ssl_calls.context_handle(ctx), fd, server, app_data)


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
    """The errno of the call that failed is what the engine's translation reads (a reset is
    then GSK_ERROR_IO with ECONNRESET, not an orderly close)."""
    a, b = socket.socketpair()
    with a:
        b.close()
        handle = _new(SSL.Context(SSL.TLS_METHOD), a.fileno(), False)
        result = ssl_calls.ssl_do_handshake(handle)     # the ClientHello meets a closed peer
        assert result == -1
        assert ssl_calls.ssl_get_error(handle, result) == SSL._lib.SSL_ERROR_SYSCALL  # noqa: SLF001
        assert ssl_calls.last_errno() == errno.EPIPE


@pytest.mark.skipif(not ssl_calls.NATIVE, reason="the C module's own argument checks")
def test_the_c_module_answers_bad_arguments_with_exceptions() -> None:
    from gskit.engine import _sslcalls

    handle = _new(SSL.Context(SSL.TLS_METHOD), -1, False)
    with pytest.raises(TypeError):
        _sslcalls.ssl_read(handle.address, bytearray(1))   # an address is not a connection
    with pytest.raises(TypeError):
        _sslcalls.ssl_read("connection", bytearray(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _sslcalls.ssl_write(handle)  # type: ignore[call-arg]
    with pytest.raises(OverflowError):
        _sslcalls.readable_now(2**40)
    with pytest.raises(OverflowError):
        _sslcalls.ssl_get_error(handle, 2**40)
    with pytest.raises(BufferError):
        _sslcalls.ssl_read(handle, b"read-only")           # checked before OpenSSL is called
    with pytest.raises(ValueError):
        _sslcalls.new_ssl(0, -1, False, None)              # no context at address 0
    with pytest.raises(TypeError):                         # only gskit's C lock can be taken without the interpreter lock
        _sslcalls.read_waiting(handle, bytearray(1), threading.Lock(), 0, 0, None)
    with pytest.raises(TypeError):
        _sslcalls.read_waiting(handle, bytearray(1), Mutex(), 0, 0, b"short")   # a cookie is 8 bytes


def test_a_failed_close_notify_leaves_no_error_behind() -> None:
    """The alert is a courtesy: its failure must not stay in OpenSSL's per-thread error
    queue, where the next session's failure on this thread would be read as its own."""
    a, b = socket.socketpair()
    with a, b:
        handle = _new(SSL.Context(SSL.TLS_METHOD), a.fileno(), False)
        assert ssl_calls.ssl_shutdown(handle) == -1      # (in init)
        assert lib.ERR_peek_error() == 0


def test_a_connection_on_memory_bios_and_one_on_a_descriptor() -> None:
    """``new_ssl`` makes the SSL object in the state asked for, on a pair of memory BIOs
    (their addresses on the handle) or on the descriptor, with no pyOpenSSL ``Connection``
    (whose per-object set-up hands the interpreter lock over four times)."""
    from OpenSSL._util import ffi

    ctx = SSL.Context(SSL.TLS_METHOD)
    server, client = _new(ctx, -1, True), _new(ctx, -1, False)
    assert server.rbio and server.wbio and server.rbio != server.wbio
    for handle, hello_sent in ((server, False), (client, True)):    # a server waits, a client speaks
        assert ssl_calls.ssl_do_handshake(handle) == -1
        assert ssl_calls.ssl_get_error(handle, -1) == lib.SSL_ERROR_WANT_READ
        written = lib.BIO_read(ffi.cast("BIO *", handle.wbio), ffi.new("char[]", 4096), 4096)
        assert (written > 0) == hello_sent
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        on_socket = _new(ctx, a.fileno(), False)
        assert on_socket.rbio == on_socket.wbio == 0
        assert ssl_calls.ssl_do_handshake(on_socket) == -1         # the ClientHello went to b
        assert b.recv(5)[:1] == b"\x16"                           # a handshake record
    assert not SSL.Connection._reverse_mapping  # noqa: SLF001 - none was made
    assert int(ffi.cast("uintptr_t", ssl_calls.ssl_pointer(on_socket))) == on_socket.address


def test_app_data_is_found_while_its_connection_lives() -> None:
    """What OpenSSL's callbacks look up (``app_data_of``): registered with the connection,
    gone with it (its address may serve another connection next)."""
    import gc

    from OpenSSL._util import ffi

    record = object()
    handle = _new(SSL.Context(SSL.TLS_METHOD), -1, False, record)
    ssl = ssl_calls.ssl_pointer(handle)
    other = _new(SSL.Context(SSL.TLS_METHOD), -1, False)
    assert ssl_calls.app_data_of(ssl) is record
    assert ssl_calls.app_data_of(ssl_calls.ssl_pointer(other)) is None
    address = handle.address
    del handle, ssl
    gc.collect()
    assert ssl_calls.app_data_of(ffi.cast("SSL *", address)) is None


def _connected_pair() -> tuple[Any, Any, socket.socket, socket.socket]:
    """A TLS 1.3 connection over a socket pair: (gskit's client handle, pyOpenSSL's server
    Connection, the client's socket, the server's), the handshake done."""
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    server_ctx.use_certificate(x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()))
    server_ctx.use_privatekey(serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None))  # type: ignore[arg-type]
    a, b = socket.socketpair()
    client = _new(SSL.Context(SSL.TLS_METHOD), a.fileno(), False)
    server = SSL.Connection(server_ctx, b)
    server.set_accept_state()
    peer = threading.Thread(target=server.do_handshake)
    peer.start()
    assert ssl_calls.ssl_do_handshake(client) == 1
    peer.join(DEADLINE)
    a.setblocking(False)
    return client, server, a, b


def _cookie(sock: socket.socket) -> bytes:
    return sock.getsockopt(socket.SOL_SOCKET, getattr(socket, "SO_COOKIE", 57), 8)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket cookies (SO_COOKIE) are Linux's")
def test_read_waiting_reads_waits_and_reads_again_in_one_call() -> None:
    """The data comes while the call waits: it returns it, and another thread's Python ran
    meanwhile (the interpreter lock is free while it waits); nothing comes: it ends at its
    timeout wanting to read; the engine lock is free after either."""
    client, server, a, b = _connected_pair()
    with a, b:
        lock, buffer = Mutex(), bytearray(10)
        sender = threading.Timer(0.3, server.sendall, args=(b"hello",))
        ticks: list[int] = []
        stop = threading.Event()
        counter = threading.Thread(target=lambda: [ticks.append(1) for _ in iter(lambda: stop.wait(0.01), True)])
        sender.start()
        counter.start()
        started = time.monotonic()
        result, error = ssl_calls.read_waiting(client, buffer, lock, a.fileno(), int(DEADLINE * 1000), _cookie(a))
        stop.set()
        counter.join(DEADLINE)
        sender.join(DEADLINE)
        assert (result, bytes(buffer[:result])) == (5, b"hello")
        assert time.monotonic() - started < DEADLINE / 2
        assert len(ticks) >= 5                    # (the tickets were read in the same call)
        assert not lock.locked()
        assert ssl_calls.read_waiting(client, buffer, lock, a.fileno(), 50, _cookie(a)) == (-1, lib.SSL_ERROR_WANT_READ)
        assert not lock.locked()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket cookies (SO_COOKIE) are Linux's")
def test_read_waiting_leaves_another_socket_and_a_closing_session_alone() -> None:
    """Woken with the descriptor naming another socket (the cookie differs), the call reads
    nothing (REPLACED); on a closing handle it starts no read (CLOSING); the data is still
    there for a read of the same socket."""
    client, server, a, b = _connected_pair()
    with a, b:
        lock, buffer = Mutex(), bytearray(10)
        assert ssl_calls.read_waiting(client, buffer, lock, a.fileno(), 0, None) == (-1, lib.SSL_ERROR_WANT_READ)
        sender = threading.Timer(0.2, server.sendall, args=(b"hello",))
        sender.start()
        assert ssl_calls.read_waiting(client, buffer, lock, a.fileno(), int(DEADLINE * 1000), _cookie(b))[1] == ssl_calls.REPLACED
        sender.join(DEADLINE)
        client.closing = True
        assert ssl_calls.read_waiting(client, buffer, lock, a.fileno(), int(DEADLINE * 1000), _cookie(a)) == (0, ssl_calls.CLOSING)
        client.closing = False
        assert ssl_calls.read_waiting(client, buffer, lock, a.fileno(), 0, None)[0] == 5
        assert bytes(buffer[:5]) == b"hello"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket cookies (SO_COOKIE) are Linux's")
def test_describe_socket_reads_what_names_a_descriptor() -> None:
    """Family, type and cookie, as the socket object reports them; OSError for a descriptor
    that is no socket (ENOTSOCK) or none at all (EBADF)."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as tcp6, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        for sock in (tcp6, udp, unix):
            assert ssl_calls.describe_socket(sock.fileno()) == (sock.family, sock.type, _cookie(sock))
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError) as raised:
            ssl_calls.describe_socket(read_end)
        assert raised.value.errno == errno.ENOTSOCK
    finally:
        os.close(read_end)
        os.close(write_end)
    with pytest.raises(OSError) as raised:
        ssl_calls.describe_socket(read_end)                  # closed now
    assert raised.value.errno == errno.EBADF


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="socket cookies (SO_COOKIE) are Linux's")
def test_same_socket_tells_a_reused_descriptor_number_from_the_socket_it_named() -> None:
    first = socket.socket()
    fd, cookie = first.fileno(), _cookie(first)
    assert ssl_calls.same_socket(fd, cookie)
    first.close()
    assert not ssl_calls.same_socket(fd, cookie)             # closed
    with socket.socket() as second:
        assert second.fileno() == fd                          # the number names another socket
        assert not ssl_calls.same_socket(fd, cookie)
        assert ssl_calls.same_socket(fd, _cookie(second))
    if ssl_calls.NATIVE:
        from gskit.engine import _sslcalls

        with pytest.raises(TypeError):
            _sslcalls.same_socket(fd, b"short")               # a cookie is 8 bytes
