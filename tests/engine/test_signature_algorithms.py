"""GSK_SSL_EXTN_SIGALG on the peer's certificates: IBM i's soc_init fails with
GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE (405) when the list does not allow the algorithm a
certificate is signed with (gskit-semantics.md, soc_init 7.1+; OpenSSL itself applies the
list to the handshake's signatures only).  Real handshakes against Python's ssl."""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import trustme

from gskit import *  # noqa: F403
from gskit.engine.signatures import allowed_signatures, certificate_signature
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import Pair, ssl_server


@pytest.fixture(scope="module")
def mixed_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(CA file, server key and chain file): an ECDSA CA that signed an RSA server certificate,
    so the handshake is signed with RSA and the certificate with ECDSA+SHA256."""
    folder = tmp_path_factory.mktemp("sigalg")
    ca = trustme.CA(key_type=trustme.KeyType.ECDSA)
    leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA)
    ca.cert_pem.write_to_path(folder / "ca.pem")
    leaf.private_key_and_cert_chain_pem.write_to_path(folder / "server.pem")
    return folder / "ca.pem", folder / "server.pem"


@contextlib.contextmanager
def serving(server_file: Path) -> Iterator[Pair]:
    """A TCP pair whose server end is Python's ssl showing ``server_file``, for one handshake."""
    pair = Pair()
    server = threading.Thread(target=ssl_server(server_file), args=(pair.server,), daemon=True)
    server.start()
    try:
        yield pair
    finally:
        pair.client.close()
        server.join(DEADLINE)
        pair.server.close()


def handshake(chain: tuple[Path, Path], sigalgs: str, *, passthru: bool = False,
              callback: Callable[[list[bytes], int], int] | None = None) -> tuple[int, int, int]:
    """(soc_init's rc, GSK_CERTIFICATE_VALIDATION_CODE, the protocol) of a gskit client
    with ``sigalgs`` against a TLS 1.3 server showing ``chain``."""
    ca_file, server_file = chain
    with serving(server_file) as pair:
        rc, env = gsk_environment_open()
        assert gsk_attribute_set_buffer(env, GSK_KEYRING_FILE, str(ca_file)) == GSK_OK
        assert gsk_attribute_set_buffer(env, GSK_SSL_EXTN_SIGALG, sigalgs) == GSK_OK
        if passthru:
            assert gsk_attribute_set_enum(env, GSK_SERVER_AUTH_TYPE, GSK_SERVER_AUTH_PASSTHRU) == GSK_OK
        assert gsk_environment_init(env) == GSK_OK
        rc, session = gsk_secure_soc_open(env)
        gsk_attribute_set_numeric_value(session, GSK_FD, pair.client.fileno())
        if callback is not None:
            assert gsk_attribute_set_callback(session, GSK_CERT_VALIDATION_CALLBACK, callback) == GSK_OK
        code = gsk_secure_soc_init(session)
        _, validation = gsk_attribute_get_numeric_value(session, GSK_CERTIFICATE_VALIDATION_CODE)
        _, protocol = gsk_attribute_get_enum(session, GSK_PROTOCOL_USED)
        gsk_secure_soc_close(session)
    gsk_environment_close(env)
    return code, validation, protocol


def test_a_certificate_signed_with_an_algorithm_the_list_does_not_allow_is_405(mixed_chain: Any) -> None:
    assert handshake(mixed_chain, "rsa_pss_rsae_sha256:RSA+SHA256")[:2] == (
        GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE, 575011)        # GSKVAL_ERR_SIGALG_MISMATCH


def test_the_pythonic_error_says_why(mixed_chain: Any) -> None:
    import gskit

    ca_file, server_file = mixed_chain
    with serving(server_file) as pair, gskit.Environment(
            keyring_file=str(ca_file), signature_algorithms="RSA+SHA256:rsa_pss_rsae_sha256",
            check_hostname=False) as env, env.open_session(fd=pair.client) as session:
        with pytest.raises(gskit.GSKError) as info:
            session.handshake()
    assert info.value.rc == GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE
    assert "signed with an algorithm GSK_SSL_EXTN_SIGALG does not allow" in str(info.value)


def test_the_same_chain_passes_when_the_list_names_its_signature_in_either_spelling(mixed_chain: Any) -> None:
    for sigalgs in ("rsa_pss_rsae_sha256:ECDSA+SHA256", "rsa_pss_rsae_sha256,ecdsa_secp256r1_sha256"):
        assert handshake(mixed_chain, sigalgs) == (GSK_OK, 0, GSK_PROTOCOL_USED_TLSV13)


def test_passthru_records_the_refusal_and_goes_on(mixed_chain: Any) -> None:
    assert handshake(mixed_chain, "rsa_pss_rsae_sha256", passthru=True)[:2] == (GSK_OK, 575011)


def test_the_validation_callback_sees_405_and_may_accept(mixed_chain: Any) -> None:
    seen: list[int] = []

    def accept(chain: list[bytes], status: int) -> int:
        seen.append(status)
        return GSK_OK

    assert handshake(mixed_chain, "rsa_pss_rsae_sha256", callback=accept)[0] == GSK_OK
    assert seen == [GSK_ERROR_UNSUPPORTED_CERTIFICATE_TYPE]


@pytest.mark.parametrize("text, expected", [
    ("RSA+SHA256", {("RSA", "SHA256")}),
    ("rsa_pkcs1_sha384:RSA-PSS+SHA256", {("RSA", "SHA384"), ("RSA-PSS", "SHA256")}),
    ("rsa_pss_pss_sha512, ecdsa_secp384r1_sha384 ,ed25519", {("RSA-PSS", "SHA512"), ("ECDSA", "SHA384"),
                                                            ("ED25519", None)}),
    ("ECDSA+SHA1:ecdsa_sha1", {("ECDSA", "SHA1")}),
])
def test_both_spellings_of_the_list_name_the_same_signatures(text: str, expected: set[Any]) -> None:
    assert allowed_signatures(text) == expected


def test_a_certificates_signature_is_read_as_key_kind_and_hash() -> None:
    from cryptography import x509

    for ca_kind, expected in ((trustme.KeyType.RSA, ("RSA", "SHA256")), (trustme.KeyType.ECDSA, ("ECDSA", "SHA256"))):
        leaf = trustme.CA(key_type=ca_kind).issue_cert("localhost")
        cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
        assert certificate_signature(cert) == expected
