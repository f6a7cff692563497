"""The cipher-suite table: every suite GSKit on IBM i names, plus those OpenSSL offers.

One row per suite (``SUITES``), with every name it goes by: IANA code and name (the ``_EX``
token), OpenSSL name, IBM i system-value name (``*ECDHE_RSA_AES_128_GCM_SHA256``), the
2-character V3 code (low byte of the IANA code, IBM i suites below 0x0100 only) and the
1-character SSLv2 code.  Sources: ``gskit-constants.md`` §11b/§11c (IBM i names, protocols
per the IBM i support tables, default lists) and ``openssl ciphers -V -stdname``.

This module imports no TLS library: ``gskit ciphers`` and the engine's attribute setters
read it.  The probe of what the local OpenSSL can negotiate (:func:`openssl_supported`)
imports pyOpenSSL on first use only.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable

from gskit.attributes.protocols import Protocol

P = Protocol
_T13 = frozenset({P.TLSV13})
_T12 = frozenset({P.TLSV12})
_T10_12 = frozenset({P.TLSV10, P.TLSV11, P.TLSV12})
_S3_12 = frozenset({P.SSLV3, P.TLSV10, P.TLSV11, P.TLSV12})
_S3_11 = frozenset({P.SSLV3, P.TLSV10, P.TLSV11})
_S3_10 = frozenset({P.SSLV3, P.TLSV10})
_S2 = frozenset({P.SSLV2})


class CipherSpecFormat(Enum):
    """The ways a GSKit attribute or IBM i system value spells a list of suites."""

    V2 = "1-char codes"
    V3 = "2-char hex codes"
    V3_EXPANDED = "4-char hex codes"
    EX = "comma-separated IANA names"
    TLS13_EX = "comma-separated TLS 1.3 IANA names"
    SYSTEM_VALUE = "*NAME list"


class CipherSpecError(ValueError):
    """A cipher spec string that is malformed or names something not in the table."""

    def __init__(self, bad_tokens: list[str], message: str) -> None:
        super().__init__(message)
        self.bad_tokens = list(bad_tokens)
        self.message = message


@dataclass(frozen=True)
class CipherSuite:
    """One cipher suite and every name it goes by."""

    iana_code: int
    iana_name: str
    openssl_name: str | None
    ibmi_name: str | None
    v3_code: str | None
    v2_code: str | None
    protocols: frozenset[Protocol]
    key_exchange: str
    authentication: str
    encryption: str
    aead: bool
    forward_secrecy: bool

    @property
    def iana_hex(self) -> str:
        """``0xC02F`` (six hex digits for the 3-byte SSLv2 codes)."""
        return f"0x{self.iana_code:04X}" if self.iana_code <= 0xFFFF else f"0x{self.iana_code:06X}"

    @property
    def gsk_spec(self) -> str:
        """The GSKit spec for this suite: its 2-char V3 code, its V2 code, else its _EX name."""
        return self.v3_code or self.v2_code or self.iana_name

    @property
    def tls13(self) -> bool:
        return P.TLSV13 in self.protocols

    @property
    def sslv2_only(self) -> bool:
        return self.protocols == _S2

    @property
    def weakness(self) -> str | None:
        """Why OpenSSL 3+ negotiates this suite only at security level 0 (``@SECLEVEL=0``),
        or None: no encryption (NULL), no authentication (anonymous DH/ECDH), a 64-bit CCM_8
        tag or an MD5 MAC.  gskit lowers the level only when such a suite is listed."""
        if self.encryption == "NULL":
            return "no encryption"
        if self.authentication == "none":
            return "no authentication (anonymous key exchange)"
        if self.encryption.endswith("CCM8"):
            return "a 64-bit CCM_8 authentication tag"
        if self.iana_name.endswith("_MD5"):
            return "an MD5 MAC"
        return None

    @property
    def obsolete(self) -> bool:
        """A cipher current OpenSSL builds dropped: SSLv2, export, RC4, RC2, DES, 3DES."""
        return self.sslv2_only or self.encryption in _OBSOLETE_ENCRYPTION

    def to_json(self) -> dict[str, str | None]:
        """The suite object of the CLI's ``--json`` output (cli.md)."""
        return {"iana_name": self.iana_name, "iana_code": self.iana_hex, "openssl_name": self.openssl_name,
                "gsk_spec": self.gsk_spec}


_OBSOLETE_ENCRYPTION = frozenset({"RC4-128", "RC4-40", "RC2-40", "RC2-128-CBC", "DES-CBC",
                                  "3DES-EDE-CBC"})
_AEAD_MODES = ("-GCM", "-CCM", "-CCM8", "CHACHA20-POLY1305")

# (IANA code, IANA name, OpenSSL name, in IBM i's table, protocols, key exchange,
#  authentication, bulk encryption).  For IBM i suites the protocols are IBM's support
# tables; for the others, what OpenSSL allows.  Order: IANA code.
_ROWS: tuple[tuple, ...] = (
    (0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5", True, _S3_12, "RSA", "RSA", "NULL"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL-SHA", True, _S3_12, "RSA", "RSA", "NULL"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5", True, _S3_10, "RSA", "RSA", "RC4-40"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5", True, _S3_12, "RSA", "RSA", "RC4-128"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA", True, _S3_12, "RSA", "RSA", "RC4-128"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "EXP-RC2-CBC-MD5", True, _S3_10, "RSA", "RSA", "RC2-40"),
    (0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA", False, _S3_11, "RSA", "RSA", "IDEA-128-CBC"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA", True, _S3_11, "RSA", "RSA", "DES-CBC"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", True, _S3_12, "RSA", "RSA", "3DES-EDE-CBC"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", True, _T10_12, "RSA", "RSA", "AES-128-CBC"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "DHE-DSS-AES128-SHA", False, _S3_12, "DHE", "DSS", "AES-128-CBC"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA", False, _S3_12, "DHE", "RSA", "AES-128-CBC"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA", False, _S3_12, "DHE", "none", "AES-128-CBC"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", True, _T10_12, "RSA", "RSA", "AES-256-CBC"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "DHE-DSS-AES256-SHA", False, _S3_12, "DHE", "DSS", "AES-256-CBC"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA", False, _S3_12, "DHE", "RSA", "AES-256-CBC"),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", "ADH-AES256-SHA", False, _S3_12, "DHE", "none", "AES-256-CBC"),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256", True, _T12, "RSA", "RSA", "NULL"),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", True, _T12, "RSA", "RSA", "AES-128-CBC"),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256", True, _T12, "RSA", "RSA", "AES-256-CBC"),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", "DHE-DSS-AES128-SHA256", False, _T12, "DHE", "DSS", "AES-128-CBC"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "CAMELLIA128-SHA", False, _S3_12, "RSA", "RSA", "CAMELLIA-128-CBC"),
    (0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", "DHE-DSS-CAMELLIA128-SHA", False, _S3_12, "DHE", "DSS", "CAMELLIA-128-CBC"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", "DHE-RSA-CAMELLIA128-SHA", False, _S3_12, "DHE", "RSA", "CAMELLIA-128-CBC"),
    (0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", "ADH-CAMELLIA128-SHA", False, _S3_12, "DHE", "none", "CAMELLIA-128-CBC"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256", False, _T12, "DHE", "RSA", "AES-128-CBC"),
    (0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "DHE-DSS-AES256-SHA256", False, _T12, "DHE", "DSS", "AES-256-CBC"),
    (0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256", False, _T12, "DHE", "RSA", "AES-256-CBC"),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", "ADH-AES128-SHA256", False, _T12, "DHE", "none", "AES-128-CBC"),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", "ADH-AES256-SHA256", False, _T12, "DHE", "none", "AES-256-CBC"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", "CAMELLIA256-SHA", False, _S3_12, "RSA", "RSA", "CAMELLIA-256-CBC"),
    (0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", "DHE-DSS-CAMELLIA256-SHA", False, _S3_12, "DHE", "DSS", "CAMELLIA-256-CBC"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", "DHE-RSA-CAMELLIA256-SHA", False, _S3_12, "DHE", "RSA", "CAMELLIA-256-CBC"),
    (0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", "ADH-CAMELLIA256-SHA", False, _S3_12, "DHE", "none", "CAMELLIA-256-CBC"),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA", False, _S3_12, "RSA", "RSA", "SEED-128-CBC"),
    (0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", "DHE-DSS-SEED-SHA", False, _S3_12, "DHE", "DSS", "SEED-128-CBC"),
    (0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", "DHE-RSA-SEED-SHA", False, _S3_12, "DHE", "RSA", "SEED-128-CBC"),
    (0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", "ADH-SEED-SHA", False, _S3_12, "DHE", "none", "SEED-128-CBC"),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", True, _T12, "RSA", "RSA", "AES-128-GCM"),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", True, _T12, "RSA", "RSA", "AES-256-GCM"),
    (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256", False, _T12, "DHE", "RSA", "AES-128-GCM"),
    (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384", False, _T12, "DHE", "RSA", "AES-256-GCM"),
    (0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "DHE-DSS-AES128-GCM-SHA256", False, _T12, "DHE", "DSS", "AES-128-GCM"),
    (0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", "DHE-DSS-AES256-GCM-SHA384", False, _T12, "DHE", "DSS", "AES-256-GCM"),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", "ADH-AES128-GCM-SHA256", False, _T12, "DHE", "none", "AES-128-GCM"),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "ADH-AES256-GCM-SHA384", False, _T12, "DHE", "none", "AES-256-GCM"),
    (0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", "CAMELLIA128-SHA256", False, _T12, "RSA", "RSA", "CAMELLIA-128-CBC"),
    (0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", "DHE-DSS-CAMELLIA128-SHA256", False, _T12, "DHE", "DSS", "CAMELLIA-128-CBC"),
    (0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "DHE-RSA-CAMELLIA128-SHA256", False, _T12, "DHE", "RSA", "CAMELLIA-128-CBC"),
    (0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", "ADH-CAMELLIA128-SHA256", False, _T12, "DHE", "none", "CAMELLIA-128-CBC"),
    (0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "CAMELLIA256-SHA256", False, _T12, "RSA", "RSA", "CAMELLIA-256-CBC"),
    (0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", "DHE-DSS-CAMELLIA256-SHA256", False, _T12, "DHE", "DSS", "CAMELLIA-256-CBC"),
    (0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", "DHE-RSA-CAMELLIA256-SHA256", False, _T12, "DHE", "RSA", "CAMELLIA-256-CBC"),
    (0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", "ADH-CAMELLIA256-SHA256", False, _T12, "DHE", "none", "CAMELLIA-256-CBC"),
    (0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", True, _T13, "any", "any", "AES-128-GCM"),
    (0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", True, _T13, "any", "any", "AES-256-GCM"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", True, _T13, "any", "any", "CHACHA20-POLY1305"),
    (0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256", False, _T13, "any", "any", "AES-128-CCM"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", False, _T13, "any", "any", "AES-128-CCM8"),
    (0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA", True, _T12, "ECDHE", "ECDSA", "NULL"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA", True, _T12, "ECDHE", "ECDSA", "RC4-128"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-ECDSA-DES-CBC3-SHA", True, _T12, "ECDHE", "ECDSA", "3DES-EDE-CBC"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", False, _T10_12, "ECDHE", "ECDSA", "AES-128-CBC"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", False, _T10_12, "ECDHE", "ECDSA", "AES-256-CBC"),
    (0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", "ECDHE-RSA-NULL-SHA", True, _T12, "ECDHE", "RSA", "NULL"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA", True, _T12, "ECDHE", "RSA", "RC4-128"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA", True, _T12, "ECDHE", "RSA", "3DES-EDE-CBC"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", False, _T10_12, "ECDHE", "RSA", "AES-128-CBC"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", False, _T10_12, "ECDHE", "RSA", "AES-256-CBC"),
    (0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", "AECDH-NULL-SHA", False, _T10_12, "ECDHE", "none", "NULL"),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA", False, _T10_12, "ECDHE", "none", "AES-128-CBC"),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "AECDH-AES256-SHA", False, _T10_12, "ECDHE", "none", "AES-256-CBC"),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256", True, _T12, "ECDHE", "ECDSA", "AES-128-CBC"),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384", True, _T12, "ECDHE", "ECDSA", "AES-256-CBC"),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", True, _T12, "ECDHE", "RSA", "AES-128-CBC"),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384", True, _T12, "ECDHE", "RSA", "AES-256-CBC"),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", True, _T12, "ECDHE", "ECDSA", "AES-128-GCM"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", True, _T12, "ECDHE", "ECDSA", "AES-256-GCM"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", True, _T12, "ECDHE", "RSA", "AES-128-GCM"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", True, _T12, "ECDHE", "RSA", "AES-256-GCM"),
    (0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", "ARIA128-GCM-SHA256", False, _T12, "RSA", "RSA", "ARIA-128-GCM"),
    (0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", "ARIA256-GCM-SHA384", False, _T12, "RSA", "RSA", "ARIA-256-GCM"),
    (0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", "DHE-RSA-ARIA128-GCM-SHA256", False, _T12, "DHE", "RSA", "ARIA-128-GCM"),
    (0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", "DHE-RSA-ARIA256-GCM-SHA384", False, _T12, "DHE", "RSA", "ARIA-256-GCM"),
    (0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", "DHE-DSS-ARIA128-GCM-SHA256", False, _T12, "DHE", "DSS", "ARIA-128-GCM"),
    (0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", "DHE-DSS-ARIA256-GCM-SHA384", False, _T12, "DHE", "DSS", "ARIA-256-GCM"),
    (0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ECDSA-ARIA128-GCM-SHA256", False, _T12, "ECDHE", "ECDSA", "ARIA-128-GCM"),
    (0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ECDSA-ARIA256-GCM-SHA384", False, _T12, "ECDHE", "ECDSA", "ARIA-256-GCM"),
    (0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", "ECDHE-ARIA128-GCM-SHA256", False, _T12, "ECDHE", "RSA", "ARIA-128-GCM"),
    (0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "ECDHE-ARIA256-GCM-SHA384", False, _T12, "ECDHE", "RSA", "ARIA-256-GCM"),
    (0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256", False, _T12, "ECDHE", "ECDSA", "CAMELLIA-128-CBC"),
    (0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384", False, _T12, "ECDHE", "ECDSA", "CAMELLIA-256-CBC"),
    (0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256", False, _T12, "ECDHE", "RSA", "CAMELLIA-128-CBC"),
    (0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384", False, _T12, "ECDHE", "RSA", "CAMELLIA-256-CBC"),
    (0xC09C, "TLS_RSA_WITH_AES_128_CCM", "AES128-CCM", False, _T12, "RSA", "RSA", "AES-128-CCM"),
    (0xC09D, "TLS_RSA_WITH_AES_256_CCM", "AES256-CCM", False, _T12, "RSA", "RSA", "AES-256-CCM"),
    (0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", "DHE-RSA-AES128-CCM", False, _T12, "DHE", "RSA", "AES-128-CCM"),
    (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", "DHE-RSA-AES256-CCM", False, _T12, "DHE", "RSA", "AES-256-CCM"),
    (0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", "AES128-CCM8", False, _T12, "RSA", "RSA", "AES-128-CCM8"),
    (0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", "AES256-CCM8", False, _T12, "RSA", "RSA", "AES-256-CCM8"),
    (0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", "DHE-RSA-AES128-CCM8", False, _T12, "DHE", "RSA", "AES-128-CCM8"),
    (0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", "DHE-RSA-AES256-CCM8", False, _T12, "DHE", "RSA", "AES-256-CCM8"),
    (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM", False, _T12, "ECDHE", "ECDSA", "AES-128-CCM"),
    (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "ECDHE-ECDSA-AES256-CCM", False, _T12, "ECDHE", "ECDSA", "AES-256-CCM"),
    (0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8", False, _T12, "ECDHE", "ECDSA", "AES-128-CCM8"),
    (0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "ECDHE-ECDSA-AES256-CCM8", False, _T12, "ECDHE", "ECDSA", "AES-256-CCM8"),
    (0xC0B4, "TLS_SHA256_SHA256", "TLS_SHA256_SHA256", False, _T13, "any", "any", "NULL"),
    (0xC0B5, "TLS_SHA384_SHA384", "TLS_SHA384_SHA384", False, _T13, "any", "any", "NULL"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", True, _T12, "ECDHE", "RSA", "CHACHA20-POLY1305"),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", True, _T12, "ECDHE", "ECDSA", "CHACHA20-POLY1305"),
    (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305", False, _T12, "DHE", "RSA", "CHACHA20-POLY1305"),
)

# SSLv2 "cipher kinds" (3-byte codes), with GSK_V2_CIPHER_SPECS's 1-character codes ([CURL],
# [V6R1]).  OpenSSL names are left out: SSLv2's reuse TLS names ("RC4-MD5") and no current
# OpenSSL has SSLv2.  (code, name, V2 code, IBM i name, encryption)
_SSLV2_ROWS: tuple[tuple, ...] = (
    (0x010080, "SSL_CK_RC4_128_WITH_MD5", "1", None, "RC4-128"),
    (0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "2", None, "RC4-40"),
    (0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", "3", "*RSA_RC2_CBC_128_MD5", "RC2-128-CBC"),
    (0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", "4", None, "RC2-40"),
    (0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", "6", "*RSA_DES_CBC_MD5", "DES-CBC"),
    (0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "7", "*RSA_3DES_EDE_CBC_MD5", "3DES-EDE-CBC"),
)


def _ibmi_name(iana_name: str) -> str:
    """TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -> *ECDHE_RSA_AES_128_GCM_SHA256 (IBM's rule)."""
    return "*" + iana_name.removeprefix("TLS_").replace("WITH_", "")


def _build() -> tuple[CipherSuite, ...]:
    suites = []
    for code, iana, ossl, ibmi, protocols, kx, auth, enc in _ROWS:
        suites.append(CipherSuite(
            iana_code=code, iana_name=iana, openssl_name=ossl,
            ibmi_name=_ibmi_name(iana) if ibmi else None,
            v3_code=f"{code:02X}" if ibmi and code < 0x100 else None, v2_code=None,
            protocols=protocols, key_exchange=kx, authentication=auth, encryption=enc,
            aead=enc.endswith(_AEAD_MODES), forward_secrecy=kx in ("ECDHE", "DHE", "any")))
    for code, name, v2, ibmi, enc in _SSLV2_ROWS:
        suites.append(CipherSuite(
            iana_code=code, iana_name=name, openssl_name=None, ibmi_name=ibmi, v3_code=None,
            v2_code=v2, protocols=_S2, key_exchange="RSA", authentication="RSA",
            encryption=enc, aead=False, forward_secrecy=False))
    return tuple(suites)


SUITES: tuple[CipherSuite, ...] = _build()

def _names_index() -> dict[str, CipherSuite]:
    """Every spelling of every suite, upper-cased -> suite."""
    index: dict[str, CipherSuite] = {}
    for suite in SUITES:
        for key in (suite.iana_name, suite.openssl_name, suite.ibmi_name, suite.v3_code,
                    suite.iana_hex, None if suite.sslv2_only else f"{suite.iana_code:04X}"):
            if key:
                index.setdefault(key.upper(), suite)
    return index


_BY_NAME = _names_index()


def suite_by_name(name: str) -> CipherSuite | None:
    """Any naming, any case: IANA, OpenSSL, ``*IBMI``, 2-char code, ``0xC02F`` or ``C02F``."""
    return _BY_NAME.get(name.strip().upper())


# --- spec strings -----------------------------------------------------------------------

# format -> (how a suite is spelled in it, None if it cannot be; what a token must be)
_SPELLINGS: dict[CipherSpecFormat, tuple[Callable[[CipherSuite], str | None], str]] = {
    CipherSpecFormat.V2: (lambda s: s.v2_code, "an SSLv2 1-character code (1, 2, 3, 4, 6 or 7)"),
    CipherSpecFormat.V3: (lambda s: s.v3_code, "a 2-character V3 cipher code of IBM i"),
    CipherSpecFormat.V3_EXPANDED: (lambda s: None if s.sslv2_only else f"{s.iana_code:04X}",
                                   "a 4-hex-digit IANA cipher code in the table"),
    CipherSpecFormat.EX: (lambda s: None if s.tls13 or s.sslv2_only else s.iana_name,
                          "an SSLv3/TLS 1.0-1.2 IANA cipher suite name "
                          "(TLS 1.3 suites go in GSK_TLSV13_CIPHER_SPECS_EX)"),
    CipherSpecFormat.TLS13_EX: (lambda s: s.iana_name if s.tls13 else None,
                                "a TLS 1.3 IANA cipher suite name"),
    CipherSpecFormat.SYSTEM_VALUE: (lambda s: s.ibmi_name, "an IBM i cipher suite system-value name"),
}
_INDEX: dict[CipherSpecFormat, dict[str, CipherSuite]] = {
    fmt: {name.upper(): s for s in SUITES if (name := spell(s))} for fmt, (spell, _) in _SPELLINGS.items()}
_JOINERS = {CipherSpecFormat.EX: ",", CipherSpecFormat.TLS13_EX: ",", CipherSpecFormat.SYSTEM_VALUE: " "}
_LIST_SEPARATORS = {
    CipherSpecFormat.EX: re.compile(r"\s*,\s*"),
    CipherSpecFormat.TLS13_EX: re.compile(r"\s*,\s*"),
    CipherSpecFormat.SYSTEM_VALUE: re.compile(r"[\s,]+"),
}
_FIXED_WIDTH = {CipherSpecFormat.V2: 1, CipherSpecFormat.V3: 2, CipherSpecFormat.V3_EXPANDED: 4}
_WRONG_SEPARATOR = re.compile(r"[:;|/\s]")


def _tokens(fmt: CipherSpecFormat, text: str) -> list[str]:
    width = _FIXED_WIDTH.get(fmt)
    if width is not None:
        if not re.fullmatch(r"[0-9A-Za-z]*", text):
            bad = sorted(set(re.findall(r"[^0-9A-Za-z]", text)))
            raise CipherSpecError(bad, f"{fmt.value} are written back to back, without "
                                       f"separators; found {' '.join(map(repr, bad))}.")
        if len(text) % width:
            raise CipherSpecError([text[-(len(text) % width):]],
                                  f"a list of {fmt.value} must have a length that is a multiple "
                                  f"of {width}; {text!r} has {len(text)} characters.")
        return [text[i:i + width] for i in range(0, len(text), width)]
    tokens = _LIST_SEPARATORS[fmt].split(text.strip())
    if "" in tokens:
        raise CipherSpecError([""], f"the list of {fmt.value} has an empty element "
                                    "(two separators in a row, or one at an end).")
    bad = [t for t in tokens if _WRONG_SEPARATOR.search(t)]
    if bad:
        sep = "commas" if fmt is not CipherSpecFormat.SYSTEM_VALUE else "spaces or commas"
        raise CipherSpecError(bad, f"{', '.join(map(repr, bad))}: the {fmt.value} must be "
                                   f"separated by {sep}.")
    return tokens


def parse_cipher_specs(fmt: CipherSpecFormat, text: str) -> list[CipherSuite]:
    """The suites a spec string names, in its order, duplicates dropped.

    Raises :class:`CipherSpecError` for an empty string, a bad separator, a length that is
    not a multiple of the code width, or a token that names no suite in this format.
    """
    if not text or not text.strip():
        raise CipherSpecError([], f"the cipher spec list ({fmt.value}) is empty.")
    index, what = _INDEX[fmt], _SPELLINGS[fmt][1]
    suites: list[CipherSuite] = []
    bad: dict[str, str] = {}
    for token in _tokens(fmt, text.strip()):
        suite = index.get(token.upper())
        if suite is None:
            bad[token] = f"{token!r} is not {what}"
        elif suite not in suites:
            suites.append(suite)
    if bad:
        raise CipherSpecError(list(bad), "; ".join(bad.values()) + ".")
    return suites


def format_cipher_specs(fmt: CipherSpecFormat, suites: Iterable[CipherSuite]) -> str:
    """The spec string for these suites in this format; CipherSpecError if one has no spelling."""
    spell = _SPELLINGS[fmt][0]
    spelled = [(suite, spell(suite)) for suite in suites]
    bad = [suite.iana_name for suite, value in spelled if value is None]
    if bad:
        raise CipherSpecError(bad, f"{', '.join(bad)} cannot be written as {fmt.value}.")
    return _JOINERS.get(fmt, "").join(value for _, value in spelled if value is not None)


# --- OpenSSL ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _openssl_names() -> frozenset[str]:
    """Every suite name the bundled OpenSSL (pyOpenSSL) can negotiate at security level 0."""
    from OpenSSL import SSL  # lazy: keeps this module free of TLS libraries

    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_cipher_list(b"ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    names = set(SSL.Connection(ctx).get_cipher_list())
    probe = SSL.Context(SSL.TLS_METHOD)
    for suite in SUITES:
        if suite.tls13:
            try:
                probe.set_tls13_ciphersuites(suite.iana_name.encode())
            except SSL.Error:
                continue
            names.add(suite.iana_name)
    return frozenset(names)


def openssl_supported(suite: CipherSuite) -> bool:
    """Can the OpenSSL under pyOpenSSL negotiate this suite at all (at @SECLEVEL=0)?"""
    return suite.openssl_name is not None and suite.openssl_name in _openssl_names()


def _legacy(suites: Iterable[CipherSuite]) -> list[CipherSuite]:
    return [s for s in suites if s.openssl_name and not s.tls13 and not s.sslv2_only]


def security_level_0_reasons(suites: Iterable[CipherSuite], lowest: Protocol | None = None) -> list[str]:
    """Why :func:`openssl_cipher_list` lowers OpenSSL's security level to 0 for these TLS <= 1.2
    suites and this lowest protocol; [] when it keeps OpenSSL's default level.  OpenSSL 3+
    refuses TLS 1.0/1.1 and the suites with a :attr:`CipherSuite.weakness` above level 0."""
    legacy = _legacy(suites)
    if not legacy:
        return []
    reasons = []
    if lowest is not None and lowest < Protocol.TLSV12:
        reasons.append(f"{lowest.label} is enabled")
    reasons += [f"{s.iana_name} is listed ({s.weakness})" for s in legacy if s.weakness]
    return reasons


def openssl_cipher_list(suites: Iterable[CipherSuite], lowest: Protocol | None = None) -> str:
    """The TLS <= 1.2 suites as an OpenSSL cipher string, in order; "" if none.  Ends with
    ``@SECLEVEL=0`` when the ``lowest`` protocol enabled is below TLS 1.2 or a suite with a
    :attr:`~CipherSuite.weakness` (NULL, anonymous, CCM_8, MD5) is listed: OpenSSL 3+ refuses
    them above level 0, and GSKit negotiates what the application lists.  Nothing is lowered
    otherwise (see :func:`security_level_0_reasons`).  The engine and ``gskit ciphers`` both
    build the string here."""
    suites = _legacy(suites)
    text = ":".join(s.openssl_name for s in suites if s.openssl_name)
    return f"{text}:@SECLEVEL=0" if security_level_0_reasons(suites, lowest) else text


def openssl_tls13_ciphersuites(suites: Iterable[CipherSuite]) -> str:
    """The TLS 1.3 suites as an OpenSSL ciphersuites string, in order; "" if none."""
    return ":".join(s.iana_name for s in suites if s.tls13)


# --- IBM i defaults -------------------------------------------------------------------------

_DEFAULT_SPECS: dict[str, tuple[CipherSpecFormat, str]] = {
    # [V6R1] p.44: the shipped GSK_V3_CIPHER_SPECS default.
    "V6R1": (CipherSpecFormat.V3, "2F0504350A"),
    "7.2": (CipherSpecFormat.SYSTEM_VALUE, """
        *ECDHE_ECDSA_AES_128_CBC_SHA256 *ECDHE_ECDSA_AES_256_CBC_SHA384
        *ECDHE_ECDSA_AES_128_GCM_SHA256 *ECDHE_ECDSA_AES_256_GCM_SHA384
        *RSA_AES_128_CBC_SHA256 *RSA_AES_128_CBC_SHA *RSA_AES_256_CBC_SHA256 *RSA_AES_256_CBC_SHA
        *RSA_AES_128_GCM_SHA256 *RSA_AES_256_GCM_SHA384 *ECDHE_RSA_AES_128_CBC_SHA256
        *ECDHE_RSA_AES_256_CBC_SHA384 *ECDHE_RSA_AES_128_GCM_SHA256 *ECDHE_RSA_AES_256_GCM_SHA384
        *ECDHE_ECDSA_3DES_EDE_CBC_SHA *ECDHE_RSA_3DES_EDE_CBC_SHA *RSA_3DES_EDE_CBC_SHA
        *ECDHE_ECDSA_RC4_128_SHA *ECDHE_RSA_RC4_128_SHA *RSA_RC4_128_SHA *RSA_RC4_128_MD5
        *RSA_DES_CBC_SHA *RSA_EXPORT_RC4_40_MD5 *RSA_EXPORT_RC2_CBC_40_MD5 *ECDHE_ECDSA_NULL_SHA
        *ECDHE_RSA_NULL_SHA *RSA_NULL_SHA256 *RSA_NULL_SHA *RSA_NULL_MD5"""),
    "7.3": (CipherSpecFormat.SYSTEM_VALUE, """
        *AES_128_GCM_SHA256 *AES_256_GCM_SHA384 *CHACHA20_POLY1305_SHA256
        *ECDHE_ECDSA_AES_128_GCM_SHA256 *ECDHE_ECDSA_AES_256_GCM_SHA384
        *ECDHE_RSA_AES_128_GCM_SHA256 *ECDHE_RSA_AES_256_GCM_SHA384
        *ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 *ECDHE_RSA_CHACHA20_POLY1305_SHA256
        *RSA_AES_128_GCM_SHA256 *RSA_AES_256_GCM_SHA384 *ECDHE_ECDSA_AES_128_CBC_SHA256
        *ECDHE_ECDSA_AES_256_CBC_SHA384 *ECDHE_RSA_AES_128_CBC_SHA256 *ECDHE_RSA_AES_256_CBC_SHA384
        *RSA_AES_128_CBC_SHA256 *RSA_AES_128_CBC_SHA *RSA_AES_256_CBC_SHA256 *RSA_AES_256_CBC_SHA
        *ECDHE_ECDSA_3DES_EDE_CBC_SHA *ECDHE_RSA_3DES_EDE_CBC_SHA *RSA_3DES_EDE_CBC_SHA"""),
    "7.4": (CipherSpecFormat.SYSTEM_VALUE, """
        *AES_128_GCM_SHA256 *AES_256_GCM_SHA384 *CHACHA20_POLY1305_SHA256
        *ECDHE_ECDSA_AES_128_GCM_SHA256 *ECDHE_ECDSA_AES_256_GCM_SHA384
        *ECDHE_RSA_AES_128_GCM_SHA256 *ECDHE_RSA_AES_256_GCM_SHA384
        *ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 *ECDHE_RSA_CHACHA20_POLY1305_SHA256"""),
}
_DEFAULT_SPECS["7.5"] = _DEFAULT_SPECS["7.4"]  # INFERRED: the 7.5 page was not found

IBMI_DEFAULT_SPECS: dict[str, tuple[CipherSpecFormat, str]] = {
    release: (fmt, " ".join(text.split())) for release, (fmt, text) in _DEFAULT_SPECS.items()}
"""Each release's default list as IBM writes it (format, text)."""

IBMI_DEFAULTS: dict[str, tuple[CipherSuite, ...]] = {
    release: tuple(parse_cipher_specs(fmt, text)) for release, (fmt, text) in IBMI_DEFAULT_SPECS.items()}
"""Release -> the default cipher list (QSSLCSL *OPSYS; for V6R1 the V3 default), in order."""

IBMI_V2_DEFAULTS: dict[str, tuple[CipherSuite, ...]] = {
    "V6R1": tuple(parse_cipher_specs(CipherSpecFormat.V2, "137"))}
"""Release -> the GSK_V2_CIPHER_SPECS default ([V6R1] "137"); SSLv2 is gone from 7.4 on."""

IBMI_DEFAULT_PROTOCOLS: dict[str, tuple[Protocol, ...]] = {
    "V6R1": (P.TLSV10, P.SSLV3),
    "7.2": (P.TLSV12, P.TLSV11, P.TLSV10),
    "7.3": (P.TLSV13, P.TLSV12, P.TLSV11, P.TLSV10),
    "7.4": (P.TLSV13, P.TLSV12),  # INFERRED (page partly read)
    "7.5": (P.TLSV13, P.TLSV12),  # INFERRED
}
"""Release -> QSSLPCL *OPSYS (gskit-semantics.md §7), newest first."""


def application_lists(suites: Iterable[CipherSuite]) -> dict[Protocol, tuple[CipherSuite, ...]]:
    """A DCM application definition's suites as the TLS 1.2 and TLS 1.3 lists they set (the
    lists of other protocols keep their defaults; a definition naming no suite sets none)."""
    chosen = tuple(suites)
    if not chosen:
        return {}
    return {p: tuple(s for s in chosen if p in s.protocols) for p in (Protocol.TLSV12, Protocol.TLSV13)}
