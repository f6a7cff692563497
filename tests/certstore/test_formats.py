"""PKCS#12 and PEM keystores, format sniffing and unreadable files."""

from __future__ import annotations

import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certstore import Entry, KeystoreError, encode_keystore, open_keystore, save_keystore
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


# ---------------------------------------------------------------- damaged certificates


# (A PKCS#12 file whose subject or issuer is damaged never opens: OpenSSL parses names while
# it reads the file, and says only "Invalid password or PKCS12 data".)
@pytest.mark.parametrize(
    "fmt, part",
    [(fmt, part) for fmt in ("kdb", "pem") for part in ("subject", "issuer", "extension")]
    + [("pkcs12", "extension")],
)
def test_a_certificate_damaged_where_it_is_parsed_late_is_refused(
    tmp_path, dev, damaged, fmt, part
):
    """A store holding such a certificate is refused when it is opened (202), not later with
    a ValueError from a listing, a chain or a trust decision."""
    bad = Entry("bad", damaged(dev.entries[1].certificate, part), None, trusted=False)
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(encode_keystore([dev.entries[0], bad], "pw", fmt))
    for password, required in (("pw", True), (None, False)):  # a .kdb is listed without one
        if fmt != "kdb" and password is None:
            continue
        with pytest.raises(KeystoreError) as info:
            open_keystore(path, password, require_password=required)
        assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR


# ---------------------------------------------------------------- hostile files


def _opens_in_time(path, password=None, limit: float = 10.0):
    """open_keystore(path)'s result or KeystoreError, and a check that it took under ``limit``
    seconds (the hostile inputs below open in milliseconds; they took minutes when opening
    was quadratic or unbounded)."""
    started = time.monotonic()
    try:
        result: object = open_keystore(path, password)
    except KeystoreError as exc:
        result = exc
    assert time.monotonic() - started < limit
    return result


def test_pem_parsing_is_linear_in_blank_lines(tmp_path, dev):
    block = dev.entries[0].certificate.public_bytes(serialization.Encoding.PEM)
    path = tmp_path / "blank.pem"
    text = b"\n" * 100_000 + b"Bag Attributes\n    friendlyName: ca\n" + block
    path.write_bytes(b"-----BEGIN X-----\n-----END X-----\n" + text)
    store = _opens_in_time(path)
    assert store.labels() == ["ca"]


def test_pem_with_unclosed_begin_lines_is_refused_fast(tmp_path):
    path = tmp_path / "begin.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" * 20_000 + b"A" * 100_000)
    error = _opens_in_time(path)
    assert isinstance(error, KeystoreError) and error.rc == rc.GSK_KEYRING_OPEN_ERROR


@pytest.mark.parametrize("cut", ["-----END CERTIFICATE-----\n", "-----END CERTIFICATE-----"])
def test_pem_block_without_its_end_line_is_damaged(tmp_path, dev, cut):
    """A file cut in its last block is damaged, not a store with one entry fewer."""
    text = save_keystore(tmp_path / "two.pem", [dev.entries[0], dev.entries[3]], None).read_bytes()
    (tmp_path / "cut.pem").write_bytes(text[: text.rindex(cut.encode())])
    with pytest.raises(KeystoreError) as info:
        open_keystore(tmp_path / "cut.pem")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR and "no END line" in str(info.value)


def _with_mac_iterations(data: bytes, iterations: int) -> bytes:
    """A PKCS#12 file with its MacData iteration count replaced (the MAC is left as it is)."""
    from certstore import _der

    version, auth_safe, mac_data = _der.children(_der.decode(data)[1])
    digest, salt = _der.children(mac_data[1])[:2]
    count = _der.encode(_der.INTEGER, iterations.to_bytes(5, "big", signed=True).lstrip(b"\0"))
    mac = _der.encode(_der.SEQUENCE, digest[2] + salt[2] + count)
    return _der.encode(_der.SEQUENCE, version[2] + auth_safe[2] + mac)


def test_pkcs12_mac_iterations_are_read(dev):
    from certstore import pkcs12 as p12

    server = dev.entries[1]
    data = pkcs12.serialize_key_and_certificates(
        b"x", server.private_key, server.certificate, None,
        serialization.BestAvailableEncryption(b"pw"),
    )
    assert p12.mac_iterations(data) == 2048  # what OpenSSL writes
    assert p12.mac_iterations(_with_mac_iterations(data, 2**31 - 1)) == 2**31 - 1
    assert p12.mac_iterations(_with_mac_iterations(data, 1)) == 1
    assert p12.mac_iterations(b"\x30\x03\x02\x01\x03") is None  # no MacData


@pytest.mark.parametrize("password", ["pw", "wrong", None])
def test_pkcs12_with_a_huge_mac_iteration_count_is_refused_fast(tmp_path, dev, password):
    """Anyone can raise the count (the MAC needs no secret to be read); each password tried
    would cost that many hashes.  Above MAX_ITERATIONS the file is refused at once."""
    from certstore import pkcs12 as p12

    data = save_keystore(tmp_path / "s.p12", [dev.entries[1]], "pw").read_bytes()
    (tmp_path / "evil.p12").write_bytes(_with_mac_iterations(data, 20 * p12.MAX_ITERATIONS))
    error = _opens_in_time(tmp_path / "evil.p12", password)
    assert isinstance(error, KeystoreError) and error.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "iterations" in str(error)


def _pkcs12_with_kdf_rounds(entry, rounds: int) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).build(b"pw"))
    return pkcs12.serialize_key_and_certificates(b"x", entry.private_key, entry.certificate, None, encryption)


def _without_mac(data: bytes) -> bytes:
    from certstore import _der

    version, auth_safe = _der.children(_der.decode(data)[1])[:2]
    return _der.encode(_der.SEQUENCE, version[2] + auth_safe[2])


def test_pkcs12_key_derivation_iterations_are_read(dev):
    from certstore import pkcs12 as p12

    server = dev.entries[1]
    assert p12.kdf_iterations(_pkcs12_with_kdf_rounds(server, 50_000)) == [50_000, 50_000]  # certificates, key
    plain = pkcs12.serialize_key_and_certificates(
        b"x", server.private_key, server.certificate, None, serialization.NoEncryption())
    assert p12.kdf_iterations(plain) == []
    assert p12.kdf_iterations(b"\x30\x03\x02\x01\x03") == []


@pytest.mark.parametrize("mac", [True, False], ids=["with MAC", "without MAC"])
@pytest.mark.parametrize("password", ["pw", "wrong", None])
def test_pkcs12_with_a_huge_key_derivation_count_is_refused_fast(tmp_path, dev, mac, password):
    """The contents' encryption may ask for any count too, and without a MAC nothing stops
    OpenSSL deriving each password's key with it.  Above MAX_ITERATIONS: refused at once."""
    from certstore import pkcs12 as p12

    data = _pkcs12_with_kdf_rounds(dev.entries[1], p12.MAX_ITERATIONS + 100_000)
    (tmp_path / "evil.p12").write_bytes(data if mac else _without_mac(data))
    error = _opens_in_time(tmp_path / "evil.p12", password)
    assert isinstance(error, KeystoreError) and error.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "iterations" in str(error)


def _with_first_part_repeated(data: bytes, times: int) -> bytes:
    """A PKCS#12 file whose first content part (the encrypted certificates) comes ``times``
    times (no MAC: it would not match)."""
    from certstore import _der

    version, auth_safe = _der.children(_der.decode(data)[1])[:2]
    content_type, explicit = _der.children(auth_safe[1])
    octets = _der.children(explicit[1])[0]
    parts = _der.children(_der.decode(octets[1])[1])
    safe = _der.encode(_der.SEQUENCE, parts[0][2] * times + b"".join(p[2] for p in parts[1:]))
    info = _der.encode(_der.SEQUENCE, content_type[2] + _der.encode(0xA0, _der.encode(0x04, safe)))
    return _der.encode(_der.SEQUENCE, version[2] + info)


@pytest.mark.parametrize("password", ["pw", None])
def test_pkcs12_with_many_key_derivations_under_the_limit_is_refused_fast(tmp_path, dev, password):
    """Each count under MAX_ITERATIONS, but so many encrypted parts that deriving a key for
    each would take minutes: refused at once, by their sum."""
    from certstore import pkcs12 as p12

    one = _pkcs12_with_kdf_rounds(dev.entries[1], p12.MAX_ITERATIONS)
    data = _with_first_part_repeated(one, 200)
    assert p12.kdf_iterations(data) == [p12.MAX_ITERATIONS] * 201
    (tmp_path / "evil.p12").write_bytes(data)
    error = _opens_in_time(tmp_path / "evil.p12", password)
    assert isinstance(error, KeystoreError) and error.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "in all" in str(error)
    (tmp_path / "two.p12").write_bytes(_with_first_part_repeated(_pkcs12_with_kdf_rounds(dev.entries[1], 2048), 2))
    assert any(e.private_key is not None for e in open_keystore(tmp_path / "two.p12", "pw").entries)  # a few: opened


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    import threading

    fifo = tmp_path / "store.kdb"
    os.mkfifo(fifo)
    outcome: list[object] = []
    reader = threading.Thread(target=lambda: outcome.append(_opens_in_time(fifo, "pw")), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # blocked in open(): give it a writer so that the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("opening a FIFO waited for a writer")
    (error,) = outcome
    assert isinstance(error, KeystoreError) and error.rc == rc.GSK_KEYRING_OPEN_ERROR
    assert "not a regular file" in str(error)
