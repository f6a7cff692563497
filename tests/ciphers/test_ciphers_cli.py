"""``gskit ciphers`` in a subprocess: outputs, conversions, exit codes, clear errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gskit.attributes.ciphers import IBMI_DEFAULT_SPECS, IBMI_DEFAULTS
from gskit.attributes.protocols import Protocol
from gskit.engine.config import DEFAULT_RELEASE, default_suites


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gskit", "ciphers", *args],
                          capture_output=True, text=True, timeout=60)


def test_release_73_json_per_protocol():
    out = run("--release", "7.3", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    protocols = {p["protocol"]: p["suites"] for p in data["protocols"]}
    assert list(protocols) == ["TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"]
    assert [s["iana_code"] for s in protocols["TLSv1"]] == ["0x002F", "0x0035"]
    assert protocols["TLSv1.2"][0] == {
        "iana_name": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "iana_code": "0xC02B",
        "openssl_name": "ECDHE-ECDSA-AES128-GCM-SHA256",
        "gsk_spec": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ibmi_name": "*ECDHE_ECDSA_AES_128_GCM_SHA256"}
    assert data["openssl"]["min_version"] == "TLSv1" and data["openssl"]["max_version"] == "TLSv1.3"
    assert data["openssl"]["cipher_list"].endswith(":AES256-SHA:@SECLEVEL=0")
    assert [u["reason"] for u in data["unavailable"]] == ["OBSOLETE"] * 3


def test_policy_exit_codes():
    bad = run("--release", "7.3", "--policy", "mozilla-intermediate")
    assert bad.returncode == 1
    assert "Policy mozilla-intermediate: NOT compliant" in bad.stdout
    assert "  TLSv1 is enabled but the policy allows only TLSv1.2, TLSv1.3" in bad.stdout.splitlines()
    good = run("--release", "7.4", "--policy", "mozilla-intermediate", "--json")
    assert good.returncode == 0
    assert json.loads(good.stdout)["policy"] == {"policy": "mozilla-intermediate", "compliant": True,
                                                 "violations": []}


def test_attribute_options_and_switches():
    """TLS 1.3 has no list here but stays on, as in a GSKit program: its switch and its list
    are the default release's (before: only the protocols with a list were on)."""
    out = run("--tlsv12-specs-ex", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_CBC_SHA",
              "--tlsv10-specs", "2F", "--tlsv10", "--cert-key-types", "RSA", "--json")
    data = json.loads(out.stdout)
    assert [p["protocol"] for p in data["protocols"]] == ["TLSv1.3", "TLSv1.2", "TLSv1"]
    assert [s["iana_name"] for s in data["protocols"][0]["suites"]] == [
        s.iana_name for s in default_suites(DEFAULT_RELEASE, Protocol.TLSV13)]
    assert data["settings"][-1] == (f"IBM i {DEFAULT_RELEASE} default cipher list (QSSLCSL *OPSYS) for TLSv1.3, "
                                    "as no list for it or --release was given")
    assert data["openssl"]["cipher_list"] == "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:@SECLEVEL=0"
    assert data["openssl"]["lists_differ_by_protocol"] is True
    assert data["refused"] is None and out.returncode == 0


def test_switches_alone_explain_the_default_release_lists():
    """No list and no --release: the lists are IBM i 7.5's, as a GSKit program's would be."""
    switched = json.loads(run("--no-tlsv13", "--json").stdout)
    release = json.loads(run("--release", "7.5", "--no-tlsv13", "--json").stdout)
    assert switched["settings"] == [release["settings"][0] + ", as no list or --release was given"]
    assert switched["protocols"] == release["protocols"]
    assert [p["protocol"] for p in switched["protocols"]] == ["TLSv1.2"]
    checked = run("--policy", "mozilla-modern")           # a policy alone checks the same lists
    assert checked.returncode == 1 and "Policy mozilla-modern: NOT compliant" in checked.stdout


@pytest.mark.parametrize("release", ["V6R1", "7.2"])
def test_legacy_release_lists_report_what_is_lost(release):
    data = json.loads(run("--release", release, "--json").stdout)
    lost = {u["suite"] for u in data["unavailable"] if u["suite"]}
    assert "TLS_RSA_WITH_RC4_128_SHA" in lost and "TLS_RSA_WITH_3DES_EDE_CBC_SHA" in lost


def test_from_openssl_expands_with_openssl_and_round_trips():
    out = run("--from-openssl", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:TLS_AES_256_GCM_SHA384", "--json")
    data = json.loads(out.stdout)
    assert data["gskit"] == {
        "GSK_TLSV13_CIPHER_SPECS_EX": "TLS_AES_256_GCM_SHA384",
        "GSK_TLSV12_CIPHER_SPECS_EX": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA",
        "GSK_TLSV11_CIPHER_SPECS_EX": "TLS_RSA_WITH_AES_128_CBC_SHA",
        "GSK_TLSV10_CIPHER_SPECS_EX": "TLS_RSA_WITH_AES_128_CBC_SHA",
        "QSSLCSL": "*AES_256_GCM_SHA384 *ECDHE_RSA_AES_128_GCM_SHA256 *RSA_AES_128_CBC_SHA"}
    back = json.loads(run("--tlsv12-specs-ex", data["gskit"]["GSK_TLSV12_CIPHER_SPECS_EX"],
                          "--tlsv13-specs-ex", data["gskit"]["GSK_TLSV13_CIPHER_SPECS_EX"], "--json").stdout)
    assert back["openssl"]["cipher_list"] == "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"
    assert back["openssl"]["ciphersuites"] == "TLS_AES_256_GCM_SHA384"


def test_from_openssl_keyword_expansion_uses_openssl():
    data = json.loads(run("--from-openssl", "kRSA+AESGCM", "--json").stdout)
    assert {s["openssl_name"] for s in data["suites"]} == {"AES128-GCM-SHA256", "AES256-GCM-SHA384"}
    assert data["gskit"]["GSK_V3_CIPHER_SPECS"] in ("9C9D", "9D9C")


@pytest.mark.parametrize("release", sorted(IBMI_DEFAULTS))
def test_every_default_list_through_the_cli(release):
    fmt, text = IBMI_DEFAULT_SPECS[release]
    option = "--v3-specs" if release == "V6R1" else "--system-value"
    data = json.loads(run(option, text, "--protocols", "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", "--json").stdout)
    listed = {u["suite"] for u in data["unavailable"] if u["suite"]} | {
        s["iana_name"] for p in data["protocols"] for s in p["suites"]}
    expected = {s.iana_name for s in IBMI_DEFAULTS[release]}
    if option == "--v3-specs":   # the V3 list stops at TLS 1.2: TLS 1.3 has the default release's list
        expected |= {s.iana_name for s in default_suites(DEFAULT_RELEASE, Protocol.TLSV13)}
    assert listed == expected


@pytest.mark.parametrize("args, message", [
    (["--v3-specs", "2F3"], "gskit ciphers: GSK_V3_CIPHER_SPECS '2F3': a list of 2-char hex codes must"),
    (["--tlsv12-specs-ex", "AES128-SHA"], "'AES128-SHA' is not an SSLv3/TLS 1.0-1.2 IANA cipher suite name"),
    (["--tlsv13-specs-ex", ""], "GSK_TLSV13_CIPHER_SPECS_EX '': the cipher spec list"),
    (["--v3-specs", "2F", "--system-value", "*RSA_AES_128_CBC_SHA"], "give only one of"),
    ([], "give GSKit settings"),
    (["--json"], "give GSKit settings"),
    (["--policy", "nope"], "no policy named 'nope'"),
    (["--release", "7.3", "--policy", "nope"], "no policy named 'nope'"),
    (["--release", "7.3", "--protocols", "TLSv9"], "unknown protocol version 'TLSv9'"),
    (["--from-openssl", "NOSUCHCIPHER"], "OpenSSL matches no cipher with 'NOSUCHCIPHER'"),
    (["--from-openssl", "AES128-SHA:\udcff"],             # (the byte 0xFF; before: a traceback)
     "OpenSSL matches no cipher with 'AES128-SHA:\\udcff': its cipher names are ASCII"),
    (["--release", "7.4", "--cert-key-types", "RSA,X25519"], "unknown certificate key type(s) X25519"),
    (["--from-openssl", "AES128-SHA", "--policy", "/nonexistent.toml"],
     "--from-openssl converts an OpenSSL cipher string and takes only --json, not --policy"),
    (["--from-openssl", "AES128-SHA", "--policy", "mozilla-intermediate", "--release", "7.4", "--no-tlsv13"],
     "takes only --json, not --release, --policy, --tlsv13"),
    (["--from-openssl", "AES128-SHA", "--tlsv12-specs-ex", "TLS_RSA_WITH_AES_128_CBC_SHA"],
     "takes only --json, not --tlsv12-specs-ex"),
    (["--from-openssl", ""], "--from-openssl needs an OpenSSL cipher string"),
    (["--from-openssl", " : ", "--json"], "' : ' names nothing"),
])
def test_bad_input_one_clear_sentence(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
    assert "Traceback" not in out.stderr


def test_application_definition_from_the_registry():
    from certstore import ApplicationDefinition, Registry

    Registry().register(ApplicationDefinition(
        application_id="MY_APP", protocols=("TLSv1.3", "TLSv1.2"),
        cipher_suites=("TLS_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                       "TLS_RSA_WITH_AES_128_CBC_SHA")))
    data = json.loads(run("--application", "MY_APP", "--cert-key-types", "ECDSA", "--json").stdout)
    assert {p["protocol"]: [s["iana_name"] for s in p["suites"]] for p in data["protocols"]} == {
        "TLSv1.3": ["TLS_AES_256_GCM_SHA384"], "TLSv1.2": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]}
    assert [(u["suite"], u["reason"]) for u in data["unavailable"]] == [
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "NEEDS_CERTIFICATE")]
    missing = run("--application", "NOT_THERE")
    assert missing.returncode == 2 and "NOT_THERE" in missing.stderr and len(missing.stderr.splitlines()) == 1


def test_application_without_suites_keeps_the_release_lists():
    """As at run time: a DCM definition that names no suites leaves the lists as they are."""
    from certstore import ApplicationDefinition, Registry

    Registry().register(ApplicationDefinition(application_id="NO_SUITES", protocols=("TLSv1.3", "TLSv1.2")))

    def lists(*args: str) -> dict[str, list[str]]:
        out = run(*args, "--release", "7.3", "--protocols", "TLSv1.3,TLSv1.2", "--json")
        assert out.returncode == 0, out.stderr
        return {p["protocol"]: [s["iana_name"] for s in p["suites"]] for p in json.loads(out.stdout)["protocols"]}

    release = lists()
    assert release["TLSv1.3"] and release["TLSv1.2"]
    assert lists("--application", "NO_SUITES") == release
    # without --release, the default release's (before: "give GSKit settings ..., --application")
    alone = run("--application", "NO_SUITES", "--json")
    assert alone.returncode == 0, alone.stderr
    assert json.loads(alone.stdout)["settings"] == [
        "application NO_SUITES", "IBM i 7.5 default cipher list (QSSLCSL *OPSYS)"]


def test_a_gskit_home_that_cannot_be_a_folder_is_one_sentence():
    """A GSKIT_HOME too long for the file system (before: a traceback from Path.exists)."""
    out = subprocess.run([sys.executable, "-m", "gskit", "ciphers", "--application", "X"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "GSKIT_HOME": "h" * 300})
    assert (out.returncode, out.stdout) == (2, "")
    [line] = out.stderr.splitlines()
    assert line.startswith("gskit ciphers: the registry file hhh") and line.endswith("cannot be read (File name too long).")
