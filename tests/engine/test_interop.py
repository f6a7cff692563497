"""gskit against real peers: openssl s_server/s_client and Python's ssl, TLS 1.2 and 1.3."""
from __future__ import annotations

import hashlib
import os
import socket
import ssl
import subprocess

import pytest

from gskit import *  # noqa: F403 - the compat layer, as a ported C program uses it
from tests.conftest import DEADLINE, connect

TLS13 = {"tlsv13": True, "tlsv12": False}
TLS12 = {"tlsv13": False, "tlsv12": True}


def compat_client(port: int, ca_file: str, *, data: bytes = b"ping\n", settings: dict | None = None,
                  expect: int = GSK_OK) -> dict:
    """A client written the way a C program is: returns what it negotiated and read."""
    rc, env = gsk_environment_open()
    assert rc == GSK_OK
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, ca_file) == GSK_OK
    for attr, value in (settings or {}).items():
        setter = gsk_attribute_set_buffer if isinstance(value, str) else gsk_attribute_set_enum
        assert setter(env, attr, value) == GSK_OK, attr
    assert gsk_environment_init(env) == GSK_OK
    sock = connect(port)
    try:
        rc, session = gsk_secure_soc_open(env)
        assert gsk_attribute_set_numeric_value(session, GSK_FD, sock.fileno()) == GSK_OK
        assert gsk_secure_soc_init(session) == expect
        result: dict = {}
        if expect == GSK_OK:
            assert gsk_secure_soc_write(session, data) == (GSK_OK, len(data))
            received = b""
            buffer = bytearray(4096)
            while len(received) < len(data):
                rc, n = gsk_secure_soc_read(session, buffer)
                assert rc == GSK_OK
                if n == 0:
                    break
                received += bytes(buffer[:n])
            result = {
                "data": received,
                "cipher": gsk_attribute_get_buffer(session, GSK_CONNECT_CIPHER_SPEC_EX)[1],
                "protocol": gsk_attribute_get_enum(session, GSK_PROTOCOL_USED)[1],
                "sid_first": gsk_attribute_get_enum(session, GSK_SID_FIRST)[1],
            }
        assert gsk_secure_soc_close(session) == GSK_OK
        assert gsk_environment_close(env) == GSK_OK
        return result
    finally:
        sock.close()


@pytest.mark.parametrize("key", ["server_rsa", "server_ec"])
@pytest.mark.parametrize("version,flag,used,suite", [
    ("1.3", "-tls1_3", GSK_PROTOCOL_USED_TLSV13, "TLS_AES_128_GCM_SHA256"),
    ("1.2", "-tls1_2", GSK_PROTOCOL_USED_TLSV12, None),
])
def test_client_against_openssl_s_server(pki, openssl_server, key, version, flag, used, suite):
    server = openssl_server("-cert", str(getattr(pki, key)), flag, "-rev", "-naccept", "1")
    result = compat_client(server.port, str(pki.ca_pem), data=b"hello gskit\n")
    assert result["data"] == b"tiksg olleh\n"
    assert result["protocol"] == used
    if suite:
        assert result["cipher"] == suite
    else:
        auth = "RSA" if key == "server_rsa" else "ECDSA"
        assert result["cipher"] == f"TLS_ECDHE_{auth}_WITH_AES_128_GCM_SHA256"


@pytest.mark.parametrize("key", ["server_rsa", "server_ec"])
@pytest.mark.parametrize("version,flag,expected", [
    ("1.3", "-tls1_3", "TLSv1.3"), ("1.2", "-tls1_2", "TLSv1.2"),
])
def test_server_against_openssl_s_client(pki, listener, run_peer, key, version, flag, expected):
    port = listener.getsockname()[1]

    def serve() -> tuple:
        with Environment(session_type="server", keyring_file=str(getattr(pki, key))) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                line = session.recv(100)
                session.sendall(line.upper())
                return session.protocol, session.cipher, line

    peer = run_peer(serve)
    client = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(pki.ca_pem),
         "-verify_return_error", "-servername", "localhost", flag, "-ign_eof"],
        input="from s_client\n", capture_output=True, text=True, timeout=DEADLINE)
    protocol, cipher, line = peer.result()
    assert line == b"from s_client\n"
    assert "FROM S_CLIENT" in client.stdout
    assert protocol == expected
    assert f"Protocol  : {expected}" in client.stdout or f"Protocol: {expected}" in client.stdout or expected in client.stdout
    assert cipher.startswith("TLS_")


def python_ssl_server(listener, pki, key, *, version=None, request_cert=False, payload_size=0, ciphers=None):
    """An ssl-module echo server for one connection; returns what it saw."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(getattr(pki, key)))
    if ciphers:
        ctx.set_ciphers(ciphers)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    if request_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(pki.ca_pem))

    def serve() -> dict:
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls:
            digest = hashlib.sha256()
            remaining = payload_size or 1
            while remaining > 0:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
                if not payload_size:
                    tls.sendall(chunk[::-1])
            if payload_size:
                tls.sendall(digest.digest())
            peer = tls.getpeercert()
            return {"version": tls.version(), "cipher": tls.cipher()[0], "digest": digest.hexdigest(), "peer": peer}
    return serve


def test_ten_megabytes_to_python_ssl_with_digest(pki, listener, run_peer):
    payload = os.urandom(10 * 1024 * 1024)
    peer = run_peer(python_ssl_server(listener, pki, "server_ec", payload_size=len(payload)))
    with Environment(keyring_file=str(pki.ca_pem), check_hostname=False) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock) as session:
            session.handshake()
            assert session.sendall(payload) is None          # as socket.sendall
            answer = b""
            while len(answer) < 32:
                answer += session.recv(32 - len(answer))
    seen = peer.result()
    assert answer == hashlib.sha256(payload).digest()
    assert seen["digest"] == hashlib.sha256(payload).hexdigest()
    assert seen["version"] == "TLSv1.3"


def test_ten_megabytes_from_python_ssl_client(pki, listener, run_peer):
    payload = os.urandom(10 * 1024 * 1024)

    def client() -> bytes:
        ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
        with socket.create_connection(listener.getsockname()) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(payload)
            return tls.recv(64)

    peer = run_peer(client)
    with Environment(session_type="server", keyring_file=str(pki.server_rsa)) as env:
        conn, _ = listener.accept()
        with conn, env.open_session(fd=conn) as session:
            session.handshake()
            digest, received = hashlib.sha256(), 0
            buffer = bytearray(65536)
            while received < len(payload):
                n = session.recv_into(buffer)
                assert n > 0
                digest.update(buffer[:n])
                received += n
            session.sendall(digest.hexdigest().encode())
    assert peer.result() == hashlib.sha256(payload).hexdigest().encode()[:64]


@pytest.mark.parametrize("key,auth", [("server_rsa", "RSA"), ("server_ec", "ECDSA")])
def test_tls12_suite_chosen_by_spec_ex(pki, listener, run_peer, key, auth):
    peer = run_peer(python_ssl_server(listener, pki, key, version=ssl.TLSVersion.TLSv1_2))
    spec = f"TLS_ECDHE_{auth}_WITH_AES_256_GCM_SHA384"
    result = compat_client(listener.getsockname()[1], str(pki.ca_pem),
                           settings={GSK_TLSV12_CIPHER_SPECS_EX: spec, GSK_PROTOCOL_TLSV13: GSK_FALSE})
    seen = peer.result()
    assert result["cipher"] == spec
    assert result["protocol"] == GSK_PROTOCOL_USED_TLSV12
    assert seen["cipher"] == f"ECDHE-{auth}-AES256-GCM-SHA384"
    assert result["data"] == b"\ngnip"


def test_tls12_two_character_specs(pki, listener, run_peer):
    """The V3 format: '9D' is TLS_RSA_WITH_AES_256_GCM_SHA384 (RSA key exchange)."""
    peer = run_peer(python_ssl_server(listener, pki, "server_rsa", version=ssl.TLSVersion.TLSv1_2,
                                      ciphers="AES256-GCM-SHA384:AES128-GCM-SHA256"))
    result = compat_client(listener.getsockname()[1], str(pki.ca_pem),
                           settings={GSK_TLSV12_CIPHER_SPECS: "9D", GSK_PROTOCOL_TLSV13: GSK_FALSE})
    assert peer.result()["cipher"] == "AES256-GCM-SHA384"
    assert result["cipher"] == "TLS_RSA_WITH_AES_256_GCM_SHA384"


def test_tls13_spec_ex(pki, listener, run_peer):
    peer = run_peer(python_ssl_server(listener, pki, "server_ec"))
    result = compat_client(listener.getsockname()[1], str(pki.ca_pem),
                           settings={GSK_TLSV13_CIPHER_SPECS_EX: "TLS_CHACHA20_POLY1305_SHA256"})
    assert peer.result()["cipher"] == "TLS_CHACHA20_POLY1305_SHA256"
    assert result["cipher"] == "TLS_CHACHA20_POLY1305_SHA256"


def test_client_authentication_with_python_ssl(pki, listener, run_peer):
    peer = run_peer(python_ssl_server(listener, pki, "server_ec", request_cert=True))
    with Environment(keyring_file=str(pki.client), check_hostname=False) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock) as session:
            session.handshake()
            session.sendall(b"abc")
            assert session.recv(10) == b"cba"
    seen = peer.result()
    subject = dict(item[0] for item in seen["peer"]["subject"])
    assert subject["commonName"] == "gskit test client"


def python_ssl_client(listener, pki, cert=None):
    """An ssl-module client for one connection, with ``pki``'s certificate ``cert`` or none,
    that reads one byte; its handshake failing is for the gskit side to report."""
    def client() -> None:
        ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
        if cert is not None:
            ctx.load_cert_chain(str(getattr(pki, cert)))
        with socket.create_connection(listener.getsockname()) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass
    return client


def test_server_requires_client_certificate(pki, listener, run_peer):
    """GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL: a client without a certificate fails with 403."""
    peer = run_peer(python_ssl_client(listener, pki))
    with Environment(session_type="server_with_client_auth_critical", keyring_file=str(pki.server_ec)) as env:
        conn, _ = listener.accept()
        with conn, env.open_session(fd=conn) as session:
            with pytest.raises(GSKError) as info:
                session.handshake()
    peer.result()
    assert info.value.rc == GSK_ERROR_NO_CERTIFICATE


def test_client_auth_verified_and_read_back(pki, listener, run_peer):
    """A GSKit server asking for a certificate sees the client's in GSK_PARTNER_CERT_INFO."""
    def client() -> str:
        ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
        ctx.load_cert_chain(str(pki.client))
        with socket.create_connection(listener.getsockname()) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"x")
            return tls.recv(10).decode()

    peer = run_peer(client)
    rc, env = gsk_environment_open()
    gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_SERVER_SESSION_WITH_CL_AUTH)
    gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, str(pki.server_ec))
    assert gsk_environment_init(env) == GSK_OK
    conn, _ = listener.accept()
    rc, session = gsk_secure_soc_open(env)
    gsk_attribute_set_numeric_value(session, GSK_FD, conn)
    assert gsk_secure_soc_init(session) == GSK_OK
    rc, elements = gsk_attribute_get_cert_info(session, GSK_PARTNER_CERT_INFO)
    fields = {e.cert_data_id: e.cert_data_p for e in elements}
    assert rc == GSK_OK
    assert fields[CERT_COMMON_NAME] == "gskit test client"
    assert fields[CERT_SUBJECT_ALTERNATIVE_NAME_RFC822NAME] == "client@example.com"
    assert fields[CERT_ISSUER_ORG] == "gskit test CA"
    assert gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE) == (GSK_OK, 0)
    buffer = bytearray(8)
    assert gsk_secure_soc_read(session, buffer) == (GSK_OK, 1)
    assert gsk_secure_soc_write(session, b"ok") == (GSK_OK, 2)
    assert peer.result() == "ok"
    assert gsk_secure_soc_close(session) == GSK_OK
    assert gsk_environment_close(env) == GSK_OK
    conn.close()


def test_sni_sent_and_received(pki, listener, run_peer):
    def serve() -> str:
        with Environment(session_type="server", keyring_file=str(pki.server_ec)) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                name = session.get(GSK_SSL_EXTN_SERVERNAME)
                session.sendall(b"k")
                return name

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem), check_hostname=False) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock, server_name="localhost") as session:
            session.handshake()
            assert session.recv(1) == b"k"
            assert session.get(GSK_SSL_EXTN_SERVERNAME) == "localhost"
    assert peer.result() == "localhost"


@pytest.mark.parametrize("client_extra, second", [
    ({}, GSK_SID_NOT_FIRST),
    ({"session_timeout": 0}, GSK_SID_IS_FIRST),       # GSK_V3_SESSION_TIMEOUT 0: no session kept
], ids=["cached", "session_timeout 0"])
@pytest.mark.parametrize("settings", [TLS13, TLS12], ids=["tls1.3", "tls1.2"])
def test_resumption_reads_back_sid_first(pki, listener, run_peer, settings, client_extra, second):
    """The second connection of one environment resumes: GSK_SID_FIRST = GSK_SID_NOT_FIRST;
    with GSK_V3_SESSION_TIMEOUT 0 on the client's environment every connection is a full
    handshake (docs/behaviour.md)."""
    def serve() -> list:
        seen = []
        with Environment(session_type="server", keyring_file=str(pki.server_ec), **settings) as env:
            for _ in range(2):
                conn, _ = listener.accept()
                with conn, env.open_session(fd=conn) as session:
                    session.handshake()
                    session.sendall(session.recv(10))
                    seen.append(session.get(GSK_SID_FIRST))
        return seen

    peer = run_peer(serve)
    client_seen = []
    with Environment(keyring_file=str(pki.ca_pem), check_hostname=False, **settings, **client_extra) as env:
        for _ in range(2):
            sock = connect(listener.getsockname()[1])
            with sock, env.open_session(fd=sock) as session:
                session.handshake()
                session.sendall(b"again")
                assert session.recv(10) == b"again"
                client_seen.append(session.get(GSK_SID_FIRST))
    assert client_seen == [GSK_SID_IS_FIRST, second]
    assert peer.result() == [GSK_SID_IS_FIRST, second]



@pytest.mark.parametrize("auth, client_cert, expected_rc, expected_validation", [
    (GSK_CLIENT_AUTH_FULL, "client", GSK_OK, 0),
    (GSK_CLIENT_AUTH_FULL, None, GSK_OK, 403),                     # optional; the code says none came
    (GSK_CLIENT_AUTH_FULL, "other_server", GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575009),
    (GSK_CLIENT_AUTH_PASSTHRU, "other_server", GSK_OK, 575009),    # recorded, not refused
    (GSK_IBMI_CLIENT_AUTH_REQUIRED, None, GSK_ERROR_NO_CERTIFICATE, None),
    (GSK_IBMI_CLIENT_AUTH_REQUIRED, "client", GSK_OK, 0),
], ids=["full-trusted", "full-none", "full-untrusted", "passthru-untrusted", "required-none", "required-trusted"])
def test_client_auth_type_on_a_server_that_asks_for_a_certificate(pki, listener, run_peer, auth, client_cert,
                                                                  expected_rc, expected_validation):
    """GSK_SERVER_SESSION_WITH_CL_AUTH with each GSK_CLIENT_AUTH_TYPE, against Python's ssl as
    the client (with a trusted certificate, one from another CA, or none)."""
    peer = run_peer(python_ssl_client(listener, pki, client_cert))
    rc, env = gsk_environment_open()
    gsk_attribute_set_enum(env, GSK_SESSION_TYPE, GSK_SERVER_SESSION_WITH_CL_AUTH)
    assert gsk_attribute_set_enum(env, GSK_CLIENT_AUTH_TYPE, auth) == GSK_OK
    gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, str(pki.server_ec))
    assert gsk_environment_init(env) == GSK_OK
    conn, _ = listener.accept()
    with conn:
        rc, session = gsk_secure_soc_open(env)
        gsk_attribute_set_numeric_value(session, GSK_FD, conn.fileno())
        assert gsk_secure_soc_init(session) == expected_rc
        if expected_validation is not None:
            assert gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE) == (
                GSK_OK, expected_validation)
        gsk_secure_soc_close(session)
    gsk_environment_close(env)
    peer.result()
