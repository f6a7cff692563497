"""PEM keystores: certificates and private keys in one text file, labelled by comments.

A label comes from a ``friendlyName:`` line (what ``openssl pkcs12`` writes) or a
``label:`` line just above a block; otherwise the certificate's subject CN is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from gskit import errors as rc

from .errors import KeystoreError, bad_password, no_password, open_error
from .model import Entry, UnreadableCertificate, check_label, common_name, load_certificate, unique_label

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")  # matched against one line, whole
_LABEL_KEYS = (b"friendlyname", b"label")
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


def _label_of(line: bytes) -> bytes | None:
    """The value of a ``friendlyName:`` or ``label:`` line (any case, blanks around), or None."""
    name, colon, value = line.partition(b":")
    if colon and name.strip().lower() in _LABEL_KEYS:
        return value.strip() or None
    return None


def _blocks(data: bytes, path: object) -> Iterator[tuple[bytes | None, bytes, bytes]]:
    """(label, kind, block) for each ``-----BEGIN kind-----`` ... ``-----END kind-----`` block,
    in one pass over the lines (time linear in the size, whatever the content).  The label
    is the last label line since the previous block.  A block that another BEGIN or END line
    interrupts, or that the file ends in, makes the file damaged."""
    label: bytes | None = None
    kind: bytes | None = None
    block: list[bytes] = []
    for line in data.split(b"\n"):
        line = line.rstrip()
        if kind is None:
            begin = _BEGIN.fullmatch(line)
            if begin is not None:
                kind, block = begin.group(1), [line]
            else:
                label = _label_of(line) or label
            continue
        block.append(line)
        if line == b"-----END " + kind + b"-----":
            yield label, kind, b"\n".join(block) + b"\n"
            label, kind = None, None
        elif line.startswith((b"-----BEGIN ", b"-----END ")):
            break
    if kind is not None:
        raise open_error(path, f"its {kind.decode()} block has no END line")


def parse(data: bytes, password: str | None, path: object = "the PEM file") -> list[Entry]:
    """Entries of a PEM file: each certificate, with its key if the file holds the matching one."""
    certs: list[tuple[str | None, x509.Certificate]] = []
    keys: list[PrivateKeyTypes] = []
    for raw_label, kind, block in _blocks(data, path):
        label = raw_label.decode("utf-8", "replace") if raw_label is not None else None
        if kind == b"CERTIFICATE":
            try:
                certs.append((label, load_certificate(block, pem=True)))
            except UnreadableCertificate as exc:
                raise open_error(path, str(exc)) from None
            except ValueError:
                raise open_error(path, "a certificate block is damaged") from None
        elif kind in _KEY_TYPES:
            keys.append(_load_key(block, kind, password, path))
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
