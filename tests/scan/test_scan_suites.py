"""The scan reports exactly what an ``openssl s_server`` was configured with."""
from __future__ import annotations

import pytest

from gskit.attributes.ciphers import suite_by_name
from gskit.attributes.protocols import Protocol
from gskit.scan import scan

TLS12_RSA = ["ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA", "ECDHE-RSA-CHACHA20-POLY1305",
             "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"]
TLS12_ECDSA = ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
               "ECDHE-ECDSA-AES256-GCM-SHA384"]


def names(result, protocol):
    entry = result.protocol(protocol)
    return [s.openssl_name for s in entry.accepted]


def test_tls12_server_order_exact(s_server):
    port = s_server("-tls1_2", "-cipher", ":".join(TLS12_RSA), "-serverpref")
    result = scan("127.0.0.1", port, sni="localhost", timeout=5)
    assert names(result, Protocol.TLSV12) == TLS12_RSA
    assert result.protocol(Protocol.TLSV12).server_order is True
    assert [p.supported for p in result.protocols] == [False, False, True, False]
    assert result.honours_client_order is False


def test_tls12_client_order_detected(s_server):
    port = s_server("-tls1_2", "-cipher", ":".join(TLS12_RSA))
    result = scan("127.0.0.1", port, protocols=[Protocol.TLSV12], timeout=5)
    entry = result.protocol(Protocol.TLSV12)
    assert sorted(names(result, Protocol.TLSV12)) == sorted(TLS12_RSA)
    assert entry.server_order is False
    assert result.honours_client_order is True
    # with no server preference the list is the order gskit offered: the table's (IANA code)
    assert [s.iana_code for s in entry.accepted] == sorted(s.iana_code for s in entry.accepted)


def test_tls13_order_and_ecdsa_certificate(s_server):
    suites13 = ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]
    port = s_server("-cipher", ":".join(TLS12_ECDSA), "-ciphersuites", ":".join(suites13),
                    "-serverpref", cert="ecdsa")
    result = scan("127.0.0.1", port, sni="localhost", timeout=5)
    assert names(result, Protocol.TLSV13) == suites13
    assert names(result, Protocol.TLSV12) == TLS12_ECDSA
    assert result.certificate.chain[0].key_type == "ECDSA"
    assert result.certificate.chain[0].curve == "secp256r1"


def test_rsa_suites_not_accepted_with_ecdsa_certificate(s_server):
    port = s_server("-tls1_2", "-cipher", ":".join(TLS12_RSA + TLS12_ECDSA), "-serverpref", cert="ecdsa")
    result = scan("127.0.0.1", port, protocols=[Protocol.TLSV12], timeout=5)
    assert names(result, Protocol.TLSV12) == TLS12_ECDSA


def test_legacy_protocols_when_enabled(s_server):
    port = s_server("-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0", "-serverpref",
                    "-no_tls1_3", "-no_tls1_2")
    result = scan("127.0.0.1", port, timeout=5)
    for protocol in (Protocol.TLSV10, Protocol.TLSV11):
        assert names(result, protocol) == ["AES128-SHA", "ECDHE-RSA-AES256-SHA"]
    assert not result.protocol(Protocol.TLSV12).supported
    assert not result.protocol(Protocol.TLSV13).supported


@pytest.mark.parametrize("gsk_spec", ["2F", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
def test_json_names_each_suite_three_ways(s_server, gsk_spec):
    suite = suite_by_name(gsk_spec)
    port = s_server("-tls1_2", "-cipher", suite.openssl_name)
    data = scan("127.0.0.1", port, protocols=[Protocol.TLSV12], timeout=5).to_json()
    entry = next(p for p in data["protocols"] if p["protocol"] == "TLSv1.2")
    assert entry["accepted"] == [{"iana_name": suite.iana_name, "iana_code": suite.iana_hex,
                                  "openssl_name": suite.openssl_name, "gsk_spec": gsk_spec}]


def test_rsa_and_ecdsa_certificates_together(s_server, certs):
    port = s_server("-tls1_2", "-cipher", ":".join(TLS12_ECDSA + TLS12_RSA), "-serverpref",
                    "-dcert", str(certs["ecdsa"]), "-dkey", str(certs["ecdsa"]))
    result = scan("127.0.0.1", port, protocols=[Protocol.TLSV12], timeout=5)
    assert names(result, Protocol.TLSV12) == TLS12_ECDSA + TLS12_RSA


def test_tls13_client_order_detected(s_server):
    port = s_server("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384")
    result = scan("127.0.0.1", port, protocols=[Protocol.TLSV13], timeout=5)
    entry = result.protocol(Protocol.TLSV13)
    assert sorted(names(result, Protocol.TLSV13)) == ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    assert entry.server_order is False
