"""The server's certificate chain: a summary of each certificate, verification, name match, SNI."""
from __future__ import annotations

import ipaddress
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from gskit.certinfo import signature_algorithm_name
from gskit.engine.session_engine import verify_error_text
from gskit.scan.probe import Attempt
from gskit.scan.result import CertificateResult, CertSummary, SNIResult

_KEY_TYPES = ((rsa.RSAPublicKey, "RSA"), (ec.EllipticCurvePublicKey, "ECDSA"),
              (ed25519.Ed25519PublicKey, "Ed25519"), (ed448.Ed448PublicKey, "Ed448"),
              (dsa.DSAPublicKey, "DSA"))
_ED_BITS = {"Ed25519": 256, "Ed448": 456}


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _sans(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(ext.get_values_for_type(x509.DNSName)) + tuple(
        str(ip) for ip in ext.get_values_for_type(x509.IPAddress))


def summarize(cert: x509.Certificate) -> CertSummary:
    key = cert.public_key()
    key_type = next((name for cls, name in _KEY_TYPES if isinstance(key, cls)), type(key).__name__)
    bits = getattr(key, "key_size", None) or _ED_BITS.get(key_type, 0)
    curve = key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None
    return CertSummary(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        key_type=key_type, key_bits=bits, curve=curve,
        signature_algorithm=signature_algorithm_name(cert),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        sans=_sans(cert), sha256=fingerprint(cert))


def _a_labels(name: str) -> list[str]:
    """The labels of a name in their ASCII (IDNA A-label) form, lower case: ``é.example`` and
    ``xn--9ca.example`` give the same labels (certificates carry A-labels)."""
    labels = []
    for label in name.rstrip(".").split("."):
        try:
            labels.append(label.encode("idna").decode("ascii").lower())
        except UnicodeError:  # not encodable: compared as written
            labels.append(label.lower())
    return labels


def hostname_matches(name: str, sans: Sequence[str]) -> bool:
    """RFC 6125 matching: exact, or a wildcard in the left-most label only; IPs exactly.
    Internationalised names match in their A-label form, however either side is written."""
    try:
        ip = ipaddress.ip_address(name)
        return any(_same_ip(ip, san) for san in sans)
    except ValueError:
        pass
    host = _a_labels(name)
    for san in sans:
        pattern = _a_labels(san)
        if len(pattern) != len(host):
            continue
        if pattern[0] == "*" and len(pattern) > 2 and pattern[1:] == host[1:]:
            return True
        if pattern == host:
            return True
    return False


def _same_ip(ip, san: str) -> bool:
    try:
        return ipaddress.ip_address(san) == ip
    except ValueError:
        return False


def client_certificate(attempt: Attempt) -> str | None:
    """"required" when the server asked for a client certificate and refused the handshake
    without one, "optional" when it asked and went on, None when it did not ask."""
    if not attempt.cert_requested:
        return None
    return "optional" if attempt.ok else "required"


def certificate_result(attempt: Attempt, hostname: str | None, ca_file: str | None) -> CertificateResult:
    """The chain ``attempt`` received, even if its handshake failed afterwards."""
    chain = tuple(summarize(c) for c in attempt.chain)
    verified = verify_error = None
    if ca_file:
        verified = not attempt.verify_errors
        if attempt.verify_errors:
            errnum, depth = attempt.verify_errors[0]
            verify_error = f"{verify_error_text(errnum)} (certificate {depth} of the chain)"
    matches = hostname_matches(hostname, chain[0].sans) if hostname and chain else None
    return CertificateResult(chain, verified, verify_error, hostname, matches,
                             client_certificate(attempt), None if attempt.ok else attempt.detail)


def sni_result(name: str | None, with_sni: Attempt, without_sni: Attempt | None) -> SNIResult:
    """Compare the leaf certificates sent with and without the server name."""
    if name is None or without_sni is None:
        return SNIResult(name, None, None, "not tested: no server name (give --sni NAME)")
    # a chain counts even if the handshake failed after it (a client certificate required)
    first = fingerprint(with_sni.chain[0]) if with_sni.chain else None
    second = fingerprint(without_sni.chain[0]) if without_sni.chain else None
    if first and not second:
        summary = f"the server needs SNI: without it the handshake fails ({without_sni.detail})"
    elif first and first == second:
        summary = "same certificate with and without SNI"
    elif first and second:
        summary = f"different certificates: SNI {name!r} selects another certificate than no SNI"
    else:
        summary = "not tested: no handshake with SNI got a certificate"
    return SNIResult(name, first, second, summary)
