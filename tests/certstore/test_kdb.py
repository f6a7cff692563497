"""CMS .kdb reader and writer: IBM's files, the published layout byte by byte, damage."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import warnings

import pytest
from cryptography.hazmat.primitives import serialization

from certstore import Entry, KeystoreError, encode_keystore, open_keystore, save_keystore
from certstore import _der, kdb
from gskit import errors as rc


def _public(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# ---------------------------------------------------------------- IBM-written files


def test_ibm_v3_file_verifies_with_its_stash(ibm):
    store = open_keystore(ibm / "bank.kdb", stash_file=ibm / "bank.sth")
    assert store.format == "kdb" and store.verified and store.entries == []


def test_ibm_v3_file_wrong_password(ibm):
    with pytest.raises(KeystoreError) as info:
        open_keystore(ibm / "bank.kdb", password="1234")
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD


@pytest.mark.parametrize(
    "name, label, has_key_record, subject_cn",
    [("claro", "AD Root CA", False, "Zanetti"), ("plugin", "default", True, "localhost")],
)
def test_ibm_v4_files_list_without_password(ibm, name, label, has_key_record, subject_cn):
    data = (ibm / f"{name}.kdb").read_bytes()
    parsed = kdb.parse(data, None)
    assert (parsed.version, parsed.kind, parsed.slot_size, parsed.verified) == (
        4,
        "key",
        5000,
        False,
    )
    (entry,) = parsed.entries
    assert entry.label == label
    assert (
        entry.certificate.subject.get_attributes_for_oid(
            __import__("cryptography.x509", fromlist=["NameOID"]).NameOID.COMMON_NAME
        )[0].value
        == subject_cn
    )
    assert entry.private_key is None and entry.key_locked is has_key_record  # not decrypted
    assert entry.trusted is (not has_key_record)
    # the record's DER really is a key pair record in plugin.kdb
    assert data[0x58 + 12 + 4 + 2 + 1] == (kdb.TAG_KEYPAIR if has_key_record else kdb.TAG_CERT)


def test_ibm_certificate_record_is_reproduced_byte_for_byte(ibm):
    data = (ibm / "claro.kdb").read_bytes()
    (entry,) = kdb.parse(data, None).entries
    record = kdb.encode_record(1, entry, b"any")  # a certificate record holds nothing secret
    assert data[0x58 : 0x58 + len(record)] == record
    assert not any(data[0x58 + len(record) :])
    built = kdb.build([entry], "pw")
    assert built[:0x18] == data[:0x18]  # magic, version 04, kind 02, type string, slot, count
    assert len(built) == len(data) == 0x58 + 5000


def test_ibm_key_record_hash_trailer_is_reproduced(ibm):
    data = (ibm / "plugin.kdb").read_bytes()
    (entry,) = kdb.parse(data, None).entries
    slot = data[0x58:]
    der_len = struct.unpack(">I", slot[8:12])[0]
    pos = 12 + der_len
    label_len = struct.unpack(">I", slot[pos : pos + 4])[0]
    pos += 4 + label_len + 4
    trailer = b"".join(struct.pack(">I", 20) + h for h in kdb._hashes(entry.certificate))
    assert slot[pos : pos + len(trailer)] == trailer


# The passwords of the two version-04 files: plugin.kdb's is the Liberty keystore password in
# the same public repository's keystore.xml (it decrypts the file's private key); claro.kdb's
# was found with a five-letter dictionary search against its verifier.
IBM_PASSWORDS = {"claro": "senha", "plugin": "1qaz2wsx"}


def test_ibm_v4_files_verify_with_their_passwords(ibm):
    claro = open_keystore(ibm / "claro.kdb", IBM_PASSWORDS["claro"])
    assert claro.verified and claro.trusted_certificates() == (claro.get("AD Root CA").certificate,)
    plugin = open_keystore(ibm / "plugin.kdb", IBM_PASSWORDS["plugin"])
    identity = plugin.get("default")
    assert identity.private_key.key_size == 2048  # IBM's pbeWithSHAAnd3-KeyTripleDES-CBC key
    assert _public(identity.private_key) == identity.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert plugin.default_label() == "default"


def test_ibm_v4_verifier_and_mac_are_the_published_hmacs(ibm):
    for name, password in IBM_PASSWORDS.items():
        data = (ibm / f"{name}.kdb").read_bytes()
        secret = password.encode()
        assert data[0x30:0x44] == hmac.new(secret, data[:0x30], "sha1").digest()
        assert data[0x44:0x58] == hmac.new(secret, data[:0x44] + data[0x58:], "sha1").digest()


def test_writer_reproduces_an_ibm_kdb_byte_for_byte(ibm):
    data = (ibm / "claro.kdb").read_bytes()
    entries = kdb.parse(data, IBM_PASSWORDS["claro"]).entries
    assert kdb.build(entries, IBM_PASSWORDS["claro"], salt=data[0x18:0x30]) == data


@pytest.mark.parametrize("name", ["claro", "plugin"])
def test_ibm_v4_wrong_password_and_damage(ibm, tmp_path, name):
    data = bytearray((ibm / f"{name}.kdb").read_bytes())
    with pytest.raises(KeystoreError) as info:
        kdb.parse(bytes(data), "wrong")
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD
    data[0x58 + 40] ^= 0x01  # inside the certificate
    with pytest.raises(KeystoreError) as info:
        kdb.parse(bytes(data), IBM_PASSWORDS[name])
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR and "integrity" in str(info.value)


def test_ibm_v4_with_v8_stash_is_refused_clearly(ibm):
    with pytest.raises(KeystoreError) as info:
        open_keystore(ibm / "plugin.kdb", stash_file=ibm / "plugin.sth")
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD


def test_ibm_crl_companion_is_read(ibm):
    parsed = kdb.parse((ibm / "claro.crl").read_bytes(), None)
    assert (parsed.kind, parsed.entries) == ("crl", [])


def test_stash_for_another_file_is_a_bad_password(ibm, tmp_path, dev):
    path = tmp_path / "mine.kdb"
    path.write_bytes(kdb.build(list(dev.entries), "mine"))
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, stash_file=ibm / "bank.sth")
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD


# ---------------------------------------------------------------- the writer against the layout


def test_writer_layout_byte_by_byte(dev):
    salt = bytes(range(24))
    entries = list(dev.entries)
    data = kdb.build(entries, "Passw0rd", salt=salt)
    assert data[0:4] == b"\x37\x48\x04\x02"
    assert data[4:8] == b"\0\0\0\0"
    assert data[8:16] == b"X509KEY\0"
    assert struct.unpack(">II", data[16:24]) == (5000, 4)
    assert data[0x18:0x30] == salt
    assert data[0x30:0x44] == hmac.new(b"Passw0rd", data[:0x30], "sha1").digest()
    assert data[0x44:0x58] == hmac.new(b"Passw0rd", data[:0x44] + data[0x58:], "sha1").digest()
    assert len(data) == 0x58 + 4 * 5000
    for i, entry in enumerate(entries):
        slot = data[0x58 + i * 5000 : 0x58 + (i + 1) * 5000]
        number, one, der_len = struct.unpack(">III", slot[:12])
        assert (number, one) == (i + 1, 1)
        der = slot[12 : 12 + der_len]
        assert der[0] == 0x30 and der[-4:] == b"\x03\x02\x07\x80"
        label = entry.label.encode()
        assert der[-4 - 2 - len(label) : -4] == b"\x1a" + bytes([len(label)]) + label
        pos = 12 + der_len
        assert (
            slot[pos : pos + 4 + len(label) + 4]
            == struct.pack(">I", len(label)) + label + b"\0\0\0\0"
        )
        pos += 8 + len(label)
        tbs_hash = hashlib.sha1(entry.certificate.tbs_certificate_bytes).digest()
        assert slot[pos + 24 : pos + 48] == struct.pack(">I", 20) + tbs_hash
        assert not any(slot[pos + 120 :])


def test_round_trip_keeps_keys_labels_and_trust(dev, tmp_path):
    path = tmp_path / "s.kdb"
    path.write_bytes(kdb.build(list(dev.entries), "pw"))
    store = open_keystore(path, "pw")
    assert store.labels() == [e.label for e in dev.entries]
    for got, want in zip(store.entries, dev.entries, strict=True):
        assert got.certificate == want.certificate
        assert (got.private_key is None) == (want.private_key is None)
        if want.private_key is not None:
            assert _public(got.private_key) == _public(want.private_key)
    assert store.trusted_certificates() == (dev.ca,)


def test_slot_grows_for_big_records(dev):
    data = kdb.build(list(dev.entries), "pw", slot_size=600)
    slot, count = struct.unpack(">II", data[16:24])
    assert slot > 600 and (slot - 600) % 1000 == 0 and len(data) == 0x58 + slot * count
    assert len(kdb.parse(data, "pw").entries) == 4


def test_empty_store_is_header_only():
    data = kdb.build([], "pw")
    assert len(data) == 0x58 and kdb.parse(data, "pw").entries == []


@pytest.mark.parametrize("bad", [[], ["a", "a"]])
def test_writer_refuses_bad_input(bad, self_signed):
    entries = [self_signed(label) for label in bad]
    with pytest.raises(KeystoreError):
        kdb.build(entries, "" if not bad else "pw")


# ---------------------------------------------------------------- damage


def _store(tmp_path, dev, data_change=None):
    data = bytearray(kdb.build(list(dev.entries), "pw"))
    if data_change:
        data_change(data)
    path = tmp_path / "d.kdb"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__delitem__(slice(len(d) - 1, len(d))),  # truncated by one byte
        lambda d: d.__delitem__(slice(200, len(d))),  # truncated in a record
        lambda d: d.extend(b"\0" * 10),  # trailing bytes
        lambda d: d.__setitem__(0x58 + 300, d[0x58 + 300] ^ 1),  # a flipped bit in a record
        lambda d: d.__setitem__(0x14, 9),  # record count lies
        lambda d: d.__setitem__(2, 9),  # unknown version
    ],
)
def test_damaged_files_are_open_errors(tmp_path, dev, change):
    with pytest.raises(KeystoreError) as info:
        open_keystore(_store(tmp_path, dev, change), "pw")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


def test_random_and_empty_files(tmp_path):
    for name, data in (
        ("random.kdb", os.urandom(5088)),
        ("empty.kdb", b""),
        ("magic.kdb", b"7H\x04\x02"),
    ):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(KeystoreError) as info:
            open_keystore(tmp_path / name, "pw")
        assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


def test_damaged_record_listed_without_password(tmp_path, dev):
    path = _store(tmp_path, dev, lambda d: d.__setitem__(slice(0x58 + 12, 0x58 + 16), b"\xff" * 4))
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, require_password=False)
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "record 1" in str(info.value)


def test_wrong_password_and_no_password(tmp_path, dev):
    path = _store(tmp_path, dev)
    with pytest.raises(KeystoreError) as info:
        open_keystore(path, "PW")
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD
    with pytest.raises(KeystoreError) as info:
        open_keystore(path)
    assert info.value.rc == rc.GSK_NO_KEYFILE_PASSWORD


def test_listing_without_password_shows_no_keys(tmp_path, dev):
    store = open_keystore(_store(tmp_path, dev), require_password=False)
    assert not store.verified
    assert store.labels() == [e.label for e in dev.entries]
    assert all(e.private_key is None for e in store.entries)
    assert [e.key_locked for e in store.entries] == [e.private_key is not None for e in dev.entries]
    with pytest.raises(KeystoreError) as info:  # a key that was never decrypted cannot be written
        encode_keystore(store.entries, "pw", "kdb")
    assert info.value.rc == rc.GSK_NO_KEYFILE_PASSWORD


def test_odd_label_is_refused(dev):
    entry = dev.entries[1]
    for label in ("", " lead", "trail ", "a,b", "tab\there", "é", "x" * 129):
        with pytest.raises(KeystoreError) as info:
            kdb.build([Entry(label, entry.certificate, entry.private_key)], "pw")
        assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_LABEL
    kdb.build([Entry("ok label_1.(2)", entry.certificate, entry.private_key)], "pw")


# ---------------------------------------------------------------- the trust bit


def _flag_bits(data: bytes) -> list[bytes]:
    """The BIT STRING that ends each record's DER, record by record."""
    slot, count = struct.unpack(">II", data[16:24])
    out = []
    for i in range(count):
        record = data[0x58 + i * slot : 0x58 + (i + 1) * slot]
        der = record[12 : 12 + struct.unpack(">I", record[8:12])[0]]
        out.append(der[-4:])
    return out


def test_the_trust_bit_is_written_as_the_entry_says(dev):
    """A signer that is not trusted stays so (bit clear), a trusted one is set, and a key
    record carries the bit as IBM's tools write it."""
    ca, server, client = dev.entries[0], dev.entries[1], dev.entries[3]
    entries = [
        Entry("signer", client.certificate, None, trusted=False),
        Entry("anchor", ca.certificate, None, trusted=True),
        server,
    ]
    data = kdb.build(entries, "pw")
    assert _flag_bits(data) == [b"\x03\x02\x07\x00", b"\x03\x02\x07\x80", b"\x03\x02\x07\x80"]
    read = kdb.parse(data, "pw").entries
    assert [e.trusted for e in read] == [False, True, False]  # a keyed entry is no trust anchor


def test_rewriting_a_store_keeps_an_untrusted_signer_untrusted(tmp_path, dev):
    """`remove` (or import, convert) of another entry rewrites the whole store: the signer
    that was not trusted must not become a trust anchor."""
    signer = Entry("signer", dev.entries[3].certificate, None, trusted=False)  # not a CA
    path = save_keystore(tmp_path / "u.kdb", [signer, dev.entries[1]], "pw")
    store = open_keystore(path, "pw")
    assert store.get("signer").trusted is False and store.trusted_certificates() == ()
    save_keystore(path, [e for e in store.entries if e.label != "gskit-dev-server-rsa"], "pw")
    again = open_keystore(path, "pw")
    assert again.get("signer").trusted is False and again.trusted_certificates() == ()


def test_an_ibm_record_with_the_trust_bit_clear_is_reproduced(ibm):
    """claro.kdb with its one record's trust bit cleared (and the MAC made again) is read as
    not trusted and rebuilt byte for byte; plugin.kdb's key record keeps its bit set."""
    password = IBM_PASSWORDS["claro"].encode()
    data = bytearray((ibm / "claro.kdb").read_bytes())
    assert _flag_bits(bytes(data)) == [b"\x03\x02\x07\x80"]
    at = bytes(data).index(b"\x03\x02\x07\x80", 0x58)
    data[at + 3] = 0x00
    data[0x44:0x58] = hmac.new(password, bytes(data[:0x44] + data[0x58:]), "sha1").digest()
    parsed = kdb.parse(bytes(data), IBM_PASSWORDS["claro"])
    assert [e.trusted for e in parsed.entries] == [False]
    assert kdb.build(parsed.entries, IBM_PASSWORDS["claro"], salt=parsed.salt) == bytes(data)
    plugin = kdb.parse((ibm / "plugin.kdb").read_bytes(), IBM_PASSWORDS["plugin"])
    assert _flag_bits(kdb.build(plugin.entries, "pw")) == [b"\x03\x02\x07\x80"]


# ---------------------------------------------------------------- odd certificates


def test_a_certificate_with_a_negative_serial_is_written():
    """RFC 5280 forbids it but such certificates exist and cryptography reads them: the
    IssuerAndSerialNumber hash uses the serial as the certificate encodes it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "negative serial")])
    now = dt.datetime.now(dt.timezone.utc)
    der = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(0x7F)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    )
    positive, negative = b"\x02\x01\x7f", b"\x02\x01\xff"  # 127 and -1, as DER INTEGERs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns about a serial that is not positive
        try:
            cert = x509.load_der_x509_certificate(der.replace(positive, negative, 1))
        except ValueError:
            pytest.skip("this cryptography refuses negative serial numbers")
        assert cert.serial_number == -1
        data = kdb.build([Entry("neg", cert, None, trusted=True)], "pw")
        (entry,) = kdb.parse(data, "pw").entries
    assert entry.certificate == cert
    ias = _der.encode(_der.SEQUENCE, cert.issuer.public_bytes() + negative)
    assert hashlib.sha1(ias).digest() in data
