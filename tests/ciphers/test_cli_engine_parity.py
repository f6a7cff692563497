"""``gskit ciphers`` reports, for GSKit settings, the protocols and per-protocol suite lists the
engine uses for the same attributes (docs/cipher-policy.md, decision 8): each setting below is
given to the CLI (a subprocess, ``--json``) and, through the compat layer, to a GSKit
environment, whose ``gsk_environment_init`` resolves it with ``gskit.engine.config``.  And one
end to end: what the CLI says TLS 1.3 uses for ``--v3-specs 2F`` is what a handshake negotiates.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import sys

import pytest

import gskit
from gskit import constants as c
from gskit.attributes.ciphers import IBMI_DEFAULTS
from gskit.engine import config
from tests.engine.test_return_codes import client_against, ssl_server

ON, OFF = c.GSK_TRUE, c.GSK_FALSE
GCM_ONLY_ON_TLS12 = "TLS_RSA_WITH_AES_128_GCM_SHA256"

# id -> (CLI options, the same settings as GSKit attributes, IBM i release of the environment)
CASES: dict[str, tuple[list[str], dict[str, object], str | None]] = {
    "v3-alone": (["--v3-specs", "2F"], {"GSK_V3_CIPHER_SPECS": "2F"}, None),
    "v3-ex-alone": (["--v3-specs-ex", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_CBC_SHA"],
                    {"GSK_V3_CIPHER_SPECS_EX": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_CBC_SHA"},
                    None),
    "tls12-ex-alone": (["--tlsv12-specs-ex", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_CBC_SHA"],
                       {"GSK_TLSV12_CIPHER_SPECS_EX": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
                                                      "TLS_RSA_WITH_AES_128_CBC_SHA"}, None),
    "tls13-alone": (["--tlsv13-specs-ex", "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_256_GCM_SHA384"],
                    {"GSK_TLSV13_CIPHER_SPECS_EX": "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_256_GCM_SHA384"}, None),
    "v3-and-tls13": (["--v3-specs", "352F", "--tlsv13-specs-ex", "TLS_AES_256_GCM_SHA384"],
                     {"GSK_V3_CIPHER_SPECS": "352F", "GSK_TLSV13_CIPHER_SPECS_EX": "TLS_AES_256_GCM_SHA384"}, None),
    "v3-tls13-off": (["--v3-specs", "2F", "--no-tlsv13"],
                     {"GSK_V3_CIPHER_SPECS": "2F", "GSK_PROTOCOL_TLSV13": OFF}, None),
    "tls13-list-tls12-off": (["--tlsv13-specs-ex", "TLS_AES_128_GCM_SHA256", "--no-tlsv12"],
                             {"GSK_TLSV13_CIPHER_SPECS_EX": "TLS_AES_128_GCM_SHA256", "GSK_PROTOCOL_TLSV12": OFF},
                             None),
    "protocols-tls12-only": (["--v3-specs", "2F", "--protocols", "TLSv1.2"],
                             {"GSK_V3_CIPHER_SPECS": "2F", "GSK_PROTOCOL_TLSV10": OFF, "GSK_PROTOCOL_TLSV11": OFF,
                              "GSK_PROTOCOL_TLSV12": ON, "GSK_PROTOCOL_TLSV13": OFF}, None),
    "tls10-11-on-v3": (["--v3-specs", "2F35", "--tlsv10", "--tlsv11"],
                       {"GSK_V3_CIPHER_SPECS": "2F35", "GSK_PROTOCOL_TLSV10": ON, "GSK_PROTOCOL_TLSV11": ON}, None),
    "tls10-11-on-own-lists": (["--tlsv10-specs", "2F", "--tlsv11-specs-ex", "TLS_RSA_WITH_AES_256_CBC_SHA",
                               "--tlsv10", "--tlsv11"],
                              {"GSK_TLSV10_CIPHER_SPECS": "2F", "GSK_TLSV11_CIPHER_SPECS_EX": "TLS_RSA_WITH_AES_256_CBC_SHA",
                               "GSK_PROTOCOL_TLSV10": ON, "GSK_PROTOCOL_TLSV11": ON}, None),
    "tls10-on-no-list": (["--tlsv10"], {"GSK_PROTOCOL_TLSV10": ON}, None),
    "release-7.3": (["--release", "7.3"], {}, "7.3"),
    "release-7.4-v3": (["--release", "7.4", "--v3-specs", "9C9D"], {"GSK_V3_CIPHER_SPECS": "9C9D"}, "7.4"),
    "release-V6R1-tls13-on": (["--release", "V6R1", "--tlsv13"], {"GSK_PROTOCOL_TLSV13": ON}, "V6R1"),
    "v3-with-obsolete-suites": (["--v3-specs", "0A042F"], {"GSK_V3_CIPHER_SPECS": "0A042F"}, None),
    "tls12-list-openssl-cannot-do": (["--tlsv12-specs-ex", "TLS_RSA_WITH_RC4_128_SHA,TLS_RSA_WITH_3DES_EDE_CBC_SHA"],
                                     {"GSK_TLSV12_CIPHER_SPECS_EX": "TLS_RSA_WITH_RC4_128_SHA,"
                                                                    "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, None),
    "tls11-list-wrong-protocol": (["--tlsv11-specs-ex", GCM_ONLY_ON_TLS12, "--tlsv11"],
                                  {"GSK_TLSV11_CIPHER_SPECS_EX": GCM_ONLY_ON_TLS12, "GSK_PROTOCOL_TLSV11": ON}, None),
    "everything-off": (["--no-tlsv12", "--no-tlsv13"],
                       {"GSK_PROTOCOL_TLSV12": OFF, "GSK_PROTOCOL_TLSV13": OFF}, None),
}


def cli(*args: str) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-m", "gskit", "ciphers", *args, "--json"],
                         capture_output=True, text=True, timeout=60)
    assert "Traceback" not in out.stderr and out.stderr == "", out.stderr
    return out.returncode, json.loads(out.stdout)


def environment(attributes: dict[str, object], release: str | None) -> tuple[int, gskit.Environment]:
    """A client environment with these attributes set through the compat layer, initialised."""
    if release is None:
        code, env = gskit.gsk_environment_open()
        assert code == gskit.GSK_OK
    else:   # (gsk_environment_open is Environment(check_hostname=False) of the default release)
        env = gskit.Environment(release=release, check_hostname=False)
    for name, value in attributes.items():
        setter = gskit.gsk_attribute_set_buffer if isinstance(value, str) else gskit.gsk_attribute_set_enum
        assert setter(env, getattr(c, name), value) == gskit.GSK_OK, name
    return gskit.gsk_environment_init(env), env


def reported(data: dict) -> list[tuple[str, list[str]]]:
    return [(p["protocol"], [s["iana_name"] for s in p["suites"]]) for p in data["protocols"]]


def engine_lists(tls: config.TLSConfig) -> list[tuple[str, list[str]]]:
    return [(p.label, [s.iana_name for s in tls.suites_for(p)]) for p in sorted(tls.protocols, reverse=True)]


@pytest.mark.parametrize("case", list(CASES))
def test_cli_reports_what_the_engine_resolves(case):
    args, attributes, release = CASES[case]
    code, data = cli(*args)
    init, env = environment(attributes, release)
    try:
        if init == gskit.GSK_OK:
            # what gsk_environment_init resolved is the engine function's answer for these values
            assert env.tls_config == config.resolve_tls_config(env.values, release=env.release,
                                                                credentials=env.credentials)
            assert reported(data) == engine_lists(env.tls_config)
            assert data["refused"] is None
            assert code == (0 if env.tls_config.suites else 1)
        else:
            with pytest.raises(config.ConfigError) as refused:
                config.resolve_tls_config(env.values, release=env.release)
            assert refused.value.rc == init
            assert data["refused"] == {"call": "gsk_environment_init", "rc": init,
                                       "name": gskit.errors.entry_for(init).name, "detail": refused.value.detail}
            assert code == 1
        # every suite a list set asks for is printed as effective or as unavailable, never dropped
        shown = {s for _, suites in reported(data) for s in suites} | {u["suite"] for u in data["unavailable"]}
        for suites in env.values.cipher_lists.values():
            assert {s.iana_name for s in suites} <= shown
    finally:
        gskit.gsk_environment_close(env)


def test_the_refusals_are_the_engines_return_codes():
    """The table covers each way gsk_environment_init refuses cipher settings."""
    codes = {}
    for case in ("tls12-list-openssl-cannot-do", "tls11-list-wrong-protocol", "everything-off"):
        _, data = cli(*CASES[case][0])
        codes[case] = data["refused"]["name"]
    assert codes == {"tls12-list-openssl-cannot-do": "GSK_ERROR_BAD_V3_CIPHER",
                     "tls11-list-wrong-protocol": "GSK_ERROR_BAD_TLSV11_CIPHER",
                     "everything-off": "GSK_ERROR_NO_CIPHERS"}


def test_the_reported_change_v3_list_alone_keeps_tls13():
    """Before: ``--v3-specs 2F`` printed TLS 1.2 only; the engine keeps TLS 1.3 on with the
    default release's TLS 1.3 list (the V3 list stops at TLS 1.2)."""
    code, data = cli("--v3-specs", "2F")
    assert code == 0
    assert reported(data) == [
        ("TLSv1.3", [s.iana_name for s in IBMI_DEFAULTS[config.DEFAULT_RELEASE] if s.tls13]),
        ("TLSv1.2", ["TLS_RSA_WITH_AES_128_CBC_SHA"])]
    assert data["settings"] == ["GSK_V3_CIPHER_SPECS=2F", f"IBM i {config.DEFAULT_RELEASE} default cipher list "
                                "(QSSLCSL *OPSYS) for TLSv1.3, as no list for it or --release was given"]


def test_weak_tls13_suites_are_the_one_difference():
    """The engine keeps CCM_8 in its TLS 1.3 list, but OpenSSL negotiates it only at security
    level 0, which nothing here sets: the CLI prints what can be negotiated and says why the
    rest cannot (test_effective_handshakes holds that with handshakes)."""
    _, data = cli("--tlsv13-specs-ex", "TLS_AES_128_CCM_8_SHA256,TLS_AES_128_GCM_SHA256")
    init, env = environment({"GSK_TLSV13_CIPHER_SPECS_EX": "TLS_AES_128_CCM_8_SHA256,TLS_AES_128_GCM_SHA256"}, None)
    assert init == gskit.GSK_OK
    engine = dict(engine_lists(env.tls_config))
    assert engine["TLSv1.3"] == ["TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_GCM_SHA256"]
    assert dict(reported(data)) == {**engine, "TLSv1.3": ["TLS_AES_128_GCM_SHA256"]}
    assert [(u["suite"], u["reason"]) for u in data["unavailable"]] == [("TLS_AES_128_CCM_8_SHA256", "NOT_IN_OPENSSL")]
    gskit.gsk_environment_close(env)


def test_v3_specs_2f_against_a_real_tls13_server(pki):
    """A gskit client with only GSK_V3_CIPHER_SPECS "2F" against a TLS 1.3 server on 127.0.0.1
    negotiates TLS 1.3 with a suite of the list the CLI prints for TLS 1.3 (the server's
    choice: TLS_AES_256_GCM_SHA384); a server that follows the client's order takes the CLI's
    first; a TLS 1.2 server gets the V3 list's 2F."""
    code, data = cli("--v3-specs", "2F")
    printed = dict(reported(data))
    assert code == 0 and list(printed) == ["TLSv1.3", "TLSv1.2"]

    seen: dict = {}
    assert client_against(pki, ssl_server(pki.server_rsa, seen=seen), GSK_V3_CIPHER_SPECS="2F") == gskit.GSK_OK
    assert seen == {"version": "TLSv1.3", "suite": "TLS_AES_256_GCM_SHA384"}
    assert seen["suite"] in printed["TLSv1.3"]

    seen = {}
    clients_order = ssl_server(pki.server_rsa, seen=seen, options=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).options
                                     & ~ssl.OP_CIPHER_SERVER_PREFERENCE, minimum_version=ssl.TLSVersion.TLSv1_3)
    assert client_against(pki, clients_order, GSK_V3_CIPHER_SPECS="2F") == gskit.GSK_OK
    assert seen == {"version": "TLSv1.3", "suite": printed["TLSv1.3"][0]}

    seen = {}
    tls12 = ssl_server(pki.server_rsa, seen=seen, maximum_version=ssl.TLSVersion.TLSv1_2,
                             ciphers="AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256")
    assert client_against(pki, tls12, GSK_V3_CIPHER_SPECS="2F") == gskit.GSK_OK
    assert seen == {"version": "TLSv1.2", "suite": "AES128-SHA"}
    assert printed["TLSv1.2"] == ["TLS_RSA_WITH_AES_128_CBC_SHA"]
