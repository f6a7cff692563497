"""PKCS#12 and PEM keystores, format sniffing and unreadable files."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certstore import Entry, KeystoreError, open_keystore, save_keystore
from gskit import errors as rc
from tests.conftest import without_root


def _p12(tmp_path, dev, name="s.p12", password=b"pw", friendly=b"my server"):
    server, ca = dev.entries[1], dev.entries[0]
    enc = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        friendly, server.private_key, server.certificate, [ca.certificate], enc
    )
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pkcs12_label_is_the_friendly_name(tmp_path, dev):
    store = open_keystore(_p12(tmp_path, dev), "pw")
    assert store.format == "pkcs12"
    assert store.labels()[0] == "my server"
    identity = store.identity("my server")
    assert identity.certificate == dev.entries[1].certificate
    assert store.trusted_certificates() == (dev.ca,)


def test_pkcs12_without_friendly_name_uses_the_cn(tmp_path, dev):
    store = open_keystore(_p12(tmp_path, dev, friendly=None), "pw")
    assert store.labels()[0] == "localhost"


def test_pkcs12_without_password(tmp_path, dev):
    path = _p12(tmp_path, dev, password=None)
    assert open_keystore(path).get("my server").private_key is not None
    assert open_keystore(path, "given anyway").get("my server").private_key is not None


@pytest.mark.parametrize(
    "password, code",
    [("nope", rc.GSK_ERROR_BAD_KEYFILE_PASSWORD), (None, rc.GSK_NO_KEYFILE_PASSWORD)],
)
def test_pkcs12_password_errors(tmp_path, dev, password, code):
    with pytest.raises(KeystoreError) as info:
        open_keystore(_p12(tmp_path, dev), password)
    assert info.value.rc == code


def test_pkcs12_damaged(tmp_path, dev):
    path = _p12(tmp_path, dev)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, "pw")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


def test_pkcs12_written_here_reads_back_with_labels(tmp_path, dev):
    entries = [dev.entries[1], dev.entries[0]]
    path = save_keystore(tmp_path / "w.p12", entries, "pw")
    store = open_keystore(path, "pw")
    assert store.labels() == ["gskit-dev-server-rsa", "gskit-dev-ca"]
    with pytest.raises(KeystoreError):
        save_keystore(tmp_path / "two.p12", list(dev.entries), "pw")  # two keys: use a .kdb
    assert not (tmp_path / "two.p12").exists()


def test_pem_labels_from_friendly_name_label_line_or_cn(tmp_path, dev):
    server, ca = dev.entries[1], dev.entries[0]
    key_pem = server.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    text = (
        b"Bag Attributes\n    friendlyName: web\n"
        + server.certificate.public_bytes(serialization.Encoding.PEM)
        + key_pem
        + b"label: root\n"
        + ca.certificate.public_bytes(serialization.Encoding.PEM)
        + dev.entries[3].certificate.public_bytes(serialization.Encoding.PEM)
    )
    (tmp_path / "s.pem").write_bytes(text)
    store = open_keystore(tmp_path / "s.pem")
    assert store.format == "pem"
    assert store.labels() == ["web", "root", "gskit development client"]
    assert store.get("web").private_key is not None
    assert store.get("gskit development client").private_key is None
    assert store.identity("web").certificate == server.certificate


def test_pem_encrypted_key(tmp_path, dev):
    path = save_keystore(tmp_path / "e.pem", [dev.entries[2]], "pw")
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert open_keystore(path, "pw").get("gskit-dev-server-ecdsa").private_key is not None
    for password, code in (
        (None, rc.GSK_NO_KEYFILE_PASSWORD),
        ("bad", rc.GSK_ERROR_BAD_KEYFILE_PASSWORD),
    ):
        with pytest.raises(KeystoreError) as info:
            open_keystore(path, password)
        assert info.value.rc == code


def test_pem_without_certificate(tmp_path, dev):
    key = dev.entries[1].private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "k.pem").write_bytes(key)
    with pytest.raises(KeystoreError) as info:
        open_keystore(tmp_path / "k.pem")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


def test_unknown_content_directory_and_missing(tmp_path):
    (tmp_path / "x.p12").write_bytes(os.urandom(300))
    (tmp_path / "dir.kdb").mkdir()
    for path in (tmp_path / "x.p12", tmp_path / "dir.kdb", tmp_path / "missing.kdb"):
        with pytest.raises(KeystoreError) as info:
            open_keystore(path, "pw")
        assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR
        assert str(path) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX permissions")
def test_permission_denied(open_folder, dev):
    path = save_keystore(open_folder / "locked.kdb", list(dev.entries), "pw")

    def open_rc() -> int:
        try:
            open_keystore(path, "pw")
        except KeystoreError as exc:
            return exc.rc
        return rc.GSK_OK

    path.chmod(0o644)
    assert without_root(open_rc) == rc.GSK_OK
    path.chmod(0)
    try:
        assert without_root(open_rc) == rc.GSK_IBMI_ERROR_NO_ACCESS
    finally:
        path.chmod(0o600)


def test_entry_without_key_and_expired(tmp_path, self_signed):
    old = self_signed("old", days_from=-30, days_to=-1)
    young = self_signed("young", days_from=2, days_to=30)
    bare = Entry("bare", self_signed("bare").certificate, None)
    path = save_keystore(tmp_path / "m.kdb", [old, young, bare], "pw")
    store = open_keystore(path, "pw")
    for label, code in (
        ("old", rc.GSK_KEYFILE_CERT_EXPIRED),
        ("young", rc.GSK_KEYFILE_CERT_EXPIRED),
        ("bare", rc.GSK_ERROR_NO_PRIVATE_KEY),
        ("none", rc.GSK_ERROR_BAD_KEYFILE_LABEL),
    ):
        with pytest.raises(KeystoreError) as info:
            store.identity(label)
        assert info.value.rc == code


@pytest.mark.parametrize("password", ["pw-é😀", None])
def test_empty_pkcs12_is_written_and_read_back(tmp_path, password):
    path = save_keystore(tmp_path / "empty.p12", [], password)
    store = open_keystore(path, password)
    assert (store.format, store.entries) == ("pkcs12", [])
    bundle = pkcs12.load_pkcs12(path.read_bytes(), password.encode() if password else None)
    assert (bundle.key, bundle.cert, bundle.additional_certs) == (None, None, [])
    if password:  # the MAC is keyed with the password: a wrong one or none is refused
        for wrong, code in (("nope", rc.GSK_ERROR_BAD_KEYFILE_PASSWORD), (None, rc.GSK_NO_KEYFILE_PASSWORD)):
            with pytest.raises(KeystoreError) as info:
                open_keystore(path, wrong)
            assert info.value.rc == code
    else:  # nothing to protect: it opens whatever password is given, like any such file
        assert open_keystore(path, "given anyway").entries == []


def test_pkcs12_store_can_lose_its_last_entry_and_take_one_again(tmp_path, dev):
    path = save_keystore(tmp_path / "one.p12", [dev.entries[1]], "pw")
    save_keystore(path, [], "pw")
    assert open_keystore(path, "pw").entries == []
    save_keystore(path, [dev.entries[2]], "pw")
    assert open_keystore(path, "pw").labels() == ["gskit-dev-server-ecdsa"]


def test_a_failed_write_names_the_file_not_its_temporary(tmp_path):
    from certstore.files import atomic_write

    target = tmp_path / "no-such-folder" / "out.p12"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(target, b"data")
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)
