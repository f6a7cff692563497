"""PKCS#12 keystores (.p12/.pfx): the label of an entry is its friendly name."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gskit import errors as rc

from . import _der
from .errors import KeystoreError, bad_password, no_password, open_error
from .model import Entry, check_label, common_name, fully_parsed, unique_label, unreadable_version


def looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE whose first element is INTEGER 3 (the PFX version)."""
    try:
        tag, content, _ = _der.decode(data)
        first = _der.decode(content)
    except _der.DerError:
        return False
    return tag == _der.SEQUENCE and first[0] == _der.INTEGER and first[1] == b"\x03"


# The most iterations a file may ask for, of its MAC or of a key derivation that encrypts
# its contents (docs/certstore.md, Decisions).  OpenSSL and this module write 2048; every
# password tried (up to three) costs that many hashes for each, so a hostile count such as
# 2**31 would make opening take hours.  A million is about 0.3 s.  All of them added up
# may not pass MAX_TOTAL_ITERATIONS either: a file of many encrypted parts, each under the
# limit, would cost that many derivations.
MAX_ITERATIONS = 1_000_000
MAX_TOTAL_ITERATIONS = 4_000_000

_PKCS5 = bytes.fromhex("2A864886F70D0105")           # 1.2.840.113549.1.5
_PBKDF2 = _PKCS5 + b"\x0c"                            # 1.2.840.113549.1.5.12
_PBES1 = {_PKCS5 + bytes([n]) for n in (1, 3, 4, 6, 10, 11)}
_PKCS12_PBE = bytes.fromhex("2A864886F70D010C01")     # 1.2.840.113549.1.12.1.x
_OBJECT_IDENTIFIER, _OCTET_STRING = 0x06, 0x04


def mac_iterations(data: bytes) -> int | None:
    """The iteration count in a PFX's MacData (1 when it is left out), or None when the file
    has no MacData or it cannot be read (the loader then judges the file)."""
    try:
        parts = _der.children(_der.decode(data)[1])  # version, authSafe, macData
        if len(parts) < 3 or parts[2][0] != _der.SEQUENCE:
            return None
        mac_data = _der.children(parts[2][1])  # mac DigestInfo, macSalt, iterations
    except _der.DerError:
        return None
    if len(mac_data) < 3 or mac_data[2][0] != _der.INTEGER:
        return 1
    return _count(mac_data[2][1])


def _count(content: bytes) -> int:
    if len(content.lstrip(b"\0")) > 8:
        return 1 << 64  # beyond any limit (or negative, which is no count either)
    return int.from_bytes(content, "big", signed=True)


def kdf_iterations(data: bytes) -> list[int]:
    """The iteration counts of the key derivations (PBKDF2, PKCS#5 v1 and PKCS#12 PBE) that
    protect what can be read without the password: the encrypted contents and shrouded
    keys outside them; empty when there is none."""
    counts: list[int] = []

    def walk(content: bytes, depth: int) -> None:
        if depth > 32:
            raise _der.DerError("DER nested too deep")
        parts = _der.children(content)
        if len(parts) >= 2 and parts[0][0] == _OBJECT_IDENTIFIER and parts[1][0] == _der.SEQUENCE:
            oid = parts[0][1]
            if oid == _PBKDF2 or oid in _PBES1 or oid.startswith(_PKCS12_PBE):
                params = _der.children(parts[1][1])  # salt, then the iteration count
                if len(params) >= 2 and params[1][0] == _der.INTEGER:
                    counts.append(_count(params[1][1]))
        for tag, value, _ in parts:
            if tag & 0x20:  # constructed
                walk(value, depth + 1)
            elif tag == _OCTET_STRING and value[:1] == b"\x30":  # DER inside (a ContentInfo's data)
                try:
                    _, inner, end = _der.decode(value)
                except _der.DerError:
                    continue
                if end == len(value):
                    walk(inner, depth + 1)

    try:
        walk(_der.decode(data)[1], 0)
    except _der.DerError:
        pass  # what could be read was looked at; the loader judges the rest
    return counts


def _load(data: bytes, password: str | None, path: object) -> pkcs12.PKCS12KeyAndCertificates:
    counts = [mac_iterations(data) or 0, *kdf_iterations(data)]
    if max(counts) > MAX_ITERATIONS:
        raise open_error(path, f"it asks for more than the {MAX_ITERATIONS:,} iterations allowed")
    if sum(counts) > MAX_TOTAL_ITERATIONS:
        raise open_error(path, f"its key derivations ask for more than {MAX_TOTAL_ITERATIONS:,} "
                               "iterations in all")
    # A file without a password opens whatever password is given: it has nothing to protect.
    attempts = ([password.encode()] if password else []) + [None, b""]
    for secret in attempts:
        try:
            return pkcs12.load_pkcs12(data, secret)
        except x509.InvalidVersion as exc:          # the password was right: the file is read
            raise open_error(path, str(unreadable_version(exc))) from None
        except (ValueError, UnsupportedAlgorithm):
            continue
    raise bad_password(path) if password else no_password(path)


def parse(data: bytes, password: str | None, path: object = "the PKCS#12 file") -> list[Entry]:
    """Entries of a PKCS#12 file."""
    if not looks_like_pkcs12(data):
        raise open_error(path, "it is not a PKCS#12 file")
    bundle = _load(data, password, path)
    entries: list[Entry] = []
    items = ([(bundle.cert, bundle.key)] if bundle.cert else []) + [
        (c, None) for c in bundle.additional_certs
    ]
    for item, key in items:
        try:
            cert = fully_parsed(item.certificate)
        except ValueError as exc:
            raise open_error(path, str(exc)) from None
        name = item.friendly_name.decode("utf-8", "replace") if item.friendly_name else None
        label = unique_label(name or common_name(cert) or f"certificate {len(entries) + 1}", entries)
        entries.append(Entry(label, cert, key, trusted=key is None))
    if bundle.key is not None and bundle.cert is None:
        raise open_error(path, "it holds a private key without its certificate")
    return entries


# The MAC of the files written here: what cryptography writes (HMAC-SHA-256, PKCS#12 KDF).
_MAC_ITERATIONS = 2048
_MAC_SALT_BYTES = 8
_OID_DATA = bytes.fromhex("06092A864886F70D010701")  # 1.2.840.113549.1.7.1 pkcs7-data
_SHA256_ALGORITHM = bytes.fromhex("300D06096086480165030402010500")  # sha256, NULL parameters


def _pkcs12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int, size: int) -> bytes:
    """RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64); ``password`` is already a BMPString."""
    u, v = 32, 64

    def stretch(data: bytes) -> bytes:  # repeated to a multiple of v bytes
        length = -(-len(data) // v) * v
        return (data * (length // len(data) + 1))[:length] if data else b""

    block = bytearray(stretch(salt) + stretch(password))
    out = b""
    while len(out) < size:
        digest = hashlib.sha256(bytes([purpose]) * v + bytes(block)).digest()
        for _ in range(iterations - 1):
            digest = hashlib.sha256(digest).digest()
        out += digest
        step = int.from_bytes((digest * (v // u + 1))[:v], "big") + 1
        for i in range(0, len(block), v):
            value = (int.from_bytes(block[i : i + v], "big") + step) % (1 << (8 * v))
            block[i : i + v] = value.to_bytes(v, "big")
    return out[:size]


def build_empty(password: str | None) -> bytes:
    """A PKCS#12 file with no entries: an empty AuthenticatedSafe under an HMAC-SHA-256 MAC
    (what Java's keytool leaves after deleting the last entry; OpenSSL and cryptography read
    it). Without a password the MAC uses the empty password, as cryptography's NoEncryption."""
    authenticated_safe = _der.encode(_der.SEQUENCE, b"")
    salt = os.urandom(_MAC_SALT_BYTES)
    bmp = (password or "").encode("utf-16-be") + b"\x00\x00"
    key = _pkcs12_kdf(bmp, salt, 3, _MAC_ITERATIONS, 32)  # purpose 3: the MAC key
    mac = hmac.new(key, authenticated_safe, hashlib.sha256).digest()
    content_info = _der.encode(
        _der.SEQUENCE, _OID_DATA + _der.encode(0xA0, _der.encode(0x04, authenticated_safe))
    )
    mac_data = _der.encode(
        _der.SEQUENCE,
        _der.encode(_der.SEQUENCE, _SHA256_ALGORITHM + _der.encode(0x04, mac))
        + _der.encode(0x04, salt)
        + _der.encode(_der.INTEGER, _MAC_ITERATIONS.to_bytes(2, "big")),
    )
    return _der.encode(_der.SEQUENCE, _der.encode(_der.INTEGER, b"\x03") + content_info + mac_data)


def build(entries: list[Entry], password: str | None) -> bytes:
    """A PKCS#12 file holding at most one private key and any number of certificates."""
    if not entries:
        return build_empty(password)
    keyed = [e for e in entries if e.private_key is not None]
    if len(keyed) > 1:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR,
            "a PKCS#12 file written here holds one private key; use a .kdb store for several.",
        )
    for e in entries:
        check_label(e.label)
    main = keyed[0] if keyed else None
    others = [
        pkcs12.PKCS12Certificate(e.certificate, e.label.encode()) for e in entries if e is not main
    ]
    enc = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        main.label.encode() if main else None,
        main.private_key if main else None,  # type: ignore[arg-type]
        main.certificate if main else None,
        others or None,
        enc,
    )
