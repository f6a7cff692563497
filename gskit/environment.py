"""``Environment``: a GSKit environment (``gsk_environment_*``), also the Pythonic entry point.

    with gskit.Environment(session_type="server", application_id="MY_APP") as env:
        with env.open_session(fd=conn) as session:
            session.handshake()
            session.sendall(b"hello")

Keyword settings use the attribute table's keywords (``gskit.attributes.table``); values
may be GSKit's numbers or the readable forms in ``FRIENDLY`` (``session_type="server"``,
``tlsv13=True``).  Every failure raises a ``GSKError`` subclass carrying rc, name and
message ID.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Final

from OpenSSL import SSL

from gskit import audit
from gskit import constants as c
from gskit import errors as rc
from gskit._compiled import mypyc_attr
from gskit.attributes.protocols import Protocol
from gskit.attributes.table import BY_KEYWORD, Kind
from gskit.attributes.values import AttributeValues
from gskit.callbacks import notify
from gskit.engine import config as config_module
from gskit.engine.context import build_context
from gskit.engine.states import ENVIRONMENT_TRANSITIONS, EnvState, Op, next_state
from gskit.errors import GSKError
from gskit.handle import Handle

if TYPE_CHECKING:
    from certstore import Credentials
    from gskit.session import Session

FRIENDLY: Final[dict[str, dict[object, int]]] = {
    "session_type": {"client": c.GSK_CLIENT_SESSION, "server": c.GSK_SERVER_SESSION,
                     "server_with_client_auth": c.GSK_SERVER_SESSION_WITH_CL_AUTH,
                     "server_with_client_auth_critical": c.GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL},
    "client_auth": {"full": c.GSK_CLIENT_AUTH_FULL, "passthru": c.GSK_CLIENT_AUTH_PASSTHRU,
                    "required": c.GSK_IBMI_CLIENT_AUTH_REQUIRED},
    "server_auth": {"full": c.GSK_SERVER_AUTH_FULL, "passthru": c.GSK_SERVER_AUTH_PASSTHRU,
                    "required": c.GSK_IBMI_SERVER_AUTH_REQUIRED},
    "sslv2": {True: c.GSK_PROTOCOL_SSLV2_ON, False: c.GSK_PROTOCOL_SSLV2_OFF},
    "sslv3": {True: c.GSK_PROTOCOL_SSLV3_ON, False: c.GSK_PROTOCOL_SSLV3_OFF},
    "tlsv1": {True: c.GSK_PROTOCOL_TLSV1_ON, False: c.GSK_PROTOCOL_TLSV1_OFF},
    "aes": {True: c.GSK_AES_SUPPORT_ON, False: c.GSK_AES_SUPPORT_OFF},
}
_BOOLEAN: Final = {True: c.GSK_TRUE, False: c.GSK_FALSE}
_CERT_ATTRIBUTES: Final = (c.GSK_IBMI_APPLICATION_ID, c.GSK_KEYRING_FILE, c.GSK_KEYRING_PW,
                           c.GSK_KEYRING_STASH_FILE, c.GSK_KEYRING_LABEL, c.GSK_KEYRING_LABEL_EX)


def apply_settings(handle: Handle, settings: dict[str, Any]) -> None:
    """Set keyword settings on a handle (Pythonic API); raises GSKError or TypeError."""
    for keyword, value in settings.items():
        row = BY_KEYWORD.get(keyword)
        if row is None:
            raise TypeError(f"unknown setting {keyword!r}")
        if row.kind is Kind.ENUM and (isinstance(value, bool) or not isinstance(value, int)):
            table = FRIENDLY.get(keyword, _BOOLEAN)
            try:
                value = table[value]
            except (KeyError, TypeError):       # (TypeError: an unhashable value)
                raise GSKError.for_rc(rc.GSK_ATTRIBUTE_INVALID_ENUMERATION, f"{keyword}={value!r}") from None
        handle.set_attribute(row.kind, row.id, value)


def credentials_for(values: AttributeValues, role: str, home: str | None = None) -> Credentials:
    """Resolve the certificate attributes through certstore (raises GSKError)."""
    import certstore

    labels_ex = str(values.get(c.GSK_KEYRING_LABEL_EX) or "")
    label = str(values.get(c.GSK_KEYRING_LABEL) or "")
    labels = [x.strip() for x in labels_ex.split(",") if x.strip()] or ([label] if label else [])
    app_id = str(values.get(c.GSK_IBMI_APPLICATION_ID) or "")
    keyring = str(values.get(c.GSK_KEYRING_FILE) or "")
    if not app_id and not keyring:
        if role == "server":
            raise GSKError.for_rc(rc.GSK_ERROR_NO_CERTIFICATE,
                                  "a server needs GSK_IBMI_APPLICATION_ID or GSK_KEYRING_FILE")
        return certstore.Credentials(identities=(), trusted=(), use_system_trust=True, application=None)
    try:
        return certstore.resolve(
            application_id=app_id or None, keyring_file=keyring or None,
            password=str(values.get(c.GSK_KEYRING_PW) or "") or None,
            stash_file=str(values.get(c.GSK_KEYRING_STASH_FILE) or "") or None,
            labels=labels, role=role, home=home)
    except certstore.KeystoreError as exc:
        raise GSKError.for_rc(exc.rc, str(exc)) from None


def role_of(values: AttributeValues) -> str:
    return "client" if values.get(c.GSK_SESSION_TYPE, c.GSK_CLIENT_SESSION) == c.GSK_CLIENT_SESSION else "server"


@mypyc_attr(allow_interpreted_subclasses=True)  # an application may subclass it
class Environment(Handle):
    """A GSKit environment: shared settings, certificates, OpenSSL contexts, session cache.

    ``check_hostname`` (default True) makes client sessions check the server's certificate
    against ``server_name``, as Python's ``ssl`` does.  GSKit itself never checks host
    names, so ``gsk_environment_open`` turns it off; there, setting
    GSK_SSL_EXTN_SERVERNAME_CRITICAL_REQUEST turns it on for a session.
    """

    def __init__(self, *, release: object = config_module.DEFAULT_RELEASE, check_hostname: object = True,
                 registry_home: Any = None, **settings: Any) -> None:
        if not isinstance(release, str) or release not in config_module.ciphers.IBMI_DEFAULTS:
            raise ValueError(f"unknown IBM i release {release!r}")
        if registry_home is not None and not isinstance(registry_home, (str, os.PathLike)):
            raise TypeError(f"registry_home must be a folder's path, not {type(registry_home).__name__}")
        super().__init__(AttributeValues(), EnvState.OPEN, release, ENVIRONMENT_TRANSITIONS, EnvState.CLOSED)
        self.check_hostname = bool(check_hostname)   # (1 or 0 from a C habit too)
        self.registry_home = os.fspath(registry_home) if registry_home is not None else None
        self.credentials: Credentials | None = None
        self.tls_config: config_module.TLSConfig | None = None
        self._contexts: dict[tuple, SSL.Context] = {}
        self._session_credentials: dict[tuple, Credentials] = {}   # sessions' own certificate settings
        self._default_context: SSL.Context | None = None
        self._client_sessions: OrderedDict[tuple, SSL.Session] = OrderedDict()
        self._session_cache_size = 0      # client sessions kept; set at init (0: no cache)
        self._live_sessions = 0
        self.audit_variable: str | None = None   # GSKIT_AUDIT_FILE, read at init
        apply_settings(self, settings)

    # -- life cycle --------------------------------------------------------------------------
    def init(self) -> None:
        """``gsk_environment_init``: open the certificate store and check the configuration."""
        with self._lock:
            code, _ = next_state(self._transitions, self._state, Op.INIT)
            if code != rc.GSK_OK:
                raise GSKError.for_rc(code, f"the environment is {self._state.value}")
            if (self._values.get(c.GSK_LDAP_REQUIRED_AT_INIT) == c.GSK_INIT_CRL_LDAP_REQUIRED_ON
                    and self._values.get(c.GSK_LDAP_SERVER)):
                raise GSKError.for_rc(rc.GSK_ERROR_LDAP_NOT_AVAILABLE, "no LDAP CRL server can be reached off IBM i")
            values = self._values.copy()    # the application's settings are kept only if init succeeds
            self.credentials = credentials_for(values, role_of(values), self.registry_home)
            apply_application(values, getattr(self.credentials, "application", None))
            self.tls_config = self.resolve_config(values, self.credentials)
            if self.tls_config.session_timeout:
                self._session_cache_size = int(values.setting(c.GSK_V3_SIDCACHE_SIZE))
            if self.tls_config.server:
                self.context_for(self.tls_config, None)     # a bad certificate fails now, not later
            self._values = values
            self.audit_variable = audit.variable_file()
            self._state = EnvState.INITIALIZED

    def resolve_config(self, values: AttributeValues, credentials: Credentials | None) -> config_module.TLSConfig:
        try:
            config = config_module.resolve_tls_config(values, release=self.release, credentials=credentials)
        except config_module.ConfigError as exc:
            raise GSKError.for_rc(exc.rc, exc.detail) from None
        if config.server and (credentials is None
                              or not any(i.private_key is not None for i in credentials.identities)):
            raise GSKError.for_rc(rc.GSK_ERROR_NO_CERTIFICATE, "no certificate with a private key for this server")
        return config

    def session_credentials(self, values: AttributeValues) -> Credentials:
        """Credentials for a session's own certificate settings (or role), resolved once per
        distinct settings: sessions that share them share one OpenSSL context."""
        role = role_of(values)
        key = (role, *(values.get(attr_id) for attr_id in _CERT_ATTRIBUTES))
        credentials = self._session_credentials.get(key)
        if credentials is None:
            credentials = self._session_credentials.setdefault(
                key, credentials_for(values, role, self.registry_home))
        return credentials

    def context_for(self, config: config_module.TLSConfig, version: Protocol | None) -> SSL.Context:
        """The cached OpenSSL context for a configuration (and a server's chosen version)."""
        if config is self.tls_config and self._default_context is not None and not config.legacy_lists_differ:
            return self._default_context           # the common case, without hashing the config
        key = (config, version if config.legacy_lists_differ else None)
        ctx = self._contexts.get(key)
        if ctx is None:
            try:
                ctx = build_context(config, key[1])
            except config_module.ConfigError as exc:
                raise GSKError.for_rc(exc.rc, exc.detail) from None
            except SSL.Error as exc:
                raise GSKError.for_rc(rc.GSK_ERROR_BAD_CERTIFICATE, f"OpenSSL refused the certificate: {exc}") from None
            self._contexts[key] = ctx
            if config is self.tls_config and key[1] is None:
                self._default_context = ctx
        return ctx

    def open_session(self, *, auto_init: object = True, **settings: Any) -> Session:
        """``gsk_secure_soc_open``; the Pythonic form initializes the environment first if needed."""
        with self._lock:
            if auto_init and self._state is EnvState.OPEN:
                self.init()
            self._advance(Op.OPEN_SESSION)
            self._live_sessions += 1
        session = _sessions.Session(self)
        if settings:
            try:
                apply_settings(session, settings)
            except BaseException:
                session.close()
                raise
        return session

    def close(self) -> None:
        """``gsk_environment_close``: sessions already open keep working.  Closing a closed
        environment does nothing (the compat call answers GSK_INVALID_HANDLE before this)."""
        with self._lock:
            if self.closed:
                return
            self._advance(Op.CLOSE)
            if self._live_sessions == 0:
                self._free()

    def session_closed(self, session_cache_key: tuple | None, session: SSL.Session | None) -> None:
        """Called by a closing session: keep its TLS session for resumption, drop the reference."""
        with self._lock:
            if session_cache_key is not None and session is not None:
                self.remember_session(session_cache_key, session)
            self._live_sessions -= 1
            if self.closed and self._live_sessions == 0:
                self._free()

    def _free(self) -> None:
        """The last user is gone (closed, no live session): runs once."""
        self._contexts.clear()
        self._session_credentials.clear()
        self._default_context = None
        self._client_sessions.clear()
        if self._values.get(c.GSK_ENVIRONMENT_CLOSE_OPTIONS) == c.GSK_DELAYED_ENVIRONMENT_CLOSE:
            notify(self._values.get(c.GSK_ENVIRONMENT_CLOSE_CALLBACK), self)  # IBM: DELAYED enables it

    def local_cert_info(self, cert_id: object) -> list:
        """GSK_LOCAL_CERT_INFO of an initialized environment: its first certificate."""
        from gskit.certinfo import certificate_elements

        if cert_id != c.GSK_LOCAL_CERT_INFO or isinstance(cert_id, bool):
            raise GSKError.for_rc(rc.GSK_ATTRIBUTE_INVALID_ID, f"{cert_id!r} is not valid for an environment")
        with self._lock:
            self._advance(Op.GET_RESULT)
            identities = getattr(self.credentials, "identities", ())
        return certificate_elements(identities[0].certificate) if identities else []

    # -- client session cache (GSK_V3_SIDCACHE_SIZE entries) ---------------------------------
    @property
    def caches_sessions(self) -> bool:
        return self._session_cache_size > 0

    def cached_session(self, key: tuple) -> SSL.Session | None:
        with self._lock:
            return self._client_sessions.get(key)

    def remember_session(self, key: tuple, session: SSL.Session) -> None:
        """Keep a client session for resumption (callers hold a key only when caching is on)."""
        with self._lock:
            self._client_sessions[key] = session
            self._client_sessions.move_to_end(key)
            while len(self._client_sessions) > self._session_cache_size:
                self._client_sessions.popitem(last=False)

    def forget_session(self, key: tuple) -> None:
        with self._lock:
            self._client_sessions.pop(key, None)

    # -- Pythonic conveniences ---------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<gskit.Environment {self._state.value} release={self.release}>"


def apply_application(values: AttributeValues, application: object) -> None:
    """A DCM application definition's protocol, cipher and client-auth settings, where unset."""
    if application is None:
        return
    protocols = getattr(application, "protocols", None)
    if protocols:
        wanted = {Protocol.from_label(p) for p in protocols}
        for attr_id, key in config_module.PROTOCOL_SWITCHES.items():
            values.values.setdefault(attr_id, c.GSK_TRUE if Protocol[key] in wanted else c.GSK_FALSE)
    suites = getattr(application, "cipher_suites", None)
    if suites:
        parsed = [config_module.ciphers.suite_by_name(name) for name in suites]
        lists = config_module.ciphers.application_lists(s for s in parsed if s is not None)
        for protocol, chosen in lists.items():
            values.cipher_lists.setdefault(protocol.name, chosen)
    client_auth = getattr(application, "client_auth", None)
    if client_auth in ("optional", "required") and values.get(c.GSK_SESSION_TYPE) == c.GSK_SERVER_SESSION:
        values.values[c.GSK_SESSION_TYPE] = (c.GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL if client_auth == "required"
                                             else c.GSK_SERVER_SESSION_WITH_CL_AUTH)


# gskit.session imports this module, so it is bound last (an import inside open_session
# would cost every session a few microseconds).
from gskit import session as _sessions  # noqa: E402
