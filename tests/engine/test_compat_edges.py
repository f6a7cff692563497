"""Compat-layer edges a line-by-line port meets: large timeouts, sizes in characters, I/O
callbacks that fail, gskssl.h's validation codes, misc IDs of the wrong type."""
from __future__ import annotations

import errno
import socket
import threading

import pytest

import gskit
from gskit import *  # noqa: F403 - the compat layer, as a ported C program uses it
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import Pair, after_handshake, client_env, server_env


def test_a_handshake_timeout_of_thirty_days_is_a_timeout_not_an_internal_error(pki) -> None:
    """GSK_HANDSHAKE_TIMEOUT up to 2**31-1 s is accepted; poll() counts milliseconds in a C
    int (24.8 days), so a longer limit is waited in slices instead of failing with 3."""
    pair = Pair()
    try:
        rc, session = gsk_secure_soc_open(client_env(pki))
        assert gsk_attribute_set_numeric_value(session, GSK_HANDSHAKE_TIMEOUT, 30 * 86400) == GSK_OK
        assert gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno()) == GSK_OK
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(gsk_secure_soc_init(session)), daemon=True)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not result        # waiting for the ServerHello, not failed
        pair.server.shutdown(socket.SHUT_WR)            # the peer ends its side: so does the handshake
        thread.join(DEADLINE)
        assert result == [GSK_ERROR_SOCKET_CLOSED]
        assert gsk_secure_soc_close(session) == GSK_OK
    finally:
        pair.close()


@pytest.mark.parametrize("value,size,expected", [
    ("sérveur", 0, "sérveur"), ("sérveur", 7, "sérveur"), ("sérveur", 6, "sérveu"),
    ("éa", 1, "é"), ("sérveur".encode(), 8, "sérveur"), ("ab\0cd", 0, "ab"), ("ab\0cd", 5, "ab\0cd"),
])
def test_buffer_size_counts_characters_of_a_str_and_bytes_of_bytes(value, size, expected) -> None:
    rc, env = gsk_environment_open()
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, value, size) == GSK_OK
    assert gsk_attribute_get_buffer(env, GSK_KEYRING_LABEL) == (GSK_OK, expected)
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, value, len(value) + 1) == GSK_ATTRIBUTE_INVALID_LENGTH
    gsk_environment_close(env)


def _callback_handshake(pki, io_read) -> tuple[int, int]:
    """A client whose GSK_IO_CALLBACK reads with ``io_read`` against a gskit server: (rc, errno)."""
    pair = Pair()
    rc, server = gsk_secure_soc_open(server_env(pki, pki.server_ec))
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    server_side = threading.Thread(target=gsk_secure_soc_init, args=(server,), daemon=True)
    server_side.start()
    try:
        rc, client = gsk_secure_soc_open(client_env(pki))
        callbacks = iocallback(io_read, lambda fd, data, length, user: pair.client.send(data[:length]))
        assert gsk_attribute_set_callback(client, GSK_IO_CALLBACK, callbacks) == GSK_OK
        set_errno(0)
        code = gsk_secure_soc_init(client)
        return code, get_errno()
    finally:
        # The server's handshake ends at the client's end of file.  Its descriptor stays open
        # until then: a number closed under it could name the next test's socket.
        pair.client.close()
        server_side.join(DEADLINE)
        assert not server_side.is_alive()
        pair.close()


def test_an_io_callback_failing_with_an_errno_reports_that_errno(pki) -> None:
    """io_read returns -1 after gskit.set_errno(ECONNRESET): 406 with ECONNRESET, not EIO."""
    def io_read(fd, buffer, size, user):
        set_errno(errno.ECONNRESET)
        return -1

    assert _callback_handshake(pki, io_read) == (GSK_ERROR_IO, errno.ECONNRESET)


def test_an_io_callback_that_raises_fails_the_call_not_the_program(pki) -> None:
    """A call never raises: an exception from io_read is a failed read (406, EIO)."""
    def io_read(fd, buffer, size, user):
        raise RuntimeError("application bug")

    assert _callback_handshake(pki, io_read) == (GSK_ERROR_IO, errno.EIO)


def test_gskssl_h_validation_codes_and_httpapi_spelling_are_exported() -> None:
    """A port compares GSK_CERTIFICATE_VALIDATION_CODE with GSKVAL_ERROR_* (gskssl.h)."""
    assert gskit.GSKVAL_ERROR_ROOT_NOT_TRUSTED == 575009
    assert "GSKVAL_ERROR_CERT_EXPIRED" in gskit.__all__
    assert gskit.GSK_SIO_CACHE_CALLBACK == gskit.GSK_SID_CACHE_CALLBACK == 801


@pytest.mark.parametrize("misc_id", [[GSK_RESET_SESSION], float(GSK_RESET_SESSION), str(GSK_RESET_SESSION), True])
def test_misc_id_of_another_type_is_misc_invalid_id(pki, misc_id) -> None:
    assert after_handshake(lambda cs, ss, pair: gsk_secure_soc_misc(cs, misc_id))(pki, None) == GSK_MISC_INVALID_ID
