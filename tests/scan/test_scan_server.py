"""Groups, certificate, SNI, resumption, and servers that misbehave."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from gskit.attributes.protocols import Protocol
from gskit.scan import NotTLS, TargetUnreachable, scan


def test_groups_exactly_those_configured(s_server):
    port = s_server("-groups", "X25519:secp384r1")
    result = scan("127.0.0.1", port, timeout=5)
    assert set(result.groups) == {"X25519", "secp384r1"}
    assert "ffdhe2048" not in result.groups_not_probed  # probed on TLS 1.3, and refused


def test_groups_on_tls12_only_server_are_curves(s_server):
    port = s_server("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "secp256r1:secp521r1")
    result = scan("127.0.0.1", port, timeout=5)
    assert set(result.groups) == {"secp256r1", "secp521r1"}
    assert {"ffdhe2048", "X25519MLKEM768"} <= set(result.groups_not_probed)


def test_certificate_verification_and_name(s_server, certs):
    port = s_server()
    good = scan("127.0.0.1", port, sni="localhost", ca_file=str(certs["rsa-ca"]), timeout=5)
    assert good.certificate.verified is True and good.certificate.verify_error is None
    assert good.certificate.hostname_matches is True
    leaf = good.certificate.chain[0]
    assert (leaf.key_type, leaf.key_bits, leaf.signature_algorithm) == ("RSA", 2048, "sha256WithRSAEncryption")
    assert leaf.sans == ("localhost", "127.0.0.1")
    bad = scan("127.0.0.1", port, sni="nothere.test", ca_file=str(certs["ecdsa-ca"]), timeout=5)
    assert bad.certificate.verified is False
    assert "local issuer" in bad.certificate.verify_error
    assert bad.certificate.hostname_matches is False
    unchecked = scan("127.0.0.1", port, timeout=5)
    assert unchecked.certificate.verified is None
    assert unchecked.sni.summary.startswith("not tested")


def test_sni_selects_another_certificate(s_server, certs):
    port = s_server("-servername", "other.test", "-cert2", str(certs["rsa-other"]),
                    "-key2", str(certs["rsa-other"]))
    result = scan("127.0.0.1", port, sni="other.test", timeout=5)
    assert result.sni.with_sni != result.sni.without_sni
    assert result.sni.summary.startswith("different certificates")
    assert result.certificate.chain[0].sans == ("other.test",)
    same = scan("127.0.0.1", port, sni="localhost", timeout=5)
    assert same.sni.summary == "same certificate with and without SNI"


def test_resumption_reported_per_protocol(s_server):
    port = s_server()
    result = scan("127.0.0.1", port, timeout=5)
    assert [(r.protocol, r.resumed) for r in result.resumption] == [
        (Protocol.TLSV12, True), (Protocol.TLSV13, True)]


def test_unreachable_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(TargetUnreachable, match="Connection refused"):
            scan("127.0.0.1", port, timeout=2)


def test_an_ipv6_target_is_named_in_brackets():
    with pytest.raises(TargetUnreachable, match=r"cannot connect to \[::1\]:1: "):   # (before: ::1:1)
        scan("::1", 1, timeout=2)


def test_not_tls_server(misbehaving):
    with misbehaving["raw"](b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as port:
        with pytest.raises(NotTLS, match="does not speak TLS"):
            scan("127.0.0.1", port, timeout=2)


def test_silent_server_times_out_quickly(misbehaving):
    with misbehaving["raw"](None) as port:
        started = time.monotonic()
        with pytest.raises(NotTLS, match="never completed a TLS handshake"):
            scan("127.0.0.1", port, timeout=0.3, protocols=[Protocol.TLSV12, Protocol.TLSV13])
        assert time.monotonic() - started < 10
    assert threading.active_count() < 5


def test_a_server_that_resets_every_connection_never_completed_a_handshake(misbehaving):
    """Reachable (the first connection is accepted), then every probe reset: the same answer
    as a server that closes them (before: a report of nothing accepted, exit 1, not 3)."""
    with misbehaving["reset"]() as port:
        with pytest.raises(NotTLS, match="never completed a TLS handshake"):
            scan("127.0.0.1", port, timeout=2, protocols=[Protocol.TLSV12, Protocol.TLSV13])


def test_trickling_server_is_bounded_by_the_deadline(misbehaving):
    with misbehaving["trickle"]() as port:
        started = time.monotonic()
        with pytest.raises(NotTLS, match="never completed a TLS handshake"):
            scan("127.0.0.1", port, timeout=0.5, protocols=[Protocol.TLSV13])
        # about 1 s (one 0.5 s deadline for the protocol probe, one more for probes already
        # running); unbounded, it would never end: the bound leaves room for a loaded machine
        assert time.monotonic() - started < 10


def test_connection_limit_gets_a_clear_report(s_server, misbehaving):
    configured = ["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA", "AES256-SHA"]
    port = s_server("-tls1_2", "-cipher", ":".join(configured), "-serverpref")
    started = time.monotonic()
    with misbehaving["limited_proxy"](port, allow=3) as proxy:
        try:
            result = scan("127.0.0.1", proxy, protocols=[Protocol.TLSV12], timeout=2)
        except NotTLS as exc:  # every handshake lost the race for the three connections
            assert "closed the connection" in str(exc)
        else:
            found = [s.openssl_name for s in result.protocol(Protocol.TLSV12).accepted]
            assert found == configured[:len(found)]  # never a wrong suite or a wrong order
            if len(found) < len(configured):
                assert any("closed the connection" in n for n in result.notes)
    assert time.monotonic() - started < 20
