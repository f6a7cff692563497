"""PKCS#12 keystores (.p12/.pfx): the label of an entry is its friendly name."""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gskit import errors as rc

from . import _der
from .errors import KeystoreError, bad_password, no_password, open_error
from .model import Entry, check_label, common_name, unique_label, with_known_key


def looks_like_pkcs12(data: bytes) -> bool:
    """A DER SEQUENCE whose first element is INTEGER 3 (the PFX version)."""
    try:
        tag, content, _ = _der.decode(data)
        first = _der.decode(content)
    except _der.DerError:
        return False
    return tag == _der.SEQUENCE and first[0] == _der.INTEGER and first[1] == b"\x03"


def _load(data: bytes, password: str | None, path: object) -> pkcs12.PKCS12KeyAndCertificates:
    # A file without a password opens whatever password is given: it has nothing to protect.
    attempts = ([password.encode()] if password else []) + [None, b""]
    for secret in attempts:
        try:
            return pkcs12.load_pkcs12(data, secret)
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
            cert = with_known_key(item.certificate)
        except ValueError as exc:
            raise open_error(path, str(exc)) from None
        name = item.friendly_name.decode("utf-8", "replace") if item.friendly_name else None
        label = unique_label(name or common_name(cert) or f"certificate {len(entries) + 1}", entries)
        entries.append(Entry(label, cert, key, trusted=key is None))
    if bundle.key is not None and bundle.cert is None:
        raise open_error(path, "it holds a private key without its certificate")
    return entries


def build(entries: list[Entry], password: str | None) -> bytes:
    """A PKCS#12 file holding at most one private key and any number of certificates."""
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
