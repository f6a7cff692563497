"""The attribute table: one row per GSKit attribute ID.

Each row says what ``gsk_attribute_set_*`` / ``gsk_attribute_get_*`` may do with the ID:
its kind (which setter), where it is valid (environment, session, both), when it may be
set, its default right after ``gsk_environment_open``, the values it accepts, whether it
does something off IBM i, the keyword the Pythonic API uses for it, and in one phrase how it
maps to OpenSSL.  The set/get calls look rows up here; nothing else knows these facts.

Protocol and cipher defaults depend on the emulated IBM i release and are filled in by
:mod:`gskit.attributes.defaults`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Iterable

from gskit import constants as c


class Kind(Enum):
    BUFFER = "buffer"
    NUMERIC = "numeric"
    ENUM = "enum"
    CALLBACK = "callback"


class Scope(Enum):
    ENVIRONMENT = "environment"
    SESSION = "session"
    BOTH = "both"

    def allows(self, is_session: bool) -> bool:
        return self is Scope.BOTH or (self is Scope.SESSION) == is_session


class Phase(Enum):
    BEFORE_INIT = "before init"      # settable until gsk_environment_init / gsk_secure_soc_init
    READ_ONLY = "read-only"          # a result: readable after the handshake (or init)


class Support(Enum):
    REAL = "real"                    # does on OpenSSL what it does on IBM i
    STORED = "stored"                # accepted and read back; no effect off IBM i (documented)


@dataclass(frozen=True)
class Attribute:
    id: int
    name: str
    kind: Kind
    scope: Scope
    phase: Phase
    default: Any = None
    values: frozenset[int] | range | None = None   # enum values or numeric range; None = any
    support: Support = Support.REAL
    keyword: str | None = None                      # Pythonic API keyword
    openssl: str = ""                               # how it maps to OpenSSL, for the docs

    def check_value(self, value: int) -> bool:
        return self.values is None or value in self.values


BOOL: Final = frozenset({c.GSK_TRUE, c.GSK_FALSE})
NON_NEGATIVE: Final = range(0, 2**31)
_B, _N, _E, _CB = Kind.BUFFER, Kind.NUMERIC, Kind.ENUM, Kind.CALLBACK
_ENV, _SES, _BOTH = Scope.ENVIRONMENT, Scope.SESSION, Scope.BOTH
_SET, _RO = Phase.BEFORE_INIT, Phase.READ_ONLY
_STORED: Final = Support.STORED


def _named(name: str, *fields: Any, **options: Any) -> Attribute:
    """A row whose ID is the value of the constant ``name``."""
    return Attribute(getattr(c, name), name, *fields, **options)


def _rows() -> Iterable[Attribute]:
    A = _named
    # --- buffers -------------------------------------------------------------------------
    yield A("GSK_USER_DATA", _B, _BOTH, _SET, "", keyword="user_data",
            openssl="kept with the handle, passed to the I/O callback")
    yield A("GSK_KEYRING_FILE", _B, _BOTH, _SET, "", keyword="keyring_file",
            openssl="certstore opens it (PKCS#12, PEM, .kdb; *SYSTEM = registry store)")
    yield A("GSK_KEYRING_PW", _B, _BOTH, _SET, "", keyword="keyring_password",
            openssl="decrypts the keystore")
    yield A("GSK_KEYRING_LABEL", _B, _BOTH, _SET, "", keyword="keyring_label",
            openssl="use_certificate/use_privatekey of that entry (empty: the default entry)")
    yield A("GSK_KEYRING_STASH_FILE", _B, _BOTH, _SET, "",
            keyword="keyring_stash_file", openssl="recovers the keystore password (.sth)")
    yield A("GSK_KEYRING_LABEL_EX", _B, _BOTH, _SET, "",
            keyword="keyring_labels", openssl="up to four certificates: one per key type in the SSL_CTX")
    yield A("GSK_IBMI_APPLICATION_ID", _B, _ENV, _SET, "",
            keyword="application_id", openssl="certstore registry: certificates, trust, protocol and cipher overrides")
    for name, keyword in (
        ("GSK_V2_CIPHER_SPECS", "v2_cipher_specs"),
        ("GSK_V3_CIPHER_SPECS", "v3_cipher_specs"),
        ("GSK_TLSV10_CIPHER_SPECS", "tlsv10_cipher_specs"),
        ("GSK_TLSV11_CIPHER_SPECS", "tlsv11_cipher_specs"),
        ("GSK_TLSV12_CIPHER_SPECS", "tlsv12_cipher_specs"),
        ("GSK_V3_CIPHER_SPECS_EX", "v3_cipher_specs_ex"),
        ("GSK_TLSV10_CIPHER_SPECS_EX", "tlsv10_cipher_specs_ex"),
        ("GSK_TLSV11_CIPHER_SPECS_EX", "tlsv11_cipher_specs_ex"),
        ("GSK_TLSV12_CIPHER_SPECS_EX", "tlsv12_cipher_specs_ex"),
        ("GSK_TLSV13_CIPHER_SPECS_EX", "tlsv13_cipher_specs"),
    ):
        yield A(name, _B, _BOTH, _SET, None, keyword=keyword,
                openssl="per-protocol suite list: set_cipher_list / set_tls13_ciphersuites, chosen per negotiated version")
    yield A("GSK_SSL_EXTN_SERVERNAME_REQUEST", _B, _BOTH, _SET, "",
            keyword="server_name", openssl="set_tlsext_host_name (client SNI)")
    yield A("GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST", _B,
            _BOTH, _SET, "", keyword="server_name_critical",
            openssl="SNI, and the server's certificate must match the name")
    yield A("GSK_SSL_EXTN_SERVERNAME_LIST", _B, _BOTH, _SET, "",
            keyword="server_names", openssl="names this server answers to (informational: any name is accepted)")
    yield A("GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST", _B, _BOTH,
            _SET, "", keyword="server_names_critical",
            openssl="servername callback: another name, or none, fails the handshake (GSK_ERROR_BAD_PEER)")
    yield A("GSK_SSL_EXTN_SIGALG", _B, _BOTH, _SET, "",
            keyword="signature_algorithms",
            openssl="SSL_CTX_set1_sigalgs_list; the peer's certificates checked against it too (405)")
    yield A("GSK_CONNECT_CIPHER_SPEC", _B, _SES, _RO,
            openssl="negotiated suite: 2-character code, or its IANA name when it has none")
    yield A("GSK_CONNECT_CIPHER_SPEC_EX", _B, _SES, _RO,
            openssl="negotiated suite, IANA name")
    yield A("GSK_CONNECT_SEC_TYPE", _B, _SES, _RO,
            openssl="negotiated protocol: TLSV13, TLSV12, TLSV11, TLSV1")
    yield A("GSK_SID_VALUE", _B, _SES, _RO, openssl="session ID in hex (from the session's DER)")
    yield A("GSK_SSL_EXTN_SERVERNAME", _B, _SES, _RO,
            openssl="SNI name received (server) or sent (client)")
    yield A("GSK_VALIDATIONFAIL_SUBJECT", _B, _SES, _RO,
            openssl="subject of the certificate that failed validation")
    yield A("GSK_CONNECT_COMPRESSION", _B, _SES, _RO,
            openssl="always NONE (OpenSSL built without compression)")
    for name in (
        "GSK_LDAP_SERVER", "GSK_LDAP_USER",
        "GSK_LDAP_USER_PW", "GSK_OCSP_URL",
        "GSK_OCSP_REQUEST_SIGKEYLABEL",
        "GSK_OCSP_PROXY_SERVER_NAME",
        "GSK_UNKNOWNREVOCATIONSTATUS_SUBJECT",
        "GSK_UNKNOWNREVOCATIONSTATUS_SUBJECT_NOAIA",
    ):
        yield A(name, _B, _ENV, _SET, "", support=_STORED,
                openssl="none: no LDAP or OCSP fetching off IBM i")
    # --- numeric -------------------------------------------------------------------------
    yield A("GSK_FD", _N, _SES, _SET, -1, NON_NEGATIVE, keyword="fd",
            openssl="the socket OpenSSL reads and writes (a blocking one directly, held non-blocking; else through memory BIOs)")
    yield A("GSK_IBMI_READ_TIMEOUT", _N, _BOTH, _SET, 0, NON_NEGATIVE,
            keyword="read_timeout_ms", openssl="poll() deadline per read, milliseconds; 0 = none")
    yield A("GSK_HANDSHAKE_TIMEOUT", _N, _BOTH, _SET, 0, NON_NEGATIVE,
            keyword="handshake_timeout", openssl="deadline for the whole handshake, seconds; 0 = none")
    yield A("GSK_V3_SESSION_TIMEOUT", _N, _ENV, _SET, 86400, range(0, 86401),
            keyword="session_timeout", openssl="SSL_CTX_set_timeout; 0 turns the session cache off")
    yield A("GSK_V2_SESSION_TIMEOUT", _N, _ENV, _SET, 100, range(0, 101),
            support=_STORED, openssl="none: SSLv2 is never negotiated")
    yield A("GSK_V3_SIDCACHE_SIZE", _N, _ENV, _SET, 512, range(0, 64001),
            keyword="session_cache_size", openssl="bound on the client session cache; 0 = no client cache")
    yield A("GSK_V2_SIDCACHE_SIZE", _N, _ENV, _SET, 256, range(0, 64001),
            support=_STORED, openssl="none: SSLv2 is never negotiated")
    for name, default, values in (
        ("GSK_LDAP_SERVER_PORT", 389, range(1, 65536)),
        ("GSK_LDAP_SERVER_INDEX", 1, range(1, 2**31)),
        ("GSK_LDAP_FAILOVER_RECONNECTION_PERIOD", 0, NON_NEGATIVE),
        ("GSK_CRL_CACHE_ENTRY_LIFETIME", 0, NON_NEGATIVE),
        ("GSK_CRL_CACHE_SIZE", 0, NON_NEGATIVE),
        ("GSK_OCSP_PROXY_SERVER_PORT", 80, range(1, 65536)),
        ("GSK_OCSP_REQUEST_SIGALG", 0, range(0, 3)),
        ("GSK_OCSP_MAX_RESPONSE_SIZE", 20480, NON_NEGATIVE),
        ("GSK_OCSP_TIMEOUT", 10, NON_NEGATIVE),
        ("GSK_OCSP_NONCE_SIZE", 8, range(8, 257)),
        ("GSK_OCSP_CLIENT_CACHE_SIZE", 256, NON_NEGATIVE),
        ("GSK_SSL_EXTN_MAXFRAGMENT_SIZE", 0, NON_NEGATIVE),
        ("GSK_TLS_CBCPROTECTION_METHOD", 0, range(0, 4)),
    ):
        yield A(name, _N, _ENV, _SET, default, values, support=_STORED,
                openssl="none off IBM i (LDAP, OCSP fetching, CBC record splitting)")
    yield A("GSK_CERTIFICATE_VALIDATION_CODE", _N, _SES, _RO,
            openssl="SSL_get_verify_result mapped to a GSKVAL_* code (0 = valid)")
    yield A("GSK_LAST_VALIDATION_ERROR", _N, _SES, _RO,
            openssl="same as GSK_CERTIFICATE_VALIDATION_CODE")
    # --- enums ---------------------------------------------------------------------------
    yield A("GSK_SESSION_TYPE", _E, _BOTH, _SET, c.GSK_CLIENT_SESSION,
            frozenset({c.GSK_CLIENT_SESSION, c.GSK_SERVER_SESSION, c.GSK_SERVER_SESSION_WITH_CL_AUTH,
                       c.GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL}),
            keyword="session_type", openssl="connect/accept state; client auth: VERIFY_PEER (+FAIL_IF_NO_PEER_CERT)")
    yield A("GSK_CLIENT_AUTH_TYPE", _E, _BOTH, _SET, c.GSK_CLIENT_AUTH_FULL,
            frozenset({c.GSK_CLIENT_AUTH_FULL, c.GSK_CLIENT_AUTH_PASSTHRU, c.GSK_IBMI_CLIENT_AUTH_REQUIRED}),
            keyword="client_auth", openssl="verify callback: FULL rejects bad certs, PASSTHRU records them, REQUIRED also needs one")
    yield A("GSK_SERVER_AUTH_TYPE", _E, _BOTH, _SET, c.GSK_SERVER_AUTH_FULL,
            frozenset({c.GSK_SERVER_AUTH_FULL, c.GSK_SERVER_AUTH_PASSTHRU, c.GSK_IBMI_SERVER_AUTH_REQUIRED}),
            keyword="server_auth", openssl="verify callback: FULL/REQUIRED reject, PASSTHRU records the result")
    yield A("GSK_PROTOCOL_SSLV2", _E, _BOTH, _SET, c.GSK_PROTOCOL_SSLV2_OFF,
            frozenset({c.GSK_PROTOCOL_SSLV2_ON, c.GSK_PROTOCOL_SSLV2_OFF}), keyword="sslv2",
            openssl="none: OP_NO_SSLv2 always; ON is accepted and never negotiated")
    yield A("GSK_PROTOCOL_SSLV3", _E, _BOTH, _SET, c.GSK_PROTOCOL_SSLV3_OFF,
            frozenset({c.GSK_PROTOCOL_SSLV3_ON, c.GSK_PROTOCOL_SSLV3_OFF}), keyword="sslv3",
            openssl="none: OP_NO_SSLv3 always; ON is accepted and never negotiated")
    yield A("GSK_PROTOCOL_TLSV1", _E, _BOTH, _SET, c.GSK_PROTOCOL_TLSV1_ON,
            frozenset({c.GSK_PROTOCOL_TLSV1_ON, c.GSK_PROTOCOL_TLSV1_OFF}), keyword="tlsv1",
            openssl="master switch: the default of each TLSV1x switch that is not set")
    for name, keyword in (
        ("GSK_PROTOCOL_TLSV10", "tlsv10"),
        ("GSK_PROTOCOL_TLSV11", "tlsv11"),
        ("GSK_PROTOCOL_TLSV12", "tlsv12"),
        ("GSK_PROTOCOL_TLSV13", "tlsv13"),
    ):
        yield A(name, _E, _BOTH, _SET, None, BOOL, keyword=keyword,
                openssl="set_min/max_proto_version (+ OP_NO_TLSv1_x for gaps; @SECLEVEL=0 for 1.0/1.1)")
    yield A("GSK_PROTOCOL_USED", _E, _SES, _RO, openssl="get_protocol_version")
    yield A("GSK_SID_FIRST", _E, _SES, _RO, openssl="SSL_session_reused")
    yield A("GSK_ENVIRONMENT_CLOSE_OPTIONS", _E, _ENV, _SET,
            c.GSK_NORMAL_ENVIRONMENT_CLOSE,
            frozenset({c.GSK_DELAYED_ENVIRONMENT_CLOSE, c.GSK_NORMAL_ENVIRONMENT_CLOSE}),
            openssl="DELAYED: GSK_ENVIRONMENT_CLOSE_CALLBACK runs when the last session closes")
    yield A("GSK_AES_SUPPORT", _E, _ENV, _SET, c.GSK_AES_SUPPORT_ON,
            frozenset({c.GSK_AES_SUPPORT_ON, c.GSK_AES_SUPPORT_OFF}), keyword="aes",
            openssl="OFF removes every AES suite from the lists")
    yield A("GSK_NO_RENEGOTIATION", _E, _BOTH, _SET, c.GSK_FALSE, BOOL,
            keyword="no_renegotiation", openssl="OP_NO_RENEGOTIATION")
    yield A("GSK_CERTREQ_DNLIST_ENABLE", _E, _BOTH, _SET, c.GSK_TRUE, BOOL,
            keyword="send_ca_list", openssl="set_client_ca_list from the trusted CAs")
    yield A("GSK_LDAP_REQUIRED_AT_INIT", _E, _ENV, _SET,
            c.GSK_INIT_CRL_LDAP_REQUIRED_OFF,
            frozenset({c.GSK_INIT_CRL_LDAP_REQUIRED_ON, c.GSK_INIT_CRL_LDAP_REQUIRED_OFF}),
            openssl="ON with GSK_LDAP_SERVER set: init fails with GSK_ERROR_LDAP_NOT_AVAILABLE")
    yield A("GSK_ALLOW_UNAUTHENTICATED_RESUME", _E, _ENV, _SET,
            c.GSK_ALLOW_UNAUTHENTICATED_RESUME_ON,
            frozenset({c.GSK_ALLOW_UNAUTHENTICATED_RESUME_ON, c.GSK_ALLOW_UNAUTHENTICATED_RESUME_OFF}),
            support=_STORED, openssl="none: OpenSSL resumes only sessions it authenticated")
    for name in (
        "GSK_OCSP_ENABLE",
        "GSK_OCSP_NONCE_CHECK_ENABLE",
        "GSK_OCSP_NONCE_GENERATION_ENABLE",
        "GSK_OCSP_RETRIEVE_VIA_GET",
        "GSK_EXTENDED_RENEGOTIATION_CRITICAL_CLIENT",
        "GSK_EXTENDED_RENEGOTIATION_CRITICAL_SERVER",
    ):
        yield A(name, _E, _ENV, _SET, c.GSK_FALSE, BOOL, support=_STORED,
                openssl="none: no OCSP fetching; OpenSSL always requires RFC 5746 renegotiation")
    for name, on, off in (
        ("GSK_ACCELERATOR_RAINBOW_CS", c.GSK_ACCELERATOR_RAINBOW_CS_ON,
         c.GSK_ACCELERATOR_RAINBOW_CS_OFF),
        ("GSK_ACCELERATOR_NCIPHER_NF", c.GSK_ACCELERATOR_NCIPHER_NF_ON,
         c.GSK_ACCELERATOR_NCIPHER_NF_OFF),
    ):
        yield A(name, _E, _ENV, _SET, off, frozenset({on, off}), support=_STORED,
                openssl="none: V5R4 crypto cards")
    # --- callbacks -----------------------------------------------------------------------
    yield A("GSK_CERT_VALIDATION_CALLBACK", _CB, _BOTH, _SET,
            keyword="validation_callback", openssl="called from the verify callback with the DER chain")
    yield A("GSK_IO_CALLBACK", _CB, _BOTH, _SET, keyword="io_callback",
            openssl="the adapter moves the memory-BIO bytes through io_read/io_write instead of GSK_FD")
    yield A("GSK_CLIENT_CERT_CALLBACK", _CB, _BOTH, _SET,
            keyword="client_cert_callback", openssl="called when a server asks this client for a certificate")
    yield A("GSK_ENVIRONMENT_CLOSE_CALLBACK", _CB, _ENV, _SET,
            keyword="close_callback",
            openssl="called when the environment's resources are freed, if GSK_ENVIRONMENT_CLOSE_OPTIONS is DELAYED")
    yield A("GSK_CIPHER_SESSION_RESET", _CB, _BOTH, _SET,
            keyword="cipher_reset_callback", openssl="called after a renegotiation or key update")
    yield A("GSK_SID_CACHE_CALLBACK", _CB, _ENV, _SET, support=_STORED,
            openssl="none: OpenSSL's internal session cache is used")


ATTRIBUTES: Final[dict[int, Attribute]] = {row.id: row for row in _rows()}
BY_KEYWORD: Final[dict[str, Attribute]] = {row.keyword: row for row in ATTRIBUTES.values() if row.keyword}

# Passwords: never shown (trace, reprs); their values stay in the handle only.
SECRET_IDS: Final = frozenset({c.GSK_KEYRING_PW, c.GSK_LDAP_USER_PW, c.GSK_PKCS11_TOKEN_PWD})

# The cipher-spec attributes: id -> (list key, spec format name).  The list key names the
# per-protocol list the attribute reads and writes; "V3" is SSLv3's list, also the fallback
# of the TLS 1.0-1.2 lists when their own is not set.
CIPHER_SPEC_ATTRIBUTES: Final[dict[int, tuple[str, str]]] = {
    c.GSK_V2_CIPHER_SPECS: ("V2", "V2"),
    c.GSK_V3_CIPHER_SPECS: ("V3", "V3"),
    c.GSK_TLSV10_CIPHER_SPECS: ("TLSV10", "V3"),
    c.GSK_TLSV11_CIPHER_SPECS: ("TLSV11", "V3"),
    c.GSK_TLSV12_CIPHER_SPECS: ("TLSV12", "V3"),
    c.GSK_V3_CIPHER_SPECS_EX: ("V3", "EX"),
    c.GSK_TLSV10_CIPHER_SPECS_EX: ("TLSV10", "EX"),
    c.GSK_TLSV11_CIPHER_SPECS_EX: ("TLSV11", "EX"),
    c.GSK_TLSV12_CIPHER_SPECS_EX: ("TLSV12", "EX"),
    c.GSK_TLSV13_CIPHER_SPECS_EX: ("TLSV13", "TLS13_EX"),
}

PROTOCOL_SWITCHES: Final[dict[int, str]] = {
    c.GSK_PROTOCOL_TLSV10: "TLSV10",
    c.GSK_PROTOCOL_TLSV11: "TLSV11",
    c.GSK_PROTOCOL_TLSV12: "TLSV12",
    c.GSK_PROTOCOL_TLSV13: "TLSV13",
}


def lookup(attr_id: object, kind: Kind) -> Attribute | None:
    """The row for ``attr_id`` if it is an attribute of that kind, else None."""
    if not isinstance(attr_id, int) or isinstance(attr_id, bool):
        return None
    row = ATTRIBUTES.get(attr_id)
    return row if row is not None and row.kind is kind else None


def render_markdown() -> str:
    """The attribute table as Markdown (docs/attributes.md is generated from this)."""
    lines = [
        "# GSKit attributes", "",
        "Generated from `gskit/attributes/table.py` by `python -m gskit.generated_docs`.",
        "IDs not listed (PKCS#11, CSP) return `GSK_ATTRIBUTE_INVALID_ID`, as on IBM i.",
        "*stored*: accepted and read back, no effect off IBM i.", "",
        "| ID | name | type | valid on | set | default | keyword | OpenSSL mapping |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(ATTRIBUTES.values(), key=lambda r: r.id):
        default = "" if row.default in (None, "") else f"`{row.default}`"
        if row.kind is Kind.ENUM and row.default is not None:
            default = f"`{c.EnumValue(row.default).name}`"
        note = " *stored*" if row.support is Support.STORED else ""
        lines.append(f"| {row.id} | `{row.name}` | {row.kind.value} | {row.scope.value} | {row.phase.value} "
                     f"| {default} | {row.keyword or ''} | {row.openssl}{note} |")
    return "\n".join(lines) + "\n"

