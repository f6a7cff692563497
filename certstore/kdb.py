"""CMS key databases (.kdb, and the .rdb/.crl companions): reader and writer.

Layout (big-endian), as published and as IBM's own files show it:

    0x00  37 48 vv kk     vv = version (03, 04, 06), kk = 02 .kdb, 01 .rdb/.crl
    0x04  00 00 00 00
    0x08  type string     "X509KEY\\0" (.kdb), "X509KYP\\0" (.rdb), "X509CRL\\0" (.crl)
    0x10  u32 slot size   (0x1388 = 5000 by default)
    0x14  u32 record count
    0x18  24-byte salt    (zero in version 03 files)
    0x30  password verifier, then the integrity MAC, then the record slots.

Record slot, zero-padded to the slot size: u32 record number, u32 1, u32 DER length, the
DER of SEQUENCE { INTEGER 1, [1] Certificate | [2] SEQUENCE { Certificate,
EncryptedPrivateKeyInfo }, VisibleString label, BIT STRING flags }, u32 label length, label,
u32 0, then five (u32 20, SHA-1) values.  See docs/certstore.md for what is proven against
IBM files and what is decided.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from gskit import errors as rc

from . import _der
from .errors import KeystoreError, bad_password, open_error
from .model import Entry, InvalidLabel, check_label, load_certificate

MAGIC = b"\x37\x48"
DEFAULT_SLOT = 5000
SALT = slice(0x18, 0x30)
TYPE_STRINGS = {2: b"X509KEY\0", 1: b"X509CRL\0"}
KNOWN_TYPES = {b"X509KEY\0": "key", b"X509KYP\0": "request", b"X509CRL\0": "crl"}
TAG_CERT, TAG_KEYPAIR = 0xA1, 0xA2
FLAG_TRUSTED = b"\x07\x80"  # BIT STRING, 7 unused bits, first bit set: what IBM's records carry
FLAG_UNTRUSTED = b"\x07\x00"  # the same bit clear: a signer certificate that is not trusted


def _suffix_md5(password: bytes, data: bytes) -> bytes:
    return hashlib.md5(data + password).digest()


def _hmac(name: str) -> Callable[[bytes, bytes], bytes]:
    return lambda password, data: hmac.new(password, data, name).digest()


@dataclass(frozen=True)
class Layout:
    """How one header version protects itself."""

    header_size: int
    verifier: Callable[[bytes, bytes], bytes]  # (password, header[:0x30]) -> the value at 0x30
    mac: Callable[[bytes, bytes], bytes]  # (password, header up to the MAC + slots) -> MAC

    @property
    def mac_offset(self) -> int:
        return 0x30 + (self.header_size - 0x30) // 2


# Version 03: both values proven on an IBM-written file; 04/06: the published HMAC layout.
LAYOUTS: dict[int, Layout] = {
    3: Layout(0x50, _suffix_md5, _suffix_md5),
    4: Layout(0x58, _hmac("sha1"), _hmac("sha1")),
    6: Layout(0x90, _hmac("sha384"), _hmac("sha384")),
}
WRITE_VERSION = 4


@dataclass
class KdbFile:
    """A parsed key database."""

    version: int
    kind: str  # "key", "request" or "crl"
    slot_size: int
    salt: bytes
    entries: list[Entry]
    verified: bool


def _u32(data: bytes, offset: int) -> int:
    if offset + 4 > len(data):
        raise ValueError("record ends early")
    return struct.unpack_from(">I", data, offset)[0]


def looks_like_kdb(data: bytes) -> bool:
    return len(data) >= 0x18 and data[:2] == MAGIC and data[8:16] in KNOWN_TYPES


def parse(data: bytes, password: str | None, path: object = "the key database") -> KdbFile:
    """Read a key database; with ``password`` None the entries are listed but not verified.

    Raises GSK_KEYRING_OPEN_ERROR for anything that is not an intact key database and
    GSK_ERROR_BAD_KEYFILE_PASSWORD when the password does not match its verifier.
    """
    if not looks_like_kdb(data):
        raise open_error(path, "it is not a CMS key database")
    layout = LAYOUTS.get(data[2])
    if layout is None:
        raise open_error(path, f"key database version {data[2]} is not supported")
    slot, count = _u32(data, 0x10), _u32(data, 0x14)
    if (
        len(data) < layout.header_size
        or slot == 0
        or len(data) != layout.header_size + slot * count
    ):
        raise open_error(path, "the file is truncated or has trailing bytes")
    header = data[: layout.header_size]
    secret = None if password is None else password.encode("utf-8")
    if secret is not None:
        if not hmac.compare_digest(
            layout.verifier(secret, header[:0x30]), header[0x30 : layout.mac_offset]
        ):
            raise bad_password(path)
        body = header[: layout.mac_offset] + data[layout.header_size :]
        if not hmac.compare_digest(layout.mac(secret, body), header[layout.mac_offset :]):
            raise open_error(path, "its integrity check failed (the file is damaged)")
    entries = []
    for i in range(count):
        start = layout.header_size + i * slot
        try:
            entry = _parse_record(data[start : start + slot], secret)
        except (ValueError, IndexError, UnsupportedAlgorithm) as exc:
            raise open_error(path, f"record {i + 1} is damaged ({exc})") from None
        if entry is not None:
            entries.append(entry)
    return KdbFile(data[2], KNOWN_TYPES[data[8:16]], slot, data[SALT], entries, secret is not None)


def _parse_record(record: bytes, secret: bytes | None) -> Entry | None:
    if not any(record[:12]):
        return None  # an empty (deleted) slot
    tag, content, _ = _der.decode(record[: 12 + _u32(record, 8)], 12)
    parts = _der.children(content)
    if tag != _der.SEQUENCE or len(parts) < 3 or parts[2][0] != _der.VISIBLE_STRING:
        raise ValueError("unexpected record structure")
    (body_tag, body, _), label = parts[1], parts[2][1].decode("ascii")
    flags = parts[3][1] if len(parts) > 3 else b""
    if body_tag == TAG_CERT:
        cert = load_certificate(_der.children(body)[0][2])
        return Entry(label, cert, None, trusted=flags[1:2] == b"\x80")
    if body_tag != TAG_KEYPAIR:
        raise ValueError(f"unknown record type 0x{body_tag:02x}")
    items = _der.children(_der.decode(body)[1])  # SEQUENCE { Certificate, EncryptedPrivateKeyInfo }
    cert = load_certificate(items[0][2])
    if secret is None:
        return Entry(label, cert, None, key_locked=True)
    try:
        key = serialization.load_der_private_key(items[1][2], secret)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("the private key does not decrypt with the database password") from None
    return Entry(label, cert, key)


def _hashes(cert: x509.Certificate) -> list[bytes]:
    """The five SHA-1 values that follow the label, in IBM's order: the certificate's
    signature BIT STRING (whole TLV), the TBSCertificate, the subject name, the
    SubjectPublicKeyInfo and IssuerAndSerialNumber (all five checked against IBM files).

    Each is hashed as the certificate encodes it (the TLVs of its TBSCertificate), never
    re-encoded: a serial number that is negative or not minimally encoded hashes as it is."""
    _, body, _ = _der.decode(cert.public_bytes(serialization.Encoding.DER))
    parts = _der.children(body)  # TBSCertificate, signatureAlgorithm, signatureValue
    tbs_tlv, signature_tlv = parts[0][2], parts[2][2]
    fields = [tlv for _, _, tlv in _der.children(_der.decode(tbs_tlv)[1])]
    if fields and fields[0][0] == 0xA0:  # [0] version, absent in a version-1 certificate
        fields = fields[1:]
    serial, issuer, subject, spki = fields[0], fields[2], fields[4], fields[5]
    ias = _der.encode(_der.SEQUENCE, issuer + serial)
    values = [signature_tlv, tbs_tlv, subject, spki, ias]
    return [hashlib.sha1(v).digest() for v in values]


def _flags(entry: Entry) -> bytes:
    """The record's trust bit: a certificate record carries the entry's own; a key record is
    marked trusted, as IBM's tools write a personal certificate (the reader ignores it there)."""
    return FLAG_TRUSTED if entry.trusted or entry.private_key is not None else FLAG_UNTRUSTED


def encode_record(number: int, entry: Entry, secret: bytes) -> bytes:
    """One record, not yet padded to the slot size."""
    label = check_label(entry.label).encode("ascii")
    cert_der = entry.certificate.public_bytes(serialization.Encoding.DER)
    if entry.private_key is None:
        body = _der.encode(TAG_CERT, cert_der)
    else:
        epki = entry.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secret),
        )
        body = _der.encode(TAG_KEYPAIR, _der.encode(_der.SEQUENCE, cert_der + epki))
    der = _der.encode(
        _der.SEQUENCE,
        _der.encode(_der.INTEGER, b"\x01")
        + body
        + _der.encode(_der.VISIBLE_STRING, label)
        + _der.encode(_der.BIT_STRING, _flags(entry)),
    )
    out = struct.pack(">III", number, 1, len(der)) + der
    out += struct.pack(">I", len(label)) + label + struct.pack(">I", 0)
    for digest in _hashes(entry.certificate):
        out += struct.pack(">I", len(digest)) + digest
    return out


def build(
    entries: list[Entry],
    password: str,
    *,
    slot_size: int = DEFAULT_SLOT,
    salt: bytes | None = None,
) -> bytes:
    """A complete version-04 .kdb holding ``entries``, protected by ``password``."""
    if not password:
        raise KeystoreError(
            rc.GSK_NO_KEYFILE_PASSWORD, "a key database needs a non-empty password."
        )
    labels = [e.label for e in entries]
    if len(set(labels)) != len(labels):
        raise InvalidLabel(rc.GSK_ERROR_BAD_KEYFILE_LABEL, "two entries would share one label.")
    secret = password.encode("utf-8")
    records = [encode_record(i + 1, e, secret) for i, e in enumerate(entries)]
    needed = max((len(r) + 4 for r in records), default=0)  # keep a zero u32 after the last hash
    while slot_size < needed:
        slot_size += 1000  # grow the slot rather than refuse a large key
    salt = os.urandom(24) if salt is None else salt
    if len(salt) != 24:
        raise ValueError("the salt must be 24 bytes")
    layout = LAYOUTS[WRITE_VERSION]
    head = (
        MAGIC
        + bytes([WRITE_VERSION, 2])
        + b"\0" * 4
        + TYPE_STRINGS[2]
        + struct.pack(">II", slot_size, len(records))
        + salt
    )
    verifier = layout.verifier(secret, head)
    slots = b"".join(r.ljust(slot_size, b"\0") for r in records)
    mac = layout.mac(secret, head + verifier + slots)
    return head + verifier + mac + slots
