"""What every keystore format reads into: entries, identities, and label rules."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from gskit import errors as rc

from .errors import KeystoreError, quoted

# Printable ASCII, no comma (GSK_KEYRING_LABEL_EX is comma-delimited), no edge blanks.
_LABEL = re.compile(r"[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]{0,126}[\x21-\x2b\x2d-\x7e])?")


class InvalidLabel(KeystoreError):
    """A label that breaks the label rules (GSK_ERROR_BAD_KEYFILE_LABEL): bad input, where
    the same code for a label a store does not hold means "not found"."""


def check_label(label: str) -> str:
    """Return ``label`` if it is a valid keystore label, else raise :class:`InvalidLabel`."""
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise InvalidLabel(
            rc.GSK_ERROR_BAD_KEYFILE_LABEL,
            f"label {quoted(label)} is not valid: use 1 to 128 printable ASCII characters, "
            "no comma and no leading or trailing blank.",
        )
    return label


def common_name(cert: x509.Certificate) -> str | None:
    """The subject CN, if there is one."""
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def is_ca(cert: x509.Certificate) -> bool:
    """True for a certificate whose basic constraints say CA (or a self-signed one without them)."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return cert.subject == cert.issuer


class UnreadableCertificate(ValueError):
    """A certificate that decodes but cannot be used: an X.509 version or a key type that
    cryptography does not read, or a part that does not parse."""


def load_certificate(data: bytes, *, pem: bool = False) -> x509.Certificate:
    """A certificate from DER (or PEM) bytes, ``fully_parsed``: UnreadableCertificate for
    one that decodes but cannot be used, ValueError for anything else that does not parse."""
    try:
        cert = (x509.load_pem_x509_certificate if pem else x509.load_der_x509_certificate)(data)
    except x509.InvalidVersion as exc:
        raise unreadable_version(exc) from None
    except ValueError as exc:
        raise ValueError(f"a certificate cannot be parsed: {parse_failure(exc)}") from None
    return fully_parsed(cert)


_LOCATION = re.compile(r"location: \[([^\]]*)\]")


def parse_failure(exc: Exception) -> str:
    """cryptography's parse error in words: which field failed, not its parser's state
    (``ParseError { kind: ..., location: ["issuer"] }``)."""
    text = str(exc)
    if "ParseError" not in text:
        return text
    match = _LOCATION.search(text)
    fields = [f.strip().strip('"').split("::")[-1] for f in match.group(1).split(",")] if match else []
    return f"its field {fields[-1]} does not decode" if fields and fields[-1] else "it does not decode"


def unreadable_version(exc: x509.InvalidVersion) -> UnreadableCertificate:
    """The error for a certificate of an X.509 version cryptography refuses (v2)."""
    return UnreadableCertificate(
        f"a certificate is X.509 version {exc.parsed_version + 1}; gskit reads versions 1 and 3 only")


def fully_parsed(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` with everything certstore reads from it parsed now: its public key, subject,
    issuer, extensions, serial number and validity (cryptography parses them lazily).  A part
    that does not parse, or a key type it does not know, is an UnreadableCertificate here,
    which the loaders report as an unusable file, instead of an error later in a listing or
    a handshake."""
    try:
        cert.public_key()
    except UnsupportedAlgorithm:
        raise UnreadableCertificate("a certificate holds a public key of an unknown type") from None
    try:
        cert.subject, cert.issuer, cert.extensions, cert.serial_number
        cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise UnreadableCertificate(f"a certificate cannot be parsed: {parse_failure(exc)}") from None
    return cert


def key_type(cert: x509.Certificate) -> str:
    """``RSA 2048``, ``EC secp256r1``, ``Ed25519`` ... for listings."""
    key = cert.public_key()
    size = getattr(key, "key_size", None)
    curve = getattr(key, "curve", None)
    kind = type(key).__name__.replace("PublicKey", "").lstrip("_")
    if curve is not None:
        return f"EC {curve.name}"
    return f"{kind} {size}" if size else kind


@dataclass(frozen=True)
class Identity:
    """A certificate with its private key, ready to present in a handshake."""

    label: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    private_key: PrivateKeyTypes | None


@dataclass(frozen=True)
class Entry:
    """One labelled keystore entry: a certificate, maybe its key, and whether it is trusted."""

    label: str
    certificate: x509.Certificate
    private_key: PrivateKeyTypes | None = None
    trusted: bool = False
    key_locked: bool = False  # a private key is stored but was not decrypted (no password)

    @property
    def is_ca(self) -> bool:
        return is_ca(self.certificate)

    @property
    def has_key(self) -> bool:
        return self.private_key is not None or self.key_locked


def _expired(cert: x509.Certificate, now: _dt.datetime) -> bool:
    return not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc)


@dataclass
class Keystore:
    """A keystore read into memory, whatever its file format."""

    path: Path | None
    format: str  # "kdb", "pkcs12" or "pem"
    entries: list[Entry] = field(default_factory=list)
    verified: bool = True  # False when a .kdb was listed without its password

    def labels(self) -> list[str]:
        return [e.label for e in self.entries]

    def find(self, label: str) -> Entry | None:
        return next((e for e in self.entries if e.label == label), None)

    def get(self, label: str) -> Entry:
        """The entry with ``label``; GSK_ERROR_BAD_KEYFILE_LABEL when there is none."""
        entry = self.find(label)
        if entry is None:
            raise KeystoreError(
                rc.GSK_ERROR_BAD_KEYFILE_LABEL,
                f"there is no certificate labelled {label!r} in {self.path or 'the keystore'}.",
            )
        return entry

    def identity(self, label: str, now: _dt.datetime | None = None) -> Identity:
        """The identity for ``label``, checked: it has a key and is within its validity period."""
        entry = self.get(label)
        now = now or _dt.datetime.now(_dt.timezone.utc)
        if entry.private_key is None:
            raise KeystoreError(
                rc.GSK_ERROR_NO_PRIVATE_KEY,
                f"the certificate labelled {label!r} has no private key in "
                f"{self.path or 'the keystore'}.",
            )
        if _expired(entry.certificate, now):
            raise KeystoreError(
                rc.GSK_KEYFILE_CERT_EXPIRED,
                f"the certificate labelled {label!r} is outside its validity period "
                f"(valid until {entry.certificate.not_valid_after_utc:%Y-%m-%d}).",
            )
        return Identity(
            label, entry.certificate, self.chain_for(entry.certificate), entry.private_key
        )

    def default_label(self) -> str | None:
        """The store's default certificate: the first entry that has a private key."""
        return next((e.label for e in self.entries if e.private_key is not None), None)

    def default_identity(self) -> Identity | None:
        label = self.default_label()
        return self.identity(label) if label is not None else None

    def trusted_certificates(self) -> tuple[x509.Certificate, ...]:
        """CA certificates to trust: entries without a key that are marked trusted or are CAs."""
        return tuple(
            e.certificate for e in self.entries if not e.has_key and (e.trusted or e.is_ca)
        )

    def chain_for(self, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
        """Intermediates from this store leading from ``cert`` towards its root (root excluded)."""
        by_subject = {e.certificate.subject: e.certificate for e in self.entries}
        chain: list[x509.Certificate] = []
        current = cert
        while current.issuer != current.subject and len(chain) < 8:
            issuer = by_subject.get(current.issuer)
            if issuer is None or issuer.subject == issuer.issuer or issuer in chain:
                break
            chain.append(issuer)
            current = issuer
        return tuple(chain)


def unique_label(label: str, entries: list[Entry]) -> str:
    """``label``, or ``label (2)``, ``(3)``... when an entry already has it."""
    taken = {e.label for e in entries}
    candidate, n = label, 2
    while candidate in taken:
        candidate, n = f"{label} ({n})", n + 1
    return candidate
