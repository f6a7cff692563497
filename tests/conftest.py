"""Shared fixtures: an isolated GSKIT_HOME, a test PKI on disk, real peers on loopback."""
from __future__ import annotations

import datetime
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID

from certstore import _der

DEADLINE = 20.0   # seconds any single peer may take


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test compiled modules older than the source (they would be what runs)."""
    package = Path(__file__).resolve().parent.parent / "gskit"
    shared = sorted(package.glob("_native__mypyc*.so"))
    if not shared:
        return                                 # the pure-Python build: nothing can be stale
    built = shared[0].stat().st_mtime
    sources = [p for pattern in ("*.py", "*.c") for p in package.rglob(pattern)]
    newer = [str(p.relative_to(package.parent)) for p in sources if p.stat().st_mtime > built]
    if newer:
        pytest.exit(f"{newer[0]} is newer than gskit's compiled modules: run `make native` "
                    "(or delete gskit's *.so files to test the pure-Python build)", returncode=4)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own registry (GSKIT_HOME) so nothing touches the user's."""
    monkeypatch.setenv("GSKIT_HOME", str(tmp_path_factory.mktemp("gskit-home")))


def _self_signed(path: Path, name: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))


@dataclass(frozen=True)
class PKI:
    """PEM files (key + chain where there is a key) made fresh for the test session."""

    ca: trustme.CA
    ca_pem: Path
    server_rsa: Path
    server_ec: Path
    client: Path
    expired: Path
    not_yet_valid: Path
    self_signed: Path
    other_ca_pem: Path
    other_server: Path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    d = tmp_path_factory.mktemp("pki")
    ca = trustme.CA(organization_name="gskit test CA")
    other = trustme.CA(organization_name="another CA")
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    issued = {
        "server_rsa.pem": ca.issue_cert("localhost", "127.0.0.1", "::1", key_type=trustme.KeyType.RSA),
        "server_ec.pem": ca.issue_cert("localhost", "127.0.0.1", "::1", key_type=trustme.KeyType.ECDSA),
        "client.pem": ca.issue_cert("client@example.com", common_name="gskit test client"),
        "expired.pem": ca.issue_cert("localhost", "127.0.0.1", not_before=now - 10 * day, not_after=now - day),
        "not_yet_valid.pem": ca.issue_cert("localhost", "127.0.0.1", not_before=now + day, not_after=now + 10 * day),
        "other_server.pem": other.issue_cert("localhost", "127.0.0.1"),
    }
    for name, cert in issued.items():   # a keyring: own key and chain, then the CA it trusts
        cert.private_key_and_cert_chain_pem.write_to_path(str(d / name))
        with open(d / name, "ab") as keyring:
            keyring.write((other if name == "other_server.pem" else ca).cert_pem.bytes())
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other.cert_pem.write_to_path(str(d / "other_ca.pem"))
    _self_signed(d / "self_signed.pem", "localhost")
    return PKI(ca, d / "ca.pem", d / "server_rsa.pem", d / "server_ec.pem", d / "client.pem",
               d / "expired.pem", d / "not_yet_valid.pem", d / "self_signed.pem", d / "other_ca.pem",
               d / "other_server.pem")


def x509_version_2(issuer: trustme.CA, name: str) -> tuple[bytes, bytes]:
    """(key PEM, certificate DER) of a certificate of X.509 version 2 for ``name``, properly
    signed by ``issuer``: OpenSSL accepts and verifies it, cryptography refuses to read it."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key = serialization.load_pem_private_key(issuer.private_key_pem.bytes(), None)
    issuer_name = x509.load_pem_x509_certificate(issuer.cert_pem.bytes()).subject
    now = datetime.datetime.now(datetime.timezone.utc)
    version_3 = (x509.CertificateBuilder()   # no extensions: version 2 has none
                 .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                 .issuer_name(issuer_name).public_key(key.public_key())
                 .serial_number(x509.random_serial_number())
                 .not_valid_before(now - datetime.timedelta(days=1))
                 .not_valid_after(now + datetime.timedelta(days=30))
                 .sign(issuer_key, hashes.SHA256()))  # type: ignore[arg-type]
    tbs = bytearray(version_3.tbs_certificate_bytes)
    at = tbs.index(b"\xa0\x03\x02\x01\x02")     # [0] EXPLICIT INTEGER 2: version 3
    assert at <= 4, "the version is the TBSCertificate's first field"
    tbs[at + 4] = 1                                 # INTEGER 1: version 2
    # Certificate ::= SEQUENCE { TBSCertificate, AlgorithmIdentifier, BIT STRING }
    algorithm = _der.children(_der.decode(version_3.public_bytes(serialization.Encoding.DER))[1])[1][2]
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        signature = issuer_key.sign(bytes(tbs), ec.ECDSA(hashes.SHA256()))
    else:
        signature = issuer_key.sign(bytes(tbs), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    certificate = _der.encode(_der.SEQUENCE, bytes(tbs) + algorithm + _der.encode(_der.BIT_STRING, b"\0" + signature))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()), certificate


@dataclass(frozen=True)
class Version2:
    """Keyrings (key, certificate, CA) whose certificate is X.509 version 2."""

    trusted: Path      # issued by the test CA (``pki.ca``)
    untrusted: Path    # issued by another CA
    der: bytes         # the trusted one's certificate


@pytest.fixture(scope="session")
def version_2(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Version2:
    folder = tmp_path_factory.mktemp("version-2")
    ders = []
    for file_name, issuer in (("trusted.pem", pki.ca), ("untrusted.pem", trustme.CA())):
        key, der = x509_version_2(issuer, "localhost")
        pem = ssl.DER_cert_to_PEM_cert(der).encode()
        (folder / file_name).write_bytes(key + pem + issuer.cert_pem.bytes())
        ders.append(der)
    return Version2(folder / "trusted.pem", folder / "untrusted.pem", ders[0])


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user may enter (pytest's are private): there, only a file's own
    permissions decide whether ``without_root`` reads it."""
    folder = Path(tempfile.mkdtemp(prefix="gskit-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def without_root(call: Callable[[], int]) -> int:
    """``call()``'s result, run as the running user, or as nobody in a forked child when
    the tests run as root (root reads a file whatever its permissions)."""
    if os.geteuid() != 0:
        return call()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, str(call()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return int(text) if text else -1


@pytest.fixture
def port() -> Iterator[int]:
    """A completion port, destroyed after the test."""
    from gskit.compat import qso

    number = qso.QsoCreateIOCompletionPort()
    assert number >= 0
    yield number
    qso.QsoDestroyIOCompletionPort(number)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 with an ephemeral port."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(DEADLINE)
    yield sock
    sock.close()


def connect(port: int) -> socket.socket:
    """A blocking client socket (TCP_NODELAY) connected to 127.0.0.1:port."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class PeerThread(threading.Thread):
    """Runs ``target`` in a daemon thread and re-raises its exception on ``result()``."""

    def __init__(self, target: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self._target_fn = target
        self.value: object = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.value = self._target_fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def result(self, timeout: float = DEADLINE) -> object:
        self.join(timeout)
        assert not self.is_alive(), "peer thread did not finish in time"
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture
def run_peer() -> Callable[[Callable[[], object]], PeerThread]:
    return PeerThread


class OpenSSLServer:
    """``openssl s_server`` on a free loopback port; killed on teardown."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:0", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = 0
        assert self.proc.stdout is not None
        lines = []
        timer = threading.Timer(DEADLINE, self.proc.kill)
        timer.start()
        try:
            for line in self.proc.stdout:
                lines.append(line)
                match = re.match(r"ACCEPT .*:(\d+)", line)
                if match:
                    self.port = int(match.group(1))
                    break
        finally:
            timer.cancel()
        assert self.port, f"s_server did not start: {''.join(lines)}"

    def output(self) -> str:
        """Everything it printed after ACCEPT, once it has exited (kill after the deadline)."""
        try:
            out, _ = self.proc.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


@pytest.fixture
def openssl_server() -> Iterator[Callable[..., OpenSSLServer]]:
    servers: list[OpenSSLServer] = []

    def start(*args: str) -> OpenSSLServer:
        server = OpenSSLServer(list(args))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
