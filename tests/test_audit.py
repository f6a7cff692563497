"""Secure-connection audit records (SK-S / SK-X), checked field by field on real handshakes."""
from __future__ import annotations

import errno
import json
import logging
import os
import socket
import ssl
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from OpenSSL._util import ffi, lib

import gskit
from gskit import audit
from gskit.session import Session

DEADLINE = 20
SUCCESS_KEYS = {"entry_type", "time", "pid", "role", "address_family", "local_address", "local_port",
                "remote_address", "remote_port", "secure_version", "cipher", "signature_algorithm", "named_curve"}
FAILURE_KEYS = {"entry_type", "time", "pid", "role", "address_family", "local_address", "local_port",
                "remote_address", "remote_port", "secure_version", "rc", "rc_name", "message_id",
                "secure_information"}


@pytest.fixture(autouse=True)
def _no_audit_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("GSKIT_AUDIT_FILE", raising=False)
    audit.configure(None)
    yield
    audit.configure(None)


def client_handshake(port: int, ca_pem: Path,
                     **settings: Any) -> tuple[socket.socket, list[dict[str, Any]], Exception | None]:
    """A Pythonic-API client handshake to 127.0.0.1:port; returns (its socket, records, error)."""
    error = None
    with audit.capture() as records, \
            gskit.Environment(session_type="client", keyring_file=str(ca_pem), **settings) as env:
        sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        sock.settimeout(None)
        try:
            with env.open_session(fd=sock, server_name="localhost", handshake_timeout=DEADLINE) as session:
                session.handshake()
        except gskit.GSKError as exc:
            error = exc
    sock.close()
    return sock, list(records), error


def python_client(host: str, port: int, ca_pem: Path) -> Callable[[], tuple[tuple, str]]:
    """A Python ``ssl`` client for a peer thread; returns (its address, the suite)."""
    ctx = ssl.create_default_context(cafile=str(ca_pem))

    def run() -> tuple[tuple, str]:
        with socket.create_connection((host, port), timeout=DEADLINE) as raw, \
                ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.recv(1)                 # until the server closes
            return tls.getsockname()[:2], tls.cipher()[0]
    return run


def server_handshake(listener: socket.socket, **settings: Any) -> tuple[list[dict[str, Any]], Session]:
    """One Pythonic-API server handshake on the next connection: (records, the closed session)."""
    with audit.capture() as records, gskit.Environment(session_type="server", **settings) as env:
        listener.settimeout(DEADLINE)
        conn, _ = listener.accept()
        conn.settimeout(None)
        with conn, env.open_session(fd=conn) as session:
            session.handshake()
    return list(records), session


def test_success_record_of_a_client_against_openssl(openssl_server, pki) -> None:
    peer = openssl_server("-cert", str(pki.server_ec), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
                          "-groups", "P-256")
    with audit.capture() as records, \
            gskit.Environment(session_type="client", keyring_file=str(pki.ca_pem)) as env, \
            socket.create_connection(("127.0.0.1", peer.port), timeout=DEADLINE) as sock:
        sock.settimeout(None)
        with env.open_session(fd=sock, server_name="localhost") as session:
            session.handshake()
        local = sock.getsockname()
    [record] = records
    assert set(record) == SUCCESS_KEYS
    assert record["entry_type"] == "SK-S" and record["role"] == "client" and record["pid"] == os.getpid()
    assert (record["address_family"], record["local_address"], record["local_port"]) == ("IPv4", *local)
    assert (record["remote_address"], record["remote_port"]) == ("127.0.0.1", peer.port)
    assert record["secure_version"] == "TLSv1.2"
    assert record["cipher"] == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    assert record["signature_algorithm"] == "ecdsa-with-SHA256"      # the trustme CA signs with ECDSA
    assert record["named_curve"] == "secp256r1"
    assert record["time"].endswith("+00:00")


def test_a_peer_certificate_that_cannot_be_read_leaves_only_its_algorithm_out(openssl_server, pki, version_2) -> None:
    """X.509 version 2, which cryptography does not read: the handshake succeeds and is
    audited; the record has no signature algorithm (docs/behaviour.md)."""
    peer = openssl_server("-cert", str(version_2.trusted))
    sock, records, error = client_handshake(peer.port, pki.ca_pem)
    assert error is None
    [record] = records
    assert set(record) == SUCCESS_KEYS
    assert (record["entry_type"], record["secure_version"]) == ("SK-S", "TLSv1.3")
    assert record["signature_algorithm"] is None


def test_success_record_of_a_server_against_python_ssl(listener: socket.socket, pki, run_peer) -> None:
    port = listener.getsockname()[1]
    peer = run_peer(python_client("127.0.0.1", port, pki.ca_pem))
    [record], _ = server_handshake(listener, keyring_file=str(pki.server_rsa))
    client_address, client_cipher = peer.result()
    assert set(record) == SUCCESS_KEYS
    assert (record["entry_type"], record["role"], record["address_family"]) == ("SK-S", "server", "IPv4")
    assert (record["local_address"], record["local_port"]) == ("127.0.0.1", port)
    assert (record["remote_address"], record["remote_port"]) == client_address
    assert (record["secure_version"], record["cipher"]) == ("TLSv1.3", client_cipher)
    assert record["signature_algorithm"] == "ecdsa-with-SHA256"
    assert record["named_curve"] == "x25519"


def test_failure_record_for_an_untrusted_certificate(openssl_server, pki) -> None:
    peer = openssl_server("-cert", str(pki.other_server))
    sock, records, error = client_handshake(peer.port, pki.ca_pem)
    assert isinstance(error, gskit.GSKError) and error.rc == 6000
    [record] = records
    assert set(record) == FAILURE_KEYS
    assert (record["entry_type"], record["role"], record["address_family"]) == ("SK-X", "client", "IPv4")
    assert (record["remote_address"], record["remote_port"]) == ("127.0.0.1", peer.port)
    assert record["local_address"] == "127.0.0.1" and isinstance(record["local_port"], int)
    assert record["secure_version"] == "TLSv1.3"          # the ServerHello was through
    assert (record["rc"], record["rc_name"], record["message_id"]) == (6000, "GSK_IBMI_ERROR_NOT_TRUSTED_ROOT",
                                                                     "CPDBC97")
    assert record["secure_information"] == str(error)
    assert record["secure_information"].startswith(
        "GSK_IBMI_ERROR_NOT_TRUSTED_ROOT (6000, CPDBC97): The certificate is not signed by a trusted "
        "certificate authority: unable to get local issuer certificate")


def test_failure_record_when_no_suite_is_shared(openssl_server, pki) -> None:
    peer = openssl_server("-cert", str(pki.server_rsa), "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
    _, records, error = client_handshake(peer.port, pki.ca_pem, tlsv13=False,
                                         tlsv12_cipher_specs_ex="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    assert isinstance(error, gskit.GSKError) and error.rc == 402
    [record] = records
    assert set(record) == FAILURE_KEYS
    assert (record["entry_type"], record["role"]) == ("SK-X", "client")
    assert (record["remote_address"], record["remote_port"]) == ("127.0.0.1", peer.port)
    assert record["secure_version"] is None               # no version was agreed
    assert (record["rc"], record["rc_name"], record["message_id"]) == (402, "GSK_ERROR_NO_CIPHERS", "CPDBC81")
    assert record["secure_information"] == ("GSK_ERROR_NO_CIPHERS (402, CPDBC81): No ciphers available or no "
                                            "ciphers were specified: tls alert handshake failure")


def test_failure_record_when_the_peer_resets(listener: socket.socket, pki, run_peer) -> None:
    port = listener.getsockname()[1]

    def resetting_client() -> tuple:
        sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        address = sock.getsockname()
        sock.sendall(b"\x16\x03\x01\x01\x00\x01\x00")     # the start of a ClientHello, then RST
        time.sleep(0.3)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return address

    peer = run_peer(resetting_client)
    with audit.capture() as records, \
            gskit.Environment(session_type="server", keyring_file=str(pki.server_rsa)) as env:
        conn, _ = listener.accept()
        conn.settimeout(None)
        with conn, pytest.raises(gskit.GSKError) as caught, env.open_session(fd=conn) as session:
            session.handshake()
    client_address = peer.result()
    assert caught.value.rc == 406
    [record] = records
    assert set(record) == FAILURE_KEYS
    assert (record["entry_type"], record["role"], record["address_family"]) == ("SK-X", "server", "IPv4")
    assert (record["local_address"], record["local_port"]) == ("127.0.0.1", port)
    assert (record["remote_address"], record["remote_port"]) == client_address
    assert record["secure_version"] is None
    assert (record["rc"], record["rc_name"], record["message_id"]) == (406, "GSK_ERROR_IO", "CPDBC8A")
    assert record["secure_information"].startswith("GSK_ERROR_IO (406, CPDBC8A): ")
    assert f"[Errno {errno.ECONNRESET}]" in record["secure_information"]


@pytest.fixture
def audit_log() -> Iterator[list[logging.LogRecord]]:
    """The log records the ``gskit.audit`` logger emits during the test (its level unchanged)."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logger = logging.getLogger("gskit.audit")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_records_go_to_the_gskit_audit_logger_with_levels(openssl_server, pki, audit_log) -> None:
    logging.getLogger("gskit.audit").setLevel(logging.INFO)
    good = openssl_server("-cert", str(pki.server_rsa))
    bad = openssl_server("-cert", str(pki.other_server))
    client_handshake(good.port, pki.ca_pem)
    client_handshake(bad.port, pki.ca_pem)
    seen = audit_log
    assert [(r.levelno, r.audit["entry_type"]) for r in seen] == [(logging.INFO, "SK-S"), (logging.WARNING, "SK-X")]
    assert seen[0].getMessage().startswith(f"SK-S IPv4 local 127.0.0.1:{seen[0].audit['local_port']} "
                                           f"remote 127.0.0.1:{good.port} client TLSv1.3 ")
    information = seen[1].audit["secure_information"]
    assert seen[1].getMessage().endswith(f"rc=6000 GSK_IBMI_ERROR_NOT_TRUSTED_ROOT: {information}")


def test_audit_is_off_by_default(openssl_server, pki, audit_log) -> None:
    assert not logging.getLogger("gskit.audit").isEnabledFor(logging.INFO) and audit.audit_file() is None
    bad = openssl_server("-cert", str(pki.other_server))
    with gskit.Environment(session_type="client", keyring_file=str(pki.ca_pem)) as env, \
            socket.create_connection(("127.0.0.1", bad.port), timeout=DEADLINE) as sock:
        sock.settimeout(None)
        with env.open_session(fd=sock, server_name="localhost") as session, pytest.raises(gskit.GSKError):
            session.handshake()
        assert session._audit_endpoints is None
    assert audit_log == []


def test_file_from_environment_variable_and_from_configure(openssl_server, pki, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    peer = openssl_server("-cert", str(pki.server_rsa), "-naccept", "3")
    from_env, from_call = tmp_path / "env.jsonl", tmp_path / "call.jsonl"
    monkeypatch.setenv("GSKIT_AUDIT_FILE", str(from_env))
    _, first, _ = client_handshake(peer.port, pki.ca_pem)
    audit.configure(from_call)                               # the API call wins over the variable
    _, second, _ = client_handshake(peer.port, pki.ca_pem)
    audit.configure(None)
    _, third, _ = client_handshake(peer.port, pki.ca_pem)
    assert [json.loads(line) for line in from_env.read_text().splitlines()] == first + third
    assert [json.loads(line) for line in from_call.read_text().splitlines()] == second
    assert from_env.stat().st_mode & 0o777 == 0o600


def test_the_variable_is_read_as_the_environment_is_initialized(openssl_server, pki, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """GSKIT_AUDIT_FILE as it was at gsk_environment_init: changed later, it applies to the
    environments initialized later."""
    peer = openssl_server("-cert", str(pki.server_rsa), "-naccept", "2")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    monkeypatch.setenv("GSKIT_AUDIT_FILE", str(first))
    with audit.capture() as early, gskit.Environment(session_type="client", keyring_file=str(pki.ca_pem)) as env:
        env.init()
        monkeypatch.setenv("GSKIT_AUDIT_FILE", str(second))
        with socket.create_connection(("127.0.0.1", peer.port), timeout=DEADLINE) as sock, \
                env.open_session(fd=sock, server_name="localhost", handshake_timeout=DEADLINE) as session:
            session.handshake()
    _, late, _ = client_handshake(peer.port, pki.ca_pem)
    assert [json.loads(line) for line in first.read_text().splitlines()] == early
    assert [json.loads(line) for line in second.read_text().splitlines()] == late
    assert len(early) == len(late) == 1


def test_no_secret_in_a_record(pki, tmp_path: Path, listener: socket.socket, run_peer) -> None:
    keystore = tmp_path / "server.p12"
    subprocess.run(["openssl", "pkcs12", "-export", "-in", str(pki.server_rsa), "-out", str(keystore),
                    "-passout", "pass:hunter2-very-secret", "-name", "server"], check=True, timeout=DEADLINE,
                   capture_output=True)
    audit.configure(tmp_path / "audit.jsonl")
    peer = run_peer(python_client("127.0.0.1", listener.getsockname()[1], pki.ca_pem))
    _, session = server_handshake(listener, keyring_file=str(keystore), keyring_password="hunter2-very-secret")
    peer.result()
    tls_session = lib.SSL_get_session(session.engine.ssl)  # type: ignore[union-attr]
    key = ffi.new("unsigned char[]", 64)
    master = bytes(key[0:lib.SSL_SESSION_get_master_key(tls_session, key, 64)]) if tls_session != ffi.NULL else None
    text = (tmp_path / "audit.jsonl").read_text()
    [record] = [json.loads(line) for line in text.splitlines()]
    assert set(record) == SUCCESS_KEYS
    assert "hunter2" not in text and "server.p12" not in text
    assert master is None or master.hex() not in text.lower()


def test_never_raises_into_the_handshake_path(tmp_path: Path) -> None:
    audit.configure(tmp_path)            # a folder: every append fails
    with audit.capture() as records:
        audit.handshake(object(), None, None)
        audit.handshake(None, gskit.GSKError.for_rc(406, "detail"), None)
    # the first record could not be built (logged at DEBUG); the second has no addresses; the
    # file cannot be written: none of it raises
    assert [(r["entry_type"], r["local_address"], r["rc"]) for r in records] == [("SK-X", None, 406)]
    audit.configure(tmp_path / "x.jsonl")
    fake = type("FakeSession", (), {"engine": None, "values": {}, "cipher": None})()
    with audit.capture() as records:
        audit.handshake(fake, gskit.GSKError.for_rc(406, "detail"), None)
    assert records[0]["rc"] == 406 and records[0]["local_address"] is None
    assert json.loads((tmp_path / "x.jsonl").read_text())["rc_name"] == "GSK_ERROR_IO"


def test_a_fifo_no_one_reads_is_not_waited_for(tmp_path: Path) -> None:
    """GSKIT_AUDIT_FILE naming a FIFO without a reader: the record goes to the logger, the
    handshake does not wait (before: `gskit demo` hung at its first handshake)."""
    path = tmp_path / "audit.fifo"
    os.mkfifo(path)
    audit.configure(path)
    try:
        with audit.capture() as records:
            writer = threading.Thread(target=audit.handshake, args=(None, gskit.GSKError.for_rc(406, "x"), None),
                                      daemon=True)
            writer.start()
            writer.join(10)
        assert not writer.is_alive()
        assert [r["rc"] for r in records] == [406]
    finally:
        audit.configure(None)


WRITER = textwrap.dedent("""
    import sys, threading
    from gskit import audit
    path, tag = sys.argv[1], sys.argv[2]
    def write(thread):
        for n in range(150):
            audit.append(path, {"entry_type": "SK-X", "writer": f"{tag}-{thread}", "n": n,
                                "secure_information": f"{tag}-{thread}-{n}:" + "x" * 6000})
    threads = [threading.Thread(target=write, args=(t,)) for t in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
""")


def test_concurrent_writers_produce_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"p{n}"]) for n in range(4)]
    try:
        for writer in writers:
            assert writer.wait(DEADLINE * 3) == 0
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 4 * 3 * 150
    for record in records:
        assert record["secure_information"] == f"{record['writer']}-{record['n']}:" + "x" * 6000
    assert {(r["writer"], r["n"]) for r in records} == {(f"p{p}-{t}", n) for p in range(4) for t in range(3)
                                                       for n in range(150)}


def test_concurrent_demo_processes_append_whole_records(tmp_path: Path) -> None:
    import certstore
    certstore.ensure_dev_store()
    path = tmp_path / "audit.jsonl"
    env = {**os.environ, "GSKIT_AUDIT_FILE": str(path)}
    demos = [subprocess.Popen([sys.executable, "-m", "gskit", "demo"], env=env, stdout=subprocess.DEVNULL)
             for _ in range(3)]
    try:
        assert [d.wait(DEADLINE * 3) for d in demos] == [0, 0, 0]
    finally:
        for d in demos:
            if d.poll() is None:
                d.kill()
                d.wait()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 6
    assert sorted(r["role"] for r in records) == ["client"] * 3 + ["server"] * 3
    assert len({r["pid"] for r in records}) == 3


def _ipv6_loopback() -> bool:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_addresses(pki, run_peer) -> None:
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as listener:
        port = listener.getsockname()[1]
        peer = run_peer(python_client("::1", port, pki.ca_pem))
        [record], _ = server_handshake(listener, keyring_file=str(pki.server_ec))
    assert (record["address_family"], record["local_address"], record["local_port"]) == ("IPv6", "::1", port)
    assert (record["remote_address"], record["remote_port"]) == peer.result()[0]
    assert audit.summary(record).startswith(
        f"SK-S IPv6 local [::1]:{port} remote [::1]:{record['remote_port']} server ")


def test_asyncio_handshakes_are_recorded_with_their_endpoints(openssl_server, pki) -> None:
    """gskit.aio starts its handshakes on its own transport: they are audited like the others."""
    import asyncio

    from gskit import aio

    good = openssl_server("-cert", str(pki.server_rsa))
    bad = openssl_server("-cert", str(pki.other_server))

    async def connect(port: int) -> int:
        _, writer = await aio.open_connection("127.0.0.1", port, server_hostname="localhost",
                                              keyring_file=str(pki.ca_pem))
        writer.close()
        return writer.get_extra_info("sockname")[1]

    async def both() -> int:
        local = await asyncio.wait_for(connect(good.port), DEADLINE)
        with pytest.raises(gskit.GSKError):
            await asyncio.wait_for(connect(bad.port), DEADLINE)
        return local

    with audit.capture() as records:
        local_port = asyncio.run(both())
    assert [(r["entry_type"], r["role"], r["remote_port"]) for r in records] == [
        ("SK-S", "client", good.port), ("SK-X", "client", bad.port)]
    assert records[0]["local_port"] == local_port and records[0]["secure_version"] == "TLSv1.3"
    assert records[1]["rc_name"] == "GSK_IBMI_ERROR_NOT_TRUSTED_ROOT"
