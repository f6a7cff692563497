"""OpenSSL failures -> GSKit return codes, as tables.

Three sources of failure reach the engine and each has its table:

* certificate verification results (``X509_V_ERR_*`` codes from the verify callback) ->
  the GSKit rc that ``gsk_secure_soc_init`` returns and the ``GSKVAL_*`` code that
  ``GSK_CERTIFICATE_VALIDATION_CODE`` reads back;
* TLS failures, identified by OpenSSL's reason strings (pyOpenSSL hands the error queue
  over as strings; each reason string stands for one reason code) -> rc;
* socket errors -> ``GSK_ERROR_IO`` with errno, or the closed-socket codes.

The same failure gives the same code every time; ``tests/test_openssl_errors.py`` provokes
each row.
"""
from __future__ import annotations

import errno as errno_module
from dataclasses import dataclass

from gskit import errors as rc
from gskit.errors import GSKError

# X509_V_ERR_APPLICATION_VERIFICATION, the code OpenSSL leaves to applications: gskit sets it
# for a certificate whose signature GSK_SSL_EXTN_SIGALG does not allow, and for nothing else.
SIGNATURE_NOT_ALLOWED = 50

# X509_V_ERR_* (x509_vfy.h) -> (GSKit rc, GSKVAL code)
GSKVAL_FAILED = 575007
VERIFY_RESULTS: dict[int, tuple[int, int]] = {
    2: (rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575010),    # unable to get issuer certificate
    3: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575042),         # unable to get CRL
    4: (rc.GSK_ERROR_BAD_CERT, 575012),                 # unable to decrypt cert signature
    5: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575012),         # unable to decrypt CRL signature
    6: (rc.GSK_ERROR_BAD_CERT, 575002),                 # unable to decode issuer public key
    7: (rc.GSK_ERROR_BAD_CERT, 575012),                 # certificate signature failure
    8: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575012),         # CRL signature failure
    9: (rc.GSK_ERROR_BAD_DATE, 575017),                 # certificate is not yet valid
    10: (rc.GSK_KEYFILE_CERT_EXPIRED, 575018),          # certificate has expired
    11: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575036),        # CRL is not yet valid
    12: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575037),        # CRL has expired
    13: (rc.GSK_ERROR_BAD_CERT, 575016),                # bad notBefore field
    14: (rc.GSK_ERROR_BAD_CERT, 575016),                # bad notAfter field
    15: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575036),        # bad CRL lastUpdate
    16: (rc.GSK_IBMI_ERROR_CRL_INVALID, 575037),        # bad CRL nextUpdate
    18: (rc.GSK_ERROR_SELF_SIGNED, 575009),             # self-signed certificate (depth 0)
    19: (rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575009),   # self-signed certificate in chain
    20: (rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575009),   # unable to get local issuer certificate
    21: (rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575010),   # unable to verify the first certificate
    22: (rc.GSK_ERROR_CERT_VALIDATION, 575031),         # certificate chain too long
    23: (rc.GSK_IBMI_ERROR_CERTIFICATE_REVOKED, 575032),  # certificate revoked
    24: (rc.GSK_ERROR_CERT_VALIDATION, 575025),         # invalid CA certificate
    25: (rc.GSK_ERROR_CERT_VALIDATION, 575027),         # path length constraint exceeded
    26: (rc.GSK_ERROR_CERT_VALIDATION, 575062),         # unsupported certificate purpose
    27: (rc.GSK_IBMI_ERROR_NOT_TRUSTED_ROOT, 575009),   # certificate not trusted
    28: (rc.GSK_ERROR_CERT_VALIDATION, 575007),         # certificate rejected
    34: (rc.GSK_ERROR_CERT_VALIDATION, 575019),         # unhandled critical extension
    62: (rc.GSK_ERROR_CERT_VALIDATION, 575045),         # hostname mismatch
    64: (rc.GSK_ERROR_CERT_VALIDATION, 575045),         # IP address mismatch
    SIGNATURE_NOT_ALLOWED: (rc.GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE, 575011),  # GSKVAL_ERR_SIGALG_MISMATCH
}
# gskit's own reasons, where OpenSSL's text for the code would mislead.
VERIFY_TEXTS: dict[int, str] = {SIGNATURE_NOT_ALLOWED: "signed with an algorithm GSK_SSL_EXTN_SIGALG does not allow"}


def verify_result(x509_error: int) -> tuple[int, int]:
    """(rc, GSKVAL code) for an X509_V_ERR code; 0 -> (GSK_OK, 0)."""
    if x509_error == 0:
        return rc.GSK_OK, 0
    return VERIFY_RESULTS.get(x509_error, (rc.GSK_ERROR_CERT_VALIDATION, GSKVAL_FAILED))


# OpenSSL reason strings (ERR_reason_error_string) -> rc.  The first row whose reason
# appears in the error queue wins, so the more specific rows come first.  Alerts are
# matched without their prefix: OpenSSL 3 says "sslv3 alert ...", "tlsv1 alert ...",
# OpenSSL 4 says "tls alert ...".
REASONS: tuple[tuple[str, int], ...] = (
    ("peer did not return a certificate", rc.GSK_ERROR_NO_CERTIFICATE),
    ("alert certificate required", rc.GSK_ERROR_NO_CERTIFICATE),
    ("alert bad certificate", rc.GSK_ERROR_BAD_CERTIFICATE),
    ("alert certificate unknown", rc.GSK_ERROR_BAD_CERTIFICATE),
    ("alert certificate expired", rc.GSK_ERROR_BAD_CERTIFICATE),
    ("alert certificate revoked", rc.GSK_ERROR_BAD_CERTIFICATE),
    ("alert unsupported certificate", rc.GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE),
    ("alert unknown ca", rc.GSK_ERROR_BAD_CERTIFICATE),
    ("alert access denied", rc.GSK_ERROR_BAD_PEER),
    ("ca md too weak", rc.GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE),
    ("ee key too small", rc.GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE),
    ("ca key too small", rc.GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE),
    ("no shared cipher", rc.GSK_ERROR_NO_CIPHERS),
    ("no ciphers available", rc.GSK_ERROR_NO_CIPHERS),
    ("no cipher match", rc.GSK_ERROR_NO_CIPHERS),
    ("no shared signature algorithms", rc.GSK_ERROR_NO_CIPHERS),
    ("no suitable signature algorithm", rc.GSK_ERROR_NO_CIPHERS),
    ("alert handshake failure", rc.GSK_ERROR_NO_CIPHERS),
    ("alert insufficient security", rc.GSK_ERROR_NO_CIPHERS),
    ("unsupported protocol", rc.GSK_ERROR_NO_CIPHERS),
    ("no protocols available", rc.GSK_ERROR_NO_CIPHERS),
    ("alert protocol version", rc.GSK_ERROR_NO_CIPHERS),
    ("version too low", rc.GSK_ERROR_NO_CIPHERS),
    ("wrong ssl version", rc.GSK_ERROR_NO_CIPHERS),
    ("decryption failed or bad record mac", rc.GSK_ERROR_BAD_MAC),
    ("bad record mac", rc.GSK_ERROR_BAD_MAC),
    ("alert bad record mac", rc.GSK_ERROR_BAD_MAC),
    ("alert decrypt error", rc.GSK_ERROR_BAD_MAC),
    ("digest check failed", rc.GSK_ERROR_BAD_MAC),
    ("unsafe legacy renegotiation disabled", rc.GSK_ERROR_NO_RI_INDICATION),
    ("no renegotiation", rc.GSK_ERROR_NO_RI_INDICATION),
    ("alert no renegotiation", rc.GSK_ERROR_NO_RI_INDICATION),
        ("alert unrecognized name", rc.GSK_ERROR_BAD_PEER),
    ("http request", rc.GSK_ERROR_BAD_MESSAGE),
    ("wrong version number", rc.GSK_ERROR_BAD_MESSAGE),
    ("packet length too long", rc.GSK_ERROR_BAD_MESSAGE),
    ("record layer failure", rc.GSK_ERROR_BAD_MESSAGE),
    ("unexpected message", rc.GSK_ERROR_BAD_MESSAGE),
    ("unexpected record", rc.GSK_ERROR_BAD_MESSAGE),
    ("decode error", rc.GSK_ERROR_BAD_MESSAGE),
    ("length mismatch", rc.GSK_ERROR_BAD_MESSAGE),
    ("bad packet", rc.GSK_ERROR_BAD_MESSAGE),
    ("record length mismatch", rc.GSK_ERROR_BAD_MESSAGE),
    ("alert", rc.GSK_ERROR_BAD_PEER),                  # any other fatal alert from the peer
    ("unexpected eof while reading", rc.GSK_ERROR_SOCKET_CLOSED),
)
DEFAULT_TLS_FAILURE = rc.GSK_ERROR_BAD_MESSAGE


@dataclass(frozen=True)
class Failure:
    """A failure translated once: the rc, the errno (for GSK_ERROR_IO) and what OpenSSL said."""

    rc: int
    errno: int = 0
    detail: str = ""

    def error(self) -> GSKError:
        """The exception that reports it."""
        return GSKError.for_rc(self.rc, self.detail, errno=self.errno)


def tls_failure(reasons: list[str]) -> Failure:
    """Translate the reason strings of one drained OpenSSL error queue."""
    text = "; ".join(reasons)
    lowered = text.lower()
    for reason, code in REASONS:
        if reason in lowered:
            return Failure(code, 0, text)
    return Failure(DEFAULT_TLS_FAILURE, 0, text or "TLS failure")


# Socket errors whose meaning is "this descriptor is gone" rather than a network error.
_CLOSED_LOCALLY = frozenset({errno_module.EBADF, errno_module.ENOTSOCK})


def socket_failure(error: OSError) -> Failure:
    """Translate an OSError from the socket: a closed descriptor -> 420, else 406 + errno."""
    code = error.errno or errno_module.EIO
    if code in _CLOSED_LOCALLY:
        return Failure(rc.GSK_ERROR_SOCKET_CLOSED, code, str(error))
    return Failure(rc.GSK_ERROR_IO, code, str(error))
