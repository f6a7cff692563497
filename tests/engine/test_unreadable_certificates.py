"""A peer certificate that OpenSSL accepts and cryptography cannot read (X.509 version 2).

OpenSSL runs the handshake and verifies the chain as for any other certificate; only what
reads the certificate itself, GSK_PARTNER_CERT_INFO, answers GSK_ERROR_BAD_CERT
(docs/behaviour.md, "Certificates gskit cannot read")."""
from __future__ import annotations

import pytest

from gskit import *  # noqa: F403
from tests.conftest import connect
from tests.engine.test_return_codes import client_against, ssl_server


def test_a_trusted_version_2_peer_is_verified_and_its_certificate_reads_as_bad(pki, version_2):
    seen = {}

    def inspect(session):
        seen["validation"] = gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE)
        seen["failed subject"] = gsk_attribute_get_buffer(session, GSK_VALIDATIONFAIL_SUBJECT)
        seen["partner"] = gsk_attribute_get_cert_info(session, GSK_PARTNER_CERT_INFO)
        seen["protocol"] = gsk_attribute_get_enum(session, GSK_PROTOCOL_USED)

    assert client_against(pki, ssl_server(version_2.trusted), inspect=inspect) == GSK_OK
    assert seen == {"validation": (GSK_OK, 0), "failed subject": (GSK_OK, ""),
                    "partner": (GSK_ERROR_BAD_CERT, None),
                    "protocol": (GSK_OK, GSK_PROTOCOL_USED_TLSV13)}


def test_the_validation_callback_gets_a_version_2_certificate_as_sent(pki, version_2):
    calls = []

    def callback(chain, status):
        calls.append((chain, status))
        return GSK_OK

    def configure(env, session):
        if env:
            gsk_attribute_set_callback(env, GSK_CERT_VALIDATION_CALLBACK, validationCallBack(callback))

    assert client_against(pki, ssl_server(version_2.trusted), configure=configure) == GSK_OK
    assert len(calls) == 1
    chain, status = calls[0]
    assert chain[0] == version_2.der and status == GSK_OK


def test_an_untrusted_version_2_peer_fails_as_any_untrusted_one(pki, version_2):
    assert client_against(pki, ssl_server(version_2.untrusted)) == GSK_IBMI_ERROR_NOT_TRUSTED_ROOT


def test_the_pythonic_api_raises_a_certificate_error_naming_the_version(pki, version_2, listener, run_peer):
    def serve() -> None:
        conn, _ = listener.accept()
        ssl_server(version_2.trusted)(conn)

    peer = run_peer(serve)
    with Environment(keyring_file=str(pki.ca_pem)) as env:
        sock = connect(listener.getsockname()[1])
        with sock, env.open_session(fd=sock, server_name="localhost") as session:
            session.handshake()
            with pytest.raises(GSKCertificateError) as info:
                session.cert_info(GSK_PARTNER_CERT_INFO)
    peer.result()
    assert info.value.rc == GSK_ERROR_BAD_CERT
    assert "X.509 version 2" in str(info.value)


def test_gsk_ssl_extn_sigalg_does_not_refuse_a_certificate_it_cannot_read(pki, version_2):
    """The signature-algorithm list is checked on certificates gskit can read; one it cannot
    read changes nothing, as everywhere else (with a list that allows the chain's
    algorithms the result is the one without a list)."""
    sigalgs = "ecdsa_secp256r1_sha256:ECDSA+SHA256:rsa_pss_rsae_sha256:RSA+SHA256"
    codes = []
    assert client_against(pki, ssl_server(version_2.trusted), GSK_SSL_EXTN_SIGALG=sigalgs, inspect=lambda s: codes.append(
        gsk_attribute_get_numeric_value(s, GSK_CERTIFICATE_VALIDATION_CODE))) == GSK_OK
    assert codes == [(GSK_OK, 0)]
