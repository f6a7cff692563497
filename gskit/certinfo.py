"""``gsk_attribute_get_cert_info``: a certificate as a list of GSK_CERT_DATA_ID elements."""
from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from gskit import constants as c


@dataclass
class gsk_cert_data_elem:  # noqa: N801 - the C structure's name
    """One element: ``cert_data_id``, the data ``cert_data_p`` and its length ``cert_data_l``.

    DER fields (CERT_BODY_DER, CERT_DN_DER, CERT_ISSUER_DN_DER, CERT_PUBLIC_KEY) carry the
    raw bytes as a latin-1 string, as C's ``char *`` does: ``elem.cert_data_p.encode("latin-1")``
    is the DER.  ``cert_data_l`` is the length in bytes, without a trailing NUL.
    """

    cert_data_id: int
    cert_data_p: str
    cert_data_l: int


_SUBJECT_FIELDS = (
    (c.CERT_COMMON_NAME, NameOID.COMMON_NAME), (c.CERT_LOCALITY, NameOID.LOCALITY_NAME),
    (c.CERT_STATE_OR_PROVINCE, NameOID.STATE_OR_PROVINCE_NAME), (c.CERT_COUNTRY, NameOID.COUNTRY_NAME),
    (c.CERT_ORG, NameOID.ORGANIZATION_NAME), (c.CERT_ORG_UNIT, NameOID.ORGANIZATIONAL_UNIT_NAME),
    (c.CERT_POSTAL_CODE, NameOID.POSTAL_CODE), (c.CERT_EMAIL, NameOID.EMAIL_ADDRESS),
)
_ISSUER_OFFSET = c.CERT_ISSUER_COMMON_NAME - c.CERT_COMMON_NAME   # 650 - 610
_KEY_USAGE_BITS = (
    ("digital_signature", 1), ("content_commitment", 2), ("key_encipherment", 4),
    ("data_encipherment", 8), ("key_agreement", 16), ("key_cert_sign", 32), ("crl_sign", 64),
)
_SAN_FIELDS: tuple[tuple[int, type, Callable[[Any], str]], ...] = (
    (c.CERT_SUBJECT_ALTERNATIVE_NAME_RFC822NAME, x509.RFC822Name, lambda v: v),
    (c.CERT_SUBJECT_ALTERNATIVE_NAME_DNSNAME, x509.DNSName, lambda v: v),
    (c.CERT_SUBJECT_ALTERNATIVE_NAME_DIRECTORYNAME, x509.DirectoryName, lambda v: v.rfc4514_string()),
    (c.CERT_SUBJECT_ALTERNATIVE_NAME_URI, x509.UniformResourceIdentifier, lambda v: v),
    (c.CERT_SUBJECT_ALTERNATIVE_NAME_IPADDRESS, x509.IPAddress, lambda v: str(ipaddress.ip_address(v))
     if not isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else str(v)),
)


def _key_description(key: object) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def signature_algorithm_name(cert: x509.Certificate) -> str:
    """The certificate's signature algorithm by name (``sha256WithRSAEncryption``), or its
    dotted OID when cryptography has no name for it."""
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", None)
    return name if name and name != "Unknown OID" else oid.dotted_string


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> Any:
    """The extension's value (its type depends on ``oid``), or None."""
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _elements(cert: x509.Certificate) -> Iterator[tuple[int, str]]:
    der = cert.public_bytes(serialization.Encoding.DER)
    yield c.CERT_BODY_DER, der.decode("latin-1")
    yield c.CERT_BODY_BASE64, base64.b64encode(der).decode()
    yield c.CERT_SERIAL_NUMBER, format(cert.serial_number, "X")
    for offset, name in ((0, cert.subject), (_ISSUER_OFFSET, cert.issuer)):
        for data_id, oid in _SUBJECT_FIELDS:
            for attribute in name.get_attributes_for_oid(oid):
                yield data_id + offset, str(attribute.value)
        yield c.CERT_DN_PRINTABLE + offset, name.rfc4514_string()
        yield c.CERT_DN_DER + offset, name.public_bytes().decode("latin-1")
    yield c.CERT_VERSION, str(cert.version.value + 1)
    yield c.CERT_SIGNATURE_ALGORITHM, signature_algorithm_name(cert)
    yield c.CERT_VALID_FROM, cert.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ")
    yield c.CERT_VALID_TO, cert.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ")
    yield c.CERT_VALID_FROM_EX, cert.not_valid_before_utc.isoformat()
    yield c.CERT_VALID_TO_EX, cert.not_valid_after_utc.isoformat()
    public_key = cert.public_key()
    algorithm, size = _key_description(public_key)
    yield c.CERT_PUBLIC_KEY_ALGORITHM, algorithm
    yield c.CERT_PUBLIC_KEY, public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo).decode("latin-1")
    yield c.CERT_PUBLIC_KEY_SIZE, str(size)
    yield c.CERT_FINGERPRINT_ALGORITHM, "SHA-256"
    yield c.CERT_FINGERPRINT, cert.fingerprint(hashes.SHA256()).hex()
    usage = _extension(cert, ExtensionOID.KEY_USAGE)
    if usage is not None:
        bits = sum(bit for attr, bit in _KEY_USAGE_BITS if getattr(usage, attr))
        if usage.key_agreement:
            bits |= 128 * usage.encipher_only + 256 * usage.decipher_only
        yield c.CERT_KEY_USAGE, str(bits)
    san = _extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is not None:
        for data_id, general_type, render in _SAN_FIELDS:
            for value in san.get_values_for_type(general_type):
                yield data_id, render(value)
    policies = _extension(cert, ExtensionOID.CERTIFICATE_POLICIES)
    for policy in policies or ():
        yield c.CERT_CERTIFICATE_POLICY_POLICYIDENTIFIER, policy.policy_identifier.dotted_string
    constraints = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if constraints is not None:
        yield c.CERT_BASIC_CONSTRAINTS_CA, "TRUE" if constraints.ca else "FALSE"
        if constraints.path_length is not None:
            yield c.CERT_BASIC_CONSTRAINTS_PATH_LENGTH_CONSTRAINT, str(constraints.path_length)
    points = _extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    for point in points or ():
        for name in point.full_name or ():
            yield c.CERT_CRL_DISTRIBUTION_POINTS_DISTRIBUTIONPOINTNAME, str(name.value)


def certificate_elements(cert: x509.Certificate) -> list[gsk_cert_data_elem]:
    """Every CERT_* element the certificate has, in GSK_CERT_DATA_ID order of appearance."""
    return [gsk_cert_data_elem(data_id, text, len(text.encode("latin-1", "ignore")) if data_id in _RAW else
                               len(text.encode())) for data_id, text in _elements(cert)]


_RAW = frozenset({c.CERT_BODY_DER, c.CERT_DN_DER, c.CERT_ISSUER_DN_DER, c.CERT_PUBLIC_KEY})
