"""gsk_secure_soc_startInit / startRecv / startSend: every return path, on real TLS peers."""
from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import ssl
import threading
import time
from typing import Callable, Iterator

import pytest

from gskit import *  # noqa: F403
from tests.completion.completion_helpers import wait_one as wait
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import Pair, client_env, server_env


_to_close: list[Callable[[], object]] = []


def closes_after_the_test(close: Callable[[], object]) -> None:
    """``close`` runs when the test ends, passed or failed (newest first)."""
    _to_close.append(close)


@pytest.fixture(autouse=True)
def _close_what_the_test_opened(port: int) -> Iterator[None]:
    yield                               # (torn down before ``port``: sessions close first)
    while _to_close:
        _to_close.pop()()


def new_pair() -> Pair:
    pair = Pair()
    closes_after_the_test(pair.close)
    return pair


class SslPeer:
    """A Python ssl client on the other end of a Pair, driven from the test."""

    def __init__(self, pki, sock: socket.socket) -> None:
        ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
        self.sock = sock
        self.sock.settimeout(DEADLINE)
        self.tls: ssl.SSLSocket | None = None
        self.ctx = ctx
        self.thread = threading.Thread(target=self._handshake, daemon=True)
        self.thread.start()

    def _handshake(self) -> None:
        try:
            self.tls = self.ctx.wrap_socket(self.sock, server_hostname="localhost")
        except (ssl.SSLError, OSError):
            self.tls = None
        else:
            closes_after_the_test(self.tls.close)

    def ready(self) -> ssl.SSLSocket:
        self.thread.join(DEADLINE)
        assert self.tls is not None
        return self.tls


def server_session(pki, pair: Pair):
    env = server_env(pki, pki.server_ec)
    rc, session = gsk_secure_soc_open(env)
    closes_after_the_test(lambda: gsk_secure_soc_close(session))
    assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.server.fileno()) == GSK_OK
    return session


def secure_server(pki, port_number):
    """A server session after an asynchronous handshake with a Python ssl client."""
    pair = new_pair()
    session = server_session(pki, pair)
    peer = SslPeer(pki, pair.client)
    assert gsk_secure_soc_startInit(session, port_number, Qso_OverlappedIO_t(descriptorHandle="init")) \
        == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    done = wait(port_number)
    assert (done.returnValue, done.operationCompleted, done.descriptorHandle) == (GSK_OK, GSKSECURESOCSTARTINIT, "init")
    return session, peer.ready(), pair


def test_start_init_posts_success_with_every_field(pki, port):
    session, tls, pair = secure_server(pki, port)
    assert tls.version() == "TLSv1.3"
    assert gsk_attribute_get_enum(session, GSK_PROTOCOL_USED) == (GSK_OK, GSK_PROTOCOL_USED_TLSV13)


def test_start_init_posts_the_handshake_failure(pki, port):
    """An untrusting client: the posted returnValue is the handshake's rc, nothing else."""
    pair = new_pair()
    session = server_session(pki, pair)

    def reject() -> None:
        ctx = ssl.create_default_context(cafile=str(pki.other_ca_pem))
        try:
            ctx.wrap_socket(pair.client, server_hostname="localhost")
        except (ssl.SSLError, OSError):
            pass
    threading.Thread(target=reject, daemon=True).start()
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t()) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    done = wait(port)
    assert done.operationCompleted == GSKSECURESOCSTARTINIT
    assert done.returnValue in (GSK_ERROR_BAD_CERTIFICATE, GSK_ERROR_SOCKET_CLOSED)
    assert gsk_secure_soc_read(session, bytearray(4))[0] == done.returnValue      # the session keeps it


def test_start_init_handshake_timeout(pki, port):
    pair = new_pair()
    session = server_session(pki, pair)
    assert gsk_attribute_set_numeric_value(session, GSK_HANDSHAKE_TIMEOUT, 1) == GSK_OK
    started = time.monotonic()
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t()) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    done = wait(port)                                     # the client never says hello
    assert (done.returnValue, done.errnoValue) == (GSK_IBMI_ERROR_TIMED_OUT, 0)
    assert 0.9 <= time.monotonic() - started < DEADLINE


def test_a_start_init_refused_at_start_leaves_no_timer_behind(pki, port):
    """GSK_HANDSHAKE_TIMEOUT is the operation's own timer: a startInit that fails inside the
    start call (its socket poisoned by a destroyed port) leaves nothing to fire later."""
    pair = new_pair()
    session = server_session(pki, pair)
    assert gsk_attribute_set_numeric_value(session, GSK_HANDSHAKE_TIMEOUT, 1) == GSK_OK
    doomed = QsoCreateIOCompletionPort()
    assert QsoStartRecv(pair.server, doomed, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) == 1
    assert QsoDestroyIOCompletionPort(doomed) == 0       # later receives on the socket: ECONNABORTED
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t()) == GSK_ERROR_IO
    assert get_errno() == errno.ECONNABORTED
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 2) == -1    # past the 1 s timeout
    assert get_errno() == ETIME


def test_start_init_is_uninterruptible_once_begun(pki, port):
    """A client's startInit has sent its ClientHello: QsoCancelOperation answers -1/EAGAIN."""
    pair = new_pair()
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    closes_after_the_test(lambda: gsk_secure_soc_close(session))
    gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t(operationId=7)) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    assert QsoIsOperationPending(pair.client.fileno(), 7) == 1
    assert QsoCancelOperation(pair.client.fileno(), 7) == -1
    assert get_errno() == errno.EAGAIN
    gsk_secure_soc_close(session)                       # posts it with GSK_IBMI_ERROR_CLOSED
    done = wait(port)
    assert done.returnValue == GSK_IBMI_ERROR_CLOSED


def test_a_server_start_init_is_cancellable_until_the_client_says_hello(pki, port):
    """Negotiation has not begun while a server waits for the ClientHello (§5.10: only a
    startInit whose negotiation has begun is uninterruptible): it is cancelled, posted with
    ECANCELED; once a hello is in and answered, cancelling answers -1/EAGAIN."""
    pair = new_pair()
    session = server_session(pki, pair)
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t(operationId=3)) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    assert QsoCancelOperation(pair.server.fileno(), 3) == 1
    done = wait(port)
    assert (done.operationCompleted, done.returnValue, done.errnoValue) == (
        GSKSECURESOCSTARTINIT, GSK_ERROR_IO, errno.ECANCELED)

    pair = new_pair()
    session = server_session(pki, pair)
    assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t(operationId=4)) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    outgoing = ssl.MemoryBIO()                           # a client that says hello, then nothing
    hello = ssl.create_default_context(cafile=str(pki.ca_pem)).wrap_bio(
        ssl.MemoryBIO(), outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        hello.do_handshake()
    pair.client.sendall(outgoing.read())
    pair.client.settimeout(DEADLINE)
    assert pair.client.recv(5)                           # the server read it and answered
    assert QsoCancelOperation(pair.server.fileno(), 4) == -1
    assert get_errno() == errno.EAGAIN
    gsk_secure_soc_close(session)
    assert wait(port).returnValue == GSK_IBMI_ERROR_CLOSED


@pytest.mark.parametrize("post_flag,expected_rc,posted", [(0, GSK_OK, False), (1, GSK_IBMI_ASYNCHRONOUS_RECV, True)])
def test_start_recv_post_flag_matrix_with_data_ready(pki, port, post_flag, expected_rc, posted):
    session, tls, pair = secure_server(pki, port)
    tls.sendall(b"ready")
    time.sleep(0.2)                                      # the record is there before the start
    buffer = bytearray(16)
    io = Qso_OverlappedIO_t(descriptorHandle=session, buffer=buffer, bufferLength=16, postFlag=post_flag)
    assert gsk_secure_soc_startRecv(session, port, io) == expected_rc
    if posted:
        assert io.postFlagResult == 1
        io = wait(port)
        assert io.operationCompleted == GSKSECURESOCSTARTRECV and io.descriptorHandle is session
    assert (io.returnValue, io.secureDataTransferSize) == (GSK_OK, 5)
    assert bytes(buffer[:5]) == b"ready"


def test_start_recv_waits_and_fill_buffer(pki, port):
    session, tls, pair = secure_server(pki, port)
    buffer = bytearray(10)
    io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=10, fillBuffer=1)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
    assert io.postFlagResult == 0
    tls.sendall(b"01234")
    time.sleep(0.1)
    tls.sendall(b"56789")                                # two records, one completion
    done = wait(port)
    assert (done.returnValue, done.secureDataTransferSize) == (GSK_OK, 10)
    assert bytes(buffer) == b"0123456789"


def test_start_recv_completes_at_once_from_what_openssl_holds(pki, port):
    """A record bigger than the buffer: the rest waits in OpenSSL, not in the socket, and
    each later startRecv (postFlag 0) takes the next part at once."""
    session, tls, pair = secure_server(pki, port)
    record = bytes(range(100))
    tls.sendall(record)
    time.sleep(0.2)
    got = b""
    for _ in range(10):
        buffer = bytearray(10)
        io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=10)
        assert gsk_secure_soc_startRecv(session, port, io) == GSK_OK
        assert io.secureDataTransferSize == 10
        got += bytes(buffer)
    assert got == record
    io = Qso_OverlappedIO_t(buffer=bytearray(10), bufferLength=10)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
    tls.sendall(b"next")
    done = wait(port)
    assert (done.returnValue, done.secureDataTransferSize, bytes(done.buffer[:4])) == (GSK_OK, 4, b"next")


def test_start_recv_after_the_peers_close_notify_completes_at_once(pki, port):
    """The peer sends its data and close_notify, and keeps the connection open (waiting for
    ours): every startRecv after the end answers GSK_OK with 0 bytes at once, as
    gsk_secure_soc_read does (before: the third one waited for the peer's FIN)."""
    session, tls, pair = secure_server(pki, port)
    tls.sendall(b"hello")
    def close_notify_then_wait_for_ours() -> None:
        with contextlib.suppress(ssl.SSLError, OSError):
            tls.unwrap()

    closer = threading.Thread(target=close_notify_then_wait_for_ours, daemon=True)
    closer.start()
    received = []
    for _ in range(3):
        buffer = bytearray(16)
        io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=16)
        if gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV:
            io = wait(port, timeout=5)
        received.append((io.returnValue, bytes(buffer[:io.secureDataTransferSize])))
    assert received == [(GSK_OK, b"hello"), (GSK_OK, b""), (GSK_OK, b"")]
    assert closer.is_alive()                 # the peer's connection was still open all along
    gsk_secure_soc_close(session)
    closer.join(DEADLINE)


def test_start_recv_on_a_failed_session_fails_at_once_again(pki, port):
    """After the peer's garbage broke the session, a later startRecv reports the same
    failure at once (nothing is left to read on the socket)."""
    session, tls, pair = secure_server(pki, port)
    os.write(tls.fileno(), b"\x17\x03\x03\x00\x05hello")     # a record under the TLS layer: undecryptable
    time.sleep(0.2)
    first = Qso_OverlappedIO_t(buffer=bytearray(10), bufferLength=10)
    first_rc = gsk_secure_soc_startRecv(session, port, first)
    assert first_rc not in (GSK_OK, GSK_IBMI_ASYNCHRONOUS_RECV)
    again = Qso_OverlappedIO_t(buffer=bytearray(10), bufferLength=10)
    assert gsk_secure_soc_startRecv(session, port, again) == first_rc


def test_start_send_completes_at_once_and_the_peer_reads_it(pki, port):
    session, tls, pair = secure_server(pki, port)
    io = Qso_OverlappedIO_t(buffer=b"pong", bufferLength=4)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_OK
    assert io.secureDataTransferSize == 4
    assert tls.recv(10) == b"pong"
    io = Qso_OverlappedIO_t(buffer=b"again", bufferLength=5, postFlag=1)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    done = wait(port)
    assert (done.operationCompleted, done.returnValue, done.secureDataTransferSize) == (GSKSECURESOCSTARTSEND, GSK_OK, 5)
    assert tls.recv(10) == b"again"


def test_sync_handshake_then_async_receive(pki, port):
    """The guide's 'asynchronous data receive' server: gsk_secure_soc_init, then startRecv."""
    pair = new_pair()
    session = server_session(pki, pair)
    peer = SslPeer(pki, pair.client)
    assert gsk_secure_soc_init(session) == GSK_OK
    tls = peer.ready()
    buffer = bytearray(8)
    assert gsk_secure_soc_startRecv(session, port, Qso_OverlappedIO_t(buffer=buffer, bufferLength=8)) \
        == GSK_IBMI_ASYNCHRONOUS_RECV
    tls.sendall(b"mixed")
    done = wait(port)
    assert (done.returnValue, bytes(buffer[:done.secureDataTransferSize])) == (GSK_OK, b"mixed")
    assert gsk_secure_soc_write(session, b"sync") == (GSK_OK, 4)    # and back to a blocking call
    assert tls.recv(10) == b"sync"


@pytest.mark.parametrize("how,expected", [
    ("cancel", (GSK_ERROR_IO, ECANCELED)),
    ("session closed", (GSK_IBMI_ERROR_CLOSED, 0)),
    ("timer", (GSK_ERROR_IO, errno.EAGAIN)),
    ("peer closes", (GSK_OK, 0)),
    ("peer resets", (GSK_ERROR_IO, errno.ECONNRESET)),
])
def test_pending_start_recv_ends(pki, port, how, expected):
    session, tls, pair = secure_server(pki, port)
    buffer = bytearray(8)
    io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=8, operationId=5,
                            operationWaitTime=timeval(1, 0) if how == "timer" else None)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
    if how == "cancel":
        assert QsoCancelOperation(pair.server.fileno(), 5) == 1
    elif how == "session closed":
        assert gsk_secure_soc_close(session) == GSK_OK
    elif how == "peer closes":
        tls.shutdown(socket.SHUT_WR)                     # a FIN (closing with our tickets unread would reset)
    elif how == "peer resets":
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        tls.close()
    done = wait(port)
    assert (done.returnValue, done.errnoValue) == expected
    assert done.operationCompleted == GSKSECURESOCSTARTRECV


@pytest.mark.parametrize("how", ["cancel", "session closed"])
def test_a_send_ended_early_gives_its_buffer_back_once_the_session_closes(pki, port, how):
    """A startSend OpenSSL had begun (the peer reads nothing) and that ended early: once the
    session is closed nothing of gskit's holds the application's buffer (it can grow again)."""
    session, tls, pair = secure_server(pki, port)
    buffer = bytearray(8 << 20)
    io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=len(buffer), operationId=7)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    if how == "cancel":
        assert QsoCancelOperation(pair.server.fileno(), 7) == 1
    else:
        assert gsk_secure_soc_close(session) == GSK_OK
    done = wait(port)
    assert done.returnValue == (GSK_ERROR_IO if how == "cancel" else GSK_IBMI_ERROR_CLOSED)
    del io, done
    gsk_secure_soc_close(session)
    buffer.extend(b"!")                                  # BufferError while a view is kept


def test_socket_closed_under_a_pending_start_recv(pki, port):
    session, tls, pair = secure_server(pki, port)
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
    pair.server.close()
    done = wait(port)                                    # noticed by the engine's sweep
    assert (done.returnValue, done.errnoValue) == (GSK_ERROR_SOCKET_CLOSED, ECLOSED)


@pytest.mark.parametrize("call", [gsk_secure_soc_startRecv, gsk_secure_soc_startSend])
def test_start_data_call_refusals(pki, port, call):
    session, tls, pair = secure_server(pki, port)
    assert call(session, port, "not a structure") == GSK_IBMI_ERROR_INVALID_OVERLAPPEDIO_T
    assert call(session, 9999, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) \
        == GSK_IBMI_ERROR_INVALID_IOCOMPLETIONPORT
    assert call(session, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=0)) == GSK_INVALID_BUFFER_SIZE
    assert call(session, port, Qso_OverlappedIO_t(buffer=None, bufferLength=4)) == GSK_IBMI_ERROR_INVALID_POINTER
    assert call(session, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4, postedDescriptor=3)) \
        == GSK_ERROR_IO
    assert get_errno() == errno.EINVAL
    assert call(None, port, Qso_OverlappedIO_t()) == GSK_INVALID_HANDLE
    gsk_secure_soc_close(session)
    assert call(session, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) == GSK_INVALID_HANDLE


def test_start_recv_before_the_handshake_is_invalid_state(pki, port):
    pair = new_pair()
    session = server_session(pki, pair)
    io = Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_INVALID_STATE


def test_start_send_after_close_notify(pki, port):
    session, tls, pair = secure_server(pki, port)
    assert gsk_secure_soc_misc(session, GSK_CLOSE_NOTIFY) == GSK_OK
    io = Qso_OverlappedIO_t(buffer=b"late", bufferLength=4)
    assert gsk_secure_soc_startSend(session, port, io) == GSK_ERROR_SSL_CLOSED


def test_async_session_holds_the_socket_non_blocking_until_close(pki, port):
    """OpenSSL runs on the descriptor for the asynchronous calls: gskit holds it non-blocking
    from startInit and gives it back in blocking mode at gsk_secure_soc_close."""
    session, tls, pair = secure_server(pki, port)
    assert not os.get_blocking(pair.server.fileno())
    gsk_secure_soc_close(session)
    assert os.get_blocking(pair.server.fileno())


@pytest.mark.parametrize("writers", [1, 2])
def test_sync_writes_while_an_async_send_is_half_done_keep_every_buffer_whole(pki, port, writers):
    """A startSend the socket could not take at once stays pending inside OpenSSL; a
    synchronous write from another thread sends the rest of it first, then its own bytes,
    and the startSend is posted as complete.  With two writers of large buffers, each may
    finish the other's.  The peer reads every buffer once, whole, the startSend's first."""
    session, tls, pair = secure_server(pki, port)
    pair.server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big = bytes(range(256)) * 8192                     # 2 MiB: far more than the socket holds
    io = Qso_OverlappedIO_t(descriptorHandle="big", buffer=big, bufferLength=len(big))
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    assert io.postFlagResult == 0
    payloads = [b"tail"] if writers == 1 else [b"A" * 1048576, b"B" * 1048576]
    written: list = []
    threads = [threading.Thread(target=lambda data=data: written.append(gsk_secure_soc_write(session, data)))
               for data in payloads]
    for thread in threads:
        thread.start()
    expected = len(big) + sum(map(len, payloads))
    received = bytearray()
    while len(received) < expected:
        chunk = tls.recv(65536)
        assert chunk, "the peer saw the end of the stream early"
        received += chunk
    for thread in threads:
        thread.join(DEADLINE)
    assert sorted(written) == sorted((GSK_OK, len(data)) for data in payloads)
    done = wait(port)
    assert (done.descriptorHandle, done.returnValue, done.secureDataTransferSize) == ("big", GSK_OK, len(big))
    assert bytes(received[:len(big)]) == big
    assert bytes(received[len(big):]) in (b"".join(payloads), b"".join(reversed(payloads)))
    tls.settimeout(0.5)
    with pytest.raises(TimeoutError):                 # nothing more: no buffer went out twice
        tls.recv(1)


def test_a_half_done_send_whose_timer_expires_still_goes_out_whole(pki, port):
    """TLS cannot take back a record it has begun: a startSend posted with EAGAIN by its
    operationWaitTime is completed by the session's next write (nothing is kept for it)."""
    session, tls, pair = secure_server(pki, port)
    pair.server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big = bytes(range(256)) * 8192
    io = Qso_OverlappedIO_t(descriptorHandle="big", buffer=big, bufferLength=len(big), operationWaitTime=timeval(1, 0))
    assert gsk_secure_soc_startSend(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SEND
    done = wait(port)                                   # the peer reads nothing: the timer ends it
    assert (done.descriptorHandle, done.returnValue, done.errnoValue) == ("big", GSK_ERROR_IO, errno.EAGAIN)
    assert done.secureDataTransferSize == len(big)      # all of it goes (before: 0, which invited a resend)
    written: list = []
    writer = threading.Thread(target=lambda: written.append(gsk_secure_soc_write(session, b"tail")))
    writer.start()
    received = bytearray()
    while len(received) < len(big) + 4:
        chunk = tls.recv(65536)
        assert chunk
        received += chunk
    writer.join(DEADLINE)
    assert written == [(GSK_OK, 4)] and bytes(received) == big + b"tail"
    assert session.pump._done_for_others == {}         # noqa: SLF001 - no buffer kept for the ended operation


def test_start_recv_failing_at_once_sets_errno(pki, port):
    """GSK_ERROR_IO returned by the start call itself (postFlag 0, the peer reset) sets errno,
    as every call failing with GSK_ERROR_IO does."""
    session, tls, pair = secure_server(pki, port)
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    tls.close()
    assert select.select([pair.server], [], [], DEADLINE)[0]   # the reset is there
    set_errno(0)
    io = Qso_OverlappedIO_t(buffer=bytearray(8), bufferLength=8, postFlag=0)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_ERROR_IO
    assert (io.errnoValue, get_errno()) == (errno.ECONNRESET, errno.ECONNRESET)


def test_an_aborted_fill_buffer_receive_reports_what_it_had_received(pki, port):
    """fillBuffer with 10 of 100 bytes come when the timer ends it: the 10 are in the buffer
    and secureDataTransferSize says so (they are gone from the TLS stream)."""
    session, tls, pair = secure_server(pki, port)
    buffer = bytearray(100)
    io = Qso_OverlappedIO_t(buffer=buffer, bufferLength=100, fillBuffer=1, operationWaitTime=1)
    assert gsk_secure_soc_startRecv(session, port, io) == GSK_IBMI_ASYNCHRONOUS_RECV
    tls.sendall(b"0123456789")
    done = wait(port)
    assert (done.returnValue, done.errnoValue, done.secureDataTransferSize) == (GSK_ERROR_IO, errno.EAGAIN, 10)
    assert bytes(buffer[:10]) == b"0123456789"



@pytest.mark.parametrize("call", [gsk_secure_soc_startRecv, gsk_secure_soc_startSend])
def test_start_data_call_on_a_socket_the_application_closed(pki, port, call):
    """After a synchronous handshake the application closes the socket: the first
    asynchronous call answers GSK_ERROR_SOCKET_CLOSED, as gsk_secure_soc_read does."""
    pair = new_pair()
    session = server_session(pki, pair)
    peer = SslPeer(pki, pair.client)
    assert gsk_secure_soc_init(session) == GSK_OK
    peer.ready()
    pair.server.close()
    assert call(session, port, Qso_OverlappedIO_t(buffer=bytearray(4), bufferLength=4)) == GSK_ERROR_SOCKET_CLOSED
    assert gsk_secure_soc_read(session, bytearray(4))[0] == GSK_ERROR_SOCKET_CLOSED


def test_start_init_ignores_operation_wait_time(pki, port):
    """operationWaitTime is "not used" by startInit: even a value the data calls refuse
    (tv_usec not 0) starts the handshake, which completes."""
    pair = new_pair()
    session = server_session(pki, pair)
    peer = SslPeer(pki, pair.client)
    io = Qso_OverlappedIO_t(descriptorHandle="init", operationWaitTime=timeval(0, 500))
    assert gsk_secure_soc_startInit(session, port, io) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    assert (wait(port).returnValue, peer.ready().version()) == (GSK_OK, "TLSv1.3")


# Request fields the start calls refuse: operationWaitTime is 0 or whole seconds >= 1 with
# tv_usec 0 (startInit does not use it); reserved1/reserved2 must be 0.
BAD_REQUESTS = {
    "wait time negative": {"operationWaitTime": -1},
    "tv_sec negative": {"operationWaitTime": timeval(-1, 0)},
    "tv_usec 1000000": {"operationWaitTime": timeval(1, 1_000_000)},
    "tv_usec not 0": {"operationWaitTime": timeval(1, 500)},
    "under 1 s": {"operationWaitTime": 0.5},
    "not a number": {"operationWaitTime": "5"},
    "reserved1": {"reserved1": 1},
    "reserved2": {"reserved2": 1},
    "postedDescriptor": {"postedDescriptor": 5},
    "operationId negative": {"operationId": -1},
    "operationId over 64 bits": {"operationId": 1 << 64},
    "postFlag not an int": {"postFlag": "1"},
    "fillBuffer not an int": {"fillBuffer": 1.0},
}


def nothing_pending_or_posted(port: int, sock: socket.socket, operation_id: int) -> None:
    assert QsoIsOperationPending(sock.fileno(), operation_id) == 0
    assert QsoWaitForIOCompletion(port, Qso_OverlappedIO_t(), 0) == -1
    assert get_errno() == ETIME


@pytest.mark.parametrize("call", [gsk_secure_soc_startRecv, gsk_secure_soc_startSend])
@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_start_data_call_with_a_bad_request_is_einval(pki, port: int, call: Callable[..., int], bad: dict) -> None:
    """GSK_ERROR_IO with errno EINVAL, the structure untouched, nothing pending or posted,
    and no byte taken or sent: the session then moves exactly the next call's bytes."""
    session, tls, pair = secure_server(pki, port)
    set_errno(0)
    io = Qso_OverlappedIO_t(buffer=bytearray(b"lost"), bufferLength=4, **{"operationId": 9, **bad})
    assert call(session, port, io) == GSK_ERROR_IO
    assert get_errno() == errno.EINVAL
    assert (io.returnValue, io.errnoValue, io.postFlagResult, io.secureDataTransferSize) == (0, 0, 0, 0)
    nothing_pending_or_posted(port, pair.server, 9)
    tls.sendall(b"in")
    buffer = bytearray(8)
    assert gsk_secure_soc_read(session, buffer) == (GSK_OK, 2) and bytes(buffer[:2]) == b"in"
    assert gsk_secure_soc_write(session, b"out") == (GSK_OK, 3)
    assert tls.recv(10) == b"out"


@pytest.mark.parametrize("bad", BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_start_init_with_a_bad_request(pki, port: int, bad: dict) -> None:
    """startInit ignores operationWaitTime (the handshake completes); any other bad field
    gives GSK_ERROR_IO/EINVAL before the handshake starts, so a correct startInit then succeeds."""
    pair = new_pair()
    session = server_session(pki, pair)
    peer = SslPeer(pki, pair.client)
    set_errno(0)
    code = gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t(**{"operationId": 9, **bad}))
    if "operationWaitTime" not in bad:
        assert (code, get_errno()) == (GSK_ERROR_IO, errno.EINVAL)
        nothing_pending_or_posted(port, pair.server, 9)
        assert os.get_blocking(pair.server.fileno())           # the socket not taken over either
        code = gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t())
    assert code == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
    assert (wait(port).returnValue, peer.ready().version()) == (GSK_OK, "TLSv1.3")
    assert gsk_secure_soc_write(session, b"secure") == (GSK_OK, 6)
    assert peer.ready().recv(10) == b"secure"
