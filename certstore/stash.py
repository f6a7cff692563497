"""CMS stash files (.sth): the key-database password, obfuscated (not encrypted).

Version 1 (129 bytes): the password, a zero byte and padding, every byte XORed with 0xF5.
Version 8 (193 bytes): a 32-byte random value A, SHA-256(0x01 || A), and the version-1 block
under a keystream whose generator is not published completely; it is recognised and
reported, not decoded (see docs/certstore.md, "Decisions").
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gskit import errors as rc

from .errors import KeystoreError
from .files import atomic_write, read_bytes

V1_SIZE = 129
V8_SIZE = 193
MAX_PASSWORD = V1_SIZE - 1
_XOR = 0xF5


def encode_v1(password: str) -> bytes:
    """The 129-byte version-1 stash of ``password``.

    The padding after the terminating zero is the byte's own offset, as IBM's tools write it,
    so the output is byte-for-byte what gsk8capicmd -v1stash produces.
    """
    if not isinstance(password, str):
        raise TypeError(f"the password must be a str, not {type(password).__name__}")
    secret = password.encode("utf-8")
    if not secret or len(secret) > MAX_PASSWORD or 0 in secret:
        raise KeystoreError(
            rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
            f"a stashed password must be 1 to {MAX_PASSWORD} bytes with no NUL character.",
        )
    clear = secret + b"\0" + bytes(range(len(secret) + 1, V1_SIZE))
    return bytes(b ^ _XOR for b in clear)


def is_v8(data: bytes) -> bool:
    """True for a GSKit 8 stash: 193 bytes whose second 32 are SHA-256(0x01 || first 32)."""
    return len(data) == V8_SIZE and hashlib.sha256(b"\x01" + data[:32]).digest() == data[32:64]


def decode(data: bytes, path: object = "the stash file") -> str:
    """The password in a stash file's bytes."""
    if is_v8(data):
        raise KeystoreError(
            rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
            f"{path} is a version-8 stash file, which this implementation cannot decode; "
            "give the password instead or re-stash it with 'gskit certstore stash'.",
        )
    if len(data) != V1_SIZE:
        raise KeystoreError(
            rc.GSK_ERROR_BAD_KEYFILE_PASSWORD,
            f"{path} is not a stash file (it is {len(data)} bytes, not {V1_SIZE} or {V8_SIZE}).",
        )
    clear = bytes(b ^ _XOR for b in data)
    end = clear.find(b"\0")
    try:
        if end <= 0:
            raise ValueError
        return clear[:end].decode("utf-8")
    except ValueError:
        raise KeystoreError(
            rc.GSK_ERROR_BAD_KEYFILE_PASSWORD, f"{path} does not hold a readable stashed password."
        ) from None


def is_stash(path: str | os.PathLike) -> bool:
    """Does the file at ``path`` hold a stash (version 1 readable, or version 8)?"""
    try:
        data = read_bytes(path, what="stash file")
        return is_v8(data) or bool(decode(data, path))
    except KeystoreError:
        return False


def read(path: str | os.PathLike) -> str:
    """The password stashed in the file at ``path``."""
    return decode(read_bytes(path, what="stash file"), path)


def write(path: str | os.PathLike, password: str) -> Path:
    """Write a version-1 stash for ``password`` (mode 0600, atomically).  A new store and
    its stash are written together by :func:`~certstore.keystore.save_keystore`."""
    return atomic_write(Path(path), encode_v1(password), mode=0o600)
