"""Servers that ask for a client certificate, policies that cannot be fully checked, Ctrl-C,
bad input and internationalised names: each against a real peer."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import trustme

from gskit.attributes.protocols import Protocol
from gskit.scan import BadScanInput, scan
from gskit.scan.certificate import hostname_matches

TLS12_ONE = ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "X25519"]


def run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gskit", "scan", *args],
                          capture_output=True, text=True, timeout=timeout)


def one_sentence(stderr: str) -> bool:
    return (len(stderr.splitlines()) == 1 and stderr.startswith("gskit scan: ")
            and stderr.rstrip().endswith(".") and "Traceback" not in stderr)


# --- 1. a server that requires a client certificate still shows (and is judged on) its chain

def test_client_certificate_required_tls12_chain_reported_and_checked(s_server):
    port = s_server(*TLS12_ONE, "-Verify", "1")
    out = run(f"127.0.0.1:{port}", "--policy", "mozilla-intermediate", "--json")
    data = json.loads(out.stdout)
    cert = data["certificate"]
    assert cert is not None and cert["key_type"] == "RSA" and cert["sans"] == ["localhost", "127.0.0.1"]
    assert cert["client_certificate"] == "required" and "alert" in cert["handshake_error"]
    # the certificate rules ran: trustme's certificates live 1000 years, beyond 366 days
    assert data["policy"]["compliant"] is False
    assert any("the certificate is valid for" in v for v in data["policy"]["violations"])
    assert out.returncode == 1
    text = run(f"127.0.0.1:{port}", "--policy", "mozilla-intermediate").stdout
    assert "Certificate: none received" not in text
    assert "  the server requires a client certificate: without one the handshake fails" in text
    assert "Policy mozilla-intermediate: NOT compliant" in text


def test_client_certificate_required_tls13(s_server):
    port = s_server("-tls1_3", "-Verify", "1")
    result = scan("127.0.0.1", port, timeout=5)
    assert result.certificate.client_certificate == "required"
    assert "certificate required" in result.certificate.handshake_error
    assert result.certificate.chain[0].key_type == "RSA"
    # 4. the server aborted and issued no ticket: resumption cannot be tested, not "no"
    [tls13] = result.resumption
    assert tls13.resumed is None
    assert tls13.detail.startswith("not testable: the server requires a client certificate")


def test_client_certificate_optional_is_not_an_abort(s_server):
    port = s_server("-verify", "1")
    result = scan("127.0.0.1", port, timeout=5)
    assert result.certificate.client_certificate == "optional"
    assert result.certificate.handshake_error is None
    assert [(r.protocol, r.resumed) for r in result.resumption] == [
        (Protocol.TLSV12, True), (Protocol.TLSV13, True)]


def test_policy_not_confirmed_when_no_certificate_came(s_server, misbehaving, tmp_path):
    """The handshake dies after the ServerHello: suites are known (on TLS 1.3 the ServerHello
    names the suite), the certificate (encrypted, later) never comes."""
    policy = tmp_path / "strict.toml"
    policy.write_text('[protocols]\nallowed = ["TLSv1.2", "TLSv1.3"]\n[certificate]\nmin_rsa_bits = 2048\n')
    upstream = s_server("-tls1_3")
    with misbehaving["first_record_proxy"](upstream) as port:
        out = run(f"127.0.0.1:{port}", "--protocols", "TLSv1.3", "--timeout", "2",
                  "--policy", str(policy), "--json")
        text = run(f"127.0.0.1:{port}", "--protocols", "TLSv1.3", "--timeout", "2",
                   "--policy", str(policy))
    data = json.loads(out.stdout)
    assert data["protocols"][0]["supported"] is True and data["certificate"] is None
    assert data["certificate_error"].startswith("the handshake failed before the server sent a certificate")
    verdict = data["policy"]
    assert verdict["compliant"] is False and verdict["violations"] == []
    assert verdict["not_checked"] == [
        "the certificate rules (minimum RSA key size) were not checked: " + data["certificate_error"]]
    assert out.returncode == 1 and text.returncode == 1
    assert "Policy strict: compliance NOT confirmed: some of its rules could not be checked" in text.stdout
    assert "  not checked: the certificate rules (minimum RSA key size) were not checked" in text.stdout


# --- 7. SSLv2 and SSLv3 are never probed: the report says so instead of passing silently

def test_policy_says_sslv2_sslv3_not_probed(s_server, tmp_path):
    port = s_server("-tls1_3")
    out = run(f"127.0.0.1:{port}", "--policy", "mozilla-modern")
    assert ("  not probed: SSLv2 and SSLv3 (gskit never speaks them, so the policy's ban on them "
            "was not checked)") in out.stdout.splitlines()
    policy = tmp_path / "ban3.toml"
    policy.write_text('[protocols]\nforbidden = ["SSLv3"]\n')
    data = json.loads(run(f"127.0.0.1:{port}", "--policy", str(policy), "--json").stdout)
    assert data["policy"]["compliant"] is True   # noted, not judged
    assert data["policy"]["not_probed"] == [
        "SSLv3 (gskit never speaks it, so the policy's ban on it was not checked)"]


# --- 2. Ctrl-C stops a scan at once

def test_ctrl_c_stops_the_scan_promptly(silent_listener):
    # SIGINT at its default in the child: pytest started as a background job ignores it, and
    # an ignored SIGINT would be inherited, making the scan deaf to it.
    proc = subprocess.Popen([sys.executable, "-m", "gskit", "scan", f"127.0.0.1:{silent_listener.port}",
                             "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        end = time.monotonic() + 30
        while len(silent_listener.accepted) < 3 and time.monotonic() < end:  # probes are waiting
            time.sleep(0.05)
        assert len(silent_listener.accepted) >= 3, "the scan never started its probes"
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)   # without the fix: ~40 s more
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert elapsed < 15  # at once, on a loaded machine within seconds
    assert one_sentence(err) and "interrupted" in err


# --- 3 and 6. bad input: one sentence, exit 2, no traceback (the peer is real and listening)

LONG = "a" * 70


@pytest.mark.parametrize("args, message", [
    (["--ca-file", "/nonexistent.pem"], "the CA file /nonexistent.pem does not exist"),
    (["--ca-file", "GARBAGE"], "holds no PEM certificate OpenSSL can load"),
    (["--ca-file", "/tmp"], "the CA file /tmp is a directory"),
    (["--ca-file", "FIFO"], "is not a regular file"),           # (before: waited for a writer for ever)
    (["--sni", "a..b"], "'a..b' is not a valid server name: it has an empty label"),
    (["--sni", f"{LONG}.example"], "a label is longer than 63 characters"),
    (["--timeout", "nan"], "--timeout must be > 0 and at most 3600 seconds"),
    (["--timeout", "inf"], "--timeout must be > 0 and at most 3600 seconds"),
    (["--timeout", "1e300"], "--timeout must be > 0 and at most 3600 seconds"),
])
def test_bad_input_against_a_live_server_exit_2(s_server, tmp_path, args, message):
    port = s_server()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not PEM\n")
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    args = [{"GARBAGE": str(garbage), "FIFO": str(fifo)}.get(a, a) for a in args]
    out = run(f"127.0.0.1:{port}", *args, timeout=30)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and one_sentence(out.stderr), out.stderr


@pytest.mark.parametrize("host, kwargs, message", [
    (f"{LONG}.com", {}, "a label is longer than 63 characters"),
    ("127.0.0.1", {"sni": "a..b"}, "it has an empty label"),
    ("127.0.0.1", {"ca_file": "/nonexistent.pem"}, "does not exist"),
    ("127.0.0.1", {"timeout": float("nan")}, "the timeout must be a number of seconds"),
    ("127.0.0.1", {"timeout": 1e300}, "the timeout must be a number of seconds"),
])
def test_library_refuses_bad_input(s_server, host, kwargs, message):
    port = s_server()
    with pytest.raises(BadScanInput, match=message):
        scan(host, port, **kwargs)


@pytest.mark.parametrize("target, message", [
    (f"{LONG}.com:443", "is not a valid host name: a label is longer than 63 characters"),
    ("a:b:c", "'a:b:c' is not HOST:PORT"),
    ("[::1", "the IPv6 address has no closing ']'"),
    ("[::1]443", "':PORT' must follow the ']'"),
    ("[localhost]:443", "only an IPv6 address goes in brackets"),
])
def test_bad_target_exit_2(target, message):
    out = run(target, "--timeout", "1", timeout=30)
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert message in out.stderr and one_sentence(out.stderr), out.stderr


@pytest.mark.parametrize("text", ["a:b:c", "[::1", "[::1]x", "[example.com]:443", "1:2:3:4:5:6:7:8:9"])
def test_target_syntax_refused(text):
    from gskit.cli.scan_cmd import parse_target

    with pytest.raises(ValueError, match="is not HOST:PORT"):
        parse_target(text)


def test_target_host_name_checked_before_any_connection():
    from gskit.cli.scan_cmd import parse_target

    with pytest.raises(ValueError, match="is not a valid host name: a label is longer than 63"):
        parse_target(f"{LONG}.com:443")
    assert parse_target("é.example:8443") == ("é.example", 8443)


# --- 5. an internationalised --sni matches the A-label the certificate carries

@pytest.fixture
def idn_identity(tmp_path):
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    path = tmp_path / "idn.pem"
    ca.issue_cert("xn--9ca.example", key_type=trustme.KeyType.RSA) \
        .private_key_and_cert_chain_pem.write_to_path(str(path))
    return path


def test_idn_sni_matches_a_label_san(s_server, idn_identity):
    port = s_server("-cert", str(idn_identity), "-key", str(idn_identity))
    result = scan("127.0.0.1", port, sni="é.example", protocols=[Protocol.TLSV13], timeout=5)
    assert result.certificate.chain[0].sans == ("xn--9ca.example",)
    assert result.certificate.hostname == "é.example"
    assert result.certificate.hostname_matches is True
    out = run(f"127.0.0.1:{port}", "--sni", "é.example", "--protocols", "TLSv1.3")
    assert "  name 'é.example' matches" in out.stdout.splitlines()


@pytest.mark.parametrize("name, sans, expected", [
    ("é.example", ("xn--9ca.example",), True),
    ("xn--9ca.example", ("é.example",), True),
    ("É.EXAMPLE", ("xn--9ca.example",), True),
    ("www.é.example", ("*.xn--9ca.example",), True),
    ("e.example", ("xn--9ca.example",), False),
])
def test_hostname_matching_across_idna_forms(name, sans, expected):
    assert hostname_matches(name, sans) is expected
