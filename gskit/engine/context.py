"""TLSConfig -> pyOpenSSL ``SSL.Context``: the only place that configures OpenSSL.

Contexts are expensive and pyOpenSSL forbids changing one after it made a connection, so
an environment keeps one context per distinct configuration (and, for a server whose
TLS 1.0-1.2 lists differ, one per protocol version; see ``session_engine``).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from OpenSSL import SSL, crypto
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

from gskit.attributes import ciphers
from gskit.attributes.protocols import Protocol
from gskit.engine.config import ConfigError, TLSConfig
from gskit.engine.openssl_errors import SIGNATURE_NOT_ALLOWED, verify_result
from gskit.engine.session_engine import CallbackRecord, der_of, lent, peer_chain, server_name_of, subject_of
from gskit.engine.signatures import signature_allowed
from gskit.engine.ssl_calls import app_data_of, context_handle
from gskit import errors as rc
from gskit import trace

# IBM i's ECDHE groups (System TLS named curves); pinning them also keeps the
# handshake cost comparable with IBM i (no post-quantum hybrid).
GROUPS = b"X25519:P-256:P-384:P-521"
SESSION_ID_CONTEXT = b"gskit"
OP_ALLOW_CLIENT_RENEGOTIATION = 1 << 8    # SSL_OP_ALLOW_CLIENT_RENEGOTIATION (OpenSSL 3+)
UNRECOGNIZED_NAME = 112                   # the TLS alert

_NO_VERSION_OPTION = {
    Protocol.TLSV10: SSL.OP_NO_TLSv1,
    Protocol.TLSV11: SSL.OP_NO_TLSv1_1,
    Protocol.TLSV12: SSL.OP_NO_TLSv1_2,
    Protocol.TLSV13: SSL.OP_NO_TLSv1_3,
}

def legacy_suites(config: TLSConfig, only: Protocol | None = None) -> tuple[ciphers.CipherSuite, ...]:
    """The TLS <= 1.2 suites to hand OpenSSL, in order: one protocol's, or all in order."""
    seen: dict[int, ciphers.CipherSuite] = {}
    for protocol in sorted((p for p in config.protocols if p <= Protocol.TLSV12), reverse=True):
        if only is None or protocol == only:
            for suite in config.suites_for(protocol):
                seen.setdefault(suite.iana_code, suite)
    return tuple(seen.values())


class Context(SSL.Context):
    """A pyOpenSSL context that carries what ``ssl_calls.new_ssl`` takes for it (``handle``)."""

    def __init__(self) -> None:
        super().__init__(SSL.TLS_METHOD)
        self.handle = context_handle(self)


def build_context(config: TLSConfig, only_legacy: Protocol | None = None) -> Context:
    """A context that offers exactly what ``config`` allows (raises ConfigError)."""
    ctx = Context()
    low, high = config.protocols[0], config.protocols[-1]
    ctx.set_min_proto_version(low)                 # a Protocol is its wire version, as OpenSSL's
    ctx.set_max_proto_version(high)
    # A peer's FIN without close_notify ends the stream as close_notify would (IBM: amtRead
    # 0): OpenSSL 3 would otherwise fail the connection, alert the peer and refuse writes.
    options = SSL.OP_NO_SSLv2 | SSL.OP_NO_SSLv3 | SSL.OP_NO_COMPRESSION | SSL.OP_IGNORE_UNEXPECTED_EOF
    for protocol, option in _NO_VERSION_OPTION.items():
        if low <= protocol <= high and protocol not in config.protocols:
            options |= option
    if config.server:
        options |= SSL.OP_CIPHER_SERVER_PREFERENCE       # IBM: the server's order wins
    if config.no_renegotiation:
        options |= SSL.OP_NO_RENEGOTIATION
    elif config.server:
        options |= OP_ALLOW_CLIENT_RENEGOTIATION         # GSKit servers accept GSK_RESET_CIPHER
    if config.session_timeout == 0:
        options |= SSL.OP_NO_TICKET
    ctx.set_options(options)
    # Release idle record buffers (a fifth less memory per open session), and write whole
    # buffers: with partial writes, SSL_write on a memory BIO stops at every record.
    ctx.set_mode(SSL.MODE_RELEASE_BUFFERS)
    ctx.clear_mode(_lib.SSL_MODE_ENABLE_PARTIAL_WRITE)

    legacy = legacy_suites(config, only_legacy)
    if legacy:
        _apply(ctx.set_cipher_list, ciphers.openssl_cipher_list(legacy, low).encode(), "cipher list")
    if Protocol.TLSV13 in config.protocols:
        names = ciphers.openssl_tls13_ciphersuites(config.suites_for(Protocol.TLSV13))
        _apply(ctx.set_tls13_ciphersuites, names.encode(), "TLS 1.3 suites")
    if _lib.SSL_CTX_set1_curves_list(ctx._context, GROUPS) != 1:  # noqa: SLF001
        raise ConfigError(rc.GSK_INTERNAL_ERROR, "OpenSSL refused the ECDHE groups")
    if config.signature_algorithms:
        sigalgs = config.signature_algorithms.replace(",", ":").encode("ascii", "replace")  # (names are ASCII)
        if _lib.SSL_CTX_set1_sigalgs_list(ctx._context, sigalgs) != 1:  # noqa: SLF001
            raise ConfigError(rc.GSK_INVALID_PARAMETER,
                              f"unknown signature algorithm in {config.signature_algorithms!r}")

    _load_credentials(ctx, config)
    mode = SSL.VERIFY_NONE
    if config.request_peer_cert and (config.server or config.verify_peer):
        mode = SSL.VERIFY_PEER       # a PASSTHRU client verifies too, and reads the result after
        if config.server and config.require_peer_cert:
            mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
    callback = _verify_certificate if config.needs_verify_callback else _ffi.NULL
    _lib.SSL_CTX_set_verify(ctx._context, mode, callback)  # noqa: SLF001

    if config.server and config.server_names_critical:
        _lib.SSL_CTX_set_tlsext_servername_callback(ctx._context, _critical_server_name)  # noqa: SLF001
    if config.server:
        ctx.set_session_id(SESSION_ID_CONTEXT)
        ctx.set_timeout(max(config.session_timeout, 1))
        if config.session_timeout == 0:
            ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    else:
        ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)    # the environment keeps client sessions
    trace.install_keylog(ctx)
    return ctx


# OpenSSL's callbacks, registered directly (pyOpenSSL's wrappers look the connection up in
# its own Connection objects, which gskit does not make).  Each finds the connection's
# CallbackRecord with app_data_of.

@_ffi.callback("int (*)(int, X509_STORE_CTX *)")
def _verify_certificate(ok: int, store: Any) -> int:
    """Each certificate of the peer's chain, when Python must see it
    (``TLSConfig.needs_verify_callback``): notes the first failure, asks
    GSK_CERT_VALIDATION_CALLBACK at the peer's own certificate, lets a PASSTHRU session go on."""
    ssl = _lib.X509_STORE_CTX_get_ex_data(store, _lib.SSL_get_ex_data_X509_STORE_CTX_idx())
    record = app_data_of(ssl)
    if record is None:
        return ok
    try:
        accept = _judge(record, ok, store, ssl)
    except Exception:  # noqa: BLE001 - a defect here must fail the handshake, not crash OpenSSL
        record.callback_rc = rc.GSK_INTERNAL_ERROR
        return 0
    if accept:
        _lib.X509_STORE_CTX_set_error(store, _lib.X509_V_OK)
        return 1
    return 0


def _judge(record: CallbackRecord, ok: int, store: Any, ssl: Any) -> bool:
    current = _lib.X509_STORE_CTX_get_current_cert(store)
    config = record.config
    if ok and config.signature_algorithms and not signature_allowed(der_of(lent(current)), config.certificate_signatures):
        _lib.X509_STORE_CTX_set_error(store, SIGNATURE_NOT_ALLOWED)   # 405, as on IBM i
        ok = 0
    if not ok and record.x509_error == 0:
        record.x509_error = _lib.X509_STORE_CTX_get_error(store)
        record.subject = subject_of(lent(current))
    if _lib.X509_STORE_CTX_get_error_depth(store) == 0 and record.validation_callback is not None:
        status = verify_result(record.x509_error)[0]
        ders = peer_chain(ssl) or [der_of(lent(current))]
        try:
            answer = record.validation_callback(ders, status)
        except Exception:  # noqa: BLE001 - a callback that raises rejects
            answer = rc.GSK_ERROR_CERT_VALIDATION
        except BaseException as exc:  # Ctrl-C: rejects, and the handshake call raises it
            keep_for_the_program(record, exc)
            answer = rc.GSK_ERROR_CERT_VALIDATION
        record.callback_rc = answer
        return answer == rc.GSK_OK
    if not config.verify_peer:
        return True                  # PASSTHRU: keep going, GSK_CERTIFICATE_VALIDATION_CODE tells
    return bool(ok)


def call_when_a_certificate_is_requested(ssl: Any) -> None:
    """Have OpenSSL call this client connection's GSK_CLIENT_CERT_CALLBACK (its app data's)
    when the server asks for a certificate: set on the connection, not its context, which
    connections without the callback share."""
    _lib.SSL_set_cert_cb(ssl, _certificate_requested, _ffi.NULL)


@_ffi.callback("int (*)(SSL *, void *)")
def _certificate_requested(ssl: Any, _arg: Any) -> int:
    """GSK_CLIENT_CERT_CALLBACK: the server asked this client for a certificate (OpenSSL
    calls a client's certificate callback then only).  Its answer is informational."""
    record = app_data_of(ssl)
    if record is not None and record.client_cert_callback is not None:
        try:
            record.client_cert_callback()
        except Exception:  # noqa: BLE001 - the application's error; the handshake goes on
            pass
        except BaseException as exc:  # Ctrl-C: the handshake ends, and its call raises it
            keep_for_the_program(record, exc)
            return 0
    return 1


def keep_for_the_program(record: CallbackRecord, exc: BaseException) -> None:
    """Ctrl-C or exit() in a callback, which cffi would drop: kept for the synchronous
    handshake call to raise again (``Session.handshake``), on the main thread.  Elsewhere (a
    completion port's thread, perhaps the engine's own) it only rejects, as any exception
    there does: raised, it would end that thread."""
    if threading.current_thread() is threading.main_thread():
        record.interrupted = exc


@_ffi.callback("int (*)(SSL *, int *, void *)")
def _critical_server_name(ssl: Any, alert: Any, _arg: Any) -> int:
    """GSK_SSL_EXTN_SERVERNAME_CRITICAL_LIST: refuse other names with a fatal
    unrecognized_name alert."""
    record = app_data_of(ssl)
    if record is None:
        return _lib.SSL_TLSEXT_ERR_OK
    requested = server_name_of(ssl).lower()
    if requested in record.config.server_names:
        return _lib.SSL_TLSEXT_ERR_OK
    record.unrecognized_name = requested or "(no SNI)"
    alert[0] = UNRECOGNIZED_NAME
    return _lib.SSL_TLSEXT_ERR_ALERT_FATAL


def _apply(setter: Callable[[bytes], object], value: bytes, what: str) -> None:
    try:
        setter(value)
    except SSL.Error as exc:
        raise ConfigError(rc.GSK_ERROR_NO_CIPHERS, f"OpenSSL refused the {what} {value!r}: {exc}") from None


def _load_credentials(ctx: SSL.Context, config: TLSConfig) -> None:
    credentials = config.credentials
    if credentials is None:
        return
    for identity in credentials.identities:
        if identity.private_key is None:
            continue
        ctx.use_certificate(identity.certificate)
        ctx.use_privatekey(identity.private_key)  # type: ignore[arg-type]  # (other kinds: TypeError)
        for intermediate in identity.chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(intermediate))  # no cryptography form yet
    store = ctx.get_cert_store()
    assert store is not None            # a context always has its store
    send_ca_list = config.server and config.request_peer_cert and config.send_ca_list
    for ca in credentials.trusted:
        store.add_cert(crypto.X509.from_cryptography(ca))
        if send_ca_list:
            ctx.add_client_ca(ca)
    if credentials.use_system_trust and not config.server:
        ctx.set_default_verify_paths()
