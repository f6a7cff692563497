"""From attribute values to one frozen TLS configuration.

``resolve_tls_config`` reads the attribute values of an environment or session, checks them the way ``gsk_environment_init``
and ``gsk_secure_soc_init`` do, and returns a :class:`TLSConfig`: the role, the peer
authentication rules, the protocols that will really be offered and, for each, its suites
in preference order.  Equal configurations compare equal, so OpenSSL contexts can be
cached by configuration.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from gskit import constants as c
from gskit import errors as rc
from gskit.attributes import ciphers
from gskit.attributes.protocols import Protocol
from gskit.attributes.table import CIPHER_SPEC_ATTRIBUTES, PROTOCOL_SWITCHES
from gskit.attributes.values import AttributeValues

TYPE_CHECKING = False
if TYPE_CHECKING:
    from certstore import Credentials
    from gskit.engine.signatures import Signature

DEFAULT_RELEASE = "7.5"
_FORMATS = {
    "V2": ciphers.CipherSpecFormat.V2,
    "V3": ciphers.CipherSpecFormat.V3,
    "EX": ciphers.CipherSpecFormat.EX,
    "TLS13_EX": ciphers.CipherSpecFormat.TLS13_EX,
}
# A bad token in a protocol's own list is reported with that protocol's code.
_BAD_LIST_RC = {
    "V2": rc.GSK_ERROR_BAD_V2_CIPHER,
    "V3": rc.GSK_ERROR_BAD_V3_CIPHER,
    "TLSV10": rc.GSK_ERROR_BAD_V3_CIPHER,
    "TLSV11": rc.GSK_ERROR_BAD_TLSV11_CIPHER,
    "TLSV12": rc.GSK_ERROR_BAD_V3_CIPHER,
    "TLSV13": rc.GSK_ERROR_BAD_V3_CIPHER,
}


class ConfigError(Exception):
    """A configuration that init refuses; carries the rc."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.rc = code
        self.detail = detail


def parse_spec_attribute(attr_id: int, text: str) -> list[ciphers.CipherSuite]:
    """Parse the value of a cipher-spec attribute (raises ciphers.CipherSpecError)."""
    _, fmt = CIPHER_SPEC_ATTRIBUTES[attr_id]
    return ciphers.parse_cipher_specs(_FORMATS[fmt], text)


# Which suites each format can spell (the 2-character codes predate ECDHE, for one).
_SPELLABLE = {
    "V2": lambda s: s.v2_code is not None,
    "V3": lambda s: s.v3_code is not None,
    "EX": lambda s: not s.tls13 and not s.sslv2_only,
    "TLS13_EX": lambda s: s.tls13,
}


def format_spec_attribute(attr_id: int, suites: list[ciphers.CipherSuite]) -> str:
    """The value of a cipher-spec attribute in that attribute's format (the suites it can spell)."""
    _, fmt = CIPHER_SPEC_ATTRIBUTES[attr_id]
    return ciphers.format_cipher_specs(_FORMATS[fmt], [s for s in suites if _SPELLABLE[fmt](s)])


def default_suites(release: str, protocol: Protocol) -> tuple[ciphers.CipherSuite, ...]:
    """The IBM i release's default list (QSSLCSL order) restricted to one protocol."""
    return tuple(s for s in ciphers.IBMI_DEFAULTS[release] if protocol in s.protocols)


@dataclass(frozen=True)
class TLSConfig:
    """Everything an OpenSSL context needs, resolved from attributes."""

    server: bool
    request_peer_cert: bool                # a server asks for a client certificate
    require_peer_cert: bool                # ... and fails without one
    verify_peer: bool                      # False: PASSTHRU, record the result only
    protocols: tuple[Protocol, ...]        # negotiable and enabled, oldest first
    suites: tuple[tuple[Protocol, tuple[ciphers.CipherSuite, ...]], ...]
    signature_algorithms: str = ""
    no_renegotiation: bool = False
    send_ca_list: bool = True
    session_timeout: int = 86400
    server_names: tuple[str, ...] = ()     # GSK_SSL_EXTN_SERVERNAME_(CRITICAL_)LIST
    server_names_critical: bool = False
    validation_callback: bool = False      # GSK_CERT_VALIDATION_CALLBACK is set
    credentials: Credentials | None = field(default=None, compare=False)
    credentials_key: int = 0               # id() of the credentials: part of the cache key

    @property
    def needs_verify_callback(self) -> bool:
        """Python must see each certificate: an application callback, GSK_SSL_EXTN_SIGALG
        (IBM i checks the certificates' signatures against it too), or a PASSTHRU server that
        asks for client certificates and must not fail on them.  Otherwise OpenSSL
        verifies alone and the result is read with SSL_get_verify_result (faster)."""
        return (self.validation_callback or bool(self.signature_algorithms)
                or (self.server and self.request_peer_cert and not self.verify_peer))

    @functools.cached_property
    def certificate_signatures(self) -> frozenset[Signature]:
        """What GSK_SSL_EXTN_SIGALG allows on a peer's certificates (empty: no such setting)."""
        from gskit.engine.signatures import allowed_signatures  # (cryptography: only when asked)
        return allowed_signatures(self.signature_algorithms)

    @functools.cached_property
    def has_callbacks(self) -> bool:
        """Does OpenSSL call back into Python for this configuration's connections (which must
        then be registered, ``ssl_calls.new_ssl``'s app data)?"""
        return self.needs_verify_callback or (self.server and self.server_names_critical)

    @functools.cached_property
    def openssl_names(self) -> dict[Protocol, frozenset[str]]:
        """Per protocol, the OpenSSL names of its suites (checked after every handshake)."""
        return {protocol: frozenset(s.openssl_name for s in suites if s.openssl_name) for protocol, suites in self.suites}

    def suites_for(self, protocol: Protocol) -> tuple[ciphers.CipherSuite, ...]:
        return dict(self.suites).get(protocol, ())

    @functools.cached_property
    def legacy_lists_differ(self) -> bool:
        """True when TLS 1.0-1.2 have different suite lists (one OpenSSL list cannot say it)."""
        lists = {self.suites_for(p) for p in self.protocols if p <= Protocol.TLSV12}
        return len(lists) > 1


def enabled_protocols(values: AttributeValues, release: str) -> tuple[Protocol, ...]:
    """Protocols whose switch is on; unset TLSV1x switches default from the master switch."""
    master_on = values.get(c.GSK_PROTOCOL_TLSV1, c.GSK_PROTOCOL_TLSV1_ON) == c.GSK_PROTOCOL_TLSV1_ON
    defaults = set(ciphers.IBMI_DEFAULT_PROTOCOLS[release])
    enabled = []
    for attr_id, key in PROTOCOL_SWITCHES.items():
        protocol = Protocol[key]
        value = values.get(attr_id)
        on = (master_on and protocol in defaults) if value is None else value == c.GSK_TRUE
        if on:
            enabled.append(protocol)
    return tuple(sorted(enabled))


def protocol_suites(values: AttributeValues, release: str, protocol: Protocol
                    ) -> tuple[tuple[ciphers.CipherSuite, ...], bool]:
    """(suites in order, explicitly configured?) for one protocol, before filtering."""
    own, v3 = _list_value(values, protocol.name), _list_value(values, "V3")
    if own is not None:
        return own, True
    if v3 is not None and protocol <= Protocol.TLSV12:
        return v3, True
    return default_suites(release, protocol), False


def _list_value(values: AttributeValues, key: str) -> tuple[ciphers.CipherSuite, ...] | None:
    return values.cipher_lists.get(key)


def resolve_suites(values: AttributeValues, release: str, protocols: tuple[Protocol, ...]
                   ) -> tuple[tuple[Protocol, tuple[ciphers.CipherSuite, ...]], ...]:
    """Each enabled protocol's usable suites; raises ConfigError (422/439/402)."""
    aes_off = values.get(c.GSK_AES_SUPPORT) == c.GSK_AES_SUPPORT_OFF
    result = []
    for protocol in protocols:
        suites, explicit = protocol_suites(values, release, protocol)
        usable = tuple(
            s for s in suites
            if protocol in s.protocols and ciphers.openssl_supported(s)
            and not (aes_off and "AES" in s.iana_name)
        )
        if usable:
            result.append((protocol, usable))
        elif explicit and suites:
            key = protocol.name if _list_value(values, protocol.name) is not None else "V3"
            names = ", ".join(s.iana_name for s in suites)
            raise ConfigError(_BAD_LIST_RC[key],
                              f"no suite in the {protocol.label} list can be negotiated here: {names}")
    if not result:
        raise ConfigError(rc.GSK_ERROR_NO_CIPHERS, "no protocol is enabled with a usable cipher suite")
    return tuple(result)


def _names(values: AttributeValues) -> tuple[str, ...]:
    text = str(values.get(c.GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST) or values.get(c.GSK_SSL_EXTN_SERVERNAME_LIST) or "")
    return tuple(name.strip().lower() for name in text.split(",") if name.strip())


def resolve_tls_config(values: AttributeValues, *, release: str = DEFAULT_RELEASE,
                       credentials: Credentials | None = None) -> TLSConfig:
    """Resolve attribute values into a TLSConfig, or raise ConfigError with the rc."""
    session_type = values.get(c.GSK_SESSION_TYPE, c.GSK_CLIENT_SESSION)
    server = session_type != c.GSK_CLIENT_SESSION
    if server:
        auth = values.get(c.GSK_CLIENT_AUTH_TYPE, c.GSK_CLIENT_AUTH_FULL)
        request = session_type in (c.GSK_SERVER_SESSION_WITH_CL_AUTH,
                                   c.GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL)
        require = request and (session_type == c.GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL
                               or auth == c.GSK_IBMI_CLIENT_AUTH_REQUIRED)
        verify = auth != c.GSK_CLIENT_AUTH_PASSTHRU
    else:
        auth = values.get(c.GSK_SERVER_AUTH_TYPE, c.GSK_SERVER_AUTH_FULL)
        request, require, verify = True, True, auth != c.GSK_SERVER_AUTH_PASSTHRU
    protocols = enabled_protocols(values, release)
    return TLSConfig(
        server=server,
        request_peer_cert=request,
        require_peer_cert=require,
        verify_peer=verify,
        protocols=protocols,
        suites=resolve_suites(values, release, protocols),
        signature_algorithms=str(values.get(c.GSK_SSL_EXTN_SIGALG) or ""),
        no_renegotiation=values.get(c.GSK_NO_RENEGOTIATION) == c.GSK_TRUE,
        send_ca_list=values.get(c.GSK_CERTREQ_DNLIST_ENABLE, c.GSK_TRUE) == c.GSK_TRUE,
        session_timeout=int(values.setting(c.GSK_V3_SESSION_TIMEOUT)),
        server_names=_names(values),
        server_names_critical=bool(values.get(c.GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST)),
        validation_callback=values.get(c.GSK_CERT_VALIDATION_CALLBACK) is not None,
        credentials=credentials,
        credentials_key=id(credentials),
    )
