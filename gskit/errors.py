"""GSKit return codes as data, ``gsk_strerror`` and the exception tree.

One row per return code, in five families that share numbers:

* ``GSK``    -- what every ``gsk_*`` API returns (``gskssl.h``), 0-1605 and the IBM i
  codes 6000-6019 under their ``GSK_IBMI_*``/``GSK_OS400_*``/``GSK_AS400_*`` spellings;
* ``SSL``    -- the negative codes of the older IBM i ``SSL_`` API (``qsossl.h``);
* ``GSKKM``  -- cross-platform key-management codes (0-124);
* ``GSKVAL`` -- certificate-validation codes (GSK_CERTIFICATE_VALIDATION_CODE, 5750xx);
* ``ERRNO``  -- IBM i errno values (what GSK_ERROR_IO asks you to check), lookup only.

Values, names and message IDs come from ``gskit-constants.md`` section 5 and 10 and the
corrected message-ID table of ``gskit-semantics.md`` section 6.1; ``docs/errors.md`` has the
decisions.  A message ID carries a status: ``DOC`` (read in an IBM source), ``INFERRED``
(from IBM's numbering pattern) or ``UNRESOLVED`` (sources disagree; the most plausible kept).

Everything is built from the rows: a module-level int for every spelling, ``ReturnCode``
(an ``IntEnum`` of the GSK family, built on first use because it costs a millisecond), and
the exception class of each code.  This module imports no TLS library.
"""
from __future__ import annotations

import errno as _errno

TYPE_CHECKING = False   # typing costs milliseconds at start-up
if TYPE_CHECKING:
    from gskit._error_names import *  # noqa: F403 - the names built below from the rows

# Kinds: which exception class a code raises (see _KIND_CLASS at the end).
CERT, IO, CLOSED, ARG, STATE, TIMEOUT, KEYSTORE, HANDSHAKE, BLOCK, OTHER = (
    "cert", "io", "closed", "arg", "state", "timeout", "keystore", "handshake", "block", "",
)
# Message-ID status (DOC = read in an IBM source).
DOC, INF, UNR = "DOC", "INFERRED", "UNRESOLVED"

FAMILIES: dict[str, str] = {
    "GSK": "IBM i GSKit return code (gskssl.h)",
    "SSL": "IBM i SSL_ API return code (qsossl.h)",
    "GSKKM": "GSKit key-management code (GSKKM_*)",
    "GSKVAL": "GSKit certificate-validation code (GSKVAL_*, GSK_CERTIFICATE_VALIDATION_CODE)",
    "ERRNO": "IBM i errno value (ILE C errno.h; message CPE<n>)",
}
# Families whose names become module-level constants (errno names would shadow Python's).
EXPORTED_FAMILIES = ("GSK", "SSL", "GSKKM", "GSKVAL")


def _ibmi(suffix: str) -> str:
    """The three spellings of an IBM i-specific name, current first."""
    return f"GSK_IBMI_{suffix} GSK_OS400_{suffix} GSK_AS400_{suffix}"


_RECHECK_CIPHERS = ("Check the cipher specs (GSK_V3_CIPHER_SPECS, *_CIPHER_SPECS_EX) and protocol "
                    "switches; `gskit ciphers` shows the effective list.")
_TRUST = ("Add the issuing CA (root and any intermediates) to the trust list or the application "
          "ID's CA trust list, and make the peer send its intermediate certificates.")
_PEER_TLS = ("Check that the peer speaks TLS on this port and agrees on a protocol version; "
             "a middlebox may be altering the data.")
_ASYNC = "not an error: the operation went asynchronous and its completion will be posted to the port."

# (code, names, message ID, status, kind, text, remedy).  Names: primary first, space-separated.
_GSK = (
    (0, "GSK_OK", "CPCBC80", DOC, OTHER, "The operation completed successfully.", None),
    (1, "GSK_INVALID_HANDLE", "CPDBCA1", DOC, STATE, "The handle specified was not valid.",
     "Pass the handle returned by gsk_environment_open or gsk_secure_soc_open, and do not "
     "use it after it was closed."),
    (2, "GSK_API_NOT_AVAILABLE", "CPDBCB3", DOC, OTHER,
     "The GSKit APIs are not available (Digital Certificate Manager, IBM i option 34, is not "
     "installed).", "On IBM i install 57xx-SS1 option 34 (DCM)."),
    (3, "GSK_INTERNAL_ERROR", "CPDBCB9", DOC, OTHER,
     "An internal error occurred during system processing.",
     "Retry; if it persists, report it with the exception detail and a trace."),
    (4, "GSK_INSUFFICIENT_STORAGE", "CPE3460", UNR, OTHER,
     "Not able to allocate storage for the requested operation.",
     "Free memory, and look for environments or sessions that are never closed."),
    (5, "GSK_INVALID_STATE", "CPDBC95", DOC, STATE,
     "The handle is not in the correct state for this operation.",
     "Set attributes before gsk_environment_init/gsk_secure_soc_init, and read or write only "
     "after gsk_secure_soc_init succeeded."),
    (6, "GSK_KEY_LABEL_NOT_FOUND", None, None, KEYSTORE,
     "The certificate label was not found in the certificate store.",
     "Compare GSK_KEYRING_LABEL with the labels in the store (`gskit certstore list`)."),
    (7, "GSK_CERTIFICATE_NOT_AVAILABLE", None, None, CERT, "No certificate is available.",
     "Assign a certificate to the application ID or set GSK_KEYRING_LABEL."),
    (8, "GSK_ERROR_CERT_VALIDATION", "CPDBCB2", DOC, CERT, "Certificate validation failed.",
     "Check the peer's chain: validity dates, a trusted root, intermediates, key usage; "
     "GSK_CERTIFICATE_VALIDATION_CODE gives the GSKVAL reason."),
    (9, "GSK_ERROR_CRYPTO", None, None, OTHER, "A cryptographic operation failed.", None),
    (10, "GSK_ERROR_ASN", None, None, CERT,
     "An ASN.1 encoding or decoding error occurred (badly formed certificate or key).",
     "Check that the certificate or key file is not damaged and is in the expected format."),
    (11, "GSK_ERROR_LDAP", None, None, OTHER, "An LDAP error occurred.",
     "Check the GSK_LDAP_SERVER settings used for CRL retrieval."),
    (12, "GSK_ERROR_UNKNOWN_ERROR", None, None, OTHER, "An unknown error occurred.", None),
    (13, "GSK_INVALID_PARAMETER", None, None, ARG,
     "A parameter contains a value that is not valid (for example an unknown cipher suite).",
     "Check the value passed to the call; `gskit ciphers` checks cipher specs."),
    (101, "GSK_OPEN_CIPHER_ERROR", None, None, OTHER,
     "The cryptographic services could not be opened.", None),
    (102, "GSK_KEYFILE_IO_ERROR", None, None, KEYSTORE,
     "The certificate store file could not be read (I/O error).",
     "Use an absolute path to the store; check that the file exists and that the job may "
     "read it."),
    (103, "GSK_KEYFILE_INVALID_FORMAT", None, None, KEYSTORE,
     "The certificate store file is not in a recognized format.",
     "Check that the file is a key database (.kdb) and not a .p12, .jks or .der file, and "
     "that it is not damaged."),
    (104, "GSK_KEYFILE_DUPLICATE_KEY", None, None, KEYSTORE,
     "The certificate store contains the same key twice.", None),
    (105, "GSK_KEYFILE_DUPLICATE_LABEL", None, None, KEYSTORE,
     "The certificate store contains two entries with the same label.", None),
    (106, "GSK_BAD_FORMAT_OR_INVALID_PASSWORD", None, None, KEYSTORE,
     "The certificate store is badly formatted or the password is wrong.",
     "Check the password or stash file, and that the file is a valid key database."),
    (107, "GSK_KEYFILE_CERT_EXPIRED", "CPDBC98", DOC, CERT,
     "The validity time period of the certificate has expired.",
     "Renew the certificate, and check the system clock."),
    (108, "GSK_ERROR_LOAD_GSKLIB", None, None, OTHER, "A GSKit library could not be loaded.",
     None),
    (109, "GSK_PENDING_CLOSE_ERROR", None, None, STATE, "A close is pending on the handle.",
     None),
    (201, "GSK_NO_KEYFILE_PASSWORD", "CPDBCA4", DOC, KEYSTORE,
     "Neither a password nor a stash file was given for the certificate store.",
     "Set GSK_KEYRING_PW or GSK_KEYRING_STASH_FILE, or use an application ID or *SYSTEM."),
    (202, "GSK_KEYRING_OPEN_ERROR", "CPDBCB5", DOC, KEYSTORE,
     "The certificate store file could not be opened.",
     "Check the store path (absolute), that the file exists and is readable by the job, and "
     "its password; with an application ID, check the store it is assigned to."),
    (203, "GSK_RSA_TEMP_KEY_PAIR", None, None, OTHER,
     "A temporary RSA key pair could not be created.", None),
    (204, "GSK_ERROR_LDAP_NO_SUCH_OBJECT", None, None, OTHER,
     "The LDAP object was not found.", None),
    (205, "GSK_ERROR_LDAP_INVALID_CREDENTIALS", None, None, OTHER,
     "The LDAP credentials are not valid.", None),
    (206, "GSK_ERROR_BAD_INDEX", None, None, ARG, "An index is not valid.", None),
    (207, "GSK_ERROR_FIPS_NO_SUPPORTED", None, None, OTHER, "FIPS mode is not supported.",
     None),
    (301, "GSK_CLOSE_FAILED", "CPDBCA5", DOC, OTHER, "The environment close failed.", None),
    (401, "GSK_ERROR_BAD_DATE", None, None, CERT,
     "The certificate date is not valid (not yet valid, or expired).",
     "Check the certificate's validity dates and the system clock."),
    (402, "GSK_ERROR_NO_CIPHERS", "CPDBC81", DOC, HANDSHAKE,
     "No ciphers available or no ciphers were specified.",
     "Make the cipher specs and protocol settings share a suite with the peer and with the "
     "system's allowed lists (QSSLCSL, QSSLPCL); `gskit ciphers` shows the effective list."),
    (403, "GSK_ERROR_NO_CERTIFICATE", "CPDBC82", DOC, CERT,
     "No certificate is available for TLS processing.",
     "A server needs a certificate (label or application ID); with client authentication, "
     "the client sent none."),
    (404, "GSK_ERROR_BAD_CERTIFICATE", "CPDBC84", DOC, CERT, "The certificate is bad.",
     "Check the certificate and its chain (format, signature, key usage)."),
    (405, "GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE", "CPDBC86", DOC, CERT,
     "The certificate type is not supported, or its signature algorithm is not allowed.",
     "Check GSK_SSL_EXTN_SIGALG and the key type (RSA, ECDSA) of the certificate."),
    (406, "GSK_ERROR_IO", "CPDBC8A", DOC, IO,
     "An error occurred in SSL processing; check the errno value.",
     "Look at errno (`gskit errors 3426` explains an IBM i errno): ECONNRESET or EPIPE "
     "means the peer went away; check the network and the peer's log."),
    (407, "GSK_ERROR_BAD_KEYFILE_LABEL", "CPDBCA3", DOC, KEYSTORE,
     "The specified certificate store label is not valid.",
     "Check that the label exists in the store, exactly (case and spaces)."),
    (408, "GSK_ERROR_BAD_KEYFILE_PASSWORD", "CPDBCA7", DOC, KEYSTORE,
     "The specified certificate store password is not valid.",
     "Check the password or recreate the stash file; GSKit also reports 408 for a store in "
     "the wrong format (see GSK_KEYFILE_INVALID_FORMAT, GSK_BAD_FORMAT_OR_INVALID_PASSWORD)."),
    (409, "GSK_ERROR_BAD_KEY_LEN_FOR_EXPORT", "CPDBC9A", DOC, HANDSHAKE,
     "The key length is not valid for export.", None),
    (410, "GSK_ERROR_BAD_MESSAGE", "CPDBC8B", DOC, HANDSHAKE,
     "A badly formatted message was received.", _PEER_TLS),
    (411, "GSK_ERROR_BAD_MAC", "CPDBC8C", DOC, HANDSHAKE,
     "A bad message authentication code was received.", _PEER_TLS),
    (412, "GSK_ERROR_UNSUPPORTED", "CPDBC8D", DOC, HANDSHAKE,
     "The function or attribute is not supported.",
     "Check the attribute ID and the release it needs."),
    (413, "GSK_ERROR_BAD_CERT_SIG", None, None, CERT,
     "The certificate signature is not valid.",
     "The certificate was altered or signed by another key than its issuer's."),
    (414, "GSK_ERROR_BAD_CERT", "CPDBC84", DOC, CERT, "The certificate is bad.",
     "Check the certificate format (ASCII/PEM .arm versus DER), that the chain is complete, "
     "and that the CA certificate is in the store."),
    (415, "GSK_ERROR_BAD_PEER", "CPDBC8B", DOC, HANDSHAKE,
     "The peer sent an unexpected or badly formatted message.", _PEER_TLS),
    (416, "GSK_ERROR_PERMISSION_DENIED", None, None, OTHER, "Permission was denied.", None),
    (417, "GSK_ERROR_SELF_SIGNED", "CPDBC92", DOC, CERT,
     "The certificate is self-signed and not trusted.",
     "Add it (or the CA that should have signed it) to the trust list, or use a CA-signed "
     "certificate."),
    (418, "GSK_ERROR_NO_READ_FUNCTION", None, None, ARG,
     "No read function was set in the I/O callback.", None),
    (419, "GSK_ERROR_NO_WRITE_FUNCTION", None, None, ARG,
     "No write function was set in the I/O callback.", None),
    (420, "GSK_ERROR_SOCKET_CLOSED", "CPDBC96", DOC, CLOSED,
     "A close() was done on the socket descriptor for this secure session.",
     "Close the secure session before the socket, and check that no other code closes the "
     "descriptor."),
    (421, "GSK_ERROR_BAD_V2_CIPHER", "CPDBCB7", DOC, HANDSHAKE,
     "An SSLV2 cipher suite was specified that is not valid.", _RECHECK_CIPHERS),
    (422, "GSK_ERROR_BAD_V3_CIPHER", "CPDBCB7", INF, HANDSHAKE,
     "An SSLV3 or TLSV1 cipher suite was specified that is not valid.", _RECHECK_CIPHERS),
    (423, "GSK_ERROR_BAD_SEC_TYPE", None, None, ARG,
     "The security type (protocol) is not valid.", None),
    (424, "GSK_ERROR_BAD_SEC_TYPE_COMBINATION", None, None, ARG,
     "The combination of protocol settings is not valid.",
     "Enable at least one protocol version that the peer also speaks."),
    (425, "GSK_ERROR_HANDLE_CREATION_FAILED", None, None, OTHER,
     "The handle could not be created.", None),
    (426, "GSK_ERROR_INITIALIZATION_FAILED", None, None, OTHER, "Initialization failed.",
     None),
    (427, "GSK_ERROR_LDAP_NOT_AVAILABLE", None, None, OTHER,
     "The LDAP server is not available.", None),
    (428, "GSK_ERROR_NO_PRIVATE_KEY", "CPDBC82", INF, KEYSTORE,
     "The certificate has no private key.",
     "Import the certificate with its private key (PKCS#12), or choose a label that has one."),
    (429, "GSK_ERROR_PKCS11_LIBRARY_NOTLOADED", None, None, KEYSTORE,
     "The PKCS#11 library could not be loaded.", None),
    (430, "GSK_ERROR_PKCS11_TOKEN_LABELMISMATH", None, None, KEYSTORE,
     "The PKCS#11 token label does not match (label mismatch).", None),
    (431, "GSK_ERROR_PKCS11_TOKEN_NOTPRESENT", None, None, KEYSTORE,
     "The PKCS#11 token is not present.", None),
    (432, "GSK_ERROR_PKCS11_TOKEN_BADPASSWORD", None, None, KEYSTORE,
     "The PKCS#11 token password is not valid.", None),
    (433, "GSK_ERROR_INVALID_V2_HEADER", None, None, HANDSHAKE,
     "An SSLv2 record header that is not valid was received.", _PEER_TLS),
    (434, "GSK_CSP_OPEN_ERROR", None, None, KEYSTORE,
     "The cryptographic service provider could not be opened.", None),
    (435, "GSK_CONFLICTING_ATTRIBUTE_SETTING", None, None, ARG,
     "Two attribute settings conflict.", None),
    (436, "GSK_UNSUPPORTED_PLATFORM", None, None, OTHER,
     "The function is not supported on this platform.", None),
    (437, "GSK_PEERID_NOT_SET_ERROR", None, None, ARG, "The peer ID was not set.", None),
    (438, "GSK_ERROR_INCORRECT_SESSION_TYPE", None, None, ARG,
     "The operation is not valid for this session type (client or server).", None),
    (439, "GSK_ERROR_BAD_TLSV11_CIPHER", None, None, HANDSHAKE,
     "A TLSV1.1 or later cipher suite was specified that is not valid.", _RECHECK_CIPHERS),
    (440, "GSK_ERROR_PKCS11_DEVICE", None, None, KEYSTORE, "A PKCS#11 device error occurred.",
     None),
    (441, "GSK_ERROR_PKCS11_DEVICE_SEVERE", None, None, KEYSTORE,
     "A severe PKCS#11 device error occurred.", None),
    (442, "GSK_ERROR_EMPTY_DATA_SEGMENT", None, None, HANDSHAKE,
     "An empty data record was received.", None),
    (443, "GSK_ERROR_NO_RI_INDICATION", None, None, HANDSHAKE,
     "The peer does not support secure renegotiation (no renegotiation indication).",
     "Update the peer, or avoid renegotiation (GSK_RESET_CIPHER)."),
    (444, "GSK_ERROR_SEQNUM_EXHAUSTED", None, None, HANDSHAKE,
     "The session sent or received more than 2**64-1 TLS records (sequence number exhausted).",
     "Open a new secure session."),
    (501, "GSK_INVALID_BUFFER_SIZE", "CPDBCA8", INF, ARG,
     "The buffer size is not valid (less than 1).", "Pass a buffer of at least one byte."),
    (502, "GSK_WOULD_BLOCK", "CPE3406", DOC, BLOCK,
     "Operation would have caused the process to be suspended.",
     "Not a failure on a non-blocking socket: wait until the socket is readable or writable "
     "and call again."),
    (503, "GSK_ERROR_SSL_CLOSED", None, None, CLOSED,
     "A gsk_secure_soc_misc(GSK_CLOSE_NOTIFY) was previously performed on this secure session.",
     "Do not write after sending close-notify; close the session."),
    (601, "GSK_ERROR_NOT_SSLV3", "CPDBCAC", INF, STATE,
     "SSLV3 or TLSV1 is required for this function.", None),
    (602, "GSK_MISC_INVALID_ID", "CPDBCA9", INF, ARG,
     "The gsk_secure_soc_misc ID is not valid.", None),
    (701, "GSK_ATTRIBUTE_INVALID_ID", "CPDBCA9", INF, ARG,
     "The attribute ID is not valid (or not supported for this handle or release).",
     "Check the ID and whether it belongs on an environment or a session handle; programs "
     "use this code to probe for optional attributes."),
    (702, "GSK_ATTRIBUTE_INVALID_LENGTH", "CPDBCA6", INF, ARG,
     "The attribute length is not valid.", None),
    (703, "GSK_ATTRIBUTE_INVALID_ENUMERATION", "CPDBCAA", INF, ARG,
     "The enumeration value is not valid for this attribute.", None),
    (704, "GSK_ATTRIBUTE_INVALID_SID_CACHE", None, None, ARG,
     "The session-ID cache callback is not valid.", None),
    (705, "GSK_ATTRIBUTE_INVALID_NUMERIC_VALUE", "CPDBCAB", INF, ARG,
     "The numeric value is out of range for this attribute.",
     "Check the range (for example GSK_V3_SESSION_TIMEOUT 0-86400 seconds)."),
    (706, "GSK_CONFLICTING_VALIDATION_SETTING", None, None, ARG,
     "The authentication type conflicts with the validation callback's validateRequired "
     "setting.", None),
    (707, "GSK_AES_UNSUPPORTED", None, None, ARG, "AES cipher suites are not supported.",
     None),
    (708, "GSK_PEERID_LENGTH_ERROR", None, None, ARG, "The peer ID length is not valid.",
     None),
    (709, "GSK_FIPS_CIPHER_INVALID_WHEN_FIPS_MODE_OFF", None, None, ARG,
     "The cipher is valid only in FIPS mode, which is off.", None),
    (710, "GSK_CIPHER_INVALID_WHEN_FIPS_MODE_ON", None, None, ARG,
     "The cipher is not allowed in FIPS mode.", None),
    (711, "GSK_CIPHER_INVALID_WHEN_SUITEB_MODE_ON", None, None, ARG,
     "The cipher is not allowed in Suite B mode.", None),
    (1501, "GSK_SC_OK", None, None, OTHER, "Certificate prompt callback: continue.", None),
    (1502, "GSK_SC_CANCEL", None, None, OTHER, "Certificate prompt callback: cancelled.",
     None),
    (1601, "GSK_TRACE_STARTED", None, None, OTHER, "The GSKit trace was started.", None),
    (1602, "GSK_TRACE_STOPPED", None, None, OTHER, "The GSKit trace was stopped.", None),
    (1603, "GSK_TRACE_NOT_STARTED", None, None, OTHER, "The GSKit trace is not started.",
     None),
    (1604, "GSK_TRACE_ALREADY_STARTED", None, None, OTHER,
     "The GSKit trace is already started.", None),
    (1605, "GSK_TRACE_OPEN_FAILED", None, None, OTHER, "The trace file could not be opened.",
     None),
    (6000, _ibmi("ERROR_NOT_TRUSTED_ROOT"), "CPDBC97", INF, CERT,
     "The certificate is not signed by a trusted certificate authority.", _TRUST),
    (6001, _ibmi("ERROR_PASSWORD_EXPIRED"), "CPDBCB1", INF, KEYSTORE,
     "The certificate store password has expired.",
     "Change the store password in DCM (or `gskit certstore`)."),
    (6002, _ibmi("ERROR_NOT_REGISTERED"), "CPDBCC9", INF, KEYSTORE,
     "The application ID is not registered.",
     "Register the application ID (DCM, or `gskit certstore`) and check its spelling, or "
     "use GSK_KEYRING_FILE instead."),
    (6003, _ibmi("ERROR_NO_ACCESS"), "CPDBCAD", INF, KEYSTORE,
     "No permission to access the certificate store.",
     "Give the job's user *R on the store file and *X on every directory in its path."),
    (6004, _ibmi("ERROR_CLOSED"), "CPDBCB8", INF, CLOSED,
     "The secure session was closed by another thread before the operation completed.",
     "Check which thread closes the session while another still uses it."),
    (6005, _ibmi("ERROR_NO_CERTIFICATE_AUTHORITIES"), "CPDBCCB", INF, KEYSTORE,
     "No certificate authorities are available (the CA trust list is empty).",
     "Assign CA certificates to the application ID's trust list, or add them to the store."),
    (6007, _ibmi("ERROR_NO_INITIALIZE"), "CPDBCB4", INF, STATE,
     "The environment or session was not initialized.",
     "Call gsk_environment_init (and gsk_secure_soc_init) first."),
    (6008, _ibmi("ERROR_ALREADY_SECURE"), "CPDBCAE", UNR, STATE,
     "The socket is already in use by a secure session.", None),
    (6009, _ibmi("ERROR_NOT_TCP"), "CPDBCAF", UNR, ARG,
     "The socket is not a TCP (SOCK_STREAM) socket.", None),
    (6010, _ibmi("ERROR_INVALID_POINTER"), "CPDBC9C", INF, ARG,
     "A pointer (an output argument) is not valid.", None),
    (6011, _ibmi("ERROR_TIMED_OUT"), "CPDBC9B", INF, TIMEOUT,
     "The timeout expired before the operation completed (receive timeout for a read, "
     "handshake timeout for gsk_secure_soc_init).",
     "Check that the peer answers; raise GSK_IBMI_READ_TIMEOUT (milliseconds) or "
     "GSK_HANDSHAKE_TIMEOUT (seconds). A read timeout leaves the session usable."),
    (6012, "GSK_IBMI_ASYNCHRONOUS_RECV GSK_OS400_ASYNCHRONOUS_RECV GSK_AS400_ASYNCHRONOUS_RECV",
     "CPCBC8A", UNR, OTHER, "The receive was started; " + _ASYNC, None),
    (6013, "GSK_IBMI_ASYNCHRONOUS_SEND GSK_OS400_ASYNCHRONOUS_SEND GSK_AS400_ASYNCHRONOUS_SEND",
     "CPCBC8B", UNR, OTHER, "The send was started; " + _ASYNC, None),
    (6014, _ibmi("ERROR_INVALID_OVERLAPPEDIO_T"), "CPDBCBC", INF, ARG,
     "The Qso_OverlappedIO_t structure is not valid.", None),
    (6015, _ibmi("ERROR_INVALID_IOCOMPLETIONPORT"), "CPDBCBD", INF, ARG,
     "The I/O completion port is not valid.",
     "Pass a port from QsoCreateIOCompletionPort that was not destroyed."),
    (6016, _ibmi("ERROR_BAD_SOCKET_DESCRIPTOR"), "CPDBCBE", INF, ARG,
     "The socket descriptor (GSK_FD) is not valid.",
     "Set GSK_FD to a connected socket before gsk_secure_soc_init."),
    (6017, _ibmi("ERROR_CERTIFICATE_REVOKED"), "CPDBCBF", INF, CERT,
     "The certificate has been revoked.", "Replace the certificate; the CA revoked it."),
    (6018, _ibmi("ERROR_CRL_INVALID"), "CPDBC87", UNR, CERT,
     "The certificate revocation list (CRL) is not valid.",
     "Check the CRL source (LDAP or distribution point) and that the CRL is current."),
    (6019, "GSK_IBMI_ASYNCHRONOUS_SOC_INIT GSK_OS400_ASYNCHRONOUS_SOC_INIT "
     "GSK_AS400_ASYNCHRONOUS_SOC_INIT GSK_IBMI_ERROR_ASYNCHRONOUS_SOC_INIT",
     "CPCBC88", UNR, OTHER, "The handshake was started; " + _ASYNC, None),
)

# The negative codes of the IBM i SSL_ API: the seed's table (OCR fixed) plus the V5R4
# qsossl.h codes it leaves out, whose IDs follow the CPDBC + hex(0x80 + n) pattern.
_SSL = (
    (-1, "SSL_ERROR_NO_CIPHERS", "CPDBC81", DOC, HANDSHAKE,
     "No ciphers available or no ciphers were specified.", None),
    (-2, "SSL_ERROR_NO_CERTIFICATE", "CPDBC82", DOC, CERT, "No certificate is available.",
     None),
    (-4, "SSL_ERROR_BAD_CERTIFICATE", "CPDBC84", DOC, CERT, "The certificate is bad.", None),
    (-6, "SSL_ERROR_UNSUPPORTED_CERTIFICATE_TYPE", "CPDBC86", DOC, CERT,
     "The certificate type is not supported.", None),
    (-10, "SSL_ERROR_IO", "CPDBC8A", DOC, IO,
     "An error occurred in SSL processing; check the errno value.", None),
    (-11, "SSL_ERROR_BAD_MESSAGE", "CPDBC8B", DOC, HANDSHAKE,
     "A badly formatted message was received.", None),
    (-12, "SSL_ERROR_BAD_MAC", "CPDBC8C", DOC, HANDSHAKE,
     "A bad message authentication code was received.", None),
    (-13, "SSL_ERROR_UNSUPPORTED", "CPDBC8D", DOC, HANDSHAKE,
     "The function is not supported.", None),
    (-14, "SSL_ERROR_BAD_CERT_SIG", "CPDBC8E", INF, CERT,
     "The certificate signature is not valid.", None),
    (-15, "SSL_ERROR_BAD_CERT", "CPDBC84", DOC, CERT,
     "The certificate is bad (reported as SSL_ERROR_BAD_CERTIFICATE).", None),
    (-16, "SSL_ERROR_BAD_PEER", "CPDBC8B", DOC, HANDSHAKE,
     "The peer sent a badly formatted message (reported as SSL_ERROR_BAD_MESSAGE).", None),
    (-17, "SSL_ERROR_PERMISSION_DENIED", "CPDBC91", INF, OTHER, "Permission was denied.",
     None),
    (-18, "SSL_ERROR_SELF_SIGNED", "CPDBC92", DOC, CERT,
     "The certificate is self-signed and not trusted.", None),
    (-20, "SSL_ERROR_BAD_MALLOC", "CPDBC94", INF, OTHER, "Storage could not be allocated.",
     None),
    (-21, "SSL_ERROR_BAD_STATE", "CPDBC95", DOC, STATE,
     "The handle is not in the correct state for this operation.", None),
    (-22, "SSL_ERROR_SOCKET_CLOSED", "CPDBC96", DOC, CLOSED,
     "The socket was closed under the secure session.", None),
    (-23, "SSL_ERROR_NOT_TRUSTED_ROOT", "CPDBC97", DOC, CERT,
     "The certificate is not signed by a trusted certificate authority.", _TRUST),
    (-24, "SSL_ERROR_CERT_EXPIRED", "CPDBC98", DOC, CERT,
     "The validity time period of the certificate has expired.", None),
    (-25, "SSL_ERROR_BAD_DATE", "CPDBC99", INF, CERT, "The certificate date is not valid.",
     None),
    (-26, "SSL_ERROR_BAD_KEY_LEN_FOR_EXPORT", "CPDBC9A", DOC, HANDSHAKE,
     "The key length is not valid for export.", None),
    (-90, "SSL_ERROR_NOT_KEYRING", "CPDBCB0", INF, KEYSTORE,
     "The file is not a certificate store (keyring).", None),
    (-91, "SSL_ERROR_KEYPASSWORD_EXPIRED", "CPDBCB1", INF, KEYSTORE,
     "The certificate store password has expired.", None),
    (-92, "SSL_ERROR_CERTIFICATE_REJECTED", "CPDBCB2", DOC, CERT,
     "The certificate was rejected by validation.", None),
    (-93, "SSL_ERROR_SSL_NOT_AVAILABLE", "CPDBCB3", DOC, OTHER, "SSL is not available.",
     None),
    (-94, "SSL_ERROR_NO_INIT", "CPDBCB4", INF, STATE, "SSL_Init was not called.", None),
    (-95, "SSL_ERROR_NO_KEYRING", "CPDBCB5", DOC, KEYSTORE,
     "The certificate store could not be opened.", None),
    (-96, "SSL_ERROR_NOT_ENABLED", "CPDBCB6", INF, OTHER, "SSL is not enabled.", None),
    (-97, "SSL_ERROR_BAD_CIPHER_SUITE", "CPDBCB7", DOC, HANDSHAKE,
     "A cipher suite was specified that is not valid.", None),
    (-98, "SSL_ERROR_CLOSED", "CPDBCB8", INF, CLOSED, "The secure session was closed.",
     None),
    (-99, "SSL_ERROR_UNKNOWN", "CPDBCB9", DOC, OTHER,
     "An internal error occurred during system processing.", None),
    (-1009, "SSL_ERROR_NOT_REGISTERED", "CPDBCC9", INF, KEYSTORE,
     "The application is not registered.", None),
    (-1011, "SSL_ERROR_NO_CERTIFICATE_AUTHORITIES", "CPDBCCB", INF, KEYSTORE,
     "No certificate authorities are available.", None),
    (-9998, "SSL_ERROR_NO_REUSE", "CPDBCD8", INF, OTHER,
     "The session could not be reused.", None),
)

_KEYDB_PATH = ("Check the key database path (absolute) and extension; the file must exist "
               "and be readable.")
# (code, names, text, remedy); names get the GSKKM_ERROR_ prefix unless they start with GSKKM_.
_GSKKM = (
    (0, "GSKKM_OK GSKKM_ERROR_SUCCESS", "The key-management operation succeeded.", None),
    (1, "UNKNOWN", "An unknown key-management error occurred.", None),
    (2, "ASN", "An ASN.1 encoding or decoding error occurred.", None),
    (3, "ASN_INITIALIZATION", "The ASN.1 support could not be initialized.", None),
    (4, "ASN_PARAMETER", "An ASN.1 parameter is not valid.", None),
    (5, "DATABASE", "A key database error occurred.", None),
    (6, "DATABASE_OPEN", "The key database could not be opened.", _KEYDB_PATH),
    (7, "DATABASE_RE_OPEN", "The key database is already open.", None),
    (8, "DATABASE_CREATE", "The key database could not be created.", None),
    (9, "DATABASE_ALREADY_EXISTS", "The key database already exists.", None),
    (10, "DATABASE_DELETE", "The key database could not be deleted.", None),
    (11, "DATABASE_NOT_OPENED", "The key database is not open.", None),
    (12, "DATABASE_READ", "The key database could not be read.", None),
    (13, "DATABASE_WRITE", "The key database could not be written.", None),
    (14, "DATABASE_VALIDATION", "The key database failed validation.", None),
    (15, "DATABASE_INVALID_VERSION", "The key database version is not supported.", None),
    (16, "DATABASE_INVALID_PASSWORD", "The key database password is not valid.",
     "Check the password or the stash file (.sth) next to the key database."),
    (17, "DATABASE_INVALID_FILE_TYPE", "The key database file type is not valid.",
     "Check the file type (CMS .kdb, PKCS#12 .p12) against the one requested."),
    (18, "DATABASE_CORRUPTION", "The key database is corrupted.", None),
    (19, "DATABASE_PASSWORD_CORRUPTION", "The key database password or stash file is "
     "corrupted.", None),
    (20, "DATABASE_KEY_INTEGRITY", "A key in the key database failed its integrity check.",
     None),
    (21, "DATABASE_DUPLICATE_KEY", "The key is already in the key database.", None),
    (22, "DATABASE_PASSWORD_ENCRYPTION", "The key database password could not be encrypted.",
     None),
    (23, "DATABASE_LDAP", "An LDAP key database error occurred.", None),
    (24, "CRYPTO", "A cryptographic error occurred.", None),
    (25, "CRYPTO_ENGINE", "The cryptographic engine failed.", None),
    (26, "CRYPTO_ALGORITHM", "The cryptographic algorithm is not valid.", None),
    (27, "CRYPTO_SIGN", "Signing failed.", None),
    (28, "CRYPTO_VERIFY", "Signature verification failed.", None),
    (29, "CRYPTO_DIGEST", "The digest operation failed.", None),
    (30, "CRYPTO_PARAMETER", "A cryptographic parameter is not valid.", None),
    (31, "CRYPTO_UNSUPPORTED_ALGORITHM", "The cryptographic algorithm is not supported.", None),
    (32, "CRYPTO_INPUT_GREATER_THAN_MODULUS", "The input is larger than the key modulus.",
     None),
    (33, "CRYPTO_UNSUPPORTED_MODULUS_SIZE", "The key modulus size is not supported.", None),
    (34, "VALIDATION", "Certificate validation failed.", None),
    (35, "VALIDATION_KEY", "The key failed validation.", None),
    (36, "VALIDATION_DUPLICATE_EXTENSIONS", "The certificate has duplicate extensions.", None),
    (37, "VALIDATION_KEY_WRONG_VERSION", "The certificate version is wrong.", None),
    (38, "VALIDATION_KEY_EXTENSIONS_REQUIRED", "Required certificate extensions are missing.",
     None),
    (39, "VALIDATION_KEY_VALIDITY", "The certificate is not valid at this time.", None),
    (40, "VALIDATION_KEY_VALIDITY_PERIOD", "The certificate validity period is not valid.",
     None),
    (41, "VALIDATION_KEY_VALIDITY_PRIVATE_KEY_USAGE",
     "The private key usage period is not valid.", None),
    (42, "VALIDATION_KEY_ISSUER_NOT_FOUND",
     "The issuer of the certificate was not found in the key database.",
     "Add the issuing CA certificate to the key database first."),
    (43, "VALIDATION_KEY_MISSING_REQUIRED_EXTENSIONS",
     "The certificate is missing required extensions.", None),
    (44, "VALIDATION_KEY_BASIC_CONSTRAINTS", "The basic constraints extension is not valid.",
     None),
    (45, "VALIDATION_KEY_SIGNATURE", "The certificate signature is not valid.", None),
    (46, "VALIDATION_KEY_ROOT_KEY_NOT_TRUSTED", "The root certificate is not trusted.",
     "Mark the root CA certificate as trusted in the key database."),
    (47, "VALIDATION_KEY_IS_REVOKED", "The certificate has been revoked.", None),
    (48, "VALIDATION_KEY_AUTHORITY_KEY_IDENTIFIER",
     "The authority key identifier is not valid.", None),
    (49, "VALIDATION_KEY_PRIVATE_KEY_USAGE_PERIOD",
     "The private key usage period has ended or is not valid.", None),
    (50, "VALIDATION_SUBJECT_ALTERNATIVE_NAME", "The subject alternative name is not valid.",
     None),
    (51, "VALIDATION_ISSUER_ALTERNATIVE_NAME", "The issuer alternative name is not valid.",
     None),
    (52, "VALIDATION_KEY_USAGE", "The key usage extension does not allow this use.", None),
    (53, "VALIDATION_KEY_UNKNOWN_CRITICAL_EXTENSION",
     "The certificate has an unknown critical extension.", None),
    (54, "VALIDATION_KEY_PAIR", "The public and private keys do not match.", None),
    (55, "VALIDATION_CRL", "The certificate revocation list is not valid.", None),
    (56, "MUTEX", "A mutex error occurred.", None),
    (57, "PARAMETER", "A parameter is not valid.", None),
    (58, "NULL_PARAMETER", "A required parameter is missing (null).", None),
    (59, "NUMBER_SIZE", "A number is too large.", None),
    (60, "OLD_PASSWORD", "The old password is not valid.", None),
    (61, "NEW_PASSWORD", "The new password is not valid.", None),
    (62, "PASSWORD_EXPIRATION_TIME", "The password expiration time is not valid.", None),
    (63, "THREAD", "A thread error occurred.", None),
    (64, "THREAD_CREATE", "A thread could not be created.", None),
    (65, "THREAD_WAIT_FOR_EXIT", "Waiting for a thread to end failed.", None),
    (66, "IO", "An I/O error occurred.", None),
    (67, "LOAD", "A library could not be loaded.", None),
    (68, "PKCS11", "A PKCS#11 error occurred.", None),
    (69, "NOT_INITIALIZED", "Key management is not initialized.", None),
    (70, "DB_TABLE_CORRUPTED", "A key database table is corrupted.", None),
    (71, "MEMORY_ALLOCATE", "Memory could not be allocated.", None),
    (72, "UNSUPPORTED_OPTION", "The option is not supported.", None),
    (73, "GET_TIME", "The time could not be read.", None),
    (74, "CREATE_MUTEX", "A mutex could not be created.", None),
    (75, "CMDCAT_OPEN", "The command message catalog could not be opened.", None),
    (76, "ERRCAT_OPEN", "The error message catalog could not be opened.", None),
    (77, "FILENAME_NULL", "No file name was given.", None),
    (78, "FILE_OPEN", "The file could not be opened.", None),
    (79, "FILE_OPEN_TO_READ", "The file could not be opened for reading.", None),
    (80, "FILE_OPEN_TO_WRITE", "The file could not be opened for writing.", None),
    (81, "FILE_OPEN_NOT_EXIST", "The file does not exist.", _KEYDB_PATH),
    (82, "FILE_OPEN_NOT_ALLOWED", "Permission to open the file was denied.", None),
    (83, "FILE_WRITE", "The file could not be written.", None),
    (84, "FILE_REMOVE", "The file could not be removed.", None),
    (85, "BASE64_INVALID_DATA", "The Base64 data is not valid.", None),
    (86, "BASE64_INVALID_MSGTYPE", "The Base64 message type is not valid.", None),
    (87, "BASE64_ENCODING", "Base64 encoding failed.", None),
    (88, "BASE64_DECODING", "Base64 decoding failed.", None),
    (89, "DN_TAG_NULL", "A distinguished-name tag is missing.", None),
    (90, "DN_CN_NULL", "The distinguished name has no common name (CN).", None),
    (91, "DN_C_NULL", "The distinguished name has no country (C).", None),
    (92, "INVALID_DB_HANDLE", "The key database handle is not valid.", None),
    (93, "KEYDB_NOT_EXIST", "The key database does not exist.",
     _KEYDB_PATH + " Db2 drivers also report 93 for a certificate in the wrong format (use "
     ".arm, not .der)."),
    (94, "KEYPAIRDB_NOT_EXIST", "The certificate request database does not exist.", None),
    (95, "PWDFILE_NOT_EXIST", "The password (stash) file does not exist.",
     "Create the stash file (.sth) next to the key database."),
    (96, "PASSWORD_CHANGE_MATCH", "The new password is the same as the old one.", None),
    (97, "KEYDB_NULL", "The key database is missing.", None),
    (98, "REQKEYDB_NULL", "The certificate request database is missing.", None),
    (99, "KEYDB_TRUSTCA_NULL", "The key database has no trusted CA certificates.", None),
    (100, "REQKEY_FOR_CERT_NULL",
     "No certificate request matches the certificate being received.", None),
    (101, "KEYDB_PRIVATE_KEY_NULL", "The key database has no private key.", None),
    (102, "KEYDB_DEFAULT_KEY_NULL", "The key database has no default key.", None),
    (103, "KEYREC_PRIVATE_KEY_NULL", "The key record has no private key.", None),
    (104, "KEYREC_CERTIFICATE_NULL", "The key record has no certificate.", None),
    (105, "CRLS_NULL", "No certificate revocation lists are available.", None),
    (106, "INVALID_KEYDB_NAME", "The key database name is not valid.", None),
    (107, "UNDEFINED_KEY_TYPE", "The key type is not defined.", None),
    (108, "INVALID_DN_INPUT", "The distinguished name is not valid.", None),
    (109, "KEY_GET_BY_LABEL", "No key with that label was found.", None),
    (110, "LABEL_LIST_CORRUPT", "The label list is corrupted.", None),
    (111, "INVALID_PKCS12_DATA", "The PKCS#12 data is not valid.", None),
    (112, "PKCS12_PWD_CORRUPTION", "The PKCS#12 password is wrong or the file is corrupted.",
     None),
    (113, "EXPORT_TYPE", "The export type is not valid.", None),
    (114, "PBE_ALG_UNSUPPORT", "The password-based encryption algorithm is not supported.",
     None),
    (115, "KYR2KDB", "The keyring (.kyr) could not be converted to a key database (.kdb).",
     None),
    (116, "KDB2KYR", "The key database (.kdb) could not be converted to a keyring (.kyr).",
     None),
    (117, "ISSUING_CERTIFICATE", "The certificate could not be issued.", None),
    (118, "FIND_ISSUER_CHAIN", "The issuer chain could not be found.", None),
    (119, "WEBDB_DATA_BAD_FORMAT", "The Web database data is badly formatted.", None),
    (120, "WEBDB_NOTHING_TO_WRITE", "The Web database has nothing to write.", None),
    (121, "EXPIRE_DAYS_TOO_LARGE", "The number of days until expiry is too large.", None),
    (122, "PWD_TOO_SHORT", "The password is too short.", None),
    (123, "PWD_NO_NUMBER", "The password has no digit.", None),
    (124, "PWD_NO_CONTROL_KEY", "The password lacks a required special character.", None),
)

_CHAIN = ("The issuer is missing: make the peer send its intermediate certificates and add "
          "the root CA to the trust list.")
# (code, names, text, remedy); names get the GSKVAL_ERROR_ prefix unless they start with GSK.
_GSKVAL = (
    (0, "GSK_VALIDATION_SUCCESSFUL", "The certificate validated successfully.", None),
    (575001, "UNKNOWN_ERROR", "An unknown validation error occurred.", None),
    (575002, "ASN_ERROR", "An ASN.1 error occurred while validating the certificate.", None),
    (575003, "KRY_ERROR", "A cryptographic error occurred during validation.", None),
    (575004, "DB_ERROR", "A database error occurred during validation.", None),
    (575005, "DIR_ERROR", "A directory (LDAP) error occurred during validation.", None),
    (575006, "INVALID_IMPL_LIBRARY", "The validation library is not valid.", None),
    (575007, "FAILED", "Certificate validation failed.", None),
    (575008, "NO_APPROPRIATE_VALIDATOR", "No validator is available for this certificate.",
     None),
    (575009, "ROOT_NOT_TRUSTED", "The root CA certificate is not trusted.", _TRUST),
    (575010, "NO_CHAIN_BUILT", "No certificate chain could be built to a trusted root.",
     _CHAIN),
    (575011, "SIGALG_MISMATCH",
     "The signature algorithm does not match the one in the certificate body.", None),
    (575012, "SIGNATURE_MISMATCH", "The certificate signature does not verify.", None),
    (575013, "VER_EXCLUDES_UNIQUE_IDS", "The certificate version does not allow unique IDs.",
     None),
    (575014, "VER_EXCLUDES_EXTNS", "The certificate version does not allow extensions.",
     None),
    (575015, "UNKNOWN_VERSION", "The certificate version is unknown.", None),
    (575016, "BAD_VALIDITY_RANGE", "The certificate validity range is not valid.", None),
    (575017, "CERT_NOT_YET_VALID", "The certificate is not yet valid.",
     "Check the system clock and the certificate's notBefore date."),
    (575018, "CERT_EXPIRED", "The certificate has expired.",
     "Renew the certificate, and check the system clock."),
    (575019, "UNKNOWN_CRIT_XTNS GSK_UNKNOWN_CRIT_EXTNS",
     "The certificate has an unknown critical extension.", None),
    (575020, "DUP_XTNS", "The certificate has duplicate extensions.", None),
    (575021, "DIRNAMES_DONT_MATCH", "The issuer name does not match the issuer's subject.",
     None),
    (575022, "SERIAL_NUMBERS_DONT_MATCH",
     "The authority key identifier serial number does not match the issuer.", None),
    (575023, "KEY_IDS_DONT_MATCH",
     "The authority key identifier does not match the issuer's subject key identifier.",
     None),
    (575024, "UNRECOGNIZED_ISSUERALTNAME", "The issuer alternative name is not recognized.",
     None),
    (575025, "BASIC_CONTRAINTS_NOT_CA", "The issuer is not a CA (basic constraints).", None),
    (575026, "PATHLENGTH_WITH_NONCA", "A path length is set on a certificate that is not a CA.",
     None),
    (575027, "BASIC_CONSTRAINTS_PATHLENGTH_EXCEEEDED",
     "The chain is longer than the CA's path length constraint allows.", None),
    (575028, "NO_SIGN_AUTH", "The issuer's key usage does not allow certificate signing.",
     None),
    (575029, "NONCA_SIGNED", "The certificate was signed by a certificate that is not a CA.",
     None),
    (575030, "UNRECOGNIZED_SUBJECTALTNAME", "The subject alternative name is not recognized.",
     None),
    (575031, "INVALID_CHAIN", "The certificate chain is not valid.", _CHAIN),
    (575032, "REVOKED_CERT", "The certificate has been revoked.",
     "Replace the certificate; the CA revoked it."),
    (575033, "UNRECOGNIZED_DISTRIBUTION_POINT", "The CRL distribution point is not recognized.",
     None),
    (575034, "NAME_CHAINING_FAILED", "The issuer and subject names in the chain do not chain.",
     None),
    (575035, "CERT_NOT_IN_CHAIN", "The certificate is not in the chain.", None),
    (575036, "CRL_NOT_YET_VALID", "The CRL is not yet valid.", None),
    (575037, "CRL_EXPIRED", "The CRL has expired.", "Fetch a current CRL."),
    (575038, "VER_EXCLUDES_CRIT_EXTNS", "The CRL version does not allow critical extensions.",
     None),
    (575039, "UNKNOWN_CRL_DIST_PTS", "The CRL distribution points are unknown.", None),
    (575040, "NO_CRLS_FOR_CRL_DIST_PTS GSK_NO_CRLS_FOUND",
     "No CRLs were found for the CRL distribution points.", None),
    (575041, "DIST_PTS_DONT_MATCH", "The CRL distribution points do not match.", None),
    (575042, "NO_AVAILABLE_CRL_DATASOURCE", "No CRL data source (LDAP, HTTP) is available.",
     None),
    (575043, "NULL_CA_SUBJECT", "The CA certificate has an empty subject.", None),
    (575044, "NAMES_DONT_CHAIN", "The subject and issuer names do not chain.", None),
    (575045, "MISSING_SUBJECTALTNAME",
     "The certificate has an empty subject and no subject alternative name.", None),
    (575046, "UNIQUEID_MISMATCH", "The issuer unique ID does not match.", None),
    (575047, "NAME_NOT_PERMITTED", "A name is not permitted by the CA's name constraints.",
     None),
    (575048, "NAME_EXCLUDED", "A name is excluded by the CA's name constraints.", None),
    (575049, "CA_MISSING_CRITICAL_BASIC_CONSTRAINT",
     "The CA certificate's basic constraints extension is not critical.", None),
    (575050, "NAME_CONSTRAINTS_NOT_CRITICAL", "The name constraints extension is not critical.",
     None),
    (575051, "NAME_CONSTRAINTS_MIN_NOT_ZERO", "The name constraints minimum is not zero.",
     None),
    (575052, "NAME_CONSTRAINTS_MAX_PRESENT", "The name constraints maximum is present.", None),
    (575053, "UNSUPPORTED_NAME_CONSTRAINT", "The name constraint type is not supported.", None),
    (575054, "EMPTY_POLICY_CONSTRAINTS", "The policy constraints extension is empty.", None),
    (575055, "BAD_CERT_POLICIES", "The certificate policies extension is not valid.", None),
    (575056, "CERT_POLICIES_NOT_ACCEPTABLE", "The certificate policies are not acceptable.",
     None),
    (575057, "BAD_ACCEPTABLE_POLICIES", "The acceptable policies are not valid.", None),
    (575058, "POLICY_MAPPINGS_CRITICAL", "The policy mappings extension is marked critical.",
     None),
    (575059, "CERT_CUR_VALID_NOT_VALID_IN_RANGE",
     "The certificate is valid now but not over the whole required period.", None),
    (575061, "NO_UPCALL_PROCESS", "No validation callback process is available.", None),
    (575062, "EXTKEYUSG_BADAUTH",
     "The extended key usage does not allow this use (server or client authentication).",
     "Use a certificate whose extended key usage includes serverAuth or clientAuth."),
    (575063, "OCSP_UNKNOWNVERSION", "The OCSP response version is unknown.", None),
    (575064, "OCSP_UNKNOWNRESPONSE", "The OCSP response type is unknown.", None),
    (575065, "OCSP_BAD_KEYUSAGE_XTN", "The OCSP signer's key usage is not valid.", None),
    (575066, "OCSP_BAD_NONCE", "The OCSP response nonce does not match.", None),
    (575067, "OCSP_MISSING_NONCE", "The OCSP response has no nonce.", None),
    (575068, "OCSP_NO_CLIENT", "No OCSP client is available.", None),
    (575961, "REVOCATIONSTATUS_UNDETERMINED",
     "The revocation status could not be determined (no CRL or OCSP answer).",
     "Check that the CRL or OCSP responder can be reached."),
)

# IBM i errno values (gskit-constants.md 12e); message CPE<n>.  (code, names, text)
_ERRNO = (
    (3003, "ETRUNC", "Data was truncated on an input, output or update operation."),
    (3006, "EIO", "Input/output error."),
    (3021, "EINVAL", "The value specified for the argument is not correct."),
    (3401, "EACCES", "Permission denied."),
    (3406, "EAGAIN EWOULDBLOCK", "Operation would have caused the process to be suspended."),
    (3407, "EINTR", "Interrupted function call."),
    (3408, "EFAULT", "The address used for an argument is not correct."),
    (3409, "ETIME", "Operation timed out."),
    (3417, "ECLOSED", "Descriptor closed."),
    (3424, "ECONNABORTED", "Connection ended abnormally."),
    (3426, "ECONNRESET", "A connection with a remote socket was reset by that socket."),
    (3430, "EINPROGRESS", "Operation in progress."),
    (3436, "ENOBUFS", "There is not enough buffer space for the requested operation."),
    (3438, "ENOTCONN", "Requested operation requires a connection."),
    (3439, "ENOTSOCK", "The specified descriptor does not reference a socket."),
    (3447, "ETIMEDOUT", "A remote host did not respond within the timeout period."),
    (3448, "EUNATCH", "The protocol required for the address family is not available."),
    (3450, "EBADF", "Descriptor not valid."),
    (3455, "EPIPE", "Broken pipe."),
    (3456, "ECANCELED", "Operation canceled."),
    (3459, "EDEADLK", "Resource deadlock avoided."),
    (3460, "ENOMEM", "Storage allocation request failed."),
    (3463, "EDESTROYED", "The synchronization object was destroyed."),
    (3464, "ETERM", "Operation was terminated."),
    (3474, "EUNKNOWN", "Unknown system state."),
)
_ERRNO_DOC_IDS = (3406, 3460)  # CPE3406 and CPE3460 appear in IBM's GSKit message table

# Notes on message IDs the reference leaves open (gskit-semantics.md 6.1).
MESSAGE_ID_NOTES: dict[tuple[str, int], str] = {
    ("GSK", 4): "IBM's 7.2 table prints CPC3460; the support page and the errno numbering "
                "give CPE3460",
    ("GSK", 6008): "the guide's CPDBC8E duplicates 6016; CPDBCAE continues the CPDBCAx series",
    ("GSK", 6009): "the guide's CPDBC8F duplicates 6017; CPDBCAF continues the CPDBCAx series",
    ("GSK", 6012): "as printed in the guide; CPCBCBA if the 8 is OCR damage",
    ("GSK", 6013): "as printed in the guide; CPCBCBB if the 8 is OCR damage",
    ("GSK", 6018): "as printed in the guide; CPDBCB7 is taken by the bad-cipher codes",
    ("GSK", 6019): "as printed in the guide; CPCBCB8 if the 8 is OCR damage",
}


class Entry:
    """One code of one family: its names, message ID, meaning and what to check."""

    __slots__ = ("code", "name", "aliases", "family", "message_id", "message_id_status",
                 "kind", "text", "remedy")

    def __init__(self, code: int, family: str, names: str, message_id: str | None,
                 status: str | None, kind: str, text: str, remedy: str | None) -> None:
        self.code = code
        self.family = family
        self.name, *aliases = names.split()
        self.aliases: tuple[str, ...] = tuple(aliases)
        self.message_id = message_id
        self.message_id_status = status
        self.kind = kind
        self.text = text
        self.remedy = remedy

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by every alias spelling."""
        return (self.name, *self.aliases)

    @property
    def message_id_note(self) -> str | None:
        """Why an UNRESOLVED message ID is what it is, or None."""
        return MESSAGE_ID_NOTES.get((self.family, self.code))

    @property
    def exception(self) -> str | None:
        """The exception class ``GSKError.for_rc`` gives this code (None for GSKKM, errno)."""
        if self.family not in ("GSK", "SSL", "GSKVAL"):
            return None
        return _KIND_CLASS[self.kind].__name__

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``gskit errors --json``."""
        return {
            "code": self.code,
            "hex": hex32(self.code),
            "name": self.name,
            "aliases": list(self.aliases),
            "family": self.family,
            "message_id": self.message_id,
            "message_id_status": self.message_id_status,
            "message_id_note": self.message_id_note,
            "text": self.text,
            "remedy": self.remedy,
            "exception": self.exception,
        }

    def __repr__(self) -> str:
        return f"<Entry {self.family} {self.code} {self.name}>"


def hex32(code: int) -> str:
    """Hex as a C program prints an int: negative codes in 32-bit two's complement."""
    return f"0x{code & 0xFFFFFFFF:X}" if code < 0 else f"0x{code:X}"


def _prefixed(names: str, prefix: str) -> str:
    return " ".join(n if n.startswith("GSK") else prefix + n for n in names.split())


def _build() -> tuple[Entry, ...]:
    rows: list[Entry] = []
    for family, table in (("GSK", _GSK), ("SSL", _SSL)):
        rows += (Entry(code, family, names, mid, st, kind, text, remedy)
                 for code, names, mid, st, kind, text, remedy in table)
    rows += (Entry(code, "GSKKM", _prefixed(names, "GSKKM_ERROR_"), None, None, OTHER, text,
                   remedy) for code, names, text, remedy in _GSKKM)
    rows += (Entry(code, "GSKVAL", _prefixed(names, "GSKVAL_ERROR_"), None, None,
                   CERT if code else OTHER, text, remedy) for code, names, text, remedy in _GSKVAL)
    rows += (Entry(code, "ERRNO", names, f"CPE{code}",
                   DOC if code in _ERRNO_DOC_IDS else INF, OTHER, text, None)
             for code, names, text in _ERRNO)
    return tuple(rows)


ENTRIES: tuple[Entry, ...] = _build()
# (family, code) -> entry; each family has one entry per code.
BY_FAMILY_CODE: dict[tuple[str, int], Entry] = {(e.family, e.code): e for e in ENTRIES}

# A module-level int for every spelling of the exported families.
RETURN_CODE_NAMES: list[str] = []
for _e in ENTRIES:
    if _e.family in EXPORTED_FAMILIES:
        for _n in _e.names:
            globals()[_n] = _e.code
            if _e.family in ("GSK", "GSKVAL"):   # what gskssl.h defines
                RETURN_CODE_NAMES.append(_n)
del _e, _n


def entry_for(rc: int, family: str = "GSK") -> Entry | None:
    """The entry of ``rc`` in ``family``, or None."""
    return BY_FAMILY_CODE.get((family, rc))


def _strerror_entry(rc: int) -> Entry | None:
    # gsk_strerror is asked about GSK codes; a validation code or a negative SSL_ code
    # pasted into it still gets its meaning.  GSKKM and errno numbers collide with GSK ones.
    for family in ("GSK", "SSL", "GSKVAL"):
        entry = BY_FAMILY_CODE.get((family, rc))
        if entry is not None:
            return entry
    return None


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not break gsk_strerror
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 60 else text[:57] + "..."


def gsk_strerror(rc: object) -> str:
    """The text of a GSKit return code; never raises, also for unknown codes and non-ints."""
    if not isinstance(rc, int):
        return f"Not a GSKit return code: {_safe_repr(rc)}."
    entry = _strerror_entry(rc)
    return entry.text if entry is not None else _unknown_text(rc)


def _unknown_text(rc: int) -> str:
    return f"Unknown GSKit return code {int(rc)}."


class GSKError(Exception):
    """A GSKit call failed: ``rc``, ``name``, ``message_id``, ``text`` and an optional ``detail``.

    ``GSKError.for_rc(rc)`` returns the subclass for the kind of failure; a subclass built
    without ``rc`` uses its class attribute ``rc``.  Extra keyword arguments become
    attributes; the OSError subclasses (I/O, closed, timeout, would-block) keep ``errno=``
    in their ``errno``.
    """

    rc: int = 3  # GSK_INTERNAL_ERROR
    default_errno: int | None = None  # for the OSError subclasses
    errno: int | None                 # set on the OSError subclasses only

    def __init__(self, rc: int | None = None, detail: str | None = None, **extra: object) -> None:
        code = type(self).rc if rc is None else rc
        if not isinstance(code, int):
            raise TypeError(f"GSKError rc must be an int, not {type(code).__name__}")
        entry = _strerror_entry(code)
        self.rc = int(code)
        self.name = entry.name if entry is not None else "GSK_UNKNOWN_RC"
        self.message_id = entry.message_id if entry is not None else None
        self.text = entry.text if entry is not None else _unknown_text(code)
        self.remedy = entry.remedy if entry is not None else None
        self.detail = detail
        super().__init__(self._message())
        if isinstance(self, OSError):
            errno_value = extra.pop("errno", type(self).default_errno)
            self.errno = errno_value if isinstance(errno_value, int) else None
        for key, value in extra.items():
            setattr(self, key, value)

    def _message(self) -> str:
        where = f"{self.rc}, {self.message_id}" if self.message_id else str(self.rc)
        text = f"{self.text.rstrip('.')}: {self.detail}" if self.detail else self.text
        return f"{self.name} ({where}): {text}"

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rc={self.rc}, detail={self.detail!r})"

    def __reduce__(self) -> tuple[object, ...]:
        state = dict(self.__dict__)
        if isinstance(self, OSError):
            state["errno"] = self.errno
        return (type(self), (self.rc, self.detail), state)

    @classmethod
    def for_rc(cls, rc: int, detail: str | None = None, **extra: object) -> GSKError:
        """An instance of the exception class for ``rc``'s kind (GSKError when unknown)."""
        entry = _strerror_entry(rc) if isinstance(rc, int) else None
        klass = _KIND_CLASS[entry.kind] if entry is not None else GSKError
        return klass(rc, detail, **extra)


class GSKCertificateError(GSKError):
    """A certificate was rejected: expired, untrusted, revoked, bad or missing."""

    rc = 8  # GSK_ERROR_CERT_VALIDATION


class GSKKeystoreError(GSKError):
    """The certificate store, its password, label or application ID is wrong."""

    rc = 202  # GSK_KEYRING_OPEN_ERROR


class GSKHandshakeError(GSKError):
    """The TLS protocol failed: no shared cipher, bad message or MAC, bad cipher spec."""

    rc = 410  # GSK_ERROR_BAD_MESSAGE


class GSKArgumentError(GSKError, ValueError):
    """An argument, attribute ID or attribute value is not valid."""

    rc = 13  # GSK_INVALID_PARAMETER


class GSKStateError(GSKError):
    """The handle is not valid or not in the state the call needs."""

    rc = 5  # GSK_INVALID_STATE


class GSKIOError(GSKError, OSError):
    """The socket failed underneath the session; ``errno`` says how."""

    rc = 406  # GSK_ERROR_IO


class GSKConnectionClosedError(GSKIOError, ConnectionError):
    """The socket or the secure session was closed."""

    rc = 420  # GSK_ERROR_SOCKET_CLOSED


class GSKTimeoutError(GSKError, TimeoutError):
    """A receive or handshake timeout expired."""

    rc = 6011  # GSK_IBMI_ERROR_TIMED_OUT
    default_errno = _errno.ETIMEDOUT


class GSKWouldBlockError(GSKError, BlockingIOError):
    """A non-blocking read or write could not go on now (not a failure: retry later)."""

    rc = 502  # GSK_WOULD_BLOCK
    default_errno = _errno.EAGAIN


_KIND_CLASS: dict[str, type[GSKError]] = {
    CERT: GSKCertificateError,
    KEYSTORE: GSKKeystoreError,
    HANDSHAKE: GSKHandshakeError,
    ARG: GSKArgumentError,
    STATE: GSKStateError,
    IO: GSKIOError,
    CLOSED: GSKConnectionClosedError,
    TIMEOUT: GSKTimeoutError,
    BLOCK: GSKWouldBlockError,
    OTHER: GSKError,
}


def _return_code_enum() -> type:
    from enum import IntEnum

    members = [(e.name, e.code) for e in ENTRIES if e.family == "GSK"]
    return IntEnum("ReturnCode", members, module=__name__)  # type: ignore[return-value]


def __getattr__(name: str) -> object:
    # ReturnCode costs about a millisecond to build; `gskit errors` never needs it.
    if name == "ReturnCode":
        enum = _return_code_enum()
        globals()["ReturnCode"] = enum
        return enum
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What ``gskit`` re-exports; the table itself (ENTRIES, Entry, entry_for, FAMILIES, hex32)
# stays in this module.
__all__ = [
    *RETURN_CODE_NAMES,
    "ReturnCode",
    "RETURN_CODE_NAMES",
    "gsk_strerror",
    "GSKError",
    "GSKCertificateError",
    "GSKKeystoreError",
    "GSKHandshakeError",
    "GSKArgumentError",
    "GSKStateError",
    "GSKIOError",
    "GSKConnectionClosedError",
    "GSKTimeoutError",
    "GSKWouldBlockError",
]
