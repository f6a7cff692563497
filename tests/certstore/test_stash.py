"""Stash files: the version-1 layout byte for byte, version-8 recognition, bad input."""

from __future__ import annotations

import hashlib

import pytest

from certstore import KeystoreError, read_stash, write_stash
from certstore import stash
from gskit import errors as rc


def test_v1_stash_is_byte_identical_to_ibm_output(ibm):
    real = (ibm / "bank.sth").read_bytes()
    assert stash.decode(real) == "123"
    assert stash.encode_v1("123") == real


def test_v1_layout():
    data = stash.encode_v1("pässword")
    clear = bytes(b ^ 0xF5 for b in data)
    secret = "pässword".encode()
    assert len(data) == 129
    assert clear[: len(secret)] == secret
    assert clear[len(secret)] == 0
    assert clear[len(secret) + 1 :] == bytes(range(len(secret) + 1, 129))


def test_write_and_read(tmp_path):
    path = write_stash(tmp_path / "k.sth", "s3cret")
    assert read_stash(path) == "s3cret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"s3cret" not in path.read_bytes()


def test_v8_stashes_are_recognised_and_refused(ibm):
    for name in ("claro.sth", "plugin.sth"):
        data = (ibm / name).read_bytes()
        assert len(data) == 193 and stash.is_v8(data)
        with pytest.raises(KeystoreError) as info:
            read_stash(ibm / name)
        assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD
        assert "version-8" in str(info.value)


def test_a_made_up_v8_layout_is_recognised():
    a = bytes(range(32))
    assert stash.is_v8(a + hashlib.sha256(b"\x01" + a).digest() + bytes(129))
    assert not stash.is_v8(a + bytes(32) + bytes(129))


@pytest.mark.parametrize("data", [b"", b"\xf5" * 129, b"x" * 50, bytes(193)])
def test_not_a_stash(data):
    with pytest.raises(KeystoreError) as info:
        stash.decode(data)
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD


@pytest.mark.parametrize("password", ["", "x" * 129, "a\0b"])
def test_unstashable_passwords(password):
    with pytest.raises(KeystoreError) as info:
        stash.encode_v1(password)
    assert info.value.rc == rc.GSK_ERROR_BAD_KEYFILE_PASSWORD


@pytest.mark.parametrize("password", [None, b"secret", 5])
def test_a_password_that_is_no_text_is_a_type_error(password):
    with pytest.raises(TypeError, match="the password must be a str"):
        stash.encode_v1(password)


def test_missing_stash_file(tmp_path):
    with pytest.raises(KeystoreError) as info:
        read_stash(tmp_path / "none.sth")
    assert info.value.rc == rc.GSK_KEYRING_OPEN_ERROR
