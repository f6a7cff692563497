"""``gskit scan`` in a subprocess: JSON schema, policy exit codes, unreachable and bad usage."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import trustme


INTERMEDIATE_12 = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gskit", "scan", *args],
                          capture_output=True, text=True, timeout=90)


def test_json_schema(s_server, certs):
    port = s_server("-cipher", INTERMEDIATE_12, "-serverpref", "-groups", "X25519:secp256r1")
    out = run(f"127.0.0.1:{port}", "--sni", "localhost", "--ca-file", str(certs["rsa-ca"]), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["target"] == f"127.0.0.1:{port}"
    assert [p["protocol"] for p in data["protocols"]] == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert [p["supported"] for p in data["protocols"]] == [False, False, True, True]
    tls12 = data["protocols"][2]["accepted"]
    assert [s["openssl_name"] for s in tls12] == INTERMEDIATE_12.split(":")
    assert set(tls12[0]) == {"iana_name", "iana_code", "openssl_name", "gsk_spec"}
    assert tls12[0]["iana_code"] == "0xC02F"
    assert data["groups"] == ["X25519", "secp256r1"]
    assert data["certificate"]["verified"] is True and data["certificate"]["key_type"] == "RSA"
    assert "policy" not in data


def test_policy_compliant_and_not(s_server, tmp_path):
    port = s_server("-cipher", INTERMEDIATE_12, "-groups", "X25519:secp256r1")
    policy = tmp_path / "strict.toml"
    policy.write_text('[protocols]\nallowed = ["TLSv1.2", "TLSv1.3"]\n[suites]\nrequire_aead = true\n'
                      'require_forward_secrecy = true\n[certificate]\nmin_rsa_bits = 2048\n')
    ok = run(f"127.0.0.1:{port}", "--policy", str(policy), "--json")
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["policy"] == {
        "policy": "strict", "compliant": True, "violations": [], "not_checked": [],
        "not_probed": ["SSLv2 and SSLv3 (gskit never speaks them, so the policy's ban on them was "
                       "not checked)"]}
    no = run(f"127.0.0.1:{port}", "--policy", "mozilla-modern")
    assert no.returncode == 1
    lines = no.stdout.splitlines()
    assert "Policy mozilla-modern: NOT compliant" in lines
    assert "  TLSv1.2 is accepted but the policy allows only TLSv1.3" in lines
    assert "  the certificate key is RSA but the policy allows only ECDSA" in lines


def test_text_table(s_server):
    port = s_server("-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-serverpref")
    out = run(f"127.0.0.1:{port}", "--protocols", "TLSv1.2")
    assert out.returncode == 0
    assert "TLSv1.2  2 suite(s), server's order" in out.stdout
    assert "   1  2F     0x002F  TLS_RSA_WITH_AES_128_CBC_SHA" in out.stdout


def test_no_version_accepted_exit_1(s_server):
    port = s_server("-tls1_3")
    out = run(f"127.0.0.1:{port}", "--protocols", "TLSv1,TLSv1.1,TLSv1.2", "--json")
    assert out.returncode == 1
    assert [p["supported"] for p in json.loads(out.stdout)["protocols"]] == [False, False, False]


def test_unreachable_exit_3():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        out = run(f"127.0.0.1:{s.getsockname()[1]}", "--timeout", "1")
    assert out.returncode == 3
    assert out.stderr.startswith("gskit scan: cannot connect to 127.0.0.1:") and "Traceback" not in out.stderr


def test_not_tls_exit_3(misbehaving):
    with misbehaving["raw"](b"SSH-2.0-OpenSSH_9.6\r\n") as port:
        out = run(f"127.0.0.1:{port}", "--timeout", "1")
    assert out.returncode == 3
    assert "does not speak TLS" in out.stderr and len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["127.0.0.1:99999"], "'127.0.0.1:99999' is not HOST:PORT"),
    (["127.0.0.1:443", "--protocols", "SSLv3"], "SSLv3 cannot be scanned"),
    (["127.0.0.1:443", "--protocols", "TLSv4"], "unknown protocol version 'TLSv4'"),
    (["127.0.0.1:443", "--timeout", "0"], "--timeout must be > 0"),
    (["127.0.0.1:443", "--policy", "nope"], "no policy named 'nope'"),
])
def test_bad_usage_exit_2(args, message):
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("text, expected", [
    ("example.com:8443", ("example.com", 8443)), ("example.com", ("example.com", 443)),
    ("[::1]:4433", ("::1", 4433)), ("::1", ("::1", 443)), ("10.0.0.1:636", ("10.0.0.1", 636))])
def test_target_syntax(text, expected):
    from gskit.cli.scan_cmd import parse_target

    assert parse_target(text) == expected


def test_names_from_the_server_reach_the_terminal_escaped(s_server, certs, tmp_path):
    """A certificate whose names hold terminal control sequences (ESC [ 2 J clears the
    screen): the text report shows them escaped (before: sent to the terminal as they were)."""
    ca = trustme.CA(organization_name="evil \x1b[2J CA")
    path = tmp_path / "evil.pem"
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(path))
    certs["evil"] = path
    port = s_server(cert="evil")
    out = run(f"127.0.0.1:{port}", "--protocols", "TLSv1.3")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout
    assert "evil \\x1b[2J CA" in out.stdout
