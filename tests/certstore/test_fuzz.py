"""Damaged keystores of every format give a KeystoreError, never another exception."""

from __future__ import annotations

import base64
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certstore import KeystoreError, encode_keystore, open_keystore
from gskit import errors as rc

EXPECTED = {
    rc.GSK_KEYRING_OPEN_ERROR,
    rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
    rc.GSK_NO_KEYFILE_PASSWORD,
}


@pytest.fixture(scope="module")
def samples(dev):
    return {
        fmt: encode_keystore([dev.entries[0], dev.entries[2]], "pw", fmt)
        for fmt in ("kdb", "pkcs12", "pem")
    }


def _open_bytes(data: bytes, password: str | None, tmp_path) -> None:
    path = tmp_path / "fuzzed"
    path.write_bytes(data)
    try:
        open_keystore(path, password, require_password=password is not None)
    except KeystoreError as exc:
        assert exc.rc in EXPECTED, exc
        assert str(exc).endswith(".")
        assert "ParseError" not in str(exc), exc       # a sentence, not cryptography's parser state


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(["kdb", "pkcs12", "pem"]),
    data=st.data(),
    password=st.sampled_from(["pw", None]),
)
def test_mutations(samples, tmp_path, fmt, data, password):
    original = bytearray(samples[fmt])
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(original) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    _open_bytes(bytes(original[:cut] if data.draw(st.booleans()) else original), password, tmp_path)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(
        [b"", b"7H\x04\x02\0\0\0\0X509KEY\0", b"0\x82", b"-----BEGIN CERTIFICATE-----\n"]
    ),
    tail=st.binary(max_size=400),
)
def test_random_bytes(tmp_path, prefix, tail):
    _open_bytes(prefix + tail, "pw", tmp_path)


@pytest.mark.parametrize("fmt", ["pem", "pkcs12"])
def test_a_certificate_with_an_unknown_key_type_is_a_damaged_file(dev, tmp_path, fmt):
    """cryptography parses a certificate's public key lazily: a key algorithm it does not
    know must make opening the file fail, not a later listing or handshake (found by
    test_mutations)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, pkcs12

    der = dev.entries[0].certificate.public_bytes(Encoding.DER)
    rsa_encryption = bytes.fromhex("06092a864886f70d010101")
    assert der.count(rsa_encryption) == 1
    mutated = der.replace(rsa_encryption, bytes.fromhex("06092a864886f70d01017f"))
    path = tmp_path / f"unknown-key.{fmt}"
    if fmt == "pem":
        body = base64.encodebytes(mutated).decode()
        path.write_text(f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
    else:
        cert = x509.load_der_x509_certificate(mutated)
        path.write_bytes(pkcs12.serialize_key_and_certificates(None, None, None, [cert], NoEncryption()))
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, None)
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "a public key of an unknown type" in str(info.value)


@pytest.mark.parametrize("fmt", ["pem", "pkcs12", "kdb"])
def test_a_certificate_of_x509_version_2_makes_the_file_unusable(dev, version_2, tmp_path, fmt):
    """cryptography refuses to read X.509 version 2, which OpenSSL accepts: opening must
    answer GSK_KEYRING_OPEN_ERROR naming the version, not raise cryptography's
    InvalidVersion (found by test_mutations)."""
    path = tmp_path / f"version-2.{fmt}"
    password = None
    if fmt == "pem":
        path.write_bytes(version_2.trusted.read_bytes())
    elif fmt == "pkcs12":
        password = "pw"
        subprocess.run(["openssl", "pkcs12", "-export", "-in", str(version_2.trusted), "-out", str(path),
                        "-passout", "pass:pw"], check=True, capture_output=True)
    else:  # the listing of a .kdb, which reads its records without the password
        kdb = bytearray(encode_keystore([dev.entries[0]], "pw", "kdb"))
        at = kdb.index(b"\xa0\x03\x02\x01\x02")  # the certificate's version: 3
        kdb[at + 4] = 1
        path.write_bytes(kdb)
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, password, require_password=password is not None)
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "a certificate is X.509 version 2; gskit reads versions 1 and 3 only" in str(info.value)
