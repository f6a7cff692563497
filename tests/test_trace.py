"""The call trace (secrets masked, rc, errno, duration) and the opt-in TLS key log."""
from __future__ import annotations

import errno
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest
from OpenSSL import SSL
from OpenSSL._util import ffi, lib

import gskit
from gskit import trace

DEADLINE = 20


@pytest.fixture
def traced() -> Iterator[list[str]]:
    """Tracing on, its lines collected; off again afterwards."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("gskit.trace")
    logger.addHandler(handler)
    trace.enable()
    yield lines
    trace.disable()
    logger.removeHandler(handler)


def test_compat_calls_are_wrapped_cheaply() -> None:
    from gskit.compat import gsk, qso
    assert gskit.gsk_environment_open.__wrapped__ is gsk.gsk_environment_open  # type: ignore[attr-defined]
    assert gskit.QsoStartRecv.__wrapped__ is qso.QsoStartRecv  # type: ignore[attr-defined]
    assert gskit.Qso_OverlappedIO_t is __import__("gskit.compat.structs").compat.structs.Qso_OverlappedIO_t
    assert not trace.is_enabled()


def test_passwords_are_masked_in_arguments_and_results(traced: list[str]) -> None:
    gskit.set_errno(0)          # errno is per thread: an earlier test may have left one
    rc, env = gskit.gsk_environment_open()
    assert rc == 0
    assert gskit.gsk_attribute_set_buffer(env, gskit.GSK_KEYRING_PW, "hunter2-secret") == 0
    assert gskit.gsk_attribute_set_buffer(env, gskit.GSK_LDAP_USER_PW, b"ldap-secret", 11) == 0
    assert gskit.gsk_attribute_set_buffer(env, gskit.GSK_KEYRING_FILE, "/tmp/store.kdb") == 0
    gskit.gsk_attribute_get_buffer(env, gskit.GSK_KEYRING_PW)
    gskit.gsk_environment_close(env)
    rc, env = gskit.gsk_environment_open()
    assert gskit.gsk_attribute_set_buffer(env, value="hunter2-by-keyword", buf_id=gskit.GSK_KEYRING_PW) == 0
    gskit.gsk_environment_close(env)
    text = "\n".join(traced)
    assert "buf_id=GSK_KEYRING_PW(202)) -> rc=0" in traced[-2] and "value='****'" in traced[-2]
    assert "hunter2" not in text and "ldap-secret" not in text
    handle = re.escape(traced[0].split("out=(")[1].split(")")[0])
    assert re.fullmatch(r"gsk_environment_open\(\) -> rc=0 out=\(<Environment@[0-9a-f]+>\) errno=0 \d+\.\d{3}ms",
                        traced[0])
    assert re.fullmatch(rf"gsk_attribute_set_buffer\(handle={handle}, buf_id=GSK_KEYRING_PW\(202\), "
                        r"value='\*\*\*\*'\) -> rc=0 errno=0 \d+\.\d{3}ms", traced[1])
    assert "buf_id=GSK_LDAP_USER_PW(211), value='****', size='****') -> rc=0" in traced[2]  # not its length
    assert "buf_id=GSK_KEYRING_FILE(201), value='/tmp/store.kdb') -> rc=0" in traced[3]
    assert traced[4].startswith(f"gsk_attribute_get_buffer(handle={traced[0].split('out=(')[1].split(')')[0]}, "
                                "buf_id=GSK_KEYRING_PW(202)) -> rc=")
    assert "out=('****')" in traced[4] or "out=(None)" in traced[4]


def test_handles_never_show_a_password_in_their_values() -> None:
    env = gskit.Environment(keyring_file="store.p12", keyring_password="hunter2-secret")
    try:
        fields = {name: getattr(env, name, None) for name in dir(env) if not name.startswith("__")}
        shown = repr(env.values) + repr(fields)     # (a compiled handle has no ``vars()``)
        assert "hunter2" not in shown and "store.p12" in shown and "'****'" in shown
    finally:
        env.close()


def test_data_buffers_show_only_their_length(traced: list[str], openssl_server, pki) -> None:
    peer = openssl_server("-cert", str(pki.server_rsa), "-rev")        # -rev: echoes each line reversed
    rc, env = gskit.gsk_environment_open()
    gskit.gsk_attribute_set_buffer(env, gskit.GSK_KEYRING_FILE, str(pki.ca_pem))
    assert gskit.gsk_environment_init(env) == 0
    with socket.create_connection(("127.0.0.1", peer.port), timeout=DEADLINE) as sock:
        sock.settimeout(None)
        rc, session = gskit.gsk_secure_soc_open(env)
        gskit.gsk_attribute_set_numeric_value(session, gskit.GSK_FD, sock.fileno())
        assert gskit.gsk_secure_soc_init(session) == 0
        assert gskit.gsk_secure_soc_write(session, b"TOPSECRETDATA\n") == (0, 14)
        buffer = bytearray(100)
        got = b""
        while b"\n" not in got:
            rc, n = gskit.gsk_secure_soc_read(session, buffer)
            assert rc == 0 and n > 0
            got += bytes(buffer[:n])
        assert got.strip() == b"ATADTERCESPOT"
        port = gskit.QsoCreateIOCompletionPort()
        io = gskit.Qso_OverlappedIO_t(descriptorHandle=session, buffer=b"MORESECRET\n", bufferLength=11)
        gskit.gsk_secure_soc_startSend(session, port, io)
        gskit.gsk_secure_soc_close(session)
        gskit.QsoDestroyIOCompletionPort(port)
    gskit.gsk_environment_close(env)
    text = "\n".join(traced)
    assert "SECRET" not in text and "ATADTERCES" not in text
    assert any(re.search(r"gsk_secure_soc_write\(session=<Session@[0-9a-f]+>, data=<14 bytes>\) -> rc=0 out=\(14\) "
                         r"errno=0 \d+\.\d{3}ms", line) for line in traced)
    assert any(re.search(r"gsk_secure_soc_read\(session=<Session@[0-9a-f]+>, buffer=<100 bytes>\) -> rc=0 out=\(\d+\)",
                         line) for line in traced)
    assert any("gsk_secure_soc_startSend(" in line and "buffer=<11 bytes>, bufferLength=11" in line for line in traced)


def test_errno_and_failing_return_codes_are_traced(traced: list[str]) -> None:
    port = gskit.QsoCreateIOCompletionPort()
    assert gskit.QsoWaitForIOCompletion(port, gskit.Qso_OverlappedIO_t(), 0) == -1
    gskit.QsoDestroyIOCompletionPort(port)
    assert gskit.gsk_secure_soc_close(None) == gskit.GSK_INVALID_HANDLE
    wait = next(line for line in traced if line.startswith("QsoWaitForIOCompletion("))
    assert re.search(rf"timeout=0\) -> rc=-1 errno={errno.ETIME} \d+\.\d{{3}}ms$", wait)
    assert re.fullmatch(rf"gsk_secure_soc_close\(session=None\) -> rc={gskit.GSK_INVALID_HANDLE} errno=\d+ "
                        r"\d+\.\d{3}ms", traced[-1])


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("GSKIT_TRACE", "GSKIT_KEYLOG_FILE")}
    return subprocess.run([sys.executable, "-c", code], env={**full, **env}, capture_output=True, text=True,
                          timeout=DEADLINE)


def test_off_by_default_and_on_with_the_environment_variable() -> None:
    code = "import gskit, gskit.trace; print(gskit.trace.is_enabled()); gskit.gsk_environment_open()"
    off = _python(code)
    assert (off.returncode, off.stdout, off.stderr) == (0, "False\n", "")
    on = _python(code, GSKIT_TRACE="1")
    assert (on.returncode, on.stdout) == (0, "True\n")
    assert re.search(r"gskit\.trace gsk_environment_open\(\) -> rc=0 out=\(<Environment@[0-9a-f]+>\) errno=0 "
                     r"\d+\.\d{3}ms\n$", on.stderr)
    assert _python(code, GSKIT_TRACE="0").stderr == ""


def test_keylog_is_off_by_default() -> None:
    assert os.environ.get("GSKIT_KEYLOG_FILE") is None
    assert trace.keylog_callback() is None


def test_keylog_writes_nss_lines_and_warns_loudly(tmp_path: Path, openssl_server, pki, capsys) -> None:
    path = tmp_path / "keys.log"
    trace.enable_keylog(path)
    try:
        assert "WARNING: the TLS key log is ON" in capsys.readouterr().err
        callback = trace.keylog_callback()
        assert callback is not None
        peer = openssl_server("-cert", str(pki.server_rsa))
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        trace.install_keylog(ctx)
        with socket.create_connection(("127.0.0.1", peer.port), timeout=DEADLINE) as sock:
            sock.settimeout(None)
            conn = SSL.Connection(ctx, sock)
            conn.set_connect_state()
            conn.do_handshake()
            client_random = conn.client_random().hex()
            conn.shutdown()
    finally:
        trace.enable_keylog(None)
    lines = path.read_text().splitlines()
    labels = sorted(line.split()[0] for line in lines)
    assert labels == sorted(["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                             "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"])
    assert all(line.split()[1] == client_random for line in lines)
    assert path.stat().st_mode & 0o777 == 0o600
    assert trace.keylog_callback() is None


def test_keylog_never_writes_secrets_into_a_file_others_can_read(tmp_path: Path, capsys) -> None:
    """A key log file that exists already open to others (made by hand, 0644) gets nothing,
    and the user is told why, once; once made private it is written."""
    path = tmp_path / "keys.log"
    path.touch()
    path.chmod(0o644)
    trace.enable_keylog(path)
    try:
        callback = trace.keylog_callback()
        assert callback is not None
        callback(b"CLIENT_RANDOM 00 11")
        callback(b"CLIENT_RANDOM 22 33")
        assert path.read_bytes() == b""
        err = capsys.readouterr().err
        assert err.count(f"gskit: the TLS key log {path} is open to other users (mode 0644): "
                         "no secrets are written to it") == 1
        path.chmod(0o600)
        callback(b"CLIENT_RANDOM 44 55")
        assert path.read_bytes() == b"CLIENT_RANDOM 44 55\n"
    finally:
        trace.enable_keylog(None)


def test_keylog_to_a_fifo_no_one_reads_warns_and_never_waits(tmp_path: Path, capsys) -> None:
    """Before, the first handshake waited for a reader for ever (`gskit demo` hung)."""
    path = tmp_path / "keys.fifo"
    os.mkfifo(path)
    trace.enable_keylog(path)
    try:
        callback = trace.keylog_callback()
        assert callback is not None
        writer = threading.Thread(target=lambda: (callback(b"CLIENT_RANDOM 00 11"), callback(b"CLIENT_RANDOM 22 33")),
                                  daemon=True)
        writer.start()
        writer.join(10)
        assert not writer.is_alive()
        assert capsys.readouterr().err.count(
            f"gskit: could not write the TLS key log {path} (No such device or address).") == 1
    finally:
        trace.enable_keylog(None)


def test_keylog_from_the_environment_variable(tmp_path: Path) -> None:
    result = _python("from gskit import trace; print(trace.keylog_callback() is not None)",
                     GSKIT_KEYLOG_FILE=str(tmp_path / "k.log"))
    assert result.stdout == "True\n"
    assert result.stderr.startswith("gskit: WARNING: the TLS key log is ON: the secrets of every TLS connection "
                                    f"are written to {tmp_path / 'k.log'}")


def test_gskit_handshakes_reach_the_keylog_once_the_context_hook_is_in(tmp_path: Path, openssl_server, pki) -> None:
    from gskit.engine import context
    if "install_keylog" not in Path(context.__file__).read_text():
        pytest.skip("gskit/engine/context.py does not call trace.install_keylog(ctx) yet")
    path = tmp_path / "keys.log"
    trace.enable_keylog(path)
    try:
        peer = openssl_server("-cert", str(pki.server_rsa))
        with gskit.Environment(session_type="client", keyring_file=str(pki.ca_pem)) as env, \
                socket.create_connection(("127.0.0.1", peer.port), timeout=DEADLINE) as sock:
            sock.settimeout(None)
            with env.open_session(fd=sock, server_name="localhost") as session:
                session.handshake()
                random = ffi.new("unsigned char[]", 32)
                lib.SSL_get_client_random(session.engine.ssl, random, 32)  # type: ignore[union-attr]
                client_random = bytes(random).hex()
    finally:
        trace.enable_keylog(None)
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and all(line.split()[1] == client_random for line in lines)
