"""Per-protocol effective suites, and policies checked against configurations."""
from __future__ import annotations

import pytest

from gskit.attributes.cipher_policy import Reason, effective_suites
from gskit.attributes.ciphers import IBMI_DEFAULT_PROTOCOLS, IBMI_DEFAULTS, CipherSpecFormat, parse_cipher_specs, suite_by_name
from gskit.attributes.protocols import Protocol
from gskit.policy import PolicyError, check_configuration, load_policy, parse_policy, shipped_policies

P = Protocol


def names(suites):
    return [s.iana_name for s in suites]


def reasons(eff):
    return [(u.suite.iana_name if u.suite else None, u.protocol, u.reason) for u in eff.unavailable]


def test_own_lists_per_protocol_and_every_refusal():
    tls12 = parse_cipher_specs(CipherSpecFormat.EX, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
                               "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_3DES_EDE_CBC_SHA,"
                               "TLS_RSA_WITH_AES_128_CBC_SHA")
    tls10 = parse_cipher_specs(CipherSpecFormat.EX, "TLS_RSA_WITH_AES_256_CBC_SHA,TLS_RSA_WITH_AES_128_GCM_SHA256")
    eff = effective_suites({P.TLSV10: True, P.TLSV12: True, P.TLSV13: False, P.SSLV3: True},
                           {P.TLSV12: tls12, P.TLSV10: tls10,
                            P.TLSV13: [suite_by_name("TLS_AES_128_GCM_SHA256")]},
                           cert_key_types=["RSA"])
    assert names(eff.suites_for(P.TLSV12)) == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"]
    assert names(eff.suites_for(P.TLSV10)) == ["TLS_RSA_WITH_AES_256_CBC_SHA"]
    assert eff.enabled == (P.TLSV10, P.TLSV12)
    assert reasons(eff) == [
        (None, P.SSLV3, Reason.PROTOCOL_NEVER),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", P.TLSV10, Reason.WRONG_PROTOCOL),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", P.TLSV12, Reason.NEEDS_CERTIFICATE),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", P.TLSV12, Reason.OBSOLETE),
        ("TLS_AES_128_GCM_SHA256", P.TLSV13, Reason.PROTOCOL_OFF),
    ]
    assert eff.lists_differ
    assert eff.openssl_cipher_string == "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0"
    assert eff.openssl_ciphersuites == ""
    assert "needs an ECDSA certificate (have: RSA)" in str(eff.unavailable[2])


def test_shared_list_is_split_quietly_by_protocol():
    eff = effective_suites(IBMI_DEFAULT_PROTOCOLS["7.3"], shared=IBMI_DEFAULTS["7.3"])
    assert len(eff.suites_for(P.TLSV13)) == 3
    assert len(eff.suites_for(P.TLSV12)) == 16
    assert names(eff.suites_for(P.TLSV10)) == ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"]
    assert [(n, r) for n, _, r in reasons(eff)] == [
        ("TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", Reason.OBSOLETE),
        ("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", Reason.OBSOLETE),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Reason.OBSOLETE)]
    assert eff.min_version == P.TLSV10 and eff.max_version == P.TLSV13


def test_shared_suite_for_a_protocol_that_is_off():
    eff = effective_suites([P.TLSV12], shared=[suite_by_name("0x1301"), suite_by_name("0xC02F")])
    assert names(eff.suites_for(P.TLSV12)) == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    assert [str(u) for u in eff.unavailable] == ["TLS_AES_128_GCM_SHA256: only for TLSv1.3, which is off"]


def test_protocol_with_no_usable_suite():
    eff = effective_suites([P.TLSV13, P.TLSV12], {P.TLSV12: [suite_by_name("*RSA_RC4_128_SHA")]},
                           shared=None)
    assert eff.enabled == ()
    assert (None, P.TLSV13, Reason.NO_SUITES) in reasons(eff)


def test_sslv2_and_sslv3_are_never_negotiated():
    v2 = parse_cipher_specs(CipherSpecFormat.V2, "137")
    eff = effective_suites([P.SSLV2, P.SSLV3, P.TLSV12], {P.SSLV2: v2}, shared=[suite_by_name("2F")])
    assert eff.enabled == (P.TLSV12,)
    assert reasons(eff) == [(None, P.SSLV2, Reason.PROTOCOL_NEVER), (None, P.SSLV3, Reason.PROTOCOL_NEVER)] + [
        (s.iana_name, P.SSLV2, Reason.PROTOCOL_NEVER) for s in v2]
    off = effective_suites([P.TLSV12], {P.SSLV2: v2}, shared=[suite_by_name("2F")])
    assert {u.reason for u in off.unavailable} == {Reason.PROTOCOL_OFF}


def test_shipped_policies_load():
    assert shipped_policies() == ["ibmi-7.3", "ibmi-7.4", "ibmi-7.5", "mozilla-intermediate", "mozilla-modern"]
    intermediate = load_policy("mozilla-intermediate")
    assert len(intermediate.allowed_suites) == 12 and intermediate.min_rsa_bits == 2048
    assert "5.7" in intermediate.source
    assert load_policy("mozilla-modern").allowed_protocols == {P.TLSV13}


def test_ibmi_73_defaults_against_mozilla_intermediate():
    eff = effective_suites(IBMI_DEFAULT_PROTOCOLS["7.3"], shared=IBMI_DEFAULTS["7.3"])
    result = check_configuration(load_policy("mozilla-intermediate"), eff)
    assert not result.compliant
    assert result.violations[:3] == [
        "TLSv1 is enabled but the policy allows only TLSv1.2, TLSv1.3",
        "TLSv1.1 is enabled but the policy allows only TLSv1.2, TLSv1.3",
        "TLS_RSA_WITH_AES_128_CBC_SHA (0x002F) is enabled on TLSv1, TLSv1.1, TLSv1.2: not allowed by "
        "the policy; no forward secrecy; not an AEAD cipher"]
    assert len(result.violations) == 12
    assert check_configuration(load_policy("ibmi-7.3"), eff).compliant


@pytest.mark.parametrize("release", ["7.4", "7.5"])
def test_ibmi_74_defaults_meet_intermediate_not_modern(release):
    eff = effective_suites(IBMI_DEFAULT_PROTOCOLS[release], shared=IBMI_DEFAULTS[release])
    assert check_configuration(load_policy("mozilla-intermediate"), eff).compliant
    assert check_configuration(load_policy(f"ibmi-{release}"), eff).compliant
    modern = check_configuration(load_policy("mozilla-modern"), eff)
    assert modern.violations[0] == "TLSv1.2 is enabled but the policy allows only TLSv1.3"


def test_forbidden_suites_any_naming(tmp_path):
    policy = parse_policy({"suites": {"forbidden": ["2F", "ECDHE-RSA-AES128-GCM-SHA256"]},
                           "protocols": {"forbidden": ["TLSv1"]}}, "custom")
    eff = effective_suites([P.TLSV10, P.TLSV12], shared=[suite_by_name("2F"), suite_by_name("0xC030")])
    assert check_configuration(policy, eff).violations == [
        "TLSv1 is enabled but the policy forbids it",
        "TLS_RSA_WITH_AES_128_CBC_SHA (0x002F) is enabled on TLSv1, TLSv1.2: forbidden by the policy"]


@pytest.mark.parametrize("text, message", [
    ("[suites]\nallowed = ['NOPE']\n", "[suites] allowed: unknown cipher suite(s): 'NOPE'"),
    ("[protocols]\nallowed = ['TLSv9']\n", "unknown protocol version 'TLSv9'"),
    ("[suite]\n", "unknown table [suite]"),
    ("[certificate]\nmin_rsa = 1\n", "unknown key 'min_rsa' in [certificate]"),
    ("[policy\n", "is not valid TOML"),
])
def test_bad_policy_files(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(str(path))
    assert message in str(info.value)


def test_unknown_policy_name():
    with pytest.raises(PolicyError, match="no policy named 'nope'; shipped policies: ibmi-7.3"):
        load_policy("nope")
