"""Real TLS handshakes over loopback with credentials found by resolve()."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from certstore import Credentials, ensure_dev_store, resolve, save_keystore, write_stash
from certstore import devstore

TIMEOUT = 10


def _context(
    creds: Credentials, folder: Path, server: bool, require_client: bool = False
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    for n, ident in enumerate(creds.identities):
        cert = folder / f"{'s' if server else 'c'}{n}.pem"
        key = folder / f"{'s' if server else 'c'}{n}.key"
        cert.write_bytes(
            b"".join(
                c.public_bytes(serialization.Encoding.PEM)
                for c in (ident.certificate, *ident.chain)
            )
        )
        key.write_bytes(
            ident.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx.load_cert_chain(cert, key)
    if creds.trusted:
        ctx.load_verify_locations(
            cadata="".join(
                c.public_bytes(serialization.Encoding.PEM).decode() for c in creds.trusted
            )
        )
    elif creds.use_system_trust:
        ctx.load_default_certs()
    if server and require_client:
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def handshake(
    server_creds: Credentials, client_creds: Credentials, folder: Path, require_client: bool = False
):
    """One handshake and an echo: (version, server certificate DER, what the server saw)."""
    server_ctx = _context(server_creds, folder, True, require_client)
    client_ctx = _context(client_creds, folder, False)
    seen: dict[str, object] = {}
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                seen["client_cert"] = tls.getpeercert(binary_form=True)
                tls.sendall(tls.recv(5))
        except (OSError, ssl.SSLError) as exc:
            seen["error"] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        raw = socket.create_connection(listener.getsockname(), timeout=TIMEOUT)
        with raw, client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"hello")
            assert tls.recv(5) == b"hello"
            return tls.version(), tls.getpeercert(binary_form=True), seen
    finally:
        thread.join(TIMEOUT)
        listener.close()
        assert not thread.is_alive()


def _der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def test_by_application_id_with_client_authentication(tmp_path):
    ensure_dev_store()
    server = resolve(application_id=devstore.DEMO_SERVER, role="server")
    client = resolve(application_id=devstore.DEMO_CLIENT, role="client")
    version, server_cert, seen = handshake(server, client, tmp_path, require_client=True)
    assert version == "TLSv1.3"
    assert server_cert in {_der(i.certificate) for i in server.identities}
    assert seen["client_cert"] == _der(client.identities[0].certificate)


def test_by_pkcs12_keyring_and_label(tmp_path, dev):
    p12 = save_keystore(tmp_path / "server.p12", [dev.entries[2], dev.entries[0]], "pw")
    trust = save_keystore(tmp_path / "trust.pem", [dev.entries[0]], None)
    server = resolve(
        keyring_file=str(p12), password="pw", labels=["gskit-dev-server-ecdsa"], role="server"
    )
    client = resolve(keyring_file=str(trust))
    version, server_cert, _ = handshake(server, client, tmp_path)
    assert version == "TLSv1.3" and server_cert == _der(dev.entries[2].certificate)


def test_by_kdb_and_stash(tmp_path, dev):
    store = save_keystore(tmp_path / "key.kdb", list(dev.entries), "kdb-pw")
    sth = write_stash(tmp_path / "key.sth", "kdb-pw")
    server = resolve(
        keyring_file=str(store), stash_file=str(sth), labels=["gskit-dev-server-rsa"], role="server"
    )
    client = resolve(keyring_file=str(store), stash_file=str(sth), labels=["gskit-dev-client"])
    version, server_cert, seen = handshake(server, client, tmp_path, require_client=True)
    assert version == "TLSv1.3" and server_cert == _der(dev.entries[1].certificate)
    assert seen["client_cert"] == _der(dev.entries[3].certificate)


def test_by_system_store(tmp_path):
    ensure_dev_store()
    server = resolve(keyring_file="*SYSTEM", labels=[devstore.SERVER_ECDSA_LABEL], role="server")
    client = resolve(keyring_file="*SYSTEM")
    version, server_cert, _ = handshake(server, client, tmp_path)
    assert version == "TLSv1.3" and server_cert == _der(server.identities[0].certificate)


def test_client_with_only_system_trust_rejects_the_dev_ca(tmp_path):
    ensure_dev_store()
    server = resolve(application_id=devstore.DEMO_SERVER, role="server")
    client = resolve()
    assert client.use_system_trust
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(server, client, tmp_path)


def test_openssl_s_client_trusts_the_dev_ca_file(tmp_path, home):
    """A real peer (openssl s_client) verifies the *SYSTEM server with the exported dev-ca.pem."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    ensure_dev_store()
    server = resolve(application_id=devstore.DEMO_SERVER, role="server")
    ctx = _context(server, tmp_path, True)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)
    port = listener.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(TIMEOUT)
            with ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"bye\n")
                tls.recv(1)  # wait for the client to finish and close first
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        proc = subprocess.run(
            [
                "openssl",
                "s_client",
                "-connect",
                f"127.0.0.1:{port}",
                "-CAfile",
                str(home / "dev-ca.pem"),
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-sigalgs",
                "ECDSA+SHA256",
            ],
            input=b"",
            capture_output=True,
            timeout=TIMEOUT,
        )
    finally:
        thread.join(TIMEOUT)
        listener.close()
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, out + proc.stderr.decode(errors="replace")
    assert "Verify return code: 0 (ok)" in out
    assert "Peer signature type: ECDSA" in out  # the ECDSA certificate of the two was chosen
