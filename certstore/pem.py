"""PEM keystores: certificates and private keys in one text file, labelled by comments.

A label comes from a ``friendlyName:`` line (what ``openssl pkcs12`` writes) or a
``label:`` line just above a block; otherwise the certificate's subject CN is used.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from gskit import errors as rc

from .errors import KeystoreError, bad_password, no_password, open_error
from .model import Entry, check_label, common_name, unique_label, with_known_key

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----\r?\n?", re.S)
_LABEL_LINE = re.compile(rb"^\s*(?:friendlyName|label)\s*:\s*(.+?)\s*$", re.M | re.I)
_KEY_TYPES = {b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY"}


def looks_like_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:65536]


def _public_der(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_key(block: bytes, kind: bytes, password: str | None, path: object) -> PrivateKeyTypes:
    encrypted = kind == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in block
    if encrypted and not password:
        raise no_password(path)
    try:
        return serialization.load_pem_private_key(
            block, password.encode() if encrypted and password else None
        )
    except ValueError as exc:
        if encrypted:
            raise bad_password(path) from None
        raise open_error(path, f"a private key block cannot be read ({exc})") from None
    except (TypeError, UnsupportedAlgorithm):
        raise open_error(path, "a private key block cannot be read") from None


def parse(data: bytes, password: str | None, path: object = "the PEM file") -> list[Entry]:
    """Entries of a PEM file: each certificate, with its key if the file holds the matching one."""
    certs: list[tuple[str | None, x509.Certificate]] = []
    keys: list[PrivateKeyTypes] = []
    pos = 0
    for match in _BLOCK.finditer(data):
        kind = match.group(1)
        labels = _LABEL_LINE.findall(data[pos : match.start()])
        label = labels[-1].decode("utf-8", "replace") if labels else None
        pos = match.end()
        if kind == b"CERTIFICATE":
            try:
                certs.append((label, with_known_key(x509.load_pem_x509_certificate(match.group(0)))))
            except ValueError:
                raise open_error(path, "a certificate block is damaged") from None
        elif kind in _KEY_TYPES:
            keys.append(_load_key(match.group(0), kind, password, path))
    if not certs:
        raise open_error(path, "it holds no certificate")
    by_public = {_public_der(k): k for k in keys}
    entries: list[Entry] = []
    for label, cert in certs:
        key = by_public.get(
            cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        name = label or common_name(cert) or f"certificate {len(entries) + 1}"
        entries.append(Entry(unique_label(name, entries), cert, key, trusted=key is None))
    return entries


def build(entries: list[Entry], password: str | None) -> bytes:
    """PEM text: for each entry a ``friendlyName`` line, the certificate and its key (encrypted
    with ``password`` when one is given)."""
    out = []
    for e in entries:
        check_label(e.label)
        out.append(f"Bag Attributes\n    friendlyName: {e.label}\n".encode())
        out.append(e.certificate.public_bytes(serialization.Encoding.PEM))
        if e.private_key is not None:
            enc = (
                serialization.BestAvailableEncryption(password.encode())
                if password
                else serialization.NoEncryption()
            )
            out.append(
                e.private_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
                )
            )
    if not out:
        raise KeystoreError(
            rc.GSK_KEYRING_OPEN_ERROR, "a PEM keystore must hold at least one certificate."
        )
    return b"".join(out)
