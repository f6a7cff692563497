"""The application's callbacks during a handshake, on real TLS pairs: GSK_CLIENT_CERT_CALLBACK
is called when (and only when) the server asks for a certificate; a session's own callback
cannot close it (GSK_INVALID_STATE, where it used to wait for ever on the handshake's
lock); an io_write that would block for ever ends at GSK_HANDSHAKE_TIMEOUT."""
from __future__ import annotations

import contextlib
import gc
import socket
import ssl
import threading
import time
from typing import Any

import pytest

from gskit import *  # noqa: F403
from gskit.session import Session
from tests.conftest import DEADLINE
from tests.engine.test_io_callbacks import callback_client, relay_write, would_block
from tests.engine.test_return_codes import Pair, env_open


def _pair_with(pki, server_type: int, version_switch: int, client_setup: Any,
               client_keyring: Any = None) -> tuple[int, int, Any]:
    """A gskit server of ``server_type`` and a gskit client that ``client_setup(session)``
    configured, on one TLS version: (client rc, server rc, client session)."""
    pair = Pair()
    other = GSK_PROTOCOL_TLSV13 if version_switch == GSK_PROTOCOL_TLSV12 else GSK_PROTOCOL_TLSV12
    server_env = env_open(GSK_SESSION_TYPE=server_type, GSK_KEYRING_FILE=str(pki.server_ec))
    assert gsk_attribute_set_enum(server_env, other, GSK_FALSE) == GSK_OK
    assert gsk_environment_init(server_env) == GSK_OK
    client_env = env_open(GSK_KEYRING_FILE=str(client_keyring or pki.ca_pem))
    assert gsk_environment_init(client_env) == GSK_OK
    rc, server = gsk_secure_soc_open(server_env)
    rc, client = gsk_secure_soc_open(client_env)
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    gsk_attribute_set_numeric_value(client, GSK_FD, pair.client.fileno())
    client_setup(client)
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.setdefault("server", gsk_secure_soc_init(server)))
    thread.start()
    try:
        client_rc = gsk_secure_soc_init(client)
    finally:
        thread.join(DEADLINE)
        gsk_secure_soc_close(server)
        pair.close()
        for env in (server_env, client_env):
            gsk_environment_close(env)
    return client_rc, result["server"], client


VERSIONS = [pytest.param(GSK_PROTOCOL_TLSV12, id="TLS1.2"), pytest.param(GSK_PROTOCOL_TLSV13, id="TLS1.3")]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("keyring", ["client", "none"])
def test_client_cert_callback_is_called_when_the_server_asks(pki, version: int, keyring: str) -> None:
    """A server with client authentication asks for a certificate: the callback is called
    once, with the client's session handle, whether or not the client has one to send."""
    calls: list[Any] = []

    def setup(session: Any) -> None:
        assert gsk_attribute_set_callback(session, GSK_CLIENT_CERT_CALLBACK,
                                          lambda handle: calls.append(handle) or GSK_OK) == GSK_OK

    client_rc, server_rc, client = _pair_with(pki, GSK_SERVER_SESSION_WITH_CL_AUTH, version, setup,
                                              pki.client if keyring == "client" else None)
    assert (client_rc, server_rc) == (GSK_OK, GSK_OK)
    assert calls == [client]
    rc, elements = gsk_attribute_get_cert_info(client, GSK_LOCAL_CERT_INFO)
    assert bool(elements) == (keyring == "client")
    assert gsk_secure_soc_close(client) == GSK_OK


@pytest.mark.parametrize("version", VERSIONS)
def test_client_cert_callback_is_not_called_when_the_server_does_not_ask(pki, version: int) -> None:
    calls: list[Any] = []

    def setup(session: Any) -> None:
        assert gsk_attribute_set_callback(session, GSK_CLIENT_CERT_CALLBACK, calls.append) == GSK_OK

    assert _pair_with(pki, GSK_SERVER_SESSION, version, setup)[:2] == (GSK_OK, GSK_OK)
    assert calls == []


def test_a_client_cert_callback_that_raises_does_not_change_the_handshake(pki) -> None:
    """Its answer is informational (callbacks.py): an exception is dropped too."""
    def setup(session: Any) -> None:
        gsk_attribute_set_callback(session, GSK_CLIENT_CERT_CALLBACK, lambda handle: 1 / 0)

    client_rc, server_rc, client = _pair_with(pki, GSK_SERVER_SESSION_WITH_CL_AUTH, GSK_PROTOCOL_TLSV13,
                                              setup, pki.client)
    assert (client_rc, server_rc) == (GSK_OK, GSK_OK)
    assert gsk_attribute_get_enum(client, GSK_PROTOCOL_USED) == (GSK_OK, GSK_PROTOCOL_USED_TLSV13)
    gsk_secure_soc_close(client)


@pytest.mark.parametrize("answer", [GSK_OK, GSK_ERROR_CERT_VALIDATION])
def test_closing_a_session_from_its_validation_callback_is_refused(pki, answer: int) -> None:
    """gsk_secure_soc_close inside the session's own GSK_CERT_VALIDATION_CALLBACK returns
    GSK_INVALID_STATE and changes nothing: the handshake ends as the callback answers, and
    the session closes after it."""
    closes: list[int] = []
    holder: dict[str, Any] = {}

    def validate(chain: list[bytes], status: int) -> int:
        closes.append(gsk_secure_soc_close(holder["session"]))
        return answer

    def setup(session: Any) -> None:
        holder["session"] = session
        assert gsk_attribute_set_callback(session, GSK_CERT_VALIDATION_CALLBACK, validate) == GSK_OK

    client_rc, server_rc, client = _pair_with(pki, GSK_SERVER_SESSION, GSK_PROTOCOL_TLSV13, setup)
    assert closes == [GSK_INVALID_STATE]
    assert client_rc == answer
    assert gsk_secure_soc_close(client) == GSK_OK


def test_closing_a_session_from_its_io_write_callback_is_refused(pki) -> None:
    """io_write closes its own session: GSK_INVALID_STATE, and the handshake completes."""
    closes: list[int] = []
    holder: dict[str, Any] = {}

    def io_write(fd: int, data: Any, length: int, user_data: str) -> int:
        closes.append(gsk_secure_soc_close(holder["client"]))
        return holder["write"](fd, data, length, user_data)

    with callback_client(pki, io_write=io_write) as (client, pair):
        holder["client"], holder["write"] = client, relay_write(pair.client)
        assert gsk_secure_soc_init(client) == GSK_OK
        assert closes and set(closes) == {GSK_INVALID_STATE}
        assert gsk_secure_soc_write(client, b"after") == (GSK_OK, 5)
        assert gsk_secure_soc_close(client) == GSK_OK


def test_writing_to_a_session_from_its_own_io_callback_is_refused(pki) -> None:
    """gsk_secure_soc_write inside io_write (which holds the session's send turn) answers
    GSK_INVALID_STATE instead of waiting for that turn for ever."""
    answers: list[tuple[int, int]] = []
    holder: dict[str, Any] = {}

    def io_write(fd: int, data: Any, length: int, user_data: str) -> int:
        if holder.get("ready"):
            answers.append(gsk_secure_soc_write(holder["client"], b"again"))
        return holder["write"](fd, data, length, user_data)

    with callback_client(pki, io_write=io_write) as (client, pair):
        holder["client"], holder["write"] = client, relay_write(pair.client)
        assert gsk_secure_soc_init(client) == GSK_OK
        holder["ready"] = True
        assert gsk_secure_soc_write(client, b"data") == (GSK_OK, 4)
        assert answers == [(GSK_INVALID_STATE, 0)]


def test_an_io_write_that_always_would_block_ends_at_the_handshake_timeout(pki) -> None:
    """io_write answers EWOULDBLOCK for ever: gsk_secure_soc_init returns
    GSK_IBMI_ERROR_TIMED_OUT after GSK_HANDSHAKE_TIMEOUT (1 s), as a silent io_read does."""
    def io_write(fd: int, data: Any, length: int, user_data: str) -> int:
        return would_block()

    with callback_client(pki, io_write=io_write) as (client, _):
        assert gsk_attribute_set_numeric_value(client, GSK_HANDSHAKE_TIMEOUT, 1) == GSK_OK
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(gsk_secure_soc_init(client)), daemon=True)
        thread.start()
        thread.join(DEADLINE)           # (before: still calling io_write when the test ended)
        assert result == [GSK_IBMI_ERROR_TIMED_OUT]


@pytest.mark.parametrize("which", ["validation", "client certificate"])
def test_ctrl_c_in_a_callback_reaches_the_program(pki, which: str) -> None:
    """KeyboardInterrupt raised inside a callback that OpenSSL calls comes out of
    gsk_secure_soc_init (before: cffi dropped it, and the handshake failed with 8 as if the
    callback had rejected); the session is then closed as usual."""
    holder: dict[str, Any] = {}

    def interrupt(*args: Any) -> int:
        raise KeyboardInterrupt

    def setup(session: Any) -> None:
        holder["session"] = session
        callback_id = GSK_CERT_VALIDATION_CALLBACK if which == "validation" else GSK_CLIENT_CERT_CALLBACK
        assert gsk_attribute_set_callback(session, callback_id, interrupt) == GSK_OK

    with pytest.raises(KeyboardInterrupt):
        _pair_with(pki, GSK_SERVER_SESSION_WITH_CL_AUTH, GSK_PROTOCOL_TLSV13, setup, pki.client)
    assert gsk_secure_soc_close(holder["session"]) == GSK_OK


def _live_sessions() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Session)


def test_closed_sessions_with_callbacks_are_freed(pki) -> None:
    """The callbacks are kept where OpenSSL's callbacks find them (a registry): they must
    not keep their session alive (before: every session with a validation callback stayed
    for good, closed or not)."""
    def setup(session: Any) -> None:
        assert gsk_attribute_set_callback(session, GSK_CERT_VALIDATION_CALLBACK, lambda chain, status: GSK_OK) == GSK_OK
        assert gsk_attribute_set_callback(session, GSK_CLIENT_CERT_CALLBACK, lambda handle: GSK_OK) == GSK_OK

    gc.collect()
    before = _live_sessions()
    for _ in range(5):
        client_rc, server_rc, client = _pair_with(pki, GSK_SERVER_SESSION_WITH_CL_AUTH, GSK_PROTOCOL_TLSV13,
                                                  setup, pki.client)
        assert (client_rc, server_rc) == (GSK_OK, GSK_OK)
        assert gsk_secure_soc_close(client) == GSK_OK
        del client
    gc.collect()
    assert _live_sessions() == before


def test_exit_in_a_callback_on_a_completion_ports_thread_only_rejects(pki) -> None:
    """SystemExit raised by the validation callback of a startInit that the completion
    engine's own thread runs: the handshake is posted with 8, and that thread lives on
    (before: the exception ended it)."""
    port = QsoCreateIOCompletionPort()
    pair = Pair()
    peer = threading.Thread(target=_python_server, args=(pki, pair.server), daemon=True)
    peer.start()
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem))
    assert gsk_environment_init(env) == GSK_OK
    rc, session = gsk_secure_soc_open(env)
    gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())

    def leave(chain: list[bytes], status: int) -> int:
        raise SystemExit(3)

    assert gsk_attribute_set_callback(session, GSK_CERT_VALIDATION_CALLBACK, leave) == GSK_OK
    try:
        assert gsk_secure_soc_startInit(session, port, Qso_OverlappedIO_t()) == GSK_IBMI_ASYNCHRONOUS_SOC_INIT
        engine_threads = [t for t in threading.enumerate() if t.name == "gskit-completion"]
        done = Qso_OverlappedIO_t()
        assert QsoWaitForIOCompletion(port, done, DEADLINE) == 1
        assert done.returnValue == GSK_ERROR_CERT_VALIDATION
        assert engine_threads and all(t.is_alive() for t in engine_threads)
    finally:
        gsk_secure_soc_close(session)
        QsoDestroyIOCompletionPort(port)
        gsk_environment_close(env)
        pair.close()
        peer.join(DEADLINE)


def _python_server(pki, sock: Any) -> None:
    time.sleep(0.3)                     # (after startInit's first step: the port's thread goes on)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki.server_ec))
    with contextlib.suppress(ssl.SSLError, OSError):
        ctx.wrap_socket(sock, server_side=True).recv(1)


def test_a_validation_callback_using_its_session_during_a_renegotiation_is_refused(pki, openssl_server) -> None:
    """GSK_RESET_CIPHER on TLS 1.2 runs the handshake again, and the validation callback with
    it: a write to its own session from there answers GSK_INVALID_STATE (before: it waited
    for the engine's lock, which its own thread held, for ever)."""
    server = openssl_server("-cert", str(pki.server_ec), "-tls1_2", "-client_renegotiation", "-naccept", "1")
    answers: list[tuple[int, int]] = []
    holder: dict[str, Any] = {}

    def validate(chain: list[bytes], status: int) -> int:
        if holder.get("renegotiating"):
            answers.append(gsk_secure_soc_write(holder["session"], b"from the callback\n"))
        return GSK_OK

    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem))
    assert gsk_environment_init(env) == GSK_OK
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        rc, session = gsk_secure_soc_open(env)
        holder["session"] = session
        gsk_attribute_set_numeric_value(session, GSK_FD, sock.fileno())
        assert gsk_attribute_set_callback(session, GSK_CERT_VALIDATION_CALLBACK, validate) == GSK_OK
        assert gsk_secure_soc_init(session) == GSK_OK
        holder["renegotiating"] = True
        result: list[int] = []
        misc = threading.Thread(target=lambda: result.append(gsk_secure_soc_misc(session, GSK_RESET_CIPHER)),
                                daemon=True)
        misc.start()
        misc.join(DEADLINE)
        assert (result, answers) == ([GSK_OK], [(GSK_INVALID_STATE, 0)])
        assert gsk_secure_soc_close(session) == GSK_OK
    gsk_environment_close(env)
