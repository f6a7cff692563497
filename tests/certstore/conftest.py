"""Shared fixtures: a private GSKIT_HOME per test, development certificates, IBM fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certstore import Entry, make_dev_certificates

IBM_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "kdb"
if not IBM_FIXTURES.is_dir():
    IBM_FIXTURES = Path("/work/shared/fixtures/kdb")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own registry folder."""
    folder = tmp_path / "gskit-home"
    monkeypatch.setenv("GSKIT_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def dev():
    """One development CA with RSA/ECDSA server certificates and a client certificate."""
    return make_dev_certificates()


@pytest.fixture
def ibm() -> Path:
    """The folder of real IBM-written .kdb/.sth files; the test is skipped without it."""
    if not (IBM_FIXTURES / "bank.kdb").exists():
        pytest.skip("the IBM .kdb fixtures are not present")
    return IBM_FIXTURES


@pytest.fixture(scope="session")
def damaged():
    """A factory of certificates damaged where cryptography parses late (see :func:`_damaged`)."""
    return _damaged


def _damaged(cert: x509.Certificate, part: str) -> x509.Certificate:
    """``cert`` (one with a ``localhost`` DNS name) with one byte of its ``subject``,
    ``issuer`` or ``extension`` (the DNS name) made invalid: it still loads, because
    cryptography parses those parts only when they are first used."""
    der = cert.public_bytes(serialization.Encoding.DER)
    if part == "extension":
        bad = der.replace(b"\x82\x09localhost", b"\x82\x09l\xffcalhost", 1)  # not IA5 text
    else:  # the last byte of the name's last value: 0xff is no PrintableString or UTF-8 text
        name = (cert.subject if part == "subject" else cert.issuer).public_bytes()
        end = (der.rindex if part == "subject" else der.index)(name) + len(name)
        bad = der[: end - 1] + b"\xff" + der[end:]
    assert bad != der
    return x509.load_der_x509_certificate(bad)


@pytest.fixture(scope="session")
def self_signed():
    """A factory of self-signed EC certificates with keys (see :func:`_self_signed`)."""
    return _self_signed


def _self_signed(label: str, *, days_from: int = -1, days_to: int = 30, ca: bool = False) -> Entry:
    """A self-signed EC certificate with its key, valid from/to the given day offsets."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, label)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days_from))
        .not_valid_after(now + dt.timedelta(days=days_to))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Entry(label, cert, key)
