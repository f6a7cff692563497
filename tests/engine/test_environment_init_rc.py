"""gsk_environment_init's failure return codes, through the compat API only.

The reference is gskit-semantics.md §3.2 (and §3.10 for the keystore attributes); where it
is INFERRED or silent the expected rc is the decision in docs/certstore.md or
docs/behaviour.md.  Keystores are real files written by certstore from the session's PKI.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from certstore import ApplicationDefinition, Registry, open_keystore, save_keystore, write_stash
from gskit import *  # noqa: F403
from tests.conftest import without_root

PASSWORD = "store-pw"
FORMATS = [".kdb", ".p12", ".pem"]        # every format certstore writes with a password


# -- building blocks ---------------------------------------------------------------------------
def keystore(pki, tmp: Path, suffix: str = ".kdb", *, password: str | None = PASSWORD,
             with_key: bool = True, name: str = "store") -> Path:
    """The PKI's ECDSA server certificate, labelled "server", in a store (key left out on request)."""
    leaf = open_keystore(pki.server_ec).entries[0]
    entry = dataclasses.replace(leaf, label="server", private_key=leaf.private_key if with_key else None)
    return save_keystore(tmp / f"{name}{suffix}", [entry], password)


def env_open(**attributes: str | int):
    """An open environment with buffer (str) and enum (int) attributes set by name."""
    rc, env = gsk_environment_open()
    assert rc == GSK_OK
    for name, value in attributes.items():
        setter = gsk_attribute_set_buffer if isinstance(value, str) else gsk_attribute_set_enum
        assert setter(env, globals()[name], value) == GSK_OK, name
    return env


def init_rc(**attributes: str | int) -> int:
    """gsk_environment_init's rc for a server environment with ``attributes``; closes it."""
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, **attributes)
    try:
        return gsk_environment_init(env)
    finally:
        assert gsk_environment_close(env) == GSK_OK


# -- the store cannot be opened ----------------------------------------------------------------
def test_missing_keyring_file_is_open_error(tmp_path):
    """A GSK_KEYRING_FILE that does not exist: 202."""
    assert init_rc(GSK_KEYRING_FILE=str(tmp_path / "missing.kdb"), GSK_KEYRING_PW=PASSWORD) \
        == GSK_KEYRING_OPEN_ERROR


def test_a_file_that_is_no_keystore_is_open_error(tmp_path):
    """A readable file that is not a keystore: 202."""
    junk = tmp_path / "junk.kdb"
    junk.write_bytes(b"not a key database\n")
    assert init_rc(GSK_KEYRING_FILE=str(junk), GSK_KEYRING_PW=PASSWORD) == GSK_KEYRING_OPEN_ERROR


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX permissions")
def test_unreadable_keyring_file_is_no_access(pki, open_folder):
    """No permission to read the store (§3.2: GSK_OS400_ERROR_NO_ACCESS): 6003."""
    path = keystore(pki, open_folder)

    def rc() -> int:
        return init_rc(GSK_KEYRING_FILE=str(path), GSK_KEYRING_PW=PASSWORD)

    path.chmod(0o644)
    assert without_root(rc) == GSK_OK
    path.chmod(0)
    try:
        assert without_root(rc) == GSK_IBMI_ERROR_NO_ACCESS
    finally:
        path.chmod(0o600)


# -- passwords and stash files -----------------------------------------------------------------
@pytest.mark.parametrize("suffix", FORMATS)
def test_wrong_password_is_bad_keyfile_password(pki, tmp_path, suffix):
    """A wrong GSK_KEYRING_PW: 408."""
    path = keystore(pki, tmp_path, suffix)
    assert init_rc(GSK_KEYRING_FILE=str(path), GSK_KEYRING_PW="wrong") == GSK_ERROR_BAD_KEYFILE_PASSWORD


@pytest.mark.parametrize("suffix", FORMATS)
def test_neither_password_nor_stash_is_no_keyfile_password(pki, tmp_path, suffix):
    """A protected store with no GSK_KEYRING_PW and no stash file: 201."""
    assert init_rc(GSK_KEYRING_FILE=str(keystore(pki, tmp_path, suffix))) == GSK_NO_KEYFILE_PASSWORD


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_right_password_or_stash_file_opens_the_store(pki, tmp_path, suffix):
    """The password, or a stash file holding it: GSK_OK."""
    path = str(keystore(pki, tmp_path, suffix))
    stash = str(write_stash(tmp_path / "store.sth", PASSWORD))
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_PW=PASSWORD) == GSK_OK
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_STASH_FILE=stash) == GSK_OK


def test_stash_file_of_another_password_is_bad_keyfile_password(pki, tmp_path):
    """A stash file whose password does not open the store: 408."""
    stash = write_stash(tmp_path / "other.sth", "another-pw")
    assert init_rc(GSK_KEYRING_FILE=str(keystore(pki, tmp_path)), GSK_KEYRING_STASH_FILE=str(stash)) \
        == GSK_ERROR_BAD_KEYFILE_PASSWORD


def test_missing_stash_file_is_open_error(pki, tmp_path):
    """A GSK_KEYRING_STASH_FILE that does not exist cannot be opened: 202."""
    assert init_rc(GSK_KEYRING_FILE=str(keystore(pki, tmp_path)),
                   GSK_KEYRING_STASH_FILE=str(tmp_path / "missing.sth")) == GSK_KEYRING_OPEN_ERROR


def test_a_pkcs12_file_without_password_needs_none(pki, tmp_path):
    """201 is for protected stores only: an unprotected .p12 opens with no password."""
    assert init_rc(GSK_KEYRING_FILE=str(keystore(pki, tmp_path, ".p12", password=None))) == GSK_OK


# -- labels and private keys -------------------------------------------------------------------
@pytest.mark.parametrize("label_id", ["GSK_KEYRING_LABEL", "GSK_KEYRING_LABEL_EX"])
def test_label_naming_no_certificate_is_bad_keyfile_label(pki, tmp_path, label_id):
    """A label the store does not hold: 407."""
    path = str(keystore(pki, tmp_path))
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_PW=PASSWORD, **{label_id: "no such label"}) \
        == GSK_ERROR_BAD_KEYFILE_LABEL
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_PW=PASSWORD, **{label_id: "server"}) == GSK_OK


def test_labelled_certificate_without_private_key_is_no_private_key(pki, tmp_path):
    """A server's labelled certificate whose key is not in the store: 428 at env_init."""
    path = str(keystore(pki, tmp_path, with_key=False))
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_PW=PASSWORD, GSK_KEYRING_LABEL="server") \
        == GSK_ERROR_NO_PRIVATE_KEY


def test_server_store_with_no_keyed_certificate_and_no_label_is_no_certificate(pki, tmp_path):
    """No label: the default certificate is the first with a key, and there is none: 403
    (docs/certstore.md, decision 5)."""
    path = str(keystore(pki, tmp_path, with_key=False))
    assert init_rc(GSK_KEYRING_FILE=path, GSK_KEYRING_PW=PASSWORD) == GSK_ERROR_NO_CERTIFICATE


def test_session_label_without_private_key_fails_soc_init(pki, tmp_path):
    """A session's own label naming a keyless certificate: 428 from gsk_secure_soc_init."""
    good = keystore(pki, tmp_path)
    bare = keystore(pki, tmp_path, with_key=False, name="bare")
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_KEYRING_FILE=str(good), GSK_KEYRING_PW=PASSWORD)
    assert gsk_environment_init(env) == GSK_OK
    rc, session = gsk_secure_soc_open(env)
    assert rc == GSK_OK
    try:
        assert gsk_attribute_set_buffer(session, GSK_KEYRING_FILE, str(bare)) == GSK_OK
        assert gsk_attribute_set_buffer(session, GSK_KEYRING_LABEL, "server") == GSK_OK
        assert gsk_secure_soc_init(session) == GSK_ERROR_NO_PRIVATE_KEY
    finally:
        gsk_secure_soc_close(session)
        gsk_environment_close(env)


# -- application IDs ---------------------------------------------------------------------------
def register(pki, tmp: Path, app_id: str, **definition) -> None:
    """Register ``app_id`` for the "server" certificate of a stashed .kdb in ``tmp``."""
    store = keystore(pki, tmp)
    stash = write_stash(tmp / "store.sth", PASSWORD)
    definition.setdefault("certificate_labels", ("server",))
    Registry().register(ApplicationDefinition(app_id, store=str(store), stash_file=str(stash), **definition))


def test_application_id_spellings_and_failures(pki, tmp_path):
    """Registered: GSK_OK under the OS400 spelling; unregistered: 6002; an assigned
    label the store lacks: 407."""
    register(pki, tmp_path, "GOOD_APP")
    register(pki, tmp_path, "BAD_LABEL_APP", certificate_labels=("gone",))
    assert GSK_OS400_APPLICATION_ID == GSK_IBMI_APPLICATION_ID
    assert init_rc(GSK_OS400_APPLICATION_ID="GOOD_APP") == GSK_OK
    assert init_rc(GSK_IBMI_APPLICATION_ID="NOT_REGISTERED") == GSK_IBMI_ERROR_NOT_REGISTERED
    assert init_rc(GSK_IBMI_APPLICATION_ID="BAD_LABEL_APP") == GSK_ERROR_BAD_KEYFILE_LABEL


# -- handles and states ------------------------------------------------------------------------
def test_second_init_is_invalid_state(pki, tmp_path):
    """§3.2: "A gsk_environment_init() has already been issued with this handle": 5."""
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_KEYRING_FILE=str(keystore(pki, tmp_path)),
                   GSK_KEYRING_PW=PASSWORD)
    assert gsk_environment_init(env) == GSK_OK
    assert gsk_environment_init(env) == GSK_INVALID_STATE
    assert gsk_environment_close(env) == GSK_OK


def _closed_environment():
    rc, env = gsk_environment_open()
    assert gsk_environment_close(env) == GSK_OK
    return env


def _session_handle():
    env = env_open()
    assert gsk_environment_init(env) == GSK_OK
    rc, session = gsk_secure_soc_open(env)
    assert gsk_environment_close(env) == GSK_OK
    return session


@pytest.mark.parametrize("make_handle", [
    _closed_environment, _session_handle, lambda: None, lambda: 0, lambda: "env", object,
], ids=["closed environment", "session handle", "None", "0", "str", "object"])
def test_init_on_a_handle_that_is_no_open_environment_is_invalid_handle(make_handle):
    """A closed, wrong-kind or garbage handle: 1, never an exception."""
    assert gsk_environment_init(make_handle()) == GSK_INVALID_HANDLE


def test_failed_init_can_be_retried_after_fixing_the_attribute(pki, tmp_path):
    """A failed init leaves the environment open (docs/behaviour.md): no session yet,
    attributes still settable, and init succeeds once the attribute is fixed."""
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_KEYRING_FILE=str(keystore(pki, tmp_path)),
                   GSK_KEYRING_PW="wrong")
    assert gsk_environment_init(env) == GSK_ERROR_BAD_KEYFILE_PASSWORD
    assert gsk_secure_soc_open(env) == (GSK_IBMI_ERROR_NO_INITIALIZE, None)
    assert gsk_attribute_set_buffer(env, GSK_KEYRING_PW, PASSWORD) == GSK_OK
    assert gsk_environment_init(env) == GSK_OK
    rc, session = gsk_secure_soc_open(env)
    assert rc == GSK_OK
    assert gsk_secure_soc_close(session) == GSK_OK
    assert gsk_environment_close(env) == GSK_OK


def test_failed_init_leaves_the_attributes_as_they_were_set(pki, tmp_path):
    """An application definition's settings apply only when init succeeds: a failed init
    does not leave them behind in the handle for the retry."""
    register(pki, tmp_path, "TLS12_ONLY", protocols=("TLSv1.2",), client_auth="required")
    register(pki, tmp_path, "PLAIN")
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_IBMI_APPLICATION_ID="TLS12_ONLY",
                   GSK_TLSV12_CIPHER_SPECS="0504")          # RC4 only: nothing OpenSSL can do
    assert gsk_environment_init(env) == GSK_ERROR_BAD_V3_CIPHER
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV13) == (GSK_OK, GSK_TRUE)
    assert gsk_attribute_get_enum(env, GSK_SESSION_TYPE) == (GSK_OK, GSK_SERVER_SESSION)
    assert gsk_attribute_set_buffer(env, GSK_IBMI_APPLICATION_ID, "PLAIN") == GSK_OK
    assert gsk_attribute_set_buffer(env, GSK_TLSV12_CIPHER_SPECS_EX,
                                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") == GSK_OK
    assert gsk_environment_init(env) == GSK_OK
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV13) == (GSK_OK, GSK_TRUE)
    assert gsk_attribute_get_enum(env, GSK_SESSION_TYPE) == (GSK_OK, GSK_SERVER_SESSION)
    assert gsk_environment_close(env) == GSK_OK


def test_a_successful_init_applies_the_application_definition(pki, tmp_path):
    """The counterpart of the test above: the same definition, init succeeding, is applied."""
    register(pki, tmp_path, "TLS12_ONLY", protocols=("TLSv1.2",), client_auth="required")
    env = env_open(GSK_SESSION_TYPE=GSK_SERVER_SESSION, GSK_IBMI_APPLICATION_ID="TLS12_ONLY")
    assert gsk_environment_init(env) == GSK_OK
    assert gsk_attribute_get_enum(env, GSK_PROTOCOL_TLSV13) == (GSK_OK, GSK_FALSE)
    assert gsk_attribute_get_enum(env, GSK_SESSION_TYPE) == (GSK_OK, GSK_SERVER_SESSION_WITH_CL_AUTH_CRITICAL)
    assert gsk_environment_close(env) == GSK_OK
