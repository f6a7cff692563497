"""Every return code the reference names for the gsk_* calls, provoked in its situation.

Each row of SITUATIONS is (id, function(pki, tmp_path) -> rc, expected rc).  Where the
reference is INFERRED or UNRESOLVED the expected value is the choice in docs/behaviour.md.
"""
from __future__ import annotations

import errno
import os
import socket
import ssl
import threading
import time

import pytest

from gskit import *  # noqa: F403
from tests.conftest import DEADLINE


# -- building blocks ---------------------------------------------------------------------------
def env_open(**enums_and_buffers):
    rc, env = gsk_environment_open()
    assert rc == GSK_OK
    for attr, value in enums_and_buffers.items():
        attr_id = globals()[attr]
        setter = gsk_attribute_set_buffer if isinstance(value, str) else gsk_attribute_set_enum
        assert setter(env, attr_id, value) == GSK_OK, attr
    return env


def client_env(pki, **extra):
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem), **extra)
    assert gsk_environment_init(env) == GSK_OK
    return env


def server_env(pki, keyring, **extra):
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_KEYRING_FILE=str(keyring), **extra)
    assert gsk_environment_init(env) == GSK_OK
    return env


class Pair:
    """A connected loopback TCP pair: ``client`` and ``server`` sockets."""

    def __init__(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            self.client = socket.create_connection(listener.getsockname())
            self.server, _ = listener.accept()

    def close(self) -> None:
        self.client.close()
        self.server.close()


def handshake_pair(pki, server_keyring=None, *, client_extra=None, server_extra=None):
    """gskit client and gskit server sessions after the handshake: (client, server, pair, rcs)."""
    pair = Pair()
    cenv = client_env(pki, **(client_extra or {}))
    senv = server_env(pki, server_keyring or pki.server_ec, **(server_extra or {}))
    rc, cs = gsk_secure_soc_open(cenv)
    rc, ss = gsk_secure_soc_open(senv)
    gsk_attribute_set_numeric_value(cs, GSK_FD, pair.client.fileno())
    gsk_attribute_set_numeric_value(ss, GSK_FD, pair.server.fileno())
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("server", gsk_secure_soc_init(ss)))
    t.start()
    result["client"] = gsk_secure_soc_init(cs)
    t.join(DEADLINE)
    return cs, ss, pair, result


def after_handshake(action):
    """A situation on a gskit client/server pair that completed its handshake."""
    def situation(pki, tmp):
        cs, ss, pair, _ = handshake_pair(pki)
        try:
            return action(cs, ss, pair)
        finally:
            pair.close()
    return situation


def client_against(pki, server_fn, *, configure=None, inspect=None, **client_extra):
    """gsk_secure_soc_init of a gskit client against a server function run on the other end.

    ``configure(env, session)`` runs on the environment before init (session None), then on
    the session before the handshake (env None); ``inspect(session)`` runs after it.
    """
    pair = Pair()
    t = threading.Thread(target=server_fn, args=(pair.server,), daemon=True)
    t.start()
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem), **client_extra)
    if configure:
        configure(env, None)
    gsk_environment_init(env)
    rc, session = gsk_secure_soc_open(env)
    gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())
    if configure:
        configure(None, session)
    code = gsk_secure_soc_init(session)
    if inspect:
        inspect(session)
    gsk_secure_soc_close(session)
    pair.close()
    t.join(DEADLINE)
    return code


def ssl_server(keyring, *, seen=None, **options):
    """Python's ssl as the server of one connection (``options``: context attributes, or
    ``ciphers``); what it agreed on goes in the dict ``seen`` if given."""
    def serve(sock):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(keyring))
        for name, value in options.items():
            setattr(ctx, name, value) if name != "ciphers" else ctx.set_ciphers(value)
        try:
            with ctx.wrap_socket(sock, server_side=True) as tls:
                if seen is not None:
                    seen["version"], seen["suite"] = tls.version(), tls.cipher()[0]
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass
    return serve


# -- situations --------------------------------------------------------------------------------
def closed_env(pki, tmp):
    rc, env = gsk_environment_open()
    gsk_environment_close(env)
    return gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_SERVER_SESSION)


def second_close(pki, tmp):
    rc, env = gsk_environment_open()
    gsk_environment_close(env)
    return gsk_environment_close(env)


def session_handle_as_env(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_environment_init(session)


def environment_init_twice(pki, tmp):
    env = client_env(pki)
    return gsk_environment_init(env)


def set_after_init(pki, tmp):
    env = client_env(pki)
    return gsk_attribute_set_numeric_value(env, GSK_HANDSHAKE_TIMEOUT, 5)


def set_buffer_after_init(pki, tmp):
    return gsk_attribute_set_buffer(client_env(pki), GSK_KEYRING_LABEL, "other")


def set_enum_after_init(pki, tmp):
    return gsk_attribute_set_enum(client_env(pki), GSK_PROTOCOL_TLSV13, GSK_FALSE)


def set_callback_after_init(pki, tmp):
    return gsk_attribute_set_callback(client_env(pki), GSK_CERT_VALIDATION_CALLBACK, lambda chain, status: GSK_OK)


def soc_open_before_init(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_secure_soc_open(env)[0]


def soc_open_after_env_close(pki, tmp):
    env = client_env(pki)
    gsk_environment_close(env)
    return gsk_secure_soc_open(env)[0]


def read_before_handshake(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_secure_soc_read(session, bytearray(10))[0]


def misc_before_handshake(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_secure_soc_misc(session, GSK_RESET_CIPHER)


def result_before_handshake(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_attribute_get_buffer(session, GSK_CONNECT_CIPHER_SPEC)[0]


def fd_on_environment(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_numeric_value(env, GSK_FD, 3)


def app_id_on_session(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_attribute_set_buffer(session, GSK_IBMI_APPLICATION_ID, "X")


def numeric_id_as_buffer(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_FD, "3")


def unknown_id(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_enum(env, 4242, GSK_TRUE)


def pkcs11_not_on_ibmi(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_PKCS11_DRIVER_PATH, "/usr/lib/p11.so")


def read_only_set(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_enum(env, GSK_PROTOCOL_USED, GSK_PROTOCOL_USED_TLSV13)


def bad_enum_value(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_PROTOCOL_SSLV2_ON)


def bad_numeric_value(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_numeric_value(env, GSK_V3_SESSION_TIMEOUT, 86401)


def negative_buffer_size(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, "label", -1)


def buffer_size_past_end(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, "label", 99)


def none_as_buffer(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, None)


def malformed_cipher_spec(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_V3_CIPHER_SPECS, "2F3")


def unknown_cipher_name(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_TLSV12_CIPHER_SPECS_EX, "TLS_NOT_A_SUITE")


def only_obsolete_suites(pki, tmp):
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem), GSK_TLSV12_CIPHER_SPECS="0504",
                   GSK_TLSV13_CIPHER_SPECS_EX="TLS_AES_128_GCM_SHA256")
    gsk_attribute_set_enum(env, GSK_PROTOCOL_TLSV13, GSK_FALSE)
    return gsk_environment_init(env)


def no_protocol_left(pki, tmp):
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem))
    gsk_attribute_set_enum(env, GSK_PROTOCOL_TLSV1, GSK_PROTOCOL_TLSV1_OFF)
    return gsk_environment_init(env)


def conflicting_validation(pki, tmp):
    rc, env = gsk_environment_open()
    gsk_attribute_set_enum(env, GSK_SERVER_AUTH_TYPE, GSK_SERVER_AUTH_PASSTHRU)
    callback = validationCallBack(lambda chain, status: GSK_OK, GSK_VALIDATION_REQUIRED)
    return gsk_attribute_set_callback(env, GSK_CERT_VALIDATION_CALLBACK, callback)


def callback_not_callable(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_callback(env, GSK_ENVIRONMENT_CLOSE_CALLBACK, 42)


def too_many_labels(pki, tmp):
    rc, env = gsk_environment_open()
    return gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL_EX, "a,b,c,d,e")


def server_without_certificate(pki, tmp):
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION)
    return gsk_environment_init(env)


def unregistered_application(pki, tmp):
    env = env_open(GSK_IBMI_APPLICATION_ID="NOT_REGISTERED_APP")
    return gsk_environment_init(env)


def missing_keyring(pki, tmp):
    env = env_open(GSK_KEYRING_FILE=str(tmp / "missing.p12"))
    return gsk_environment_init(env)


def fd_not_a_socket(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    read_end, write_end = os.pipe()
    try:
        gsk_attribute_set_numeric_value(session, GSK_FD, read_end)
        return gsk_secure_soc_init(session)
    finally:
        os.close(read_end)
        os.close(write_end)


def fd_is_udp(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        gsk_attribute_set_numeric_value(session, GSK_FD, udp.fileno())
        return gsk_secure_soc_init(session)


def fd_never_set(pki, tmp):
    env = client_env(pki)
    rc, session = gsk_secure_soc_open(env)
    return gsk_secure_soc_init(session)


def untrusted_root(pki, tmp):
    return client_against(pki, ssl_server(pki.other_server))


def expired_certificate(pki, tmp):
    return client_against(pki, ssl_server(pki.expired))


def not_yet_valid(pki, tmp):
    return client_against(pki, ssl_server(pki.not_yet_valid))


def self_signed(pki, tmp):
    return client_against(pki, ssl_server(pki.self_signed))


def bad_signature(pki, tmp):
    """The server's certificate with one bit of its CA's signature flipped."""
    text = pki.server_ec.read_text()
    start = text.index("-----BEGIN CERTIFICATE-----")        # the key before it, the leaf first
    leaf = bytearray(ssl.PEM_cert_to_DER_cert(text[start:text.index("-----END CERTIFICATE-----", start) + 25]))
    leaf[-5] ^= 0x01                                    # inside the ECDSA signature's integers
    forged = tmp / "bad_signature.pem"
    forged.write_text(text[:start] + ssl.DER_cert_to_PEM_cert(bytes(leaf)))
    codes = []
    code = client_against(pki, ssl_server(forged), inspect=lambda session: codes.append(
        gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE)))
    assert codes == [(GSK_OK, 575012)]                  # GSKVAL_ERR_SIGNATURE
    return code


def no_shared_cipher(pki, tmp):
    return client_against(pki, ssl_server(pki.server_rsa, maximum_version=ssl.TLSVersion.TLSv1_2,
                                          ciphers="AES256-SHA256"),
                          GSK_PROTOCOL_TLSV13=GSK_FALSE, GSK_TLSV12_CIPHER_SPECS_EX="TLS_RSA_WITH_AES_128_GCM_SHA256")


def no_shared_protocol(pki, tmp):
    return client_against(pki, ssl_server(pki.server_ec, minimum_version=ssl.TLSVersion.TLSv1_3),
                          GSK_PROTOCOL_TLSV13=GSK_FALSE)


def peer_sends_garbage(pki, tmp):
    def serve(sock):
        sock.recv(4096)
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)
        time.sleep(0.2)
    return client_against(pki, serve)


def peer_closes_during_handshake(pki, tmp):
    def serve(sock):
        sock.recv(4096)
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.2)
    return client_against(pki, serve)


def peer_resets_during_handshake(pki, tmp):
    def serve(sock):
        sock.recv(4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    code = client_against(pki, serve)
    assert code != GSK_ERROR_IO or get_errno() == errno.ECONNRESET
    return code


def handshake_timeout_client(pki, tmp):
    pair = Pair()
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem))
    gsk_attribute_set_numeric_value(env, GSK_HANDSHAKE_TIMEOUT, 1)
    gsk_environment_init(env)
    rc, session = gsk_secure_soc_open(env)
    gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())
    code = gsk_secure_soc_init(session)      # the server never answers
    pair.close()
    return code


def hostname_mismatch_with_critical_sni(pki, tmp):
    def configure(env, session):
        if session:
            gsk_attribute_set_buffer(session, GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST, "www.example.org")
    return client_against(pki, ssl_server(pki.server_ec), configure=configure)


def validation_callback_rejects(pki, tmp):
    seen = []

    def callback(chain, status):
        seen.append((len(chain), status))
        return GSK_ERROR_CERT_VALIDATION

    def configure(env, session):
        if env:
            gsk_attribute_set_callback(env, GSK_CERT_VALIDATION_CALLBACK, validationCallBack(callback))
    code = client_against(pki, ssl_server(pki.server_ec), configure=configure)
    assert seen and seen[0][1] == GSK_OK
    return code


def passthru_accepts_untrusted(pki, tmp):
    validation = []
    code = client_against(
        pki, ssl_server(pki.other_server), GSK_SERVER_AUTH_TYPE=GSK_SERVER_AUTH_PASSTHRU,
        inspect=lambda session: validation.append(
            gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE)))
    assert validation == [(GSK_OK, 575009)]          # GSKVAL_ERROR_ROOT_NOT_TRUSTED
    return code


read_zero_size = after_handshake(lambda cs, ss, pair: gsk_secure_soc_read(cs, bytearray(10), 0)[0])


write_empty = after_handshake(lambda cs, ss, pair: gsk_secure_soc_write(cs, b"")[0])


read_into_bytes = after_handshake(lambda cs, ss, pair: gsk_secure_soc_read(cs, b"immutable")[0])


def write_after_close_notify(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    try:
        assert gsk_secure_soc_misc(cs, GSK_CLOSE_NOTIFY) == GSK_OK
        buffer = bytearray(10)
        assert gsk_secure_soc_read(ss, buffer) == (GSK_OK, 0)     # the peer sees the close
        return gsk_secure_soc_write(cs, b"late")[0]
    finally:
        pair.close()


misc_unknown_id = after_handshake(lambda cs, ss, pair: gsk_secure_soc_misc(cs, 104))


reset_cipher_on_tls13 = after_handshake(lambda cs, ss, pair: gsk_secure_soc_misc(cs, GSK_RESET_CIPHER))


def read_timeout(pki, tmp):
    pair = Pair()
    env = client_env(pki)
    senv = server_env(pki, pki.server_ec)
    rc, client = gsk_secure_soc_open(env)
    rc, server = gsk_secure_soc_open(senv)
    gsk_attribute_set_numeric_value(client, GSK_FD, pair.client.fileno())
    gsk_attribute_set_numeric_value(client, GSK_OS400_READ_TIMEOUT, 200)
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    t = threading.Thread(target=gsk_secure_soc_init, args=(server,))
    t.start()
    assert gsk_secure_soc_init(client) == GSK_OK
    t.join(DEADLINE)
    code = gsk_secure_soc_read(client, bytearray(10))[0]
    assert gsk_secure_soc_write(server, b"late") == (GSK_OK, 4)
    buffer = bytearray(10)
    assert gsk_secure_soc_read(client, buffer) == (GSK_OK, 4)    # still usable after 6011
    pair.close()
    return code


def misc_after_close_notify(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    try:
        assert gsk_secure_soc_misc(cs, GSK_CLOSE_NOTIFY) == GSK_OK
        return gsk_secure_soc_misc(cs, GSK_CLOSE_NOTIFY)
    finally:
        pair.close()


def soc_init_twice(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    try:
        return gsk_secure_soc_init(cs)
    finally:
        pair.close()


def read_would_block(pki, tmp):
    """A socket that is non-blocking when the session starts: reads answer 502, not wait."""
    pair = Pair()
    pair.client.setblocking(False)
    cenv, senv = client_env(pki), server_env(pki, pki.server_ec)
    rc, client = gsk_secure_soc_open(cenv)
    rc, server = gsk_secure_soc_open(senv)
    gsk_attribute_set_numeric_value(client, GSK_FD, pair.client.fileno())
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    t = threading.Thread(target=gsk_secure_soc_init, args=(server,))
    t.start()
    assert gsk_secure_soc_init(client) == GSK_OK
    t.join(DEADLINE)
    try:
        return gsk_secure_soc_read(client, bytearray(10))[0]
    finally:
        pair.close()


def test_a_write_a_non_blocking_socket_takes_in_part_reports_the_part(pki):
    """IBM: GSK_OK with the count actually written, GSK_WOULD_BLOCK only if nothing was;
    the 4 MiB go in 256 KiB engine writes, and the socket fills before the last."""
    pair = Pair()
    pair.client.setblocking(False)
    rc, client = gsk_secure_soc_open(client_env(pki))
    rc, server = gsk_secure_soc_open(server_env(pki, pki.server_ec))
    gsk_attribute_set_numeric_value(client, GSK_FD, pair.client.fileno())
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    t = threading.Thread(target=gsk_secure_soc_init, args=(server,))
    t.start()
    try:
        assert gsk_secure_soc_init(client) == GSK_OK
        t.join(DEADLINE)
        code, count = gsk_secure_soc_write(client, bytes(4 << 20))
        assert code == GSK_OK and 0 < count < 4 << 20
    finally:
        gsk_secure_soc_close(client)
        gsk_secure_soc_close(server)
        pair.close()


def read_after_socket_closed(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    pair.client.close()
    try:
        return gsk_secure_soc_read(cs, bytearray(10))[0]
    finally:
        pair.close()


def read_closed_by_other_thread(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    timer = threading.Timer(0.3, gsk_secure_soc_close, args=(cs,))
    timer.start()
    try:
        return gsk_secure_soc_read(cs, bytearray(10))[0]
    finally:
        timer.join()
        pair.close()


def write_closed_by_other_thread(pki, tmp):
    """A write the peer does not read blocks (the socket's buffers full): a close from
    another thread ends it with 6004."""
    cs, ss, pair, _ = handshake_pair(pki)
    timer = threading.Timer(0.3, gsk_secure_soc_close, args=(cs,))
    timer.start()
    try:
        return gsk_secure_soc_write(cs, bytes(64 << 20))[0]
    finally:
        timer.join()
        pair.close()


def peer_reset_during_read(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    pair.server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    pair.server.close()
    try:
        code = gsk_secure_soc_read(cs, bytearray(10))[0]
        assert get_errno() == errno.ECONNRESET
        return code
    finally:
        pair.close()


def peer_close_is_amt_zero(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    gsk_secure_soc_close(ss)
    try:
        rc, amount = gsk_secure_soc_read(cs, bytearray(10))
        assert amount == 0
        return rc
    finally:
        pair.close()


def session_after_close(pki, tmp):
    cs, ss, pair, _ = handshake_pair(pki)
    gsk_secure_soc_close(cs)
    pair.close()
    return gsk_secure_soc_write(cs, b"x")[0]


cert_info_bad_id = after_handshake(lambda cs, ss, pair: gsk_attribute_get_cert_info(cs, 702)[0])


def partner_cert_on_environment(pki, tmp):
    env = client_env(pki)
    return gsk_attribute_get_cert_info(env, GSK_PARTNER_CERT_INFO)[0]


def ldap_required_at_init(pki, tmp):
    env = env_open(GSK_KEYRING_FILE=str(pki.ca_pem), GSK_LDAP_SERVER="ldap.example.org")
    gsk_attribute_set_enum(env, GSK_LDAP_REQUIRED_AT_INIT, GSK_INIT_CRL_LDAP_REQUIRED_ON)
    return gsk_environment_init(env)


def successful_pair(pki, tmp):
    cs, ss, pair, result = handshake_pair(pki)
    pair.close()
    assert result["server"] == GSK_OK
    return result["client"]


SITUATIONS = [
    ("ok", successful_pair, GSK_OK),
    ("closed handle", closed_env, GSK_INVALID_HANDLE),
    ("second close", second_close, GSK_INVALID_HANDLE),
    ("session given as environment", session_handle_as_env, GSK_INVALID_HANDLE),
    ("environment init twice", environment_init_twice, GSK_INVALID_STATE),
    ("set after environment init", set_after_init, GSK_INVALID_STATE),
    ("set_buffer after environment init", set_buffer_after_init, GSK_INVALID_STATE),
    ("set_enum after environment init", set_enum_after_init, GSK_INVALID_STATE),
    ("set_callback after environment init", set_callback_after_init, GSK_INVALID_STATE),
    ("session set_buffer after soc_init", after_handshake(
        lambda cs, ss, pair: gsk_attribute_set_buffer(cs, GSK_SSL_EXTN_SERVERNAME_REQUEST, "other")), GSK_INVALID_STATE),
    ("session set_enum after soc_init", after_handshake(
        lambda cs, ss, pair: gsk_attribute_set_enum(ss, GSK_CLIENT_AUTH_TYPE, GSK_CLIENT_AUTH_PASSTHRU)), GSK_INVALID_STATE),
    ("soc_open before environment init", soc_open_before_init, GSK_IBMI_ERROR_NO_INITIALIZE),
    ("soc_open on a closed environment", soc_open_after_env_close, GSK_INVALID_HANDLE),
    ("read before the handshake", read_before_handshake, GSK_INVALID_STATE),
    ("misc before the handshake", misc_before_handshake, GSK_INVALID_STATE),
    ("handshake result before the handshake", result_before_handshake, GSK_INVALID_STATE),
    ("session-only ID on an environment", fd_on_environment, GSK_ATTRIBUTE_INVALID_ID),
    ("environment-only ID on a session", app_id_on_session, GSK_ATTRIBUTE_INVALID_ID),
    ("numeric ID given to set_buffer", numeric_id_as_buffer, GSK_ATTRIBUTE_INVALID_ID),
    ("unknown ID", unknown_id, GSK_ATTRIBUTE_INVALID_ID),
    ("PKCS#11 is not an IBM i attribute", pkcs11_not_on_ibmi, GSK_ATTRIBUTE_INVALID_ID),
    ("read-only ID set", read_only_set, GSK_ATTRIBUTE_INVALID_ID),
    ("enum value of another ID", bad_enum_value, GSK_ATTRIBUTE_INVALID_ENUMERATION),
    ("numeric out of range", bad_numeric_value, GSK_ATTRIBUTE_INVALID_NUMERIC_VALUE),
    ("negative bufSize", negative_buffer_size, GSK_ATTRIBUTE_INVALID_LENGTH),
    ("bufSize past the buffer", buffer_size_past_end, GSK_ATTRIBUTE_INVALID_LENGTH),
    ("None as buffer", none_as_buffer, GSK_IBMI_ERROR_INVALID_POINTER),
    ("odd-length V3 spec", malformed_cipher_spec, GSK_INVALID_PARAMETER),
    ("unknown _EX suite name", unknown_cipher_name, GSK_INVALID_PARAMETER),
    ("only suites OpenSSL cannot do", only_obsolete_suites, GSK_ERROR_BAD_V3_CIPHER),
    ("every protocol off", no_protocol_left, GSK_ERROR_NO_CIPHERS),
    ("PASSTHRU with VALIDATION_REQUIRED", conflicting_validation, GSK_CONFLICTING_VALIDATION_SETTING),
    ("callback not callable", callback_not_callable, GSK_IBMI_ERROR_INVALID_POINTER),
    ("five labels", too_many_labels, GSK_INVALID_PARAMETER),
    ("server with no certificate", server_without_certificate, GSK_ERROR_NO_CERTIFICATE),
    ("application ID not registered", unregistered_application, GSK_IBMI_ERROR_NOT_REGISTERED),
    ("keyring file missing", missing_keyring, GSK_KEYRING_OPEN_ERROR),
    ("LDAP required at init", ldap_required_at_init, GSK_ERROR_LDAP_NOT_AVAILABLE),
    ("GSK_FD not a socket", fd_not_a_socket, GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR),
    ("GSK_FD a UDP socket", fd_is_udp, GSK_IBMI_ERROR_NOT_TCP),
    ("GSK_FD never set", fd_never_set, GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR),
    ("untrusted root", untrusted_root, GSK_IBMI_ERROR_NOT_TRUSTED_ROOT),
    ("expired server certificate", expired_certificate, GSK_KEYFILE_CERT_EXPIRED),
    ("server certificate not yet valid", not_yet_valid, GSK_ERROR_BAD_DATE),
    ("self-signed server certificate", self_signed, GSK_ERROR_SELF_SIGNED),
    ("server certificate's signature does not verify", bad_signature, GSK_ERROR_BAD_CERT),
    ("no shared cipher", no_shared_cipher, GSK_ERROR_NO_CIPHERS),
    ("no shared protocol", no_shared_protocol, GSK_ERROR_NO_CIPHERS),
    ("peer sends garbage", peer_sends_garbage, GSK_ERROR_BAD_MESSAGE),
    ("peer closes during the handshake", peer_closes_during_handshake, GSK_ERROR_SOCKET_CLOSED),
    ("peer resets during the handshake", peer_resets_during_handshake, GSK_ERROR_IO),
    ("handshake timeout", handshake_timeout_client, GSK_IBMI_ERROR_TIMED_OUT),
    ("critical SNI name not in the certificate", hostname_mismatch_with_critical_sni, GSK_ERROR_CERT_VALIDATION),
    ("validation callback rejects", validation_callback_rejects, GSK_ERROR_CERT_VALIDATION),
    ("PASSTHRU accepts an untrusted server", passthru_accepts_untrusted, GSK_OK),
    ("read size 0", read_zero_size, GSK_INVALID_BUFFER_SIZE),
    ("write of nothing", write_empty, GSK_INVALID_BUFFER_SIZE),
    ("read into read-only bytes", read_into_bytes, GSK_IBMI_ERROR_INVALID_POINTER),
    ("write after GSK_CLOSE_NOTIFY", write_after_close_notify, GSK_ERROR_SSL_CLOSED),
    ("misc after GSK_CLOSE_NOTIFY", misc_after_close_notify, GSK_ERROR_SSL_CLOSED),
    ("gsk_secure_soc_init a second time", soc_init_twice, GSK_INVALID_STATE),
    ("misc with an unknown ID", misc_unknown_id, GSK_MISC_INVALID_ID),
    ("GSK_RESET_CIPHER on TLS 1.3", reset_cipher_on_tls13, GSK_ERROR_UNSUPPORTED),
    ("read timeout", read_timeout, GSK_IBMI_ERROR_TIMED_OUT),
    ("read on a non-blocking socket", read_would_block, GSK_WOULD_BLOCK),
    ("socket closed under the session", read_after_socket_closed, GSK_ERROR_SOCKET_CLOSED),
    ("session closed by another thread", read_closed_by_other_thread, GSK_IBMI_ERROR_CLOSED),
    ("session closed by another thread during a write", write_closed_by_other_thread, GSK_IBMI_ERROR_CLOSED),
    ("peer reset during a read", peer_reset_during_read, GSK_ERROR_IO),
    ("peer's orderly close", peer_close_is_amt_zero, GSK_OK),
    ("call on a closed session", session_after_close, GSK_INVALID_HANDLE),
    ("cert info with a bad ID", cert_info_bad_id, GSK_ATTRIBUTE_INVALID_ID),
    ("partner cert info on an environment", partner_cert_on_environment, GSK_ATTRIBUTE_INVALID_ID),
]


@pytest.mark.parametrize("name,situation,expected", SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_return_code(pki, tmp_path, name, situation, expected):
    assert situation(pki, tmp_path) == expected


@pytest.mark.parametrize("callback_first", [True, False], ids=["callback-first", "passthru-first"])
@pytest.mark.parametrize("callback", [
    lambda chain, status: GSK_OK,
    validationCallBack(lambda chain, status: GSK_OK),
], ids=["bare-callable", "structure-defaults"])
def test_passthru_and_a_validating_callback_conflict_in_either_order(callback_first, callback):
    """A bare callable is the structure with its defaults (validation required): with a
    PASSTHRU authentication type it is refused whichever of the two is set second."""
    rc, env = gsk_environment_open()
    set_callback = lambda: gsk_attribute_set_callback(env, GSK_CERT_VALIDATION_CALLBACK, callback)  # noqa: E731
    set_passthru = lambda: gsk_attribute_set_enum(env, GSK_SERVER_AUTH_TYPE, GSK_SERVER_AUTH_PASSTHRU)  # noqa: E731
    first, second = (set_callback, set_passthru) if callback_first else (set_passthru, set_callback)
    assert first() == GSK_OK
    assert second() == GSK_CONFLICTING_VALIDATION_SETTING
    gsk_environment_close(env)


def test_results_after_an_init_that_failed_before_any_handshake_are_invalid_state(pki):
    """No GSK_FD: gsk_secure_soc_init fails (6016) with no TLS engine; asking for the
    handshake's results then answers GSK_INVALID_STATE (it raised AssertionError)."""
    rc, session = gsk_secure_soc_open(client_env(pki))
    try:
        assert gsk_secure_soc_init(session) == GSK_IBMI_ERROR_BAD_SOCKET_DESCRIPTOR
        assert gsk_attribute_get_enum(session, GSK_PROTOCOL_USED) == (GSK_INVALID_STATE, None)
        assert gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE) == (GSK_INVALID_STATE, None)
        assert gsk_attribute_get_buffer(session, GSK_CONNECT_CIPHER_SPEC) == (GSK_INVALID_STATE, None)
        assert gsk_attribute_get_cert_info(session, GSK_PARTNER_CERT_INFO) == (GSK_INVALID_STATE, None)
    finally:
        gsk_secure_soc_close(session)
