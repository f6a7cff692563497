"""GSK_SSL_EXTN_SIGALG applied to certificates, as IBM i applies it.

OpenSSL takes the list for the handshake's signatures only (``SSL_CTX_set1_sigalgs_list``);
IBM i also refuses a peer certificate signed with an algorithm the list does not allow
(``gsk_secure_soc_init``: GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE).  A certificate's
signature and a list entry are compared as (key kind, hash): ``RSA+SHA256`` and
``rsa_pkcs1_sha256`` are one algorithm, and an ECDSA entry allows that hash on any curve.
"""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import SignatureAlgorithmOID

Signature = tuple[str, str | None]      # (key kind, hash name or None for EdDSA)

_KINDS = {"RSA": "RSA", "RSA-PSS": "RSA-PSS", "PSS": "RSA-PSS", "ECDSA": "ECDSA", "DSA": "DSA"}
_HASHES = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"}
# The TLS names OpenSSL's list takes besides SIG+HASH (its sigalg table; curves ignored).
_NAMED: dict[str, Signature] = {
    "ed25519": ("ED25519", None), "ed448": ("ED448", None),
    "ecdsa_sha1": ("ECDSA", "SHA1"), "ecdsa_sha224": ("ECDSA", "SHA224"),
    "ecdsa_secp256r1_sha256": ("ECDSA", "SHA256"), "ecdsa_secp384r1_sha384": ("ECDSA", "SHA384"),
    "ecdsa_secp521r1_sha512": ("ECDSA", "SHA512"),
    "ecdsa_brainpoolp256r1_sha256": ("ECDSA", "SHA256"), "ecdsa_brainpoolp384r1_sha384": ("ECDSA", "SHA384"),
    "ecdsa_brainpoolp512r1_sha512": ("ECDSA", "SHA512"),
    "ecdsa_brainpoolp256r1tls13_sha256": ("ECDSA", "SHA256"),
    "ecdsa_brainpoolp384r1tls13_sha384": ("ECDSA", "SHA384"),
    "ecdsa_brainpoolp512r1tls13_sha512": ("ECDSA", "SHA512"),
}
for _bits in ("1", "224", "256", "384", "512"):
    _NAMED[f"rsa_pkcs1_sha{_bits}"] = ("RSA", f"SHA{_bits}")
    _NAMED[f"dsa_sha{_bits}"] = ("DSA", f"SHA{_bits}")
    _NAMED[f"rsa_pss_rsae_sha{_bits}"] = _NAMED[f"rsa_pss_pss_sha{_bits}"] = ("RSA-PSS", f"SHA{_bits}")

_EDDSA = {SignatureAlgorithmOID.ED25519: "ED25519", SignatureAlgorithmOID.ED448: "ED448"}
_O = SignatureAlgorithmOID
_PKCS1 = {_O.RSA_WITH_SHA1: "RSA", _O.RSA_WITH_SHA224: "RSA", _O.RSA_WITH_SHA256: "RSA",
          _O.RSA_WITH_SHA384: "RSA", _O.RSA_WITH_SHA512: "RSA",
          _O.ECDSA_WITH_SHA1: "ECDSA", _O.ECDSA_WITH_SHA224: "ECDSA", _O.ECDSA_WITH_SHA256: "ECDSA",
          _O.ECDSA_WITH_SHA384: "ECDSA", _O.ECDSA_WITH_SHA512: "ECDSA",
          _O.DSA_WITH_SHA1: "DSA", _O.DSA_WITH_SHA224: "DSA", _O.DSA_WITH_SHA256: "DSA",
          _O.DSA_WITH_SHA384: "DSA", _O.DSA_WITH_SHA512: "DSA"}


def allowed_signatures(text: str) -> frozenset[Signature]:
    """The (key kind, hash) pairs a GSK_SSL_EXTN_SIGALG value allows (entries separated by
    commas or colons; OpenSSL has refused unknown names before this is asked)."""
    allowed: set[Signature] = set()
    for entry in text.replace(",", ":").split(":"):
        entry = entry.strip()
        if "+" in entry:
            kind, _, hash_name = entry.upper().partition("+")
            if kind in _KINDS and hash_name in _HASHES:
                allowed.add((_KINDS[kind], hash_name))
        elif entry.lower() in _NAMED:
            allowed.add(_NAMED[entry.lower()])
    return frozenset(allowed)


def certificate_signature(cert: x509.Certificate) -> Signature | None:
    """How ``cert`` is signed, as (key kind, hash); None for an algorithm no list can name."""
    oid = cert.signature_algorithm_oid
    if oid in _EDDSA:
        return _EDDSA[oid], None
    if oid == _O.RSASSA_PSS and isinstance(cert.signature_algorithm_parameters, padding.PSS):
        kind = "RSA-PSS"
    elif oid in _PKCS1:
        kind = _PKCS1[oid]
    else:
        return None                 # MD5, SHA-3, GOST...: no GSK_SSL_EXTN_SIGALG entry names them
    hash_algorithm = cert.signature_hash_algorithm
    return (kind, hash_algorithm.name.upper()) if hash_algorithm is not None else None


def signature_allowed(der: bytes, allowed: frozenset[Signature]) -> bool:
    """Does the list allow the signature on this certificate?  A self-issued certificate
    (a root: what signs it is trusted, not checked) always passes, and so does one that
    cryptography cannot read."""
    try:
        cert = x509.load_der_x509_certificate(der)
        if cert.issuer == cert.subject:
            return True
        return certificate_signature(cert) in allowed
    except Exception:  # noqa: BLE001 - cryptography refuses some certificates OpenSSL takes (v2...)
        return True                 # as elsewhere, what gskit cannot read changes nothing (behaviour.md)
