"""The cipher table, every spec format both ways, and the IBM i default lists."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gskit.attributes.ciphers import (IBMI_DEFAULT_PROTOCOLS, IBMI_DEFAULT_SPECS, IBMI_DEFAULTS,
                                      IBMI_V2_DEFAULTS, SUITES, CipherSpecError, CipherSpecFormat,
                                      format_cipher_specs, openssl_cipher_list, openssl_supported,
                                      openssl_tls13_ciphersuites, parse_cipher_specs, suite_by_name)
from gskit.attributes.protocols import Protocol

F = CipherSpecFormat

# gskit-constants.md §11b: every IBM i system-value name (TLS and SSLv2 rows).
IBMI_TABLE = """*RSA_NULL_MD5 *RSA_NULL_SHA *RSA_EXPORT_RC4_40_MD5 *RSA_RC4_128_MD5 *RSA_RC4_128_SHA
*RSA_EXPORT_RC2_CBC_40_MD5 *RSA_DES_CBC_SHA *RSA_3DES_EDE_CBC_SHA *RSA_AES_128_CBC_SHA
*RSA_AES_256_CBC_SHA *RSA_NULL_SHA256 *RSA_AES_128_CBC_SHA256 *RSA_AES_256_CBC_SHA256
*RSA_AES_128_GCM_SHA256 *RSA_AES_256_GCM_SHA384 *ECDHE_ECDSA_NULL_SHA *ECDHE_ECDSA_RC4_128_SHA
*ECDHE_ECDSA_3DES_EDE_CBC_SHA *ECDHE_RSA_NULL_SHA *ECDHE_RSA_RC4_128_SHA *ECDHE_RSA_3DES_EDE_CBC_SHA
*ECDHE_ECDSA_AES_128_CBC_SHA256 *ECDHE_ECDSA_AES_256_CBC_SHA384 *ECDHE_RSA_AES_128_CBC_SHA256
*ECDHE_RSA_AES_256_CBC_SHA384 *ECDHE_ECDSA_AES_128_GCM_SHA256 *ECDHE_ECDSA_AES_256_GCM_SHA384
*ECDHE_RSA_AES_128_GCM_SHA256 *ECDHE_RSA_AES_256_GCM_SHA384 *ECDHE_RSA_CHACHA20_POLY1305_SHA256
*ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 *AES_128_GCM_SHA256 *AES_256_GCM_SHA384
*CHACHA20_POLY1305_SHA256 *RSA_RC2_CBC_128_MD5 *RSA_DES_CBC_MD5 *RSA_3DES_EDE_CBC_MD5""".split()


def test_every_ibmi_row_is_in_the_table_once():
    assert sorted(s.ibmi_name for s in SUITES if s.ibmi_name) == sorted(IBMI_TABLE)


def test_names_are_unique_and_codes_are_low_bytes():
    for attribute in ("iana_code", "iana_name", "openssl_name", "ibmi_name", "v3_code", "v2_code"):
        values = [getattr(s, attribute) for s in SUITES if getattr(s, attribute) is not None]
        assert len(values) == len(set(values)), attribute
    for s in SUITES:
        if s.v3_code:
            assert int(s.v3_code, 16) == s.iana_code and s.ibmi_name
        if s.iana_code >= 0xC000 and s.iana_code <= 0xFFFF:
            assert s.v3_code is None  # ECDHE suites have no 2-character code


@pytest.mark.parametrize("name, code", [
    ("0xC02F", 0xC02F), ("c02f", 0xC02F), ("ECDHE-RSA-AES128-GCM-SHA256", 0xC02F),
    ("*ecdhe_rsa_aes_128_gcm_sha256", 0xC02F), ("tls_ecdhe_rsa_with_aes_128_gcm_sha256", 0xC02F),
    ("2f", 0x002F), ("AES128-SHA", 0x002F), ("TLS_AES_128_GCM_SHA256", 0x1301),
    ("*RSA_3DES_EDE_CBC_MD5", 0x0700C0)])
def test_suite_by_name_any_spelling(name, code):
    assert suite_by_name(name).iana_code == code


def test_suite_properties():
    s = suite_by_name("ECDHE-ECDSA-AES256-GCM-SHA384")
    assert (s.iana_hex, s.gsk_spec, s.key_exchange, s.authentication, s.encryption) == (
        "0xC02C", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE", "ECDSA", "AES-256-GCM")
    assert s.aead and s.forward_secrecy and s.protocols == {Protocol.TLSV12}
    rsa = suite_by_name("2F")
    assert (rsa.gsk_spec, rsa.aead, rsa.forward_secrecy) == ("2F", False, False)
    assert rsa.protocols == {Protocol.TLSV10, Protocol.TLSV11, Protocol.TLSV12}
    assert suite_by_name("*RSA_DES_CBC_SHA").protocols == {Protocol.SSLV3, Protocol.TLSV10, Protocol.TLSV11}
    assert suite_by_name("0x1303").protocols == {Protocol.TLSV13}
    assert suite_by_name("*RSA_DES_CBC_MD5").protocols == {Protocol.SSLV2}


def test_default_lists_are_the_reference_lists():
    assert [s.v3_code for s in IBMI_DEFAULTS["V6R1"]] == ["2F", "05", "04", "35", "0A"]
    assert [s.v2_code for s in IBMI_V2_DEFAULTS["V6R1"]] == ["1", "3", "7"]
    assert len(IBMI_DEFAULTS["7.2"]) == 29 and IBMI_DEFAULTS["7.2"][-1].ibmi_name == "*RSA_NULL_MD5"
    assert len(IBMI_DEFAULTS["7.3"]) == 22 and IBMI_DEFAULTS["7.3"][0].ibmi_name == "*AES_128_GCM_SHA256"
    assert IBMI_DEFAULTS["7.3"][-1].ibmi_name == "*RSA_3DES_EDE_CBC_SHA"
    assert IBMI_DEFAULTS["7.4"] == IBMI_DEFAULTS["7.3"][:9] == IBMI_DEFAULTS["7.5"]
    assert IBMI_DEFAULT_PROTOCOLS["7.3"] == (Protocol.TLSV13, Protocol.TLSV12, Protocol.TLSV11, Protocol.TLSV10)
    assert IBMI_DEFAULT_PROTOCOLS["7.5"] == (Protocol.TLSV13, Protocol.TLSV12)


@pytest.mark.parametrize("release", sorted(IBMI_DEFAULTS))
def test_every_default_list_converts_both_ways(release):
    suites = list(IBMI_DEFAULTS[release])
    fmt, text = IBMI_DEFAULT_SPECS[release]
    assert format_cipher_specs(fmt, suites) == text
    assert parse_cipher_specs(F.SYSTEM_VALUE, format_cipher_specs(F.SYSTEM_VALUE, suites)) == suites
    assert parse_cipher_specs(F.V3_EXPANDED, format_cipher_specs(F.V3_EXPANDED, suites)) == suites
    legacy = [s for s in suites if not s.tls13]
    assert parse_cipher_specs(F.EX, format_cipher_specs(F.EX, legacy)) == legacy
    tls13 = [s for s in suites if s.tls13]
    if tls13:
        assert parse_cipher_specs(F.TLS13_EX, format_cipher_specs(F.TLS13_EX, tls13)) == tls13
    coded = [s for s in suites if s.v3_code]
    if coded:
        assert parse_cipher_specs(F.V3, format_cipher_specs(F.V3, coded)) == coded


def test_v2_and_v3_exact_strings():
    assert format_cipher_specs(F.V3, IBMI_DEFAULTS["V6R1"]) == "2F0504350A"
    assert format_cipher_specs(F.V2, IBMI_V2_DEFAULTS["V6R1"]) == "137"
    assert parse_cipher_specs(F.V3, "2f2F35") == [suite_by_name("2F"), suite_by_name("35")]
    assert parse_cipher_specs(F.EX, "TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA") == [
        suite_by_name("2F"), suite_by_name("35")]


_FORMATS = {F.V3: lambda s: s.v3_code is not None, F.V2: lambda s: s.v2_code is not None,
            F.EX: lambda s: not s.tls13 and not s.sslv2_only, F.TLS13_EX: lambda s: s.tls13,
            F.SYSTEM_VALUE: lambda s: s.ibmi_name is not None, F.V3_EXPANDED: lambda s: not s.sslv2_only}


@given(st.sampled_from(sorted(_FORMATS, key=lambda f: f.name)), st.data())
def test_any_list_round_trips(fmt, data):
    pool = [s for s in SUITES if _FORMATS[fmt](s)]
    suites = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12, unique=True))
    assert parse_cipher_specs(fmt, format_cipher_specs(fmt, suites)) == suites


@pytest.mark.parametrize("fmt, text, bad, message", [
    (F.V3, "", [], "the cipher spec list (2-char hex codes) is empty."),
    (F.V3, "2F3", ["3"], "must have a length that is a multiple of 2; '2F3' has 3 characters."),
    (F.V3, "2F,35", [","], "written back to back, without separators; found ','."),
    (F.V3, "2FC0ZZ", ["C0", "ZZ"], "'C0' is not a 2-character V3 cipher code of IBM i; 'ZZ' is not"),
    (F.V3, "07", ["07"], "'07' is not a 2-character V3 cipher code of IBM i."),
    (F.V2, "15", ["5"], "'5' is not an SSLv2 1-character code (1, 2, 3, 4, 6 or 7)."),
    (F.EX, "TLS_RSA_WITH_AES_128_CBC_SHA,,TLS_RSA_WITH_AES_256_CBC_SHA", [""], "has an empty element"),
    (F.EX, "TLS_RSA_WITH_AES_128_CBC_SHA:TLS_RSA_WITH_AES_256_CBC_SHA",
     ["TLS_RSA_WITH_AES_128_CBC_SHA:TLS_RSA_WITH_AES_256_CBC_SHA"], "must be separated by commas."),
    (F.EX, "AES128-SHA", ["AES128-SHA"], "'AES128-SHA' is not an SSLv3/TLS 1.0-1.2 IANA cipher suite name"),
    (F.EX, "TLS_AES_128_GCM_SHA256", ["TLS_AES_128_GCM_SHA256"], "not an SSLv3/TLS 1.0-1.2 IANA cipher suite name (TLS 1.3 suites go in"),
    (F.TLS13_EX, "TLS_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA",
     ["TLS_RSA_WITH_AES_128_CBC_SHA"], "'TLS_RSA_WITH_AES_128_CBC_SHA' is not a TLS 1.3 IANA cipher suite name."),
    (F.SYSTEM_VALUE, "*RSA_AES_128_CBC_SHA RSA_AES_256_CBC_SHA", ["RSA_AES_256_CBC_SHA"],
     "is not an IBM i cipher suite system-value name."),
    (F.SYSTEM_VALUE, "*ECDHE_RSA_AES_128_CBC_SHA", ["*ECDHE_RSA_AES_128_CBC_SHA"], "system-value name"),
    (F.V3_EXPANDED, "C02FC0", ["C0"], "multiple of 4"),
])
def test_malformed_input_names_the_bad_tokens(fmt, text, bad, message):
    with pytest.raises(CipherSpecError) as info:
        parse_cipher_specs(fmt, text)
    assert info.value.bad_tokens == bad
    assert message in str(info.value)


def test_duplicates_dropped_order_kept():
    assert [s.v3_code for s in parse_cipher_specs(F.V3, "352F352F0A")] == ["35", "2F", "0A"]


def test_format_refuses_what_a_format_cannot_spell():
    with pytest.raises(CipherSpecError, match="cannot be written as 2-char hex codes"):
        format_cipher_specs(F.V3, [suite_by_name("0xC02F")])
    with pytest.raises(CipherSpecError) as info:
        format_cipher_specs(F.SYSTEM_VALUE, [suite_by_name("DHE-RSA-AES128-GCM-SHA256")])
    assert info.value.bad_tokens == ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]


def test_openssl_support_probe():
    assert openssl_supported(suite_by_name("AES128-SHA"))
    assert openssl_supported(suite_by_name("TLS_AES_128_CCM_SHA256"))
    for gone in ("*RSA_3DES_EDE_CBC_SHA", "*RSA_RC4_128_SHA", "*RSA_EXPORT_RC4_40_MD5", "*RSA_DES_CBC_MD5"):
        assert not openssl_supported(suite_by_name(gone)), gone


def test_openssl_strings_keep_order_and_split_tls13():
    suites = [suite_by_name(n) for n in ("0x1302", "9C", "0xC02F", "0x1301", "2F")]
    assert openssl_cipher_list(suites) == "AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"
    assert openssl_tls13_ciphersuites(suites) == "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
    assert openssl_cipher_list([suite_by_name("0x1301")]) == ""


def test_module_imports_no_tls_library():
    code = ("import sys, gskit.attributes.ciphers, gskit.attributes.cipher_policy, gskit.policy, "
            "gskit.engine.config, gskit.cli.ciphers_cmd; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('OpenSSL', 'cryptography', 'ssl')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


@given(st.sampled_from(list(CipherSpecFormat)), st.text(max_size=40))
def test_any_text_parses_or_raises_cipher_spec_error(fmt, text):
    try:
        suites = parse_cipher_specs(fmt, text)
    except CipherSpecError as exc:
        assert str(exc).endswith(".") and exc.message == str(exc)
    else:
        assert suites and len(set(suites)) == len(suites)
