"""What ``gskit ciphers`` prints as effective is what a real handshake through the OpenSSL
configuration it prints negotiates: every suite, alone, on every protocol it is listed for;
the security level is lowered only when a suite that needs it is listed; version gaps."""
from __future__ import annotations

import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

from gskit.attributes.ciphers import (SUITES, openssl_cipher_list, openssl_supported,
                                      openssl_tls13_ciphersuites, suite_by_name)
from gskit.attributes.protocols import NEGOTIABLE, Protocol
from gskit.cli import ciphers_cmd

P = Protocol
SPEC_OPTION = {P.TLSV10: "--tlsv10-specs-ex", P.TLSV11: "--tlsv11-specs-ex",
               P.TLSV12: "--tlsv12-specs-ex", P.TLSV13: "--tlsv13-specs-ex"}
# Every suite the local OpenSSL knows, on every protocol its _EX attribute can name it for
# (IDEA-CBC-SHA on TLS 1.2 included: OpenSSL has it up to TLS 1.1 only).
CASES = [(p, s) for s in SUITES if openssl_supported(s) for p in NEGOTIABLE if (p == P.TLSV13) == s.tls13]
WEAK = [s.iana_name for s in SUITES if openssl_supported(s) and not s.tls13 and s.weakness]


def cli_json(capsys, *args: str) -> tuple[int, dict]:
    code = ciphers_cmd.main([*args, "--json"])
    out = capsys.readouterr()
    assert out.err == ""
    return code, json.loads(out.out)


@pytest.fixture(scope="module")
def credentials(pki) -> dict[str, tuple | None]:
    """A server key and certificate for each authentication (anonymous suites need none)."""
    key = dsa.generate_private_key(2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    rsa = (str(pki.server_rsa), str(pki.server_rsa))
    return {"RSA": rsa, "any": rsa, "ECDSA": (str(pki.server_ec), str(pki.server_ec)),
            "DSS": (key, cert),
            "none": None}


def server_context(openssl: dict, tls13: str, credential) -> SSL.Context:
    """A server configured the way ``gskit ciphers`` says OpenSSL must be (and the engine is):
    the version range with its SSL_OP_NO_* options, the cipher list; and the TLS 1.3 list."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(Protocol.from_label(openssl["min_version"]))
    ctx.set_max_proto_version(Protocol.from_label(openssl["max_version"]))
    for option in openssl.get("options", ()):
        ctx.set_options(getattr(SSL, option.removeprefix("SSL_")))
    if openssl["cipher_list"]:
        ctx.set_cipher_list(openssl["cipher_list"].encode())
    if tls13:
        ctx.set_tls13_ciphersuites(tls13.encode())
    if isinstance(credential, tuple) and isinstance(credential[0], str):
        ctx.use_privatekey_file(credential[0])
        ctx.use_certificate_chain_file(credential[1])
    elif credential is not None:
        ctx.use_privatekey(credential[0])
        ctx.use_certificate(credential[1])
    return ctx


def client_context(protocol: Protocol, cipher_list: str = "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
                   tls13: str | None = None) -> SSL.Context:
    """A client that speaks only ``protocol`` and, at security level 0, offers everything."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_min_proto_version(protocol)
    ctx.set_max_proto_version(protocol)
    ctx.set_cipher_list(cipher_list.encode())
    ctx.set_tls13_ciphersuites((tls13 or ":".join(s.iana_name for s in SUITES if s.tls13
                                                  and openssl_supported(s))).encode())
    return ctx


def negotiate(server_ctx: SSL.Context, client_ctx: SSL.Context) -> str | None:
    """The suite an in-memory handshake agrees on, or None when it fails."""
    server, client = SSL.Connection(server_ctx), SSL.Connection(client_ctx)
    server.set_accept_state()
    client.set_connect_state()
    for _ in range(20):
        done = True
        for me, peer in ((client, server), (server, client)):
            try:
                me.do_handshake()
            except SSL.WantReadError:
                done = False
            except SSL.Error:
                return None
            try:
                peer.bio_write(me.bio_read(1 << 16))
            except SSL.WantReadError:
                pass
        if done:
            return server.get_cipher_name()
    return None


@pytest.mark.parametrize("protocol, suite", CASES, ids=[f"{p.label}-{s.openssl_name}" for p, s in CASES])
def test_effective_means_negotiated(capsys, credentials, protocol, suite):
    """Listed alone for one protocol: printed as effective, and then a handshake through the
    printed configuration negotiates it; or printed as unavailable, and then OpenSSL given
    what was asked for (that protocol, the suite's cipher string, at the level gskit would
    use) does not negotiate it."""
    code, data = cli_json(capsys, SPEC_OPTION[protocol], suite.iana_name, "--protocols", protocol.label)
    effective = [s["iana_name"] for p in data["protocols"] for s in p["suites"]]
    assert (code == 0) == bool(effective)
    credential = credentials[suite.authentication]
    if effective:
        assert effective == [suite.iana_name]
        ctx = server_context(data["openssl"], data["openssl"]["ciphersuites"], credential)
        assert negotiate(ctx, client_context(protocol)) == suite.openssl_name, data["openssl"]
    else:
        [lost] = [u for u in data["unavailable"] if u["suite"]]
        assert lost["suite"] == suite.iana_name
        if lost["reason"] == "WRONG_PROTOCOL" and suite.ibmi_name:
            return   # IBM's support table, not OpenSSL, says where an IBM i suite goes
        asked = {"min_version": protocol.label, "max_version": protocol.label,
                 "cipher_list": openssl_cipher_list([suite], protocol)}
        ctx = server_context(asked, openssl_tls13_ciphersuites([suite]), credential)
        negotiated = negotiate(ctx, client_context(protocol))
        assert negotiated is None, f"printed as unavailable but {negotiated} was negotiated"


@pytest.mark.parametrize("name", WEAK)
def test_weak_suite_listed_lowers_the_level_and_says_so(capsys, credentials, name):
    """The 25 TLS 1.2 suites OpenSSL refuses above security level 0 (NULL, anonymous, CCM_8,
    MD5): listed next to a strong suite, they are negotiated, and gskit ciphers says why."""
    suite = suite_by_name(name)
    code, data = cli_json(capsys, "--tlsv12-specs-ex", f"{name},TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    assert code == 0
    assert data["openssl"]["cipher_list"].endswith(":@SECLEVEL=0")
    assert data["openssl"]["security_level_0"] is True
    assert data["openssl"]["security_level_0_reasons"] == [f"{name} is listed ({suite.weakness})"]
    ctx = server_context(data["openssl"], "", credentials[suite.authentication])
    assert negotiate(ctx, client_context(P.TLSV12, f"{suite.openssl_name}:@SECLEVEL=0")) == suite.openssl_name


def test_the_reported_case_null_sha256(capsys):
    code = ciphers_cmd.main(["--tlsv12-specs-ex", "TLS_RSA_WITH_NULL_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
    text = capsys.readouterr().out
    assert code == 0
    assert "  cipher list:  NULL-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0" in text.splitlines()
    assert ("  security:     level 0 (@SECLEVEL=0), because TLS_RSA_WITH_NULL_SHA256 is listed "
            "(no encryption)") in text


def test_strong_suites_keep_the_default_level(capsys, credentials):
    """Secure by default: nothing lowers the level unless a suite that needs it is listed,
    and a server so configured refuses a client that offers only NULL and anonymous suites."""
    strong = [s.iana_name for s in SUITES if openssl_supported(s) and not s.tls13 and not s.weakness
              and P.TLSV12 in s.protocols]
    code, data = cli_json(capsys, "--tlsv12-specs-ex", ",".join(strong),
                          "--tlsv13-specs-ex", "TLS_AES_128_GCM_SHA256")
    assert code == 0
    assert "SECLEVEL" not in data["openssl"]["cipher_list"]
    assert data["openssl"]["security_level_0"] is False and data["openssl"]["security_level_0_reasons"] == []
    ctx = server_context(data["openssl"], data["openssl"]["ciphersuites"], credentials["RSA"])
    assert negotiate(ctx, client_context(P.TLSV12, "eNULL:aNULL:@SECLEVEL=0")) is None
    assert negotiate(ctx, client_context(P.TLSV12)) is not None
    assert negotiate(ctx, client_context(P.TLSV13)) == "TLS_AES_128_GCM_SHA256"


def test_weak_tls13_suite_rides_on_a_lowered_level(capsys, credentials):
    """TLS_SHA256_SHA256 (integrity only) needs level 0, which only the TLS 1.0-1.2 list can
    set: alone it is reported unavailable; with a NULL TLS 1.2 suite listed, it is effective."""
    code, data = cli_json(capsys, "--tlsv13-specs-ex", "TLS_SHA256_SHA256,TLS_AES_128_GCM_SHA256")
    assert [s["iana_name"] for s in data["protocols"][0]["suites"]] == ["TLS_AES_128_GCM_SHA256"]
    assert data["openssl"]["ciphersuites"] == "TLS_AES_128_GCM_SHA256"
    assert [(u["suite"], u["reason"]) for u in data["unavailable"]] == [("TLS_SHA256_SHA256", "NOT_IN_OPENSSL")]
    assert "only at security level 0 (no encryption)" in data["unavailable"][0]["detail"]

    code, data = cli_json(capsys, "--tlsv13-specs-ex", "TLS_SHA256_SHA256", "--tlsv12-specs-ex",
                          "TLS_RSA_WITH_NULL_SHA256")
    assert code == 0 and data["unavailable"] == []
    assert data["openssl"]["security_level_0_reasons"] == [
        "TLS_RSA_WITH_NULL_SHA256 is listed (no encryption)", "TLS_SHA256_SHA256 is listed (no encryption)"]
    ctx = server_context(data["openssl"], data["openssl"]["ciphersuites"], credentials["RSA"])
    assert negotiate(ctx, client_context(P.TLSV13, tls13="TLS_SHA256_SHA256")) == "TLS_SHA256_SHA256"


@pytest.mark.parametrize("args, gap", [
    (["--v3-specs", "2F35", "--protocols", "TLSv1,TLSv1.2"], ["TLSv1.1"]),
    (["--v3-specs", "2F35", "--protocols", "TLSv1,TLSv1.3", "--tlsv13-specs-ex", "TLS_AES_128_GCM_SHA256"],
     ["TLSv1.1", "TLSv1.2"]),
    # TLS 1.1 is on but its own list leaves it nothing: it must be switched off all the same
    (["--tlsv10-specs", "2F", "--tlsv11-specs-ex", "TLS_RSA_WITH_AES_128_GCM_SHA256", "--tlsv12-specs", "2F",
      "--protocols", "TLSv1,TLSv1.1,TLSv1.2"], ["TLSv1.1"]),
    (["--v3-specs", "2F35", "--protocols", "TLSv1,TLSv1.1,TLSv1.2"], []),
])
def test_version_gaps_are_printed_and_switched_off(capsys, credentials, args, gap):
    code, data = cli_json(capsys, *args)
    options = {"TLSv1": "SSL_OP_NO_TLSv1", "TLSv1.1": "SSL_OP_NO_TLSv1_1", "TLSv1.2": "SSL_OP_NO_TLSv1_2"}
    assert data["openssl"]["disabled_versions"] == gap
    assert data["openssl"]["options"] == [options[v] for v in gap]
    enabled = {p["protocol"] for p in data["protocols"] if p["suites"]}
    ctx = server_context(data["openssl"], data["openssl"]["ciphersuites"], credentials["RSA"])
    for protocol in NEGOTIABLE:
        works = negotiate(ctx, client_context(protocol)) is not None
        assert works == (protocol.label in enabled), protocol.label
    ciphers_cmd.main(args)
    versions = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("  versions:"))
    if gap:
        assert versions.endswith(f", without {', '.join(gap)} ({' | '.join(options[v] for v in gap)})")
    else:
        assert "without" not in versions
