"""Every constant of ``gskssl.h`` and ``qsoasync.h`` except the return codes, as data.

Values are IBM's (``../shared/reference/gskit-constants.md`` gives the source of each).
Each group below is one C enum; a row is ``(value, name, *aliases)``.  From the rows the
module builds one ``IntEnum`` per group (aliases are enum aliases) and a module-level int
for every spelling, so ``GSK_IBMI_READ_TIMEOUT``, ``GSK_OS400_READ_TIMEOUT`` and
``GSK_AS400_READ_TIMEOUT`` are one value.  The return codes live in :mod:`gskit.errors`.

This module imports nothing heavy: ``gskit errors`` and the docs read it.
"""
from __future__ import annotations

import errno as _errno

TYPE_CHECKING = False   # typing costs milliseconds at start-up; see __getattr__
if TYPE_CHECKING:
    from enum import IntEnum

    from gskit._constant_names import *  # noqa: F403 - the names built below from the rows

Row = tuple  # (value, primary name, *aliases)


def _ibmi(value: int, suffix: str) -> Row:
    """A row for an IBM i-specific name under its three spellings, current first."""
    return (value, f"GSK_IBMI_{suffix}", f"GSK_OS400_{suffix}", f"GSK_AS400_{suffix}")


MISC_IDS: list[Row] = [
    (100, "GSK_RESET_CIPHER"),
    (101, "GSK_RESET_SESSION"),
    # IBM 7.3 docs: CLOSE_NOTIFY 102, WITHNEWSESSION 103 (HTTPAPI swaps them); docs/behaviour.md.
    (102, "GSK_CLOSE_NOTIFY"),
    (103, "GSK_RESET_CIPHER_WITHNEWSESSION"),
]

BUFFER_IDS: list[Row] = [
    (200, "GSK_USER_DATA"),
    (201, "GSK_KEYRING_FILE"),
    (202, "GSK_KEYRING_PW"),
    (203, "GSK_KEYRING_LABEL"),
    (204, "GSK_KEYRING_STASH_FILE"),
    (205, "GSK_V2_CIPHER_SPECS"),
    (206, "GSK_V3_CIPHER_SPECS"),
    (207, "GSK_CONNECT_CIPHER_SPEC"),
    (208, "GSK_CONNECT_SEC_TYPE"),
    (209, "GSK_LDAP_SERVER"),
    (210, "GSK_LDAP_USER"),
    (211, "GSK_LDAP_USER_PW"),
    (212, "GSK_SID_VALUE"),
    (213, "GSK_PKCS11_DRIVER_PATH"),
    (214, "GSK_PKCS11_TOKEN_LABEL"),
    (215, "GSK_PKCS11_TOKEN_PWD"),
    (216, "GSK_CSP_NAME"),
    (221, "GSK_OCSP_URL"),
    (222, "GSK_OCSP_REQUEST_SIGKEYLABEL"),
    (223, "GSK_OCSP_PROXY_SERVER_NAME"),
    (224, "GSK_UNKNOWNREVOCATIONSTATUS_SUBJECT"),
    (230, "GSK_SSL_EXTN_SERVERNAME_REQUEST"),
    (231, "GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST"),
    (232, "GSK_SSL_EXTN_SERVERNAME_LIST"),
    (233, "GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST"),
    (234, "GSK_SSL_EXTN_SERVERNAME"),
    (235, "GSK_VALIDATIONFAIL_SUBJECT"),
    (236, "GSK_TLSV10_CIPHER_SPECS", "GSK_TLSV0_CIPHER_SPECS"),
    (237, "GSK_TLSV11_CIPHER_SPECS", "GSK_TLSV1_CIPHER_SPECS"),
    (238, "GSK_TLSV12_CIPHER_SPECS", "GSK_TLSV2_CIPHER_SPECS"),
    (240, "GSK_V3_CIPHER_SPECS_EX"),
    (241, "GSK_TLSV10_CIPHER_SPECS_EX"),
    (242, "GSK_TLSV11_CIPHER_SPECS_EX"),
    (243, "GSK_TLSV12_CIPHER_SPECS_EX"),
    (244, "GSK_CONNECT_CIPHER_SPEC_EX"),
    (245, "GSK_SSL_EXTN_SIGALG"),
    (247, "GSK_CONNECT_COMPRESSION"),
    (252, "GSK_UNKNOWNREVOCATIONSTATUS_SUBJECT_NOAIA"),
    (254, "GSK_KEYRING_LABEL_EX"),
    (2008, "GSK_TLSV13_CIPHER_SPECS_EX"),
    _ibmi(6999, "APPLICATION_ID"),
]

NUMERIC_IDS: list[Row] = [
    (300, "GSK_FD"),
    (301, "GSK_V2_SESSION_TIMEOUT"),
    (302, "GSK_V3_SESSION_TIMEOUT"),
    (303, "GSK_LDAP_SERVER_PORT"),
    (304, "GSK_V2_SIDCACHE_SIZE"),
    (305, "GSK_V3_SIDCACHE_SIZE"),
    (306, "GSK_LDAP_SERVER_INDEX"),
    (307, "GSK_LDAP_FAILOVER_RECONNECTION_PERIOD"),
    (308, "GSK_CRL_CACHE_ENTRY_LIFETIME"),
    (309, "GSK_CRL_CACHE_SIZE"),
    (311, "GSK_LAST_VALIDATION_ERROR"),
    (312, "GSK_OCSP_PROXY_SERVER_PORT"),
    (313, "GSK_OCSP_REQUEST_SIGALG"),
    (315, "GSK_OCSP_MAX_RESPONSE_SIZE"),
    (318, "GSK_OCSP_TIMEOUT"),
    (321, "GSK_SSL_EXTN_MAXFRAGMENT_SIZE"),
    (324, "GSK_OCSP_NONCE_SIZE"),
    (326, "GSK_OCSP_CLIENT_CACHE_SIZE"),
    (329, "GSK_TLS_CBCPROTECTION_METHOD"),
    _ibmi(6993, "READ_TIMEOUT"),
    (6996, "GSK_CERTIFICATE_VALIDATION_CODE"),
    (6998, "GSK_HANDSHAKE_TIMEOUT"),
]

ENUM_IDS: list[Row] = [
    (401, "GSK_CLIENT_AUTH_TYPE"),
    (402, "GSK_SESSION_TYPE"),
    (403, "GSK_PROTOCOL_SSLV2"),
    (404, "GSK_PROTOCOL_SSLV3"),
    (405, "GSK_PROTOCOL_USED"),
    (406, "GSK_SID_FIRST"),
    (407, "GSK_PROTOCOL_TLSV1"),
    (408, "GSK_ACCELERATOR_RAINBOW_CS"),
    (409, "GSK_ACCELERATOR_NCIPHER_NF"),
    (410, "GSK_SERVER_AUTH_TYPE"),
    (411, "GSK_ENVIRONMENT_CLOSE_OPTIONS"),
    (412, "GSK_LDAP_REQUIRED_AT_INIT"),
    (413, "GSK_AES_SUPPORT"),
    (423, "GSK_ALLOW_UNAUTHENTICATED_RESUME"),
    (426, "GSK_OCSP_ENABLE"),
    (427, "GSK_OCSP_NONCE_CHECK_ENABLE"),
    (428, "GSK_OCSP_NONCE_GENERATION_ENABLE"),
    (435, "GSK_OCSP_RETRIEVE_VIA_GET"),
    (436, "GSK_PROTOCOL_TLSV10"),
    (437, "GSK_PROTOCOL_TLSV11"),
    (438, "GSK_PROTOCOL_TLSV12"),
    (442, "GSK_NO_RENEGOTIATION"),
    (451, "GSK_EXTENDED_RENEGOTIATION_CRITICAL_CLIENT"),
    (452, "GSK_EXTENDED_RENEGOTIATION_CRITICAL_SERVER"),
    (457, "GSK_CERTREQ_DNLIST_ENABLE"),
    (4030, "GSK_PROTOCOL_TLSV13"),
]

ENUM_VALUES: list[Row] = [
    (0, "GSK_FALSE"),
    (1, "GSK_TRUE"),
    (500, "GSK_NULL"),
    (503, "GSK_CLIENT_AUTH_FULL"),
    (505, "GSK_CLIENT_AUTH_PASSTHRU"),
    (507, "GSK_CLIENT_SESSION"),
    (508, "GSK_SERVER_SESSION"),
    (509, "GSK_SERVER_SESSION_WITH_CL_AUTH"),
    (510, "GSK_PROTOCOL_SSLV2_ON"),
    (511, "GSK_PROTOCOL_SSLV2_OFF"),
    (512, "GSK_PROTOCOL_SSLV3_ON"),
    (513, "GSK_PROTOCOL_SSLV3_OFF"),
    (514, "GSK_PROTOCOL_USED_SSLV2"),
    (515, "GSK_PROTOCOL_USED_SSLV3"),
    (516, "GSK_SID_IS_FIRST"),
    (517, "GSK_SID_NOT_FIRST"),
    (518, "GSK_PROTOCOL_TLSV1_ON"),
    (519, "GSK_PROTOCOL_TLSV1_OFF"),
    (520, "GSK_PROTOCOL_USED_TLSV1"),
    (530, "GSK_ACCELERATOR_RAINBOW_CS_ON"),
    (531, "GSK_ACCELERATOR_RAINBOW_CS_OFF"),
    (532, "GSK_ACCELERATOR_NCIPHER_NF_ON"),
    (533, "GSK_ACCELERATOR_NCIPHER_NF_OFF"),
    (534, "GSK_SERVER_AUTH_FULL"),
    (535, "GSK_SERVER_AUTH_PASSTHRU"),
    (536, "GSK_DELAYED_ENVIRONMENT_CLOSE"),
    (537, "GSK_NORMAL_ENVIRONMENT_CLOSE"),
    (538, "GSK_INIT_CRL_LDAP_REQUIRED_ON"),
    (539, "GSK_INIT_CRL_LDAP_REQUIRED_OFF"),
    (540, "GSK_AES_SUPPORT_ON"),
    (541, "GSK_AES_SUPPORT_OFF"),
    (588, "GSK_ALLOW_UNAUTHENTICATED_RESUME_ON"),
    (589, "GSK_ALLOW_UNAUTHENTICATED_RESUME_OFF"),
    (594, "GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL"),
    (595, "GSK_PROTOCOL_USED_TLSV11"),
    (596, "GSK_PROTOCOL_USED_TLSV12"),
    (5000, "GSK_PROTOCOL_USED_TLSV13"),
    _ibmi(6994, "SERVER_AUTH_REQUIRED"),
    _ibmi(6995, "CLIENT_AUTH_REQUIRED"),
]

CERT_IDS: list[Row] = [
    (700, "GSK_PARTNER_CERT_INFO"),
    (701, "GSK_LOCAL_CERT_INFO"),
]

CERT_DATA_IDS: list[Row] = [
    (600, "CERT_BODY_DER"),
    (601, "CERT_BODY_BASE64"),
    (602, "CERT_SERIAL_NUMBER"),
    (610, "CERT_COMMON_NAME"),
    (611, "CERT_LOCALITY"),
    (612, "CERT_STATE_OR_PROVINCE"),
    (613, "CERT_COUNTRY"),
    (614, "CERT_ORG"),
    (615, "CERT_ORG_UNIT"),
    (616, "CERT_DN_PRINTABLE"),
    (617, "CERT_DN_DER"),
    (618, "CERT_POSTAL_CODE"),
    (619, "CERT_EMAIL"),
    (650, "CERT_ISSUER_COMMON_NAME"),
    (651, "CERT_ISSUER_LOCALITY"),
    (652, "CERT_ISSUER_STATE_OR_PROVINCE"),
    (653, "CERT_ISSUER_COUNTRY"),
    (654, "CERT_ISSUER_ORG"),
    (655, "CERT_ISSUER_ORG_UNIT"),
    (656, "CERT_ISSUER_DN_PRINTABLE"),
    (657, "CERT_ISSUER_DN_DER"),
    (658, "CERT_ISSUER_POSTAL_CODE"),
    (659, "CERT_ISSUER_EMAIL"),
    (660, "CERT_VERSION"),
    (661, "CERT_SIGNATURE_ALGORITHM"),
    (662, "CERT_VALID_FROM"),
    (663, "CERT_VALID_TO"),
    (664, "CERT_PUBLIC_KEY_ALGORITHM"),
    (665, "CERT_PUBLIC_KEY"),
    (666, "CERT_PUBLIC_KEY_SIZE"),
    (667, "CERT_FINGERPRINT_ALGORITHM"),
    (668, "CERT_FINGERPRINT"),
    (669, "CERT_ISSUER_UNIQUEID"),
    (670, "CERT_SUBJECT_UNIQUEID"),
    (671, "CERT_KEY_USAGE"),
    (672, "CERT_SUBJECT_ALTERNATIVE_NAME_RFC822NAME"),
    (673, "CERT_SUBJECT_ALTERNATIVE_NAME_DNSNAME"),
    (674, "CERT_SUBJECT_ALTERNATIVE_NAME_DIRECTORYNAME"),
    (675, "CERT_SUBJECT_ALTERNATIVE_NAME_URI"),
    (676, "CERT_SUBJECT_ALTERNATIVE_NAME_IPADDRESS"),
    (677, "CERT_CERTIFICATE_POLICY_POLICYIDENTIFIER"),
    (678, "CERT_BASIC_CONSTRAINTS_CA"),
    (679, "CERT_BASIC_CONSTRAINTS_PATH_LENGTH_CONSTRAINT"),
    (680, "CERT_CRL_DISTRIBUTION_POINTS_DISTRIBUTIONPOINTNAME"),
    (681, "CERT_VALID_FROM_EX"),
    (682, "CERT_VALID_TO_EX"),
]

DATA_IDS: list[Row] = [
    (720, "GSK_DATA_ID_SUPPORTED_KEYS"),
    (721, "GSK_DATA_ID_SERVER_ISSUERS"),
]

CALLBACK_IDS: list[Row] = [
    (800, "GSK_IO_CALLBACK"),
    (801, "GSK_SID_CACHE_CALLBACK", "GSK_SIO_CACHE_CALLBACK"),  # (HTTPAPI's spelling)
    (802, "GSK_CLIENT_CERT_CALLBACK"),
    (803, "GSK_PKCS11_CALLBACK"),
    (804, "GSK_ENVIRONMENT_CLOSE_CALLBACK"),
    (805, "GSK_CERT_VALIDATION_CALLBACK"),
    (807, "GSK_CIPHER_SESSION_RESET"),
]

VALIDATE_REQUIRED: list[Row] = [
    (900, "GSK_NO_VALIDATION"),
    (901, "GSK_VALIDATION_REQUIRED"),
]

CERT_NEEDED: list[Row] = [
    (950, "GSK_CERTIFICATE_CHAIN_SENT_VIA_SSL"),
    (951, "GSK_COMPLETED_CERTIFICATE_CHAIN"),
    (952, "GSK_END_ENTITY_CERTIFICATE"),
]

SOCKET_OPTION_COMMANDS: list[Row] = [
    (900, "GSK_SET_SOCKET_STATE_FOR_HANDSHAKE"),
    (901, "GSK_SET_SOCKET_STATE_FOR_READ_WRITE"),
]

KEY_USAGE_BITS: list[Row] = [
    (1, "GSK_KEY_USAGE_DIGITAL_SIGNATURE"),
    (2, "GSK_KEY_USAGE_NON_REPUDIATION"),
    (4, "GSK_KEY_USAGE_KEY_ENCIPHERMENT"),
    (8, "GSK_KEY_USAGE_DATA_ENCIPHERMENT"),
    (16, "GSK_KEY_USAGE_KEY_AGREEMENT"),
    (32, "GSK_KEY_USAGE_KEY_CERT_SIGN"),
    (64, "GSK_KEY_USAGE_CRL_SIGN"),
    (128, "GSK_KEY_USAGE_ENCIPHER_ONLY"),
    (256, "GSK_KEY_USAGE_DECIPHER_ONLY"),
]

SIGALG_IDS: list[Row] = [
    (1, "GSK_SIGALG_MD5_WITH_RSA"),
    (2, "GSK_SIGALG_SHA1_WITH_RSA"),
]

CBC_PROTECTION_METHODS: list[Row] = [
    (0, "GSK_TLS_CBCPROTECTION_METHOD_NONE"),
    (1, "GSK_TLS_CBCPROTECTION_METHOD_ZEROBYTEFRAGMENT"),
    (2, "GSK_TLS_CBCPROTECTION_METHOD_ONEBYTEFRAGMENT"),
    (3, "GSK_TLS_CBCPROTECTION_METHOD_DELAYEDONEBYTEFRAGMENT"),
]

SSL_VERSIONS: list[Row] = [
    (20, "enum_SSLV2"),
    (30, "enum_SSLV3"),
]

# qsoasync.h: the operationCompleted codes.
OPERATION_CODES: list[Row] = [
    (1, "QSOSTARTSEND"),
    (2, "QSOSTARTRECV"),
    (3, "QSOPOSTIOCOMPLETION"),
    (4, "GSKSECURESOCSTARTSEND"),
    (5, "GSKSECURESOCSTARTRECV"),
    (6, "QSOSTARTACCEPT"),
    (7, "GSKSECURESOCSTARTINIT"),
]

# Miscellaneous single values.
SINGLE_VALUES: list[Row] = [
    (70000, "GSK_IBMI_4BYTE_VALUE", "GSK_OS400_4BYTE_VALUE", "GSK_AS400_4BYTE_VALUE"),
    (6000, "GSK_IBMI_BASE", "GSK_OS400_BASE", "GSK_AS400_BASE"),
    (6999, "GSK_IBMI_BASE_END", "GSK_OS400_BASE_END", "GSK_AS400_BASE_END"),
    (7000, "GSK_OS390_BASE"),
    (7999, "GSK_OS390_BASE_END"),
    (256, "QSO_MAX_IOCOMPLETION_PORTS"),
    (0, "GSK_VALIDATION_SUCCESSFUL"),
    (575019, "GSK_UNKNOWN_CRIT_EXTNS"),
    (575040, "GSK_NO_CRLS_FOUND"),
]


def _enum(name: str, rows: list[Row]) -> type[IntEnum]:
    from enum import IntEnum

    members: list[tuple[str, int]] = []
    for value, *names in rows:
        members.extend((n, value) for n in names)
    return IntEnum(name, members, module=__name__)  # type: ignore[return-value]


GROUPS: dict[str, list[Row]] = {
    "MiscId": MISC_IDS,
    "BufferId": BUFFER_IDS,
    "NumericId": NUMERIC_IDS,
    "EnumId": ENUM_IDS,
    "EnumValue": ENUM_VALUES,
    "CertId": CERT_IDS,
    "CertDataId": CERT_DATA_IDS,
    "DataId": DATA_IDS,
    "CallbackId": CALLBACK_IDS,
    "ValidateRequired": VALIDATE_REQUIRED,
    "CertNeeded": CERT_NEEDED,
    "SocketOptionCommand": SOCKET_OPTION_COMMANDS,
    "KeyUsageBit": KEY_USAGE_BITS,
    "SigAlgId": SIGALG_IDS,
    "CbcProtectionMethod": CBC_PROTECTION_METHODS,
    "SslVersion": SSL_VERSIONS,
    "OperationCode": OPERATION_CODES,
}

def __getattr__(name: str) -> type[IntEnum]:
    """The IntEnum of a group (``BufferId``, ``EnumValue``...), built on first use.

    Built lazily because creating seventeen enums costs milliseconds that
    ``gskit errors`` does not want to pay at start-up.
    """
    rows = GROUPS.get(name)
    if rows is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    enum = _enum(name, rows)
    globals()[name] = enum
    return enum


# IBM i errno names with no platform equivalent.  Values are IBM's (ILE C errno.h); the
# IBM i range 3000-3500 collides with no Linux, macOS or Windows errno.
def _errno_value(name: str, ibm_value: int) -> int:
    return getattr(_errno, name, ibm_value)


ECLOSED = 3417
EDESTROYED = 3463
EUNKNOWN = 3474
ETRUNC = 3003
ECANCELED = _errno_value("ECANCELED", 3456)
ETIME = _errno_value("ETIME", 3409)

# Module-level ints for every spelling, built from the rows (one source of truth).
CONSTANT_NAMES: list[str] = []
for _rows in (*GROUPS.values(), SINGLE_VALUES):
    for _value, *_names in _rows:
        for _name in _names:
            globals()[_name] = int(_value)
            CONSTANT_NAMES.append(_name)
CONSTANT_NAMES += ["ECLOSED", "EDESTROYED", "EUNKNOWN", "ETRUNC", "ECANCELED", "ETIME"]
del _rows, _value, _names, _name

__all__ = [
    *CONSTANT_NAMES,
    *GROUPS,
    "GROUPS",
]
