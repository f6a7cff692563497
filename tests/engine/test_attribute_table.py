"""The attribute table: every ID of gskssl.h answered, values round-trip, docs generated from it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gskit import *  # noqa: F403
from gskit import constants, generated_docs
from gskit.attributes import table
from gskit.attributes.table import ATTRIBUTES, Kind, Phase, Scope

SETTER = {Kind.BUFFER: gsk_attribute_set_buffer, Kind.ENUM: gsk_attribute_set_enum,
          Kind.NUMERIC: gsk_attribute_set_numeric_value, Kind.CALLBACK: gsk_attribute_set_callback}
GETTER = {Kind.BUFFER: gsk_attribute_get_buffer, Kind.ENUM: gsk_attribute_get_enum,
          Kind.NUMERIC: gsk_attribute_get_numeric_value}
SAMPLE_BUFFERS = {
    GSK_V2_CIPHER_SPECS: "137", GSK_V3_CIPHER_SPECS: "2F35", GSK_TLSV10_CIPHER_SPECS: "2F",
    GSK_TLSV11_CIPHER_SPECS: "35", GSK_TLSV12_CIPHER_SPECS: "9C9D",
    GSK_V3_CIPHER_SPECS_EX: "TLS_RSA_WITH_AES_128_CBC_SHA",
    GSK_TLSV10_CIPHER_SPECS_EX: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    GSK_TLSV11_CIPHER_SPECS_EX: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    GSK_TLSV12_CIPHER_SPECS_EX: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    GSK_TLSV13_CIPHER_SPECS_EX: "TLS_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256",
    GSK_KEYRING_LABEL_EX: "rsa,ecdsa", GSK_SSL_EXTN_SIGALG: "ECDSA+SHA256,RSA-PSS+SHA256",
}


def sample(row: table.Attribute) -> object:
    if row.kind is Kind.BUFFER:
        return SAMPLE_BUFFERS.get(row.id, "sample-value")
    if row.kind is Kind.ENUM:
        return sorted(row.values)[-1]
    if row.kind is Kind.NUMERIC:
        return row.values.start + 1 if isinstance(row.values, range) else 7
    if row.id == GSK_IO_CALLBACK:
        return iocallback(lambda *args: 0, lambda *args: 0)
    return lambda *args: GSK_OK


def test_every_attribute_id_of_the_header_is_answered():
    rc, env = gsk_environment_open()
    for group, setter in (("BufferId", gsk_attribute_set_buffer), ("NumericId", gsk_attribute_set_numeric_value),
                          ("EnumId", gsk_attribute_set_enum), ("CallbackId", gsk_attribute_set_callback)):
        for value, name, *_ in constants.GROUPS[group]:
            row = ATTRIBUTES.get(value)
            code = setter(env, value, 0 if group != "BufferId" else "")
            if row is None:
                assert code == GSK_ATTRIBUTE_INVALID_ID, name
            else:
                assert code != GSK_INVALID_HANDLE, name


def handles_for(row):
    """(a fresh environment, an initialized one, the handle ``row`` is tried on: a session of
    the initialized one for session-only attributes, else the fresh environment)."""
    rc, env = gsk_environment_open()
    rc, session_env = gsk_environment_open()
    gsk_environment_init(session_env)
    return env, session_env, env if row.scope is not Scope.SESSION else gsk_secure_soc_open(session_env)[1]


@pytest.mark.parametrize("row", [r for r in ATTRIBUTES.values() if r.phase is Phase.BEFORE_INIT],
                         ids=lambda r: r.name)
def test_settable_attributes_round_trip(row):
    env, session_env, handle = handles_for(row)
    value = sample(row)
    assert SETTER[row.kind](handle, row.id, value) == GSK_OK
    if row.kind is not Kind.CALLBACK:
        assert GETTER[row.kind](handle, row.id) == (GSK_OK, value)
    other = gsk_secure_soc_open(session_env)[1] if row.scope is Scope.ENVIRONMENT else env
    if row.scope is not Scope.BOTH:
        assert SETTER[row.kind](other, row.id, value) == GSK_ATTRIBUTE_INVALID_ID


@pytest.mark.parametrize("row", [r for r in ATTRIBUTES.values()
                                 if r.phase is Phase.BEFORE_INIT and r.kind is not Kind.CALLBACK],
                         ids=lambda r: r.name)
def test_defaults_are_readable(row):
    _, _, handle = handles_for(row)
    code, value = GETTER[row.kind](handle, row.id)
    assert code == GSK_OK
    if row.default is not None:
        assert value == row.default


@pytest.mark.parametrize("release", ["V9R9", "", 75, None])
def test_an_unknown_release_is_refused_by_name(release):
    """The same ValueError on both builds (the compiled one checks a ``str`` annotation)."""
    with pytest.raises(ValueError, match=f"unknown IBM i release {release!r}"):
        Environment(release=release)


def test_release_defaults():
    """IBM i 7.5 (the default): TLS 1.3 and 1.2 on, 1.1 and 1.0 off, ECDHE/AEAD suites only."""
    rc, env = gsk_environment_open()
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV13) == (GSK_OK, GSK_TRUE)
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV12) == (GSK_OK, GSK_TRUE)
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV11) == (GSK_OK, GSK_FALSE)
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV10) == (GSK_OK, GSK_FALSE)
    assert gsk_attribute_get_buffer(env, GSK_TLSV13_CIPHER_SPECS_EX) == (
        GSK_OK, "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256")
    rc, tls12 = gsk_attribute_get_buffer(env, GSK_TLSV12_CIPHER_SPECS_EX)
    assert tls12.split(",")[0] == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    assert all("ECDHE" in name for name in tls12.split(","))


def test_master_switch_sets_the_default_of_unset_versions():
    rc, env = gsk_environment_open()
    assert gsk_attribute_set_enum(env, GSK_PROTOCOL_TLSV1, GSK_PROTOCOL_TLSV1_OFF) == GSK_OK
    assert gsk_attribute_set_enum(env, GSK_PROTOCOL_TLSV13, GSK_TRUE) == GSK_OK
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV12) == (GSK_OK, GSK_FALSE)
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV13) == (GSK_OK, GSK_TRUE)


def test_session_inherits_and_overrides_environment_values():
    rc, env = gsk_environment_open()
    gsk_attribute_set_numeric_value(env, GSK_HANDSHAKE_TIMEOUT, 9)
    gsk_environment_init(env)
    rc, one = gsk_secure_soc_open(env)
    rc, two = gsk_secure_soc_open(env)
    assert gsk_attribute_set_numeric_value(two, GSK_HANDSHAKE_TIMEOUT, 3) == GSK_OK
    assert gsk_attribute_get_numeric_value(one, GSK_HANDSHAKE_TIMEOUT) == (GSK_OK, 9)
    assert gsk_attribute_get_numeric_value(two, GSK_HANDSHAKE_TIMEOUT) == (GSK_OK, 3)
    assert gsk_attribute_get_numeric_value(env, GSK_HANDSHAKE_TIMEOUT) == (GSK_OK, 9)


def test_buffer_size_takes_a_prefix_and_zero_means_up_to_nul():
    rc, env = gsk_environment_open()
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, "server-cert", 6) == GSK_OK
    assert gsk_attribute_get_buffer(env, GSK_KEYRING_LABEL) == (GSK_OK, "server")
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_LABEL, b"abc\0def", 0) == GSK_OK
    assert gsk_attribute_get_buffer(env, GSK_KEYRING_LABEL) == (GSK_OK, "abc")


def test_every_alias_spelling_is_one_value():
    assert GSK_IBMI_READ_TIMEOUT == GSK_OS400_READ_TIMEOUT == GSK_AS400_READ_TIMEOUT == 6993
    assert GSK_IBMI_APPLICATION_ID == GSK_OS400_APPLICATION_ID == 6999
    assert GSK_IBMI_CLIENT_AUTH_REQUIRED == GSK_OS400_CLIENT_AUTH_REQUIRED == 6995
    assert GSK_TLSV0_CIPHER_SPECS == GSK_TLSV10_CIPHER_SPECS == 236


@pytest.mark.parametrize("name", list(generated_docs.FILES))
def test_generated_docs_are_current(name):
    assert (generated_docs.DOCS / name).read_text() == generated_docs.FILES[name](), \
        f"docs/{name} is stale: run python -m gskit.generated_docs"


def test_generated_docs_command_writes_every_file(tmp_path):
    """The documented command runs (the tables themselves are compiled: not runnable with -m)."""
    subprocess.run([sys.executable, "-m", "gskit.generated_docs", str(tmp_path)], check=True, timeout=60)
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == \
        {name: render() for name, render in generated_docs.FILES.items()}
