"""Engine features beyond the basic handshake: per-protocol suites, callbacks, life cycle."""
from __future__ import annotations

import array
import mmap
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from gskit import *  # noqa: F403
from gskit.engine.states import SessionState
from tests.conftest import DEADLINE, connect
from tests.engine.test_return_codes import Pair, client_against, client_env, server_env, ssl_server


def python_client(port: int, pki, *, version: ssl.TLSVersion, ciphers: str | None = None) -> tuple[str, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki.ca_pem))
    ctx.minimum_version = ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"v")
        tls.recv(1)
        return tls.version(), tls.cipher()[0]


# These Python peers speak TLS 1.1 on purpose (IBM i still allows it when asked); Python
# warns that the setting is deprecated.
TLS11_PEER = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")


@TLS11_PEER
@pytest.mark.parametrize("version,expected", [
    (ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES256-GCM-SHA384"),
    (ssl.TLSVersion.TLSv1_1, "ECDHE-RSA-AES128-SHA"),
], ids=["tls1.2", "tls1.1"])
def test_server_uses_the_list_of_the_negotiated_version(pki, listener, run_peer, version, expected):
    """TLS 1.1 and 1.2 lists differ: each connection gets a suite from its own version's list,
    although the client offers both suites (the server reads the ClientHello first)."""
    settings = dict(session_type="server", keyring_file=str(pki.server_rsa), tlsv11=True, tlsv13=False,
                    tlsv12_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    tlsv11_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")

    def serve() -> tuple[str | None, str | None]:
        with Environment(**settings) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                session.sendall(session.recv(1))
                return session.protocol, session.cipher

    peer = run_peer(serve)
    offered = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    seen_version, seen_cipher = python_client(listener.getsockname()[1], pki, version=version, ciphers=offered)
    protocol, cipher = peer.result()
    assert seen_cipher == expected
    assert protocol == seen_version
    assert cipher == {"ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                      "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}[expected]


@TLS11_PEER
def test_client_refuses_a_suite_not_allowed_for_the_version(pki, listener, run_peer):
    """A server that picks a suite from the client's TLS 1.2 list for TLS 1.1 is refused."""
    def serve() -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(pki.server_rsa))
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ECDHE-RSA-AES256-SHA:@SECLEVEL=0")
        conn, _ = listener.accept()
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem), server_name="localhost", tlsv11=True, tlsv13=False,
                     tlsv12_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
                     tlsv11_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock) as session:
            with pytest.raises(GSKError) as info:
                session.handshake()
    peer.result()
    assert info.value.rc == GSK_ERROR_NO_CIPHERS


@pytest.mark.parametrize("check,name,error", [
    (True, "localhost", None), (True, "127.0.0.1", None), (True, "wrong.example", GSK_ERROR_CERT_VALIDATION),
    # check_hostname as a C programmer writes a flag: 1 checks, 0 does not
    (1, "localhost", None), (1, "wrong.example", GSK_ERROR_CERT_VALIDATION), (0, "wrong.example", None)])
def test_pythonic_api_checks_the_host_name(pki, listener, run_peer, check, name, error):
    def serve() -> None:
        with Environment(session_type="server", keyring_file=str(pki.server_ec)) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                try:
                    session.handshake()
                except GSKError:
                    pass

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem), check_hostname=check) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock, server_name=name) as session:
            if error is None:
                session.handshake()
                assert session.protocol == "TLSv1.3"
            else:
                with pytest.raises(GSKCertificateError) as info:
                    session.handshake()
                assert info.value.rc == error
    peer.result()


@pytest.mark.parametrize("name", ["[::1]", "[127.0.0.1]", "a b", "*.example", "foo..example", "x" * 64])
def test_a_name_that_cannot_be_checked_is_refused_not_ignored(pki, name):
    """OpenSSL refuses to check such a name: the handshake must fail (13) before a byte is
    sent, not go on unchecked; the session is then in error, not left handshaking."""
    with Environment(keyring_file=str(pki.ca_pem)) as env:
        pair = Pair()
        try:
            with env.open_session(fd=pair.client, server_name=name, handshake_timeout=2) as session:
                with pytest.raises(GSKError) as info:
                    session.handshake()
                assert session.state is SessionState.ERROR
                pair.server.setblocking(False)
                with pytest.raises(BlockingIOError):
                    pair.server.recv(1)
        finally:
            pair.close()
    assert info.value.rc == GSK_INVALID_PARAMETER
    assert repr(name) in str(info.value)


def test_pythonic_api_needs_a_name_to_check(pki):
    with Environment(keyring_file=str(pki.ca_pem)) as env:
        pair = Pair()
        try:
            with env.open_session(fd=pair.client) as session:
                with pytest.raises(GSKError) as info:
                    session.handshake()
        finally:
            pair.close()
    assert info.value.rc == GSK_INVALID_PARAMETER
    assert "server_name" in str(info.value)


def test_io_callback_carries_the_session(pki):
    """GSK_IO_CALLBACK: the client's bytes go through application functions, not GSK_FD."""
    pair = Pair()
    calls = {"read": 0, "write": 0}

    def io_read(fd, buffer, length, user_data):
        calls["read"] += 1
        assert user_data == "tag-42"
        data = pair.client.recv(length)
        buffer[:len(data)] = data
        return len(data)

    def io_write(fd, data, length, user_data):
        calls["write"] += 1
        return pair.client.send(data[:length])

    senv = server_env(pki, pki.server_ec)
    rc, server = gsk_secure_soc_open(senv)
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    t = threading.Thread(target=lambda: (gsk_secure_soc_init(server), gsk_secure_soc_write(server, b"via callback")))
    t.start()
    cenv = client_env(pki)
    rc, client = gsk_secure_soc_open(cenv)
    assert gsk_attribute_set_callback(client, GSK_IO_CALLBACK, iocallback(io_read, io_write)) == GSK_OK
    assert gsk_attribute_set_buffer(client, GSK_USER_DATA, "tag-42") == GSK_OK
    assert gsk_secure_soc_init(client) == GSK_OK
    buffer = bytearray(64)
    assert gsk_secure_soc_read(client, buffer) == (GSK_OK, 12)
    t.join(DEADLINE)
    assert bytes(buffer[:12]) == b"via callback"
    assert calls["read"] >= 1 and calls["write"] >= 1
    pair.close()


def test_environment_closed_right_after_soc_open_keeps_sessions_working(pki):
    """curl's pattern: gsk_environment_close straight after gsk_secure_soc_open."""
    closed = []
    pair = Pair()
    senv = server_env(pki, pki.server_ec)
    rc, server = gsk_secure_soc_open(senv)
    gsk_attribute_set_numeric_value(server, GSK_FD, pair.server.fileno())
    t = threading.Thread(target=lambda: (gsk_secure_soc_init(server), gsk_secure_soc_write(server, b"still here")))
    t.start()
    rc, env = gsk_environment_open()
    gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, str(pki.ca_pem))
    gsk_attribute_set_enum(env, GSK_ENVIRONMENT_CLOSE_OPTIONS, GSK_DELAYED_ENVIRONMENT_CLOSE)
    gsk_attribute_set_callback(env, GSK_ENVIRONMENT_CLOSE_CALLBACK, closed.append)
    assert gsk_environment_init(env) == GSK_OK
    rc, client = gsk_secure_soc_open(env)
    assert gsk_environment_close(env) == GSK_OK
    assert gsk_secure_soc_open(env)[0] == GSK_INVALID_HANDLE        # no new session on it
    gsk_attribute_set_numeric_value(client, GSK_FD, pair.client.fileno())
    assert gsk_secure_soc_init(client) == GSK_OK
    buffer = bytearray(32)
    assert gsk_secure_soc_read(client, buffer) == (GSK_OK, 10)
    assert closed == []                                             # resources still in use
    assert gsk_secure_soc_close(client) == GSK_OK
    assert closed == [env]                                          # freed with the last session
    t.join(DEADLINE)
    pair.close()


@pytest.mark.parametrize("option,called", [(None, False), (GSK_NORMAL_ENVIRONMENT_CLOSE, False),
                                           (GSK_DELAYED_ENVIRONMENT_CLOSE, True)])
def test_environment_close_callback_runs_only_with_delayed_close(pki, option, called):
    """GSK_DELAYED_ENVIRONMENT_CLOSE enables GSK_ENVIRONMENT_CLOSE_CALLBACK; the default
    (GSK_NORMAL_ENVIRONMENT_CLOSE) leaves it unused (reference §2)."""
    closed = []
    rc, env = gsk_environment_open()
    if option is not None:
        assert gsk_attribute_set_enum(env, GSK_ENVIRONMENT_CLOSE_OPTIONS, option) == GSK_OK
    assert gsk_attribute_set_callback(env, GSK_ENVIRONMENT_CLOSE_CALLBACK, closed.append) == GSK_OK
    assert gsk_environment_init(env) == GSK_OK
    assert gsk_environment_close(env) == GSK_OK
    assert closed == ([env] if called else [])


def test_reset_cipher_renegotiates_tls12(pki, listener, run_peer):
    """GSK_RESET_CIPHER on TLS 1.2 runs a new handshake with an openssl s_server peer."""
    resets = []
    import subprocess
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(pki.server_ec), "-tls1_2",
         "-client_renegotiation", "-rev", "-naccept", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = 0
        for line in server.stdout:
            if line.startswith("ACCEPT"):
                port = int(line.rsplit(":", 1)[1])
                break
        with Environment(keyring_file=str(pki.ca_pem), server_name="localhost", tlsv13=False,
                         cipher_reset_callback=resets.append) as env:
            sock = connect(port)
            with sock, env.open_session(fd=sock) as session:
                session.handshake()
                session.misc(GSK_RESET_CIPHER)
                session.sendall(b"after renegotiation\n")
                data = b""
                while not data.endswith(b"\n"):
                    data += session.recv(100)
        assert data == b"noitaitogener retfa\n"
        assert resets == [session]
    finally:
        server.kill()
        server.communicate()


@pytest.mark.parametrize("requested,accepted", [("gskit.example", True), ("other.example", False), (None, False)])
def test_critical_server_name_list(pki, listener, run_peer, requested, accepted):
    def serve() -> int:
        with Environment(session_type="server", keyring_file=str(pki.server_ec),
                         server_names_critical="www.example,gskit.example") as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                try:
                    session.handshake()
                except GSKError as exc:
                    return exc.rc
                assert session.get(GSK_SSL_EXTN_SERVERNAME) == requested
                return GSK_OK

    peer = run_peer(serve)
    ctx = ssl.create_default_context(cafile=str(pki.ca_pem))
    ctx.check_hostname = False
    client_error = ""
    with socket.create_connection(listener.getsockname(), timeout=DEADLINE) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname=requested) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as exc:
            client_error = str(exc)
    assert peer.result() == (GSK_OK if accepted else GSK_ERROR_BAD_PEER)
    if not accepted:
        assert "UNRECOGNIZED_NAME" in client_error        # a real alert, not a dropped connection


def test_makefile_reads_lines(pki, listener, run_peer):
    def serve() -> bytes:
        with Environment(session_type="server", keyring_file=str(pki.server_ec)) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                with session.makefile("rwb") as stream:
                    line = stream.readline()
                    stream.write(b"got " + line)
                    stream.flush()
                return line

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem)) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock, server_name="localhost") as session:
            session.handshake()
            session.sendall(b"first line\nsecond")
            with session.makefile("rb") as stream:
                assert stream.readline() == b"got first line\n"
    assert peer.result() == b"first line\n"


def test_pythonic_api_takes_any_buffer_and_flags_given_as_numbers(pki, listener, run_peer):
    """What the pure-Python build takes, the compiled one takes too (its annotations are
    checked at run time): an ``array`` or ``mmap`` as the data or the buffer, 1 for True,
    ``buffering=None``."""
    def serve() -> bytes:
        with Environment(session_type="server", keyring_file=str(pki.server_ec)) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                received = array.array("B", bytes(5))
                assert session.recv_into(received) == 5
                session.sendall(array.array("B", b"pong!"))
                return received.tobytes()

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem), check_hostname=1) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(auto_init=1, fd=sock, server_name="localhost") as session:
            session.handshake()
            assert session.send(array.array("B", b"ping!")) == 5
            with mmap.mmap(-1, 5) as shared:
                assert session.recv_into(shared, None) == 5 and shared[:] == b"pong!"
            with session.makefile("rb", buffering=None) as stream:
                assert stream.read() == b""
    assert peer.result() == b"ping!"


def test_pythonic_reads_check_their_arguments_as_the_socket_module_does(pki, listener, run_peer):
    """A size of the wrong type is a TypeError (before: GSKError 501 "'10' is less than 1"),
    an nbytes past the buffer or negative a ValueError (before: silently a shorter read),
    and a huge size reads what there is (before: OverflowError, MemoryError)."""
    def serve() -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(pki.server_ec))
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"hello")
            tls.recv(1)

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem)) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock, server_name="localhost") as session:
            session.handshake()
            for size in ("10", None, 1.5, True):
                with pytest.raises(TypeError):
                    session.recv(size)
            with pytest.raises(GSKError) as zero:
                session.recv(0)
            assert zero.value.rc == GSK_INVALID_BUFFER_SIZE
            for nbytes in (-3, 100):
                with pytest.raises(ValueError):
                    session.recv_into(bytearray(4), nbytes)
            assert session.recv(2**63) == b"hello"
            for mode, buffering in (("zz", None), ("r", 0), ("rbx", None)):
                with pytest.raises(ValueError):
                    session.makefile(mode, buffering)
            with session.makefile("w", encoding="utf-8") as text:      # (before: binary, whatever the mode)
                text.write("x")
    peer.result()


def test_an_application_may_subclass_the_environment(pki):
    """As on the pure-Python build, a subclass overrides methods and keeps its own attributes."""
    class CountingEnvironment(Environment):
        def open_session(self, **settings):
            self.opened = getattr(self, "opened", 0) + 1
            return super().open_session(**settings)

    with CountingEnvironment(session_type="server", keyring_file=str(pki.server_ec)) as env:
        env.name = "frontend"
        with env.open_session() as session:
            assert session.state is SessionState.OPEN and session.environment is env
        assert (env.opened, env.name, env.state.value) == (1, "frontend", "initialized")


def test_session_id_reads_back_and_repeats_on_resumption(pki, listener, run_peer):
    """GSK_SID_VALUE: the ID repeats when the session resumes, on both ends (TLS 1.2).  (A
    server that issues a ticket leaves the ID of the first, full handshake to the client.)"""
    def serve() -> list[str]:
        ids = []
        with Environment(session_type="server", keyring_file=str(pki.server_ec), tlsv13=False) as env:
            for _ in range(2):
                conn, _ = listener.accept()
                with conn, env.open_session(fd=conn) as session:
                    session.handshake()
                    ids.append(session.get(GSK_SID_VALUE))
                    session.sendall(b"k")
        return ids

    peer = run_peer(serve)
    client_ids = []
    with Environment(keyring_file=str(pki.ca_pem), server_name="localhost", tlsv13=False) as env:
        for _ in range(2):
            sock = connect(listener.getsockname()[1])
            with sock, env.open_session(fd=sock) as session:
                session.handshake()
                assert session.recv(1) == b"k"
                client_ids.append(session.get(GSK_SID_VALUE))
    server_ids = peer.result()
    assert len(client_ids[0]) == 64 and int(client_ids[0], 16) >= 0
    assert client_ids[0] == client_ids[1] == server_ids[1]


def test_a_closed_session_is_freed_at_once(pki, listener, run_peer):
    """Engine and OpenSSL connection form no reference cycle: dropping a closed session frees
    its SSL object (and its buffers) at once, not at the cycle collector's next run."""
    import gc
    import sys

    def serve() -> None:
        with Environment(session_type="server", keyring_file=str(pki.server_ec)) as env:
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn) as session:
                session.handshake()
                session.sendall(b"k")

    peer = run_peer(serve)
    gc.disable()
    try:
        with Environment(keyring_file=str(pki.ca_pem), server_name="localhost") as env:
            sock = connect(listener.getsockname()[1])
            with sock:
                session = env.open_session(fd=sock)
                session.handshake()
                assert session.recv(1) == b"k"
                handle = session.engine.handle      # the OpenSSL connection, freed with its engine
                session.close()
                del session
                assert sys.getrefcount(handle) == 2  # this name and the call's argument: the engine is gone
    finally:
        gc.enable()
    peer.result()


def test_a_read_with_a_timeout_on_memory_bios_wakes_when_another_thread_closes(pki, listener):
    """The server's per-version lists differ, so its session runs on memory BIOs; a read
    waiting out GSK_IBMI_READ_TIMEOUT there returns GSK_IBMI_ERROR_CLOSED as soon as another
    thread closes the session, not GSK_IBMI_ERROR_TIMED_OUT when the timeout ends."""
    settings = dict(session_type="server", keyring_file=str(pki.server_rsa), tlsv11=True, tlsv13=False,
                    tlsv12_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    tlsv11_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", read_timeout_ms=10_000)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki.ca_pem))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    connected = threading.Thread(target=lambda: client.append(ctx.wrap_socket(
        socket.create_connection(listener.getsockname(), timeout=DEADLINE), server_hostname="localhost")))
    client: list[ssl.SSLSocket] = []
    connected.start()
    with Environment(**settings) as env:
        conn, _ = listener.accept()
        with conn:
            session = env.open_session(fd=conn)
            assert gsk_secure_soc_init(session) == GSK_OK
            connected.join(DEADLINE)
            closer = threading.Timer(0.3, gsk_secure_soc_close, args=(session,))
            closer.start()
            started = time.monotonic()
            assert gsk_secure_soc_read(session, bytearray(10))[0] == GSK_IBMI_ERROR_CLOSED
            assert time.monotonic() - started < 5
            closer.join()
    client[0].close()


def test_sessions_with_the_same_own_certificate_share_one_context(pki, listener, run_peer):
    """A session's own GSK_KEYRING_FILE is resolved once per distinct setting: three sessions
    that set the same file handshake on one OpenSSL context (the environment keeps no copy
    per session)."""
    def clients() -> None:
        for _ in range(3):
            python_client(listener.getsockname()[1], pki, version=ssl.TLSVersion.TLSv1_3)

    peer = run_peer(clients)
    contexts = []
    with Environment(session_type="server", keyring_file=str(pki.server_rsa)) as env:
        for _ in range(3):
            conn, _ = listener.accept()
            with conn, env.open_session(fd=conn, keyring_file=str(pki.server_ec)) as session:
                session.handshake()
                session.sendall(session.recv(1))
                local = session.engine.local_certificate()
                assert isinstance(local.public_key(), ec.EllipticCurvePublicKey)   # the session's own
                contexts.append(session.engine.context)
    peer.result()
    assert contexts[0] is contexts[1] is contexts[2]



@pytest.mark.parametrize("value", [[], {}, "sometimes", None, 1.5])
def test_an_enumerated_keyword_refuses_a_value_it_has_no_name_for(value):
    """Every enumerated keyword (``client_auth="full"``, ``tlsv13=True``, ...) answers a value
    it has no name for, hashable or not, with GSK_ATTRIBUTE_INVALID_ENUMERATION."""
    from gskit.attributes.table import BY_KEYWORD, Kind

    for keyword in sorted(k for k, row in BY_KEYWORD.items() if row.kind is Kind.ENUM):
        with pytest.raises(GSKError) as caught:
            Environment(**{keyword: value})
        assert caught.value.rc == GSK_ATTRIBUTE_INVALID_ENUMERATION, keyword


@pytest.mark.parametrize("attr_id", [[], {}, "GSK_FD", None, 1.5, 99999])
def test_get_and_set_by_id_refuse_what_is_no_attribute_id(attr_id):
    with Environment(session_type="client") as env:
        for call in (lambda: env.get(attr_id), lambda: env.set(attr_id, 1)):
            with pytest.raises(GSKError) as caught:
                call()
            assert caught.value.rc == GSK_ATTRIBUTE_INVALID_ID


def _subject(pem_file) -> str:
    return x509.load_pem_x509_certificate(pem_file.read_bytes()).subject.rfc4514_string()


@pytest.mark.parametrize("auth", [GSK_SERVER_AUTH_FULL, GSK_SERVER_AUTH_PASSTHRU])
@pytest.mark.parametrize("case", ["untrusted root", "expired", "unreadable"])
def test_the_failed_subject_names_the_certificate_that_failed(pki, version_2, tmp_path, auth, case):
    """GSK_VALIDATIONFAIL_SUBJECT after a failed validation, the same whether the handshake
    stopped there (FULL; before: "") or went on (PASSTHRU): the root no one trusts (its
    chain's CA, not the server's own certificate), the expired certificate, or "" for one
    that cannot be read (X.509 version 2, sent without its issuer)."""
    if case == "untrusted root":
        keyring, subject, validation = pki.other_server, _subject(pki.other_ca_pem), 575009
    elif case == "expired":
        keyring, subject, validation = pki.expired, _subject(pki.expired), 575018
    else:
        text = version_2.untrusted.read_bytes()
        end = b"-----END CERTIFICATE-----\n"
        keyring = tmp_path / "leaf-only.pem"
        keyring.write_bytes(text[:text.index(end) + len(end)])
        subject, validation = "", 575009
    seen = []

    def inspect(session):
        seen.append(gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE))
        seen.append(gsk_attribute_get_buffer(session, GSK_VALIDATIONFAIL_SUBJECT))

    code = client_against(pki, ssl_server(keyring), GSK_SERVER_AUTH_TYPE=auth, inspect=inspect)
    assert (code == GSK_OK) == (auth == GSK_SERVER_AUTH_PASSTHRU)
    assert seen == [(GSK_OK, validation), (GSK_OK, subject)]


@pytest.mark.parametrize("setting, expected", [
    ({"keyring_file": "\ud800.pem"}, GSK_KEYRING_OPEN_ERROR),
    ({"session_type": "server", "signature_algorithms": "\ud800"}, GSK_INVALID_PARAMETER),
], ids=["keyring-file", "signature-algorithms"])
def test_a_setting_with_a_lone_surrogate_is_a_gskit_error(pki, setting, expected):
    """Text that cannot be encoded (what Python makes of bytes that are not UTF-8): the rc of
    the setting (before: UnicodeEncodeError out of init)."""
    settings = {"keyring_file": str(pki.server_ec), **setting}
    with pytest.raises(GSKError) as info:
        Environment(**settings).init()
    assert info.value.rc == expected


def test_registry_home_is_a_path_or_a_type_error(tmp_path):
    """Checked as the environment is made (before: mypyc's TypeError at init), and a Path is
    as good as a str."""
    with pytest.raises(TypeError, match="registry_home must be a folder's path, not int"):
        Environment(registry_home=5)
    with Environment(registry_home=tmp_path, session_type="server", application_id="NOT_REGISTERED") as env:
        with pytest.raises(GSKError) as info:
            env.init()
    assert info.value.rc == GSK_IBMI_ERROR_NOT_REGISTERED
